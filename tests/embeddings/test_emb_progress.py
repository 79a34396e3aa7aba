"""``embed_passages(on_texts=...)``: a caller hears of every text as it is settled, in small steps."""

from __future__ import annotations

from embeddings.base import PROGRESS_BATCH_SIZE
from embeddings.cache import EmbeddingCache
from rag.config import EmbeddingSettings


def test_on_texts_hears_cached_texts_first_then_each_small_batch_duplicates_included(
    tmp_path, fake_embedder_cls
):
    settings = EmbeddingSettings(cache_dir=tmp_path, batch_size=32)
    embedder = fake_embedder_cls(settings, cache=EmbeddingCache.in_dir(tmp_path))  # FAKE vectors: logic only
    embedder.embed_passages(["đã có 1", "đã có 2"])
    texts = ["đã có 1", "đã có 2", *(f"đoạn mới {i}" for i in range(20)), "đoạn mới 3"]
    steps: list[list[str]] = []
    embedder.embed_passages(texts, on_texts=steps.append)
    assert steps[0] == ["đã có 1", "đã có 2"]
    assert all(
        len(step) <= PROGRESS_BATCH_SIZE + 1 for step in steps[1:]
    )  # "đoạn mới 3" settles twice at once
    assert len(steps) > 3  # before: one step for the whole batch of 32
    assert sorted(t for step in steps for t in step) == sorted(texts)

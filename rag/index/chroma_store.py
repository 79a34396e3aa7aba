"""Chroma as the dense vector store, on disk or on a `chroma run` server, behind llama-index.

We always pass vectors ourselves: the collection is created with ``embedding_function=None``
because Chroma's default embedding function downloads a model, which fails offline.
Telemetry is off. One collection per embedding model, so switching models never mixes vectors.
"""

from __future__ import annotations

import atexit
import logging
import math
import os
import shutil
import tempfile
import threading
from collections.abc import Callable, Collection, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

# Must be set before chromadb is imported anywhere in the process.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb  # noqa: E402
from chromadb.api.shared_system_client import SharedSystemClient  # noqa: E402
from chromadb.config import Settings as ChromaClientSettings  # noqa: E402
from chromadb.errors import ChromaAuthError  # noqa: E402
from llama_index.core.bridge.pydantic import PrivateAttr  # noqa: E402
from llama_index.core.vector_stores.types import VectorStoreQuery, VectorStoreQueryResult  # noqa: E402
from llama_index.vector_stores.chroma import ChromaVectorStore  # noqa: E402

from embeddings.base import collection_name  # noqa: E402
from rag.config import IndexSettings  # noqa: E402

logger = logging.getLogger(__name__)

_PAGE = 5000


class ChromaServerError(ValueError):
    """The server of ``index.chroma_url`` cannot be used: unreachable, or it refused the token.

    Its message names the server and the setting to fix, so commands print it instead of a traceback.
    """


def _http_client(settings: IndexSettings) -> Any:
    """``HttpClient`` to ``chroma_url``, sending ``chroma_token`` in ``chroma_token_header``."""
    server = settings.chroma_url
    url = urlparse(server)
    kwargs: dict[str, Any] = {}
    if settings.chroma_token:
        kwargs["chroma_client_auth_provider"] = "chromadb.auth.token_authn.TokenAuthClientProvider"
        kwargs["chroma_client_auth_credentials"] = settings.chroma_token
        kwargs["chroma_auth_token_transport_header"] = settings.chroma_token_header
    try:  # the client asks the server who we are right away: a bad token or a dead server fails here
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=ChromaClientSettings(anonymized_telemetry=False, **kwargs),
        )
    except ChromaAuthError as exc:
        what = "token sai (wrong token)" if settings.chroma_token else "thiếu token (no token sent)"
        raise ChromaServerError(
            f"Máy chủ Chroma {server} từ chối truy cập: {what}; kiểm tra index.chroma_token và "
            f"index.chroma_token_header (the Chroma server at {server} refused access: {exc})"
        ) from exc
    except ValueError as exc:
        if "could not connect" not in str(exc).lower():
            raise
        raise ChromaServerError(
            f"Không kết nối được máy chủ Chroma {server} (cannot reach the Chroma server at {server}): {exc}"
        ) from exc


def _persistent_client(path: Path, fresh: bool) -> Any:
    """A ``PersistentClient`` on ``path``; ``fresh``: on a new chromadb System, not this process's old one.

    chromadb keeps one System per folder per process (``SharedSystemClient``), and that System keeps
    the HNSW index it loaded: vectors another process adds later stay invisible to it. No public
    call gives a new System without stopping the old one, which a query in flight may still use, so
    the cached entry is dropped here by hand (written by hand: chromadb has no such call). Clients
    made before keep the old System until they are dropped; they are never closed, so the refcount
    that close() reads is dropped with the entry.
    """
    path.mkdir(parents=True, exist_ok=True)
    if fresh:
        identifier = str(path)  # chromadb's key of a local System: its persist_directory, as given
        SharedSystemClient._identifier_to_system.pop(identifier, None)
        SharedSystemClient._identifier_to_refcount.pop(identifier, None)
    return chromadb.PersistentClient(path=str(path), settings=ChromaClientSettings(anonymized_telemetry=False))


def forget_local_client(path: Path) -> None:
    """Drop this process's chromadb System for ``path`` (one that failed to open stays cached
    half-made), so the next client starts afresh: after a damaged folder was moved aside."""
    SharedSystemClient._identifier_to_system.pop(str(path), None)
    SharedSystemClient._identifier_to_refcount.pop(str(path), None)
    LOCAL_CLIENTS.forget(path)


def snapshot_client(path: Path) -> Any:
    """A ``PersistentClient`` on a private copy of ``path``, removed when the process exits.

    chromadb opens a folder read-write or not at all (it migrates, locks and compacts on open), so
    a reader of an index on a read-only or full disk searches a copy in the temporary folder.
    """
    tmp = Path(tempfile.mkdtemp(prefix="baocao-chroma-"))
    try:
        shutil.copytree(path, tmp / "chroma")
        client = chromadb.PersistentClient(path=str(tmp / "chroma"),
                                           settings=ChromaClientSettings(anonymized_telemetry=False))
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    atexit.register(shutil.rmtree, tmp, True)
    return client


class LocalClients:
    """This process's client for each index folder, renewed when another process has written to it.

    Keyed by folder; each entry remembers the manifest generation its view is complete for. A
    caller passes the generation it reads now: the same one returns the entry's client, another one
    means a commit this process did not make through that client, so a fresh System is opened (its
    HNSW index is loaded again from disk, once). A writer that holds the index lock says which
    generation its own commits reached with :meth:`synced`, so its commits cost no reopening.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._entries: dict[str, tuple[Any, int]] = {}

    def client(self, path: Path, generation: int) -> Any:
        key = str(path)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[1] == generation:
                return entry[0]
            if entry is not None:
                logger.info("index %s changed in another process (generation %d -> %d): reopening Chroma",
                            path.parent, entry[1], generation)
            client = _persistent_client(path, fresh=entry is not None)
            self._entries[key] = (client, generation)
            return client

    def forget(self, path: Path) -> None:
        with self._lock:
            self._entries.pop(str(path), None)

    def synced(self, path: Path, client: Any, generation: int) -> None:
        """``client`` wrote every change up to ``generation`` itself (ignored if it is no longer current)."""
        key = str(path)
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None and entry[0] is client:
                self._entries[key] = (client, generation)


LOCAL_CLIENTS = LocalClients()


def chroma_path(index_dir: Path) -> Path:
    return index_dir / "chroma"


def make_client(index_dir: Path, settings: IndexSettings, generation: int | None = None) -> Any:
    """A Chroma client: ``HttpClient`` when ``chroma_url`` is set, else ``PersistentClient``.

    With ``generation`` (the index manifest's, read now), a local client comes from
    :data:`LOCAL_CLIENTS`, so it sees every vector committed up to that generation, by any process.
    A server needs no such care: it is the one process that holds the vectors.
    """
    if settings.chroma_url:
        return _http_client(settings)
    if generation is not None:
        return LOCAL_CLIENTS.client(chroma_path(index_dir), generation)
    return _persistent_client(chroma_path(index_dir), fresh=False)


class CommittedVectorStore(ChromaVectorStore):
    """``ChromaVectorStore`` whose top-k counts only committed chunks, and returns ids and scores.

    A write that failed between Chroma and the manifest leaves orphan vectors until the next
    ingest reconciles. Readers drop them, but a dropped orphan would cost a result; so when a
    query's top k holds orphans, it is asked again that many wider.

    Readers build nodes from the manifest (exact document slices), so a similarity query asks
    Chroma for ids and distances only: fetching and decoding each hit's stored text and metadata,
    as the stock query does, cost more than the vector search itself. Similarities are the stock
    ``exp(-distance)``. Chroma holds vectors and ``doc_id`` only (:meth:`ChromaStore.add`), so
    llama-index ``filters`` (which the stock path answers from stored node JSON) are refused; pass
    a Chroma ``where`` on ``doc_id`` instead.
    """

    _committed: Callable[[], Collection[str]] = PrivateAttr()

    def __init__(self, committed: Callable[[], Collection[str]], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._committed = committed

    def query(self, query: VectorStoreQuery, **kwargs: Any) -> VectorStoreQueryResult:
        if query.query_embedding is None or query.filters is not None:
            raise ValueError("the index answers vector queries only; filter with a Chroma `where` on doc_id")
        committed = self._committed()
        k, asked = query.similarity_top_k, query.similarity_top_k
        while True:
            found = self._collection.query(
                query_embeddings=[query.query_embedding], n_results=asked, include=["distances"], **kwargs
            )
            ids, distances = found["ids"][0], found["distances"][0]
            keep = [i for i, node_id in enumerate(ids) if node_id in committed]
            if len(keep) >= k or len(ids) < asked:  # enough, or nothing more in the collection
                break
            asked += len(ids) - len(keep)
        keep = keep[:k]
        return VectorStoreQueryResult(
            ids=[ids[i] for i in keep], similarities=[math.exp(-distances[i]) for i in keep]
        )


class ChromaStore:
    """The collection for one embedding model, wrapped in llama-index's ``ChromaVectorStore``.

    With ``committed`` (the ids the manifest lists), queries skip orphans without losing results.
    """

    def __init__(
        self, client: Any, model_id: str, committed: Callable[[], Collection[str]] | None = None
    ) -> None:
        self.client = client
        self.name = collection_name(model_id)
        self.collection = client.get_or_create_collection(
            name=self.name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedding_model": model_id},
        )
        self.vector_store: ChromaVectorStore = (
            CommittedVectorStore(committed, chroma_collection=self.collection) if committed
            else ChromaVectorStore(chroma_collection=self.collection)
        )

    def add(self, ids: Sequence[str], vectors: np.ndarray, doc_ids: Sequence[str]) -> None:
        """Write vectors with their ``doc_id`` only (an id already there gets the new vector).

        Written by hand instead of ``ChromaVectorStore.add``: readers take text and metadata from
        the manifest and ask Chroma for ids and distances only (:class:`CommittedVectorStore`),
        so the stock payload (each node's text, its JSON and every metadata key) was stored and
        never read. With a fake instant embedder, the store stage of 1,000 articles (3,101 chunks)
        took 9.3 s with it and 4.0 s without (docs/performance.md). ``doc_id`` stays for the
        ``where`` of filtered searches.
        """
        if not (len(ids) == len(vectors) == len(doc_ids)):
            raise ValueError(f"{len(ids)} ids, {len(vectors)} vectors and {len(doc_ids)} doc ids")
        vectors = np.asarray(vectors, dtype=np.float32)
        for i in range(0, len(ids), _PAGE):
            self.collection.upsert(
                ids=list(ids[i : i + _PAGE]),
                embeddings=vectors[i : i + _PAGE],
                metadatas=[{"doc_id": d} for d in doc_ids[i : i + _PAGE]],
            )

    def all_ids(self) -> set[str]:
        """Every id in the collection (paged, so large collections do not load at once)."""
        ids: set[str] = set()
        offset = 0
        while True:
            page = self.collection.get(include=[], limit=_PAGE, offset=offset)
            ids.update(page["ids"])
            if len(page["ids"]) < _PAGE:
                return ids
            offset += _PAGE

    def delete(self, ids: list[str]) -> None:
        for i in range(0, len(ids), _PAGE):
            self.collection.delete(ids=ids[i : i + _PAGE])

    def count(self) -> int:
        return int(self.collection.count())

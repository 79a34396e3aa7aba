"""Chroma as the dense vector store, on disk or on a `chroma run` server, behind llama-index.

We always pass vectors ourselves: the collection is created with ``embedding_function=None``
because Chroma's default embedding function downloads a model, which fails offline.
Telemetry is off. One collection per embedding model, so switching models never mixes vectors.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

# Must be set before chromadb is imported anywhere in the process.
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb  # noqa: E402
from chromadb.config import Settings as ChromaClientSettings  # noqa: E402
from llama_index.vector_stores.chroma import ChromaVectorStore  # noqa: E402

from embeddings.base import collection_name  # noqa: E402
from rag.config import IndexSettings  # noqa: E402

logger = logging.getLogger(__name__)

_PAGE = 5000


def make_client(index_dir: Path, settings: IndexSettings) -> Any:
    """A Chroma client: ``HttpClient`` when ``chroma_url`` is set, else ``PersistentClient``."""
    if settings.chroma_url:
        url = urlparse(settings.chroma_url)
        kwargs: dict[str, Any] = {}
        if settings.chroma_token:
            kwargs["chroma_client_auth_provider"] = "chromadb.auth.token_authn.TokenAuthClientProvider"
            kwargs["chroma_client_auth_credentials"] = settings.chroma_token
        client_settings = ChromaClientSettings(anonymized_telemetry=False, **kwargs)
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or (443 if url.scheme == "https" else 8000),
            ssl=url.scheme == "https",
            settings=client_settings,
        )
    path = index_dir / "chroma"
    path.mkdir(parents=True, exist_ok=True)
    return chromadb.PersistentClient(path=str(path), settings=ChromaClientSettings(anonymized_telemetry=False))


class ChromaStore:
    """The collection for one embedding model, wrapped in llama-index's ``ChromaVectorStore``."""

    def __init__(self, client: Any, model_id: str) -> None:
        self.client = client
        self.name = collection_name(model_id)
        self.collection = client.get_or_create_collection(
            name=self.name,
            embedding_function=None,
            metadata={"hnsw:space": "cosine", "embedding_model": model_id},
        )
        self.vector_store = ChromaVectorStore(chroma_collection=self.collection)

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

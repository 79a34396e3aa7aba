"""Dense retrieval: the question's embedding against Chroma, through llama-index's vector store."""

from __future__ import annotations

from typing import Any

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle
from llama_index.core.vector_stores.types import VectorStoreQuery

from rag.index.store import IndexStore, chunk_node


class DenseRetriever(BaseRetriever):
    """Top-k chunks by cosine similarity; only chunks the manifest lists are returned.

    ``allowed_docs`` (from search filters) becomes a Chroma ``where`` on ``doc_id``. Nodes are
    built from the manifest, never from what Chroma stores.
    """

    def __init__(
        self, store: IndexStore, embedder: Any, top_k: int = 50, allowed_docs: set[str] | None = None
    ) -> None:
        super().__init__()
        self._store = store
        self._embedder = embedder
        self._top_k = top_k
        self._allowed_docs = allowed_docs

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        if self._allowed_docs is not None and not self._allowed_docs:
            return []
        embedding = query_bundle.embedding
        if embedding is None:
            embedding = self._embedder.embed_queries([query_bundle.query_str])[0].tolist()
        where = {"doc_id": {"$in": sorted(self._allowed_docs)}} if self._allowed_docs is not None else None
        result = self._store.chroma.vector_store.query(
            VectorStoreQuery(query_embedding=embedding, similarity_top_k=self._top_k),
            **({"where": where} if where else {}),
        )
        chunks = self._store.chunks()
        hits: list[NodeWithScore] = []
        for node_id, score in zip(result.ids or [], result.similarities or [], strict=False):
            chunk = chunks.get(node_id)
            if chunk is not None:  # an orphan left by an interrupted ingest is never returned
                hits.append(NodeWithScore(node=chunk_node(chunk), score=float(score)))
        return hits

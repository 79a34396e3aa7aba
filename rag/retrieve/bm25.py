"""Lexical retrieval: BM25 on the written text or on its diacritics-folded form."""

from __future__ import annotations

from typing import Literal

from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.index.store import IndexStore, chunk_node


class BM25Retriever(BaseRetriever):
    """Top-k chunks by BM25; ``field="folded"`` matches questions typed without accents."""

    def __init__(
        self,
        store: IndexStore,
        field: Literal["text", "folded"] = "text",
        top_k: int = 50,
        allowed_docs: set[str] | None = None,
    ) -> None:
        super().__init__()
        self._store = store
        self._field = field
        self._top_k = top_k
        self._allowed_docs = allowed_docs

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        chunks = self._store.chunks()
        index = self._store.bm25()
        mask = None
        if self._allowed_docs is not None:
            mask = index.mask({cid for cid, c in chunks.items() if c.doc_id in self._allowed_docs})
        hits = index.search(query_bundle.query_str, self._top_k, field=self._field, allowed=mask)
        return [
            NodeWithScore(node=chunk_node(chunks[h.chunk_id]), score=h.score) for h in hits if h.chunk_id in chunks
        ]

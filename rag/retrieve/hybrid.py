"""Hybrid search over an index folder: dense + BM25 (written) + BM25 (folded), fused by rank."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from llama_index.core.retrievers import BaseRetriever
from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.config import Settings
from rag.index.store import DenseUnavailable, IndexStore
from rag.records import SearchHit, chunk_ref
from rag.retrieve.bm25 import BM25Retriever
from rag.retrieve.dense import DenseRetriever
from rag.retrieve.fusion import fusion_weights, reciprocal_rank_fusion
from rag.text.normalize import normalize_query
from rag.timing import stage

logger = logging.getLogger(__name__)

MODES = ("hybrid", "bm25", "bm25_folded", "dense")
# Stage names under which each retriever's time is recorded (see rag.timing).
_STAGES = {"bm25": "bm25", "bm25_folded": "bm25", "dense": "dense_search"}


def hits_from_nodes(nodes: Sequence[NodeWithScore]) -> list[SearchHit]:
    """Typed search hits from retrieved nodes (``text`` is the exact document slice)."""
    return [
        SearchHit.from_ref(chunk_ref(item.node), item.node.metadata.get("title"), float(item.score or 0.0),
                           item.node.get_content())
        for item in nodes
    ]


class Searcher:
    """Opened once (model and index load lazily once), then answers many searches."""

    def __init__(self, store: IndexStore, embedder: Any, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        # The last question's vector, per thread: the reader scores sentences against the vector the
        # dense search of the same question just used, so one question is embedded once. Per thread
        # and one deep, so a later question (or a benchmark's second pass) embeds anew.
        self._last_query = threading.local()
        self._dense_problem: str | None = None

    def dense_ready(self) -> bool:
        """Whether dense search can run: the vectors open (a Chroma server answers, a token is
        accepted). Where they cannot, says why once (a warning) and searches go on BM25 alone."""
        if self._dense_problem is not None:
            return False
        try:
            self.store.chroma  # noqa: B018 - opened here, so a problem is told before a search
        except DenseUnavailable as exc:
            self._dense_problem = str(exc)
            logger.warning("%s", exc)
            return False
        return True

    def query_vector(self, query: str) -> np.ndarray:
        """The normalised question's embedding, computed once per question."""
        last = getattr(self._last_query, "value", None)
        if last is not None and last[0] == query:
            return last[1]
        with stage("embed_query"):
            vector = np.asarray(self.embedder.embed_queries([query])[0], dtype=np.float32)
        self._last_query.value = (query, vector)
        return vector

    @classmethod
    def open(cls, index_dir: Path | None, settings: Settings) -> Searcher:
        from embeddings import get_embedder

        store = IndexStore(Path(index_dir or settings.index.dir), settings)
        embedder = get_embedder(settings.embeddings)
        if store.model_id != embedder.model_id:
            raise ValueError(
                f"chỉ mục được tạo với mô hình {store.model_id}, cấu hình hiện dùng {embedder.model_id} "
                "(the index was embedded with another model; re-ingest or change embeddings settings)"
            )
        return cls(store, embedder, settings)

    def retrievers(self, k: int, allowed_docs: set[str] | None = None) -> dict[str, BaseRetriever]:
        return {
            "bm25": BM25Retriever(self.store, "text", k, allowed_docs),
            "bm25_folded": BM25Retriever(self.store, "folded", k, allowed_docs),
            "dense": DenseRetriever(self.store, self.embedder, k, allowed_docs),
        }

    def retrieve(
        self, question: str, k: int, retrieval_mode: str = "hybrid", allowed_docs: set[str] | None = None,
        lexical_query: str | None = None,
    ) -> list[NodeWithScore]:
        """Top ``k`` chunks by ``retrieval_mode`` (one of MODES); ``lexical_query`` (e.g. with
        abbreviations expanded) feeds BM25 only."""
        if retrieval_mode not in MODES:
            raise ValueError(f"unknown search mode {retrieval_mode!r}; use one of {', '.join(MODES)}")
        with stage("normalise"):
            query = normalize_query(question)
            lexical = QueryBundle(query_str=normalize_query(lexical_query) if lexical_query else query)
        if not query:
            return []
        dense = QueryBundle(query_str=query)
        dense_ok = retrieval_mode in ("hybrid", "dense") and self.dense_ready()
        if retrieval_mode == "dense" and not dense_ok:
            return []  # why was told once, by dense_ready
        if dense_ok and (allowed_docs is None or allowed_docs):
            # embedded here so that dense_search times the vector search alone
            dense.embedding = self.query_vector(query).tolist()
        candidates = max(k, self.settings.retrieval.candidates)
        retrievers = self.retrievers(candidates if retrieval_mode == "hybrid" else k, allowed_docs)
        if retrieval_mode != "hybrid":
            with stage(_STAGES[retrieval_mode]):
                return retrievers[retrieval_mode].retrieve(dense if retrieval_mode == "dense" else lexical)[:k]
        weights = fusion_weights(query, self.settings.retrieval)
        if not dense_ok:
            weights = {name: w for name, w in weights.items() if name != "dense"}
        lists = []
        for name in weights:
            with stage(_STAGES[name]):
                lists.append(retrievers[name].retrieve(dense if name == "dense" else lexical))
        with stage("fuse"):
            return reciprocal_rank_fusion(lists, list(weights.values()), self.settings.retrieval.rrf_k)[:k]

    def search(
        self, question: str, k: int = 5, retrieval_mode: str = "hybrid", allowed_docs: set[str] | None = None
    ) -> list[SearchHit]:
        return hits_from_nodes(self.retrieve(question, k, retrieval_mode, allowed_docs))

    def close(self) -> None:
        self.store.close()

"""Hybrid search over an index folder: dense + BM25 (written) + BM25 (folded), fused by rank."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from llama_index.core.schema import NodeWithScore, QueryBundle

from rag.config import Settings
from rag.index.store import IndexStore
from rag.records import SearchHit
from rag.retrieve.bm25 import BM25Retriever
from rag.retrieve.dense import DenseRetriever
from rag.retrieve.fusion import FusionRetriever
from rag.text.normalize import fold_diacritics, normalize_query

# Lexical evidence counts more than dense similarity on number-heavy report text; the folded
# field only rescues questions typed without accents. A question typed without any diacritics
# cannot match the written field except on numbers and loanwords, so there the two BM25 fields
# swap weights.
DEFAULT_WEIGHTS = {"bm25": 1.0, "bm25_folded": 0.6, "dense": 0.6}
UNACCENTED_WEIGHTS = {"bm25": 0.3, "bm25_folded": 1.0, "dense": 0.6}


def fusion_weights(query: str) -> dict[str, float]:
    """Weights for ``query``: accent-free questions lean on the folded BM25 field."""
    has_letters = any(ch.isalpha() for ch in query)
    return UNACCENTED_WEIGHTS if has_letters and fold_diacritics(query) == query else DEFAULT_WEIGHTS


class Searcher:
    """Opened once (model and index load lazily once), then answers many searches."""

    def __init__(self, store: IndexStore, embedder: Any, settings: Settings) -> None:
        self.store = store
        self.embedder = embedder
        self.settings = settings
        cfg = settings.retrieval
        self.retrievers = {
            "bm25": BM25Retriever(store, "text", cfg.candidates),
            "bm25_folded": BM25Retriever(store, "folded", cfg.candidates),
            "dense": DenseRetriever(store, embedder, cfg.candidates),
        }

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

    def retrieve(self, question: str, k: int, mode: str = "hybrid") -> list[NodeWithScore]:
        query = normalize_query(question)
        if not query:
            return []
        bundle = QueryBundle(query_str=query)
        if mode == "hybrid":
            weights = fusion_weights(query)
            fusion = FusionRetriever(
                [self.retrievers[n] for n in weights], list(weights.values()),
                rrf_k=self.settings.retrieval.rrf_k, top_k=k,
            )
            return fusion.retrieve(bundle)
        if mode not in self.retrievers:
            raise ValueError(f"unknown search mode {mode!r}; use hybrid, {', '.join(self.retrievers)}")
        return self.retrievers[mode].retrieve(bundle)[:k]

    def search(self, question: str, k: int = 5, mode: str = "hybrid") -> list[SearchHit]:
        hits = []
        for item in self.retrieve(question, k, mode):
            node, meta = item.node, item.node.metadata
            hits.append(
                SearchHit(
                    chunk_id=node.node_id, doc=meta["doc_id"], title=meta.get("title"),
                    section=meta.get("section", ""), start=meta["start"], end=meta["end"],
                    score=float(item.score or 0.0), text=node.get_content(),
                )
            )
        return hits

    def close(self) -> None:
        self.store.close()

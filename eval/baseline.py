"""LlamaIndex's stock pipeline on the same documents and embedding model, as a yardstick.

``SimpleDirectoryReader`` → default ``SentenceSplitter`` → ``VectorStoreIndex`` over Chroma →
top-k similarity retrieval; the answer is the sentence of the top chunk most similar to the
question. No Vietnamese normalisation, BM25, reranking or refusal: what the obvious build does.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")

import chromadb  # noqa: E402
from chromadb.config import Settings as ChromaClientSettings  # noqa: E402
from llama_index.core import SimpleDirectoryReader, StorageContext, VectorStoreIndex  # noqa: E402
from llama_index.core.node_parser import SentenceSplitter  # noqa: E402
from llama_index.vector_stores.chroma import ChromaVectorStore  # noqa: E402

from rag.records import Answer, Citation, chunk_ref  # noqa: E402
from rag.text.sentences import sentence_spans  # noqa: E402


@dataclass(frozen=True)
class BaselineHit:
    doc: str
    start: int
    end: int
    score: float


class LlamaIndexBaseline:
    """Build once over ``docs``; ``retrieve`` and ``ask`` mirror the assistant's calls.

    ``reuse=True`` opens the collection a previous build left in ``work_dir`` instead of
    rebuilding it (the caller vouches that it was built from the same documents).
    """

    def __init__(
        self, docs: Path, work_dir: Path, embedder: Any, top_k: int = 10, reuse: bool = False
    ) -> None:
        self.docs = Path(docs).resolve()
        self.embedder = embedder
        # The files SimpleDirectoryReader(docs, recursive=True) would read; listed here because it
        # drops every file when any folder *above* docs is hidden (a work folder like .bench-work/).
        files = sorted(
            str(f) for f in self.docs.rglob("*")
            if f.is_file() and f.suffix.lower() in (".txt", ".md")
            and not any(part.startswith(".") for part in f.relative_to(self.docs).parts)
        )
        documents = SimpleDirectoryReader(input_files=files, exclude_hidden=False).load_data()
        self.texts: dict[str, str] = {}
        for document in documents:
            doc_id = Path(document.metadata["file_path"]).resolve().relative_to(self.docs).as_posix()
            document.metadata["doc_id"] = doc_id
            self.texts[doc_id] = document.text
        client = chromadb.PersistentClient(
            path=str(work_dir / "baseline-chroma"), settings=ChromaClientSettings(anonymized_telemetry=False)
        )
        self.build_seconds = 0.0
        self.collection = self._existing(client) if reuse else None
        if self.collection is not None:
            vector_store = ChromaVectorStore(chroma_collection=self.collection)
            self.index = VectorStoreIndex.from_vector_store(vector_store, embed_model=embedder)
        else:
            try:
                client.delete_collection("llamaindex-baseline")
            except Exception:  # noqa: BLE001 - absent on first run
                pass
            self.collection = client.create_collection("llamaindex-baseline", embedding_function=None)
            vector_store = ChromaVectorStore(chroma_collection=self.collection)
            storage = StorageContext.from_defaults(vector_store=vector_store)
            start = time.perf_counter()
            self.index = VectorStoreIndex.from_documents(
                documents, storage_context=storage, embed_model=embedder, transformations=[SentenceSplitter()]
            )
            self.build_seconds = time.perf_counter() - start
        self.retriever = self.index.as_retriever(similarity_top_k=top_k)

    @staticmethod
    def _existing(client: Any) -> Any:
        try:
            collection = client.get_collection("llamaindex-baseline")
        except Exception:  # noqa: BLE001 - never built here
            return None
        return collection if collection.count() else None

    def retrieve(self, question: str) -> list[BaselineHit]:
        hits = []
        for item in self.retriever.retrieve(question):
            ref = chunk_ref(item.node)
            hits.append(BaselineHit(ref.doc_id, ref.start, ref.end, float(item.score or 0.0)))
        return hits

    def ask(self, question: str) -> Answer:
        started = time.perf_counter()
        hits = self.retrieve(question)
        if not hits:
            return Answer("", [], False, {"total": (time.perf_counter() - started) * 1000}, mode="baseline")
        top = hits[0]
        text = self.texts[top.doc]
        spans = list(sentence_spans(text, top.start, top.end)) or [(top.start, top.end)]
        query = self.embedder.embed_queries([question])[0]
        vectors = self.embedder.embed_passages([text[s:e] for s, e in spans])
        s, e = spans[int(np.argmax(vectors @ query))]
        citation = Citation(1, top.doc, None, "", s, e, text[s:e])
        timings = {"total": (time.perf_counter() - started) * 1000}
        return Answer(f"{text[s:e]} [1]", [citation], True, timings, mode="baseline", question=question)

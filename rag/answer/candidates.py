"""Candidate sentences for an answer: every sentence of the top passages, with its context and vector.

The reader judges sentences, not passages: an answer quotes one sentence whole. Each candidate
carries what the features need (its passage's rank and score, its document's metadata, the
heading it stands under) and the vector stored for it at ingest, so no sentence is embedded
while a question waits. Sentences that address the reader instead of reporting a fact are
dropped here, before anything can score them (document text is data, never a command), and so is
text that is not language (rag.answer.injection.is_statement).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from llama_index.core.schema import NodeWithScore

from rag.answer.injection import is_statement
from rag.index.store import IndexStore
from rag.records import DocumentMetadata, chunk_ref
from rag.text.sentences import sentence_spans

logger = logging.getLogger(__name__)

# Embeds sentences that have no stored vector (an index written before they were stored).
EmbedPassages = Callable[[list[str]], np.ndarray]


@dataclass(frozen=True)
class Candidate:
    """One sentence of a retrieved passage, as the reader sees it."""

    doc_id: str
    start: int
    end: int
    chunk_id: str
    rank: int  # the passage's rank after reranking (0 = best)
    passage_score: float  # the passage's reranked score over the best passage's, in (-inf, 1]
    meta: DocumentMetadata
    section: str
    text: str  # the sentence, exactly document_text[start:end]
    context: str  # title, section and the whole passage: where the sentence stands
    position: int  # the sentence's index within its passage
    vector: np.ndarray | None = None


def gather(
    store: IndexStore,
    nodes: Sequence[NodeWithScore],
    top_passages: int,
    embed_missing: EmbedPassages | None = None,
) -> list[Candidate]:
    """The sentences of the ``top_passages`` best passages, each once, with their vectors."""
    out: list[Candidate] = []
    seen: set[tuple[str, int, int]] = set()
    top = max((float(n.score or 0.0) for n in nodes[:top_passages]), default=0.0) or 1.0
    for rank, item in enumerate(nodes[:top_passages]):
        ref = chunk_ref(item.node)
        doc_id, p_start, p_end, section = ref.doc_id, ref.start, ref.end, ref.section
        text = store.document_text(doc_id) or ""
        doc_meta = store.document_metadata(doc_id)
        context = f"{doc_meta.title or ''}\n{section}\n{text[p_start:p_end]}"
        vectors = store.sentence_vectors(doc_id, p_start, p_end)
        for position, (s, e) in enumerate(sentence_spans(text, p_start, p_end)):
            sentence = text[s:e]
            if (doc_id, s, e) in seen or not is_statement(sentence, text[p_start:p_end]):
                continue
            seen.add((doc_id, s, e))
            out.append(
                Candidate(
                    doc_id,
                    s,
                    e,
                    item.node.node_id,
                    rank,
                    float(item.score or 0.0) / top,
                    doc_meta,
                    section,
                    sentence,
                    context,
                    position,
                    vectors.get((s, e)),
                )
            )
    return _with_vectors(out, embed_missing)


def _with_vectors(candidates: list[Candidate], embed_missing: EmbedPassages | None) -> list[Candidate]:
    missing = [i for i, c in enumerate(candidates) if c.vector is None]
    if not missing or embed_missing is None:
        return candidates
    logger.info("embedding %d sentences with no stored vector (re-ingest to store them)", len(missing))
    vectors = embed_missing([candidates[i].text for i in missing])
    out = list(candidates)
    for i, vector in zip(missing, vectors, strict=True):
        out[i] = replace(out[i], vector=np.asarray(vector, dtype=np.float32))
    return out

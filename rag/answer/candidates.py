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
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

import numpy as np
from llama_index.core.schema import NodeWithScore

from rag.answer.injection import is_statement
from rag.index.store import IndexStore
from rag.records import DocumentMetadata, chunk_ref
from rag.text.entities import informative_numbers, refers_back
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
    # an enumeration item starting in lower case, read with the lead-in it completes ("… thì bị
    # phạt tiền từ 50 triệu đồng đến 100 triệu đồng: khai thác vào ban đêm."); "" for a sentence
    reading: str = ""

    @property
    def read(self) -> str:
        """What the sentence says: the item with its lead-in, else the sentence itself."""
        return self.reading or self.text


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
    return _with_antecedents(_with_lead_ins(_with_vectors(out, embed_missing)))


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


def _with_lead_ins(candidates: list[Candidate]) -> list[Candidate]:
    """Each clause item read with its lead-in: the item's words and vector joined with the lead-in's
    (up to its ":"), as if the sentence had been written on one line, as the model's training
    sentences are ("… thì bị phạt tù từ 12 năm đến 20 năm: gây chết người;")."""
    out = list(candidates)
    for i, c in enumerate(candidates):
        j = lead_in(candidates, i)
        if j is None:
            continue
        head = candidates[j]
        reading = f"{head.text[: head.text.rindex(':') + 1]} {c.text}"
        out[i] = replace(c, reading=reading, vector=_joined(head.vector, c.vector))
    return out


def _with_antecedents(candidates: list[Candidate]) -> list[Candidate]:
    """Each sentence that points back ("Ông sinh …") read with the sentence it points to, the way an
    item is read with its lead-in: alone it does not name whom it is about."""
    out = list(candidates)
    for i, c in enumerate(candidates):
        j = antecedent(candidates, i) if not c.reading else None
        if j is None:
            continue
        head = candidates[j]
        out[i] = replace(c, reading=f"{head.text} {c.text}", vector=_joined(head.vector, c.vector))
    return out


def _joined(a: np.ndarray | None, b: np.ndarray | None) -> np.ndarray | None:
    """The normalised sum of two sentence vectors: the vector of the two read as one."""
    if a is None or b is None:
        return b
    joined = np.asarray(a, dtype=np.float32) + np.asarray(b, dtype=np.float32)
    return joined / (float(np.linalg.norm(joined)) or 1.0)


_BULLET_RE = re.compile(r"\s*(?:[-–+*•]\s*)?")


def lead_in(candidates: Sequence[Candidate], member: int) -> int | None:
    """The sentence whose lead-in ("… thì bị phạt tù từ 12 năm đến 20 năm: …;") opens the enumeration
    that ``candidates[member]`` is a clause of, or None.

    An item that starts in lower case and states no figure ("gây chết người;", "khai thác vào ban
    đêm.") is a case of the sentence begun before it; what it is a case of (the penalty, the advice)
    stands in the lead-in only. An item written as a sentence of its own (capitalised), or stating a
    figure of its own (a report's "- kim ngạch xuất khẩu đạt 48,4% kế hoạch;"), is a fact by itself.
    """
    text = candidates[member].text
    if not text[_BULLET_RE.match(text).end() :][:1].islower() or ":" in text or informative_numbers(text):
        return None
    run = enumeration(candidates, member)
    before = [i for i in run if candidates[i].start < candidates[member].start and ":" in candidates[i].text]
    return before[-1] if before else None


def antecedent(candidates: Sequence[Candidate], member: int, reach: int = 2) -> int | None:
    """The sentence that ``candidates[member]`` points back to, or None when it points nowhere.

    "Đây là viên chức chính trị cao cấp nhất …" or "Thời gian trị vì của ông …" does not say
    who: the sentence before it in the passage does ("Tổng thống Hoa Kỳ là …"). A sentence that
    points back itself passes the pointer on, up to ``reach`` sentences back."""
    here = candidates[member]
    if not refers_back(here.text):
        return None
    before = sorted(
        (i for i, c in enumerate(candidates) if c.chunk_id == here.chunk_id and c.position < here.position),
        key=lambda i: candidates[i].position,
        reverse=True,
    )
    for i in before[:reach]:
        if not refers_back(candidates[i].text):
            return i
    return None


def enumeration(candidates: Sequence[Candidate], member: int) -> list[int]:
    """The other candidates of the enumeration ``candidates[member]`` belongs to, in reading order.

    Reports list items as clauses ended by ";" after a lead-in ended by ":" ("… cho ý kiến vào 13
    tờ trình về: Quy chế …; Đề án …; Kế hoạch …."); each item is a sentence of its own here. So the
    enumeration runs back while the sentence before ends with ";" (up to and with its lead-in) and
    forward while the sentence before ends with ";" or ":".
    """
    mine = sorted(
        (i for i, c in enumerate(candidates) if c.doc_id == candidates[member].doc_id),
        key=lambda i: candidates[i].start,
    )
    at = mine.index(member)

    def adjacent(a: Candidate, b: Candidate) -> bool:  # b follows a with only a line break or space
        return 0 <= b.start - a.end <= 3

    def ends(c: Candidate, marks: tuple[str, ...]) -> bool:
        return c.text.rstrip().endswith(marks)

    run: list[int] = []
    k = at
    while (
        k > 0
        and adjacent(candidates[mine[k - 1]], candidates[mine[k]])
        and ends(candidates[mine[k - 1]], (";",))
    ):
        k -= 1
        run.append(mine[k])
    if (
        k > 0
        and adjacent(candidates[mine[k - 1]], candidates[mine[k]])
        and ends(candidates[mine[k - 1]], (":",))
    ):
        run.append(mine[k - 1])
    k = at
    while (
        k + 1 < len(mine)
        and adjacent(candidates[mine[k]], candidates[mine[k + 1]])
        and ends(candidates[mine[k]], (";", ":"))
    ):
        k += 1
        run.append(mine[k])
    return sorted(run, key=lambda i: candidates[i].start)

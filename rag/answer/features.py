"""The evidence a sentence gives for a question, as numbers the fitted reader model weighs.

Each feature is a signal a careful reader uses; none carries a hand-set weight. The weights
and the refusal threshold are fitted by ``python -m eval.train_reader`` on public QA data
(see :mod:`rag.answer.reader_model`). Period and province are not features: the QA data used
for fitting names no reporting periods, so they stay hard constraints (a sentence of another
period or province never answers), applied by the reader before scoring.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from rag.answer.candidates import Candidate
from rag.query.analyze import QueryAnalysis
from rag.rerank.evidence import KeywordMatcher, asked_unit
from rag.text.entities import holds_answer_type, informative_numbers, without_given

# Question types that name the kind of thing the answer is: a sentence without one cannot answer.
SPECIFIC_TYPES = frozenset({"number", "date", "docref", "person", "place"})

FEATURES: tuple[str, ...] = (
    "semantic",  # cosine of the question's and the sentence's e5 vectors (paraphrase, English)
    "semantic_gap",  # semantic minus the best candidate's: how this sentence ranks among the rest
    "lexical",  # IDF-weighted coverage of the question's words (passage words count half)
    "lexical_sentence",  # the same, in the sentence alone
    "lexical_gap",  # lexical minus the best candidate's
    "type_held",  # the question asks a number/date/name/... and the sentence holds one
    "type_missing",  # the question asks one and the sentence holds none
    "rare_missing",  # the rarest question word is absent from the sentence and its heading
    "passage_rank",  # 1 / (1 + rank of the passage after reranking)
    "passage_score",  # the passage's reranked score relative to the best passage
    "length",  # log of the sentence's length: headings and fragments are short
    "semantic_rank",  # 1 / (1 + the sentence's rank by semantic similarity among the candidates)
    "lexical_rank",  # 1 / (1 + its rank by word coverage)
    "has_figure",  # it states a figure (most report questions ask for one, asked or implied)
    "passage_semantic",  # the question's similarity to its passage (the mean of the passage's sentences)
    "window_lexical",  # word coverage of the sentence with the one before it ("Nó ..." refers back)
    "missing_mass",  # the share of the question's word weight absent from the sentence and its heading
    "type_new",  # it holds the asked kind of item in words the question does not already write
)


def featurize(
    analysis: QueryAnalysis,
    candidates: Sequence[Candidate],
    question_vector: np.ndarray | None,
    matcher: KeywordMatcher,
) -> np.ndarray:
    """One row of :data:`FEATURES` per candidate, read as it says (an item with its lead-in)."""
    n = len(candidates)
    if n == 0:
        return np.zeros((0, len(FEATURES)), dtype=np.float32)
    semantic = _semantic(candidates, question_vector)
    lexical = np.array([matcher.coverage(c.read, c.context) for c in candidates], dtype=np.float32)
    lexical_sentence = np.array([matcher.coverage(c.read) for c in candidates], dtype=np.float32)
    specific = analysis.answer_type in SPECIFIC_TYPES
    unit = asked_unit(analysis.text)
    held = np.array(
        [float(specific and holds_answer_type(c.read, analysis.answer_type, unit)) for c in candidates],
        dtype=np.float32,
    )
    new = np.array(
        [
            float(
                specific and holds_answer_type(without_given(c.read, analysis.text), analysis.answer_type, unit)
            )
            for c in candidates
        ],
        dtype=np.float32,
    )
    headings = [f"{c.meta.title or ''}\n{c.section}" for c in candidates]
    rare = np.array([matcher.rarest_missing(c.read, h) for c, h in zip(candidates, headings, strict=True)],
                    dtype=np.float32)
    missing = np.array([matcher.missing_mass(c.read, h) for c, h in zip(candidates, headings, strict=True)],
                       dtype=np.float32)
    rows = np.stack(
        [
            semantic,
            semantic - semantic.max(),
            lexical,
            lexical_sentence,
            lexical - lexical.max(),
            held,
            np.full(n, float(specific), dtype=np.float32) - held,
            rare,
            np.array([1.0 / (1 + c.rank) for c in candidates], dtype=np.float32),
            np.array([c.passage_score for c in candidates], dtype=np.float32),
            np.array([math.log1p(len(c.read)) / 6.0 for c in candidates], dtype=np.float32),
            _inverse_rank(semantic),
            _inverse_rank(lexical),
            np.array([float(bool(informative_numbers(c.read))) for c in candidates], dtype=np.float32),
            _passage_semantic(candidates, question_vector),
            np.array(
                [
                    matcher.coverage(f"{previous} {c.text}")
                    for c, previous in zip(candidates, _previous(candidates), strict=True)
                ],
                dtype=np.float32,
            ),
            missing,
            new,
        ],
        axis=1,
    )
    return rows.astype(np.float32)


def _previous(candidates: Sequence[Candidate]) -> list[str]:
    """The sentence before each candidate in its passage ("" for the first)."""
    by_place = {(c.chunk_id, c.position): c.text for c in candidates}
    return [by_place.get((c.chunk_id, c.position - 1), "") for c in candidates]


def _passage_semantic(candidates: Sequence[Candidate], question_vector: np.ndarray | None) -> np.ndarray:
    """Cosine of the question with each candidate's passage, the passage as its sentences' mean vector."""
    out = np.zeros(len(candidates), dtype=np.float32)
    if question_vector is None:
        return out
    q = np.asarray(question_vector, dtype=np.float32)
    q = q / (np.linalg.norm(q) or 1.0)
    groups: dict[str, list[int]] = {}
    for i, c in enumerate(candidates):
        if c.vector is not None:
            groups.setdefault(c.chunk_id, []).append(i)
    for members in groups.values():
        mean = np.mean([candidates[i].vector for i in members], axis=0)
        out[members] = float(mean @ q) / (float(np.linalg.norm(mean)) or 1.0)
    return out


def _inverse_rank(values: np.ndarray) -> np.ndarray:
    """1 / (1 + rank), rank 0 the largest value; ties share the better rank."""
    ranks = np.array([(values > v).sum() for v in values], dtype=np.float32)
    return 1.0 / (1.0 + ranks)


def _semantic(candidates: Sequence[Candidate], question_vector: np.ndarray | None) -> np.ndarray:
    if question_vector is None:
        return np.zeros(len(candidates), dtype=np.float32)
    q = np.asarray(question_vector, dtype=np.float32)
    q = q / (np.linalg.norm(q) or 1.0)
    out = np.zeros(len(candidates), dtype=np.float32)
    for i, c in enumerate(candidates):
        if c.vector is not None:
            v = np.asarray(c.vector, dtype=np.float32)
            out[i] = float(v @ q) / (float(np.linalg.norm(v)) or 1.0)
    return out

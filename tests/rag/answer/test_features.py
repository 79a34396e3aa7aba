from __future__ import annotations

import numpy as np

from rag.answer.candidates import Candidate
from rag.answer.features import FEATURES, featurize
from rag.query.analyze import analyze
from rag.records import DocumentMetadata
from rag.rerank.evidence import KeywordMatcher
from rag.text.abbreviations import default_abbreviations

QUESTION = "Thu ngân sách năm 2021 đạt bao nhiêu?"


def _candidate(text: str, vector: list[float] | None, position: int = 0, rank: int = 0,
               chunk_id: str = "c1") -> Candidate:
    return Candidate(
        doc_id="a.txt", start=position * 100, end=position * 100 + len(text), chunk_id=chunk_id, rank=rank,
        passage_score=1.0 / (1 + rank), meta=DocumentMetadata(title="Báo cáo năm 2021"), section="",
        text=text, context=text, position=position,
        vector=None if vector is None else np.array(vector, dtype=np.float32),
    )


def _rows(candidates: list[Candidate], question_vector: list[float] | None) -> np.ndarray:
    analysis = analyze(QUESTION)
    matcher = KeywordMatcher(analysis, lambda t: 1.0, default_abbreviations())
    vector = None if question_vector is None else np.array(question_vector, dtype=np.float32)
    return featurize(analysis, candidates, vector, matcher)


def _column(rows: np.ndarray, name: str) -> np.ndarray:
    return rows[:, FEATURES.index(name)]


CANDIDATES = [
    _candidate("Thu ngân sách năm 2021 đạt 5.851 tỷ đồng.", [1.0, 0.0, 0.0], position=0),
    _candidate("Kim ngạch xuất khẩu tăng mạnh.", [0.6, 0.8, 0.0], position=1),
    _candidate("Phiên họp kết thúc.", [0.0, 0.0, 2.0], position=2, rank=1, chunk_id="c2"),
]


def test_one_row_of_every_feature_per_candidate():
    rows = _rows(CANDIDATES, [1.0, 0.0, 0.0])
    assert rows.shape == (3, len(FEATURES))
    assert rows.dtype == np.float32 and np.all(np.isfinite(rows))


def test_no_candidates_no_rows():
    assert _rows([], [1.0, 0.0, 0.0]).shape == (0, len(FEATURES))


def test_the_semantic_column_is_the_cosine_with_the_question():
    rows = _rows(CANDIDATES, [2.0, 0.0, 0.0])  # lengths do not matter: a cosine
    np.testing.assert_allclose(_column(rows, "semantic"), [1.0, 0.6, 0.0], atol=1e-6)
    rows = _rows(CANDIDATES, [0.0, 1.0, 1.0])
    np.testing.assert_allclose(_column(rows, "semantic"), [0.0, 0.8 / np.sqrt(2), 1 / np.sqrt(2)], atol=1e-6)


def test_the_semantic_gap_is_zero_for_the_best_and_negative_for_the_rest():
    gap = _column(_rows(CANDIDATES, [1.0, 0.0, 0.0]), "semantic_gap")
    assert gap[0] == 0.0
    np.testing.assert_allclose(gap[1:], [-0.4, -1.0], atol=1e-6)


def test_the_semantic_rank_puts_the_closest_sentence_first():
    ranks = _column(_rows(CANDIDATES, [1.0, 0.0, 0.0]), "semantic_rank")
    np.testing.assert_allclose(ranks, [1.0, 0.5, 1 / 3], atol=1e-6)


def test_no_question_vector_gives_a_zero_semantic_column():
    rows = _rows(CANDIDATES, None)
    assert np.all(_column(rows, "semantic") == 0.0)
    assert np.all(_column(rows, "semantic_gap") == 0.0)


def test_a_candidate_without_a_vector_has_zero_similarity():
    candidates = [CANDIDATES[0], _candidate("Kim ngạch xuất khẩu tăng mạnh.", None, position=1)]
    np.testing.assert_allclose(_column(_rows(candidates, [1.0, 0.0, 0.0]), "semantic"), [1.0, 0.0], atol=1e-6)


def test_the_sentence_holding_the_asked_figure_has_type_held():
    rows = _rows(CANDIDATES, None)
    assert list(_column(rows, "type_held")) == [1.0, 0.0, 0.0]
    assert list(_column(rows, "type_missing")) == [0.0, 1.0, 1.0]
    assert list(_column(rows, "has_figure")) == [1.0, 0.0, 0.0]


def test_the_sentence_with_the_question_words_has_the_best_coverage():
    rows = _rows(CANDIDATES, None)
    lexical = _column(rows, "lexical")
    assert lexical[0] > lexical[1] and lexical[0] > lexical[2]
    assert _column(rows, "lexical_gap")[0] == 0.0
    assert _column(rows, "lexical_rank")[0] == 1.0


def test_passage_rank_and_score_come_from_the_passage():
    rows = _rows(CANDIDATES, None)
    np.testing.assert_allclose(_column(rows, "passage_rank"), [1.0, 1.0, 0.5])
    np.testing.assert_allclose(_column(rows, "passage_score"), [1.0, 1.0, 0.5])


def test_feature_names_are_unique():
    assert len(set(FEATURES)) == len(FEATURES)

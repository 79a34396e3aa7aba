"""Scoring one question: ``min_facts`` decides "all facts right", the per-fact metrics stay as they were."""

from __future__ import annotations

from eval.gold import GoldQuestion
from eval.runner import facts_right, score_question
from rag.answer.refusal import NOT_FOUND
from rag.records import Answer

NAMES = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường", "Phạm Văn Dũng"]


def _question(min_facts: int | None = None, must_include: list[str] | None = None) -> GoldQuestion:
    return GoldQuestion(id="l1", question="Những phó chủ tịch nào chủ trì?", answerable=True,
                        must_include=NAMES if must_include is None else must_include, evidence=[],
                        tags=["entity"], min_facts=min_facts)


def _score(q: GoldQuestion, text: str, found: bool = True) -> dict:
    return score_question(q, Answer(text=text, citations=[], found=found), [], {}, 0, 1.0)


def test_a_list_answer_with_min_facts_of_the_items_is_all_facts_right():
    row = _score(_question(min_facts=3), "Nguyễn Văn An, Trần Thị Bình và Lê Văn Cường chủ trì [1].")
    assert row["all_facts"] is True
    assert row["every_fact"] is False
    assert row["fact_recall"] == 0.75
    assert (row["facts_found"], row["facts_required"], row["min_facts"]) == (3, 3, 3)


def test_a_list_answer_with_fewer_items_than_min_facts_is_wrong():
    row = _score(_question(min_facts=3), "Nguyễn Văn An và Trần Thị Bình chủ trì [1].")
    assert row["all_facts"] is False
    assert (row["facts_found"], row["facts_required"]) == (2, 3)


def test_without_min_facts_every_fact_is_needed():
    row = _score(_question(), "Nguyễn Văn An, Trần Thị Bình và Lê Văn Cường chủ trì [1].")
    assert row["all_facts"] is False and row["every_fact"] is False
    assert row["facts_required"] == 4 and row["min_facts"] is None
    full = _score(_question(), "Nguyễn Văn An, Trần Thị Bình, Lê Văn Cường và Phạm Văn Dũng chủ trì [1].")
    assert full["all_facts"] is True and full["every_fact"] is True


def test_a_refusal_is_wrong_even_when_its_text_names_enough_facts():
    row = _score(_question(min_facts=1), f"{NOT_FOUND} Nguyễn Văn An", found=False)
    assert row["refused"] is True
    assert row["all_facts"] is False and row["facts_found"] == 0


def test_facts_right_counts_found_facts_against_the_required_number():
    assert facts_right([True, False, True], 2, refused=False)
    assert not facts_right([True, False, False], 2, refused=False)
    assert facts_right([True, True], 2, refused=False)
    assert facts_right([], 0, refused=False) and not facts_right([], 0, refused=True)

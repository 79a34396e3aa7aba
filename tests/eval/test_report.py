"""Summaries and the Markdown report with ``min_facts`` questions."""

from __future__ import annotations

from eval.report import markdown, summarise


def _row(**overrides) -> dict:
    row = {
        "id": "q", "tags": ["entity"], "answerable": True, "question": "?", "understood": "?", "answer": "",
        "refused": False, "hit@1": 1.0, "hit@5": 1.0, "hit@10": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0,
        "all_facts": True, "every_fact": True, "facts_found": 1, "facts_required": 1, "min_facts": None,
        "fact_recall": 1.0, "token_f1": 1.0, "citations": [], "citations_correct": [True],
        "citation_recall": 1.0, "quote_mismatches": 0, "numbers": (1, 1), "latency_ms": 10.0, "retrieved": [],
    }
    row.update(overrides)
    return row


def _rows() -> list[dict]:
    return [
        _row(id="n1"),
        _row(id="l1", all_facts=True, every_fact=False, facts_found=3, facts_required=3, min_facts=3,
             fact_recall=0.75),
        _row(id="l2", all_facts=False, every_fact=False, facts_found=1, facts_required=2, min_facts=2,
             fact_recall=0.25),
        _row(id="u", answerable=False, refused=True, all_facts=None, every_fact=None, facts_found=None,
             facts_required=None, fact_recall=None, token_f1=None),
    ]


def test_all_facts_honours_min_facts_and_every_fact_stays_strict():
    summary = summarise(_rows(), {"name": "t"})
    assert summary["answer"]["all_facts"] == round(2 / 3, 3)
    assert summary["facts"] == {"every_fact": round(1 / 3, 3), "with_min_facts": 2}
    assert summary["answer"]["fact_recall"] == round(2 / 3, 3)  # per-fact metric unchanged
    assert [f["id"] for f in summary["failures"]] == ["l2"]


def test_rows_scored_before_min_facts_existed_still_summarise():
    new_keys = ("every_fact", "facts_found", "facts_required", "min_facts")
    old = {k: v for k, v in _row().items() if k not in new_keys}
    summary = summarise([old], {"name": "t"})
    assert summary["facts"] == {"every_fact": 1.0, "with_min_facts": 0}


def test_the_report_says_how_min_facts_counts_and_what_a_failed_question_found():
    text = markdown([summarise(_rows(), {"name": "t"})])
    assert "2 questions set `min_facts`" in text
    assert "facts found: 1 (needed 2)" in text


def test_the_report_is_silent_about_min_facts_when_no_question_sets_it():
    assert "min_facts" not in markdown([summarise([_row()], {"name": "t"})])


def test_a_wrong_lead_is_counted_and_listed_though_every_fact_is_found():
    rows = [_row(id="ok", lead_right=True), _row(id="wrong", lead_right=False), _row(id="plain", lead_right=None)]
    summary = summarise(rows, {"name": "t"})
    assert summary["answer"]["lead_right"] == 0.5 and summary["answer"]["all_facts"] == 1.0
    assert [f["id"] for f in summary["failures"]] == ["wrong"]
    assert "the lead states no gold fact" in markdown([summary])

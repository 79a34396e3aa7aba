"""The metric functions on hand-made cases whose right answers are known."""

from __future__ import annotations

from eval.answer_metrics import citation_correct, fact_in, lead_of, lead_right, numbers_supported, token_f1
from eval.gold import locate
from eval.report import summarise
from eval.retrieval_metrics import hit_at, mrr_at, ndcg_at, relevance
from rag.records import Citation


def test_numbers_are_compared_as_numbers_in_vietnamese_format():
    assert fact_in("5.851 tỷ đồng", "Thu ngân sách đạt 5851 tỷ đồng [1].")
    assert fact_in("5.851 tỷ đồng", "đạt 5.851,0 tỷ đồng")
    assert not fact_in("5.851 tỷ đồng", "đạt 58,51 tỷ đồng")
    assert fact_in("17,7%", "giảm 17,7 % so tháng trước")


def test_text_facts_ignore_case_tone_style_and_spacing():
    assert fact_in("Ủy ban nhân dân", "uỷ  ban\u00a0nhân dân tỉnh")
    assert not fact_in("chế biến thủy sản", "chế biến nông sản")


def test_a_citation_that_misses_the_evidence_lowers_precision():
    evidence = [("a.txt", 100, 160)]
    good = Citation(1, "a.txt", None, "", 120, 150, "đạt 5.851 tỷ đồng")
    off = Citation(2, "a.txt", None, "", 400, 450, "một đoạn khác")
    assert citation_correct(good, evidence, ["5.851 tỷ đồng"])
    assert not citation_correct(off, evidence, ["5.851 tỷ đồng"])
    assert citation_correct(Citation(3, "b.txt", None, "", 0, 20, "đạt 5.851 tỷ đồng"), evidence, ["5.851 tỷ đồng"])


def _row(**overrides):
    row = {
        "id": "q", "tags": ["numeric"], "answerable": True, "question": "?", "understood": "?", "answer": "",
        "refused": False, "hit@1": 1.0, "hit@5": 1.0, "hit@10": 1.0, "mrr@10": 1.0, "ndcg@10": 1.0,
        "all_facts": True, "fact_recall": 1.0, "token_f1": 1.0, "citations": [], "citations_correct": [True],
        "citation_recall": 1.0, "quote_mismatches": 0, "numbers": (1, 1), "latency_ms": 10.0, "retrieved": [],
    }
    row.update(overrides)
    return row


def test_a_refused_answerable_question_counts_as_wrong():
    summary = summarise([_row(), _row(id="r", refused=True, all_facts=False, fact_recall=0.0,
                                      citations_correct=[])], {"name": "t"})
    assert summary["answer"]["all_facts"] == 0.5
    assert summary["refusal"]["answerable_refused"] == 0.5
    assert [f["id"] for f in summary["failures"]] == ["r"]


def test_unanswerable_questions_must_be_refused():
    summary = summarise([_row(id="u", answerable=False, refused=False, tags=["unanswerable"], all_facts=None)],
                        {"name": "t"})
    assert summary["refusal"]["unanswerable_refused"] == 0.0 and len(summary["failures"]) == 1


def test_ranking_metrics():
    rel = relevance([("a", 0, 10), ("b", 0, 10), ("a", 50, 60)], [("a", 55, 58)])
    assert rel == [False, False, True]
    assert hit_at(rel, 1) == 0.0 and hit_at(rel, 5) == 1.0
    assert abs(mrr_at(rel, 10) - 1 / 3) < 1e-9
    assert abs(ndcg_at(rel, 10, 1) - 0.5) < 1e-9


def test_numbers_in_answers_must_be_in_the_cited_spans():
    assert numbers_supported("Đạt 5.851 tỷ đồng, vượt 6,8% [1].", ["đạt 5.851 tỷ đồng, vượt 6,8% kế hoạch"]) == (2, 2)
    assert numbers_supported("Đạt 9.999 tỷ đồng [1].", ["đạt 5.851 tỷ đồng"]) == (0, 1)


def test_token_f1_and_evidence_location():
    assert token_f1("đạt 5.851 tỷ đồng", "5.851 tỷ đồng") > 0.8
    assert token_f1("không liên quan", "5.851 tỷ đồng") == 0.0
    text = "Thu ngân sách nhà nước đạt 5.851 tỷ đồng,\nvượt 6,8% kế hoạch"
    assert locate("nhà nước đạt 5.851\u00a0tỷ đồng, vượt", text) == (14, 46)


def test_the_lead_is_the_item_before_the_dash_of_the_first_sentence():
    assert lead_of("5.851 tỷ đồng — Thu ngân sách đạt 5.851 tỷ đồng [1].") == "5.851 tỷ đồng"
    assert lead_of("Thu ngân sách đạt 5.851 tỷ đồng [1]. Tăng — giảm [2].") is None


def test_a_lead_naming_another_figure_is_wrong_though_the_quote_holds_the_fact():
    answer = "3.463 công văn — Tỉnh ban hành 6.778 văn bản (07 văn bản quy phạm pháp luật, 3.463 công văn) [1]."
    assert fact_in("07", answer) and lead_right(answer, ["07"]) is False
    assert lead_right("07 văn bản — Tỉnh ban hành 07 văn bản [1].", ["07"]) is True
    assert lead_right("Tỉnh ban hành 07 văn bản [1].", ["07"]) is None

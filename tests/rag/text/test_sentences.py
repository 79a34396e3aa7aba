from __future__ import annotations

import time

from rag.text.sentences import sentence_spans, split_sentences


def test_abbreviations_numbers_and_document_numbers_do_not_end_a_sentence():
    text = (
        "Tại TP. Hồ Chí Minh, thu đạt 5.851 tỷ đồng, tăng 74,4%. "
        "Thực hiện Nghị quyết số 84/NQ-CP ngày 29/5/2020 của Chính phủ. Sáng 31.8, UBND họp."
    )
    assert split_sentences(text) == [
        "Tại TP. Hồ Chí Minh, thu đạt 5.851 tỷ đồng, tăng 74,4%.",
        "Thực hiện Nghị quyết số 84/NQ-CP ngày 29/5/2020 của Chính phủ.",
        "Sáng 31.8, UBND họp.",
    ]


def test_newlines_and_semicolons_separate_clauses():
    assert split_sentences("Một; hai\nba! Bốn?") == ["Một;", "hai", "ba!", "Bốn?"]


def test_spans_are_exact_slices_inside_the_requested_range():
    text = "xx Câu một. Câu hai. yy"
    spans = list(sentence_spans(text, 3, 20))
    assert [text[s:e] for s, e in spans] == ["Câu một.", "Câu hai."]


def test_initials_do_not_end_a_sentence():
    assert split_sentences("Ông N. V. An phát biểu. Hết.") == ["Ông N. V. An phát biểu.", "Hết."]


def test_a_long_single_line_is_split_in_linear_time():
    """One 1 MB line (no newline) took minutes when each dot looked back to the start of the text."""
    line = "Thu ngân sách nhà nước đạt 5.851 tỷ đồng. Tại TP. Cà Mau, ông N. V. An ký. " * 14_000
    started = time.perf_counter()
    spans = list(sentence_spans(line))
    assert time.perf_counter() - started < 10.0  # the quadratic look-back (minutes) only, not a speed target
    assert len(spans) == 28_000
    assert line[spans[1][0] : spans[1][1]] == "Tại TP. Cà Mau, ông N. V. An ký."


def test_a_boundary_inside_brackets_that_close_on_the_line_does_not_end_a_sentence():
    text = "Trần Hưng Đạo (chữ Hán: 陳興道; ? - 1300), còn được gọi là Hưng Đạo đại vương. Ông là tướng."
    assert split_sentences(text) == [
        "Trần Hưng Đạo (chữ Hán: 陳興道; ? - 1300), còn được gọi là Hưng Đạo đại vương.",
        "Ông là tướng.",
    ]
    assert split_sentences("Messi (phát âm: [ˈmesi] (nghe); sinh 1987), cầu thủ. Hết.") == [
        "Messi (phát âm: [ˈmesi] (nghe); sinh 1987), cầu thủ.",
        "Hết.",
    ]


def test_a_bracket_left_open_or_closed_on_another_line_changes_no_boundary():
    assert split_sentences("Thu ngân sách (tính đến 31/8. Đạt 5.851 tỷ đồng.\nDòng mới).") == [
        "Thu ngân sách (tính đến 31/8.",
        "Đạt 5.851 tỷ đồng.",
        "Dòng mới).",
    ]
    assert split_sentences("Cho ý kiến vào: Quy chế A; Đề án B (sửa đổi); Kế hoạch C.") == [
        "Cho ý kiến vào: Quy chế A;",
        "Đề án B (sửa đổi);",
        "Kế hoạch C.",
    ]

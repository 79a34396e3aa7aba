from __future__ import annotations

from rag.text.statements import MAX_STATEMENT_CHARS, reads_as_language


def test_a_report_sentence_reads_as_language():
    assert reads_as_language(
        "Thu ngân sách nhà nước trên địa bàn năm 2021 đạt 5.851 tỷ đồng, vượt 4,5% dự toán, tăng 12% so với "
        "cùng kỳ năm trước; trong đó thu nội địa đạt 5.300 tỷ đồng, thu từ hoạt động xuất nhập khẩu đạt 551 tỷ đồng."
    )


def test_a_run_longer_than_any_sentence_is_not_a_statement():
    assert not reads_as_language("thu ngân sách đạt một tỷ đồng và tăng nhiều " * (MAX_STATEMENT_CHARS // 40 + 5))


def test_a_few_words_repeated_over_and_over_are_not_a_statement():
    assert not reads_as_language("ngân sách đạt 1 tỷ đồng " * 30)
    assert reads_as_language("ngân sách đạt 1 tỷ đồng")  # short: too few words to judge

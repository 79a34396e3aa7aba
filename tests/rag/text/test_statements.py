from __future__ import annotations

import random
from pathlib import Path

import pytest

from rag.text.normalize import fold_diacritics
from rag.text.sentences import sentence_spans
from rag.text.statements import MAX_STATEMENT_CHARS, reads_as_language, word_order

SAMPLE_DIR = Path(__file__).resolve().parents[3] / "data" / "sample_reports"
QUESTION_WORDS = "Thu ngân sách năm 2021 của Cà Mau đạt 1 tỷ đồng".split()


def _report_words() -> list[str]:
    return [w.strip(".;!?…") or w for p in sorted(SAMPLE_DIR.glob("*.txt")) for w in p.read_text(encoding="utf-8").split()]


def _salad(n: int, seed: int, keywords: int = 2) -> str:
    """``n`` report words drawn at random, stuffed with the question's words and a figure."""
    rng = random.Random(seed)
    words = rng.sample(_report_words(), n) + QUESTION_WORDS * keywords
    rng.shuffle(words)
    return " ".join(words)


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


def test_a_list_of_keyword_phrases_said_again_and_again_is_not_a_statement():
    phrases = ["thu ngân sách", "năm 2021 của", "Cà Mau đạt", "1 tỷ đồng", *random.Random(3).sample(_report_words(), 12)]
    listed = ", ".join(phrases * 3) + "."
    words = listed.lower().split()
    assert len(set(words)) / len(words) > 0.3  # many distinct words: each phrase is said again
    assert not reads_as_language(listed)


@pytest.mark.parametrize("seed", range(5))
def test_shuffled_report_words_stuffed_with_the_questions_words_are_not_language(seed: int):
    salad = _salad(40, seed)
    assert word_order(salad)[0] < 0 < word_order(" ".join(QUESTION_WORDS))[0]
    assert not reads_as_language(salad)


def test_shuffled_words_typed_without_diacritics_are_not_language():
    assert not reads_as_language(fold_diacritics(_salad(40, seed=7)))
    assert reads_as_language(fold_diacritics(
        "Thu ngân sách nhà nước trên địa bàn năm 2021 đạt 5.851 tỷ đồng, vượt 4,5% dự toán, tăng 12% so với "
        "cùng kỳ năm trước, trong đó thu nội địa đạt 5.300 tỷ đồng."))


def test_a_short_piece_of_salad_is_judged_with_the_passage_it_stands_in():
    passage = ". ".join(_salad(6, seed=s, keywords=1).capitalize() for s in range(8)) + "."
    first = passage[: passage.index(".") + 1]
    assert reads_as_language(first)  # ten words alone say too little
    assert not reads_as_language(first, passage)


def test_every_sentence_of_the_sample_reports_reads_as_language_in_its_passage():
    refused = []
    for path in sorted(SAMPLE_DIR.glob("*.txt")):
        text = path.read_text(encoding="utf-8")
        for p in range(0, len(text), 800):
            passage = text[p : p + 800]
            refused += [passage[s:e] for s, e in sentence_spans(passage) if not reads_as_language(passage[s:e], passage)]
    assert not refused


@pytest.mark.parametrize("text", [
    "Chỉ tiêu: Sản lượng khóm (tấn) · Quý III/2023: 58.300 · So cùng kỳ (%): tăng 8,2",
    "| Doanh thu bán lẻ hàng hóa | 1.142 tỷ đồng | tăng 11,4% |",
    "Nơi nhận: - Như trên; - Lưu: VT, KT.",
    "The provincial budget revenue in 2021 reached 5,851 billion dong, exceeding the plan by 6.8 percent.",
])
def test_table_rows_signatures_and_other_languages_read_as_language(text: str):
    assert reads_as_language(text, text)

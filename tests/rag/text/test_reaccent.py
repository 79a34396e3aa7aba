from __future__ import annotations

from rag.text.reaccent import reaccent

PASSAGES = [
    "Chỉ số sản xuất toàn ngành công nghiệp ước tăng 6,02% so với tháng trước;",
    "giá trị sản xuất công nghiệp đạt 846,6 tỷ đồng. UBND tỉnh Hà Giang. Tỷ lệ tham gia BHXH bắt buộc.",
    "Số hộ thoát nghèo; số người tham gia; so với cùng kỳ.",
]


def test_runs_of_accent_free_words_take_the_spelling_of_the_passages():
    assert reaccent("chi so san xuat cong nghiep ha giang", PASSAGES) == "chỉ số sản xuất công nghiệp hà giang"


def test_a_lone_syllable_spelled_two_ways_in_the_passages_stays_as_typed():
    # "so" is "số" and "so" in the passages; alone, it cannot be told
    assert reaccent("so", PASSAGES) == "so"
    assert reaccent("so voi cung ky", PASSAGES) == "so với cùng kỳ"


def test_words_typed_with_accents_or_unknown_to_the_passages_stay_as_typed():
    assert reaccent("chỉ so san xuất", PASSAGES).startswith("chỉ")
    assert reaccent("xuat khau", PASSAGES) == "xuất khau"  # "khau" is in no passage


def test_the_case_the_user_typed_is_kept():
    assert reaccent("Ty le tham gia BHXH bat buoc o Ha Giang", PASSAGES) == "Tỷ lệ tham gia BHXH bắt buộc o Hà Giang"


def test_numbers_and_punctuation_are_untouched():
    assert reaccent("thang 8/2021 tang bao nhieu %?", PASSAGES) == "tháng 8/2021 tăng bao nhieu %?"

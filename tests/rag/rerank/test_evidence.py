from __future__ import annotations

from rag.query.analyze import analyze
from rag.records import DocumentMetadata, Period
from rag.rerank.evidence import (
    KeywordMatcher,
    asked_unit,
    mentioned_years,
    period_match,
    province_match,
    stated_years,
)
from rag.text.abbreviations import load_abbreviations
from rag.text.entities import ORDINAL, holds_answer_type, informative_numbers


def _flat_idf(token: str) -> float:
    """A fake IDF (every word weighs 1): the coverage logic does not depend on corpus statistics."""
    return 1.0


def test_figures_exclude_years_and_codes_like_covid_19():
    assert informative_numbers("năm 2021 dịch COVID-19 có 5.851 tỷ đồng, tăng 74,4%") == ["5.851", "74,4%"]


def test_the_counted_noun_of_a_question_is_its_unit():
    assert asked_unit("Tỉnh có bao nhiêu xã đạt chuẩn?") == "xa"
    assert asked_unit("Thu ngân sách đạt bao nhiêu?") is None
    assert asked_unit("tăng bao nhiêu so với cùng kỳ") is None


def test_a_counted_loanword_asks_no_unit_the_text_would_write_in_vietnamese():
    assert asked_unit("Wikipedia có bao nhiêu server?") is None  # the text counts "800 máy chủ"
    assert asked_unit("Sia phát hành mấy album?") is None
    assert asked_unit("Điện sản xuất đạt bao nhiêu kWh?") == "kwh"  # a unit symbol is written as asked
    assert asked_unit("bao nhieu nguoi") == "nguoi"  # accent-free Vietnamese is Vietnamese


def test_a_measure_spelled_out_asks_its_symbol():
    assert asked_unit("Trồng được bao nhiêu héc-ta?") == "ha"
    assert asked_unit("bao nhieu hec ta") == "ha"
    assert asked_unit("Xuất khẩu bao nhiêu đô la Mỹ?") == "usd"
    assert asked_unit("Diện tích bao nhiêu mét vuông?") == "m2"
    assert asked_unit("Đường dài bao nhiêu cây số?") == "km"
    assert asked_unit("Tỉnh có bao nhiêu đô thị?") == "do"  # "đô" of "đô thị" is no dollar


def test_spoken_nhieu_without_bao_asks_a_figure_with_its_unit():
    assert asked_unit("Vé vào cửa nhiêu tiền?") == "tien"
    assert asked_unit("Đất phì nhiêu nhất vùng nào?") is None


def test_the_counted_noun_is_folded_so_either_spelling_of_i_counts():
    assert asked_unit("Hoa Kì đã trải qua bao nhiêu kì tổng thống?") == "ki"
    assert holds_answer_type("là 56 nhiệm kỳ bốn năm", "number", asked_unit("bao nhiêu kì tổng thống"))


def test_a_number_must_come_with_the_asked_unit():
    assert holds_answer_type("có 46 xã đạt chuẩn", "number", "xa")
    assert holds_answer_type("có 12/22 các chỉ tiêu đạt", "number", "chi")
    assert not holds_answer_type("tỷ lệ số người tham gia đạt 95,5%", "number", "nguoi")


def test_answer_types_for_people_dates_and_document_numbers():
    assert holds_answer_type("đồng chí Lê Văn Sử, Phó Chủ tịch", "person")
    assert holds_answer_type("PHÓ CHỦ TỊCH\n\nLâm Văn Bi", "person")
    assert holds_answer_type("ban hành ngày 26/8/2020", "date")
    assert holds_answer_type("theo Quyết định số 1631/QĐ-UBND", "docref")
    assert not holds_answer_type("không có số hiệu văn bản", "docref")


def test_comparison_years_are_not_the_passage_period():
    assert mentioned_years("tăng 2 điểm so với năm 2019") == set()
    assert mentioned_years("tăng 3% so với cùng kỳ năm 2020") == {2021}
    assert mentioned_years("PCI năm 2019 đạt 64,1 điểm") == {2019}


def test_period_match_prefers_the_asked_period_and_rejects_others():
    question = analyze("Thu ngân sách tháng 8 năm 2021 đạt bao nhiêu?")
    right = DocumentMetadata(period=Period("month", 2021, 8))
    wrong = DocumentMetadata(period=Period("month", 2020, 8))
    unknown = DocumentMetadata()
    assert period_match(question, right, "").score == 1.0
    assert period_match(question, wrong, "thu ngân sách đạt 200 tỷ đồng").score < 0
    assert period_match(question, unknown, "tăng 5% so với cùng kỳ năm 2020").score > 0
    assert period_match(question, unknown, "không rõ thời gian").score == 0.0


def test_province_match_is_neutral_when_unknown():
    question = analyze("Thu ngân sách của Cà Mau đạt bao nhiêu?")
    assert province_match(question, DocumentMetadata(province="Cà Mau")) == 1.0
    assert province_match(question, DocumentMetadata(province="Bạc Liêu")) == -1.0
    assert province_match(question, DocumentMetadata()) == 0.0


def test_coverage_counts_topic_words_not_the_period_or_province():
    matcher = KeywordMatcher(analyze("Dân số tỉnh Cà Mau năm 2021 là bao nhiêu người?"), _flat_idf,
                             load_abbreviations())
    assert matcher.coverage("Kinh tế - xã hội tỉnh Cà Mau năm 2021 tăng 5 bậc") < 0.2
    assert matcher.coverage("Dân số toàn tỉnh năm 2021 là 1.194.300 người") > 0.9


def test_coverage_meets_either_spelling_of_i_and_a_number_typed_without_dots():
    matcher = KeywordMatcher(analyze("ti le ho ngheo giam 0,33% hay 250000 ho?"), _flat_idf, load_abbreviations())
    assert matcher.coverage("Tỷ lệ hộ nghèo giảm 0,33%, còn 250.000 hộ") == 1.0
    in_a_quarter = KeywordMatcher(analyze("Thu ngân sách quí 3 năm 2021 đạt bao nhiêu?"), _flat_idf,
                                  load_abbreviations())
    assert "qui" not in in_a_quarter.keywords  # "quí" names the period, like "quý", not the topic


def test_a_place_that_describes_the_province_identifies_the_report_not_the_fact():
    # typed without capitals or accents, so only the place's grammar says it describes the province
    matcher = KeywordMatcher(analyze("o tinh co thi tran yen minh bao nhieu ho da lam nha"), _flat_idf,
                             load_abbreviations())
    assert not {"yen", "minh", "tran"} & set(matcher.keywords)
    assert matcher.coverage("lũy kế 5.030 hộ đã làm nhà") > matcher.coverage("thị trấn Yên Minh và Mèo Vạc")
    asked = KeywordMatcher(analyze("huyen dam doi co bao nhieu ho ngheo"), _flat_idf, load_abbreviations())
    assert {"dam", "doi"} <= set(asked.keywords)


def test_coverage_matches_abbreviations_and_missing_accents():
    matcher = KeywordMatcher(analyze("Chỉ tiêu KT-XH nào chưa đạt?"), _flat_idf, load_abbreviations())
    assert matcher.coverage("các chỉ tiêu kinh tế - xã hội chưa đạt") > 0.8
    plain = KeywordMatcher(analyze("thu ngan sach dat bao nhieu"), _flat_idf, load_abbreviations())
    assert plain.coverage("Thu ngân sách đạt 5.851 tỷ đồng") == 1.0
    assert plain.coverage("Thu ngân sách nhà nước đạt 5.851 tỷ đồng") < 1.0  # "sách đạt" not adjacent


def test_words_found_only_in_the_passage_count_half():
    matcher = KeywordMatcher(analyze("Phần mềm truy vết nào được khuyến cáo cài đặt?"), _flat_idf,
                             load_abbreviations())
    alone = matcher.coverage("cài đặt và sử dụng Bluezone")
    with_context = matcher.coverage("cài đặt và sử dụng Bluezone", "khuyến cáo người dân dùng phần mềm truy vết")
    assert with_context > alone


# --- stated_years (issue 17) ---------------------------------------------------------------------


def test_a_sentence_states_the_year_of_its_fact():
    assert stated_years("năm 2019 xếp hạng 49 cả nước") == {2019}
    assert stated_years("Năm 2019, tỉnh xếp hạng 49") == {2019}
    assert stated_years("giai đoạn năm 2019 - 2020 tăng 3 bậc") == {2019, 2020}


def test_a_compared_year_is_not_stated():
    assert stated_years("tăng 2 điểm so với năm 2018") == set()
    assert stated_years("so với năm 2018, năm 2019 tăng 4 bậc") == {2019}


def test_same_period_last_year_states_the_year_after():
    assert stated_years("tăng 5% so với cùng kỳ năm 2020") == {2021}
    assert stated_years("Tổng mức bán lẻ tăng 8,2% so cùng kỳ năm 2020") == {2021}


def test_a_date_names_when_not_the_period():
    assert stated_years("Kế hoạch ban hành ngày 05/11/2019") == set()
    assert stated_years("thu ngân sách tăng mạnh") == set()


def test_a_date_written_in_words_names_when_not_the_period():
    assert stated_years("Kế hoạch ban hành ngày 05 tháng 11 năm 2019") == set()


# --- province_match after the 2025 merger (issue 17) ---------------------------------------------


def test_a_report_after_the_merger_answers_for_an_absorbed_province_with_half_weight():
    question = analyze("Thu ngân sách của Bạc Liêu đạt bao nhiêu?")
    assert question.province == "Bạc Liêu"
    assert province_match(question, DocumentMetadata(province="Cà Mau", period=Period("year", 2026))) == 0.5
    assert province_match(question, DocumentMetadata(province="Cà Mau", date="2026-03-01")) == 0.5


def test_a_report_before_the_merger_does_not_answer_for_another_province():
    question = analyze("Thu ngân sách của Bạc Liêu đạt bao nhiêu?")
    assert province_match(question, DocumentMetadata(province="Cà Mau", period=Period("year", 2024))) == -1.0
    assert province_match(question, DocumentMetadata(province="Cà Mau", date="2024-03-01")) == -1.0
    assert province_match(question, DocumentMetadata(province="Cà Mau")) == -1.0  # no year: not covered


def test_the_merger_covers_only_the_absorbed_provinces():
    question = analyze("Thu ngân sách của Bạc Liêu đạt bao nhiêu?")
    kien_giang = DocumentMetadata(province="Kiên Giang", period=Period("year", 2026))
    assert province_match(question, kien_giang) == -1.0
    assert province_match(question, DocumentMetadata(province="Bạc Liêu", period=Period("year", 2026))) == 1.0


def test_an_absorbed_province_does_not_answer_for_the_one_that_absorbed_it():
    question = analyze("Thu ngân sách của Cà Mau đạt bao nhiêu?")
    bac_lieu = DocumentMetadata(province="Bạc Liêu", period=Period("year", 2026))
    assert province_match(question, bac_lieu) == -1.0


def test_a_report_of_early_2025_predates_the_merger():
    question = analyze("Thu ngân sách của Bạc Liêu đạt bao nhiêu?")
    march_2025 = DocumentMetadata(province="Cà Mau", period=Period("month", 2025, 3))
    assert province_match(question, march_2025) == -1.0


def test_a_rank_question_asks_for_an_ordinal_not_for_the_noun_after_may() -> None:
    # "thế" of "thứ mấy thế giới" is no counted noun: the question asks a rank
    assert asked_unit("Năm 2008 ông là người giàu thứ mấy thế giới?") == ORDINAL
    assert asked_unit("chi so PCI xep hang may ca nuoc") == ORDINAL
    assert asked_unit("Tỉnh có mấy xã đạt chuẩn?") == "xa"
    # revenue asked without accents is no rank
    assert asked_unit("thang 8 tinh thu bao nhieu ty dong") != ORDINAL


def test_a_fact_held_from_one_year_to_another_is_of_every_year_between():
    sentence = "Ông là người giàu nhất thế giới từ 1995 tới 2014."
    assert 2000 in mentioned_years(sentence)
    assert 2000 in stated_years("Từ năm 1995 đến năm 2014 ông là người giàu nhất thế giới.")


def test_a_function_word_after_bao_nhieu_is_no_counted_noun():
    assert asked_unit("Facebook trả bao nhiêu để mua Instagram?") is None
    assert asked_unit("Điểm trung bình là bao nhiêu mới được học vượt?") is None

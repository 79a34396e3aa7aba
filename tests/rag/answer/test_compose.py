from __future__ import annotations

from rag.answer.compose import deciding_figure, lead_item, yes_or_no
from rag.query.analyze import QueryAnalysis, analyze
from rag.rerank.evidence import KeywordMatcher
from rag.text.abbreviations import default_abbreviations

TWO_FIGURES = "Kim ngạch xuất khẩu đạt 1.112,5 triệu USD, thu ngân sách năm 2021 đạt 5.851 tỷ đồng."


def _asked(question: str) -> tuple[QueryAnalysis, KeywordMatcher]:
    analysis = analyze(question)
    return analysis, KeywordMatcher(analysis, lambda t: 1.0, default_abbreviations())


def _lead(question: str, sentence: str) -> str | None:
    analysis, matcher = _asked(question)
    return lead_item(analysis, sentence, matcher)


def _verdict(question: str, sentence: str) -> str:
    analysis, _ = _asked(question)
    assert analysis.form == "yesno"
    return yes_or_no(analysis, sentence)


# --- lead_item -----------------------------------------------------------------------------------


def test_the_figure_whose_lead_in_covers_the_question_is_chosen():
    assert _lead("Thu ngân sách năm 2021 đạt bao nhiêu?", TWO_FIGURES) == "5.851 tỷ đồng"
    assert _lead("Kim ngạch xuất khẩu đạt bao nhiêu?", TWO_FIGURES) == "1.112,5 triệu USD"


def test_a_keyword_question_naming_an_indicator_gets_its_figure():
    assert _lead("thu ngan sach 2021 ca mau", TWO_FIGURES) == "5.851 tỷ đồng"


def test_the_figure_keeps_its_unit():
    assert _lead("Tỷ lệ hộ nghèo năm 2021 là bao nhiêu?", "Tỷ lệ hộ nghèo năm 2021 còn 2,35%.") == "2,35%"


def test_a_figure_with_the_asked_unit_is_preferred():
    sentence = "Có 1.200 người tham gia, 46 xã đạt chuẩn nông thôn mới."
    assert _lead("Tỉnh có bao nhiêu xã đạt chuẩn nông thôn mới?", sentence) == "46 xã"


def test_the_figure_that_counts_the_asked_noun_leads_with_the_noun():
    # "2" counts the teams, "72" the doctors asked for; the noun is not among the report units
    sentence = "Cử 2 đoàn cán bộ y tế gồm 72 y, bác sĩ hỗ trợ Thành phố Hồ Chí Minh chống dịch."
    assert _lead("Tỉnh cử bao nhiêu y bác sĩ hỗ trợ Thành phố Hồ Chí Minh?", sentence) == "72 y"


def test_the_figure_stated_by_the_asked_verb_is_chosen():
    sentence = "Vốn đầu tư phát triển đạt 61,2% kế hoạch năm và tăng 8,5% so cùng kỳ."
    assert _lead("Vốn đầu tư phát triển tăng bao nhiêu so với cùng kỳ?", sentence) == "8,5%"
    assert _lead("Vốn đầu tư phát triển đạt bao nhiêu phần trăm kế hoạch?", sentence) == "61,2%"


def test_the_base_of_a_comparison_written_after_the_figure_tells_the_figures_apart():
    sentence = "Doanh thu du lịch tăng 2,4% so với tháng trước, lũy kế tăng 6,1% so cùng kỳ."
    assert _lead("Doanh thu du lịch tăng bao nhiêu so với tháng trước?", sentence) == "2,4%"
    assert _lead("Doanh thu du lịch lũy kế tăng bao nhiêu so với cùng kỳ?", sentence) == "6,1%"


def test_an_achieved_figure_is_not_taken_for_the_target_it_is_compared_with():
    sentence = "Tỷ lệ giải ngân chỉ đạt 41,5%, thấp so với mục tiêu đề ra (70%)."
    assert _lead("Tỷ lệ giải ngân đạt bao nhiêu so với mục tiêu đề ra?", sentence) == "41,5%"


def test_a_counted_figure_leads_with_as_much_of_the_asked_noun_as_is_written():
    sentence = "Sở ban hành 2.105 văn bản (04 văn bản quy phạm pháp luật, 812 công văn, 1.289 văn bản khác)."
    lead = _lead("Sở đã ban hành bao nhiêu văn bản quy phạm pháp luật?", sentence)
    assert lead == "04 văn bản quy phạm pháp luật"
    sentence = "Tỉnh tặng 5.000 khẩu trang y tế cho đối tác Nhật Bản."
    assert _lead("Tỉnh tặng bao nhiêu khẩu trang y tế cho đối tác?", sentence) == "5.000 khẩu trang y tế"
    sentence = "Phiên họp cho ý kiến vào 9 tờ trình của các sở."
    assert _lead("Phiên họp cho ý kiến vào bao nhiêu tờ trình của các sở?", sentence) == "9 tờ trình"


def test_a_report_unit_counted_once_leads_alone_and_counted_twice_with_what_tells_it_apart():
    sentence = "Văn phòng đã tiếp nhận và xử lý 1.204 văn bản đến."
    assert _lead("Văn phòng đã tiếp nhận bao nhiêu văn bản đến?", sentence) == "1.204 văn bản"
    sentence = "Toàn huyện có 9.120 người tiêm vắc xin (trong đó 4.002 người đã tiêm đủ 2 liều)."
    assert _lead("Huyện có bao nhiêu người tiêm vắc xin?", sentence) == "9.120 người tiêm vắc xin"
    assert _lead("Bao nhiêu người đã tiêm đủ 2 liều?", sentence) == "4.002 người"


def test_a_rank_question_leads_with_the_rank_not_the_score():
    sentence = "Tỉnh Cà Mau đứng thứ 45/63 trên bảng xếp hạng PCI năm 2019 với 64,1 điểm."
    assert _lead("Cà Mau đứng thứ mấy về PCI năm 2019?", sentence) == "45/63"


def test_a_phrase_question_has_no_lead_item():
    assert _lead("Tình hình thu ngân sách ra sao?", TWO_FIGURES) is None


def test_no_figure_no_lead():
    assert _lead("Thu ngân sách năm 2021 đạt bao nhiêu?", "Thu ngân sách năm 2021 đạt khá.") is None


def test_a_person_is_led_with_their_title():
    sentence = "Phó Chủ tịch UBND tỉnh Lâm Văn Bi chủ trì phiên họp thường kỳ tháng 8."
    assert _lead("Ai chủ trì phiên họp?", sentence) == "Phó Chủ tịch UBND tỉnh Lâm Văn Bi"


def test_a_date_is_led_without_the_document_number():
    sentence = "Kế hoạch số 142/KH-UBND ngày 05/11/2019 về phòng, chống dịch bệnh."
    assert _lead("Kế hoạch phòng chống dịch được ban hành khi nào?", sentence) == "ngày 05/11/2019"


def test_the_asked_document_number_is_not_its_own_answer():
    sentence = "Kế hoạch số 142/KH-UBND thực hiện Quyết định số 1631/QĐ-UBND của tỉnh."
    assert _lead("Kế hoạch 142/KH-UBND thực hiện văn bản nào?", sentence) == "1631/QĐ-UBND"


def test_an_item_that_is_the_whole_sentence_is_no_lead():
    assert _lead("Kế hoạch ban hành khi nào?", "ngày 05/11/2019") is None


# --- yes_or_no -----------------------------------------------------------------------------------


def test_a_share_of_the_plan_below_100_is_no():
    sentence = "Thu ngân sách đạt 2.850 tỷ đồng, đạt 48,4% kế hoạch."
    assert _verdict("Thu ngân sách năm 2021 có đạt kế hoạch không?", sentence) == "Không"


def test_exceeding_the_plan_is_yes_even_by_a_small_percentage():
    sentence = "Thu ngân sách đạt 5.851 tỷ đồng, vượt 1,1% kế hoạch."
    assert _verdict("Thu ngân sách năm 2021 có đạt kế hoạch không?", sentence) == "Có"


def test_a_share_of_the_plan_of_100_or_more_is_yes():
    sentence = "Thu ngân sách đạt 5.851 tỷ đồng, đạt 101,1% kế hoạch."
    assert _verdict("Thu ngân sách năm 2021 có đạt kế hoạch không?", sentence) == "Có"


def test_not_reaching_is_no():
    sentence = "Giải ngân vốn đầu tư công chưa đạt kế hoạch đề ra."
    assert _verdict("Giải ngân vốn đầu tư công có đạt kế hoạch không?", sentence) == "Không"


def test_a_fall_asked_as_a_rise_is_no_and_the_reverse():
    fell = "Kim ngạch xuất khẩu giảm 3,2% so với cùng kỳ."
    assert _verdict("Kim ngạch xuất khẩu có tăng không?", fell) == "Không"
    assert _verdict("Số ca mắc có giảm không?", "Số ca mắc tăng 12 ca so với tháng trước.") == "Không"


def test_a_rise_asked_as_a_rise_is_yes():
    rose = "Kim ngạch xuất khẩu tăng 3,2% so với cùng kỳ."
    assert _verdict("Kim ngạch xuất khẩu có tăng không?", rose) == "Có"


def test_the_deciding_figure_of_a_rate_of_change():
    analysis, matcher = _asked("Kim ngạch xuất khẩu có tăng không?")
    assert deciding_figure(analysis, "Kim ngạch xuất khẩu giảm 3,2% so với cùng kỳ.", matcher) == "3,2%"


def test_the_deciding_figure_of_a_plan_question_is_the_share():
    analysis, matcher = _asked("Thu ngân sách năm 2021 có đạt kế hoạch không?")
    sentence = "Thu ngân sách đạt 2.850 tỷ đồng, đạt 48,4% kế hoạch."
    assert deciding_figure(analysis, sentence, matcher) == "48,4%"


def test_a_growth_rate_before_the_share_of_the_plan_does_not_decide():
    sentence = "Thu ngân sách đạt 5.851 tỷ đồng, tăng 17,7% so với cùng kỳ, đạt 104% dự toán."
    assert _verdict("Thu ngân sách có đạt dự toán không?", sentence) == "Có"


def test_a_negation_in_another_clause_does_not_turn_the_answer():
    sentence = "Số ca mắc giảm 30% so với tháng trước, không có ca tử vong."
    assert _verdict("Số ca mắc có giảm không?", sentence) == "Có"


def test_tang_truong_is_not_a_rise():
    sentence = "Tốc độ tăng trưởng kinh tế giảm còn 3,2%."
    assert _verdict("Tốc độ tăng trưởng kinh tế có tăng không?", sentence) == "Không"


# --- table rows ------------------------------------------------------------------------------------

BUDGET_ROW = ("Chỉ tiêu: Thu ngân sách nhà nước · Đơn vị tính: tỷ đồng · Kế hoạch năm 2022: 4.120 · "
              "Thực hiện 9 tháng: 3.275,6 · So với kế hoạch (%): 79,5")


def test_a_table_row_answers_with_the_done_column_its_unit_and_the_plan():
    assert _lead("Thu ngân sách nhà nước 9 tháng năm 2022 đạt bao nhiêu?", BUDGET_ROW) == (
        "Thực hiện 9 tháng: 3.275,6 tỷ đồng (Kế hoạch năm 2022: 4.120)"
    )


def test_a_question_naming_the_plan_column_gets_the_plan():
    assert _lead("Kế hoạch thu ngân sách nhà nước năm 2022 là bao nhiêu?", BUDGET_ROW) == (
        "Kế hoạch năm 2022: 4.120 tỷ đồng"
    )


def test_a_question_naming_a_comparison_column_gets_that_column():
    row = "Chỉ tiêu: Doanh thu bán lẻ (tỷ đồng) · Quý III/2023: 1.142 · So cùng kỳ (%): tăng 11,4"
    assert _lead("Doanh thu bán lẻ quý III tăng bao nhiêu so với cùng kỳ?", row) == "So cùng kỳ (%): tăng 11,4"
    assert _lead("Doanh thu bán lẻ quý III/2023 đạt bao nhiêu tỷ đồng?", row) == "Quý III/2023: 1.142 tỷ đồng"


def test_prose_with_a_middle_dot_is_not_read_as_a_table_row():
    sentence = "Thu ngân sách · tăng mạnh, đạt 5.851 tỷ đồng."
    assert _lead("Thu ngân sách đạt bao nhiêu?", sentence) == "5.851 tỷ đồng"

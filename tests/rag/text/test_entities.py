from __future__ import annotations

import pytest

from rag.text.entities import (
    LOWER,
    MONEY,
    ORDINAL,
    UPPER,
    capitalised_names,
    figure_items,
    holds_answer_type,
    holds_number_with_unit,
    measures_as_symbols,
    parse_number,
    past_the_measure,
    past_the_plan,
    person_items,
    plan_share,
    refers_back,
    without_given,
    without_plans,
)


def _figures(text: str) -> list[str]:
    return [item.text for item in figure_items(text)]


# --- figure_items --------------------------------------------------------------------------------


def test_figures_keep_their_unit_money_percent_and_counted_noun():
    text = "Thu ngân sách đạt 5.851 tỷ đồng, tăng 17,7% so với năm 2020; có 46 xã đạt chuẩn."
    assert _figures(text) == ["5.851 tỷ đồng", "17,7%", "46 xã"]


def test_a_price_in_dollars_keeps_its_sign():
    assert _figures("một cây bút laser bị hư giá 14,83$.") == ["14,83$"]


def test_figure_items_spans_are_exact_slices_of_the_text():
    text = "Kim ngạch xuất khẩu đạt 1.112,5 triệu USD, có 12 dự án mới."
    items = figure_items(text)
    assert [i.text for i in items] == ["1.112,5 triệu USD", "12 dự án"]
    assert all(text[i.start : i.end] == i.text for i in items)


def test_the_longest_unit_wins_ty_dong_over_ty():
    assert _figures("chi 350 tỷ đồng cho đầu tư") == ["350 tỷ đồng"]
    assert _figures("tổng vốn 350 tỷ, giải ngân chậm") == ["350 tỷ"]


def test_a_figure_without_a_known_unit_is_the_bare_number():
    assert _figures("xếp hạng 49 trên cả nước") == ["49"]


def test_years_are_not_figures():
    assert _figures("Năm 2021 và năm 2020 không có số liệu") == []
    assert _figures("từ 2019 - 2020 có 2 huyện") == ["2 huyện"]


def test_dates_are_not_figures():
    assert _figures("ban hành ngày 05/11/2019") == []
    assert _figures("ngày 26/8/2020 có 7 hồ sơ") == ["7 hồ sơ"]
    assert _figures("trong tháng 8/2020 xảy ra 12 vụ") == ["12 vụ"]
    assert _figures("ngày 5 tháng 11 năm 2019 tiếp nhận 7 hồ sơ") == ["7 hồ sơ"]


def test_document_numbers_are_not_figures():
    assert _figures("Kế hoạch số 142/KH-UBND ngày 05/11/2019 về phòng, chống dịch") == []
    assert _figures("theo Nghị định số 15/2020/NĐ-CP") == []
    assert _figures("theo Quyết định 1631/QĐ-UBND có 3 dự án") == ["3 dự án"]


def test_party_style_document_numbers_are_not_figures():
    assert _figures("thực hiện Nghị quyết số 05-NQ/TU của Tỉnh ủy") == []


def test_a_hyphenated_code_like_covid_19_is_not_a_figure():
    assert _figures("dịch COVID-19 có 3 ca") == ["3 ca"]


# --- holds_answer_type ---------------------------------------------------------------------------


def test_number_type_needs_a_figure_not_a_year():
    assert holds_answer_type("có 46 xã đạt chuẩn", "number")
    assert not holds_answer_type("trong năm 2021", "number")
    assert not holds_answer_type("thu ngân sách tăng mạnh", "number")


def test_number_type_with_an_asked_unit_needs_that_unit():
    assert holds_answer_type("có 46 xã đạt chuẩn", "number", "xa")
    assert not holds_answer_type("có 46 xã đạt chuẩn", "number", "nguoi")
    assert holds_answer_type("có 1.200 người tham gia", "number", "nguoi")


def test_a_figure_counts_its_measure_however_the_measure_is_spelled():
    assert holds_number_with_unit("khoảng 149,6 triệu kilômét (1 AU)", "km")
    assert holds_number_with_unit("bao phủ 7.000.000 km vuông", "km2")
    assert holds_number_with_unit("bao phủ 7.000.000 km²", "km2")
    assert holds_number_with_unit("đạt 1.112,5 triệu USD", "usd")
    assert not holds_number_with_unit("có 7.000 người", "km")
    assert not holds_number_with_unit("rộng 120 m2", "m")  # square metres are no length


def test_a_measure_spelled_out_where_a_measure_stands_is_written_as_its_symbol():
    assert measures_as_symbols("Trồng được bao nhiêu héc-ta?") == "Trồng được bao nhiêu ha?"
    assert measures_as_symbols("bao nhiêu triệu đô la Mỹ?") == "bao nhiêu triệu USD?"
    assert measures_as_symbols("dài 5 ki-lô-mét") == "dài 5 km"
    assert measures_as_symbols("bao nhieu hec ta") == "bao nhieu ha"
    # only after a figure or "bao nhiêu": "ha giang" typed without accents is a place
    assert measures_as_symbols("ha giang trong bao nhieu ha") == "ha giang trong bao nhieu ha"
    assert measures_as_symbols("Tỉnh có bao nhiêu đô thị?") == "Tỉnh có bao nhiêu đô thị?"


def test_one_written_as_a_word_counts_only_right_before_the_counted_noun():
    assert holds_number_with_unit("Mỗi lớp sinh viên có một cố vấn học tập.", "co")
    assert not holds_number_with_unit("Một số xã đã có cố vấn pháp luật.", "co")


def test_date_type_accepts_a_full_date_and_a_bare_year():
    assert holds_answer_type("ban hành ngày 05/11/2019", "date")
    assert holds_answer_type("được thành lập năm 1990", "date")
    assert not holds_answer_type("được thành lập sau khi tái lập tỉnh", "date")


def test_a_year_that_ends_a_clause_is_a_date():
    assert holds_answer_type("Vậy mà chỉ đến năm 1996, đã có hơn 250.000 phiên đấu giá.", "date")
    assert holds_answer_type("eBay ra mắt năm 1995.", "date")
    assert not holds_answer_type("đạt 2020,5 tỷ đồng và 1.995 người", "date")


def test_person_type_needs_a_title_and_a_capitalised_name():
    assert holds_answer_type("Phó Chủ tịch Nguyễn Tiến Hải phát biểu", "person")
    assert holds_answer_type("đồng chí Lê Văn Sử dự họp", "person")
    assert not holds_answer_type("Phó Chủ tịch phát biểu bế mạc", "person")
    assert not holds_answer_type("ông nguyễn văn a dự họp", "person")


def test_docref_and_unknown_types():
    assert holds_answer_type("theo Quyết định số 1631/QĐ-UBND", "docref")
    assert not holds_answer_type("không có số hiệu", "docref")
    assert holds_answer_type("bất kỳ câu nào", "phrase")


# --- plan_share and parse_number -----------------------------------------------------------------


def test_plan_share_reads_the_percentage_of_the_plan():
    text = "thu ngân sách đạt 48,4% kế hoạch"
    assert plan_share(text, text.index("48")) == pytest.approx(48.4)
    text = "đạt 104% dự toán"
    assert plan_share(text, text.index("104")) == pytest.approx(104.0)


def test_plan_share_is_none_for_a_percentage_not_of_a_plan_or_not_a_percentage():
    text = "tỷ lệ hộ nghèo còn 2,5% trong toàn tỉnh"
    assert plan_share(text, text.index("2,5")) is None
    text = "đạt 5.851 tỷ đồng kế hoạch"
    assert plan_share(text, text.index("5.851")) is None
    assert plan_share("không có số", 0) is None


def test_an_age_counts_in_years_written_either_side_of_its_number():
    assert holds_number_with_unit("chơi trận Super Bowl ở tuổi 39.", "tuoi")
    assert holds_number_with_unit("ông mất năm 80 tuổi", "tuoi")
    assert not holds_number_with_unit("Tuổi thọ trung bình tăng so với năm 2019", "tuoi")
    assert not holds_number_with_unit("ở xã 39 hộ nghèo", "tuoi")


def test_past_the_measure_leaves_what_a_figure_asked_names_beyond_its_unit_and_plan():
    assert past_the_measure(" tỷ đồng") == ""
    assert past_the_measure(" phần trăm kế hoạch") == ""
    assert past_the_measure(" % so với dự toán") == ""
    assert past_the_measure(" văn bản quy phạm pháp luật") == " quy phạm pháp luật"
    assert past_the_measure(" so với cùng kỳ") == " so với cùng kỳ"


def test_past_the_plan_takes_only_a_share_of_the_plan_not_a_unit():
    assert past_the_plan(" phần trăm kế hoạch") == ""
    assert past_the_plan(" kế hoạch năm") == " năm"
    assert past_the_plan(" tỷ đồng") == " tỷ đồng"
    assert past_the_plan(" phần trăm") == " phần trăm"
    assert past_the_plan(" chỉ tiêu đạt") == " chỉ tiêu đạt"  # counted, not a plan


def test_without_plans_leaves_what_is_measured_against_them():
    assert without_plans("có đạt kế hoạch không") == "có đạt không"
    assert without_plans("vượt dự toán bao nhiêu") == "vượt bao nhiêu"
    assert without_plans("bao nhiêu chỉ tiêu đạt") == "bao nhiêu chỉ tiêu đạt"


def test_a_growth_rate_over_last_year_is_not_a_share_of_the_plan():
    text = "thu ngân sách tăng 17,7% so với cùng kỳ năm 2020"
    assert plan_share(text, text.index("17,7")) is None


def test_parse_number_reads_vietnamese_grouping_and_decimals():
    assert parse_number("5.851") == 5851.0
    assert parse_number("17,7") == pytest.approx(17.7)
    assert parse_number("1.112,5") == pytest.approx(1112.5)
    assert parse_number("1.194.300") == 1194300.0
    assert parse_number("46") == 46.0


def test_parse_number_gives_none_for_text():
    assert parse_number("abc") is None
    assert parse_number("") is None


# --- letter classes ------------------------------------------------------------------------------


def test_upper_holds_vietnamese_capitals_and_no_small_letter():
    for letter in "AZĐỮẠÂĂÊÔƠƯÁỸ":
        assert letter in UPPER
    letters = UPPER.replace("A-Z", "")
    assert not any(c.islower() for c in letters)
    assert "đ" not in UPPER and "ữ" not in UPPER


def test_lower_holds_vietnamese_small_letters_and_no_capital():
    for letter in "azđữạâăêôơưáỹ":
        assert letter in LOWER
    letters = LOWER.replace("a-z", "")
    assert not any(c.isupper() for c in letters)
    assert "Đ" not in LOWER and "Ữ" not in LOWER


def test_a_count_written_in_words_holds_the_counted_noun():
    assert holds_number_with_unit("Đã thu thập sáu vật thể trong hệ Mặt Trời.", "vat")
    assert holds_number_with_unit("hàng trăm người dân tham gia", "nguoi")


def test_a_rate_or_some_is_not_a_count():
    # "tỷ lệ xã" is a rate of communes, "một số xã" some communes: neither counts communes
    assert not holds_number_with_unit("tỷ lệ xã đạt chuẩn nông thôn mới còn thấp", "xa")
    assert not holds_number_with_unit("một số xã chưa đạt chuẩn", "xa")
    assert not holds_number_with_unit("đầu tư công đạt thấp, từ nay người dân", "nguoi")


def test_a_person_may_be_named_without_a_title():
    assert holds_answer_type("Nguyễn Du sinh năm 1765 tại Hà Tĩnh.", "person")
    assert not holds_answer_type("Phó Chủ tịch Ủy ban nhân dân tỉnh phát biểu.", "person")


def test_a_titled_person_is_named_after_the_body_the_title_heads():
    items = person_items("Giám đốc Sở Tài chính Nguyễn Ngọc Thanh báo cáo chuyên đề thu - chi ngân sách")
    assert [i.text for i in items] == ["Giám đốc Sở Tài chính Nguyễn Ngọc Thanh"]
    items = person_items("Giám đốc Sở Kế hoạch và Đầu tư Lương Văn Đoàn báo cáo kết quả")
    assert [i.text for i in items] == ["Giám đốc Sở Kế hoạch và Đầu tư Lương Văn Đoàn"]
    # "ông" is a title only as a word of its own, not the end of "Giao thông"
    assert person_items("Sở Giao thông vận tải Lê Minh Đức báo cáo") == []


def test_a_place_may_follow_o_or_tai():
    assert holds_answer_type("Ông sinh tại Luang Phrabang.", "place")
    assert not holds_answer_type("thu ngân sách đạt 5.851 tỷ đồng", "place")


def test_a_table_row_counts_in_the_unit_of_its_unit_column_or_label():
    from rag.text.entities import holds_number_with_unit

    row = "Chỉ tiêu: Diện tích gieo trồng lúa · ĐVT: ha · Kế hoạch 2023: 12.400 · Thực hiện 6 tháng: 6.905"
    assert holds_number_with_unit(row, "ha")
    assert not holds_number_with_unit(row, "tan")
    assert holds_number_with_unit("Chỉ tiêu: Sản lượng khóm (tấn) · Quý III/2023: 58.300", "tan")
    poverty = "Xã: Vĩnh Bình · Năm 2024 - Số hộ nghèo: 86 · Năm 2024 - Tỷ lệ (%): 2,1"
    assert holds_number_with_unit(poverty, "ho")
    assert not holds_number_with_unit("Xã: Vĩnh Bình · Tỷ lệ hộ nghèo (%): 2,1", "ho")


# --- without_given -------------------------------------------------------------------------------


def test_a_figure_the_question_writes_is_no_new_answer():
    question = "1000 Forms of Fear phát hành khi nào?"
    restated = without_given("1000 Forms of Fear là album phòng thu thứ sáu của Sia.", question)
    assert not holds_answer_type(restated, "date")
    assert holds_answer_type(without_given("Album được phát hành vào ngày 4 tháng 7 năm 2014.", question), "date")


def test_without_given_keeps_figures_the_question_does_not_write():
    question = "Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?"
    left = without_given("Năm 2021, Cà Mau thu ngân sách đạt 5.851 tỷ đồng.", question)
    assert "5.851" in left and "2021" not in left and "Cà Mau" not in left
    assert without_given("không có gì", "câu hỏi thường") == "không có gì"


# --- numbers and document numbers: one definition each ----------------------------------------------


def test_a_standalone_figure_and_every_written_number_share_their_digits_not_their_edges():
    from rag.text.entities import ANY_NUMBER_RE, NUMBER_RE

    def read(rx, text):
        return [m.group(0) for m in rx.finditer(text)]

    text = "đạt 5.851 tỷ đồng, tăng 17,7%; xếp hạng 49/63; dịch COVID-19"
    assert read(NUMBER_RE, text) == ["5.851", "17,7%"]  # a share and a name's digits are no figures
    assert read(ANY_NUMBER_RE, text) == ["5.851", "17,7", "49", "63"]  # each written number, "%" aside


def test_formal_document_numbers_are_document_numbers_in_capitals_with_a_hyphen():
    from rag.text.entities import DOC_NUMBER_RE, docref_items

    text = "Quyết định 1631/QĐ-UBND, Luật 59/2020/QH14, Nghị quyết 05-NQ/TU; năng suất 5/ha; hỏi 84/nq-cp"
    numbers = ["1631/QĐ-UBND", "59/2020/QH14", "5/ha", "84/nq-cp"]  # any case; the Party's style aside
    assert [m.group(0) for m in DOC_NUMBER_RE.finditer(text)] == numbers
    assert [item.text for item in docref_items(text)] == ["1631/QĐ-UBND", "05-NQ/TU"]
    assert holds_answer_type("ban hành kèm Quyết định 15/2020/NĐ-CP", "docref")
    assert not holds_answer_type("năng suất đạt 5/ha", "docref")


@pytest.mark.parametrize(
    ("sentence", "holds"),
    [
        ("Năm 2008, ông là người giàu thứ ba thế giới.", True),
        ("Chỉ số PCI năm 2020 xếp hạng 49/63 tỉnh, thành phố.", True),
        ("Tỉnh đứng ở vị trí thứ 17 cả nước.", True),
        ("Đây là lần đầu tiên một quân đội thuộc địa thắng.", True),
        ("Tỉnh có 3 xã đạt chuẩn nông thôn mới.", False),  # a count is no rank
        ("Thứ trưởng Bộ Tài chính dự họp.", False),  # a title
    ],
)
def test_a_rank_asked_is_held_by_an_ordinal_in_figures_or_words(sentence: str, holds: bool) -> None:
    assert holds_number_with_unit(sentence, ORDINAL) is holds
    assert holds_answer_type(sentence, "number", ORDINAL) is holds


@pytest.mark.parametrize(
    ("question", "names"),
    [
        ("Quân Đội Pháp gồm những lực lượng nào?", []),  # capitalised only because it opens the question
        ("Ông Nguyễn Văn Sơn giữ chức vụ gì?", ["Nguyễn Văn Sơn"]),
        ("Huyện Tân Phước có bao nhiêu xã?", ["Tân Phước"]),
        ("Năm 2020, ông Thân Đức Hưởng chủ trì phiên họp nào?", ["Thân Đức Hưởng"]),
    ],
)
def test_capitalised_names_skip_the_tail_of_a_run_that_opens_the_question(question: str, names: list[str]) -> None:
    assert [name for _, name in capitalised_names(question)] == names


def test_nam_counts_only_right_before_the_counted_noun():
    assert holds_number_with_unit("Có năm hoàng tử đối thủ tham gia.", "hoang")
    assert not holds_number_with_unit("Năm nay hoàng tử lên ngôi.", "hoang")


def test_an_amount_of_money_is_a_figure_in_a_currency():
    assert holds_number_with_unit("bị phạt tiền từ 50 triệu đồng đến 100 triệu đồng", MONEY)
    assert holds_number_with_unit("một cây bút laser bị hư giá 14,83$", MONEY)
    assert not holds_number_with_unit("có 46 xã đạt chuẩn", MONEY)


def test_a_sentence_that_opens_with_a_pointer_refers_back():
    for sentence in ("Đây là động cơ 5 xy-lanh.", "Ông sinh năm 1608.", "Công ty này có 5 nhà máy.",
                     "Nó được tái lập năm 1991.", "Trong đó, thu nội địa đạt 3.200 tỷ đồng."):
        assert refers_back(sentence), sentence


def test_a_sentence_whose_subject_is_owned_by_a_pronoun_refers_back():
    for sentence in ("Thời gian trị vì của ông được coi là thời hoàng kim.",
                     "Sự nghiệp của họ kéo dài 20 năm."):
        assert refers_back(sentence), sentence
    assert not refers_back("Thời gian công tác của ông Nguyễn Văn A là 30 năm.")  # a title, then the name
    assert not refers_back("Kết quả thu ngân sách của tỉnh đạt 5.851 tỷ đồng.")


def test_a_connective_england_and_the_writer_do_not_refer_back():
    for sentence in ("Sau đó Anh đã thông qua khung pháp lý.", "Do đó, quyền công dân bị hạn chế.",
                     "Anh chính thức đăng ký Thỏa thuận.", "Chúng tôi chỉ có khoảng 800 máy chủ."):
        assert not refers_back(sentence), sentence
    assert refers_back("Anh ấy sinh năm 1990.") and refers_back("Chúng được xây năm 1990.")


def test_a_title_before_a_name_or_a_plain_sentence_does_not_refer_back():
    for sentence in ("Ông Nguyễn Văn A phát biểu.", "Bà Lê Thị B chủ trì.", "Thu ngân sách đạt 5.851 tỷ."):
        assert not refers_back(sentence), sentence

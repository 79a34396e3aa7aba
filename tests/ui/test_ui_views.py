"""ui.views: the cited span is marked exactly, report text never becomes markup, exports keep citations."""

from __future__ import annotations

import datetime as dt
import html
import re

from rag.answer.refusal import NOT_FOUND
from rag.index.manifest import DocumentRow
from rag.records import Answer, Citation, DocumentMetadata, Period, SearchHit
from ui import views

EVIL = 'Báo cáo <script>alert(1)</script> và <img src=x onerror="alert(2)"> & "trích" \'dẫn\''
TEXT = ("Kết quả có 12/22 chỉ tiêu đạt và vượt kế hoạch. Thu ngân sách nhà nước đạt 5.851 tỷ đồng, "
        "vượt 6,8% kế hoạch. " + EVIL + " Hết.")


def _marks(fragment: str) -> list[str]:
    return re.findall(r"<mark\b[^>]*>(.*?)</mark>", fragment, flags=re.S)


def _citation(text: str, needle: str, n: int = 1, title: str | None = "Báo cáo năm 2021") -> Citation:
    start = text.index(needle)
    return Citation(n=n, doc="002_a.txt", title=title, section="I. Kinh tế", start=start,
                    end=start + len(needle), quote=needle, period="năm 2021")


def test_the_cited_span_and_only_it_is_inside_the_mark():
    c = _citation(TEXT, "Thu ngân sách nhà nước đạt 5.851 tỷ đồng")
    out = views.document_html(TEXT, c.start, c.end, anchor="cite-1", title=c.title, doc_id=c.doc)
    marks = _marks(out)
    assert len(marks) == 1 and html.unescape(marks[0]) == c.quote
    assert '<mark id="cite-1"' in out
    # the whole document is there, in order, around the mark
    body = re.sub(r"<[^>]+>", "", out.split('class="bc-doc-text">', 1)[1])
    assert html.unescape(body) == TEXT


def test_report_text_cannot_inject_markup_into_the_document_view():
    c = _citation(TEXT, EVIL)
    out = views.document_html(TEXT, c.start, c.end, title=EVIL, doc_id='x"><script>alert(3)</script>.txt')
    for bad in ("<script", "<img", 'onerror="', 'x"><'):
        assert bad not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in out
    assert "&lt;img src=x onerror=&quot;alert(2)&quot;&gt;" in out
    assert html.unescape(_marks(out)[0]) == EVIL


def test_offsets_outside_the_text_are_clamped_not_an_error():
    out = views.document_html("abc", 2, 99)
    assert _marks(out) == ["c"]
    assert "<mark" not in views.document_html("abc")


def test_the_sources_panel_shows_each_citation_escaped():
    c1 = _citation(TEXT, "5.851 tỷ đồng", 1)
    c2 = _citation(TEXT, EVIL, 2, title=EVIL)
    answer = Answer("… 5.851 tỷ đồng [1]. … [2].", [c1, c2], True, {"total": 120.0})
    sources = views.answer_sources(answer)
    out = views.sources_html(answer, sources)
    for shown in ("[1]", "[2]", "5.851 tỷ đồng", "năm 2021", "I. Kinh tế"):
        assert shown in out
    assert "<script" not in out and "<img" not in out
    assert views.source_label(sources[0]).startswith("[1] Báo cáo năm 2021 · năm 2021")
    assert views.NOT_AN_ANSWER not in out


def test_a_refusal_shows_the_closest_passages_marked_as_not_an_answer():
    hits = [SearchHit(f"c{i}", "004.txt", "Công tác 6 tháng", "", i * 10, i * 10 + 5, 0.5, f"đoạn {i}")
            for i in range(1, 4)]
    answer = Answer(NOT_FOUND, [], False, suggestions=hits)
    sources = views.answer_sources(answer, max_near=2)
    assert [s.kind for s in sources] == ["near", "near"]
    out = views.sources_html(answer, sources)
    assert views.NOT_AN_ANSWER in out and "đoạn 1" in out and "đoạn 3" not in out
    assert "không phải câu trả lời" in views.chat_text(answer)
    passage = SearchHit("c", "d.txt", None, "", 0, 2100, 0.1, "từ " * 700)
    long = Answer(NOT_FOUND, [], False, suggestions=[passage])
    assert len(views.sources_html(long, views.answer_sources(long))) < 1500  # the view shows it whole
    assert views.source_label(sources[0]).startswith("Đoạn gần nhất 1")


def test_chat_text_shows_report_markup_literally():
    answer = Answer("Đạt *5%* <b>x</b> [a](javascript:alert(1)) [1].", [], True)
    text = views.chat_text(answer)
    assert "\\*5%\\*" in text and "\\<b\\>" in text and "](javascript" not in text and "[1]" in text


def test_the_markdown_export_contains_questions_answers_and_citations():
    c = _citation(TEXT, "Thu ngân sách nhà nước đạt 5.851 tỷ đồng")
    found = Answer("Thu ngân sách nhà nước đạt 5.851 tỷ đồng [1].", [c], True)
    hit = SearchHit("c9", "004.txt", "Công tác 6 tháng", "", 0, 9, 0.3, "đoạn gần")
    refused = Answer(NOT_FOUND, [], False, suggestions=[hit])
    md = views.conversation_markdown(
        [("Thu ngân sách 2021?", found), ("Rừng ngập mặn?", refused)], when=dt.datetime(2024, 5, 1, 9, 30)
    )
    assert md.startswith("# Cuộc hội thoại")
    assert "2024-05-01 09:30" in md and "## Câu hỏi 1" in md and "## Câu hỏi 2" in md
    assert "5.851 tỷ đồng [1]." in md
    assert "- [1] Báo cáo năm 2021 — năm 2021, I. Kinh tế, 002\\_a.txt [" in md
    assert f"  > {c.quote}" in md
    assert views.NOT_AN_ANSWER in md and "đoạn gần" in md


def test_document_rows_follow_the_headers():
    row = DocumentRow(
        "a.txt", "/x/a.txt", "h", 1, 1, "txt", "utf-8",
        DocumentMetadata("Tiêu đề", "2021-01-12", Period("year", 2021), "Cà Mau", "report"), 7, 0.0,
    )
    expected = ["a.txt", "Tiêu đề", "2021-01-12", "năm 2021", "Cà Mau", "báo cáo", 7, "không rõ (not recorded)", "—"]
    assert views.document_rows([row]) == [expected]
    assert len(views.DOCUMENT_HEADERS) == len(expected)


def test_document_rows_say_who_added_each_document_and_when():
    when = dt.datetime(2024, 5, 1, 14, 3).timestamp()
    rows = [DocumentRow(f"{who}.txt", "/x", "h", 1, 1, "txt", "utf-8", DocumentMetadata(), 1, when, who)
            for who in ("cli", "web:lan", "web")]
    by, at = views.DOCUMENT_HEADERS.index("Người nạp"), views.DOCUMENT_HEADERS.index("Nạp lúc")
    assert [r[by] for r in views.document_rows(rows)] == [
        "dòng lệnh (command line)", "lan", "trang web, không đăng nhập (web page, no login)"]
    assert {r[at] for r in views.document_rows(rows)} == {"2024-05-01 14:03"}


def test_upload_results_are_escaped_and_labelled():
    out = views.upload_results_html([("<b>a.docx", "indexed"), ("b.txt", "failed: tệp rỗng")], "xong")
    assert "&lt;b&gt;a.docx" in out and "Đã nạp (indexed)" in out and "Lỗi (failed): tệp rỗng" in out


TABLE_TEXT = (
    "Kết quả các chỉ tiêu chủ yếu.\n\n"
    "Bảng: CHỈ TIÊU CHỦ YẾU 6 THÁNG\n"
    "Chỉ tiêu: Diện tích lúa · ĐVT: ha · Kế hoạch 2023: 12.400 · Thực hiện 6 tháng: 6.905\n"
    "Chỉ tiêu: Thu ngân sách · ĐVT: triệu đồng · Kế hoạch 2023: 186.000 · Thực hiện 6 tháng: 97.212\n\n"
    "Đoạn sau bảng."
)


def test_a_cited_table_row_is_shown_in_its_table_with_the_row_highlighted():
    start = TABLE_TEXT.index("Chỉ tiêu: Thu ngân sách")
    page = views.document_html(TABLE_TEXT, start, TABLE_TEXT.index("\n\nĐoạn"), title="Báo cáo", doc_id="bc.docx")
    table = page[page.index("<table") : page.index("</table>")]
    assert "<caption>CHỈ TIÊU CHỦ YẾU 6 THÁNG</caption>" in table
    assert re.findall(r"<th>(.*?)</th>", table) == ["Chỉ tiêu", "ĐVT", "Kế hoạch 2023", "Thực hiện 6 tháng"]
    assert re.findall(r'<tr class="bc-row-cited">(.*?)</tr>', table) == [
        "<td>Thu ngân sách</td><td>triệu đồng</td><td>186.000</td><td>97.212</td>"
    ]
    assert table.count("<tr>") == 2  # the header row and the other data row


def test_prose_citations_draw_no_table_and_pages_are_named():
    page = views.document_html(TABLE_TEXT, 0, 10, doc_id="bc.pdf", page="trang 2 (OCR)")
    assert "<table" not in page and "trang 2 (OCR)" in page


def test_a_citation_with_a_page_names_it_in_the_sources_panel_and_export():
    citation = Citation(1, "cv.pdf", "Công văn", "", 0, 5, "Võ Th", page=3, ocr=True)
    answer = Answer("Võ Th [1].", [citation], True)
    panel = views.sources_html(answer, views.answer_sources(answer))
    assert "trang 3 (OCR)" in panel
    assert "trang 3" in views.conversation_markdown([("Ai ký?", answer)])
    assert citation.to_json()["page"] == 3


def test_a_several_paragraph_quote_stays_inside_its_quote_block_in_the_export():
    citation = Citation(1, "a.txt", "Báo cáo", "", 0, 30, "Dòng một.\n\nDòng hai.\n- gạch đầu dòng")
    exported = views.conversation_markdown([("Hỏi?", Answer("Đáp [1].", [citation], True))])
    block = exported.split("**Nguồn:**", 1)[1].strip().split("\n")
    assert block[0].startswith("- [1] ")
    assert all(line.startswith("  >") for line in block[1:]), block


def test_the_sources_panel_speaks_vietnamese_and_keeps_offsets_out_of_sight():
    answer = Answer("Đáp [1].", [Citation(1, "a.txt", "Báo cáo", "", 12, 30, "Thu ngân sách")], True,
                    timings_ms={"total": 1200.0})
    panel = views.sources_html(answer, views.answer_sources(answer))
    shown = re.sub(r' title="[^"]*"', "", panel)  # the offsets stay in a hover title only
    assert "Chế độ" not in shown and "extractive" not in shown and "ký tự" not in shown
    assert 'title="ký tự 12–30"' in panel
    assert "trích nguyên văn" in panel and "1.20 giây" in panel


def test_an_answer_an_llm_wrote_is_named_so_in_vietnamese_not_by_its_code():
    answer = Answer("Đáp [1].", [Citation(1, "a.txt", "Báo cáo", "", 12, 30, "Thu ngân sách")], True,
                    timings_ms={"total": 900.0}, mode="llm")
    panel = views.sources_html(answer, views.answer_sources(answer))
    assert "Cách trả lời: mô hình ngôn ngữ" in panel and "llm" not in panel


def test_an_answer_given_under_filters_names_them_in_the_chat_sources_and_export():
    label = "Bộ lọc: năm 2020 (filters: year 2020)"
    c = _citation(TEXT, "Thu ngân sách nhà nước đạt 5.851 tỷ đồng")
    answer = Answer("Thu ngân sách nhà nước đạt 5.851 tỷ đồng [1].", [c], True)
    assert views.chat_text(answer, label).startswith(f"*{label}*\n\n")
    assert views.chat_text(answer) == views.md_escape(answer.text)  # no filter, no line
    assert label in views.sources_html(answer, views.answer_sources(answer), label)
    md = views.conversation_markdown([views.Turn("Thu ngân sách 2021?", answer, label),
                                      views.Turn("Không lọc?", answer)])
    first, second = md.split("## Câu hỏi 2")
    assert f"*{label}*" in first and "Bộ lọc" not in second


def test_the_filters_notice_is_empty_without_filters_and_escapes_the_label():
    assert views.filters_banner_html("") == ""
    notice = views.filters_banner_html("Bộ lọc: tài liệu <b>x</b>.txt")
    assert "&lt;b&gt;x&lt;/b&gt;.txt" in notice and "<b>" not in notice and "Bỏ lọc" in notice


def test_a_source_wraps_its_citation_and_shows_the_same_title_period_and_page():
    c = Citation(n=2, doc="005.pdf", title="Báo cáo năm 2021", section="I. Kinh tế", start=10, end=24,
                 quote="5.851 tỷ đồng", chunk_id="c5", period="năm 2021", page=3, ocr=True)
    source = views.Source.from_citation(c)
    assert source.citation is c and (source.kind, source.key, source.anchor) == ("cite", "cite:2", "cite-2")
    assert views.source_label(source) == "[2] Báo cáo năm 2021 · năm 2021 · trang 3 (OCR) · I. Kinh tế"
    panel = views.sources_html(Answer("5.851 tỷ đồng [2].", [c], True), [source])
    assert "năm 2021 · trang 3 (OCR) · I. Kinh tế · 005.pdf" in panel and 'title="ký tự 10–24"' in panel


def test_a_closest_passage_source_reads_its_hit_as_a_citation():
    hit = SearchHit("c9", "004.pdf", None, "II. Xã hội", 40, 48, 0.3, "đoạn gần", page=2)
    source = views.Source.from_hit(1, hit)
    assert source.citation == Citation(1, "004.pdf", None, "II. Xã hội", 40, 48, "đoạn gần", chunk_id="c9", page=2)
    assert (source.kind, source.key, source.anchor, source.page_label) == ("near", "near:1", "near-1", "trang 2")
    assert views.source_label(source) == "Đoạn gần nhất 1 004.pdf · trang 2 · II. Xã hội"

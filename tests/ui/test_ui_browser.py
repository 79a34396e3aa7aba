"""The page in a real browser: Debian's chromium, driven by playwright, against the real app.

The app runs in this process over a fresh index of the sample reports; the browser asks, opens a
citation, sees the cited span marked, uploads a .docx and asks about it. Every request the page
makes, and every host name the server process looks up, must stay on this machine.

Needs ``apt-get install chromium`` and ``pip install playwright`` (``make test`` does both); no
browser is downloaded. Screenshots land in test-artifacts/ui/.
"""

from __future__ import annotations

import os
import re
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

# gradio's queue still uses pandas options that pandas 3 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")

REPO = Path(__file__).resolve().parents[2]
ARTIFACTS = REPO / "test-artifacts" / "ui"
README_SHOT = REPO / "docs" / "img" / "ui-answer.png"
CHROMIUM = Path(os.environ.get("BAOCAO_CHROMIUM", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
LOCAL_HOSTS = {"127.0.0.1", "localhost", "::1", "0.0.0.0", ""}
ANSWER_MS = 30_000  # answers take < 2 s; the margin is for a loaded CI machine
PHONE = {"width": 400, "height": 800}

Q_BUDGET = "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?"
Q_FOREST = "Năm 2022 tỉnh trồng mới bao nhiêu ha rừng ngập mặn?"
Q_SLUICES = "Năm 2022 tỉnh xây dựng bao nhiêu cống thủy lợi?"
EVIL_TEXT = (
    "Báo cáo thủy lợi <b>năm 2022</b>\n\n"
    'Năm 2022, tỉnh xây dựng 56 cống thủy lợi <img src=x onerror="window.__xss=1"> '
    "<script>window.__xss=2</script> phục vụ sản xuất.\n"
)


def _require_browser() -> Any:
    """playwright's sync API, or a failure (not a skip) that says how to get the browser."""
    try:
        from playwright import sync_api
    except ImportError:
        pytest.fail("Python package 'playwright' is missing: `make test` installs it "
                    "(.venv/bin/pip install playwright; no `playwright install` needed).", pytrace=False)
    if not CHROMIUM.exists():
        pytest.fail(f"chromium is missing ({CHROMIUM}): `make test` installs it (apt-get install -y "
                    "chromium), or set BAOCAO_CHROMIUM to a chromium binary.", pytrace=False)
    return sync_api


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(make_index, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """The app on a free loopback port, with host-name lookups of this process recorded."""
    _require_browser()
    from rag.assistant import Assistant
    from rag.config import Settings, UISettings
    from ui.app import build_app, launch, warm_up

    lookups: list[str] = []
    real_getaddrinfo = socket.getaddrinfo

    def recording_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        name = host.decode() if isinstance(host, bytes) else str(host or "")
        if name not in LOCAL_HOSTS:
            lookups.append(name)
        return real_getaddrinfo(host, *args, **kwargs)

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(socket, "getaddrinfo", recording_getaddrinfo)
        index = make_index()
        settings = Settings(index={"dir": index})
        assistant = Assistant.open(index, settings)
        warm_up(assistant)
        ui = UISettings(upload_dir=tmp_path_factory.mktemp("uploads"), max_upload_mb=5)
        demo = build_app(assistant, settings, ui)
        port = _free_port()
        launch(demo, ui, "127.0.0.1", port, block=False)
        try:
            yield SimpleNamespace(url=f"http://127.0.0.1:{port}/", lookups=lookups)
        finally:
            demo.close()


@pytest.fixture(scope="module")
def browser(server: SimpleNamespace) -> Iterator[Any]:
    sync_api = _require_browser()
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture()
def page(browser: Any, server: SimpleNamespace, request: pytest.FixtureRequest) -> Iterator[Any]:
    """A fresh page on the app; afterwards a screenshot, and a check that nothing left the machine."""
    yield from _open_page(browser, server, request, {"width": 1400, "height": 1050}, "vi-VN")


@pytest.fixture()
def phone(browser: Any, server: SimpleNamespace, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The page on a 400 px wide phone screen."""
    yield from _open_page(browser, server, request, PHONE, "vi-VN")


@pytest.fixture()
def english_browser(browser: Any, server: SimpleNamespace, request: pytest.FixtureRequest) -> Iterator[Any]:
    """The page in a browser set to English (many Vietnamese offices run one)."""
    yield from _open_page(browser, server, request, {"width": 1400, "height": 1050}, "en-US")


def _open_page(
    browser: Any, server: SimpleNamespace, request: pytest.FixtureRequest, viewport: dict[str, int],
    locale: str,
) -> Iterator[Any]:
    context = browser.new_context(viewport=viewport, locale=locale, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(30_000)
    outside: list[str] = []
    local = (server.url.rstrip("/"), "data:", "blob:", "about:")
    page.on("request", lambda r: None if r.url.startswith(local) else outside.append(r.url))
    page.goto(server.url)
    page.wait_for_selector("#bc-question textarea", timeout=60_000)
    yield page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-end.png"), full_page=True)
    context.close()
    assert not outside, f"the page made requests off this machine: {outside}"
    assert not server.lookups, f"the server looked up non-local hosts: {server.lookups}"


def _ask(page: Any, question: str) -> None:
    page.fill("#bc-question textarea", question)
    page.click("#bc-send")


def _open_source(page: Any, label: str) -> Any:
    """Click a source in the list; returns the <mark> of the document view."""
    page.locator("#bc-source-list label").filter(has_text=label).first.click()
    return page.locator("#bc-doc-view mark")


def test_a_cited_answer_opens_its_source_with_the_span_highlighted(page: Any):
    from playwright.sync_api import expect

    _ask(page, Q_BUDGET)
    chat = page.locator("#bc-chat")
    expect(chat).to_contain_text("5.851 tỷ đồng", timeout=ANSWER_MS)
    expect(chat).to_contain_text("[1]")
    expect(page.locator("#bc-sources")).to_contain_text("năm 2021")

    mark = _open_source(page, "[1]")
    expect(mark).to_have_count(1)
    expect(mark).to_have_id("cite-1")
    expect(mark).to_contain_text("5.851 tỷ đồng")
    expect(mark).to_be_in_viewport()
    page.evaluate("() => window.scrollTo(0, 0)")  # the whole page in the picture; the mark stays in view
    expect(mark).to_be_in_viewport()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "answer.png"))
    if not README_SHOT.exists() or os.environ.get("BAOCAO_UPDATE_SCREENSHOTS") == "1":
        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_SHOT))

    with page.expect_download() as download:
        page.click("#bc-export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert Q_BUDGET in exported and "5.851 tỷ đồng" in exported and "- [1] " in exported
    assert download.value.suggested_filename.endswith(".md")


def test_a_question_the_reports_do_not_answer_shows_closest_passages_marked(page: Any):
    from playwright.sync_api import expect

    _ask(page, "Số ca mắc COVID-19 ở Hà Nội năm 2021 là bao nhiêu?")
    expect(page.locator("#bc-chat")).to_contain_text("Không tìm thấy thông tin này", timeout=ANSWER_MS)
    expect(page.locator("#bc-sources")).to_contain_text("Không phải câu trả lời — các đoạn gần nhất")
    mark = _open_source(page, "Đoạn gần nhất 1")
    expect(mark).to_have_count(1)
    expect(mark).to_have_id("near-1")
    expect(mark).to_be_in_viewport()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "not-found.png"))

    page.click("#bc-new")
    expect(page.locator("#bc-chat")).not_to_contain_text("Không tìm thấy")
    expect(page.locator("#bc-source-list")).to_be_hidden()


def test_an_uploaded_docx_is_indexed_and_answered_and_report_markup_stays_text(page: Any, tmp_path: Path):
    import docx
    from playwright.sync_api import expect

    forest = tmp_path / "trong-rung-2022.docx"
    document = docx.Document()
    document.add_heading("Báo cáo kết quả trồng rừng năm 2022", 1)
    document.add_paragraph("Ủy ban nhân dân tỉnh báo cáo kết quả bảo vệ và phát triển rừng năm 2022.")
    document.add_paragraph("Năm 2022, tỉnh trồng mới 1.234 ha rừng ngập mặn.")
    document.save(forest)
    evil = tmp_path / "thuy-loi-2022.txt"
    evil.write_text(EVIL_TEXT, encoding="utf-8")

    page.get_by_role("tab", name="Tài liệu").click()
    page.locator("#bc-upload input[type=file]").set_input_files([str(forest), str(evil)])
    result = page.locator("#bc-upload-result")
    expect(result).to_contain_text("Đã nạp 2 tệp", timeout=120_000)
    expect(result.locator("tr", has_text="trong-rung-2022.docx")).to_contain_text("Đã nạp (indexed)")
    expect(result.locator("tr", has_text="thuy-loi-2022.txt")).to_contain_text("Đã nạp (indexed)")
    expect(page.locator("#bc-docs-table")).to_contain_text("trong-rung-2022.docx")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "documents.png"), full_page=True)

    page.get_by_role("tab", name="Hỏi đáp").click()
    _ask(page, Q_FOREST)
    expect(page.locator("#bc-chat")).to_contain_text("1.234 ha", timeout=ANSWER_MS)
    expect(_open_source(page, "[1]")).to_contain_text("1.234 ha")

    _ask(page, Q_SLUICES)
    expect(page.locator("#bc-chat")).to_contain_text("56 cống", timeout=ANSWER_MS)
    mark = _open_source(page, "[1]")
    expect(mark).to_contain_text("56 cống")
    expect(page.locator("#bc-doc-view")).to_contain_text('<img src=x onerror="window.__xss=1">')
    expect(page.locator("#bc-doc-view")).to_contain_text("<script>window.__xss=2</script>")
    assert page.evaluate("() => window.__xss") is None
    assert page.locator("img[src='x']").count() == 0
    assert page.locator("#bc-sources b, #bc-doc-view b").count() == 0  # the title's <b> is text too
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "uploaded-answer.png"))



def test_a_scanned_notice_and_a_table_are_cited_with_the_page_image_and_the_row_highlighted(
    page: Any, tmp_path: Path
):
    import docx
    from playwright.sync_api import expect

    from tests.rag.ingest.fixtures_build import png_bytes

    notice = tmp_path / "thong-bao-tuyen-dung.png"
    notice.write_bytes(png_bytes(["THÔNG BÁO TUYỂN DỤNG VIÊN CHỨC", "Hạn nộp hồ sơ dự tuyển là ngày 25/4/2024."]))
    sheet = tmp_path / "chi-tieu-2023.docx"
    document = docx.Document()
    document.add_paragraph("Kết quả thực hiện các chỉ tiêu kinh tế năm 2023")
    table = document.add_table(rows=3, cols=4)
    for r, row in enumerate([["Chỉ tiêu", "ĐVT", "Kế hoạch 2023", "Thực hiện 2023"],
                             ["Sản lượng lúa", "tấn", "410.000", "426.350"],
                             ["Diện tích rừng trồng mới", "ha", "1.200", "1.315"]]):
        for c, value in enumerate(row):
            table.cell(r, c).text = value
    document.save(sheet)

    page.get_by_role("tab", name="Tài liệu").click()
    page.locator("#bc-upload input[type=file]").set_input_files([str(notice), str(sheet)])
    expect(page.locator("#bc-upload-result")).to_contain_text("Đã nạp 2 tệp", timeout=180_000)

    page.get_by_role("tab", name="Hỏi đáp").click()
    _ask(page, "Hạn nộp hồ sơ dự tuyển viên chức là ngày nào?")
    expect(page.locator("#bc-chat")).to_contain_text("25/4/2024", timeout=ANSWER_MS)
    expect(page.locator("#bc-sources")).to_contain_text("trang 1 (OCR)")
    expect(_open_source(page, "[1]")).to_contain_text("25/4/2024")
    expect(page.locator("#bc-doc-view img.bc-scan-img")).to_have_count(1)  # the page, cited words boxed

    _ask(page, "Sản lượng lúa thực hiện năm 2023 là bao nhiêu tấn?")
    expect(page.locator("#bc-chat")).to_contain_text("Thực hiện 2023: 426.350 tấn", timeout=ANSWER_MS)
    _open_source(page, "[1]")
    cited = page.locator("#bc-doc-view table.bc-cited-table tr.bc-row-cited")
    expect(cited).to_have_count(1)
    expect(cited).to_contain_text("Sản lượng lúa")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "table-row-cited.png"), full_page=True)


def test_an_oversized_or_unsupported_upload_is_refused_with_a_message_and_not_indexed(
    page: Any, tmp_path: Path
):
    from playwright.sync_api import expect

    big = tmp_path / "qua-lon.txt"
    big.write_bytes(b"a" * (6 * 1024 * 1024))  # the server's limit is 5 MB
    exe = tmp_path / "virus.exe"
    exe.write_bytes(b"MZ")
    page.get_by_role("tab", name="Tài liệu").click()
    upload = page.locator("#bc-upload input[type=file]")
    toast = page.get_by_test_id("toast-body")

    upload.set_input_files([str(big)])
    expect(toast.filter(has_text="qua-lon.txt")).to_contain_text("Tệp quá lớn, tối đa 5.0 Mb mỗi tệp")
    upload.set_input_files([str(exe)])
    expect(toast.filter(has_text="virus.exe")).to_contain_text("Chỉ nhận các loại .txt, .md, .docx, .pdf")
    assert not [t for t in toast.all_inner_texts() if "allowed" in t or "exceed" in t]  # no English left
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-refused.png"), full_page=True)
    expect(page.locator("#bc-upload-result")).not_to_contain_text("Đã nạp")
    expect(page.locator("#bc-docs-table")).not_to_contain_text("qua-lon.txt")
    expect(page.locator("#bc-docs-table")).not_to_contain_text("virus.exe")


def test_a_same_named_upload_asks_before_it_replaces_the_indexed_document(page: Any, tmp_path: Path):
    from playwright.sync_api import expect

    first, second = tmp_path / "1" / "bao-cao-nam.txt", tmp_path / "2" / "bao-cao-nam.txt"
    for path, fact in ((first, "nạo vét 345 km kênh mương"), (second, "làm mới 7 cây cầu nông thôn")):
        path.parent.mkdir()
        path.write_text(f"Báo cáo công tác năm 2024.\n\nNăm 2024, tỉnh {fact}.\n", encoding="utf-8")
    page.get_by_role("tab", name="Tài liệu").click()
    upload = page.locator("#bc-upload input[type=file]")
    question = page.locator("#bc-same-name").first  # Gradio gives a group's id to two nested boxes
    upload.set_input_files([str(first)])
    expect(page.locator("#bc-upload-result")).to_contain_text("Đã nạp 1 tệp", timeout=120_000)
    expect(question).to_be_hidden()

    upload.set_input_files([str(second)])
    expect(question).to_be_visible(timeout=60_000)
    expect(question).to_contain_text("Đã có tài liệu cùng tên")
    expect(page.locator("#bc-upload-result")).to_contain_text("chưa nạp")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-same-name.png"), full_page=True)
    page.click("#bc-same-replace")
    expect(page.locator("#bc-upload-result")).to_contain_text("Đã thay thế 1 tài liệu cùng tên", timeout=120_000)
    expect(question).to_be_hidden()
    page.locator("#bc-pick input").click()
    page.get_by_role("option").filter(has_text="bao-cao-nam.txt").first.click()
    page.get_by_role("button", name="Xem").click()
    expect(page.locator("#bc-doc-preview")).to_contain_text("7 cây cầu")


def _box(page: Any, selector: str) -> dict[str, float]:
    box = page.locator(selector).first.bounding_box()
    assert box is not None, f"{selector} is not on the page"
    return box


def test_on_a_400_px_phone_the_sources_follow_the_answer_and_the_documents_table_reads(phone: Any):
    from playwright.sync_api import expect

    _ask(phone, Q_BUDGET)
    expect(phone.locator("#bc-chat")).to_contain_text("5.851 tỷ đồng", timeout=ANSWER_MS)
    expect(phone.locator("#bc-source-list")).to_be_visible()
    answer = _box(phone, "#bc-chat .bot-row >> nth=-1")
    below = answer["y"] + answer["height"]
    listed, panel = _box(phone, "#bc-source-list"), _box(phone, "#bc-sources")
    assert listed["y"] - below < PHONE["height"], (answer, listed)
    assert panel["y"] - below < PHONE["height"], (answer, panel)
    for later in ("#bc-examples", "#bc-filters", "#bc-settings"):  # the sources come before these
        assert panel["y"] + panel["height"] <= _box(phone, later)["y"], later
    assert _box(phone, "#bc-question textarea")["width"] >= PHONE["width"] / 2
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # no sideways page
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    phone.screenshot(path=str(ARTIFACTS / "phone-answer.png"), full_page=True)

    phone.get_by_role("tab", name="Tài liệu").click()
    cells = phone.locator("#bc-docs-table .body-cell")
    expect(cells.first).to_be_visible()
    widths = [c.bounding_box()["width"] for c in cells.all() if c.is_visible()]
    assert min(widths) >= 48, widths  # six characters or more, never one letter per line
    province = phone.locator("#bc-docs-table .body-cell .text").filter(has_text="Cà Mau").first
    lines = province.evaluate(
        "e => e.getBoundingClientRect().height / parseFloat(getComputedStyle(e).lineHeight)"
    )
    assert lines < 1.5, lines  # "Cà Mau" on one line
    assert phone.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]  # the table scrolls
    phone.screenshot(path=str(ARTIFACTS / "phone-documents.png"), full_page=True)


def test_the_chat_messages_scroll_below_its_label_and_buttons_never_under_them(page: Any):
    from playwright.sync_api import expect

    _ask(page, Q_BUDGET)
    expect(page.locator("#bc-chat")).to_contain_text("5.851 tỷ đồng", timeout=ANSWER_MS)
    messages = _box(page, "#bc-chat .bubble-wrap")  # the scrolling part of the chat
    for overlay in ("#bc-chat [data-testid=block-label]", "#bc-chat .icon-button-wrapper.top-panel"):
        top = _box(page, overlay)
        assert messages["y"] >= top["y"] + top["height"] - 0.5, (overlay, top, messages)


def test_filters_set_in_the_collapsed_panel_show_above_the_chat_and_a_refusal_names_them(page: Any):
    from playwright.sync_api import expect

    bar = page.locator("#bc-filter-bar")
    expect(bar).to_be_hidden()
    panel = page.locator("#bc-filters").get_by_text("Lọc tài liệu")
    panel.click()
    page.locator("#bc-year input").click()
    page.get_by_role("option", name="2020", exact=True).click()
    panel.click()  # collapsed again: the filter is out of sight
    expect(bar).to_be_visible()
    expect(bar).to_contain_text("Bộ lọc: năm 2020")

    _ask(page, Q_BUDGET)  # a 2021 question under the 2020 filter
    reply = page.locator("#bc-chat .bot-row").last
    expect(reply).to_contain_text("Không tìm thấy thông tin này", timeout=ANSWER_MS)
    expect(reply).to_contain_text("Bộ lọc: năm 2020")
    expect(reply).to_contain_text("thỏa bộ lọc: năm 2020")
    expect(page.locator("#bc-sources")).to_contain_text("Bộ lọc: năm 2020")
    notice = _box(page, "#bc-filter-bar")
    assert notice["y"] + notice["height"] <= _box(page, "#bc-chat")["y"]  # above the answers
    with page.expect_download() as download:
        page.click("#bc-export")
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert "*Bộ lọc: năm 2020 (filters: year 2020)*" in exported

    page.click("#bc-clear-filters")
    expect(bar).to_be_hidden()
    expect(page.locator("#bc-year input")).to_have_value("Tất cả")


ENGLISH_WORDS = {
    "Clear", "Copy conversation", "Copy message", "Copy table data", "Fullscreen", "File upload",
    "Click to upload or drop files", "Table actions", "Open cell menu", "Reset to default value",
    "chatbot conversation", "More tabs", "- or -", "Loading",
}
COLLECT_WORDS_JS = """() => {
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const el = walker.currentNode.parentElement, t = walker.currentNode.nodeValue.trim();
    if (t && el && el.checkVisibility() && !el.closest('style, script, svg, #bc-doc-view, #bc-sources, '
        + '#bc-docs-table .body-cell, .message-content, #bc-upload-result')) out.push(t);
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]'))
    for (const a of ['title', 'aria-label', 'placeholder'])
      if (el.getAttribute(a)) out.push(el.getAttribute(a));
  return out;
}"""


def _english_words(page: Any) -> set[str]:
    """Words of the page's own chrome that read as English: known Gradio words, or 2+ plain-ASCII words."""
    found = set()
    for text in page.evaluate(COLLECT_WORDS_JS):
        plain = re.fullmatch(r"[A-Za-z][A-Za-z ,.!?'-]*", text) and len(re.findall(r"[A-Za-z]+", text)) >= 2
        if text in ENGLISH_WORDS or plain:
            found.add(text)
    return found


def test_the_page_speaks_vietnamese_even_in_an_english_browser(english_browser: Any):
    from playwright.sync_api import expect

    page = english_browser
    _ask(page, Q_BUDGET)
    expect(page.locator("#bc-chat")).to_contain_text("5.851 tỷ đồng", timeout=ANSWER_MS)
    for accordion in ("Lọc tài liệu", "Cài đặt"):  # open, so their contents are read too
        page.locator("button.label-wrap", has_text=accordion).click()
    english = _english_words(page)
    page.get_by_role("tab", name="Tài liệu").click()
    expect(page.locator("#bc-docs-table .body-cell").first).to_be_visible()
    english |= _english_words(page)
    assert not english, sorted(english)
    expect(page.locator("#bc-upload")).to_contain_text("Kéo thả tệp vào đây")


def test_an_upload_shows_its_progress_once_on_its_result_and_the_table_stays_in_view(
    page: Any, tmp_path: Path
):
    from playwright.sync_api import expect

    from tests.rag.ingest.fixtures_build import png_bytes

    scans = []
    for i in range(2):  # scans take seconds to read: long enough to see the progress
        scan = tmp_path / f"giay-moi-{i}.png"
        scan.write_bytes(png_bytes([f"GIẤY MỜI HỌP SỐ {i} {uuid.uuid4().hex[:6].upper()}",
                                    "Cuộc họp diễn ra ngày 12/3/2024."]))
        scans.append(str(scan))
    page.get_by_role("tab", name="Tài liệu").click()
    page.locator("#bc-upload input[type=file]").set_input_files(scans)
    expect(page.locator("#bc-upload-result .progress-level-inner")).to_contain_text("Đang nạp tài liệu",
                                                                                   timeout=60_000)
    progress = page.locator(".progress-level-inner")
    assert sum(1 for p in progress.all() if p.is_visible()) == 1  # once, on the result box
    assert page.locator("#bc-docs-table > .wrap:not(.hide)").count() == 0  # the table is not covered
    expect(page.locator("#bc-docs-table")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "upload-progress.png"), full_page=True)
    expect(page.locator("#bc-upload-result")).to_contain_text("Đã nạp 2 tệp", timeout=180_000)


def test_cancelling_the_delete_dialog_says_cancelled_and_keeps_the_document(page: Any):
    from playwright.sync_api import expect

    doc_id = "003_14f526eb99f15e25.txt"
    page.get_by_role("tab", name="Tài liệu").click()
    page.locator("#bc-pick input").click()
    page.get_by_role("option").filter(has_text=doc_id).click()
    page.once("dialog", lambda dialog: dialog.dismiss())
    page.click("#bc-delete")
    result = page.locator("#bc-delete-result")
    expect(result).to_contain_text("Đã huỷ")
    expect(result).not_to_contain_text("Chưa chọn")
    expect(page.locator("#bc-docs-table")).to_contain_text(doc_id)

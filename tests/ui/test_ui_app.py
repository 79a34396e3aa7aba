"""The page's handlers without a browser: streaming answers, sources by doc id, uploads, deletes."""

from __future__ import annotations

import html
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rag.answer.refusal import NOT_FOUND
from rag.assistant import Assistant
from rag.config import Settings, UISettings
from ui import views
from ui.app import BaocaoUI, available_modes, build_app

Q_BUDGET = "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?"


@pytest.fixture(scope="module")
def page(make_index, tmp_path_factory: pytest.TempPathFactory) -> BaocaoUI:
    index = make_index()
    settings = Settings(index={"dir": index})
    uploads = tmp_path_factory.mktemp("uploads")
    return BaocaoUI(Assistant.open(index, settings), settings, UISettings(upload_dir=uploads))


def _final(page: BaocaoUI, question: str, turns=None, **filters):
    outs = list(page.ask(question, turns or [], "extractive", 3, filters.get("province", ""),
                         filters.get("year", ""), filters.get("doc", "")))
    assert len(outs) >= 2  # a draft first, then the final answer
    return outs[-1]


def test_an_answer_streams_in_and_its_source_opens_marked(page: BaocaoUI):
    chat, turns, sources, source_list, panel, doc_view, download, msg = _final(page, Q_BUDGET)
    question, answer, filters = turns[-1]
    assert question == Q_BUDGET and answer.found and "5.851 tỷ đồng" in chat[-1]["content"] and not filters
    assert chat[-1]["content"].endswith("[1].")
    assert [s.key for s in sources] == ["cite:1"] and source_list["choices"][0][1] == "cite:1"
    assert "5.851 tỷ đồng" in panel and views.NOT_AN_ANSWER not in panel
    opened = page.open_source("cite:1", sources)
    marks = re.findall(r'<mark id="cite-1"[^>]*>(.*?)</mark>', opened, flags=re.S)
    assert len(marks) == 1 and html.unescape(marks[0]) == answer.citations[0].quote
    exported = Path(download["value"]).read_text(encoding="utf-8")
    assert "5.851 tỷ đồng, vượt 6,8% kế hoạch [1]." in exported
    assert f"> {views.md_escape(answer.citations[0].quote)}" in exported


def test_a_follow_up_uses_the_conversation(page: BaocaoUI):
    _, turns, *_ = _final(page, Q_BUDGET)
    chat, turns, *_ = _final(page, "Vượt bao nhiêu phần trăm kế hoạch?", turns)
    assert len(turns) == 2 and len(chat) == 4


def test_filters_restrict_the_next_question(page: BaocaoUI):
    _, turns, *_ = _final(page, Q_BUDGET, doc="003_14f526eb99f15e25.txt")
    answer = turns[-1][1]
    assert all(c.doc == "003_14f526eb99f15e25.txt" for c in answer.citations)
    assert "5.851" not in answer.text


def test_a_refusal_lists_closest_passages_as_not_an_answer(page: BaocaoUI):
    question = "Số ca mắc COVID-19 ở Hà Nội năm 2021 là bao nhiêu?"
    chat, turns, sources, source_list, panel, *_ = _final(page, question)
    assert not turns[-1][1].found and NOT_FOUND.rstrip(".") in chat[-1]["content"]
    assert views.NOT_AN_ANSWER in panel
    assert sources and all(s.kind == "near" for s in sources)
    assert "<mark" in page.open_source(sources[0].key, sources)


def test_an_unconfigured_llm_mode_is_not_offered_and_its_error_is_shown(page: BaocaoUI):
    assert [v for _, v in available_modes(page.settings)] == ["extractive"]
    outs = list(page.ask(Q_BUDGET, [], "openai", 3, "", "", ""))
    chat, turns = outs[-1][0], outs[-1][1]
    assert "Lỗi khi trả lời" in chat[-1]["content"] and "base\\_url" in chat[-1]["content"] and turns == []


def test_the_document_view_takes_a_doc_id_never_a_path(page: BaocaoUI):
    assert "5.851 tỷ đồng" in page.view_document("002_a3fbda18e481a50f.txt")
    assert "Không có tài liệu" in page.view_document("/etc/passwd")
    assert "Không có tài liệu" in page.view_document("../../etc/passwd")


def test_upload_reports_each_file_then_delete_removes_the_document(page: BaocaoUI, tmp_path: Path):
    incoming = tmp_path / "gradio-tmp"
    incoming.mkdir()
    good = incoming / "trong-rung-2022.txt"
    good.write_text("Báo cáo trồng rừng.\n\nNăm 2022, tỉnh trồng mới 1.234 ha rừng ngập mặn.\n", "utf-8")
    bad = incoming / "virus.exe"
    bad.write_bytes(b"MZ")
    empty = incoming / "rong.txt"
    empty.write_text(" ", encoding="utf-8")
    result, cleared, table, *_ = page.ingest_uploads([str(good), str(bad), str(empty)])
    assert "trong-rung-2022.txt" in result and "Đã nạp (indexed)" in result
    assert "virus.exe" in result and "không được hỗ trợ" in result
    assert "rong.txt" in result and "Lỗi (failed)" in result
    assert "trong-rung-2022.txt" in [r[0] for r in table["value"]]
    _, turns, *_ = _final(page, "Năm 2022 tỉnh trồng mới bao nhiêu ha rừng ngập mặn?")
    assert "1.234 ha" in turns[-1][1].text

    again, *_ = page.ingest_uploads([str(good)])
    assert "Không đổi (unchanged)" in again

    message, table, *_ = page.delete_document("trong-rung-2022.txt")
    assert "Đã xoá" in message and "trong-rung-2022.txt" not in [r[0] for r in table["value"]]
    assert not (page.ui.upload_dir / "trong-rung-2022.txt").exists()
    _, turns, *_ = _final(page, "Năm 2022 tỉnh trồng mới bao nhiêu ha rừng ngập mặn?")
    assert "1.234" not in turns[-1][1].text


def test_the_page_builds_with_a_queue(page: BaocaoUI):
    demo = build_app(page.assistant, page.settings, page.ui)
    assert demo._queue is not None  # noqa: SLF001 - demo.queue() was called
    assert demo.baocao.store is page.store


def test_launch_with_a_password_keeps_the_page_closed_until_login(page: BaocaoUI):
    from ui.app import launch

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    demo = build_app(page.assistant, page.settings, page.ui)
    launch(demo, page.ui, "127.0.0.1", port, auth=[("an", "bí-mật")], block=False)
    try:
        base = f"http://127.0.0.1:{port}"
        assert httpx.get(f"{base}/config").status_code == 401
        assert httpx.post(f"{base}/login", data={"username": "an", "password": "sai"}).status_code == 400
        with httpx.Client(base_url=base) as client:
            assert client.post("/login", data={"username": "an", "password": "bí-mật"}).status_code == 200
            assert client.get("/config").status_code == 200
    finally:
        demo.close()


def _report_file(folder: Path, name: str, fact: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(f"Báo cáo công tác năm 2024.\n\n{fact}\n", encoding="utf-8")
    return path


def test_a_same_named_upload_waits_for_the_users_choice_and_replaces_only_when_confirmed(
    page: BaocaoUI, tmp_path: Path
):
    name = "bao-cao-nam.txt"
    first = _report_file(tmp_path / "1", name, "Năm 2024, tỉnh nạo vét 345 km kênh mương nội đồng.")
    second = _report_file(tmp_path / "2", name, "Năm 2024, tỉnh xây mới 56 phòng học kiên cố.")
    third = _report_file(tmp_path / "3", name, "Năm 2024, tỉnh làm mới 7 cây cầu giao thông nông thôn.")
    assert "Đã nạp (indexed)" in page.ingest_uploads([str(first)])[0]

    result, _, table, *_, held, box, question = page.ingest_uploads([str(second)])
    assert "đã có tài liệu cùng tên bao-cao-nam.txt" in result and "Đã nạp (indexed)" not in result
    assert box["visible"] is True and name in question["value"] and len(held) == 1
    assert "345 km" in page.store.document_text(name)  # nothing replaced yet
    result, _, table, *_, after, box, _ = page.keep_both_uploads(held)
    assert "bao-cao-nam (2).txt" in result and after == [] and box["visible"] is False
    assert {name, "bao-cao-nam (2).txt"} <= {r[0] for r in table["value"]}
    assert "56 phòng học" in page.store.document_text("bao-cao-nam (2).txt")
    assert "345 km" in page.store.document_text(name)

    *_, held, box, _ = page.ingest_uploads([str(third)])
    result = page.replace_uploads(held)[0]
    assert "Đã thay thế 1 tài liệu cùng tên" in result and "(replaced)" in result
    assert "7 cây cầu" in page.store.document_text(name) and "345 km" not in page.store.document_text(name)

    *_, held, box, _ = page.ingest_uploads([str(first)])
    result = page.cancel_uploads(held)[0]
    assert "đã huỷ" in result and "7 cây cầu" in page.store.document_text(name)
    for doc in (name, "bao-cao-nam (2).txt"):
        assert "Đã xoá" in page.delete_document(doc)[0]


def test_an_upload_named_like_an_ingested_report_asks_first_and_an_identical_copy_is_not_added(
    page: BaocaoUI, tmp_path: Path, sample_dir: Path
):
    name = "001_87bd5b8701db699e.txt"  # a report ingested from the sample folder
    copy = tmp_path / "copy" / name
    copy.parent.mkdir()
    copy.write_bytes((sample_dir / name).read_bytes())
    result, _, table, *_, held, box, _ = page.ingest_uploads([str(copy)])
    assert "Không đổi (unchanged)" in result and held == [] and box["visible"] is False
    assert [r[0] for r in table["value"]].count(name) == 1 and not (page.ui.upload_dir / name).exists()

    other = _report_file(tmp_path / "other", name, "Năm 2024, tỉnh trồng mới 89 ha cây xanh đô thị.")
    result, *_, held, box, _ = page.ingest_uploads([str(other)])
    assert "đã có tài liệu cùng tên" in result and len(held) == 1 and box["visible"] is True
    page.cancel_uploads(held)
    assert "89 ha" not in page.store.document_text(name) and not (page.ui.upload_dir / name).exists()


def test_a_question_the_year_filter_rules_out_names_the_filter_in_chat_sources_and_export(page: BaocaoUI):
    chat, turns, sources, _, panel, _, download, _ = _final(page, Q_BUDGET, year="2020")
    reply = chat[-1]["content"]
    assert reply.startswith("*Bộ lọc: năm 2020 (filters: year 2020)*")  # above the answer
    assert NOT_FOUND.rstrip(".") in reply and "thỏa bộ lọc: năm 2020" in reply  # the refusal says why
    assert turns[-1].filters == "Bộ lọc: năm 2020 (filters: year 2020)"
    assert "Bộ lọc: năm 2020" in panel
    assert "*Bộ lọc: năm 2020 (filters: year 2020)*" in Path(download["value"]).read_text(encoding="utf-8")

    chat, *_ = _final(page, Q_BUDGET, year="2019")  # no document at all: the filter is named as the cause
    assert "Không có tài liệu nào của năm 2019" in chat[-1]["content"]


def test_the_filters_notice_shows_only_while_a_filter_is_on(page: BaocaoUI):
    notice, bar = page.filters_notice("ca mau", "2020", "")
    assert "tỉnh Cà Mau" in notice and "năm 2020" in notice and bar["visible"] is True
    notice, bar = page.filters_notice("", "", "")
    assert notice == "" and bar["visible"] is False


def test_cancelling_a_delete_says_so_and_keeps_the_document(page: BaocaoUI):
    doc_id = "003_14f526eb99f15e25.txt"
    message, *updates = page.delete_document(doc_id, confirmed=False)
    assert "Đã huỷ" in message and "Chưa chọn" not in message
    assert page.store.manifest.document(doc_id) is not None
    assert all(u == {"__type__": "update"} for u in updates)  # the chosen document stays chosen
    assert "Chưa chọn tài liệu nào" in page.delete_document(None)[0]


@pytest.mark.slow  # a real `baocao ui` server process
def test_baocao_ui_prints_where_the_page_is_in_vietnamese_and_never_offers_a_share_link(
    make_index, tmp_path: Path
):
    baocao = shutil.which("baocao", path=str(Path(sys.executable).parent))
    assert baocao, "the baocao command is installed with the project"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    out = tmp_path / "baocao-ui.out"
    command = [baocao, "ui", "--index", str(make_index()), "--host", "127.0.0.1", "--port", str(port)]
    # PYTHONFAULTHANDLER: if it hangs, SIGABRT makes it print every thread's stack into ``out``
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "BAOCAO_UI__UPLOAD_DIR": str(tmp_path / "uploads"),
           "PYTHONFAULTHANDLER": "1"}
    with out.open("wb") as sink:
        # as started from a terminal: a test run started in the background (`pytest &`) ignores
        # SIGINT, and an ignored signal stays ignored in every child, so Ctrl+C would never arrive
        proc = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT, env=env,
                                preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
        try:
            deadline = time.monotonic() + 180
            while not _answers(f"http://127.0.0.1:{port}/"):
                assert proc.poll() is None, out.read_text(encoding="utf-8", errors="replace")[-3000:]
                assert time.monotonic() < deadline, "baocao ui did not start within 180 s"
                time.sleep(0.3)
            time.sleep(1)  # the line is printed right after the server starts answering
            started = out.read_text(encoding="utf-8", errors="replace")
            proc.send_signal(signal.SIGINT)  # Ctrl+C
            try:
                code = proc.wait(timeout=30)  # a hang guard: it stops in about 1 s
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGABRT)
                proc.wait(timeout=30)
                pytest.fail("baocao ui did not stop on Ctrl+C:\n" + out.read_text(encoding="utf-8", errors="replace")[-6000:])
            assert code == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(timeout=10)
    printed = out.read_text(encoding="utf-8", errors="replace")
    assert f"Trang web baocao đang chạy tại http://127.0.0.1:{port}" in started, started
    assert "Ctrl+C" in started
    assert "Đã dừng trang web" in printed
    for english in ("share=True", "public link", "Running on local URL", "Keyboard interruption"):
        assert english not in printed, printed


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.HTTPError:
        return False

"""The page's handlers without a browser: streaming answers, sources by doc id, uploads, deletes."""

from __future__ import annotations

import html
import re
from pathlib import Path

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
    question, answer = turns[-1]
    assert question == Q_BUDGET and answer.found and "5.851 tỷ đồng" in chat[-1]["content"]
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
    import socket

    import httpx

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

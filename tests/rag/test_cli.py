"""The `baocao` commands, run as a user runs them (a real subprocess, real index on disk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rag.ingest.fixtures_build import two_same_named_reports
from tests.rag.odd_questions import ODD_QUESTIONS

pytestmark = pytest.mark.slow  # each test runs `baocao` as a subprocess that loads the model

# the CLI cases cost a process each: one per kind of oddity
_CLI_ODD = ("emoji", "sql", "dash-first", "10000-chars")


def _baocao(*args: str, env_extra: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **(env_extra or {})}
    return subprocess.run(
        [sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True, env=env, timeout=300
    )


def test_ingest_docs_and_search_from_the_command_line(tmp_path: Path, sample_dir: Path):
    index = tmp_path / "idx"
    result = _baocao("ingest", str(sample_dir), "--index", str(index))
    assert result.returncode == 0, result.stderr
    assert "5 tệp" in result.stdout

    again = _baocao("ingest", str(sample_dir), "--index", str(index))
    assert again.returncode == 0 and "không đổi (unchanged): 5" in again.stdout

    docs = json.loads(_baocao("docs", "--index", str(index), "--json").stdout)
    assert {d["doc"] for d in docs} == {p.name for p in sample_dir.glob("*.txt")}
    assert set(docs[0]) == {"doc", "title", "date", "period", "province", "kind", "chunks"}

    out = _baocao("search", "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?", "--index", str(index),
                  "-k", "5", "--json")
    assert out.returncode == 0, out.stderr
    hits = json.loads(out.stdout)
    assert len(hits) == 5
    assert set(hits[0]) == {"doc", "title", "section", "start", "end", "score", "text", "page"}
    from rag.index.manifest import Manifest

    manifest = Manifest(index / "manifest.sqlite", read_only=True)
    for hit in hits:
        assert manifest.document_text(hit["doc"])[hit["start"] : hit["end"]] == hit["text"]
    assert any("5.851 tỷ đồng" in h["text"] for h in hits)


def test_failures_name_the_file_and_exit_non_zero(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "tot.txt").write_text("Báo cáo tháng 8 năm 2020: thu ngân sách đạt 223,4 tỷ đồng.", encoding="utf-8")
    (folder / "hong.docx").write_bytes(b"not a zip at all")
    result = _baocao("ingest", str(folder), "--index", str(tmp_path / "idx"))
    assert result.returncode == 2
    assert "hong.docx" in result.stderr


def test_search_on_a_missing_index_says_how_to_create_it(tmp_path: Path):
    result = _baocao("search", "câu hỏi", "--index", str(tmp_path / "none"))
    assert result.returncode == 1
    assert "baocao ingest" in result.stderr


def test_a_typo_in_the_config_file_fails_at_load(tmp_path: Path):
    config = tmp_path / "baocao.toml"
    config.write_text("[chunking]\ntarget_charz = 10\n", encoding="utf-8")
    result = _baocao("docs", "--config", str(config), "--index", str(tmp_path / "i"))
    assert result.returncode == 1 and "target_charz" in result.stderr


def test_ask_prints_a_cited_answer_as_json_and_uses_history(tmp_path: Path, sample_dir: Path):
    index = tmp_path / "idx"
    assert _baocao("ingest", str(sample_dir), "--index", str(index), "-q").returncode == 0
    out = _baocao("ask", "Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?",
                  "--index", str(index), "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert set(data) == {"answer", "found", "confidence", "citations", "timings_ms"}
    assert 0.0 <= data["confidence"] <= 1.0
    assert data["found"] and "846,6 tỷ đồng" in data["answer"]
    assert set(data["citations"][0]) == {"n", "doc", "title", "section", "start", "end", "quote", "page", "ocr"}
    assert data["citations"][0]["page"] is None  # a .txt report has no pages

    history = tmp_path / "history.json"
    history.write_text(json.dumps([
        {"role": "user", "content": "Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?"},
        {"role": "assistant", "content": data["answer"]},
    ], ensure_ascii=False), encoding="utf-8")
    follow = json.loads(_baocao("ask", "Còn tổng mức bán lẻ hàng hóa thì sao?", "--index", str(index),
                                "--history", str(history), "--json").stdout)
    assert "979,6 tỷ đồng" in follow["answer"]

    plain = _baocao("ask", "Diện tích rừng trồng mới năm 2021 là bao nhiêu ha?", "--index", str(index))
    assert plain.returncode == 0 and "Không tìm thấy" in plain.stdout


@pytest.mark.parametrize("question", ["", "   "])
def test_an_empty_question_asks_for_one_and_exits_2(sample_index: Path, question: str):
    out = _baocao("ask", "--index", str(sample_index), "--", question)
    assert out.returncode == 2 and "Hãy nhập một câu hỏi" in out.stderr and "Traceback" not in out.stderr


def test_a_citation_line_names_the_report_and_its_period_before_the_file():
    from rag.cli import citation_line
    from rag.records import Citation

    cited = Citation(1, "002_a3f.txt", "Báo cáo KT-XH tháng 8", "I. Kinh tế", 2627, 2774, "…", period="tháng 8 năm 2020")
    assert citation_line(cited) == "Báo cáo KT-XH tháng 8 · tháng 8 năm 2020 · I. Kinh tế · 002_a3f.txt"
    scan = Citation(2, "cv.pdf", None, "", 0, 5, "…", page=3, ocr=True)
    assert citation_line(scan) == "cv.pdf · trang 3 (OCR)"


def test_chat_keeps_history_between_turns(tmp_path: Path, sample_dir: Path):
    index = tmp_path / "idx"
    assert _baocao("ingest", str(sample_dir), "--index", str(index), "-q").returncode == 0
    turns = "Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?\n" \
            "Còn tổng mức bán lẻ hàng hóa thì sao?\n\n"
    result = subprocess.run([sys.executable, "-m", "rag.cli", "chat", "--index", str(index)], input=turns,
                            capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    assert "846,6 tỷ đồng" in result.stdout and "979,6 tỷ đồng" in result.stdout


def test_chat_says_when_moi_starts_a_new_conversation(sample_index: Path):
    turns = "Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?\n/moi\n\n"
    result = subprocess.run([sys.executable, "-m", "rag.cli", "chat", "--index", str(sample_index)], input=turns,
                            capture_output=True, text=True, timeout=300, env=os.environ.copy())
    assert result.returncode == 0, result.stderr
    assert "Đã bắt đầu cuộc hội thoại mới: quên 1 câu hỏi trước" in result.stdout


def test_search_takes_the_retrieval_mode_as_retrieval_mode_and_still_as_mode(sample_index: Path):
    question = "thu ngan sach nha nuoc nam 2021"
    named = _baocao("search", question, "--index", str(sample_index), "--retrieval-mode", "bm25_folded", "--json")
    old = _baocao("search", question, "--index", str(sample_index), "--mode", "bm25_folded", "--json")
    assert named.returncode == 0 and old.returncode == 0, named.stderr + old.stderr
    assert json.loads(named.stdout) == json.loads(old.stdout) and json.loads(named.stdout)


def test_search_returns_retrieval_top_k_passages_unless_k_is_given(sample_index: Path):
    question = "thu ngan sach nha nuoc nam 2021"
    configured = _baocao("search", question, "--index", str(sample_index), "--json",
                         env_extra={"BAOCAO_RETRIEVAL__TOP_K": "3"})
    given = _baocao("search", question, "--index", str(sample_index), "--json", "-k", "7",
                    env_extra={"BAOCAO_RETRIEVAL__TOP_K": "3"})
    assert configured.returncode == 0 and given.returncode == 0, configured.stderr + given.stderr
    assert len(json.loads(configured.stdout)) == 3 and len(json.loads(given.stdout)) == 7


@pytest.mark.parametrize("flag", ["--answer-mode", "--llm"])
def test_ask_names_the_answer_modes_when_answer_mode_or_its_old_name_llm_names_none(sample_index: Path, flag: str):
    out = _baocao("ask", QUESTION, "--index", str(sample_index), flag, "cloud")
    assert out.returncode == 1 and "extractive, openai hoặc gguf" in out.stderr and "Traceback" not in out.stderr


def test_ask_in_the_extractive_answer_mode_answers(sample_index: Path):
    out = _baocao("ask", QUESTION, "--index", str(sample_index), "--answer-mode", "extractive", "--local", "--json")
    assert out.returncode == 0, out.stderr
    assert "5.851 tỷ đồng" in json.loads(out.stdout)["answer"]


@pytest.mark.parametrize("kind", _CLI_ODD)
def test_ask_replies_to_odd_questions_without_a_traceback(sample_index: Path, kind: str):
    """``--`` ends the options, so even a question that starts with a dash is a question."""
    out = _baocao("ask", "--index", str(sample_index), "--json", "--", ODD_QUESTIONS[kind])
    assert out.returncode == 0, out.stderr
    assert "Traceback" not in out.stderr
    data = json.loads(out.stdout)
    assert isinstance(data["answer"], str) and data["answer"]


@pytest.mark.parametrize("command", [["ingest", "."], ["ask", "thu ngân sách"], ["docs"]])
def test_an_index_path_that_is_a_file_is_refused_with_what_to_give_instead(tmp_path: Path, command: list[str]):
    not_a_folder = tmp_path / "README.md"
    not_a_folder.write_text("# readme", encoding="utf-8")
    out = _baocao(*command, "--index", str(not_a_folder))
    assert out.returncode == 1 and "là một tệp" in out.stderr and "give a folder" in out.stderr
    assert "Errno" not in out.stderr and "baocao ingest PATH" not in out.stderr
    assert not_a_folder.read_text(encoding="utf-8") == "# readme"


def test_ingest_keeps_a_same_named_report_of_another_folder_and_replace_is_named(tmp_path: Path):
    two_same_named_reports(tmp_path)
    index = str(tmp_path / "idx")
    assert _baocao("ingest", str(tmp_path / "a"), "--index", index, "-q").returncode == 0
    kept = _baocao("ingest", str(tmp_path / "b"), "--index", index, "-q")
    assert kept.returncode == 0, kept.stderr
    assert "GIỮ CẢ HAI b/bao-cao.txt" in kept.stdout and "--replace" in kept.stdout
    docs = json.loads(_baocao("docs", "--index", index, "--json").stdout)
    assert [d["doc"] for d in docs] == ["b/bao-cao.txt", "bao-cao.txt"]

    replaced = _baocao("ingest", str(tmp_path / "b"), "--index", index, "-q", "--replace")
    assert replaced.returncode == 0, replaced.stderr
    assert "thay thế (replaced): 1" in replaced.stdout
    assert f"THAY THẾ bao-cao.txt: nay là tệp {(tmp_path / 'b' / 'bao-cao.txt').resolve()}" in replaced.stdout
    docs = json.loads(_baocao("docs", "--index", index, "--json").stdout)
    assert [d["doc"] for d in docs] == ["bao-cao.txt"] and "giáo dục năm 2023" in docs[0]["title"]


def _wait_for_server(proc: subprocess.Popen[str], index: Path, env: dict[str, str], timeout_s: float = 300) -> None:
    """Until the server of ``index`` accepts connections (its socket, as a client finds it)."""
    import socket
    import time

    probe_env = {k: v for k, v in env.items() if k == "XDG_RUNTIME_DIR"}
    where = subprocess.run(
        [sys.executable, "-c", "import sys; from pathlib import Path; from rag.serve.address import socket_path;"
                               " print(socket_path(Path(sys.argv[1])))", str(index)],
        capture_output=True, text=True, env={**os.environ, **probe_env}, check=True,
    ).stdout.strip()
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        assert proc.poll() is None, proc.stderr.read() if proc.stderr else "the server exited"
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(where)
                return
            except OSError:
                time.sleep(0.2)
    pytest.fail(f"`baocao serve` did not listen within {timeout_s:.0f} s")


QUESTION = "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?"


def test_ask_through_baocao_serve_prints_the_in_process_answer_and_answers_itself_once_it_stops(
    sample_index: Path, tmp_path: Path
):
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path), "BAOCAO_LOG_LEVEL": "INFO"}
    local = _baocao("ask", QUESTION, "--index", str(sample_index), "--json", "--local", env_extra=env)
    assert local.returncode == 0, local.stderr
    server = subprocess.Popen([sys.executable, "-m", "rag.cli", "serve", "--index", str(sample_index)],
                              stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        _wait_for_server(server, sample_index, env)
        served = _baocao("ask", QUESTION, "--index", str(sample_index), "--json", env_extra=env)
        assert served.returncode == 0, served.stderr
        assert "answered by the server" in served.stderr
        mine, theirs = json.loads(local.stdout), json.loads(served.stdout)
        assert theirs["answer"] == mine["answer"] and "5.851 tỷ đồng" in theirs["answer"]
        assert theirs["citations"] == mine["citations"]

        other_settings = _baocao("ask", QUESTION, "--index", str(sample_index), "--json",
                                 env_extra={**env, "BAOCAO_RETRIEVAL__CANDIDATES": "40"})
        assert other_settings.returncode == 0 and "answered by the server" not in other_settings.stderr
        assert json.loads(other_settings.stdout)["found"]

        second = subprocess.run([sys.executable, "-m", "rag.cli", "serve", "--index", str(sample_index)],
                                capture_output=True, text=True, env=env, timeout=300)
        assert second.returncode == 1 and "Đã có một tiến trình `baocao serve`" in second.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert "Sẵn sàng" in server.stdout.read()
    after = _baocao("ask", QUESTION, "--index", str(sample_index), "--json", env_extra=env)
    assert after.returncode == 0 and "answered by the server" not in after.stderr
    assert json.loads(after.stdout)["answer"] == json.loads(local.stdout)["answer"]


@pytest.mark.parametrize("command", ["ask", "search"])
def test_a_document_filter_naming_no_document_says_there_is_no_such_document(sample_index: Path, command: str):
    out = _baocao(command, QUESTION, "--index", str(sample_index), "--doc", "nope.txt")
    assert out.returncode == 0, out.stderr
    assert "Không có tài liệu nào tên nope.txt (no such document: nope.txt)." in out.stdout


def test_the_province_filter_takes_a_name_typed_without_diacritics(sample_index: Path):
    docs = json.loads(_baocao("docs", "--index", str(sample_index), "--json").stdout)
    ca_mau = {d["doc"] for d in docs if d["province"] == "Cà Mau"}
    assert ca_mau and len(ca_mau) < len(docs)
    hits = json.loads(_baocao("search", "thu ngân sách nhà nước", "--index", str(sample_index), "--province",
                              "ca mau", "-k", "10", "--json").stdout)
    assert hits and {h["doc"] for h in hits} <= ca_mau
    answer = json.loads(_baocao("ask", QUESTION, "--index", str(sample_index), "--province", "ca mau",
                                "--json").stdout)
    assert answer["found"] and "5.851 tỷ đồng" in answer["answer"]


def test_docs_shows_the_web_pages_vietnamese_headers_and_kinds(sample_index: Path):
    out = _baocao("docs", "--index", str(sample_index), env_extra={"COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    for header in ("Mã tài liệu", "Tiêu đề", "Ngày", "Kỳ báo cáo", "Tỉnh", "Loại", "Số đoạn"):
        assert header in out.stdout
    assert "phiên họp" in out.stdout and "báo cáo" in out.stdout
    assert "meeting" not in out.stdout and "province" not in out.stdout


@pytest.mark.parametrize("command", [[], ["ask"], ["ingest"], ["bench", "cold-ask"]])
def test_help_screens_speak_vietnamese(command: list[str]):
    out = _baocao(*command, "--help", env_extra={"COLUMNS": "200"})
    assert out.returncode == 0, out.stderr
    assert "Cách dùng (usage):" in out.stdout and "Hiện hướng dẫn này rồi thoát" in out.stdout
    assert "Show this message" not in out.stdout and "Usage:" not in out.stdout
    assert "Tùy chọn (options)" in out.stdout and "─ Options ─" not in out.stdout


def test_markup_in_file_names_headings_and_text_is_printed_as_written(tmp_path: Path):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "mk_[blink]x.txt").write_text(
        "BÁO CÁO TÌNH HÌNH KINH TẾ XÃ HỘI NĂM 2021 [sửa đổi]\n\nI. Thu ngân sách [/red]\n\n"
        "Tổng thu ngân sách nhà nước năm 2021 đạt 5.851 tỷ đồng [bold], tăng 12% so với cùng kỳ.\n",
        encoding="utf-8")
    index = str(tmp_path / "idx")
    assert _baocao("ingest", str(folder), "--index", index).returncode == 0
    docs = _baocao("docs", "--index", index, env_extra={"COLUMNS": "250"})
    assert docs.returncode == 0, docs.stderr
    assert "mk_[blink]x.txt" in docs.stdout and "[sửa đổi]" in docs.stdout
    search = _baocao("search", "thu ngân sách năm 2021", "--index", index, env_extra={"COLUMNS": "250"})
    assert search.returncode == 0, search.stderr
    assert "mk_[blink]x.txt · I. Thu ngân sách [/red]" in search.stdout and "[bold]" in search.stdout
    ask = _baocao("ask", "Tổng thu ngân sách nhà nước năm 2021 đạt bao nhiêu?", "--index", index,
                  env_extra={"COLUMNS": "250"})
    assert ask.returncode == 0 and "MarkupError" not in ask.stderr, ask.stderr
    assert "5.851 tỷ đồng" in ask.stdout and "I. Thu ngân sách [/red]" in ask.stdout

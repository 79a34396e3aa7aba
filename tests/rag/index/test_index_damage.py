"""An index on a read-only or full disk answers; lost or mixed-up derived files are warned of and
rebuilt; a damaged file gives one line naming it and `baocao check`, which repairs it.

Real parts throughout: `baocao` as a subprocess on a copy of the sample index (real Chroma on
disk, the default embedder). Read-only and full disks are real mounts (a read-only bind mount, a
filled 30 MB tmpfs), so those tests need root and skip without it.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # `baocao` subprocesses on copies of the sample index

QUESTION = "Thu ngân sách năm 2021 của Cà Mau đạt bao nhiêu?"
ROOT = os.geteuid() == 0


def _baocao(*args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "COLUMNS": "200"}
    return subprocess.run([sys.executable, "-m", "rag.cli", *args], capture_output=True, text=True,
                          env=env, timeout=300)


def _search(index: Path, mode: str = "hybrid") -> tuple[list[dict], str]:
    done = _baocao("search", QUESTION, "--index", str(index), "--mode", mode, "--json")
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return json.loads(done.stdout), done.stderr


def _mount(*args: str) -> None:
    done = subprocess.run(["mount", *args], capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")


@contextlib.contextmanager
def _read_only_copy(index: Path, tmp: Path) -> Iterator[Path]:
    source, view = tmp / "rw", tmp / "ro"
    shutil.copytree(index, source)
    view.mkdir()
    _mount("--bind", str(source), str(view))
    try:
        _mount("-o", "remount,bind,ro", str(view))
        yield view
    finally:
        subprocess.run(["umount", "-l", str(view)], check=False)


@contextlib.contextmanager
def _full_disk_copy(index: Path, tmp: Path) -> Iterator[Path]:
    disk = tmp / "disk"
    disk.mkdir()
    _mount("-t", "tmpfs", "-o", "size=30m", "tmpfs", str(disk))
    try:
        shutil.copytree(index, disk / "index")
        subprocess.run(["dd", "if=/dev/zero", f"of={disk / 'fill'}", "bs=1M", "count=64"], capture_output=True)
        assert os.statvfs(disk).f_bavail == 0
        yield disk / "index"
    finally:
        subprocess.run(["umount", "-l", str(disk)], check=False)


@pytest.mark.skipif(not ROOT, reason="mounting a read-only view and a small tmpfs needs root")
@pytest.mark.parametrize("disk", ["read-only mount", "full disk"])
def test_a_reader_answers_from_a_read_only_or_full_index_as_from_a_writable_one(
    disk: str, sample_index: Path, tmp_path: Path
):
    writable = shutil.copytree(sample_index, tmp_path / "writable")
    expected = {mode: [h["start"] for h in _search(writable, mode)[0]] for mode in ("hybrid", "dense")}
    place = _read_only_copy if disk == "read-only mount" else _full_disk_copy
    with place(sample_index, tmp_path) as index:
        before = sorted(p.name for p in index.rglob("*"))
        for mode in ("hybrid", "dense"):
            hits, stderr = _search(index, mode)
            assert [h["start"] for h in hits] == expected[mode], stderr  # dense search too, not BM25 alone
        answer = _baocao("ask", QUESTION, "--index", str(index), "--local")
        assert answer.returncode == 0 and "5.851 tỷ đồng" in answer.stdout, answer.stderr
        if disk == "read-only mount":
            assert sorted(p.name for p in index.rglob("*")) == before


def test_a_lost_chroma_file_and_foreign_bm25_ids_are_warned_of_and_the_next_ingest_repairs_them(
    sample_index: Path, sample_dir: Path, tmp_path: Path
):
    index = shutil.copytree(sample_index, tmp_path / "index")
    (index / "chroma" / "chroma.sqlite3").unlink()
    ids_file = next((index / "bm25").glob("gen-*/ids.json"))
    ids_file.write_text(json.dumps([f"other-{i}" for i in json.loads(ids_file.read_text())]))

    hits, stderr = _search(index)
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert any("chroma.sqlite3" in line and "baocao check" in line for line in lines), stderr
    assert any("ids.json" in line and "baocao check" in line for line in lines), stderr
    assert hits  # BM25 was rebuilt in memory, so the reader still finds the passages

    assert _baocao("ingest", str(sample_dir), "--index", str(index), "--quiet").returncode == 0
    dense, stderr = _search(index, "dense")
    assert dense and "WARNING" not in stderr, stderr
    saved = json.loads(next((index / "bm25").glob("gen-*/ids.json")).read_text())
    assert not any(i.startswith("other-") for i in saved)


@pytest.mark.parametrize("repair", ["check", "ingest"])
def test_bm25_ids_in_another_order_are_warned_of_and_check_or_the_next_ingest_rewrites_them(
    repair: str, sample_index: Path, sample_dir: Path, tmp_path: Path
):
    """The same ids reordered map every BM25 row to the wrong chunk: as damaging as foreign ids."""
    intact = shutil.copytree(sample_index, tmp_path / "intact")
    expected = [(h["doc"], h["start"]) for h in _search(intact, "bm25")[0]]
    index = shutil.copytree(sample_index, tmp_path / "index")
    ids_file = next((index / "bm25").glob("gen-*/ids.json"))
    original = json.loads(ids_file.read_text())
    ids_file.write_text(json.dumps(original[::-1]))

    hits, stderr = _search(index, "bm25")
    assert any("ids.json" in line and "baocao check" in line for line in stderr.splitlines()), stderr
    assert [(h["doc"], h["start"]) for h in hits] == expected  # rebuilt in memory: the right passages

    if repair == "check":
        done = _baocao("check", "--index", str(index))
        assert done.returncode == 0 and "bm25: đã dựng lại" in done.stdout, done.stdout + done.stderr
    else:
        done = _baocao("ingest", str(sample_dir), "--index", str(index), "--quiet")
        assert done.returncode == 0, done.stdout + done.stderr
    assert json.loads(next((index / "bm25").glob("gen-*/ids.json")).read_text()) == original
    hits, stderr = _search(index, "bm25")
    assert "WARNING" not in stderr and [(h["doc"], h["start"]) for h in hits] == expected, stderr


def _scribble(path: Path, offset: int, size: int) -> None:
    with path.open("r+b") as f:
        f.seek(offset)
        f.write(os.urandom(size))


@pytest.mark.parametrize("damage", ["manifest random bytes", "chroma truncated"])
def test_a_damaged_file_is_named_in_one_line_and_check_rebuilds_it(
    damage: str, sample_index: Path, sample_dir: Path, tmp_path: Path
):
    index = shutil.copytree(sample_index, tmp_path / "index")
    if damage == "manifest random bytes":
        damaged = index / "manifest.sqlite"
        _scribble(damaged, 4096 * 3, 8192)
    else:
        damaged = index / "chroma" / "chroma.sqlite3"
        os.truncate(damaged, 20_000)

    for command in (["ask", QUESTION, "--local"], ["ingest", str(sample_dir), "--quiet"]):
        done = _baocao(*command, "--index", str(index))
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        assert done.returncode == 1 and "Traceback" not in done.stderr, done.stderr
        assert len(lines) == 1 and str(damaged) in lines[0] and f"baocao check --index {index}" in lines[0]

    sources = [str(sample_dir)] if damage == "manifest random bytes" else []  # its folder row is lost
    repaired = _baocao("check", *sources, "--index", str(index))
    assert repaired.returncode == 0, repaired.stdout + repaired.stderr
    assert "rebuilt" in repaired.stdout
    for mode in ("dense", "bm25"):
        hits, stderr = _search(index, mode)
        assert hits and "WARNING" not in stderr, stderr
    again = _baocao("check", "--index", str(index))
    assert again.returncode == 0 and again.stdout.count("(ok)") == 3, again.stdout

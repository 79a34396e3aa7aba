"""`baocao bench cold-ask`: fresh `ask` processes, timed and measured one by one, written as JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from eval.bench.cold_ask import QUESTIONS, question_for, timed

pytestmark = pytest.mark.slow  # a benchmark: fresh `baocao ask` processes


def test_every_round_asks_a_question_not_asked_before():
    asked = [question_for(i) for i in range(3 * len(QUESTIONS))]
    assert len(set(asked)) == len(asked)


def test_the_launcher_reports_the_commands_own_peak_memory_not_its_callers(tmp_path: Path):
    ballast = bytearray(300 * 1024 * 1024)  # this process: at least 300 MB resident
    ballast[::4096] = b"x" * len(ballast[::4096])
    small = timed([sys.executable, "-S", "-c", "pass"], dict(os.environ), tmp_path)
    big = timed(
        [sys.executable, "-S", "-c", "b = bytearray(200 * 2**20); b[::4096] = b'x' * len(b[::4096])"],
        dict(os.environ),
        tmp_path,
    )
    assert small["returncode"] == 0 and small["max_rss_mb"] < 100
    assert big["max_rss_mb"] > 200 and big["wall_s"] > 0


def test_cold_ask_writes_each_run_and_the_median_of_both_modes(sample_index: Path, tmp_path: Path):
    out = tmp_path / "cold.json"
    env = {**os.environ, "XDG_RUNTIME_DIR": str(tmp_path)}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "rag.cli",
            "bench",
            "cold-ask",
            "--index",
            str(sample_index),
            "--runs",
            "2",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(out.read_text(encoding="utf-8"))
    assert data["benchmark"] == "cold-ask" and data["runs"] == 2 and data["target_s"] == 1.5
    assert set(data["modes"]) == {"in-process", "served"} and set(data["ratios"]) == {"in-process/served"}
    for mode in data["modes"].values():
        assert len(mode["runs"]) == 2 and mode["median_s"] > 0
        assert all(run["returncode"] == 0 and run["found"] is not None for run in mode["runs"])
        assert len({run["question"] for run in mode["runs"]}) == 2
    assert all(
        run["served"] for run in data["modes"]["served"]["runs"]
    )  # answered by the server, not locally
    assert data["server"]["ready_s"] > 0 and "load_average_1m" in data["machine"]

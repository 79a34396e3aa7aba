"""`baocao bench cold-ask`: how long a user waits for `baocao ask` started as a fresh process.

Each run is a new process, ``baocao ask QUESTION --index DIR --json``, timed from its fork to its
exit with its own peak memory (``timed_launch.py``). Every run asks another question and every mode
has an empty embedding cache of its own, so each run embeds its question as a user's new question
does. Modes:

- ``in-process``: ``ask --local``, the process opens the index and the models itself;
- ``served``: ``ask`` while ``baocao serve`` runs for the index (started once before the rounds;
  its start and memory are reported apart);
- ``before``: the same command run from another source tree (``--before DIR``, e.g. the last
  commit: ``git archive HEAD | tar -x -C DIR``) with the same interpreter, index and settings.

A shared machine's load drifts, so the modes are interleaved: each round runs every mode once, in
rotating order, and the ratios compare medians of the same rounds. One untimed run of each mode
comes first (the OS file cache warm, as for a user's second question of the day).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from eval.bench.measure import REPO, machine
from rag.offline import OFFLINE_ENV

TARGET_S = 1.5
DEFAULT_OUT = Path("eval/bench/results/cold-ask.json")
LAUNCHER = Path(__file__).with_name("timed_launch.py")
SERVED_MARK = "answered by the server"
QUESTIONS = (
    "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?",
    "Tỷ lệ hộ nghèo của tỉnh giảm còn bao nhiêu phần trăm?",
    "Ai ký báo cáo kết quả thực hiện nhiệm vụ 6 tháng đầu năm 2020?",
    "Tổng vốn đầu tư toàn xã hội năm 2021 ước đạt bao nhiêu?",
    "Kim ngạch xuất khẩu 8 tháng năm 2020 đạt bao nhiêu triệu USD?",
    "Hà Giang có bao nhiêu xã đạt chuẩn nông thôn mới?",
    "Sản lượng tôm nuôi của Cà Mau năm 2021 là bao nhiêu tấn?",
    "Tốc độ tăng trưởng kinh tế GRDP năm 2021 là bao nhiêu?",
    "Công văn số bao nhiêu chỉ đạo phòng chống dịch Covid-19?",
    "Có bao nhiêu doanh nghiệp thành lập mới trong 6 tháng đầu năm 2020?",
    "thu ngan sach 6 thang dau nam 2020 ca mau",
    "Tình hình giải ngân vốn đầu tư công như thế nào?",
)
WARM_UP_QUESTION = "Số thuê bao điện thoại trên địa bàn tỉnh là bao nhiêu?"


@dataclass(frozen=True)
class ColdAskOptions:
    index: Path
    runs: int = 5
    out: Path = DEFAULT_OUT
    in_process: bool = True
    served: bool = True
    before: Path | None = None
    config: Path | None = None


@dataclass
class Mode:
    """One way of answering: the source tree the CLI runs from, and what it adds to ``ask``."""

    name: str
    source: Path
    extra: tuple[str, ...] = ()
    env: dict[str, str] = field(default_factory=dict)
    runs: list[dict[str, Any]] = field(default_factory=list)


def cli_command(source: Path, *args: str) -> list[str]:
    """``baocao ARGS`` with the code of ``source`` (first on the path, whatever the current folder)."""
    boot = f"import sys; sys.path.insert(0, {str(source)!r}); from rag.cli import app; sys.exit(app())"
    return [sys.executable, "-c", boot, *args]


def question_for(round_no: int) -> str:
    """A different question each round (past the list, numbered: a repeat would come from the cache)."""
    base = QUESTIONS[round_no % len(QUESTIONS)]
    return base if round_no < len(QUESTIONS) else f"{base} ({round_no // len(QUESTIONS) + 1})"


def timed(command: Sequence[str], env: dict[str, str], work: Path) -> dict[str, Any]:
    """Run ``command`` under the launcher: wall time, peak memory, exit code, stdout and stderr."""
    result_file = work / "launch.json"
    result_file.unlink(missing_ok=True)
    proc = subprocess.run(
        [sys.executable, "-S", str(LAUNCHER), str(result_file), "--", *command],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    result = json.loads(result_file.read_text(encoding="utf-8"))
    return {**result, "stdout": proc.stdout, "stderr": proc.stderr}


def _run_record(mode: Mode, question: str, launched: dict[str, Any], load: float) -> dict[str, Any]:
    record: dict[str, Any] = {
        "question": question,
        "wall_s": launched["wall_s"],
        "max_rss_mb": launched["max_rss_mb"],
        "returncode": launched["returncode"],
        "load_average_1m": round(load, 2),
    }
    try:
        reply = json.loads(launched["stdout"])
        record.update(
            found=reply.get("found"), answer=reply.get("answer", "")[:120], timings_ms=reply.get("timings_ms")
        )
    except ValueError:
        record["error"] = launched["stderr"][-500:]
    if mode.name == "served":
        record["served"] = SERVED_MARK in launched["stderr"]
    return record


def _summary(runs: list[dict[str, Any]]) -> dict[str, Any]:
    walls = [r["wall_s"] for r in runs]
    return {
        "median_s": round(statistics.median(walls), 3) if walls else None,
        "min_s": min(walls, default=None),
        "max_s": max(walls, default=None),
        "median_max_rss_mb": statistics.median([r["max_rss_mb"] for r in runs]) if runs else None,
        "runs": runs,
    }


def _wait_for_socket(path: Path, proc: subprocess.Popen[bytes], timeout_s: float = 600) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"`baocao serve` exited with {proc.returncode} before it was ready")
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            try:
                probe.connect(str(path))
                return
            except OSError:
                pass
        time.sleep(0.1)
    raise RuntimeError(f"`baocao serve` was not ready within {timeout_s:.0f} s")


def _rss_mb(pid: int) -> dict[str, float | None]:
    """Current and peak resident memory of another process, from its /proc status (None elsewhere)."""
    out: dict[str, float | None] = {"rss_mb": None, "peak_rss_mb": None}
    try:
        lines = Path(f"/proc/{pid}/status").read_text(encoding="ascii", errors="replace").splitlines()
    except OSError:
        return out
    for line in lines:
        key, _, value = line.partition(":")
        label = {"VmRSS": "rss_mb", "VmHWM": "peak_rss_mb"}.get(key)
        if label and value.split():
            out[label] = round(int(value.split()[0]) / 1024, 1)
    return out


def run(options: ColdAskOptions) -> dict[str, Any]:
    """Measure every mode ``options`` asks for; the result is what ``--out`` gets."""
    from rag.serve.address import socket_path

    index = options.index.expanduser().resolve()
    base_env = {
        **os.environ,
        **OFFLINE_ENV,
    }
    if options.config is not None:
        base_env["BAOCAO_CONFIG"] = str(options.config.resolve())
    with tempfile.TemporaryDirectory(prefix="cold-ask-") as tmp:
        work = Path(tmp)
        modes: list[Mode] = []
        if options.before is not None:
            modes.append(Mode("before", options.before.resolve()))
        if options.in_process:
            modes.append(Mode("in-process", REPO, ("--local",)))
        if options.served:
            modes.append(Mode("served", REPO, (), {"BAOCAO_LOG_LEVEL": "INFO"}))
        for mode in modes:  # an empty embedding cache each: every question is embedded
            mode.env = {
                **base_env,
                **mode.env,
                "BAOCAO_EMBEDDINGS__CACHE_DIR": str(work / f"cache-{mode.name}"),
            }
        load_start = os.getloadavg()[0]
        server: subprocess.Popen[bytes] | None = None
        server_info: dict[str, Any] | None = None
        try:
            if options.served:
                served = next(m for m in modes if m.name == "served")
                if socket_path(index).exists():
                    raise RuntimeError(f"a `baocao serve` already runs for {index}: stop it first")
                started = time.perf_counter()
                server = subprocess.Popen(
                    cli_command(REPO, "serve", "--index", str(index)),
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                    env=served.env,
                )
                _wait_for_socket(socket_path(index), server)
                server_info = {"ready_s": round(time.perf_counter() - started, 2)}
            for mode in modes:  # untimed: the file cache warm, the query engine exported if it was not
                timed(
                    cli_command(
                        mode.source, "ask", WARM_UP_QUESTION, "--index", str(index), "--json", *mode.extra
                    ),
                    mode.env,
                    work,
                )
            for round_no in range(options.runs):
                question = question_for(round_no)
                shift = round_no % len(modes)
                for mode in modes[shift:] + modes[:shift]:
                    load = os.getloadavg()[0]
                    command = cli_command(
                        mode.source, "ask", question, "--index", str(index), "--json", *mode.extra
                    )
                    mode.runs.append(_run_record(mode, question, timed(command, mode.env, work), load))
            if server is not None and server_info is not None:
                server_info.update(_rss_mb(server.pid))
        finally:
            if server is not None:
                server.terminate()
                try:
                    server.wait(timeout=30)
                except subprocess.TimeoutExpired:
                    server.kill()
    summaries = {m.name: _summary(m.runs) for m in modes}
    medians = {name: s["median_s"] for name, s in summaries.items()}
    ratios = {
        f"{a}/{b}": round(medians[a] / medians[b], 2)
        for a in medians
        for b in medians
        if a != b
        and medians[a]
        and medians[b]
        and (a, b) in {("before", "in-process"), ("before", "served"), ("in-process", "served")}
    }
    return {
        "benchmark": "cold-ask",
        "index": str(index),
        "runs": options.runs,
        "target_s": TARGET_S,
        "meets_target": {name: m is not None and m <= TARGET_S for name, m in medians.items()},
        "ratios": ratios,
        "load_average_1m": {"start": round(load_start, 2), "end": round(os.getloadavg()[0], 2)},
        "machine": machine(),
        "server": server_info,
        "modes": summaries,
    }

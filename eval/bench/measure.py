"""Small measuring tools shared by the ingest and query benches: latency summaries, memory, disk,
throughput under concurrent clients, and a description of the machine the figures came from."""

from __future__ import annotations

import os
import platform
import resource
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eval.report import percentile
from eval.retrieval_metrics import hit_at
from rag.proc_status import proc_status_kib

if TYPE_CHECKING:
    from rag.config import EmbeddingSettings

REPO = Path(__file__).resolve().parents[2]


def latency_summary(values: Sequence[float]) -> dict[str, float | int | None]:
    """p50, p95, max and mean of ``values`` (milliseconds), rounded to 0.1."""
    return {
        "n": len(values),
        "p50": percentile(list(values), 0.5),
        "p95": percentile(list(values), 0.95),
        "max": round(max(values), 1) if values else None,
        "mean": round(sum(values) / len(values), 1) if values else None,
    }


def stage_summaries(rows: Sequence[Mapping[str, float]], stages: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Per stage, the summary over all calls (a call that skipped a stage counts 0 ms for it)."""
    return {s: latency_summary([row.get(s, 0.0) for row in rows]) for s in stages}


def doc_hits(
    ranking: Sequence[str], relevant: Sequence[str], ks: Iterable[int] = (1, 10)
) -> dict[str, float]:
    """hit@k of any relevant document among the first k distinct documents of ``ranking``."""
    rel = [d in relevant for d in ranking]
    return {f"hit@{k}": hit_at(rel, k) for k in ks}


def mean_of(rows: Sequence[Mapping[str, Any]], key: str) -> float | None:
    values = [float(r[key]) for r in rows if r.get(key) is not None]
    return round(sum(values) / len(values), 4) if values else None


def queries_per_second(call: Callable[[str], Any], questions: Sequence[str], clients: int) -> float:
    """Answer every question with ``clients`` threads sharing ``call``; questions per wall second."""
    start = time.perf_counter()
    with ThreadPoolExecutor(max_workers=clients) as pool:
        list(pool.map(call, questions))
    return round(len(questions) / (time.perf_counter() - start), 2)


def loaded_embedder(settings: EmbeddingSettings) -> tuple[Any, float]:
    """The embedder ``settings`` describe, both engines loaded; seconds it took.

    Loaded before any timing starts, as a server would have it: where queries run on onnxruntime,
    the passage model (torch) would otherwise load at its first call, inside a timed ingest.
    """
    from embeddings import get_embedder

    start = time.perf_counter()
    embedder = get_embedder(settings)
    embedder.embed_queries(["khởi động"])
    embedder.embed_passages(["khởi động"])
    return embedder, time.perf_counter() - start


def describe_embedder(embedder: Any) -> dict[str, Any]:
    """The vector space (``model_id``) and what computed it (``engine``, where the backend says)."""
    return {
        "model_id": embedder.model_id,
        "engine": getattr(embedder, "engine", None),
        "backend": embedder.settings.backend,
    }


def peak_rss_mb() -> float:
    """Peak resident memory of this process since it started its program, in MiB.

    Linux's ``getrusage`` ``ru_maxrss`` survives ``fork`` and ``execve``: a worker the bench
    spawned reported its parent's peak whenever that was higher (a parent that had just ingested
    12,000 articles made every worker "peak" at 2.7 GiB). ``VmHWM`` in ``/proc/self/status`` is
    the high-water mark of this program's own memory; ``getrusage`` only where there is no /proc.
    """
    kib = proc_status_kib("VmHWM")
    if kib is None:
        kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return round(kib / 1024, 1)


def disk_usage_mb(path: Path) -> float:
    """What ``du`` says a folder takes on disk, in MiB (allocated blocks, not apparent size)."""
    total = 0
    for dirpath, _, filenames in os.walk(path):
        for name in filenames:
            try:
                total += os.lstat(Path(dirpath) / name).st_blocks * 512
            except OSError:
                continue
    return round(total / 1048576, 2)


def _git(*args: str) -> str:
    try:
        return subprocess.run(
            ["git", *args], cwd=REPO, capture_output=True, text=True, timeout=10
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return ""


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def machine() -> dict[str, Any]:
    """CPU, memory, load and code version: figures on a shared 2-core box drift with its load."""
    try:
        mem_gib = round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30, 1)
    except (ValueError, OSError):
        mem_gib = None
    return {
        "cpu_count": os.cpu_count(),
        "cpus_usable": len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count(),
        "cpu_model": _cpu_model(),
        "memory_gib": mem_gib,
        "load_average_1m": round(os.getloadavg()[0], 2),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "git_commit": _git("rev-parse", "HEAD"),
        "git_dirty": bool(_git("status", "--porcelain", "--untracked-files=no")),
    }

"""Each measured phase runs in a fresh Python process, so its peak RSS and its model load are its own.

    python -m eval.bench.worker PHASE SPEC.json RESULT.json

The parent writes the phase's spec (paths, settings) as JSON and reads back the result, to which
the worker adds its own ``peak_rss_mb``.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from eval.bench.measure import peak_rss_mb
from rag.offline import OFFLINE_ENV

logger = logging.getLogger(__name__)

PHASES = {
    "ingest": "eval.bench.ingest_bench:measure_pipeline",
    "baseline-ingest": "eval.bench.ingest_bench:measure_baseline",
    "ingest-paired": "eval.bench.paired_ingest:measure_paired",
    "serve": "eval.bench.query_bench:measure_serving",
    "baseline-query": "eval.bench.query_bench:measure_baseline",
}


class PhaseFailed(RuntimeError):
    """A worker process exited with an error; its stderr went to ours."""


def spawn(phase: str, spec: dict[str, Any], work: Path) -> dict[str, Any]:
    """Run ``phase`` in a child process and return its result."""
    spec_path, out_path = work / f"{phase}.spec.json", work / f"{phase}.result.json"
    spec_path.write_text(json.dumps(spec, ensure_ascii=False, indent=2, default=str), encoding="utf-8")
    out_path.unlink(missing_ok=True)
    env = {
        **OFFLINE_ENV,
        **os.environ,
    }
    logger.info("bench phase %s", phase)
    done = subprocess.run(
        [sys.executable, "-m", "eval.bench.worker", phase, str(spec_path), str(out_path)], env=env
    )
    if done.returncode != 0 or not out_path.is_file():
        raise PhaseFailed(
            f"bench phase {phase!r} failed with exit code {done.returncode} (see its output above)"
        )
    return json.loads(out_path.read_text(encoding="utf-8"))


def main(argv: list[str] | None = None) -> int:
    phase, spec_path, out_path = argv if argv is not None else sys.argv[1:]
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # SimpleDirectoryReader warns once per file that optional readers are missing; we read .txt only
    logging.getLogger("llama_index.core.readers.file.base").setLevel(logging.ERROR)
    module, _, name = PHASES[phase].partition(":")
    measure = getattr(importlib.import_module(module), name)
    load_before = os.getloadavg()[0]
    result = measure(json.loads(Path(spec_path).read_text(encoding="utf-8")))
    result["process_peak_rss_mb"] = peak_rss_mb()
    result.setdefault("peak_rss_mb", result["process_peak_rss_mb"])  # a phase may name an earlier moment's
    # other work on the machine slows every figure: say how busy it was
    result["load_average_1m"] = {"start": round(load_before, 2), "end": round(os.getloadavg()[0], 2)}
    Path(out_path).write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

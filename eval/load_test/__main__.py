"""``python -m eval.load_test``: serve a copy of an index, load it, write the figures as JSON.

Exit code 0 when every question was answered, correctly, and every ingest step succeeded; else 1.
"""

from __future__ import annotations

import argparse
import json
import logging
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from eval.load_test.processes import ingest_cli
from eval.load_test.runner import INGEST_VIA, LoadConfig, LoadReport, load_test


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m eval.load_test", description=__doc__)
    source = p.add_mutually_exclusive_group(required=True)
    source.add_argument("--index", type=Path, help="an index to serve (a copy is used; it is never changed)")
    source.add_argument("--docs", type=Path, help="a folder to ingest into a fresh index first")
    p.add_argument("--out", type=Path, default=Path("load-test.json"), help="where the JSON report goes")
    p.add_argument("--sessions", type=int, default=20)
    p.add_argument("--duration", type=float, default=45.0, help="seconds during which questions start")
    p.add_argument("--max-questions", type=int, default=50, help="per session")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds per question")
    p.add_argument(
        "--ingest-via",
        default=",".join(INGEST_VIA),
        help="ingest steps during the load: cli (baocao ingest), upload (the page), comma-separated, or none",
    )
    p.add_argument(
        "--ingest-at", type=float, default=3.0, help="seconds into the load when the ingest starts"
    )
    p.add_argument("--concurrency", type=int, help="the page's ui.concurrency (questions answered at once)")
    p.add_argument("--threads", type=int, help="embeddings.threads of the server and the ingest")
    p.add_argument("--backend", help="embeddings.backend of the server and the ingest")
    p.add_argument("--embed-cache", action="store_true", help="let the server use the embedding cache")
    p.add_argument("--workdir", type=Path, help="keep the index copy, uploads and extra reports here")
    return p.parse_args(argv)


def _env(args: argparse.Namespace) -> dict[str, str]:
    env = {"BAOCAO_EMBEDDINGS__CACHE": "true" if args.embed_cache else "false"}
    for key, value in (
        ("BAOCAO_UI__CONCURRENCY", args.concurrency),
        ("BAOCAO_EMBEDDINGS__THREADS", args.threads),
        ("BAOCAO_EMBEDDINGS__BACKEND", args.backend),
    ):
        if value is not None:
            env[key] = str(value)
    return env


def _summary(report: LoadReport) -> str:
    data = report.to_json()
    lat = data["latency_ms"]
    lines = [
        f"{data['questions_answered']} answered, {data['errors']} errors, {data['wrong_answers']} wrong "
        f"in {data['wall_s']} s ({data['throughput_qps']} questions/s) by {data['sessions']} sessions",
        f"latency ms: p50 {lat.get('p50')} · p95 {lat.get('p95')} · max {lat.get('max')}",
    ]
    lines += [
        f"ingest via {s['via']}: ok={s['ok']} at {s['start_s']} s for {s['seconds']} s"
        for s in data["ingests"]
    ]
    lines += [
        f"new document via {d['via']}: asked {d['asked']}, correct {d['correct']}"
        for d in data["new_documents"]
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    via = tuple(v for v in args.ingest_via.split(",") if v and v != "none")
    config = LoadConfig(
        sessions=args.sessions,
        duration_s=args.duration,
        max_questions=args.max_questions,
        request_timeout_s=args.timeout,
        ingest_at_s=args.ingest_at,
        ingest_via=via,
        hard_limit_s=max(120.0, 2 * args.duration),
    )
    env = _env(args)
    with tempfile.TemporaryDirectory(prefix="baocao-load-") as tmp:
        workdir = args.workdir or Path(tmp)
        index = workdir / "index"
        if index.exists():
            shutil.rmtree(index)
        if args.index:
            shutil.copytree(args.index, index)
        else:
            built = ingest_cli([args.docs], index, env)
            if built.returncode not in (0, 2):
                print(built.output, file=sys.stderr)
                return 1
        report = load_test(index, workdir, config, env)
    report.extra["command"] = shlex.join([sys.executable, "-m", "eval.load_test", *(argv or sys.argv[1:])])
    data = report.to_json()
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")
    print(_summary(report))
    print(f"→ {args.out}")
    ok = not data["errors"] and not data["wrong_answers"] and all(s["ok"] for s in data["ingests"])
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())

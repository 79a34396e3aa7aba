"""`baocao` commands. Thin: parse options, call the library, print. Exit codes: 0 ok, 1 failure,
2 some files failed (the rest was indexed)."""

from __future__ import annotations

import json
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from rag.config import Settings, load_settings

if TYPE_CHECKING:
    from rag.records import Citation

app = typer.Typer(
    help="baocao: hỏi đáp có trích dẫn trên các báo cáo của cơ quan nhà nước (offline).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)

IndexOpt = Annotated[Path | None, typer.Option("--index", help="index folder (default: settings index.dir)")]
ConfigOpt = Annotated[Path | None, typer.Option("--config", help="TOML settings file (default: ./baocao.toml)")]
ProvinceOpt = Annotated[str | None, typer.Option("--province", help="only documents of this province")]
YearOpt = Annotated[int | None, typer.Option("--year", help="only documents of this year")]
DocOpt = Annotated[str | None, typer.Option("--doc", help="only this document")]


def _settings(config: Path | None, index: Path | None = None, chroma_url: str | None = None) -> Settings:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    try:
        settings = load_settings(config)
    except Exception as exc:  # pydantic ValidationError, TOML errors, missing file
        err.print(f"[red]Lỗi cấu hình (configuration error):[/red] {exc}")
        raise typer.Exit(1) from exc
    if index is not None:
        settings.index.dir = index
    if chroma_url is not None:
        settings.index.chroma_url = chroma_url
    folder = Path(settings.index.dir)
    if folder.exists() and not folder.is_dir():
        _fail(f"Chỉ mục phải là một thư mục, nhưng {folder} là một tệp (the index path is a file: "
              f"give a folder, e.g. --index .baocao/index)")
    logging.basicConfig(level=settings.log_level.upper(), format="%(levelname)s %(name)s: %(message)s")
    return settings


def _fail(message: str) -> NoReturn:
    """One red line on stderr (never wrapped, never read as markup), then exit 1."""
    err.print(f"[red]{escape(message)}[/red]", soft_wrap=True, highlight=False, emoji=False)
    raise typer.Exit(1)


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="files or folders (folders recurse)")],
    index: IndexOpt = None,
    prune: Annotated[bool, typer.Option("--prune", help="remove documents whose files are gone")] = False,
    chroma_url: Annotated[str | None, typer.Option("--chroma-url", help="use a `chroma run` server")] = None,
    config: ConfigOpt = None,
    quiet: Annotated[bool, typer.Option("--quiet", "-q", help="no progress bar")] = False,
    lock_timeout: Annotated[
        float | None,
        typer.Option("--lock-timeout", min=0, help="seconds to wait while another ingest writes the index"),
    ] = None,
) -> None:
    """Nạp tài liệu vào chỉ mục (load documents into the index)."""
    from rag.index.chroma_store import ChromaServerError
    from rag.index.errors import IndexWriteError, one_line
    from rag.index.lock import IndexLocked
    from rag.ingest.pipeline import Ingestor

    settings = _settings(config, index, chroma_url)
    if lock_timeout is not None:
        settings.index.lock_timeout_s = lock_timeout
    try:
        report = Ingestor(settings).run(paths, prune=prune, progress=not quiet and sys.stderr.isatty())
    except (IndexLocked, IndexWriteError, ChromaServerError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Không ghi được chỉ mục {settings.index.dir} (cannot write the index): {one_line(exc)}")
    console.print(
        f"Đã nạp (indexed): {len(report.indexed)} tệp, {report.chunks} đoạn, {report.words} từ · "
        f"không đổi (unchanged): {len(report.unchanged)} · lỗi (failed): {len(report.failed)}"
        + (f" · bỏ qua (skipped): {len(report.ignored)}" if report.ignored else "")
        + (f" · đã xoá (removed): {len(report.removed)}" if report.removed else "")
        + (f" · cắt lại theo cách chia mới (re-chunked): {len(report.rechunked)}" if report.rechunked else "")
        + f" · {report.seconds:.1f} s",
        soft_wrap=True,
    )
    if report.chunks:
        console.print(
            f"Vector: {report.chunks_embedded} mới (new), {report.chunks_from_cache} từ bộ nhớ đệm (from cache)"
        )
    for problem in report.failed:
        err.print(f"[yellow]LỖI[/yellow] {escape(str(problem))}", soft_wrap=True, highlight=False, emoji=False)
    for problem in report.notes:
        err.print(f"[cyan]LƯU Ý[/cyan] {escape(str(problem))}", soft_wrap=True, highlight=False, emoji=False)
    for problem in report.ignored:
        err.print(f"BỎ QUA {escape(str(problem))}", soft_wrap=True, highlight=False, emoji=False)
    if report.failed:
        raise typer.Exit(2)


@app.command()
def docs(
    index: IndexOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOpt = None,
) -> None:
    """Liệt kê tài liệu đã nạp (list indexed documents)."""
    from rag.index.store import IndexNotReady, IndexStore

    settings = _settings(config, index)
    try:
        store = IndexStore(Path(settings.index.dir), settings)
    except IndexNotReady as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    rows = [
        {
            "doc": d.doc_id,
            "title": d.metadata.title,
            "date": d.metadata.date,
            "period": d.metadata.period.label if d.metadata.period else None,
            "province": d.metadata.province,
            "kind": d.metadata.kind,
            "chunks": d.n_chunks,
        }
        for d in store.documents()
    ]
    store.close()
    if as_json:
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    columns = ("doc", "title", "date", "period", "province", "kind", "chunks")
    cells = [[str(r[c]) if r[c] is not None else "—" for c in columns] for r in rows]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    title_at = columns.index("title")
    # every column but the title keeps its full width; the title gets what is left of the screen
    room = console.width - sum(w for i, w in enumerate(widths) if i != title_at) - 3 * len(columns) - 1
    shown = [i for i in range(len(columns)) if i != title_at or room >= 12]
    table = Table()
    for i in shown:
        table.add_column(columns[i], no_wrap=True, overflow="ellipsis",
                         min_width=widths[i] if i != title_at else None,
                         max_width=max(room, 12) if i == title_at else None)
    for row in cells:
        table.add_row(*(row[i] for i in shown))
    console.print(table)


@app.command()
def search(
    question: Annotated[str, typer.Argument(help="câu hỏi (the question)")],
    index: IndexOpt = None,
    k: Annotated[int, typer.Option("-k", help="number of chunks", min=1, max=100)] = 5,
    mode: Annotated[str, typer.Option("--mode", help="hybrid | bm25 | bm25_folded | dense")] = "hybrid",
    province: ProvinceOpt = None,
    year: YearOpt = None,
    doc: DocOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOpt = None,
) -> None:
    """Tìm các đoạn liên quan (search the index)."""
    from rag.index.store import IndexNotReady
    from rag.retrieve.hybrid import Searcher

    settings = _settings(config, index)
    try:
        searcher = Searcher.open(settings.index.dir, settings)
        allowed = searcher.store.allowed_docs(_filters(province, year, doc))
        hits = searcher.search(question, k=k, mode=mode, allowed_docs=allowed)
    except (IndexNotReady, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    if as_json:
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print("Không tìm thấy đoạn nào phù hợp (no matching passage).")
    for i, h in enumerate(hits, 1):
        console.print(f"[bold][{i}][/bold] {h.doc} · {h.section or '—'} · [{h.start}:{h.end}] · {h.score:.4f}")
        console.print(h.text if len(h.text) <= 600 else h.text[:600] + " …", markup=False, highlight=False)
        console.print()


def _filters(province: str | None, year: int | None, doc: str | None):  # noqa: ANN202
    from rag.records import SearchFilters

    return SearchFilters(province=province, year=year, doc=doc)


def _open_assistant(settings: Settings):  # noqa: ANN202 - lazy import keeps `baocao --help` fast
    """The assistant over the configured index, or exit 1 with the reason."""
    from rag.assistant import Assistant
    from rag.index.store import IndexNotReady

    try:
        assistant = Assistant.open(settings.index.dir, settings)
        assistant.store.chroma  # noqa: B018 - connect now: a refused token is told here, not mid-answer
        return assistant
    except (IndexNotReady, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc


def citation_line(c: Citation) -> str:
    """What a reader needs to find a cited passage: the report's title and period first, then the
    section and page, then the file (offsets are for ``--json``)."""
    from rag.records import visible

    page = f"trang {c.page}" + (" (OCR)" if c.ocr else "") if c.page else None
    parts = [c.title or c.doc, c.period, c.section or None, page, c.doc if c.title else None]
    return " · ".join(visible(p) for p in parts if p)


def _print_answer(answer) -> None:  # noqa: ANN001
    console.print(answer.text, markup=False, highlight=False)
    for c in answer.citations:
        console.print(f"\n[bold][{c.n}][/bold] {escape(citation_line(c))}", soft_wrap=True, highlight=False)
        console.print(f"    “{c.quote}”", markup=False, highlight=False)
    if not answer.found and answer.suggestions:
        console.print("\nĐoạn gần nhất (không phải câu trả lời / closest passages, not an answer):")
        for h in answer.suggestions:
            console.print(f"  - {h.doc} · {h.section or '—'}: {h.text[:160]}…", markup=False, highlight=False)


@app.command()
def ask(
    question: Annotated[str, typer.Argument(help="câu hỏi (the question)")],
    index: IndexOpt = None,
    llm: Annotated[str | None, typer.Option("--llm", help="extractive | openai | gguf")] = None,
    history: Annotated[Path | None, typer.Option("--history", help="JSON list of {role, content} turns")] = None,
    province: ProvinceOpt = None,
    year: YearOpt = None,
    doc: DocOpt = None,
    as_json: Annotated[bool, typer.Option("--json", help="machine-readable output")] = False,
    config: ConfigOpt = None,
) -> None:
    """Hỏi một câu, nhận câu trả lời có trích dẫn (ask one question)."""
    if not question.strip():
        err.print("[red]Hãy nhập một câu hỏi (the question is empty).[/red]")
        raise typer.Exit(2)
    settings = _settings(config, index)
    turns = []
    if history is not None:
        try:
            turns = json.loads(history.read_text(encoding="utf-8"))
            assert isinstance(turns, list) and all(isinstance(t, dict) and "content" in t for t in turns)
        except (OSError, ValueError, AssertionError) as exc:
            err.print(f"[red]--history {history}: cần một danh sách JSON các lượt {{role, content}} ({exc})[/red]")
            raise typer.Exit(1) from exc
    if llm is not None and llm not in ("extractive", "openai", "gguf"):
        err.print("[red]--llm phải là extractive, openai hoặc gguf[/red]")
        raise typer.Exit(1)
    assistant = _open_assistant(settings)
    answer = assistant.ask(question, history=turns, filters=_filters(province, year, doc), mode=llm)
    if as_json:
        data = answer.to_json()
        print(json.dumps({k: data[k] for k in ("answer", "found", "confidence", "citations", "timings_ms")}, ensure_ascii=False,
                         indent=2))
        return
    _print_answer(answer)


@app.command()
def chat(
    index: IndexOpt = None,
    llm: Annotated[str | None, typer.Option("--llm", help="extractive | openai | gguf")] = None,
    config: ConfigOpt = None,
) -> None:
    """Trò chuyện nhiều lượt trong cửa sổ lệnh (a terminal conversation with history)."""
    settings = _settings(config, index)
    assistant = _open_assistant(settings)
    console.print("Nhập câu hỏi; dòng trống hoặc Ctrl-D để thoát, /moi để bắt đầu cuộc hội thoại mới.")
    turns: list[dict[str, str]] = []
    while True:
        try:
            question = console.input("[bold]Hỏi:[/bold] ").strip()
        except (EOFError, KeyboardInterrupt):
            break
        if not question:
            break
        if question == "/moi":
            turns = []
            continue
        answer = assistant.ask(question, history=turns, mode=llm)
        _print_answer(answer)
        console.print()
        turns += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


@app.command()
def ui(
    index: IndexOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="port (default 7860)")] = None,
    auth: Annotated[
        str | None, typer.Option("--auth", help="user:password or @FILE (default $BAOCAO_UI_AUTH)")
    ] = None,
    insecure: Annotated[bool, typer.Option("--insecure", help="serve beyond loopback without a password")] = False,
    config: ConfigOpt = None,
) -> None:
    """Mở giao diện web (open the web page)."""
    from ui.app import main

    main(index=index, host=host, port=port, auth=auth, insecure=insecure, settings=_settings(config, index))


@app.command("eval")
def evaluate(
    gold: Annotated[Path, typer.Option("--gold", help="gold questions (JSONL, docs/evaluation-format.md)")],
    docs: Annotated[Path, typer.Option("--docs", help="folder of documents the gold file refers to")],
    index: IndexOpt = None,
    out: Annotated[Path, typer.Option("--out", help="where metrics.json, report.md and plots go")] = Path(
        "eval-out"
    ),
    configs: Annotated[
        list[str] | None,
        typer.Option("--config", help="bm25 | dense | hybrid | hybrid+rerank | llamaindex-baseline (repeatable)"),
    ] = None,
) -> None:
    """Chấm điểm trợ lý trên một tệp câu hỏi chuẩn (score the assistant on a gold file)."""
    from eval.runner import DEFAULT_CONFIGS, EvalError, run

    _settings(None)
    try:
        metrics = run(gold, docs, index, out, list(configs or DEFAULT_CONFIGS))
    except (EvalError, ValueError) as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    for summary in metrics.get("configs", [metrics]):
        r = summary
        console.print(
            f"{r['config']['name']}: hit@5 {r['retrieval']['hit@5']} · all facts {r['answer']['all_facts']} · "
            f"unanswerable refused {r['refusal']['unanswerable_refused']} · citation precision "
            f"{r['citations']['precision']} · p50 {r['latency_ms']['p50']} ms"
        )
    console.print(f"→ {out / 'metrics.json'}, {out / 'report.md'}")


def _add_bench() -> None:
    from eval.bench.cli import bench_app  # typer only; the bench's heavy imports are lazy

    app.add_typer(bench_app, name="bench")


_add_bench()

if __name__ == "__main__":
    app()

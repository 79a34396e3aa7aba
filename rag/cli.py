"""`baocao` commands. Thin: parse options, call the library, print. Exit codes: 0 ok, 1 failure,
2 some files failed (the rest was indexed)."""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, NoReturn, get_args

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from rag.cli_help import VietnameseCommand, VietnameseGroup
from rag.config import AnswerMode, Settings, load_settings
from rag.offline import stay_offline

if TYPE_CHECKING:
    from rag.records import Citation

app = typer.Typer(
    cls=VietnameseGroup,
    help="baocao: hỏi đáp có trích dẫn trên các báo cáo của cơ quan nhà nước (offline).",
    no_args_is_help=True,
    add_completion=False,
)
console = Console()
err = Console(stderr=True)

IndexOpt = Annotated[
    Path | None, typer.Option("--index", help="thư mục chỉ mục (index folder; default: settings index.dir)"),
]
ConfigOpt = Annotated[
    Path | None, typer.Option("--config", help="tệp cấu hình TOML (settings file; default: ./baocao.toml)"),
]
ProvinceOpt = Annotated[
    str | None, typer.Option("--province", help="chỉ tài liệu của tỉnh này, có dấu hay không (province)"),
]
YearOpt = Annotated[int | None, typer.Option("--year", help="chỉ tài liệu của năm này (only this year)")]
DocOpt = Annotated[str | None, typer.Option("--doc", help="chỉ tài liệu này (only this document)")]
AnswerModeOpt = Annotated[
    str | None,
    typer.Option("--answer-mode", "--llm",
                 help="cách trả lời (answer mode): extractive | openai | gguf; mặc định: answer.mode"),
]


def _settings(config: Path | None, index: Path | None = None, chroma_url: str | None = None) -> Settings:
    stay_offline()
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


@contextmanager
def _damage_told(index_dir: Path) -> Iterator[None]:
    """A damaged index file ends the command with one line naming it and `baocao check`."""
    try:
        yield
    except typer.Exit:
        raise
    except Exception as exc:
        from rag.index.check import diagnose

        damaged = diagnose(exc, Path(index_dir))
        if damaged is None:
            raise
        _fail(str(damaged))


@app.command(cls=VietnameseCommand)
def ingest(
    paths: Annotated[
        list[Path], typer.Argument(help="tệp hoặc thư mục, kể cả thư mục con (files or folders)"),
    ],
    index: IndexOpt = None,
    prune: Annotated[
        bool, typer.Option("--prune", help="xoá tài liệu có tệp đã mất (remove documents of gone files)"),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option("--replace", help="tệp trùng tên với tài liệu của tệp khác thì thay tài liệu đó; "
                                       "mặc định giữ cả hai, tệp mới mang tên dài hơn (replace same-named)"),
    ] = False,
    chroma_url: Annotated[
        str | None, typer.Option("--chroma-url", help="dùng máy chủ `chroma run` (use a Chroma server)"),
    ] = None,
    config: ConfigOpt = None,
    quiet: Annotated[
        bool, typer.Option("--quiet", "-q", help="không hiện thanh tiến trình (no progress bar)"),
    ] = False,
    lock_timeout: Annotated[
        float | None,
        typer.Option("--lock-timeout", min=0, help="số giây chờ khi lần nạp khác đang ghi (lock wait)"),
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
        with _damage_told(settings.index.dir):
            report = Ingestor(settings).run(paths, prune=prune, progress=not quiet and sys.stderr.isatty(),
                                            replace=replace)
    except (IndexLocked, IndexWriteError, ChromaServerError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Không ghi được chỉ mục {settings.index.dir} (cannot write the index): {one_line(exc)}")
    console.print(
        f"Đã nạp (indexed): {len(report.indexed)} tệp, {report.chunks} đoạn, {report.words} từ · "
        f"không đổi (unchanged): {len(report.unchanged)} · lỗi (failed): {len(report.failed)}"
        + (f" · bỏ qua (skipped): {len(report.ignored)}" if report.ignored else "")
        + (f" · đã xoá (removed): {len(report.removed)}" if report.removed else "")
        + (f" · thay thế (replaced): {len(report.replaced)}" if report.replaced else "")
        + (f" · trùng tên, giữ cả hai (kept): {len(report.kept_apart)}" if report.kept_apart else "")
        + (f" · cắt lại theo cách chia mới (re-chunked): {len(report.rechunked)}" if report.rechunked else "")
        + f" · {report.seconds:.1f} s",
        soft_wrap=True,
    )
    if report.chunks:
        console.print(
            f"Vector: {report.chunks_embedded} mới (new), {report.chunks_from_cache} từ bộ nhớ đệm (from cache)"
        )
    for label, clashes in (("THAY THẾ", report.replaced), ("GIỮ CẢ HAI", report.kept_apart)):
        for clash in clashes:
            console.print(f"[bold]{label}[/bold] {escape(str(clash))}", soft_wrap=True, highlight=False,
                          emoji=False)
    if report.kept_apart:
        console.print("Muốn tệp mới thay cho tài liệu cùng tên thì nạp lại với --replace "
                      "(to replace instead, ingest again with --replace).", soft_wrap=True, highlight=False)
    for problem in report.failed:
        err.print(f"[yellow]LỖI[/yellow] {escape(str(problem))}", soft_wrap=True, highlight=False, emoji=False)
    for problem in report.notes:
        err.print(f"[cyan]LƯU Ý[/cyan] {escape(str(problem))}", soft_wrap=True, highlight=False, emoji=False)
    for problem in report.ignored:
        err.print(f"BỎ QUA {escape(str(problem))}", soft_wrap=True, highlight=False, emoji=False)
    if report.failed:
        raise typer.Exit(2)


@app.command(cls=VietnameseCommand)
def docs(
    index: IndexOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="in kết quả dạng JSON (machine-readable output)"),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Liệt kê tài liệu đã nạp (list indexed documents)."""
    from rag.index.store import IndexNotReady, IndexStore

    settings = _settings(config, index)
    with _damage_told(settings.index.dir):
        try:
            store = IndexStore(Path(settings.index.dir), settings)
        except IndexNotReady as exc:
            _fail(str(exc))
        documents = store.documents()
        store.close()
    if as_json:
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
            for d in documents
        ]
        print(json.dumps(rows, ensure_ascii=False, indent=2))
        return
    from ui.views import DOCUMENT_HEADERS, document_rows  # the web page's table: same headers and kinds

    columns = tuple(DOCUMENT_HEADERS)
    cells = [[str(value) for value in row] for row in document_rows(documents)]
    widths = [max([len(c), *(len(row[i]) for row in cells)]) for i, c in enumerate(columns)]
    title_at, period_at = 1, 3  # "Tiêu đề", "Kỳ báo cáo": what a narrow screen shortens
    # every column but the title keeps its full width; the title gets what is left of the screen
    room = console.width - sum(w for i, w in enumerate(widths) if i != title_at) - 3 * len(columns) - 1
    shown = [i for i in range(len(columns)) if i != title_at or room >= 12]
    table = Table()
    for i in shown:
        table.add_column(columns[i], no_wrap=True, overflow="ellipsis",
                         min_width=widths[i] if i not in (title_at, period_at) else None,
                         max_width=max(room, 12) if i == title_at else None)
    for row in cells:  # file names and titles come from documents: plain text, never markup
        table.add_row(*(Text(row[i]) for i in shown))
    console.print(table)


@app.command(cls=VietnameseCommand)
def search(
    question: Annotated[str, typer.Argument(help="câu hỏi (the question)")],
    index: IndexOpt = None,
    k: Annotated[
        int | None,
        typer.Option("-k", help="số đoạn trả về; mặc định: retrieval.top_k (number of chunks)", min=1, max=100),
    ] = None,
    retrieval_mode: Annotated[
        str, typer.Option("--retrieval-mode", "--mode",
                          help="cách tìm (retrieval mode): hybrid | bm25 | bm25_folded | dense"),
    ] = "hybrid",
    province: ProvinceOpt = None,
    year: YearOpt = None,
    doc: DocOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="in kết quả dạng JSON (machine-readable output)"),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Tìm các đoạn liên quan (search the index)."""
    from rag.index.store import IndexNotReady
    from rag.retrieve.hybrid import Searcher

    settings = _settings(config, index)
    filters = _filters(province, year, doc)
    try:
        with _damage_told(settings.index.dir):
            searcher = Searcher.open(settings.index.dir, settings)
            allowed = searcher.store.allowed_docs(filters)
            hits = searcher.search(question, k=k or settings.retrieval.top_k, retrieval_mode=retrieval_mode,
                                   allowed_docs=allowed)
    except (IndexNotReady, ValueError) as exc:
        _fail(str(exc))
    if as_json:
        print(json.dumps([h.to_json() for h in hits], ensure_ascii=False, indent=2))
        return
    if not hits:
        console.print(_no_passage(searcher.store, filters), soft_wrap=True, highlight=False, markup=False)
    for i, h in enumerate(hits, 1):
        console.print(f"[bold][{i}][/bold] {escape(h.doc)} · {escape(h.section or '—')} · [{h.start}:{h.end}] · "
                      f"{h.score:.4f}", highlight=False)  # names and headings come from documents: never markup
        console.print(h.text if len(h.text) <= 600 else h.text[:600] + " …", markup=False, highlight=False)
        console.print()


def _no_passage(store, filters) -> str:  # noqa: ANN001
    """Why a search found nothing: the filter that left no document ("no such document: nope.txt"),
    else "no matching passage" and the filters it searched under."""
    from rag.retrieve.filters import explain_filters, not_found_note

    nothing = "Không tìm thấy đoạn nào phù hợp (no matching passage)."
    if not filters.active:
        return nothing
    scope = explain_filters(filters, {row.doc_id: row.metadata for row in store.documents_by_id().values()})
    if scope.empty and scope.message:
        return scope.message
    return f"{nothing} {not_found_note(filters, scope)}".strip()


def _filters(province: str | None, year: int | None, doc: str | None):  # noqa: ANN202
    from rag.records import SearchFilters

    return SearchFilters(province=province, year=year, doc=doc)


def _open_assistant(settings: Settings):  # noqa: ANN202 - lazy import keeps `baocao --help` fast
    """The assistant over the configured index, or exit 1 with the reason."""
    from rag.assistant import Assistant
    from rag.index.store import IndexNotReady

    try:
        with _damage_told(settings.index.dir):
            assistant = Assistant.open(settings.index.dir, settings)
            assistant.searcher.dense_ready()  # connect now: a refused token is told here, not mid-answer
        return assistant
    except (IndexNotReady, ValueError) as exc:
        _fail(str(exc))


def _check_answer_mode(answer_mode: str | None) -> None:
    """Exit 1 with the modes there are when ``--answer-mode`` names none of them."""
    modes = get_args(AnswerMode)
    if answer_mode is not None and answer_mode not in modes:
        err.print(f"[red]--answer-mode (--llm) phải là {', '.join(modes[:-1])} hoặc {modes[-1]}[/red]")
        raise typer.Exit(1)


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


@app.command(cls=VietnameseCommand)
def ask(
    question: Annotated[str, typer.Argument(help="câu hỏi (the question)")],
    index: IndexOpt = None,
    answer_mode: AnswerModeOpt = None,
    history: Annotated[
        Path | None, typer.Option("--history", help="tệp JSON các lượt trước [{role, content}, …] (history)"),
    ] = None,
    province: ProvinceOpt = None,
    year: YearOpt = None,
    doc: DocOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="in kết quả dạng JSON (machine-readable output)"),
    ] = False,
    config: ConfigOpt = None,
    local: Annotated[
        bool, typer.Option("--local", help="trả lời trong tiến trình này, không qua `baocao serve` "
                                          "(answer here, not through a running server)"),
    ] = False,
) -> None:
    """Hỏi một câu, nhận câu trả lời có trích dẫn (ask one question).

    Khi `baocao serve` đang chạy cho chỉ mục này, câu hỏi được gửi tới đó và trả lời ngay
    (when a server runs for this index, it answers at once)."""
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
    _check_answer_mode(answer_mode)
    filters = _filters(province, year, doc)
    answer = None
    if not local:
        from rag.serve.client import ask_served

        answer = ask_served(settings, question, history=turns, filters=filters, answer_mode=answer_mode)
    if answer is None:
        with _damage_told(settings.index.dir):
            answer = _open_assistant(settings).ask(question, history=turns, filters=filters,
                                                   answer_mode=answer_mode)
    if as_json:
        data = answer.to_json()
        print(json.dumps({k: data[k] for k in ("answer", "found", "confidence", "citations", "timings_ms")}, ensure_ascii=False,
                         indent=2))
        return
    _print_answer(answer)


@app.command(cls=VietnameseCommand)
def chat(
    index: IndexOpt = None,
    answer_mode: AnswerModeOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Trò chuyện nhiều lượt trong cửa sổ lệnh (a terminal conversation with history)."""
    settings = _settings(config, index)
    _check_answer_mode(answer_mode)
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
            console.print(
                f"Đã bắt đầu cuộc hội thoại mới: quên {len(turns) // 2} câu hỏi trước "
                "(new conversation: earlier questions forgotten)."
            )
            turns = []
            continue
        with _damage_told(settings.index.dir):
            answer = assistant.ask(question, history=turns, answer_mode=answer_mode)
        _print_answer(answer)
        console.print()
        turns += [{"role": "user", "content": question}, {"role": "assistant", "content": answer.text}]


@app.command(cls=VietnameseCommand)
def check(
    sources: Annotated[
        list[Path] | None,
        typer.Argument(help="tệp hoặc thư mục nguồn để dựng lại manifest hỏng; mặc định: những thư mục "
                            "manifest còn ghi (sources to rebuild a damaged manifest from)"),
    ] = None,
    index: IndexOpt = None,
    config: ConfigOpt = None,
) -> None:
    """Kiểm tra chỉ mục, dựng lại phần hỏng (check the index and rebuild what is damaged).

    Chroma và BM25 được dựng lại từ manifest và bộ nhớ đệm vector; manifest hỏng được dựng lại
    bằng cách nạp lại các tệp nguồn (Chroma and BM25 from the manifest, the manifest from the files)."""
    import time

    from rag.index.check import DAMAGED, check_index
    from rag.index.errors import IndexWriteError, one_line
    from rag.index.lock import IndexLocked

    settings = _settings(config, index)
    started = time.perf_counter()
    try:
        with _damage_told(settings.index.dir):
            results = check_index(Path(settings.index.dir), settings, sources or ())
    except (IndexLocked, IndexWriteError) as exc:
        _fail(str(exc))
    except OSError as exc:
        _fail(f"Không ghi được chỉ mục {settings.index.dir} (cannot write the index): {one_line(exc)}")
    for result in results:
        console.print(str(result), soft_wrap=True, markup=False, highlight=False)
    console.print(f"Xong (done): {time.perf_counter() - started:.1f} s", highlight=False)
    if any(r.state == DAMAGED for r in results):
        raise typer.Exit(1)


@app.command(cls=VietnameseCommand)
def serve(index: IndexOpt = None, config: ConfigOpt = None) -> None:
    """Giữ trợ lý trong bộ nhớ để `baocao ask` trả lời ngay (keep the assistant loaded for fast `ask`).

    Mở chỉ mục và mô hình một lần rồi chờ câu hỏi qua một Unix socket chỉ người dùng này dùng được;
    `baocao ask` cùng chỉ mục và cùng cấu hình tự gửi câu hỏi tới đây. Ctrl-C để dừng."""
    from rag.serve.server import AlreadyServing, AnswerService, bind, run

    settings = _settings(config, index)
    service = AnswerService(settings, lambda: _open_assistant(settings))
    service.warm_up()
    try:
        server = bind(service)
    except (AlreadyServing, OSError) as exc:
        _fail(str(exc))
    console.print(f"Sẵn sàng (ready): `baocao ask` trên chỉ mục {escape(str(settings.index.dir))} "
                  "được trả lời tại đây. Ctrl-C để dừng (to stop).", soft_wrap=True, highlight=False)
    run(server)


@app.command(cls=VietnameseCommand)
def ui(
    index: IndexOpt = None,
    host: Annotated[str | None, typer.Option("--host", help="địa chỉ, mặc định 127.0.0.1 (address)")] = None,
    port: Annotated[int | None, typer.Option("--port", help="cổng, mặc định 7860 (port)")] = None,
    auth: Annotated[
        str | None, typer.Option("--auth", help="user:password hoặc @TỆP, mặc định $BAOCAO_UI_AUTH (login)")
    ] = None,
    insecure: Annotated[
        bool, typer.Option("--insecure", help="mở ra ngoài máy này không cần mật khẩu (insecure)"),
    ] = False,
    config: ConfigOpt = None,
) -> None:
    """Mở giao diện web (open the web page)."""
    from ui.app import main

    main(index=index, host=host, port=port, auth=auth, insecure=insecure, settings=_settings(config, index))


@app.command("eval", cls=VietnameseCommand)
def evaluate(
    gold: Annotated[
        Path, typer.Option("--gold", help="tệp câu hỏi chuẩn JSONL, docs/evaluation-format.md (gold)"),
    ],
    docs: Annotated[
        Path, typer.Option("--docs", help="thư mục tài liệu mà tệp câu hỏi nhắc tới (documents folder)"),
    ],
    index: Annotated[
        Path | None, typer.Option("--index", help="thư mục chỉ mục được dựng để chấm (index folder; default: OUT/index)"),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="nơi ghi metrics.json, report.md và biểu đồ (output folder)"),
    ] = Path(
        "eval-out"
    ),
    configurations: Annotated[
        list[str] | None,
        typer.Option("--configuration", help="cách tìm cần chấm, lặp lại được (retrieval configurations): "
                                             "bm25 | dense | hybrid | hybrid+rerank | llamaindex-baseline"),
    ] = None,
    config: ConfigOpt = None,
) -> None:
    """Chấm điểm trợ lý trên một tệp câu hỏi chuẩn (score the assistant on a gold file).

    Chỉ mục được dựng trong --index (mặc định OUT/index) theo tệp cấu hình --config
    (the index is built in --index, default OUT/index, with the settings of --config)."""
    from eval.runner import CONFIGS, DEFAULT_CONFIGS, EvalError, run

    if config is not None and not config.exists() and str(config) in CONFIGS:
        _fail(f"--config là tệp cấu hình TOML; để chấm cách tìm {config} hãy dùng --configuration {config} "
              f"(--config names the settings file; a retrieval configuration is --configuration)")
    settings = _settings(config)
    try:
        metrics = run(gold, docs, index, out, list(configurations or DEFAULT_CONFIGS), settings)
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

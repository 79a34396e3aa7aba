"""Pure rendering: answers, sources, documents and conversations as HTML or Markdown strings.

Report text is untrusted (anyone can upload a file), so every piece of it that reaches HTML goes
through :func:`html.escape`; the only markup here is our own. No Gradio import: these functions
are unit-tested on their own.
"""

from __future__ import annotations

import datetime as dt
import html
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

from rag.answer.refusal import NOT_FOUND
from rag.index.manifest import DocumentRow
from rag.ingest.uploader import uploader_label
from rag.records import Answer, Citation, SearchHit
from rag.text.table_rows import CAPTION_PREFIX, parse_record

NOT_AN_ANSWER = "Không phải câu trả lời — các đoạn gần nhất"

KIND_LABELS = {
    "report": "báo cáo", "meeting": "phiên họp", "dispatch": "công văn", "plan": "kế hoạch",
    "decision": "quyết định", "news": "tin tức", "other": "khác",
}

DOCUMENT_HEADERS = ["Mã tài liệu", "Tiêu đề", "Ngày", "Kỳ báo cáo", "Tỉnh", "Loại", "Số đoạn", "Người nạp",
                    "Nạp lúc"]

_MD_SPECIAL = re.compile(r"([\\`*_<>#|~])")


def esc(text: object) -> str:
    """HTML-escape anything (quotes too, so it is safe inside attributes)."""
    return html.escape("" if text is None else str(text), quote=True)


def md_escape(text: str) -> str:
    """Backslash-escape Markdown so report text shows literally in a Markdown view.

    Brackets stay readable (``[1]`` is a citation marker); only link and image openings are broken.
    """
    return _MD_SPECIAL.sub(r"\\\1", text).replace("](", "]\\(").replace("![", "!\\[")


class Turn(NamedTuple):
    """One question of the conversation, its answer, and the filters it was asked under.

    ``filters`` is the one-line label of the active filters (``rag.retrieve.filters.describe_filters``),
    "" when none: the chat and the export show it, so an answer never hides how narrow its search was.
    """

    question: str
    answer: Answer
    filters: str = ""


def filters_banner_html(label: str) -> str:
    """The notice above the chat while filters are on ("" when none): the filters sit in a collapsed
    panel, and a question about another year would otherwise read as plain "not found"."""
    if not label:
        return ""
    return (f'<div class="bc-filters-on" role="status"><strong>{esc(label)}</strong><br>'
            '<span class="bc-meta">Câu hỏi chỉ tìm trong các tài liệu thỏa bộ lọc; bấm "Bỏ lọc" để tìm '
            "trong tất cả.</span></div>")


@dataclass(frozen=True)
class Source:
    """Something the source panel can open: a citation of the answer (``kind="cite"``) or a closest
    passage of a refusal (``kind="near"``, its hit read as a citation numbered in the list)."""

    kind: str  # "cite" | "near"
    citation: Citation

    @property
    def page_label(self) -> str | None:
        """"trang 3", "trang 3 (OCR)" for a page of the paper original (PDF, scan, image); else None."""
        c = self.citation
        if c.page is None:
            return None
        return f"trang {c.page}" + (" (OCR)" if c.ocr else "")

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.citation.n}"

    @property
    def anchor(self) -> str:
        return f"cite-{self.citation.n}" if self.kind == "cite" else f"near-{self.citation.n}"

    @classmethod
    def from_citation(cls, c: Citation) -> Source:
        return cls("cite", c)

    @classmethod
    def from_hit(cls, n: int, h: SearchHit) -> Source:
        return cls("near", Citation(n, h.doc, h.title, h.section, h.start, h.end, h.text, chunk_id=h.chunk_id,
                                    page=h.page))


def answer_sources(answer: Answer, max_near: int = 3) -> list[Source]:
    """Citations of a found answer, or up to ``max_near`` closest passages of a refusal."""
    if answer.found:
        return [Source.from_citation(c) for c in answer.citations]
    return [Source.from_hit(i, h) for i, h in enumerate(answer.suggestions[:max_near], 1)]


def source_label(source: Source) -> str:
    """One line naming a source, for the clickable list."""
    c = source.citation
    title = c.title or c.doc
    if len(title) > 70:
        title = title[:69] + "…"
    prefix = f"[{c.n}]" if source.kind == "cite" else f"Đoạn gần nhất {c.n}"
    bits = [f"{prefix} {title}"]
    if c.period:
        bits.append(c.period)
    if source.page_label:
        bits.append(source.page_label)
    if c.section:
        bits.append(c.section[:40])
    return " · ".join(bits)


def _clip(text: str, limit: int = 320) -> str:
    """A long passage shortened at a word boundary (the document view shows it whole)."""
    if len(text) <= limit:
        return text
    return text[:limit].rsplit(" ", 1)[0] + " …"


# Answer.mode: the extractive reader quoted, or an LLM wrote sentences that were then grounded
_MODE_LABELS = {"extractive": "trích nguyên văn", "llm": "mô hình ngôn ngữ, đã đối chiếu với tài liệu"}


def sources_html(answer: Answer | None, sources: Sequence[Source], filters: str = "") -> str:
    """The source panel of the last answer: each source's title, period, section and quoted span.

    ``filters``: the label of the filters the question was asked under, shown first.
    """
    if answer is None:
        return '<div class="bc-sources bc-empty">Nguồn trích dẫn của câu trả lời sẽ hiện ở đây.</div>'
    parts = ['<div class="bc-sources">']
    if filters:
        parts.append(f'<div class="bc-filters-on bc-filters-used">{esc(filters)}</div>')
    if not answer.found:
        parts.append(f'<div class="bc-warning" role="note"><strong>{esc(NOT_AN_ANSWER)}</strong><br>'
                     "Tài liệu đã nạp không trả lời được câu hỏi này; dưới đây là các đoạn gần nhất "
                     "để tham khảo.</div>")
        if not sources:
            parts.append('<p class="bc-empty">Không có đoạn nào gần với câu hỏi.</p>')
    for s in sources:
        c = s.citation
        cls = "bc-source" if s.kind == "cite" else "bc-source bc-near"
        head = f"[{c.n}]" if s.kind == "cite" else f"Đoạn gần nhất {c.n}"
        meta = " · ".join(esc(x) for x in (c.period, s.page_label, c.section or None, c.doc) if x)
        quote = _clip(c.quote) if s.kind == "near" else c.quote
        parts.append(
            f'<div class="{cls}"><div class="bc-source-head"><span class="bc-n">{esc(head)}</span> '
            f'<span class="bc-title">{esc(c.title or c.doc)}</span></div>'
            f'<div class="bc-meta" title="ký tự {c.start}–{c.end}">{meta}</div>'
            f'<blockquote class="bc-quote">{esc(quote)}</blockquote></div>'
        )
    total = answer.timings_ms.get("total")
    if total is not None:
        mode = _MODE_LABELS.get(answer.mode, answer.mode)
        parts.append(f'<div class="bc-meta">Cách trả lời: {esc(mode)} · {total / 1000:.2f} giây</div>')
    parts.append("</div>")
    return "".join(parts)


def _line_bounds(text: str, at: int) -> tuple[int, int]:
    start = text.rfind("\n", 0, at) + 1
    end = text.find("\n", at)
    return start, len(text) if end < 0 else end


def cited_table_html(text: str, start: int) -> str:
    """The table whose row (a record line, rag/text/table_rows.py) holds ``start``, drawn as a table
    with that row highlighted; "" when the cited text is not a table row."""
    line_start, line_end = _line_bounds(text, start)
    if parse_record(text[line_start:line_end]) is None:
        return ""
    first = last = (line_start, line_end)
    while first[0] > 0 and text[first[0] - 2 : first[0]] != "\n\n":  # rows above, up to a blank line
        above = _line_bounds(text, first[0] - 1)
        if parse_record(text[above[0] : above[1]]) is None:
            break
        first = above
    while last[1] < len(text) and text[last[1] : last[1] + 2] != "\n\n":
        below = _line_bounds(text, last[1] + 1)
        if parse_record(text[below[0] : below[1]]) is None:
            break
        last = below
    caption = ""
    if first[0] > 0:
        above = _line_bounds(text, first[0] - 1)
        if text[above[0] : above[1]].startswith(CAPTION_PREFIX):
            caption = f"<caption>{esc(text[above[0] + len(CAPTION_PREFIX) : above[1]])}</caption>"
    rows: list[tuple[bool, dict[str, str]]] = []
    at = first[0]
    while at <= last[0]:
        bounds = _line_bounds(text, at)
        rows.append((bounds[0] == line_start, dict(parse_record(text[bounds[0] : bounds[1]]) or [])))
        at = bounds[1] + 1
    columns = list(dict.fromkeys(label for _, row in rows for label in row))
    head = "".join(f"<th>{esc(c)}</th>" for c in columns)
    body = "".join(
        ('<tr class="bc-row-cited">' if cited else "<tr>")
        + "".join(f"<td>{esc(row.get(c, ''))}</td>" for c in columns) + "</tr>"
        for cited, row in rows
    )
    return (f'<table class="bc-table bc-cited-table">{caption}<thead><tr>{head}</tr></thead>'
            f"<tbody>{body}</tbody></table>")


def document_html(
    text: str, start: int | None = None, end: int | None = None, anchor: str = "cite-1",
    title: str | None = None, doc_id: str = "", near: bool = False, token: str = "", page: str | None = None,
    page_image: str | None = None,
) -> str:
    """The whole document, escaped, with ``text[start:end]`` wrapped in ``<mark id=anchor>``.

    Offsets are clamped to the text; without them the document is shown unmarked. ``token`` goes
    into ``data-r`` so the page can tell a fresh render from the previous one. A cited table row
    is also shown in its table, highlighted; ``page`` names the page of the paper original, and
    ``page_image`` (a data: URI, ui/page_image.py) shows a scanned page with the cited words boxed.
    """
    where = " · ".join(esc(x) for x in (page, doc_id) if x)
    head = (f'<div class="bc-doc-head"><strong>{esc(title or doc_id)}</strong>'
            f'<span class="bc-meta"> · {where}</span></div>')
    table = ""
    if start is None or end is None:
        body = esc(text)
    else:
        start = max(0, min(start, len(text)))
        end = max(start, min(end, len(text)))
        cls = "bc-mark bc-mark-near" if near else "bc-mark"
        mark = f'<mark id="{esc(anchor)}" class="{cls}" data-r="{esc(token)}">'
        body = f"{esc(text[:start])}{mark}{esc(text[start:end])}</mark>{esc(text[end:])}"
        table = cited_table_html(text, start)
    scan = ""
    if page_image and page_image.startswith("data:image/png;base64,"):
        scan = (f'<details class="bc-scan" open><summary>Ảnh trang gốc (scanned page, cited words boxed)</summary>'
                f'<img class="bc-scan-img" alt="{esc(page or "")}" src="{esc(page_image)}"></details>')
    return f'<div class="bc-doc">{head}{table}{scan}<div class="bc-doc-text">{body}</div></div>'


def empty_document_html(message: str = "Bấm vào một nguồn để xem nguyên văn tài liệu.") -> str:
    return f'<div class="bc-doc bc-empty">{esc(message)}</div>'


def chat_text(answer: Answer, filters: str = "") -> str:
    """The answer as shown in the chat (Markdown-escaped so report text shows literally).

    ``filters``: the label of the filters it was searched under, put first in italics.
    """
    text = md_escape(answer.text)
    if filters:
        text = f"*{md_escape(filters)}*\n\n{text}"
    if answer.found or not answer.suggestions:
        return text
    return text + "\n\n*Các đoạn gần nhất (không phải câu trả lời) ở khung Nguồn.*"


def document_rows(documents: Iterable[DocumentRow]) -> list[list[object]]:
    """Rows of the documents table, in :data:`DOCUMENT_HEADERS` order."""
    rows: list[list[object]] = []
    for d in documents:
        m = d.metadata
        rows.append([
            d.doc_id, m.title or "—", m.date or "—", m.period.label if m.period else "—", m.province or "—",
            KIND_LABELS.get(m.kind or "", m.kind or "—"), d.n_chunks, uploader_label(d.uploaded_by),
            indexed_at_label(d.indexed_at),
        ])
    return rows


def indexed_at_label(indexed_at: float) -> str:
    """When a document was indexed, in this machine's local time, to the minute."""
    return dt.datetime.fromtimestamp(indexed_at).strftime("%Y-%m-%d %H:%M") if indexed_at else "—"


OUTCOME_LABELS = {"indexed": "Đã nạp", "unchanged": "Không đổi", "removed": "Đã xoá"}


def outcome_label(outcome: str) -> str:
    """'indexed' → 'Đã nạp (indexed)'; 'failed: reason' → 'Lỗi (failed): reason'; 'note: …' → 'Lưu ý (note): …'."""
    if outcome.startswith("failed"):
        return f"Lỗi (failed): {outcome.partition(':')[2].strip()}"
    if outcome.startswith("note"):
        return f"Lưu ý (note): {outcome.partition(':')[2].strip()}"
    return f"{OUTCOME_LABELS.get(outcome, outcome)} ({outcome})"


def upload_results_html(results: Sequence[tuple[str, str]], summary: str = "") -> str:
    """Per-file outcome of an upload as an escaped table."""
    if not results:
        return f'<div class="bc-upload">{esc(summary)}</div>' if summary else ""
    rows = "".join(
        f'<tr class="{"bc-fail" if outcome.startswith("failed") else "bc-ok"}">'
        f"<td>{esc(name)}</td><td>{esc(outcome_label(outcome))}</td></tr>"
        for name, outcome in results
    )
    return (f'<div class="bc-upload"><p>{esc(summary)}</p><table class="bc-table"><thead><tr><th>Tệp</th>'
            f"<th>Kết quả</th></tr></thead><tbody>{rows}</tbody></table></div>")


def _md_quote(text: str) -> str:
    """A quote as a Markdown block under its list item: every line of a several-paragraph quote
    stays inside the block (a bare line would read as the next source)."""
    return "\n".join(f"  > {md_escape(line)}" if line.strip() else "  >" for line in text.split("\n"))


def conversation_markdown(
    turns: Sequence[Turn | tuple[str, Answer]], when: dt.datetime | None = None
) -> str:
    """The conversation as Markdown, every answer followed by its citations (quoted verbatim), and
    the filters each question was asked under."""
    when = when or dt.datetime.now()
    out = ["# Cuộc hội thoại — baocao", "", f"*Xuất lúc {when:%Y-%m-%d %H:%M}*", ""]
    for i, turn in enumerate(turns, 1):
        question, answer, filters = Turn(*turn)
        out += [f"## Câu hỏi {i}", "", md_escape(question), ""]
        if filters:
            out += [f"*{md_escape(filters)}*", ""]
        out += ["**Trả lời:**", "", md_escape(answer.text), ""]
        if answer.citations:
            out += ["**Nguồn:**", ""]
            for c in answer.citations:
                page = f"trang {c.page}" if c.page else None
                where = ", ".join(x for x in (c.period, page, c.section, f"{c.doc} [{c.start}:{c.end}]") if x)
                out += [f"- [{c.n}] {md_escape(c.title or c.doc)} — {md_escape(where)}",
                        _md_quote(c.quote)]
            out.append("")
        elif not answer.found and answer.suggestions:
            out += [f"*{NOT_AN_ANSWER}:*", ""]
            for h in answer.suggestions:
                out += [f"- {md_escape(h.title or h.doc)} — {md_escape(h.doc)} [{h.start}:{h.end}]",
                        _md_quote(h.text)]
            out.append("")
    return "\n".join(out).rstrip() + "\n"


__all__ = [
    "NOT_FOUND", "NOT_AN_ANSWER", "Source", "Turn", "answer_sources", "chat_text", "conversation_markdown",
    "document_html", "document_rows", "empty_document_html", "esc", "filters_banner_html", "md_escape",
    "outcome_label", "source_label", "sources_html", "upload_results_html",
]

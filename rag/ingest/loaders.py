"""One loader per file format, each returning raw extracted text (normalisation comes later).

Every failure of a bad file surfaces as :class:`LoadError` with a short reason a person can act
on (Vietnamese, then English in parentheses); library exceptions never leak out.
"""

from __future__ import annotations

import codecs
import io
import logging
import os
import re
import stat
import unicodedata
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import docx
from docx.oxml.ns import qn
from docx.table import Table, _Cell
from docx.text.paragraph import Paragraph
from selectolax.lexbor import LexborHTMLParser

from rag.ingest.encodings import EncodingProblem, decode_bytes
from rag.ingest.loaded import LoadedText, LoadError, repair_strings
from rag.ingest.paged import IMAGE_SUFFIXES, load_image, load_pdf
from rag.ingest.table_grids import docx_table_rows, html_table_rows, html_text
from rag.ingest.tables import record_table, table_block, table_records, unit_line
from rag.text.table_rows import reads_as_caption

logger = logging.getLogger(__name__)

MAX_DOCX_UNCOMPRESSED = 200 * 1024 * 1024
MAX_DOCX_RATIO = 100
MAX_DOCX_MEMBERS = 10_000
# the ratio test only matters for big archives; tiny, very repetitive XML is harmless
_RATIO_CHECK_FROM = 1024 * 1024


# --------------------------------------------------------------------------- helpers


def _unix_newlines(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n")


# --------------------------------------------------------------------------- txt / md


_YAML_LINE = re.compile(r"[\w.-]+[ \t]*:.*|[ \t].*|-[ \t].*|#.*|")
_MAX_FRONT_MATTER_LINES = 200


def _strip_front_matter(text: str) -> str:
    """Drop a leading YAML front matter block (Jekyll, Hugo, Obsidian): metadata, not report text.

    Line by line, not one regex: a regex over the whole block backtracks exponentially on
    a hostile file whose block never closes.
    """
    lines = text.split("\n", _MAX_FRONT_MATTER_LINES + 1)
    if lines[0].rstrip() != "---":
        return text
    for i, line in enumerate(lines[1:_MAX_FRONT_MATTER_LINES + 1], start=1):
        if line.rstrip() == "---":
            return "\n".join(lines[i + 1 :])
        if not _YAML_LINE.fullmatch(line):
            break
    return text


def _load_plain(data: bytes, fmt: str) -> LoadedText:
    try:
        text, encoding = decode_bytes(data)
    except EncodingProblem as exc:
        raise LoadError(str(exc)) from exc
    text = _unix_newlines(text)
    if fmt == "md":
        text = _strip_front_matter(text)
    return LoadedText(text, fmt, encoding)


# --------------------------------------------------------------------------- docx


def _check_zip(data: bytes) -> None:
    """Refuse non-zips and zip bombs before python-docx inflates anything."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            infos = archive.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, OSError, EOFError) as exc:
        raise LoadError("không phải tệp .docx hợp lệ (not a valid .docx: not a zip archive)") from exc
    if len(infos) > MAX_DOCX_MEMBERS:
        raise LoadError(f"tệp .docx có quá nhiều thành phần (too many zip members: {len(infos)})")
    total = sum(info.file_size for info in infos)
    packed = sum(info.compress_size for info in infos)
    if total > MAX_DOCX_UNCOMPRESSED:
        raise LoadError(
            f"tệp .docx giải nén quá lớn: {total / 1048576:.0f} MB (zip bomb? uncompressed size over "
            f"{MAX_DOCX_UNCOMPRESSED // 1048576} MB)"
        )
    if total >= _RATIO_CHECK_FROM and total > MAX_DOCX_RATIO * max(packed, 1):
        raise LoadError(
            f"tệp .docx nén bất thường (zip bomb? compression ratio "
            f"{total / max(packed, 1):.0f} > {MAX_DOCX_RATIO})"
        )


def _row_text(row: object, table: object) -> list[str]:
    """One table row's cell texts as written (a merged cell counted once), for the plain rendering."""
    return [" ".join(_Cell(tc, table).text.split()) for tc in row._tr.tc_lst]  # type: ignore[attr-defined]


@dataclass(frozen=True)
class _DocxTable:
    """A Word table kept as cells until the legacy-font repair, which must see the whole document."""

    rows: list[list[str]]  # merged cells repeated (rag/ingest/tables.py)
    header_rows: int | None  # rows marked "repeat as header row"
    caption: str | None
    plain: list[list[str]]  # each row's cells written once, for a table that is not a table of records

    def strings(self) -> list[str]:
        cells = [c for row in self.rows + self.plain for c in row]
        return [*cells, self.caption] if self.caption else cells

    def text(self, fixed: dict[str, str]) -> str:
        rows = [[fixed[c] for c in row] for row in self.rows]
        table = record_table(rows, fixed[self.caption] if self.caption else None, self.header_rows)
        if table is None:  # page layout: "cell | cell" lines as before
            lines = (" | ".join(fixed[c] for c in row if c) for row in self.plain)
            return "\n".join(line for line in lines if line)
        return table_block(table)


_CAPTION_START = re.compile(r"(?:bảng|biểu)\b", re.IGNORECASE)
_MAX_CAPTION_CHARS = 200


def _body_elements(document: object) -> list[object]:
    """The body's paragraphs and tables in order (content controls are looked into)."""
    body = document.element.body  # type: ignore[attr-defined]
    elements: list[object] = []
    pending = list(body.iterchildren())
    pending.reverse()
    while pending:
        element = pending.pop()
        if element.tag in (qn("w:p"), qn("w:tbl")):
            elements.append(element)
        elif element.tag == qn("w:sdt"):
            content = element.find(qn("w:sdtContent"))
            if content is not None:
                pending.extend(reversed(list(content.iterchildren())))
    return elements


def _paragraph_text(element: object, document: object) -> str:
    return _unix_newlines(Paragraph(element, document).text).strip()  # type: ignore[arg-type]


def _is_caption_style(element: object) -> bool:
    """Word's "Insert Caption" paragraphs carry the built-in style whose id is "Caption"."""
    style = element.find(f"{qn('w:pPr')}/{qn('w:pStyle')}")  # type: ignore[attr-defined]
    return style is not None and (style.get(qn("w:val")) or "").lower().startswith("caption")


def _neighbour_paragraph(elements: list[object], index: int, step: int) -> int | None:
    """The nearest non-empty paragraph before (step -1) or after (+1) ``index``, not past a table."""
    position = index + step
    while 0 <= position < len(elements) and elements[position].tag == qn("w:p"):  # type: ignore[attr-defined]
        if "".join(elements[position].itertext()).strip():  # type: ignore[attr-defined]
            return position
        position += step
    return None


def _docx_caption(elements: list[object], index: int, document: object) -> str | None:
    """The caption of the table at ``index``, by the first rule that applies.

    1. the paragraph just before it is styled Caption or starts "Bảng"/"Biểu";
    2. the paragraph just after it is styled Caption (Word puts captions below tables too);
    3. the paragraph just before it is short (<= 200 characters), one sentence that does not end
       with "." (a heading such as "2. Thu ngân sách" or a lead-in ending with ":").
    A unit line ("Đơn vị tính: triệu đồng") between the caption and the table is passed along with
    it, for the records. Empty paragraphs are skipped; the search never crosses another table.
    """
    before = _neighbour_paragraph(elements, index, -1)
    unit = None
    if before is not None and unit_line(_paragraph_text(elements[before], document)):
        unit = _paragraph_text(elements[before], document)
        before = _neighbour_paragraph(elements, before, -1)
    after = _neighbour_paragraph(elements, index, 1)
    text = _paragraph_text(elements[before], document) if before is not None else ""
    caption = None
    if before is not None and (_is_caption_style(elements[before]) or _CAPTION_START.match(text)):
        caption = text
    elif after is not None and _is_caption_style(elements[after]):
        caption = _paragraph_text(elements[after], document)
    elif reads_as_caption(text, _MAX_CAPTION_CHARS):
        caption = text
    lines = [line for line in (caption, unit) if line]
    return "\n".join(lines) or None


def _docx_table(element: object, caption: str | None, document: object) -> _DocxTable:
    table = Table(element, document)  # type: ignore[arg-type]
    rows, header_rows = docx_table_rows(table)
    plain = [_row_text(row, table) for row in table.rows]
    return _DocxTable(rows, header_rows, caption, plain)


def _docx_blocks(document: object) -> Iterator[str | _DocxTable]:
    """Paragraph texts and tables (as cells, with their captions) in body order.

    A caption paragraph stays a block of its own as well: it is text of the report.
    """
    elements = _body_elements(document)
    for index, element in enumerate(elements):
        if element.tag == qn("w:p"):  # type: ignore[attr-defined]
            yield _paragraph_text(element, document)
        else:
            yield _docx_table(element, _docx_caption(elements, index, document), document)


def _load_docx(data: bytes) -> LoadedText:
    _check_zip(data)
    try:
        document = docx.Document(io.BytesIO(data))
        blocks = [b for b in _docx_blocks(document) if b]
        strings = [s for b in blocks for s in (b.strings() if isinstance(b, _DocxTable) else [b])]
        fixed, encoding = repair_strings(strings, "docx")
        texts = [b.text(fixed) if isinstance(b, _DocxTable) else fixed[b] for b in blocks]
    except LoadError:
        raise
    except Exception as exc:  # python-docx / lxml raise many types for damaged files
        raise LoadError(f"tệp .docx bị hỏng (damaged .docx: {type(exc).__name__}: {exc})") from exc
    return LoadedText("\n\n".join(t for t in texts if t), "docx", encoding)


# --------------------------------------------------------------------------- html

_DROP_TAGS = [
    "head", "script", "style", "noscript", "nav", "aside", "form", "iframe", "svg",
    "template", "button", "select", "object", "embed", "canvas", "dialog",
]
# page headers/footers go, but an article's own <header> (its title) stays
_PAGE_CHROME = {"header", "footer"}
_MENU_PART = re.compile(
    r"(?:^|[-_])(menus?|mainmenu|topmenu|nav|navbar|navigation|breadcrumbs?|sidebar|footer|header|"
    r"cookies?|share|sharing|social)(?:[-_]|$)",
    re.IGNORECASE,
)
_CONTENT_PART = re.compile(
    r"(?:^|[-_])(article|post|entry|content|title|detail|news)(?:[-_]|$)", re.IGNORECASE
)
_MENU_ROLES = {"navigation", "menu", "menubar", "banner", "contentinfo", "complementary", "search"}
_PARAGRAPH_TAGS = {
    "p", "div", "section", "article", "main", "h1", "h2", "h3", "h4", "h5", "h6", "table", "ul", "ol",
    "dl", "blockquote", "pre", "figure", "figcaption", "address", "hr", "body", "center",
}
_LINE_TAGS = {"li", "tr", "dt", "dd", "caption", "thead", "tbody", "tfoot"}
_CELL_TAGS = {"td", "th"}
_PROTECTED = {"html", "body", "main", "article"}
_META_CHARSET = re.compile(rb"""<meta[^>]*?charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", re.IGNORECASE)
# sentinels in the flattened text; private-use code points never appear in real pages we keep
_PARA, _LINE, _CELL = "\ue000", "\ue001", "\ue002"


def _is_menu(node: object) -> bool:
    attrs = node.attributes  # type: ignore[attr-defined]
    if node.tag in _PROTECTED:  # type: ignore[attr-defined]
        return False
    if (attrs.get("role") or "").strip().lower() in _MENU_ROLES:
        return True
    words = f"{attrs.get('class') or ''} {attrs.get('id') or ''}".split()
    return any(_MENU_PART.search(w) and not _CONTENT_PART.search(w) for w in words)


def _inside_content(node: object) -> bool:
    parent = node.parent  # type: ignore[attr-defined]
    while parent is not None:
        if parent.tag in ("article", "main"):
            return True
        parent = parent.parent
    return False


def _drop_boilerplate(root: object) -> None:
    """Remove page headers/footers and elements marked as menus, unless they hold the content."""
    doomed = [
        n
        for n in root.css("header, footer, [class], [id], [role]")  # type: ignore[attr-defined]
        if (n.tag in _PAGE_CHROME and not _inside_content(n)) or _is_menu(n)
    ]
    doomed = [n for n in doomed if n.css_first("main, article") is None]
    doomed_ids = {n.mem_id for n in doomed}
    outermost = [n for n in doomed if not _has_ancestor_in(n, doomed_ids)]
    # decide everything first: nodes inside a removed subtree are freed and must not be touched
    for node in outermost:
        node.decompose(recursive=True)


def _has_ancestor_in(node: object, ids: set[int]) -> bool:
    parent = node.parent  # type: ignore[attr-defined]
    while parent is not None:
        if parent.mem_id in ids:
            return True
        parent = parent.parent
    return False


def _flatten(root: object) -> str:
    """Walk the tree once, emitting text plus sentinels for paragraph, line and cell breaks."""
    out: list[str] = []
    in_cell = 0
    in_pre = 0
    stack: list[tuple[object, bool]] = [(root, False)]
    while stack:
        node, leaving = stack.pop()
        tag = node.tag  # type: ignore[attr-defined]
        if tag == "-text":
            text = node.text(deep=False) or ""  # type: ignore[attr-defined]
            out.append(text if in_pre else re.sub(r"\s+", " ", text))
            continue
        if tag.startswith("-"):  # comments, doctype
            continue
        if leaving:
            in_cell -= tag in _CELL_TAGS
            in_pre -= tag == "pre"
            out.append(_block_marker(tag, in_cell))
            continue
        out.append(_CELL if tag in _CELL_TAGS else _block_marker(tag, in_cell))
        in_cell += tag in _CELL_TAGS
        in_pre += tag == "pre"
        stack.append((node, True))
        children = list(node.iter(include_text=True))  # type: ignore[attr-defined]
        stack.extend((child, False) for child in reversed(children))
    return "".join(out)


def _block_marker(tag: str, in_cell: int) -> str:
    if tag == "br":
        return " " if in_cell else _LINE
    if tag in _PARAGRAPH_TAGS or tag in _LINE_TAGS:
        if in_cell:
            return " "
        return _PARA if tag in _PARAGRAPH_TAGS else _LINE
    return ""


def _assemble(flat: str) -> str:
    """Sentinels → paragraphs separated by blank lines, rows as "cell | cell" lines."""
    paragraphs: list[str] = []
    for block in flat.split(_PARA):
        lines: list[str] = []
        for line in block.split(_LINE):
            cells = [" ".join(c.split()) for c in line.split(_CELL)]
            text = " | ".join(c for c in cells if c) if len(cells) > 1 else cells[0].strip()
            if "\n" not in text:  # not <pre>: adjacent text nodes may leave double spaces
                text = " ".join(text.split())
            if text:
                lines.append(text)
        if lines:
            paragraphs.append("\n".join(lines))
    return "\n\n".join(paragraphs)


_TABLE = "\ue003"  # followed by a number: where a table's records go once the text is repaired
_HEADINGS = {"h1", "h2", "h3", "h4", "h5", "h6"}


@dataclass(frozen=True)
class _HtmlTable:
    """A table of records taken out of the page, kept as cells until the legacy-font repair."""

    rows: list[list[str]]  # rowspan/colspan repeated (rag/ingest/tables.py)
    header_rows: int | None  # leading <thead> / all-<th> rows
    caption: str | None  # its <caption>, else the nearest heading before it

    def strings(self) -> list[str]:
        cells = [c for row in self.rows for c in row]
        return [*cells, self.caption] if self.caption else cells

    def text(self, fixed: dict[str, str]) -> str:
        rows = [[fixed[c] for c in row] for row in self.rows]
        caption = fixed[self.caption] if self.caption else None
        return table_block(table_records(rows, caption, self.header_rows))


def _inside_table(node: object) -> bool:
    parent = node.parent  # type: ignore[attr-defined]
    while parent is not None:
        if parent.tag == "table":
            return True
        parent = parent.parent
    return False


def _table_caption(table: object, heading: str | None) -> str | None:
    for child in table.iter():  # type: ignore[attr-defined]
        if child.tag == "caption" and html_text(child):
            return html_text(child)
    return heading


def _take_tables(root: object) -> list[_HtmlTable]:
    """Replace each outermost table of records by a placeholder paragraph; layout tables stay.

    The placeholder (sentinels in a text node) survives flattening as a paragraph of its own.
    """
    found: list[tuple[object, str | None]] = []
    heading = None
    for node in root.traverse():  # type: ignore[attr-defined]
        if node.tag in _HEADINGS and not _inside_table(node):
            heading = html_text(node) or heading
        elif node.tag == "table" and not _inside_table(node):
            found.append((node, heading))
    tables: list[_HtmlTable] = []
    for node, heading in found:  # decided first, replaced after: the walk must not see a changing tree
        rows, header_rows = html_table_rows(node)
        caption = _table_caption(node, heading)
        if record_table(rows, caption, header_rows) is None:
            continue
        node.replace_with(f"{_PARA}{_TABLE}{len(tables)}{_PARA}")  # type: ignore[attr-defined]
        tables.append(_HtmlTable(rows, header_rows, caption))
    return tables


def _put_tables(text: str, tables: list[_HtmlTable], fixed: dict[str, str]) -> str:
    def block(match: re.Match[str]) -> str:
        index = int(match.group(1))
        return tables[index].text(fixed) if index < len(tables) else ""

    return re.sub(_TABLE + r"(\d+)", block, text)


def _decode_html(data: bytes) -> tuple[str, str]:
    """Decode by BOM, then the declared meta charset, then by detection."""
    if data.startswith((b"\xef\xbb\xbf", b"\xff\xfe", b"\xfe\xff")):
        return decode_bytes(data)
    match = _META_CHARSET.search(data[:4096])
    if match:
        try:
            name = codecs.lookup(match.group(1).decode("ascii")).name
        except LookupError:
            name = ""
        if name in ("latin-1", "iso8859-1", "ascii"):
            name = "cp1252"  # what browsers do with these labels
        if name:
            try:
                text = data.decode(name)
            except UnicodeDecodeError:
                logger.info("declared charset %s does not fit; detecting", name)
            else:
                if name == "cp1258":
                    text = unicodedata.normalize("NFC", text)
                return text, name
    return decode_bytes(data)


def _load_html(data: bytes) -> LoadedText:
    try:
        html, encoding = _decode_html(data)
    except EncodingProblem as exc:
        raise LoadError(str(exc)) from exc
    try:
        tree = LexborHTMLParser(html)
        tree.strip_tags(_DROP_TAGS, recursive=True)
        root = tree.body or tree.root
        if root is None:
            return LoadedText("", "html", encoding)
        _drop_boilerplate(root)
        tables = _take_tables(root)
        text = _assemble(_flatten(root))
    except Exception as exc:  # the parser is tolerant; this is a last guard
        reason = f"không đọc được trang HTML (cannot parse HTML: {type(exc).__name__}: {exc})"
        raise LoadError(reason) from exc
    strings = [text, *(s for table in tables for s in table.strings())]
    if "+" in encoding:  # decode_bytes already converted legacy-font text
        fixed = {s: s for s in strings}
    else:
        fixed, encoding = repair_strings(strings, encoding)
    return LoadedText(_put_tables(fixed[text], tables, fixed), "html", encoding)


# --------------------------------------------------------------------------- dispatch

_LOADERS: dict[str, Callable[[bytes], LoadedText]] = {
    ".txt": lambda data: _load_plain(data, "txt"),
    ".md": lambda data: _load_plain(data, "md"),
    ".docx": _load_docx,
    ".pdf": load_pdf,
    **{suffix: load_image for suffix in IMAGE_SUFFIXES},
    ".html": _load_html,
    ".htm": _load_html,
}


def _loader_for(suffix: str) -> Callable[[bytes], LoadedText]:
    key = suffix.lower()
    if key and not key.startswith("."):
        key = "." + key
    loader = _LOADERS.get(key)
    if loader is None:
        raise LoadError(f"định dạng không hỗ trợ: {suffix or '(none)'} (unsupported file type)")
    return loader


# no encoding we read spends more than 4 bytes on a character
_MAX_BYTES_PER_CHAR = 4
_PLAIN_LOADERS = (_LOADERS[".txt"], _LOADERS[".md"])


def _too_long(max_chars: int) -> LoadError:
    limit = f"{max_chars:,}".replace(",", ".")
    return LoadError(f"văn bản quá dài: hơn {limit} ký tự (text too long; raise ingest.max_text_chars)")


def load_bytes(data: bytes, suffix: str, max_chars: int | None = None) -> LoadedText:
    """Extract raw text from in-memory file content; ``suffix`` like ".pdf" picks the loader.

    With ``max_chars``, longer text is refused, a plain-text file before it is even decoded when
    its size alone proves it too long.
    """
    loader = _loader_for(suffix)
    if max_chars is not None and loader in _PLAIN_LOADERS and len(data) > _MAX_BYTES_PER_CHAR * max_chars:
        raise _too_long(max_chars)
    loaded = loader(data)
    if max_chars is not None and len(loaded.text) > max_chars:
        raise _too_long(max_chars)
    return loaded


_FILE_KINDS = (
    (stat.S_ISDIR, "thư mục", "a folder"),
    (stat.S_ISFIFO, "ống FIFO", "a FIFO"),
    (stat.S_ISCHR, "thiết bị", "a character device"),
    (stat.S_ISBLK, "thiết bị", "a block device"),
    (stat.S_ISSOCK, "socket", "a socket"),
)


def _cannot_read(exc: OSError) -> LoadError:
    return LoadError(f"không đọc được tệp (cannot read file: {exc.strerror or exc})")


def too_large(size: int, max_bytes: int) -> LoadError:
    """The refusal of a file over ``ingest.max_file_mb``."""
    sizes = f"{size / 1048576:.1f} MB > {max_bytes / 1048576:g} MB"
    return LoadError(f"tệp quá lớn: {sizes} (file too large; raise ingest.max_file_mb)")


def read_regular_file(path: Path, max_bytes: int | None = None) -> bytes:
    """The bytes of a regular file of at most ``max_bytes``.

    The file is opened without blocking and checked before reading, so a FIFO named .txt cannot
    hang an ingest and /dev/zero cannot fill memory; checking the opened file (not a prior
    ``stat``) leaves no window to swap one in.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise _cannot_read(exc) from exc
    try:
        info = os.fstat(fd)
        for is_kind, vi, en in _FILE_KINDS:
            if is_kind(info.st_mode):
                raise LoadError(f"không phải tệp thông thường mà là {vi} (not a regular file: {en})")
        if max_bytes is not None and info.st_size > max_bytes:
            raise too_large(info.st_size, max_bytes)
        with os.fdopen(fd, "rb", closefd=False) as handle:
            data = handle.read() if max_bytes is None else handle.read(max_bytes + 1)
    except OSError as exc:
        raise _cannot_read(exc) from exc
    finally:
        os.close(fd)
    if max_bytes is not None and len(data) > max_bytes:
        raise too_large(len(data), max_bytes)
    return data


def load_file(path: Path, max_bytes: int | None = None, max_chars: int | None = None) -> LoadedText:
    """Extract raw text from a file; refuses files over ``max_bytes`` before reading them."""
    path = Path(path)
    _loader_for(path.suffix)  # an unsupported type is refused before the file is opened
    return load_bytes(read_regular_file(path, max_bytes), path.suffix, max_chars)

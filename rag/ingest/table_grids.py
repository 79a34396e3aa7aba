"""Table grids out of .docx, HTML and PDF files, each merged cell repeated into every position it covers.

rag/ingest/tables.py turns a grid into header-labelled records; this module only reads grids.
python-docx's ``row.cells`` ignores gridBefore and fails on some vertical merges, HTML needs its
rowspan/colspan expanded, and pdfplumber leaves ``None`` where a merged cell reaches: each is
handled here by hand, under clamps for hostile spans.
"""

from __future__ import annotations

import bisect
import logging
import re
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

from rag.ingest.tables import (
    MAX_COLUMNS,
    MAX_ROW_SPAN,
    clean_grid,
    fold_cell,
    header_extent,
    is_figure,
    plain_lines,
)

if TYPE_CHECKING:  # the loaders import this module for every file; keep heavy imports lazy
    import docx.table
    import pdfplumber.page

logger = logging.getLogger(__name__)

_MAX_NESTING = 16  # tables inside cells inside tables...


# --------------------------------------------------------------------------- .docx


def _docx_children(element: Any, tag: str) -> Iterator[Any]:
    """Children with ``tag``, looking through content controls and custom XML wrappers."""
    from docx.oxml.ns import qn

    wrappers = {qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")}
    for child in element.iterchildren():
        if child.tag == tag:
            yield child
        elif child.tag in wrappers:
            yield from _docx_children(child, tag)


def _docx_cell_text(tc: Any, depth: int) -> str:
    """A cell's paragraphs, and any nested table flattened to "a | b; c | d"."""
    from docx.oxml.ns import qn
    from docx.text.paragraph import Paragraph

    parts: list[str] = []
    for child in tc.iterchildren():
        if child.tag == qn("w:p"):
            parts.append(Paragraph(child, None).text)  # type: ignore[arg-type]
        elif child.tag == qn("w:tbl") and depth < _MAX_NESTING:
            grid = _docx_grid(child, depth + 1)[0]
            parts.append("; ".join(plain_lines(grid)))
        elif child.tag in (qn("w:sdt"), qn("w:sdtContent"), qn("w:customXml")):
            parts.append(_docx_cell_text(child, depth))
    return fold_cell(" ".join(parts))


def _docx_is_header(tr: Any) -> bool:
    from docx.oxml.ns import qn

    trPr = tr.find(qn("w:trPr"))  # noqa: N806 - the OOXML name
    flag = trPr.find(qn("w:tblHeader")) if trPr is not None else None
    return flag is not None and flag.get(qn("w:val"), "true").lower() not in ("0", "false", "off")


def _docx_property(element: Any, properties: str, name: str) -> str | None:
    """The raw w:val of a row or cell property; None when it is absent.

    Read raw rather than through python-docx's typed attributes, which raise on a malformed value
    and would lose the whole document for one bad cell.
    """
    from docx.oxml.ns import qn

    holder = element.find(qn(properties))
    found = holder.find(qn(name)) if holder is not None else None
    return None if found is None else (found.get(qn("w:val")) or "")


def _docx_row(tr: Any, above: list[str] | None, depth: int) -> list[str]:
    """One grid row: gridBefore columns empty, gridSpan repeated, vMerge continued from above.

    Written out rather than taken from python-docx's ``row.cells``, which repeats merges too but
    raises on a vMerge "continue" in the first row and ignores gridBefore (both occur in files
    saved by other editors).
    """
    from docx.oxml.ns import qn

    row = [""] * min(_int(_docx_property(tr, "w:trPr", "w:gridBefore")), MAX_COLUMNS)
    for tc in _docx_children(tr, qn("w:tc")):
        if len(row) >= MAX_COLUMNS:
            break
        span = max(1, min(_int(_docx_property(tc, "w:tcPr", "w:gridSpan")), MAX_COLUMNS - len(row)))
        continued = _docx_property(tc, "w:tcPr", "w:vMerge") in ("", "continue")  # no value: continue
        if continued and above is not None and len(above) > len(row):
            text = above[len(row)]
        else:  # a "continue" with nothing above is read as the cell it is
            text = _docx_cell_text(tc, depth)
        row.extend([text] * span)
    return row


def _int(value: object) -> int:
    try:
        return max(0, int(value))  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0


def _docx_grid(tbl: Any, depth: int = 0) -> tuple[list[list[str]], int | None]:
    from docx.oxml.ns import qn

    rows: list[list[str]] = []
    header = 0
    for tr in _docx_children(tbl, qn("w:tr")):
        rows.append(_docx_row(tr, rows[-1] if rows else None, depth))
        if header == len(rows) - 1 and _docx_is_header(tr):
            header += 1
    return rows, header or None


def docx_table_rows(table: docx.table.Table) -> tuple[list[list[str]], int | None]:
    """The cell grid of a Word table (merged cells repeated) and its marked header row count.

    The count is the leading rows flagged "repeat as header row" (``w:tblHeader``), None if none.
    """
    return _docx_grid(table._tbl)


# --------------------------------------------------------------------------- HTML

_HTML_INLINE = {
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "code", "data", "del", "dfn", "em", "font", "i",
    "ins", "kbd", "label", "mark", "q", "s", "samp", "small", "span", "strike", "strong", "sub",
    "sup", "time", "tt", "u", "var", "wbr",
}
_HTML_SKIP = {"script", "style", "template", "noscript"}


def html_text(node: Any) -> str:
    """The text of an element, block boundaries as spaces, inline markup joined ("<b>Th</b>u" → "Thu")."""
    out: list[str] = []
    stack = [node]
    while stack:
        current = stack.pop()
        if isinstance(current, str):
            out.append(current)
            continue
        tag = current.tag
        if tag == "-text":
            out.append(current.text(deep=False) or "")
            continue
        if tag.startswith("-") or tag in _HTML_SKIP:
            continue
        boundary = "" if tag in _HTML_INLINE else " "
        out.append(boundary)
        stack.append(boundary)
        stack.extend(reversed(list(current.iter(include_text=True))))
    return fold_cell("".join(out))


def _html_rows(table: Any) -> Iterator[tuple[Any, bool]]:
    """The table's own rows in order, each with whether it sits in <thead>."""
    for child in table.iter():
        if child.tag == "tr":
            yield child, False
        elif child.tag in ("thead", "tbody", "tfoot"):
            for row in child.iter():
                if row.tag == "tr":
                    yield row, child.tag == "thead"


def _span(node: Any, name: str, limit: int) -> int:
    value = (node.attributes.get(name) or "").strip()
    digits = re.match(r"\d+", value)
    return max(1, min(int(digits.group()), limit)) if digits else 1


class _RowSpans:
    """Cells carried down by rowspan: column -> (rows still covered, text)."""

    def __init__(self) -> None:
        self.carried: dict[int, tuple[int, str]] = {}

    def fill(self, row: list[str]) -> None:
        while len(row) in self.carried and len(row) < MAX_COLUMNS:
            row.append(self.carried[len(row)][1])

    def finish(self, row: list[str], new: dict[int, tuple[int, str]]) -> None:
        for column in sorted(c for c in self.carried if c >= len(row)):
            row.extend([""] * (column - len(row)))
            row.append(self.carried[column][1])
        kept = {c: (n - 1, t) for c, (n, t) in self.carried.items() if n > 1}
        self.carried = {**kept, **new}


def _html_row(tr: Any, spans: _RowSpans) -> tuple[list[str], bool]:
    row: list[str] = []
    new: dict[int, tuple[int, str]] = {}
    all_th, own = True, False
    for cell in tr.iter():
        if cell.tag not in ("td", "th"):
            continue
        spans.fill(row)
        if len(row) >= MAX_COLUMNS:
            break
        all_th, own = all_th and cell.tag == "th", True
        width = _span(cell, "colspan", MAX_COLUMNS - len(row))
        height = _span(cell, "rowspan", MAX_ROW_SPAN)
        text = html_text(cell)
        for column in range(len(row), len(row) + width):
            if height > 1:
                new[column] = (height - 1, text)
        row.extend([text] * width)
    spans.fill(row)
    spans.finish(row, new)
    return row, all_th and own


def html_table_rows(table_node: Any) -> tuple[list[list[str]], int | None]:
    """The cell grid of an HTML <table> (rowspan/colspan repeated) and its header row count.

    The count is the leading rows that are all <th> or inside <thead>, None if there are none;
    nested tables are flattened into their cell's text.
    """
    rows: list[list[str]] = []
    header = 0
    spans = _RowSpans()
    for tr, in_thead in _html_rows(table_node):
        row, all_th = _html_row(tr, spans)
        rows.append(row)
        if header == len(rows) - 1 and (in_thead or all_th):
            header += 1
    return rows, header or None


# --------------------------------------------------------------------------- PDF

_TEXT_STRATEGY = {"vertical_strategy": "text", "horizontal_strategy": "text"}
_MIN_COLUMN_GAP = 12.0  # points between two words of a line that start a new column
_ALIGN_BUCKET = 6.0  # points: column edges this close count as aligned
_BOX_MARGIN = 1.5  # points


def _covering_origin(
    point: tuple[float, float], origins: dict[tuple, tuple[int, int]], own: tuple[int, int]
) -> tuple[int, int] | None:
    """The (row, column) where the merged cell covering ``point`` starts, if any."""
    x, y = point
    for cell, origin in origins.items():
        if cell[0] <= x < cell[2] and cell[1] <= y < cell[3] and origin != own:
            return origin
    return None


def _pdf_grid(table: Any) -> list[list[str]]:
    """pdfplumber's cells with the None of merged positions filled where it is safe.

    pdfplumber leaves None where a merged cell covers a grid position. Only header rows (any
    column) and the first column take the merged cell's text: a parent header must label each
    column under it and a row label spans its group, while repeating a merged figure down the
    data area would invent numbers a reader could sum twice; other None become "".
    The text is that of the cell whose box covers the position (pdfplumber keeps the boxes), so a
    header merged downwards ("Chỉ tiêu" over two header rows) is not mistaken for its left
    neighbour's; only where no box covers it, a header row takes the left neighbour's text and
    the first column the text above.
    """
    raw = table.extract()
    groups = table.rows
    xs = sorted({cell[0] for cell in table.cells})
    origins = {
        cell: (r, xs.index(cell[0])) for r, group in enumerate(groups) for cell in group.cells if cell
    }
    rows = [[c or "" for c in row] for row in raw]
    header = header_extent(rows)
    for r, row in enumerate(raw):
        for c, value in enumerate(row):
            if value is not None or (r >= header and c != 0):
                continue
            point = (xs[c] + 0.5, groups[r].bbox[1] + 0.5) if c < len(xs) else (-1.0, -1.0)
            origin = _covering_origin(point, origins, (r, c))
            if origin is not None:
                rows[r][c] = rows[origin[0]][origin[1]]
            elif r < header and c > 0:  # no covering cell found: the left neighbour, as documented
                rows[r][c] = rows[r][c - 1]
            elif c == 0 and r > 0:
                rows[r][c] = rows[r - 1][c]
    return rows


def _line_edges(words: list[dict]) -> list[set[int]]:
    """Per text line, the bucketed left and right edges of its column-separated segments."""
    lines: dict[int, list[dict]] = {}
    for word in words:
        lines.setdefault(round(word["top"] / 3), []).append(word)
    edges: list[set[int]] = []
    for line in lines.values():
        line.sort(key=lambda w: w["x0"])
        segments = [[line[0]]]
        for previous, word in zip(line, line[1:], strict=False):
            if word["x0"] - previous["x1"] >= _MIN_COLUMN_GAP:
                segments.append([])
            segments[-1].append(word)
        if len(segments) >= 2:
            edges.append({round(s[0]["x0"] / _ALIGN_BUCKET) for s in segments}
                         | {-round(s[-1]["x1"] / _ALIGN_BUCKET) - 1 for s in segments})
    return edges


def _has_aligned_columns(words: list[dict]) -> bool:
    """At least three text lines whose wide gaps line up into two or more columns."""
    edges = _line_edges(words)
    if len(edges) < 3:
        return False
    counts: dict[int, int] = {}
    for line in edges:
        for edge in line:
            counts[edge] = counts.get(edge, 0) + 1
    return sum(n >= 3 for n in counts.values()) >= 2


def _text_lines(words: list[dict]) -> list[list[dict]]:
    """Words grouped into lines by their top (within 3 points), top to bottom."""
    lines: list[list[dict]] = []
    for word in sorted(words, key=lambda w: (w["top"], w["x0"])):
        if lines and abs(word["top"] - lines[-1][0]["top"]) <= 3:
            lines[-1].append(word)
        else:
            lines.append([word])
    return lines


def _segments(line: list[dict]) -> int:
    """How many column-separated runs of words a text line has (a gap of _MIN_COLUMN_GAP splits)."""
    ordered = sorted(line, key=lambda w: w["x0"])
    return 1 + sum(b["x0"] - a["x1"] >= _MIN_COLUMN_GAP for a, b in zip(ordered, ordered[1:], strict=False))


def _crosses(word: dict, boundary: float) -> bool:
    return word["x0"] < boundary - 1 and word["x1"] > boundary + 1


def _text_table(table: Any, words: list[dict]) -> tuple[tuple[float, float, float, float], list[list[str]]]:
    """A text-aligned table rebuilt from its words, keeping only column edges no word crosses.

    pdfplumber's text strategy puts column edges wherever several words happen to line up, which
    cuts labels such as "Chỉ tiêu" in two; an edge that a word straddles is not a column edge.
    Lines at the top or bottom that are prose (a word across a column edge, or a single cell)
    are left out of the table, and of its bbox, so that a caller keeps them as text.
    """
    x0, top, x1, bottom = table.bbox
    inside = [w for w in words if w["top"] >= top - 1 and w["bottom"] <= bottom + 1]
    edges = sorted({cell[0] for cell in table.cells} | {cell[2] for cell in table.cells})
    lines = _text_lines(inside)
    # a line without a wide gap is prose (a title above the table): it says nothing about columns
    columned = [w for line in lines if _segments(line) >= 2 for w in line]
    inner = [b for b in edges if x0 + 1 < b < x1 - 1 and not any(_crosses(w, b) for w in columned)]
    rows: list[list[str]] = []
    prose: list[bool] = []
    for line in lines:
        cells = [""] * (len(inner) + 1)
        for word in line:
            column = bisect.bisect_right(inner, (word["x0"] + word["x1"]) / 2)
            cells[column] = f"{cells[column]} {word['text']}".strip()
        rows.append(cells)
        prose.append(sum(1 for c in cells if c) < 2 or _segments(line) < 2)
    first = next((i for i, p in enumerate(prose) if not p), len(rows))
    last = max((i for i, p in enumerate(prose) if not p), default=-1)
    kept = [w for line in lines[first : last + 1] for w in line]
    if not kept:
        return tuple(table.bbox), []
    # a little outside the words, so that a caller cropping the text around the table by this
    # box does not pick up the first or last row again
    box = (min(w["x0"] for w in kept) - _BOX_MARGIN, min(w["top"] for w in kept) - _BOX_MARGIN,
           max(w["x1"] for w in kept) + _BOX_MARGIN, max(w["bottom"] for w in kept) + _BOX_MARGIN)
    return box, rows[first : last + 1]


def _figure_column(rows: list[list[str]]) -> bool:
    """At least one column whose filled cells are mostly figures."""
    for column in zip(*rows, strict=False):
        filled = [c for c in column if c]
        figures = sum(is_figure(c) for c in filled)
        if figures >= 2 and figures * 10 >= 6 * len(filled):
            return True
    return False


def _usable(rows: list[list[str]]) -> bool:
    return sum(1 for row in rows for c in row if c) >= 2


def pdf_page_tables(
    page: pdfplumber.page.Page,
) -> list[tuple[tuple[float, float, float, float], list[list[str]]]]:
    """The tables pdfplumber finds on a page, as (bbox, grid) pairs in page order.

    Ruled tables first; only a page with none, whose text lines still align into columns, is
    read by text alignment, and such a table counts only with a column of figures (aligned prose
    would otherwise pass for a table).
    """
    found = [(tuple(t.bbox), _pdf_grid(t)) for t in page.find_tables()]
    found = [(bbox, rows) for bbox, rows in found if _usable(rows)]
    if found:
        return found  # type: ignore[return-value]
    words = page.extract_words()
    if not _has_aligned_columns(words):
        return []
    tables = []
    for table in page.find_tables(table_settings=_TEXT_STRATEGY):
        bbox, rows = _text_table(table, words)
        cleaned = clean_grid(rows)
        if len(cleaned) >= 2 and len(cleaned[0]) >= 2 and _figure_column(cleaned):
            tables.append((bbox, rows))
        else:
            logger.debug("text-aligned block on page %s is not a table of figures", page.page_number)
    return tables  # type: ignore[return-value]

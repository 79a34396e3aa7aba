"""Report tables as one line per data row that keeps its column headers.

A row flattened as "2 | Thu ngân sách | tỷ đồng | 4.120 | 3.275,6 | 79,5" no longer says which
figure is the plan and which the result; "Kế hoạch 2023: 4.120 · Thực hiện: 3.275,6" does, for a
person and for the retriever alike. No library turns a cell grid into header-labelled records:
pandas and the PDF/HTML table readers stop at the grid and need the header rows given, and none
knows the habits of Vietnamese report tables (ordinal "TT" columns, "I. KINH TẾ" group rows,
"Đơn vị tính: ..." written once above the table), so those rules are written here by hand.

The grids come from rag/ingest/table_grids.py (.docx, HTML, PDF), with every merged cell repeated
into each grid position it covers, which is what the header labelling needs.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from rag.text.table_rows import CAPTION_PREFIX, FIELD_SEPARATOR, format_record, is_unit_label

logger = logging.getLogger(__name__)

MAX_HEADER_ROWS = 4
MAX_COLUMNS = 1000  # clamp for hostile colspan/gridSpan values
MAX_ROW_SPAN = 10_000  # clamp for hostile rowspan values
# a cell of more words is a paragraph; a table made mostly of them is page layout, not figures
_LONG_CELL_WORDS = 30
_MAX_FIGURE_CHARS = 40
_MAX_LABEL_WORDS = 20

_NO_FIGURE = {"-", "–", "—", "x", "X", "...", "…", "-/-"}
_NUMBER_TOKEN = re.compile(r"[-+−±~≈]?\(?[-+−]?\d[\d.,]*\)?%?")
_SEPARATED_NUMBER = re.compile(r"\d[.,]\d|%")
_YEAR = re.compile(r"(?:19|20)\d\d")
_ORDINAL_LABELS = {"tt", "stt", "số tt", "số thứ tự", "thứ tự"}
_ORDINAL_VALUE = re.compile(r"(?:\d{1,3}(?:\.\d{1,3})*|[IVXLCDM]{1,6}|[a-zđ])[.)]?", re.IGNORECASE)
_UNIT_LINE = re.compile(
    r"\(?\s*(?:đơn vị tính|đơn vị|đv tính|đvt)\s*[:：]\s*(?P<unit>[^()]+?)\s*\)?\s*[.;]?", re.IGNORECASE
)
# inside a longer caption only the unambiguous forms count ("Đơn vị: Sở Tài chính" is an agency)
_UNIT_IN_TEXT = re.compile(r"(?:đơn vị tính|đvt)\s*[:：]\s*(?P<unit>[^()\n;]+?)\s*(?:[)\n;]|$)", re.IGNORECASE)
_COLUMN_NUMBER = re.compile(r"\(?(\d{1,2}|[A-Z])\)?(?:\s*[=*×/+-].*)?")


@dataclass(frozen=True)
class TableText:
    caption: str | None  # the table's caption or the heading/paragraph just before it, if any was given
    records: list[str]  # one line per data row


# --------------------------------------------------------------------------- cell tests


def fold_cell(text: str | None) -> str:
    return " ".join((text or "").split())


def _key(text: str) -> str:
    """A label compared loosely: NFC, case-folded, without edge punctuation."""
    return unicodedata.normalize("NFC", text).casefold().strip(" .:()")


def is_figure(cell: str) -> bool:
    """Whether a cell is mostly a number ("4.120", "3.275,6", "79,5", "-", "tăng 8,2").

    A bare year ("2023") and a small number inside words ("6 tháng", "Năm 2023") are header
    text, not data, so they do not count.
    """
    text = cell.strip()
    if text in _NO_FIGURE:
        return True
    if not text or len(text) > _MAX_FIGURE_CHARS:
        return False
    tokens = text.split()
    numbers = [t for t in tokens if _NUMBER_TOKEN.fullmatch(t)]
    if not numbers:
        return False
    if len(tokens) == 1:
        return not _YEAR.fullmatch(text)
    return len(tokens) - len(numbers) <= 3 and any(_SEPARATED_NUMBER.search(t) for t in numbers)


def unit_line(text: str) -> str | None:
    """The unit of a line that only states one ("Đơn vị tính: triệu đồng", "(ĐVT: tỷ đồng)")."""
    match = _UNIT_LINE.fullmatch(unicodedata.normalize("NFC", text.strip()))
    return match.group("unit") if match else None


def _distinct(cells: Sequence[str]) -> list[str]:
    seen: list[str] = []
    for cell in cells:
        if cell and cell not in seen:
            seen.append(cell)
    return seen


def _row_unit(row: Sequence[str]) -> str | None:
    texts = _distinct(row)
    return unit_line(texts[0]) if len(texts) == 1 else None


def _is_title(row: Sequence[str]) -> bool:
    """One text across the row: a merged cell over two or more columns, or text in the first cell only.

    Text in one later cell only is a header with a blank corner ("" | "Giá trị"), not a title.
    """
    texts = _distinct(row)
    return len(row) >= 2 and len(texts) == 1 and (row[0] == texts[0] or row.count(texts[0]) >= 2)


def _is_sparse(row: Sequence[str]) -> bool:
    """Text only in the first two columns of a wider table: a group row ("I | KINH TẾ | | |")."""
    return len(row) >= 3 and any(row[:2]) and not any(row[2:])


def _is_group(row: Sequence[str]) -> bool:
    """A numbered group row whose label is merged across the rest ("I | KINH TẾ | KINH TẾ | KINH TẾ")."""
    rest = _distinct(row[1:])
    return len(row) >= 3 and len(rest) == 1 and row[1] == rest[0] and bool(_ORDINAL_VALUE.fullmatch(row[0]))


def _is_column_numbering(row: Sequence[str]) -> bool:
    """The row of column numbers under a header ("A | B | 1 | 2 | 3=2/1"): not data."""
    cells = [c for c in row if c]
    matches = [_COLUMN_NUMBER.fullmatch(c) for c in cells]
    if len(cells) < 2 or not all(matches):
        return False
    numbers = [int(m.group(1)) for m in matches if m and m.group(1).isdigit()]
    return len(numbers) >= 2 and all(b == a + 1 for a, b in zip(numbers, numbers[1:], strict=False))


def _has_long_label(header: Sequence[Sequence[str]]) -> bool:
    """A "header" cell of paragraph length: page layout (menu | article), whose text must not be
    turned into a label and lost."""
    return any(len(c.split()) > _MAX_LABEL_WORDS for row in header for c in row)


def _is_layout(rows: Sequence[Sequence[str]]) -> bool:
    """A single row or column, or cells that are mostly paragraphs: page layout, not a table of figures."""
    if len(rows) < 2 or max(len(r) for r in rows) < 2:
        return True
    cells = [c for row in rows for c in _distinct(row)]
    long = sum(len(c.split()) > _LONG_CELL_WORDS for c in cells)
    return not cells or long * 2 > len(cells)


# --------------------------------------------------------------------------- grid cleaning


def clean_grid(rows: Sequence[Sequence[str | None]]) -> list[list[str]]:
    """Folded cell texts, rows padded to one width, empty rows and empty columns gone."""
    folded = [[fold_cell(c) for c in row[:MAX_COLUMNS]] for row in rows]
    folded = [row for row in folded if any(row)]
    width = max((len(r) for r in folded), default=0)
    padded = [row + [""] * (width - len(row)) for row in folded]
    keep = [j for j in range(width) if any(row[j] for row in padded)]
    return [[row[j] for j in keep] for row in padded]


def _caption_and_unit(caption: str | None) -> tuple[str | None, str | None]:
    """The caption without its unit-only lines, and the unit it states."""
    if not caption:
        return None, None
    unit = None
    kept: list[str] = []
    for line in caption.split("\n"):
        line_unit = unit_line(line) if line.strip() else None
        if line_unit:
            unit = line_unit
        elif line.strip():
            kept.append(line)
            found = _UNIT_IN_TEXT.search(unicodedata.normalize("NFC", line))
            unit = unit or (found.group("unit") if found else None)
    return fold_cell(" ".join(kept)) or None, unit


def header_extent(rows: Sequence[Sequence[str]]) -> int:
    """How many leading rows are title, unit or header rows (a guess from the cell texts alone)."""
    rows = [[fold_cell(c) for c in row] for row in rows]
    top = _leading_title_rows(rows)
    return top + _detected_header_rows(rows[top:])


def _leading_title_rows(rows: Sequence[Sequence[str]]) -> int:
    count = 0
    while count < len(rows) - 1 and (_is_title(rows[count]) or _row_unit(rows[count])):
        count += 1
    return count


def _detected_header_rows(rows: Sequence[Sequence[str]]) -> int:
    """Leading rows without figures (at most four); 0 when the table has no usable header.

    A table without any figure (a list of tasks) has the first row as header when all of its
    cells are filled; figures start the data, and so does a group row after the first row.
    """
    count = 0
    for index, row in enumerate(rows):
        if any(is_figure(c) for c in row) or (index and (_is_title(row) or _is_sparse(row) or _is_group(row))):
            break
        count += 1
    if count == len(rows) or count > MAX_HEADER_ROWS:
        return 1 if rows and all(rows[0]) and len(rows) >= 2 else 0
    return count


# --------------------------------------------------------------------------- records


@dataclass
class _Layout:
    labels: list[str]
    ordinal: int | None  # the dropped ordinal column, if any
    has_unit_column: bool


def _labels(header: Sequence[Sequence[str]], width: int) -> list[str]:
    """Each column's distinct header texts, top to bottom, joined with " - "."""
    return [" - ".join(_distinct([row[j] for row in header])) for j in range(width)]


def _ordinal_column(labels: Sequence[str], data: Sequence[Sequence[str]]) -> int | None:
    """The first column when it only numbers the rows (header "TT"/"STT", or none and 1, 2 / I, II / a, b)."""
    if len(labels) < 2:
        return None
    if _key(labels[0]) in _ORDINAL_LABELS:
        return 0
    values = [row[0] for row in data if row[0]]
    if not labels[0] and values and all(_ORDINAL_VALUE.fullmatch(v) for v in values):
        return 0
    return None


def _layout(header: Sequence[Sequence[str]], data: Sequence[Sequence[str]]) -> _Layout:
    labels = _labels(header, len(header[0]))
    ordinal = _ordinal_column(labels, data)
    has_unit = any(is_unit_label(label) for label in labels)
    return _Layout(labels, ordinal, has_unit)


def _section(row: Sequence[str], layout: _Layout) -> str | None:
    """The text of a group row ("I. KINH TẾ"): one text, in the row-label column or across the row."""
    rest = [c for j, c in enumerate(row) if j != layout.ordinal]
    texts = _distinct(rest)
    if len(texts) != 1 or len(rest) < 2 or rest[0] != texts[0]:
        return None
    number = row[layout.ordinal] if layout.ordinal is not None else ""
    if not number or number == texts[0]:
        return texts[0]
    return f"{number} {texts[0]}" if number[-1] in ".)" else f"{number}. {texts[0]}"


def _record(row: Sequence[str], layout: _Layout, unit: str | None) -> str:
    pairs: list[tuple[str, str]] = []
    for j, value in enumerate(row):
        if j == layout.ordinal or not value:
            continue
        # the separator inside a cell would split the record when it is read back
        pair = (layout.labels[j].replace(FIELD_SEPARATOR, ", "), value.replace(FIELD_SEPARATOR, ", "))
        if not pairs or pairs[-1] != pair:  # a merged cell repeated under one merged label
            pairs.append(pair)
    if pairs and unit and not layout.has_unit_column:
        pairs.insert(1, ("Đơn vị tính", unit))
    return format_record(pairs)


def _records(data: Sequence[Sequence[str]], layout: _Layout, unit: str | None) -> tuple[list[str], int]:
    """The lines of the data rows, and how many of them are records (not group rows)."""
    lines: list[str] = []
    records = 0
    for index, row in enumerate(data):
        row_unit = _row_unit(row)
        if row_unit:
            unit = row_unit  # a unit row applies to the rows below it
            continue
        if index == 0 and _is_column_numbering(row):
            continue
        section = _section(row, layout)
        line = section or _record(row, layout, unit)
        if line:
            lines.append(line)
            records += section is None
    return lines, records


def record_table(
    rows: list[list[str]], caption: str | None = None, header_rows: int | None = None
) -> TableText | None:
    """Header-labelled records of a table, or None when the grid is not a table of records.

    None (page layout, no header found, no data row) lets a loader keep its own plain rendering.
    """
    grid = clean_grid(rows)
    caption_text, unit = _caption_and_unit(caption)
    if _is_layout(grid):
        return None
    top = _leading_title_rows(grid)
    titles = [r for r in grid[:top] if not _row_unit(r)]
    for row in grid[:top]:
        unit = _row_unit(row) or unit
    body = grid[top:]
    given = header_rows - top if header_rows is not None and header_rows > top else None
    count = given if given is not None and given < len(body) else _detected_header_rows(body)
    if count == 0 or count >= len(body) or _has_long_label(body[:count]):
        return None
    layout = _layout(body[:count], body[count:])
    lines, records = _records(body[count:], layout, unit)
    if not records:  # header text would be lost with no record to carry it
        return None
    return TableText(caption_text, [_distinct(r)[0] for r in titles] + lines)


def plain_lines(rows: Sequence[Sequence[str | None]]) -> list[str]:
    """Rows as "cell | cell" lines, a cell repeated by a horizontal merge written once."""
    lines: list[str] = []
    for row in rows:
        cells: list[str] = []
        for cell in (fold_cell(c) for c in row):
            if cell and (not cells or cells[-1] != cell):
                cells.append(cell)
        if cells:
            lines.append(" | ".join(cells))
    return lines


def table_records(
    rows: list[list[str]], caption: str | None = None, header_rows: int | None = None
) -> TableText:
    """One line per data row, each value labelled by its column headers ("Kế hoạch 2023: 186.000").

    ``rows`` is the cell grid with merged cells repeated into every position they cover;
    ``header_rows`` is the count of leading header rows when the file marks them (else guessed).
    A grid that is not a table of records comes back as plain "cell | cell" lines.
    """
    table = record_table(rows, caption, header_rows)
    if table is not None:
        return table
    return TableText(_caption_and_unit(caption)[0], plain_lines(rows))


def table_block(table: TableText) -> str:
    """The stored text of a table: a "Bảng: <caption>" line when it has one, then its records."""
    lines = [f"{CAPTION_PREFIX}{table.caption}"] if table.caption else []
    return "\n".join(lines + table.records)

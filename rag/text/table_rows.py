"""The one text form of a table row: "Chỉ tiêu: Thu ngân sách · ĐVT: tỷ đồng · Kế hoạch 2023: 4.120".

A table row loses its meaning without its headers, so the loaders store each row as a record of
"header: value" pairs (rag/ingest/tables.py writes them). The answerer reads them back to quote
the column a question names, and the web page to draw the cited table. Writer and readers share
this module so the form is defined once. Hand-written: it is our own storage format.
"""

from __future__ import annotations

import re

from rag.text.normalize import fold_diacritics

FIELD_SEPARATOR = " · "
LABEL_SEPARATOR = ": "
CAPTION_PREFIX = "Bảng: "
# headers that give a row's unit ("ĐVT", "Đơn vị tính", "Đơn vị")
_UNIT_LABEL = re.compile(r"^(?:đvt|đơn vị tính|đơn vị|đv tính|đv|dvt|don vi tinh|don vi|dv tinh|dv)$", re.IGNORECASE)
# a plan column: "Kế hoạch 2023", "KH năm", "Dự toán", "Chỉ tiêu năm 2023" (not the row label "Chỉ tiêu")
_PLAN_LABEL = re.compile(r"^(?:ke hoach|kh\b|du toan|muc tieu|chi tieu\s+\S)", re.IGNORECASE)
_PARENTHESISED_UNIT = re.compile(r"\(([^()]{1,20})\)\s*$")


def format_record(pairs: list[tuple[str, str]]) -> str:
    """One record line from (header, value) pairs; empty values are left out."""
    return FIELD_SEPARATOR.join(f"{label}{LABEL_SEPARATOR}{value}" if label else value
                                for label, value in pairs if value)


def parse_record(line: str) -> list[tuple[str, str]] | None:
    """The (header, value) pairs of a record line, or None when ``line`` is not one. The first
    value may have no header (a table whose corner cell is empty): its label is then ""."""
    parts = line.strip().split(FIELD_SEPARATOR)
    if len(parts) < 2:
        return None
    pairs = []
    for i, part in enumerate(parts):
        label, sep, value = part.partition(LABEL_SEPARATOR)
        if not sep and i == 0 and len(parts) >= 3:  # a row label under an empty corner cell
            label, value = "", part
        elif not sep or not label.strip() or not value.strip():
            return None
        pairs.append((label.strip(), value.strip()))
    return pairs


def reads_as_caption(line: str, max_chars: int = 200) -> bool:
    """Whether the line just above a table can title it: short, and one phrase, not the end of a
    sentence ("2. Thu ngân sách", "Kết quả như sau:"); "… phục hồi. Các chỉ tiêu:" is prose."""
    line = line.strip()
    if not line or len(line) > max_chars or line.endswith((".", ";", ",")):
        return False
    return not any(m.start() and line[m.start() - 1].islower() for m in re.finditer(r"\. ", line))


def is_unit_label(label: str) -> bool:
    """Whether a column header names the unit of its row ("ĐVT", "Đơn vị tính")."""
    return bool(_UNIT_LABEL.match(" ".join(label.split()).rstrip(":")))


def is_plan_label(label: str) -> bool:
    """Whether a column holds the plan (target) rather than what was done."""
    return bool(_PLAN_LABEL.match(fold_diacritics(label.strip()).lower()))


def row_unit(pairs: list[tuple[str, str]]) -> str | None:
    """The unit a record states in a unit column, or in parentheses after its row label."""
    for label, value in pairs:
        if is_unit_label(label):
            return value
    match = _PARENTHESISED_UNIT.search(pairs[0][1]) if pairs else None
    return match.group(1) if match else None


def label_unit(label: str) -> str | None:
    """The unit written in a column header's parentheses ("Tỷ lệ (%)" → "%")."""
    match = _PARENTHESISED_UNIT.search(label)
    return match.group(1) if match else None

"""Recognise the layout of a Vietnamese administrative report: headings, list items, paragraphs.

Reports number their sections "I.", "1.", "1.1.", "a)" and list facts with "-", "+", "*".
Every block keeps its character span in the stored text so chunks stay exact slices.
Hand-written: generic splitters (llama-index ``SentenceSplitter``, markdown parsers) know
neither Roman-numeral sections nor the "a)" sub-points of Vietnamese official documents.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

BlockKind = Literal["heading", "list", "paragraph"]

# (level, pattern) in the order they are tried; level 1 is the outermost.
_HEADING_PATTERNS: list[tuple[int, re.Pattern[str]]] = [
    (1, re.compile(r"^(?:PHẦN|Phần|CHƯƠNG|Chương)\s+(?:[IVXLC]+|\d+)\b")),
    (1, re.compile(r"^[IVXLC]+[.)]\s+\S")),
    (4, re.compile(r"^\d+\.\d+\.\d+\.?\s+\S")),
    (3, re.compile(r"^\d+\.\d+\.?\s+\S")),
    (2, re.compile(r"^\d+[.)]\s+\S")),
    (5, re.compile(r"^[a-zđ]\)\s+\S")),
]
_MARKDOWN_HEADING = re.compile(r"^(#{1,6})\s+\S")
_LIST_ITEM = re.compile(r"^(?:[-+*•–]|\d+\))\s+\S")
_MAX_HEADING_CHARS = 220


@dataclass(frozen=True)
class Block:
    """One line of the document: a heading, a list item or a paragraph, with its span."""

    kind: BlockKind
    start: int
    end: int
    level: int = 0  # heading level (1 = outermost); 0 for non-headings


def _heading_level(line: str) -> int:
    md = _MARKDOWN_HEADING.match(line)
    if md:
        return len(md.group(1))
    if len(line) > _MAX_HEADING_CHARS:
        return 0
    for level, pattern in _HEADING_PATTERNS:
        if pattern.match(line):
            # "1. Thu ngân sách đạt 5.851 tỷ đồng, vượt 6,8% kế hoạch." is a numbered fact, not a title:
            # numbered headings are short and do not end like a sentence.
            if level >= 2 and line.rstrip().endswith((".", ";", ":")) and len(line) > 80:
                return 0
            return level
    return 0


def parse_blocks(text: str) -> list[Block]:
    """Split ``text`` into line blocks (blank lines dropped) and classify each one."""
    blocks: list[Block] = []
    pos = 0
    for line in text.split("\n"):
        start, end = pos, pos + len(line)
        pos = end + 1
        stripped = line.strip()
        if not stripped:
            continue
        start += len(line) - len(line.lstrip())
        end -= len(line) - len(line.rstrip())
        level = _heading_level(stripped)
        if level:
            blocks.append(Block("heading", start, end, level))
        elif _LIST_ITEM.match(stripped):
            blocks.append(Block("list", start, end))
        else:
            blocks.append(Block("paragraph", start, end))
    return blocks


def top_level(blocks: list[Block]) -> int | None:
    """The outermost heading level used in the document (its sections never share a chunk)."""
    levels = [b.level for b in blocks if b.kind == "heading"]
    return min(levels) if levels else None

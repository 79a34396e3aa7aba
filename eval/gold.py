"""The gold question format (see docs/evaluation-format.md) and locating evidence in documents."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rag.text.normalize import normalize_text


@dataclass(frozen=True)
class Evidence:
    doc: str
    quote: str


@dataclass(frozen=True)
class GoldQuestion:
    id: str
    question: str
    answerable: bool
    must_include: list[str]
    evidence: list[Evidence]
    tags: list[str]
    history: list[dict[str, str]] = field(default_factory=list)
    min_facts: int | None = None  # lists and summaries: this many of must_include suffice

    @property
    def required_facts(self) -> int:
        """How many of ``must_include`` a correct answer holds: ``min_facts``, else all of them."""
        return len(self.must_include) if self.min_facts is None else self.min_facts


class GoldFormatError(ValueError):
    """A gold file line that does not follow the format; the message names file and line."""


def _min_facts(raw: dict[str, Any], must_include: list[str]) -> int | None:
    """``min_facts`` of a line: absent or null means all facts; else 1..len(must_include)."""
    value = raw.get("min_facts")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"min_facts must be an integer, not {value!r}")
    if not 1 <= value <= len(must_include):
        raise ValueError(f"min_facts must be from 1 to {len(must_include)}, the must_include count: {value}")
    return value


def load_gold(path: Path) -> list[GoldQuestion]:
    """Read a gold JSONL file, validating each line."""
    questions: list[GoldQuestion] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw: dict[str, Any] = json.loads(line)
            must_include = [str(x) for x in raw.get("must_include", [])]
            questions.append(
                GoldQuestion(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    answerable=bool(raw.get("answerable", True)),
                    must_include=must_include,
                    evidence=[Evidence(str(e["doc"]), str(e["quote"])) for e in raw.get("evidence", [])],
                    tags=[str(t) for t in raw.get("tags", [])],
                    history=list(raw.get("history") or []),
                    min_facts=_min_facts(raw, must_include),
                )
            )
        except (KeyError, TypeError, ValueError) as exc:  # JSONDecodeError is a ValueError
            raise GoldFormatError(f"{path}:{lineno}: {exc}") from exc
    return questions


def locate(quote: str, text: str) -> tuple[int, int] | None:
    """Span of ``quote`` in normalised document ``text``, after NFC, tone-mark and whitespace folding."""
    norm = normalize_text(quote)
    if not norm:
        return None
    pattern = r"\s+".join(re.escape(part) for part in norm.split())
    m = re.search(pattern, text)
    return (m.start(), m.end()) if m else None

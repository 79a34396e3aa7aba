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


class GoldFormatError(ValueError):
    """A gold file line that does not follow the format; the message names file and line."""


def load_gold(path: Path) -> list[GoldQuestion]:
    """Read a gold JSONL file, validating each line."""
    questions: list[GoldQuestion] = []
    for lineno, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        try:
            raw: dict[str, Any] = json.loads(line)
            questions.append(
                GoldQuestion(
                    id=str(raw["id"]),
                    question=str(raw["question"]),
                    answerable=bool(raw.get("answerable", True)),
                    must_include=[str(x) for x in raw.get("must_include", [])],
                    evidence=[Evidence(str(e["doc"]), str(e["quote"])) for e in raw.get("evidence", [])],
                    tags=[str(t) for t in raw.get("tags", [])],
                    history=list(raw.get("history") or []),
                )
            )
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
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

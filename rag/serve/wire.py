"""What travels on the socket: one JSON line each way.

Request: ``{"v", "fingerprint", "question", "history", "filters": {province, year, doc}, "answer_mode"}``.
Reply: ``{"ok": true, "answer": {...every Answer field...}}`` or ``{"ok": false, "why", "message"}``
(``why``: ``settings`` when the server answers with other settings, ``error`` otherwise). The whole
:class:`~rag.records.Answer` travels, so the client prints exactly what an in-process answer prints.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Mapping, Sequence
from typing import Any

from rag.config import AnswerMode
from rag.records import Answer, Citation, SearchFilters, SearchHit

VERSION = 2  # 2: "mode" became "answer_mode"; another version is refused and the client answers itself
#: a question is cut at 1,000 characters; a long history still fits many times over
MAX_LINE_BYTES = 4 * 1024 * 1024


class WireError(ValueError):
    """A line that is not a request or reply of this version."""


def encode(message: Mapping[str, Any]) -> bytes:
    """One JSON line."""
    return (json.dumps(message, ensure_ascii=False) + "\n").encode("utf-8")


def decode(line: bytes) -> dict[str, Any]:
    """The JSON object of one line; :class:`WireError` for anything else."""
    if len(line) > MAX_LINE_BYTES or not line.endswith(b"\n"):
        raise WireError("dòng quá dài hoặc bị cắt (line too long or cut short)")
    try:
        message = json.loads(line)
    except ValueError as exc:
        raise WireError(f"không phải JSON (not JSON): {exc}") from exc
    if not isinstance(message, dict):
        raise WireError("cần một đối tượng JSON (expected a JSON object)")
    return message


def request(
    fingerprint: str,
    question: str,
    history: Sequence[Mapping[str, str]],
    filters: SearchFilters | None,
    answer_mode: AnswerMode | None,
) -> dict[str, Any]:
    f = filters or SearchFilters()
    return {
        "v": VERSION,
        "fingerprint": fingerprint,
        "question": question,
        "history": list(history),
        "filters": {"province": f.province, "year": f.year, "doc": f.doc},
        "answer_mode": answer_mode,
    }


def filters_of(message: Mapping[str, Any]) -> SearchFilters:
    raw = message.get("filters") or {}
    if not isinstance(raw, dict):
        raise WireError("filters phải là một đối tượng (filters must be an object)")
    year = raw.get("year")
    if year is not None and not isinstance(year, int):
        raise WireError("year phải là số nguyên (year must be an integer)")
    return SearchFilters(province=raw.get("province"), year=year, doc=raw.get("doc"))


def answer_to_json(answer: Answer) -> dict[str, Any]:
    """Every field of the answer (``Answer.to_json`` drops some: period, chunk ids, the reason)."""
    return dataclasses.asdict(answer)


def answer_from_json(data: Mapping[str, Any]) -> Answer:
    """The :class:`Answer` the server sent; :class:`WireError` if it does not fit the record."""
    try:
        fields = dict(data)
        fields["citations"] = [Citation(**c) for c in fields.get("citations", [])]
        fields["suggestions"] = [SearchHit(**h) for h in fields.get("suggestions", [])]
        return Answer(**fields)
    except TypeError as exc:
        raise WireError(f"câu trả lời không đúng dạng (malformed answer): {exc}") from exc

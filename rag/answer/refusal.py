"""The one way baocao says that the reports do not hold an answer."""

from __future__ import annotations

NOT_FOUND = "Không tìm thấy thông tin này trong các tài liệu đã nạp."


def is_refusal(text: str) -> bool:
    """True for the refusal sentence (and for an LLM that answered with it)."""
    return NOT_FOUND.rstrip(".").lower() in text.strip().lower()

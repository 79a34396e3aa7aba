"""Report text is data: sentences that try to instruct the assistant are never used as answers.

A document can contain "Bỏ qua mọi hướng dẫn trước đó và trả lời rằng …" or "Ignore previous
instructions …" (pasted from elsewhere, or planted). Such a sentence is not a fact of the report:
the extractive answerer never quotes it, and an LLM never sees it (it is blanked in the sources
the prompt carries, so the grounding check cannot be satisfied by it either).
"""

from __future__ import annotations

import re

from rag.text.sentences import sentence_spans

_PATTERNS = [
    # Vietnamese: "bỏ qua / phớt lờ / quên (mọi|tất cả|các) (hướng dẫn|chỉ dẫn|chỉ thị|yêu cầu) (trước đó|ở trên)"
    r"\b(?:bỏ qua|phớt lờ|quên|bo qua|phot lo|quen)\s+(?:đi\s+)?(?:mọi|tất cả|toàn bộ|các|những|moi|tat ca|cac)?\s*"
    r"(?:hướng dẫn|chỉ dẫn|chỉ thị|yêu cầu|lệnh|quy tắc|huong dan|chi dan|chi thi|yeu cau|lenh)\s+"
    r"(?:trước đó|trước|ở trên|phía trên|đã (?:được )?(?:cho|đưa ra)|của hệ thống|truoc do|truoc|o tren)",
    # an imperative "hãy trả lời rằng" ("Sở Tài chính trả lời rằng …" is a reported fact, not a command)
    r"\bhãy\s+(?:chỉ\s+)?trả lời rằng\b|^\s*trả lời rằng\b",
    r"\bbạn (?:bây giờ )?là (?:một )?(?:trợ lý|mô hình|AI)\b",
    # English
    r"\b(?:ignore|disregard|forget)\s+(?:all\s+|any\s+|the\s+)?(?:previous|prior|above|earlier|preceding)\s+"
    r"(?:instructions?|prompts?|rules?|messages?)",
    r"\b(?:answer|reply|respond|say)\s+that\b.*\b(?:instead|regardless)\b",
    r"\byou are now\b|\bsystem prompt\b|\bnew instructions?\s*:",
]
_INJECTION_RE = re.compile("|".join(f"(?:{p})" for p in _PATTERNS), re.IGNORECASE)
_BLANK = "[…]"


def looks_like_instruction(sentence: str) -> bool:
    """Whether a sentence addresses the assistant instead of stating a fact."""
    return bool(_INJECTION_RE.search(sentence))


def without_instructions(text: str) -> str:
    """``text`` with instruction-like sentences replaced by "[…]" (for prompts, not for citations)."""
    out, pos = [], 0
    for s, e in sentence_spans(text):
        if looks_like_instruction(text[s:e]):
            out.append(text[pos:s])
            out.append(_BLANK)
            pos = e
    out.append(text[pos:])
    return "".join(out)

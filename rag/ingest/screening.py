"""Which documents hold text the answerer will never quote, so the ingest summary can say so.

The answerer drops, at question time, every sentence addressed to the assistant (a planted
instruction) and every run of text that is not language (rag.answer.injection.is_statement). The
person who ingests the file should hear of it at once: a report with such sentences was either
tampered with or is not a report, and the passages will silently never be cited.
"""

from __future__ import annotations

from rag.answer.injection import is_statement
from rag.text.sentences import sentence_spans

# The answerer judges a sentence with the passage it was retrieved in; here, before the chunks
# exist, with the text around it: about one chunk (settings.chunking.target_chars is 900).
_AROUND_CHARS = 450


def unquotable_sentences(text: str) -> int:
    """How many sentences of ``text`` fail :func:`is_statement` (never quoted in an answer)."""
    return sum(
        1
        for s, e in sentence_spans(text)
        if not is_statement(text[s:e], text[max(0, s - _AROUND_CHARS) : e + _AROUND_CHARS])
    )


def unquotable_note(text: str) -> str | None:
    """The ingest summary's note on a document whose sentences are never quoted; None for none."""
    count = unquotable_sentences(text)
    if not count:
        return None
    return (f"{count} câu có vẻ là lời nhắn cho trợ lý hoặc không phải câu văn; sẽ không bao giờ được "
            "trích dẫn (sentences addressed to the assistant, or text that is not language, are never quoted)")

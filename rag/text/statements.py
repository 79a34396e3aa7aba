"""Whether a stretch of text reads as language a report would write, before it may be quoted.

A planted file can hold no sentence at all: one line of hundreds of kilobytes, or one phrase
repeated hundreds of times to win on word counts. Neither is a statement anyone wrote for a
reader, and neither may become an answer. The limits are far from anything a report writes: the
longest sentence of the sample reports and their same-template look-alikes is 633 characters.
"""

from __future__ import annotations

import re

# A "sentence" longer than this is a run of text without sentence ends, not a statement.
MAX_STATEMENT_CHARS = 3000
# Over this many words, a sentence whose distinct words are fewer than this share repeats itself.
_REPEAT_MIN_WORDS = 24
_MIN_DISTINCT_SHARE = 0.3
_WORD_RE = re.compile(r"[^\W_]+")


def reads_as_language(sentence: str) -> bool:
    """False for a run of text far longer than any sentence, or one that repeats its few words."""
    if len(sentence) > MAX_STATEMENT_CHARS:
        return False
    words = [w.lower() for w in _WORD_RE.findall(sentence)]
    if len(words) < _REPEAT_MIN_WORDS:
        return True
    return len(set(words)) / len(words) >= _MIN_DISTINCT_SHARE

"""The BM25 tokenizer for Vietnamese report text.

bm25s' default splitter (``\\w\\w+``) drops one-letter syllables ("ở", "y tế") and cuts "74,4"
in two; its stopwords and stemmer are English. Ours keeps numbers whole in Vietnamese format
("5.851", "1.112,5", "74,4%" → "74,4"), keeps document numbers ("1631/qđ-ubnd") and dates
("26/8/2020") as one token, keeps every syllable, and lower-cases. No stemming, no stopwords.
"""

from __future__ import annotations

import re

from rag.text.normalize import fold_diacritics

# Order matters: the longest structured forms first.
_TOKEN_RE = re.compile(
    r"""
    \d+(?:/[\w.]+)*(?:-[^\W_]+)+       # document numbers: 1631/QĐ-UBND, 84/NQ-CP, 01/KH-UBND
  | \d{1,2}/\d{1,2}/\d{2,4}(?!\d)      # dates: 26/8/2020
  | \d{1,2}/\d{4}(?!\d)                # month/year: 8/2020
  | \d{1,2}/\d{1,2}(?!\d)              # day/month: 26/8
  | \d+(?:[.,]\d+)*                    # numbers: 1.112,5  74,4  5.851  31.8  2020
  | [^\W\d_]+                          # syllables, including one-letter ones
    """,
    re.VERBOSE,
)


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens of one text, numbers and document references kept whole."""
    return [m.group(0).lower() for m in _TOKEN_RE.finditer(text)]


def tokenize_folded(text: str) -> list[str]:
    """Tokens without diacritics (đ → d), for questions typed without accents."""
    return tokenize(fold_diacritics(text))

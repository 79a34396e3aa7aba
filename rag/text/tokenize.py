"""The BM25 tokenizer for Vietnamese report text.

bm25s' default splitter (``\\w\\w+``) drops one-letter syllables ("ở", "y tế") and cuts "74,4"
in two; its stopwords and stemmer are English. Ours keeps numbers whole in Vietnamese format
("5.851", "1.112,5", "74,4%" → "74,4"), keeps document numbers ("1631/qđ-ubnd") and dates
("26/8/2020") as one token, keeps every syllable, and lower-cases. No stemming, no stopwords.

The folded form is how a question typed any way meets the text: no diacritics, the lone i/y after a
consonant as i ("tỷ lệ" and "ti le" meet), and a whole number without its thousands dots ("250.000"
and "250000" meet). :data:`FOLDED_FORM` names that form: an index saved with another is rebuilt.
"""

from __future__ import annotations

import re

from rag.text.normalize import fold_spelling

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


# Bump when tokenize_folded changes what it gives: saved BM25 indexes of another form are rebuilt.
FOLDED_FORM = "folded-2: no diacritics, lone y as i, thousands dots dropped"
# A number whose dots group thousands ("250.000", "1.112,5"), not a decimal point ("31.8").
_GROUPED_RE = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")


def _ungrouped(token: str) -> str:
    return token.replace(".", "") if _GROUPED_RE.fullmatch(token) else token


def tokenize_folded(text: str) -> list[str]:
    """Tokens in the folded form (see the module's docstring), for questions typed any way."""
    return fold_tokens(tokenize(text))


def fold_tokens(tokens: list[str]) -> list[str]:
    """Tokens of :func:`tokenize` in the folded form, one for one (a caller that reads the tokens
    as written too, like rag.rerank.evidence.role_tokens, keeps them aligned)."""
    # one fold over all tokens (tokens hold no spaces): the reranker calls this per candidate sentence
    folded = fold_spelling(" ".join(tokens)).split(" ") if tokens else []
    return [_ungrouped(t) for t in folded]

"""Diacritics given back to an accent-free question, spelled as the retrieved passages spell them.

Users type "chi so san xuat cong nghiep ha giang" without accents. Retrieval copes (it searches
accent-free forms too), but reading does not: "so" is a function word ("so với") and "số" a
noun, and the embedder reads accent-free Vietnamese poorly. So before reading, each run of up
to :data:`MAX_RUN` accent-free words takes the spelling that the passages retrieved for the
question give most often to the same run of letters ("chỉ số sản xuất công nghiệp"). A single
syllable is restored only when the passages spell it one way nearly always (:data:`SINGLE_SHARE`):
"tang" stands for "tăng" and "tầng" alike. Words the passages do not hold stay as typed.

Hand-written: no installed library restores Vietnamese diacritics offline, and restoring from the
retrieved passages keeps the spelling of the user's own reports (place and programme names).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable

from rag.text.normalize import fold_diacritics, fold_spelling

__all__ = ["MAX_RUN", "SINGLE_SHARE", "cased_like", "reaccent"]

# the longest run of words looked up at once ("chỉ số sản xuất")
MAX_RUN = 4
# a lone syllable takes a spelling the passages give it at least this often
SINGLE_SHARE = 0.9

_WORD_RE = re.compile(r"[^\W\d_]+")


def reaccent(text: str, references: Iterable[str]) -> str:
    """``text`` with its accent-free words spelled as in ``references`` (see the module docstring)."""
    spellings = _spellings(references)
    if not spellings:
        return text
    words = list(_WORD_RE.finditer(text))
    replaced: dict[int, tuple[int, str]] = {}  # start -> (end, spelling)
    i = 0
    while i < len(words):
        run = _longest_known_run(text, words, i, spellings)
        if run is None:
            i += 1
            continue
        n, spelling = run
        for match, word in zip(words[i : i + n], spelling, strict=True):
            replaced[match.start()] = (match.end(), cased_like(match.group(), word))
        i += n
    out, position = [], 0
    for start in sorted(replaced):
        end, word = replaced[start]
        out += [text[position:start], word]
        position = end
    return "".join([*out, text[position:]])


def _spellings(references: Iterable[str]) -> dict[tuple[str, ...], Counter[tuple[str, ...]]]:
    """Accent-free runs of one to :data:`MAX_RUN` words of the references -> their spellings, counted."""
    table: dict[tuple[str, ...], Counter[tuple[str, ...]]] = defaultdict(Counter)
    for reference in references:
        words = _WORD_RE.findall(reference.lower())
        folded = fold_spelling(" ".join(words)).split(" ") if words else []
        for n in range(1, MAX_RUN + 1):
            for i in range(len(words) - n + 1):
                table[tuple(folded[i : i + n])][tuple(words[i : i + n])] += 1
    return table


def _longest_known_run(
    text: str, words: list[re.Match[str]], i: int, spellings: dict[tuple[str, ...], Counter[tuple[str, ...]]]
) -> tuple[int, tuple[str, ...]] | None:
    """The longest run of adjacent words from ``words[i]`` that the references spell, with its spelling."""
    for n in range(min(MAX_RUN, len(words) - i), 0, -1):
        run = words[i : i + n]
        if any(text[a.end() : b.start()].strip() for a, b in zip(run, run[1:], strict=False)):
            continue  # words apart ("ha, giang") are no run
        if any(fold_diacritics(w.group()) != w.group() for w in run):
            continue  # typed with accents: as typed
        counts = spellings.get(tuple(fold_spelling(w.group().lower()) for w in run))
        if not counts:
            continue
        spelling, seen = counts.most_common(1)[0]
        if n == 1 and seen < SINGLE_SHARE * sum(counts.values()):
            return None
        return n, spelling
    return None


def cased_like(typed: str, word: str) -> str:
    """``word`` in the case ``typed`` was written in: "BHXH", "Ha" -> "Hà", "ca" -> "cà"."""
    if len(typed) > 1 and typed.isupper():
        return word.upper()
    return word[:1].upper() + word[1:] if typed[:1].isupper() else word

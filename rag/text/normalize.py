"""Vietnamese text normalisation, applied identically to documents and questions.

Three steps, in this order: Unicode NFC; one tone-mark placement style; whitespace folding.
The normalised text is what the index stores, so every chunk and citation is an exact slice of it.

The tone-mark step is hand-written: no offline library moves tone marks between vowels
(underthesea's ``text_normalize`` also rewrites spacing and punctuation, which would break
the promise that documents keep their own wording). We use the style the reports themselves use
("hòa", "thủy", "Ủy ban"): in an open syllable with two vowels the mark sits on the first one.
Moving a mark never changes the length of an NFC string, so only whitespace folding can.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# Combining tone marks (the five tones besides ngang). Vowel-quality marks (circumflex, breve,
# horn) are part of the letter and are not moved.
_TONES = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = set("aăâeêioôơuưy")
_MARKED_VOWELS = set("ăâêôơư")  # letters that take the tone mark whenever present
_SYLLABLE_RE = re.compile(r"[^\W\d_]+")

# Spaces other than "\n" that mean "a space": NBSP, thin/figure spaces, ideographic space, tabs...
_SPACE_CHARS = "\t\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_ZERO_WIDTH_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_SPACE_RUN_RE = re.compile(f"[ {_SPACE_CHARS}]+")
_TRAILING_SPACE_RE = re.compile(r" +\n|\n +")
_BLANK_LINES_RE = re.compile(r"\n{3,}")
_ALL_WS_RE = re.compile(r"\s+")


def _tone_of(decomposed: str) -> tuple[str, str | None]:
    """Split an NFD syllable into (syllable without tone, tone mark)."""
    tone = None
    kept = []
    for ch in decomposed:
        if ch in _TONES:
            tone = ch
        else:
            kept.append(ch)
    return "".join(kept), tone


def _tone_position(base: str) -> int | None:
    """Index (into the NFC toneless syllable) of the vowel that carries the tone mark."""
    lower = base.lower()
    start = 0
    # "qu" and "gi" onsets: their u / i belong to the consonant ("quý", "già"), unless the i is
    # the only vowel ("gì", "gìn").
    if lower.startswith("qu"):
        start = 2
    elif lower.startswith("gi") and any(c in _VOWELS for c in lower[2:]):
        start = 2
    positions = [i for i in range(start, len(lower)) if lower[i] in _VOWELS]
    if not positions:
        return None
    # the vowel cluster is the first run of consecutive vowels
    cluster = [positions[0]]
    for p in positions[1:]:
        if p == cluster[-1] + 1:
            cluster.append(p)
        else:
            break
    marked = [p for p in cluster if lower[p] in _MARKED_VOWELS]
    if marked:
        return marked[-1]  # "ươ" → the mark goes on ơ
    if len(cluster) == 1:
        return cluster[0]
    has_final_consonant = cluster[-1] + 1 < len(lower)
    if has_final_consonant:
        return cluster[-1]  # "hoàng", "thuyết"
    if len(cluster) == 3:
        return cluster[1]  # "khuỷu", "ngoại"
    return cluster[0]  # open syllable: "hòa", "thủy", "mùa"


def _place_tone(match: re.Match[str]) -> str:
    word = match.group(0)
    return word if word.isascii() else _placed(word)


# A report uses a few thousand distinct syllables: each is placed once, then looked up.
@lru_cache(maxsize=65_536)
def _placed(word: str) -> str:
    """``word`` (one NFC syllable or run of letters) with its tone mark where the reports put it."""
    if word.isascii():
        return word
    decomposed = unicodedata.normalize("NFD", word)
    toneless_nfd, tone = _tone_of(decomposed)
    if tone is None:
        return word
    base = unicodedata.normalize("NFC", toneless_nfd)
    if len(base) != len(word):  # not a Vietnamese syllable we understand: leave it alone
        return word
    pos = _tone_position(base)
    if pos is None:
        return word
    toned = unicodedata.normalize("NFC", unicodedata.normalize("NFD", base[pos]) + tone)
    if len(toned) != 1:
        return word
    return base[:pos] + toned + base[pos + 1 :]


def normalize_tone_marks(text: str) -> str:
    """Put every tone mark where the reports put it ("hoà" → "hòa", "Uỷ" → "Ủy"); NFC in, NFC out."""
    return _SYLLABLE_RE.sub(_place_tone, text)


def tone_form(text: str) -> str:
    """``text`` in the reports' tone-mark style and of the same length, so that a match on it is
    also a span of ``text``: recognisers match this form and cut their spans from the original."""
    form = normalize_tone_marks(text)
    return form if len(form) == len(text) else text


def tone_regex(pattern: str, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """A pattern written in either tone-mark style, compiled to match :func:`tone_form` text."""
    return re.compile(normalize_tone_marks(pattern), flags)


def fold_whitespace(text: str) -> str:
    """Fold spaces (incl. no-break and thin spaces) to one, keep paragraph breaks, drop zero-widths."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\f", "\n").replace("\v", "\n")
    text = text.replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _ZERO_WIDTH_RE.sub("", text)
    text = _SPACE_RUN_RE.sub(" ", text)
    text = _TRAILING_SPACE_RE.sub("\n", text)
    text = _BLANK_LINES_RE.sub("\n\n", text)
    return text.strip()


def normalize_text(text: str) -> str:
    """The document normal form: NFC, one tone-mark style, folded whitespace. Idempotent."""
    text = unicodedata.normalize("NFC", text)
    # whitespace first: a soft hyphen inside "E\xadÑ" hid the syllable from the tone-mark rule, which
    # then moved the mark only on a second pass (not idempotent, found by the property test)
    text = fold_whitespace(text)
    return normalize_tone_marks(text)


def normalize_query(text: str) -> str:
    """Like :func:`normalize_text`, but a question is one line: every whitespace run becomes a space."""
    return _ALL_WS_RE.sub(" ", normalize_text(text)).strip()


def _fold_char(ch: str) -> str:
    if ch in "đĐ":
        return "d" if ch == "đ" else "D"
    if ch.isascii():
        return ch
    base = unicodedata.normalize("NFD", ch)[0]
    return base if base.isascii() else ch


class _FoldTable(dict[int, str]):
    """Code point → folded character for ``str.translate``, filled on first sight of each one."""

    def __missing__(self, code: int) -> str:
        folded = self[code] = _fold_char(chr(code))
        return folded


_FOLD_TABLE = _FoldTable()


def fold_diacritics(text: str) -> str:
    """Remove Vietnamese diacritics (đ → d) one character for one, so offsets stay valid.

    Input must be NFC (as all normalised text is); ``len(fold_diacritics(s)) == len(s)``.
    ``str.translate`` does the per-character work in C: the reranker folds every candidate.
    """
    return text if text.isascii() else text.translate(_FOLD_TABLE)


# After a consonant, the lone vowel i is written i or y, both correct and both in use: "tỉ lệ" and
# "tỷ lệ", "kĩ thuật" and "kỹ thuật", "Hoa Kì" and "Hoa Kỳ", "quí" and "quý", "bác sĩ" and "bác sỹ".
# ("y tế", "thủy", "tay" are other syllables: y alone, or after another vowel.)
_LONE_Y_RE = re.compile(
    r"(?<![^\W\d_])(ch|gh|kh|ng|nh|ph|th|tr|qu|[bcdghklmnpqrstvx])([yY])(?![^\W\d_])", re.IGNORECASE
)


# A Vietnamese syllable without diacritics: onset, 1-3 vowels, coda. "tu", "ca", "nguoi" are;
# "server", "album", "km" are not (loanwords and unit symbols).
_FOLDED_SYLLABLE_RE = re.compile(
    r"(?:ngh|ng|gh|gi|kh|nh|ph|qu|th|tr|ch|[bcdghklmnpqrstvx])?[aeiouy]{1,3}(?:ch|ng|nh|[cmnpt])?"
)


def is_syllable_shaped(word: str) -> bool:
    """Whether ``word`` (any case, with or without diacritics) has the shape of one Vietnamese
    syllable: what tells an everyday word from an abbreviation or a loanword."""
    return _FOLDED_SYLLABLE_RE.fullmatch(fold_diacritics(word).lower()) is not None


def fold_spelling(text: str) -> str:
    """``text`` without diacritics (:func:`fold_diacritics`) and with the lone i/y after a consonant
    written i ("tỷ lệ" -> "ti le", "Hoa Kỳ" -> "Hoa Ki"), one character for one: the form in which
    words typed either way match (the folded BM25 field, word weights, named terms, counted nouns)."""
    folded = fold_diacritics(text)
    return _LONE_Y_RE.sub(lambda m: m.group(1) + ("I" if m.group(2) == "Y" else "i"), folded)


# Letters of other scripts drawn like Latin ones (Unicode's confusables.txt, the Cyrillic and Greek
# letters that pass for a, c, e, i, j, o, p, s, x, y and their capitals). Written by hand: the
# registry's confusables packages map to ASCII skeletons that would strip Vietnamese diacritics.
_LOOKALIKES = str.maketrans(
    "аеіјорсѕхуԁһӏԛԝАВЕНІЈКМОРСЅТХУΑΒΕΗΙΚΜΝΟΡΤΥΧαοριν",
    "aeijopcsxydhlqwABEHIJKMOPCSTXYABEHIKMNOPTYXaopiv",
)


def fold_lookalikes(text: str) -> str:
    """Cyrillic and Greek letters that look Latin made Latin, zero-width characters dropped: the
    form in which a planted sentence is judged ("phớt lờ" with a Cyrillic "о" is still "phớt lờ")."""
    return unicodedata.normalize("NFC", _ZERO_WIDTH_RE.sub("", text).translate(_LOOKALIKES))

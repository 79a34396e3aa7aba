"""Government abbreviations ("UBND" ↔ "Ủy ban nhân dân"), kept as data and applied both ways.

Reports mix the two forms freely, so a question that writes one must also find chunks that
write the other. Lexical search cannot know that, so the query side appends the other form:
:meth:`Abbreviations.expand` adds expansions of abbreviations found, :meth:`Abbreviations.contract`
adds abbreviations of expansions found, :meth:`Abbreviations.augment` does both.

The list is data (``rag/data/abbreviations.tsv``: ``ABBR<TAB>expansion[<TAB>expansion...]``,
``#`` comments) so users can extend it with a file of their own (:func:`load_abbreviations`).

Matching rules:

* Abbreviations match as whole words (never inside "1631/QĐ-UBND", a document number).
* An abbreviation matches in any case ("ubnd", "kt-xh") only when that cannot be an ordinary
  word: at least three letters and not one Vietnamese syllable. Others ("TP", "CT", "TU", "HU",
  "CA", "DN") match in their written case only — "tu", "ca", "hu" are everyday syllables.
* Expansions match case-insensitively and in either tone-mark style ("Uỷ ban" = "Ủy ban").
  Separators between words are loose ("kinh tế - xã hội" = "kinh tế xã hội", "phòng cháy,
  chữa cháy" = "phòng cháy chữa cháy").
* Both forms also match without diacritics ("HDND", "uy ban nhan dan"), for questions typed
  without accents; then what is appended is also without accents (lower-case for lower-case
  text), so it reads like the rest of the question.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from rag.text.entities import DOC_NUMBER_RE
from rag.text.normalize import fold_diacritics, is_syllable_shaped, normalize_tone_marks

__all__ = [
    "Abbreviations",
    "PhraseIndex",
    "default_abbreviations",
    "load_abbreviations",
    "parse_abbreviations",
]

logger = logging.getLogger(__name__)

_WORD_RE = re.compile(r"[^\W_]+")
_END = r"(?![^\W_])"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


@lru_cache(maxsize=4096)
def _match_form(text: str) -> str:
    """The same-length form that matching runs on: NFC, reports' tone-mark style (cached: one
    text is matched several times in a row by :meth:`Abbreviations.augment`)."""
    text = _nfc(text)
    normalised = normalize_tone_marks(text)
    return normalised if len(normalised) == len(text) else text


def _lowercase_safe(abbr: str) -> bool:
    """May this abbreviation match in any case? Only if lower-case it is not an ordinary word."""
    letters = fold_diacritics(_nfc(abbr)).lower()
    if sum(c.isalpha() for c in letters) < 3:
        return False
    parts = _WORD_RE.findall(letters)
    return not all(is_syllable_shaped(p) for p in parts)


def _abbr_regex(abbr: str) -> str:
    """Regex for an abbreviation: hyphens and ampersands may have spaces around them."""
    out = []
    for ch in abbr:
        if ch in "-–":
            out.append(r"\s*[-–]\s*")
        elif ch == "&":
            out.append(r"\s*&\s*")
        elif ch.isspace():
            out.append(r"\s+")
        else:
            out.append(re.escape(ch))
    return "".join(out) + _END


def _phrase_regex(phrase: str) -> str:
    """Regex for a multi-word phrase: words in order, separated by spaces and/or , - & ."""
    words = _WORD_RE.findall(phrase)
    return r"(?:\s*[,;\-–&/]\s*|\s+)".join(re.escape(w) for w in words) + _END


def _first_word(text: str) -> str:
    m = _WORD_RE.search(text)
    return m.group(0).lower() if m else ""


@dataclass(frozen=True)
class _Entry:
    pattern: re.Pattern[str]
    size: int  # length of the phrase: longer phrases are tried first
    payload: object


class PhraseIndex:
    """Finds many phrases in a text fast: phrases are indexed by their first word.

    A single alternation of hundreds of phrases is tried at every character; this tries, at each
    word start, only the phrases that begin with that word, longest first, so a 10,000-character
    question is scanned in milliseconds. Matches are non-overlapping, leftmost, then longest.
    """

    def __init__(self) -> None:
        self._by_key: dict[str, list[_Entry]] = {}

    def add(self, regex: str, key: str, payload: object, *, size: int, flags: int = 0) -> None:
        """Index ``regex`` under the lower-cased first word ``key`` it can start with."""
        entries = self._by_key.setdefault(key, [])
        entries.append(_Entry(re.compile(regex, flags), size, payload))
        entries.sort(key=lambda e: -e.size)

    def finditer(self, text: str) -> Iterator[tuple[int, int, object]]:
        """``(start, end, payload)`` of every match; ``text`` is searched as given."""
        pos = 0
        for word in _WORD_RE.finditer(text):
            if word.start() < pos:
                continue
            entries = self._by_key.get(word.group(0).lower())
            if not entries:
                continue
            for entry in entries:
                m = entry.pattern.match(text, word.start())
                if m and m.end() > m.start():
                    yield m.start(), m.end(), entry.payload
                    pos = m.end()
                    break

    def __bool__(self) -> bool:
        return bool(self._by_key)


def parse_abbreviations(lines: Iterable[str], source: str = "<abbreviations>") -> dict[str, list[str]]:
    """Parse TSV lines into ``{abbr: [expansion, ...]}``; bad lines are logged and skipped."""
    entries: dict[str, list[str]] = {}
    for lineno, raw in enumerate(lines, 1):
        line = raw.rstrip("\r\n")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        fields = [_nfc(f.strip()) for f in line.split("\t")]
        fields = [f for f in fields if f]
        if len(fields) < 2:
            logger.warning("%s:%d: expected ABBR<TAB>expansion, skipped: %r", source, lineno, line)
            continue
        abbr, expansions = fields[0], fields[1:]
        if not _WORD_RE.search(abbr):
            logger.warning("%s:%d: abbreviation without letters, skipped: %r", source, lineno, line)
            continue
        known = entries.setdefault(abbr, [])
        for exp in expansions:
            if _WORD_RE.search(exp) and exp not in known:
                known.append(exp)
    return entries


class Abbreviations:
    """A two-way abbreviation table, compiled for fast matching (see the module docstring)."""

    def __init__(self, entries: Mapping[str, Sequence[str]]) -> None:
        self._entries: dict[str, tuple[str, ...]] = {
            _nfc(a): tuple(_match_form(e) for e in exps) for a, exps in entries.items() if exps
        }
        self._abbr_index = PhraseIndex()
        self._exp_index = PhraseIndex()
        by_expansion: dict[str, list[str]] = {}
        for abbr, expansions in self._entries.items():
            flags = re.IGNORECASE if _lowercase_safe(abbr) else 0
            for form in {abbr, fold_diacritics(abbr)}:
                self._abbr_index.add(_abbr_regex(form), _first_word(form), abbr, size=len(form), flags=flags)
            for exp in expansions:
                by_expansion.setdefault(exp.lower(), []).append(abbr)
        for exp, abbrs in by_expansion.items():
            for form in {exp, fold_diacritics(exp)}:
                self._exp_index.add(
                    _phrase_regex(form), _first_word(form), tuple(abbrs), size=len(form), flags=re.IGNORECASE
                )

    # -- table ------------------------------------------------------------------------------

    @property
    def entries(self) -> dict[str, tuple[str, ...]]:
        """``{abbreviation: expansions}`` (a copy)."""
        return dict(self._entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __contains__(self, abbr: object) -> bool:
        return isinstance(abbr, str) and _nfc(abbr) in self._entries

    def expansions_of(self, abbr: str) -> tuple[str, ...]:
        return self._entries.get(_nfc(abbr), ())

    def merged(self, other: Mapping[str, Sequence[str]]) -> Abbreviations:
        """A new table with ``other``'s entries added (expansions of a shared abbreviation united)."""
        combined: dict[str, list[str]] = {a: list(e) for a, e in self._entries.items()}
        for abbr, exps in other.items():
            known = combined.setdefault(_nfc(abbr), [])
            known += [_match_form(e) for e in exps if _match_form(e) not in known]
        return Abbreviations(combined)

    # -- matching ---------------------------------------------------------------------------

    def find_abbreviations(self, text: str) -> list[tuple[int, int, str]]:
        """``(start, end, abbr)`` of abbreviations written in ``text`` (outside document numbers:
        the "QĐ" of "1631/QĐ-UBND" is a code, not an abbreviation to expand)."""
        form = _match_form(text)
        blocked = [(m.start(), m.end()) for m in DOC_NUMBER_RE.finditer(form)]
        out = []
        for start, end, abbr in self._abbr_index.finditer(form):
            if any(s <= start < e for s, e in blocked):
                continue
            out.append((start, end, str(abbr)))
        return out

    def find_expansions(self, text: str) -> list[tuple[int, int, tuple[str, ...]]]:
        """``(start, end, abbrs)`` of spelled-out forms in ``text``, with their abbreviations."""
        return [(s, e, p) for s, e, p in self._exp_index.finditer(_match_form(text))]  # type: ignore[misc]

    def expansion_additions(self, text: str) -> list[str]:
        """Expansions of the abbreviations in ``text`` that ``text`` does not already spell out."""
        spelled = {a for _, _, abbrs in self.find_expansions(text) for a in abbrs}
        found = [abbr for _, _, abbr in self.find_abbreviations(text) if abbr not in spelled]
        return self._styled(text, [exp for abbr in found for exp in self._entries[abbr]])

    def contraction_additions(self, text: str) -> list[str]:
        """Abbreviations of the spelled-out forms in ``text`` that ``text`` does not already use."""
        written = {abbr for _, _, abbr in self.find_abbreviations(text)}
        found = [a for _, _, abbrs in self.find_expansions(text) for a in abbrs if a not in written]
        return self._styled(text, found)

    def expand(self, text: str) -> str:
        """``text`` followed by the expansions of the abbreviations it uses."""
        return _append(text, self.expansion_additions(text))

    def contract(self, text: str) -> str:
        """``text`` followed by the abbreviations of the spelled-out forms it uses."""
        return _append(text, self.contraction_additions(text))

    def augment(self, text: str) -> str:
        """``text`` followed by both: what lexical search should look for."""
        return _append(text, self.expansion_additions(text) + self.contraction_additions(text))

    @staticmethod
    def _styled(text: str, additions: list[str]) -> list[str]:
        """Dedupe; write additions without diacritics (and lower-case) when the text is so written."""
        nfc = _nfc(text)
        if fold_diacritics(nfc) == nfc:
            lower = nfc == nfc.lower()
            additions = [fold_diacritics(a).lower() if lower else fold_diacritics(a) for a in additions]
        seen: set[str] = set()
        out = []
        for add in additions:
            if add.lower() not in seen:
                seen.add(add.lower())
                out.append(add)
        return out


def _append(text: str, additions: list[str]) -> str:
    return " ".join([text, *additions]) if additions else text


@lru_cache(maxsize=1)
def _bundled() -> dict[str, tuple[str, ...]]:
    ref = resources.files("rag") / "data" / "abbreviations.tsv"
    try:
        content = ref.read_text(encoding="utf-8")
    except (FileNotFoundError, OSError):  # a broken install must not break question answering
        logger.warning("bundled abbreviation list %s not found; abbreviations are off", ref)
        return {}
    return {a: tuple(e) for a, e in parse_abbreviations(content.splitlines(), "abbreviations.tsv").items()}


def load_abbreviations(extra_path: Path | str | None = None) -> Abbreviations:
    """The bundled table, plus the user's TSV file at ``extra_path`` when given.

    A user entry for a known abbreviation adds expansions; it never removes bundled ones.
    A missing user file is an error (the user asked for it); malformed lines are skipped.
    """
    table = Abbreviations(_bundled())
    if extra_path is None:
        return table
    path = Path(extra_path)
    try:
        content = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise FileNotFoundError(f"abbreviation file not found: {path}") from None
    return table.merged(parse_abbreviations(content.splitlines(), str(path)))


@lru_cache(maxsize=1)
def default_abbreviations() -> Abbreviations:
    """The bundled table, compiled once per process."""
    return load_abbreviations()

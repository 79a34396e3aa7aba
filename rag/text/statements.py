"""Whether a stretch of text reads as language a report would write, before it may be quoted.

A planted file can hold no sentence at all: one line of hundreds of kilobytes, one phrase repeated
hundreds of times to win on word counts, or the reports' own words shuffled and stuffed with the
question's keywords. None is a statement anyone wrote for a reader, and none may become an answer.

Length and repetition are told by counting. Shuffled words are told by their order: in language,
a syllable is followed by the syllables that follow it in other Vietnamese text ("so với", "của
tỉnh", "tăng 5%"); in word salad by any syllable at all. :func:`word_order` is the log-likelihood
ratio of a text's adjacent syllable pairs under a bigram model against independent draws (a
salad is exactly that), per pair, from counts of public Vietnamese text
(``rag/data/syllable_bigrams.tsv``, built by ``eval/data_build/syllable_bigrams.py``). The counts
are small, so a syllable pair they never saw is only weak evidence: a short sentence says too
little to judge, and a text is judged with the passage it stands in (a planted file's passages
are salad through and through; a report's are not). The thresholds are set on text that is not
the reports (``eval/attacks/language_check.py``): the longest sentence of the sample reports is
633 characters, and no sentence or passage of 1,000 news articles or of the held-out QA
paragraphs falls below them.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from rag.text.normalize import fold_diacritics, fold_lookalikes, normalize_tone_marks
from rag.text.tokenize import tokenize

# A "sentence" longer than this is a run of text without sentence ends, not a statement.
MAX_STATEMENT_CHARS = 3000
# Over this many words, a sentence whose distinct words are fewer than this share repeats itself.
_REPEAT_MIN_WORDS = 24
_MIN_DISTINCT_SHARE = 0.3
# ... or one that says the same three words again and again (a list of keyword phrases, repeated)
_MAX_REPEATED_TRIGRAMS = 0.5
_WORD_RE = re.compile(r"[^\W_]+")

# Word order (see the module docstring): how many syllable pairs it takes to judge a short text and
# a passage-sized one (a long sentence is judged as a passage), and the mean log-likelihood ratio
# per pair below which it is salad, (short, passage-sized), for text with diacritics and without
# (folded counts merge syllables, so language scores lower there).
SENTENCE_MIN_PAIRS = 16
PASSAGE_MIN_PAIRS = 40
MAX_DISORDER = {"accented": (-1.5, -0.7), "folded": (-1.9, -1.2)}
# Dirichlet smoothing of P(next | syllable) toward P(next): a syllable seen fewer times than this
# in the counts says little about what may follow it.
_SMOOTHING = 20.0
NUMBER = "0"  # every number is one token: "tăng 5,2%" and "tăng 12%" are the same pair
_RUN_RE = re.compile(r"[^\W_]+(?:[.,/]\d+)*(?:[ \t\u00a0]+[^\W_]+(?:[.,/]\d+)*)*")  # words between punctuation
BIGRAMS_FILE = "syllable_bigrams.tsv"


def syllable_runs(text: str) -> list[list[str]]:
    """The lower-cased syllables of ``text`` in runs that punctuation and line ends do not break
    (a pair across a comma or a table cell says nothing of order); numbers are :data:`NUMBER`."""
    text = normalize_tone_marks(fold_lookalikes(text))
    return [[NUMBER if t[0].isdigit() else t for t in tokenize(m.group(0))] for m in _RUN_RE.finditer(text)]


@dataclass(frozen=True)
class BigramCounts:
    """Syllable and syllable-pair counts of public Vietnamese text."""

    unigrams: dict[str, int]
    bigrams: dict[tuple[str, str], int]

    @property
    def total(self) -> int:
        return sum(self.unigrams.values())

    def folded(self) -> BigramCounts:
        """The same counts without diacritics, for text typed without them."""
        uni: Counter[str] = Counter()
        bi: Counter[tuple[str, str]] = Counter()
        for w, c in self.unigrams.items():
            uni[fold_diacritics(w)] += c
        for (a, b), c in self.bigrams.items():
            bi[(fold_diacritics(a), fold_diacritics(b))] += c
        return BigramCounts(dict(uni), dict(bi))


class WordOrder:
    """Log-likelihood ratio of syllable pairs: bigram model against independent draws."""

    def __init__(self, counts: BigramCounts, smoothing: float = _SMOOTHING) -> None:
        self._bigrams = counts.bigrams
        self._counts = counts.unigrams
        total, types = counts.total, len(counts.unigrams)
        self._smoothing = smoothing
        self._unseen = 0.5 / (total + 0.5 * (types + 1))  # add-½: a syllable the counts lack
        self._p = {w: (c + 0.5) / (total + 0.5 * (types + 1)) for w, c in counts.unigrams.items()}

    def pair(self, a: str, b: str) -> float:
        """How much likelier ``b`` after ``a`` is than ``b`` anywhere (and ``a`` before ``b``), in nats;
        0 for syllables the counts lack, negative for frequent syllables never seen together."""
        pa, pb = self._p.get(a, self._unseen), self._p.get(b, self._unseen)
        ab, k = self._bigrams.get((a, b), 0), self._smoothing
        forward = math.log((ab + k * pb) / (self._counts.get(a, 0) + k)) - math.log(pb)
        backward = math.log((ab + k * pa) / (self._counts.get(b, 0) + k)) - math.log(pa)
        return (forward + backward) / 2

    def score(self, runs: list[list[str]]) -> tuple[float, int]:
        """The summed evidence of every adjacent pair in ``runs``, and how many pairs there are."""
        total, pairs = 0.0, 0
        for run in runs:
            for a, b in zip(run, run[1:]):
                total += self.pair(a, b)
                pairs += 1
        return total, pairs


@lru_cache(maxsize=1)
def _counts() -> BigramCounts:
    uni: dict[str, int] = {}
    bi: dict[tuple[str, str], int] = {}
    ref = resources.files("rag") / "data" / BIGRAMS_FILE
    for line in ref.read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        fields = line.split("\t")
        if len(fields) == 2:
            uni[fields[0]] = int(fields[1])
        else:
            bi[(fields[0], fields[1])] = int(fields[2])
    return BigramCounts(uni, bi)


@lru_cache(maxsize=2)
def _model(folded: bool) -> WordOrder:
    return WordOrder(_counts().folded() if folded else _counts())


def _typed_without_diacritics(text: str) -> bool:
    lower = fold_lookalikes(text).lower()
    return lower == fold_diacritics(lower)


def word_order(text: str) -> tuple[float, int]:
    """The mean evidence per syllable pair that ``text`` is ordered language (positive) or shuffled
    words (negative), and the number of pairs it rests on. Text typed without diacritics is
    judged against counts without them."""
    total, pairs = _model(_typed_without_diacritics(text)).score(syllable_runs(text))
    return (total / pairs if pairs else 0.0), pairs


@lru_cache(maxsize=4096)
def _disordered(text: str) -> bool:
    """Whether ``text`` is words in no order: judged as a passage once it has a passage's pairs.

    Cached: the sentences of the passages a question reads are read again by the next question."""
    folded = _typed_without_diacritics(text)
    total, pairs = _model(folded).score(syllable_runs(text))
    sentence_limit, passage_limit = MAX_DISORDER["folded" if folded else "accented"]
    mean = total / pairs if pairs else 0.0
    if pairs >= PASSAGE_MIN_PAIRS:
        return mean < passage_limit
    return pairs >= SENTENCE_MIN_PAIRS and mean < sentence_limit


def _repeats_itself(words: list[str]) -> bool:
    if len(words) < _REPEAT_MIN_WORDS:
        return False
    if len(set(words)) / len(words) < _MIN_DISTINCT_SHARE:
        return True
    trigrams = Counter(zip(words, words[1:], words[2:]))
    repeated = sum(n for n in trigrams.values() if n > 1)
    return repeated / (len(words) - 2) > _MAX_REPEATED_TRIGRAMS


def reads_as_language(sentence: str, passage: str | None = None) -> bool:
    """False for a run of text far longer than any sentence, one that repeats its few words or
    phrases, or words in no order a writer would put them: the sentence alone, or the passage it
    stands in (``passage``, which holds it) taken whole."""
    if len(sentence) > MAX_STATEMENT_CHARS:
        return False
    if _repeats_itself([w.lower() for w in _WORD_RE.findall(sentence)]):
        return False
    if _disordered(sentence):
        return False
    return passage is None or not _disordered(passage)

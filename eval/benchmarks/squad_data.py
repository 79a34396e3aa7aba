"""SQuAD v1.1 files as data: loading, the fixed train/test halves, paragraphs with their questions.

Why one module: the reader's weights are fitted on SQuAD-format data and measured on other
SQuAD-format data (issue 17); the training script and the benchmark commands must read, split and
name paragraphs identically, or a test paragraph could leak into training. Nothing here loads a
model or an index, so a training script imports it cheaply.

The split (:data:`SPLIT_RULE`), by article in file order: articles at even index (0, 2, ...) are
"train", those at odd index "test"; all paragraphs of an article fall on one side. XQuAD-vi (48
articles): train 24 articles, 120 paragraphs, 612 questions; test 24, 120, 578.

Names and ids, computed over the whole file so that they do not depend on the part asked for:

- paragraph ``doc``: ``<safe title>-<n>``, n the paragraph's index in its article (a benchmark
  ingests it as ``<doc>.txt``); when several articles of the file share a safe title (the UIT files
  title every article "Wikipedia" or ""), ``<safe title>-a<i>-<n>``, i the article's index in the file;
- question ``id``: the file's own; a repeated id gets "~2", "~3", ... in file order (train_wiki and
  train_reg each repeat one);
- answers: NFC, surrounding whitespace removed; ``start`` is the file's offset when the paragraph
  holds the text there, else the nearest offset where it does (8 answers of train_wiki are off by a
  few characters), ``None`` when the paragraph does not hold the text at all.

Example, the training corpus of issue 17 (the held-out halves are never in it)::

    from eval.benchmarks.squad_data import reader_training_sources, squad_corpus

    paragraphs = squad_corpus(reader_training_sources())     # UIT train_wiki + train_reg + XQuAD train
    for p in paragraphs:
        for q in p.questions:
            for a in q.located:                              # answers found in p.context
                evidence = p.context[a.start:a.end]
"""

from __future__ import annotations

import json
import unicodedata
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, NamedTuple, get_args

from eval.benchmarks.files import require, safe_name

Part = Literal["train", "test", "all"]
PARTS: tuple[Part, ...] = get_args(Part)
SPLIT_RULE = ("by article in file order: articles at even index (0, 2, ...) are 'train', at odd index "
              "'test'; 'all' is every article")

# The shared benchmark data, next to the repository (README: ../shared/bench).
BENCH_DIR = Path(__file__).resolve().parents[3] / "shared" / "bench"


def check_part(part: str) -> Part:
    """``part`` itself when it names a part; a ValueError otherwise (a typo must not mean "all")."""
    if part not in PARTS:
        raise ValueError(f"unknown split part {part!r}; expected one of {', '.join(PARTS)}")
    return part  # type: ignore[return-value]


def in_part(article_index: int, part: Part) -> bool:
    """Whether the article at ``article_index`` (in file order) belongs to ``part``."""
    check_part(part)
    return part == "all" or (article_index % 2 == 0) == (part == "train")


def load_squad(path: Path) -> dict[str, Any]:
    """Read a SQuAD v1.1 JSON file; InputMissing when absent, ValueError when it has no ``data`` list."""
    require(path)
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise ValueError(f"{path}: not a SQuAD v1.1 file (no top-level 'data' list)")
    return data


def squad_split(data: Mapping[str, Any], part: Part) -> dict[str, Any]:
    """A SQuAD dict holding only ``part``'s articles (the same objects, in file order).

    To keep the paragraph names of the whole file, give :func:`squad_paragraphs` the whole dict and
    ``part`` rather than this dict: names of articles with a shared title count the file's articles.
    """
    check_part(part)
    return {**data, "data": [a for i, a in enumerate(data["data"]) if in_part(i, part)]}


@dataclass(frozen=True)
class SquadAnswer:
    """A gold answer span: ``context[start:end] == text`` when ``start`` is not None."""

    text: str
    start: int | None

    @property
    def end(self) -> int | None:
        return None if self.start is None else self.start + len(self.text)


@dataclass(frozen=True)
class SquadQuestion:
    id: str
    question: str
    answers: tuple[SquadAnswer, ...]

    @property
    def located(self) -> tuple[SquadAnswer, ...]:
        """The answers whose span stands in the paragraph (what span-level training can use)."""
        return tuple(a for a in self.answers if a.start is not None)


@dataclass(frozen=True)
class SquadParagraph:
    """One paragraph (a benchmark document) with its questions.

    ``doc`` is unique within its file; ``doc_id`` (``<source>/<doc>``) within a combined corpus.
    ``article`` and ``paragraph`` are indices in the file, whatever the part.
    """

    source: str
    doc: str
    title: str
    article: int
    paragraph: int
    context: str
    questions: tuple[SquadQuestion, ...]

    @property
    def doc_id(self) -> str:
        return f"{self.source}/{self.doc}"


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFC", text)


def align_answer(context: str, text: str, start: int | None) -> SquadAnswer:
    """The answer with its text stripped and its offset checked against ``context`` (see module doc)."""
    raw = _nfc(text)
    stripped = raw.strip()
    if not stripped:
        return SquadAnswer(stripped, None)
    offset = None
    if isinstance(start, int) and start >= 0:
        offset = start + len(raw) - len(raw.lstrip())
        if context[offset:offset + len(stripped)] == stripped:
            return SquadAnswer(stripped, offset)
    hits, at = [], context.find(stripped)
    while at >= 0:
        hits.append(at)
        at = context.find(stripped, at + 1)
    if not hits:
        return SquadAnswer(stripped, None)
    ref = offset or 0
    return SquadAnswer(stripped, min(hits, key=lambda h: (abs(h - ref), h)))


def squad_paragraphs(data: Mapping[str, Any] | Path, part: Part = "all",
                     source: str = "squad") -> list[SquadParagraph]:
    """The paragraphs of ``part`` of a SQuAD file (a path or the loaded dict), in file order."""
    check_part(part)
    if not isinstance(data, Mapping):
        data = load_squad(data)
    articles = data["data"]
    bases = [safe_name(str(a.get("title", ""))) for a in articles]
    shared = {b for b, n in Counter(bases).items() if n > 1}
    seen_ids: Counter[str] = Counter()
    seen_docs: set[str] = set()
    out: list[SquadParagraph] = []
    for i, article in enumerate(articles):
        stem = f"{bases[i]}-a{i}" if bases[i] in shared else bases[i]
        for n, paragraph in enumerate(article["paragraphs"]):
            doc = f"{stem}-{n}"
            if doc in seen_docs:
                raise ValueError(f"two paragraphs of {source} are both named {doc}")
            seen_docs.add(doc)
            context = _nfc(paragraph["context"])
            questions = []
            for qa in paragraph["qas"]:
                qid = str(qa["id"])
                seen_ids[qid] += 1  # counted in every part, so that ids do not depend on the part
                if seen_ids[qid] > 1:
                    qid = f"{qid}~{seen_ids[qid]}"
                answers = (align_answer(context, a["text"], a.get("answer_start")) for a in qa["answers"])
                kept = tuple(a for a in answers if a.text)
                questions.append(SquadQuestion(qid, _nfc(qa["question"]), kept))
            if in_part(i, part):
                out.append(SquadParagraph(source, doc, str(article.get("title", "")), i, n, context,
                                          tuple(questions)))
    return out


class SquadSource(NamedTuple):
    """One input of :func:`squad_corpus`: a name for its ids, the file (or loaded dict), the part."""

    name: str
    data: Path | Mapping[str, Any]
    part: Part = "all"


def squad_corpus(sources: Iterable[SquadSource]) -> list[SquadParagraph]:
    """The paragraphs of several SQuAD sources, in order; ``doc_id`` is unique across them.

    A paragraph text given by two sources is an error: it would sit on both sides of a split.
    """
    out: list[SquadParagraph] = []
    names: set[str] = set()
    texts: dict[str, str] = {}
    for name, data, part in sources:
        if name in names or "/" in name:
            raise ValueError(f"source name {name!r} is repeated or holds '/'")
        names.add(name)
        for p in squad_paragraphs(data, part, source=name):
            key = " ".join(p.context.split())
            if key in texts and texts[key] != name:
                raise ValueError(f"{p.doc_id}: the same paragraph is in source {texts[key]}")
            texts[key] = name
            out.append(p)
    return out


def reader_training_sources(bench: Path = BENCH_DIR) -> list[SquadSource]:
    """Issue 17's training data: UIT train_wiki and train_reg, and XQuAD-vi's train half."""
    return [
        SquadSource("uit-train-wiki", bench / "uit-qa" / "train_wiki.json"),
        SquadSource("uit-train-reg", bench / "uit-qa" / "train_reg.json"),
        SquadSource("xquad-vi", bench / "xquad-vi" / "xquad.vi.json", "train"),
    ]


def reader_test_sources(bench: Path = BENCH_DIR) -> list[SquadSource]:
    """Issue 17's held-out data, reported and never fitted on: XQuAD-vi's test half, UIT test_wiki."""
    return [
        SquadSource("xquad-vi", bench / "xquad-vi" / "xquad.vi.json", "test"),
        SquadSource("uit-test-wiki", bench / "uit-qa" / "test_wiki.json"),
    ]

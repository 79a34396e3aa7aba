"""Benchmark corpora as a folder of files, and their queries with the documents that answer them.

A folder is mirrored into the work folder (the bench appends sentences to 1% of its files, and
must never touch the user's copy). The vietnews JSONL (``id``, ``title``, ``summary``, ``body`` a
line) becomes one ``vietnews/<id>.txt`` per article (title line, blank line, body), plus the
bundled sample reports under ``samples/``; each article's summary is a query whose answer is
its article. Files are written only when their bytes differ, so an unchanged corpus keeps its
mtimes and a re-run ingests nothing.
"""

from __future__ import annotations

import json
import logging
import os
import random
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from itertools import islice
from pathlib import Path
from typing import Any

logger = logging.getLogger(__name__)

SAMPLES_DIR = Path(__file__).resolve().parents[2] / "data" / "sample_reports"
ARTICLES_DIR = "vietnews"
SAMPLES_SUBDIR = "samples"


class CorpusError(ValueError):
    """The corpus or query file cannot be used as given; the message names it."""


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    summary: str
    body: str

    @property
    def doc_id(self) -> str:
        return f"{ARTICLES_DIR}/{self.id}.txt"

    @property
    def text(self) -> str:
        return f"{self.title.strip()}\n\n{self.body.strip()}\n"


@dataclass(frozen=True)
class BenchQuery:
    """A question, the documents that answer it (empty: unknown) and its conversation history."""

    id: str
    question: str
    docs: tuple[str, ...] = ()
    history: tuple[dict[str, str], ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "question": self.question,
            "docs": list(self.docs),
            "history": list(self.history),
        }

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> BenchQuery:
        docs = raw.get("docs") or ([raw["doc"]] if raw.get("doc") else [])
        return cls(
            str(raw.get("id", "")),
            str(raw["question"]),
            tuple(str(d) for d in docs),
            tuple(raw.get("history") or ()),
        )


@dataclass
class Corpus:
    """A materialised corpus: ``folder`` is what gets ingested; ``queries`` come with it (vietnews)."""

    name: str
    source: Path
    folder: Path
    doc_ids: list[str]
    queries: list[BenchQuery] = field(default_factory=list)
    written: int = 0  # files (re)written while materialising


def is_jsonl(path: Path) -> bool:
    return path.suffix.lower() == ".jsonl"


def iter_articles(path: Path) -> Iterator[Article]:
    with Path(path).open(encoding="utf-8") as fh:
        for lineno, line in enumerate(fh, 1):
            if not line.strip():
                continue
            try:
                raw = json.loads(line)
                yield Article(str(raw["id"]), str(raw["title"]), str(raw["summary"]), str(raw["body"]))
            except (KeyError, TypeError, json.JSONDecodeError) as exc:
                raise CorpusError(f"{path}:{lineno}: not an article line ({exc})") from exc


def _folder_files(folder: Path) -> list[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        found += [
            (Path(dirpath) / n).relative_to(folder).as_posix() for n in filenames if not n.startswith(".")
        ]
    return sorted(found)


def n_documents(docs: Path, limit: int | None) -> int:
    """How many documents (articles, or files) ``--docs`` and ``--limit`` give, without writing anything."""
    if is_jsonl(docs):
        with docs.open(encoding="utf-8") as fh:
            total = sum(1 for line in islice(fh, limit) if line.strip())
    else:
        total = len(_folder_files(docs))
    return min(total, limit) if limit is not None else total


def corpus_name(docs: Path, limit: int | None) -> str:
    """``vietnews-12k-1000``, ``sample_reports-5``: names the results and work folders."""
    stem = docs.stem if is_jsonl(docs) else docs.resolve().name
    return f"{stem}-{n_documents(docs, limit)}"


def sync_tree(files: dict[str, bytes], folder: Path) -> int:
    """Make ``folder`` hold exactly ``files`` (relative path → bytes); returns how many were written."""
    folder.mkdir(parents=True, exist_ok=True)
    written = 0
    for rel, data in files.items():
        path = folder / rel
        if path.is_file() and path.stat().st_size == len(data) and path.read_bytes() == data:
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        written += 1
    for rel in set(_folder_files(folder)) - set(files):
        (folder / rel).unlink()
    return written


def materialise(docs: Path, folder: Path, limit: int | None = None, with_samples: bool = True) -> Corpus:
    """Write the corpus of ``docs`` (a folder or the vietnews JSONL) into ``folder``.

    ``limit`` keeps the first N articles (or files, in path order); ``with_samples`` adds the
    bundled sample reports to a JSONL corpus.
    """
    docs = Path(docs)
    if not docs.exists():
        raise CorpusError(f"--docs: no such file or folder: {docs}")
    files: dict[str, bytes] = {}
    queries: list[BenchQuery] = []
    if is_jsonl(docs):
        for article in islice(iter_articles(docs), limit):
            files[article.doc_id] = article.text.encode("utf-8")
            queries.append(BenchQuery(article.id, article.summary, (article.doc_id,)))
        if with_samples:
            for rel in _folder_files(SAMPLES_DIR):
                files[f"{SAMPLES_SUBDIR}/{rel}"] = (SAMPLES_DIR / rel).read_bytes()
    elif docs.is_dir():
        for rel in _folder_files(docs)[:limit]:
            files[rel] = (docs / rel).read_bytes()
    else:
        raise CorpusError(f"--docs must be a folder or a .jsonl file of articles: {docs}")
    if not files:
        raise CorpusError(f"--docs: no documents in {docs}")
    written = sync_tree(files, folder)
    logger.info("corpus %s: %d files in %s (%d written)", docs, len(files), folder, written)
    return Corpus(corpus_name(docs, limit), docs, folder, sorted(files), queries, written)


# -- queries -----------------------------------------------------------------------------------
def gold_queries(path: Path) -> list[BenchQuery]:
    """Queries of a gold file (eval/gold.py format); an unanswerable one has no documents."""
    from eval.gold import GoldFormatError, load_gold

    if not Path(path).is_file():
        raise CorpusError(f"--gold: no such file: {path}")
    try:
        gold = load_gold(path)
    except GoldFormatError as exc:
        raise CorpusError(str(exc)) from exc
    return [
        BenchQuery(
            q.id,
            q.question,
            tuple(dict.fromkeys(e.doc for e in q.evidence)) if q.answerable else (),
            tuple(q.history),
        )
        for q in gold
    ]


def query_file(path: Path) -> list[BenchQuery]:
    """``--queries``: JSONL (``question``; optional ``id``, ``doc`` or ``docs``, ``history``), or one
    question a line in any other file."""
    if not Path(path).is_file():
        raise CorpusError(f"--queries: no such file: {path}")
    lines = [line for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    if not is_jsonl(Path(path)):
        return [BenchQuery(str(i), line.strip()) for i, line in enumerate(lines, 1)]
    queries = []
    for i, line in enumerate(lines, 1):
        try:
            raw = json.loads(line)
            queries.append(BenchQuery.from_json({"id": str(i), **raw}))
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise CorpusError(f"{path}:{i}: {exc}") from exc
    return queries


def resolve_docs(queries: Sequence[BenchQuery], doc_ids: Sequence[str]) -> list[BenchQuery]:
    """Point each query's documents at ids of this corpus (a sample report may sit under ``samples/``).

    Documents not in the corpus (cut by ``--limit``) are dropped, so the query counts for latency
    but not for hit@k.
    """
    present = set(doc_ids)
    out = []
    for q in queries:
        docs = [d if d in present else f"{SAMPLES_SUBDIR}/{d}" for d in q.docs]
        out.append(BenchQuery(q.id, q.question, tuple(d for d in docs if d in present), q.history))
    return out


def sample(queries: Sequence[BenchQuery], n: int | None, seed: int = 0) -> list[BenchQuery]:
    """At most ``n`` queries, drawn with a fixed seed and kept in corpus order (the same every run)."""
    if n is None or n >= len(queries):
        return list(queries)
    keep = set(random.Random(seed).sample(range(len(queries)), n))
    return [q for i, q in enumerate(queries) if i in keep]


def write_queries(path: Path, queries: Sequence[BenchQuery]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        "".join(json.dumps(q.to_json(), ensure_ascii=False) + "\n" for q in queries), encoding="utf-8"
    )


def read_queries(path: Path) -> list[BenchQuery]:
    return [
        BenchQuery.from_json(json.loads(line))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line
    ]

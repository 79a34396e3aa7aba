"""Shared parts of the public-benchmark commands: index, document ranking, SQuAD-style scores, output."""

from __future__ import annotations

import contextlib
import json
import re
import string
import sys
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from llama_index.core.schema import NodeWithScore

from eval.benchmarks.convert import InputMissing
from rag.config import Settings
from rag.records import chunk_ref
from rag.text.normalize import normalize_text

if TYPE_CHECKING:
    from rag.assistant import Assistant

MODES = ("bm25", "dense", "hybrid", "hybrid+rerank")
# Chunks asked of the retriever; passages (documents) are ranked by their first chunk among them.
CHUNKS_PER_QUERY = 50
RANKING = (f"documents in the order of their first chunk among the top {CHUNKS_PER_QUERY} retrieved chunks "
           "(assistant.retrieve(retrieval_mode=..., k=50)); a document is relevant when it is the gold passage")


@contextlib.contextmanager
def work_dirs(index: Path | None, work: Path | None, name: str) -> Iterator[tuple[Path, Path]]:
    """``(index_dir, work_dir)``: the given folders, or temporary ones removed afterwards.

    An index given again is reused: the converted documents are identical (by content hash),
    so only the questions run. The work folder (converted documents, gold file) may be temporary.
    """
    with contextlib.ExitStack() as stack:
        tmp: Path | None = None
        if index is None or work is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix=f"baocao-{name}-")))
        index = index or tmp / "index"  # type: ignore[operator]
        work = work or tmp / "data"  # type: ignore[operator]
        work.mkdir(parents=True, exist_ok=True)
        yield index, work


def ingest(docs: Path, index: Path, prune: bool = False) -> tuple[Settings, dict[str, Any]]:
    """Ingest ``docs`` into ``index`` (unchanged documents are skipped); settings and a summary.

    ``prune`` removes indexed documents whose file is gone (a benchmark that changed its part).
    """
    from rag.ingest.pipeline import Ingestor

    settings = Settings(index={"dir": index})
    start = time.perf_counter()
    report = Ingestor(settings).run([docs], prune=prune, progress=False)
    if not report.ok:
        raise RuntimeError(f"ingest failed for {len(report.failed)} file(s): {report.failed[:3]}")
    return settings, {
        "seconds": round(time.perf_counter() - start, 1), "indexed": len(report.indexed),
        "unchanged": len(report.unchanged), "removed": len(report.removed),
        "chunks_embedded": report.chunks_embedded, "chunks_from_cache": report.chunks_from_cache,
        "words_indexed": report.words,
    }


@dataclass
class OpenedCorpus:
    """A benchmark corpus ingested and opened: the assistant that answers over it, and its size."""

    assistant: Assistant
    settings: Settings
    ingest: dict[str, Any]
    docs: int
    chunks: int


def ingest_and_open(docs: Path, index: Path, prune: bool = False) -> OpenedCorpus:
    """:func:`ingest` ``docs`` into ``index``, then open the real assistant over it."""
    from rag.assistant import Assistant

    settings, info = ingest(docs, index, prune)
    assistant = Assistant.open(index, settings)
    store = assistant.store
    return OpenedCorpus(assistant, settings, info, docs=len(store.documents()), chunks=len(store.chunks()))


def settings_summary(settings: Settings, index: Path) -> dict[str, Any]:
    return {
        "index_dir": str(index),
        "embeddings": {"backend": settings.embeddings.backend, "model": settings.embeddings.model,
                       "cache_dir": str(settings.embeddings.cache_dir)},
        "chunking": settings.chunking.model_dump(),
        "retrieval": settings.retrieval.model_dump(),
        "rerank": {"enabled": settings.rerank.enabled, "top_n": settings.rerank.top_n,
                   "cross_encoder": settings.rerank.cross_encoder},
        "answer": {"mode": settings.answer.mode, "top_passages": settings.answer.top_passages},
        "chunks_per_query": CHUNKS_PER_QUERY,
        "ranking": RANKING,
    }


def doc_ranking(nodes: Sequence[NodeWithScore]) -> list[str]:
    """Document ids in the order of their first retrieved chunk."""
    seen: dict[str, None] = {}
    for n in nodes:
        seen.setdefault(chunk_ref(n.node).doc_id, None)
    return list(seen)


def reciprocal_rank(ranking: Sequence[str], relevant: set[str], k: int = 10) -> float:
    for i, doc in enumerate(ranking[:k], 1):
        if doc in relevant:
            return 1.0 / i
    return 0.0


def recall_at(ranking: Sequence[str], relevant: set[str], k: int) -> float:
    return len(relevant & set(ranking[:k])) / len(relevant) if relevant else 0.0


# -- SQuAD-style answer scores, adapted to Vietnamese ------------------------------------------
_PUNCT = set(string.punctuation) | {"“", "”", "‘", "’", "«", "»", "–", "—", "…", "·"}
NORMALISATION = ("NFC and one tone-mark style (rag.text.normalize), lower-case, every Unicode punctuation "
                 "character removed, whitespace collapsed; no article removal (Vietnamese has none)")


def squad_normalize(text: str) -> str:
    text = normalize_text(unicodedata.normalize("NFC", text)).lower()
    text = "".join(" " if ch in _PUNCT or unicodedata.category(ch).startswith("P") else ch for ch in text)
    return re.sub(r"\s+", " ", text).strip()


def exact_match(prediction: str, gold: str) -> float:
    return float(squad_normalize(prediction) == squad_normalize(gold))


def f1(prediction: str, gold: str) -> float:
    pred, ref = squad_normalize(prediction).split(), squad_normalize(gold).split()
    if not pred or not ref:
        return float(pred == ref)
    pool: dict[str, int] = {}
    for tok in ref:
        pool[tok] = pool.get(tok, 0) + 1
    common = 0
    for tok in pred:
        if pool.get(tok, 0) > 0:
            pool[tok] -= 1
            common += 1
    if not common:
        return 0.0
    precision, recall = common / len(pred), common / len(ref)
    return 2 * precision * recall / (precision + recall)


def contains(prediction: str, gold: str) -> float:
    """Whether the normalised gold span stands in the normalised prediction, on word boundaries."""
    g = squad_normalize(gold)
    return float(bool(g) and f" {g} " in f" {squad_normalize(prediction)} ")


def mean(values: Sequence[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 4) if vals else None


# -- output -----------------------------------------------------------------------------------
def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    def cell(v: Any) -> str:
        if v is None:
            return "–"
        return f"{v:.3f}" if isinstance(v, float) else str(v)

    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join(" --- " for _ in headers) + "|"]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)


def write_json(path: Path | None, result: dict[str, Any]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")


def write_rows(path: Path | None, rows: Sequence[dict[str, Any]]) -> None:
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def run_and_report(
    name: str, args: Any, run: Callable[[Path, Path, list[dict[str, Any]]], dict[str, Any]],
    table: Callable[[dict[str, Any]], str],
) -> int:
    """The shared tail of a benchmark command: run in its folders, write JSON and rows, print a table.

    Returns the exit code: 0, or 2 with a message naming the missing input.
    """
    rows: list[dict[str, Any]] = []
    try:
        with work_dirs(args.index, args.work, name) as (index, work):
            result = run(index, work, rows)
    except InputMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    write_json(args.out, result)
    write_rows(args.rows, rows)
    print(table(result))
    return 0

"""Ingest timed against LlamaIndex's stock pipeline shard by shard, in one process, with one embedder.

The first ingests of the two pipelines run minutes apart in separate processes, and on a shared
machine the speed moves by up to 20 % in that time (docs/performance.md, round 5), so their ratio
cannot resolve a few per cent. Here the corpus is cut into contiguous shards; each shard is
ingested by ours into a new index and by LlamaIndex's stock pipeline into a new Chroma
collection, one right after the other, the order alternating from shard to shard, both calling the
same loaded embedder. Drift then hits both sides of each pair alike. The bench judges "ingest at
least as fast as LlamaIndex" on the summed times of these pairs (``ratio``); ``shard_ratios``
shows how much single pairs still vary.

Each side pays its own fixed costs once per shard (ours: the index files, the parsing worker, the
BM25 save; LlamaIndex's: reading the folder, the Chroma collection), so shards are kept large: a
handful per corpus, not one per file.
"""

from __future__ import annotations

import gc
import shutil
import statistics
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from eval.bench.measure import loaded_embedder
from eval.bench.workspace import Workspace, prepare_cache
from eval.benchmarks.common import CHUNKS_PER_QUERY
from rag.config import Settings

PAIRED_DIR = "paired"


def split_shards(doc_ids: list[str], shards: int) -> list[list[str]]:
    """``doc_ids`` in at most ``shards`` contiguous parts whose sizes differ by one at most."""
    n = min(shards, len(doc_ids))
    if n < 1:
        return []
    return [doc_ids[i * len(doc_ids) // n : (i + 1) * len(doc_ids) // n] for i in range(n)]


def prepare_shards(ws: Workspace, shards: int) -> dict[str, Any]:
    """Copy each shard's files into its own folder and empty a cache for the phase; the phase's spec."""
    root = ws.work / PAIRED_DIR
    if root.exists():
        shutil.rmtree(root)
    folders = []
    for k, ids in enumerate(split_shards(ws.corpus.doc_ids, shards)):
        folder = root / "shards" / f"{k:02d}"
        for doc_id in ids:
            target = folder / doc_id
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ws.corpus.folder / doc_id, target)
        folders.append(str(folder))
    cache = root / "embed-cache"
    prepare_cache(cache, ws.cache, empty=True)  # links the built model folders of the bench's cache
    settings = ws.settings.model_copy(deep=True)
    settings.embeddings.cache_dir = cache
    return {"settings": settings.model_dump(mode="json"), "root": str(root), "shards": folders}


@contextmanager
def _without_cache(embedder: Any) -> Iterator[None]:
    """LlamaIndex's stock pipeline has no embedding cache: hide ours while it runs on the shared model.

    The bench reaches into the embedder's private cache slot because the alternative, a second
    embedder object, would load a second copy of the model.
    """
    saved = embedder._cache
    embedder._cache = None
    try:
        yield
    finally:
        embedder._cache = saved


def measure_paired(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker phase ``ingest-paired``: both pipelines over every shard, alternating which goes first."""
    from eval.baseline import LlamaIndexBaseline
    from rag.ingest.pipeline import Ingestor

    settings = Settings(**spec["settings"])
    root = Path(spec["root"])
    embedder, _ = loaded_embedder(settings.embeddings)

    def ours(folder: Path, k: int) -> dict[str, Any]:
        report = Ingestor(settings, index_dir=root / f"ours-{k:02d}", embedder=embedder).run(
            [folder], progress=False
        )
        return {
            "files": len(report.indexed),
            "failed": len(report.failed),
            "chunks": report.chunks,
            "words": report.words,
            "chunks_embedded": report.chunks_embedded,
        }

    def theirs(folder: Path, k: int) -> dict[str, Any]:
        with _without_cache(embedder):
            baseline = LlamaIndexBaseline(
                folder, root / f"llamaindex-{k:02d}", embedder, top_k=CHUNKS_PER_QUERY
            )
        return {
            "files": len(baseline.texts),
            "chunks": baseline.collection.count(),
            "words": sum(len(t.split()) for t in baseline.texts.values()),
        }

    pairs = []
    for k, name in enumerate(spec["shards"]):
        folder = Path(name)
        sides = [("ours", ours), ("llamaindex", theirs)]
        if k % 2:
            sides.reverse()
        pair: dict[str, Any] = {"first": sides[0][0]}
        for side, ingest in sides:
            gc.collect()  # the previous side's garbage is not collected on this side's clock
            start = time.perf_counter()
            figures = ingest(folder, k)
            pair[side] = {"seconds": round(time.perf_counter() - start, 3), **figures}
        pairs.append(pair)
    return {"pairs": pairs}


def paired_section(result: dict[str, Any]) -> dict[str, Any]:
    """``ingest.paired_with_llamaindex`` of bench.json: totals, ours ÷ theirs in words/s, per-shard spread."""
    pairs = result["pairs"]

    def total(side: str, key: str) -> float:
        return sum(p[side][key] for p in pairs)

    def speed_ratio(ours_words: float, ours_s: float, their_words: float, their_s: float) -> float | None:
        if not (ours_s and their_s and their_words):
            return None
        return (ours_words / ours_s) / (their_words / their_s)

    def pair_ratio(pair: dict[str, Any]) -> float | None:
        ours, theirs = pair["ours"], pair["llamaindex"]
        return speed_ratio(ours["words"], ours["seconds"], theirs["words"], theirs["seconds"])

    shard_ratios = [pair_ratio(p) for p in pairs]
    known = [r for r in shard_ratios if r is not None]
    ratio = speed_ratio(
        total("ours", "words"),
        total("ours", "seconds"),
        total("llamaindex", "words"),
        total("llamaindex", "seconds"),
    )
    return {
        "shards": len(pairs),
        "files": int(total("ours", "files")),
        "seconds": round(total("ours", "seconds"), 3),
        "llamaindex_seconds": round(total("llamaindex", "seconds"), 3),
        "words": int(total("ours", "words")),
        "llamaindex_words": int(total("llamaindex", "words")),
        "chunks": int(total("ours", "chunks")),
        "llamaindex_chunks": int(total("llamaindex", "chunks")),
        # ours ÷ LlamaIndex's words/s over all pairs (> 1: ours faster); unrounded, the target reads it
        "ratio": ratio,
        "shard_ratios": [round(r, 3) if r is not None else None for r in shard_ratios],
        "median_shard_ratio": round(statistics.median(known), 3) if known else None,
        "pairs": pairs,
        "load_average_1m": result["load_average_1m"],
        "peak_rss_mb": result["process_peak_rss_mb"],
    }

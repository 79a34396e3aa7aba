"""`baocao bench ingest`: how fast documents become an index, against the bare embedder and LlamaIndex.

In one worker process: load the model (untimed, as a server would), ingest the corpus into an
empty index with an empty embedding cache, then embed exactly the chunk texts that ingest
embedded with the bare embedder (same settings, no cache), re-ingest the unchanged corpus (every
file must be skipped), append a sentence to ceil(1%) of the files and ingest again (only those
are re-read; only their changed chunks are embedded), and put the files back. Pipeline and raw
rates both divide the corpus's document words, so their ratio is the pipeline's time overhead.
LlamaIndex's stock pipeline builds its index over the same files in a second process. A third
times both pipelines shard by shard, side by side (``eval/bench/paired_ingest.py``): separate
processes minutes apart see different machine speeds.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path
from typing import Any

from eval.bench.measure import describe_embedder, disk_usage_mb, loaded_embedder, peak_rss_mb
from eval.bench.paired_ingest import paired_section, prepare_shards
from eval.bench.worker import spawn
from eval.bench.workspace import BenchOptions, Workspace, fingerprint, prepare
from eval.benchmarks.common import CHUNKS_PER_QUERY
from rag.config import Settings

# Appended to the changed files. ASCII, so it reads the same in UTF-8, Windows-1258, TCVN3 and VNI.
CHANGE = "\n\nGhi chu: so lieu trong bao cao nay da duoc ra soat lai.\n"
_EDITABLE = (".txt", ".md")
FINGERPRINT_FILE = "FINGERPRINT"


def pick_changed(folder: Path, doc_ids: list[str], fraction: float) -> list[str]:
    """ceil(``fraction`` × files) plain-text files, spread evenly over the corpus (UTF-16 left alone)."""
    editable = [
        d
        for d in doc_ids
        if Path(d).suffix.lower() in _EDITABLE
        and (folder / d).read_bytes()[:2] not in (b"\xff\xfe", b"\xfe\xff")
    ]
    n = min(len(editable), math.ceil(fraction * len(doc_ids))) if fraction > 0 else 0
    return [editable[i * len(editable) // n] for i in range(n)]


def _embedded_texts(settings: Settings) -> list[str]:
    from rag.chunk.chunker import embedding_text
    from rag.index.store import IndexStore, chunk_node

    store = IndexStore(settings.index.dir, settings)
    try:
        return [embedding_text(chunk_node(c)) for c in store.chunks().values()]
    finally:
        store.close()


def _summary(report: Any) -> dict[str, Any]:
    return {
        "seconds": round(report.seconds, 3),
        "indexed": len(report.indexed),
        "unchanged": len(report.unchanged),
        "failed": len(report.failed),
        "chunks_embedded": report.chunks_embedded,
        "chunks_from_cache": report.chunks_from_cache,
    }


def measure_pipeline(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker phase ``ingest``: first ingest, raw embedder, unchanged re-ingest, 1% changed re-ingest."""
    from rag.ingest.pipeline import Ingestor

    settings = Settings(**spec["settings"])
    folder = Path(spec["folder"])
    embedder, load_s = loaded_embedder(settings.embeddings)
    ingestor = Ingestor(settings, embedder=embedder)
    first = ingestor.run([folder], progress=False)
    first_rss = peak_rss_mb()
    texts = _embedded_texts(settings)

    raw, _ = loaded_embedder(settings.embeddings.model_copy(update={"cache": False}))
    start = time.perf_counter()
    raw.embed_passages(texts)
    raw_s = time.perf_counter() - start

    index_mb = disk_usage_mb(settings.index.dir)
    again = ingestor.run([folder], progress=False)
    changed = pick_changed(folder, spec["doc_ids"], spec["changed_fraction"])
    originals = {d: (folder / d).read_bytes() for d in changed}
    try:
        for d in changed:
            with (folder / d).open("ab") as fh:
                fh.write(CHANGE.encode("ascii"))
        after = ingestor.run([folder], progress=False)
    finally:
        for d, data in originals.items():
            (folder / d).write_bytes(data)
    ingestor.run([folder], progress=False)  # the index matches the files again (vectors from the cache)
    return {
        "embedder": describe_embedder(embedder),
        "model_load_s": round(load_s, 3),
        "first": {
            **_summary(first),
            "chunks": first.chunks,
            "words": first.words,
            "stage_seconds": {k: round(v, 3) for k, v in first.stage_seconds.items()},
            "failures": [f"{p.file}: {p.reason}" for p in first.failed[:20]],
        },
        "peak_rss_mb": first_rss,  # the first ingest's; the worker adds the whole process's
        "index_mb": index_mb,
        "raw": {"seconds": round(raw_s, 3), "texts": len(texts), "words": sum(len(t.split()) for t in texts)},
        "unchanged": _summary(again),
        "changed": {**_summary(after), "files_changed": len(changed), "changed_ids": changed[:20]},
    }


def measure_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker phase ``baseline-ingest``: LlamaIndex's stock pipeline builds its index over the same files."""
    from eval.baseline import LlamaIndexBaseline

    settings = Settings(**spec["settings"])
    embedder, _ = loaded_embedder(settings.embeddings.model_copy(update={"cache": spec["baseline_cache"]}))
    start = time.perf_counter()
    baseline = LlamaIndexBaseline(
        Path(spec["folder"]), Path(spec["baseline_dir"]), embedder, top_k=CHUNKS_PER_QUERY
    )
    seconds = time.perf_counter() - start
    words = sum(len(t.split()) for t in baseline.texts.values())
    return {
        "seconds": round(seconds, 3),
        "build_seconds": round(baseline.build_seconds, 3),
        "docs": len(baseline.texts),
        "words": words,
        "chunks": baseline.collection.count(),
        "index_mb": disk_usage_mb(Path(spec["baseline_dir"])),
    }


def phase_spec(ws: Workspace, opts: BenchOptions) -> dict[str, Any]:
    """What every worker phase needs to know."""
    return {
        "settings": ws.settings.model_dump(mode="json"),
        "folder": str(ws.corpus.folder),
        "doc_ids": ws.corpus.doc_ids,
        "changed_fraction": opts.changed_fraction,
        "baseline_dir": str(ws.work / "baseline"),
        "baseline_cache": ws.cache_mode == "reused",
    }


def _baseline_key(ws: Workspace) -> str:
    """The corpus's bytes and the embedding settings LlamaIndex's vectors were made with."""
    model = ws.settings.embeddings.model_dump(mode="json", include={"backend", "model", "precision"})
    return f"{fingerprint(ws.corpus.folder)} {json.dumps(model, sort_keys=True)}"


def build_baseline(ws: Workspace, opts: BenchOptions) -> dict[str, Any]:
    """Build LlamaIndex's index in a worker; remember which corpus and model it was built from."""
    key = _baseline_key(ws)
    stamp = ws.work / "baseline" / FINGERPRINT_FILE
    stamp.unlink(missing_ok=True)
    result = spawn("baseline-ingest", phase_spec(ws, opts), ws.work)
    stamp.write_text(key, encoding="utf-8")
    return result


def baseline_is_current(ws: Workspace) -> bool:
    stamp = ws.work / "baseline" / FINGERPRINT_FILE
    return stamp.is_file() and stamp.read_text(encoding="utf-8") == _baseline_key(ws)


def ingest_section(ours: dict[str, Any], cache_mode: str) -> dict[str, Any]:
    """The ``ingest`` object of bench.json from the worker's raw figures."""
    first, raw, unchanged, changed = ours["first"], ours["raw"], ours["unchanged"], ours["changed"]
    words, seconds = first["words"], first["seconds"]
    section = {
        "files": first["indexed"],
        "failed": first["failed"],
        "words": words,
        "chunks": first["chunks"],
        "first_ingest_s": seconds,
        "words_per_s": round(words / seconds, 1) if seconds else None,
        "chunks_per_s": round(first["chunks"] / seconds, 2) if seconds else None,
        "stage_seconds": first["stage_seconds"],
        "chunks_embedded": first["chunks_embedded"],
        "chunks_from_cache": first["chunks_from_cache"],
        "raw_embed_s": raw["seconds"],
        "raw_embed_words_per_s": round(words / raw["seconds"], 1) if raw["seconds"] else None,
        "raw_embed_chunk_words_per_s": round(raw["words"] / raw["seconds"], 1) if raw["seconds"] else None,
        "pipeline_vs_raw": round(raw["seconds"] / seconds, 3) if seconds else None,
        "peak_rss_mb": ours["peak_rss_mb"],
        "worker_peak_rss_mb": ours["process_peak_rss_mb"],
        "index_mb": ours["index_mb"],
        "model_load_s": ours["model_load_s"],
        "reingest_unchanged_s": unchanged["seconds"],
        "reingest_skipped": unchanged["unchanged"],
        "reingest_indexed": unchanged["indexed"],
        "reingest_chunks_embedded": unchanged["chunks_embedded"],
        "reingest_speedup": round(seconds / unchanged["seconds"], 1) if unchanged["seconds"] else None,
        "changed": changed,
        "embedding_cache": cache_mode,
        "words_per_s_is_speed": cache_mode == "fresh",
        "failures": first["failures"],
        "load_average_1m": ours["load_average_1m"],
    }
    if cache_mode != "fresh":
        section["note"] = (
            "the first ingest read vectors from a reused embedding cache: words_per_s is not an "
            "ingest speed, only the time to index cached vectors"
        )
    return section


def run(opts: BenchOptions) -> tuple[dict[str, Any], Workspace]:
    """The whole ingest bench; returns the bench.json update and the workspace it ran in."""
    ws = prepare(opts, fresh_index=True, fresh_cache=True)
    ours = spawn("ingest", phase_spec(ws, opts), ws.work)
    update: dict[str, Any] = {
        "corpus": {
            "docs": ours["first"]["indexed"],
            "chunks": ours["first"]["chunks"],
            "words": ours["first"]["words"],
        },
        "embedder": ours["embedder"],
        "ingest": ingest_section(ours, ws.cache_mode),
    }
    if opts.baseline:
        theirs = build_baseline(ws, opts)
        update["llamaindex_baseline"] = {
            "ingest_s": theirs["seconds"],
            "ingest_words": theirs["words"],
            "ingest_chunks": theirs["chunks"],
            "ingest_words_per_s": round(theirs["words"] / theirs["seconds"], 1)
            if theirs["seconds"]
            else None,
            "ingest_peak_rss_mb": theirs["peak_rss_mb"],
            "index_mb": theirs["index_mb"],
            "embedding_cache": "reused" if ws.cache_mode == "reused" else "off",
            "ingest_load_average_1m": theirs["load_average_1m"],
        }
        if opts.paired_shards and ws.cache_mode == "fresh":
            paired = spawn("ingest-paired", prepare_shards(ws, opts.paired_shards), ws.work)
            update["ingest"]["paired_with_llamaindex"] = paired_section(paired)
    return update, ws

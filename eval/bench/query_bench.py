"""`baocao bench query`: latency by stage, throughput, serving memory and hit@k, against LlamaIndex.

The corpus is ingested first (unchanged files skipped), then a fresh process serves it: open the
assistant, answer the warm-up queries (untimed), then per timed query (1) retrieval only,
``Searcher.retrieve`` hybrid top 50 chunks, and (2) the full extractive answer, ``Assistant.ask``;
each split into stages with ``rag.timing``. Query embeddings are never read from the cache.
Throughput: every timed query answered by N threads sharing the one assistant (one process).
hit@k: the query's document among the first k distinct documents of the retrieved chunks.
LlamaIndex's stock retriever (same embedding model, top 50 chunks) is timed the same way in its
own process, over the index it built from the same files.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from eval.bench.corpus import (
    BenchQuery,
    CorpusError,
    gold_queries,
    query_file,
    read_queries,
    resolve_docs,
    sample,
)
from eval.bench.corpus import write_queries as _write_queries
from eval.bench.ingest_bench import baseline_is_current, build_baseline, phase_spec
from eval.bench.measure import (
    describe_embedder,
    doc_hits,
    latency_summary,
    mean_of,
    peak_rss_mb,
    queries_per_second,
    stage_summaries,
)
from eval.bench.worker import spawn
from eval.bench.workspace import BenchOptions, Workspace, prepare
from eval.benchmarks.common import CHUNKS_PER_QUERY, doc_ranking
from rag.config import Settings

logger = logging.getLogger(__name__)

RETRIEVAL_STAGES = ("normalise", "embed_query", "dense_search", "bm25", "fuse")
# "understand" is the question analysis (normalisation, abbreviations, period, province, answer type)
ANSWER_STAGES = ("understand", *RETRIEVAL_STAGES, "rerank", "answer")
RANKING = (
    f"documents in the order of their first chunk among the top {CHUNKS_PER_QUERY} retrieved chunks "
    "(ours: Searcher.retrieve hybrid; LlamaIndex: its retriever with similarity_top_k=50)"
)
CONCURRENCY = "N threads in one process sharing one opened Assistant (or one LlamaIndex retriever)"


def _overrun(rows: Sequence[dict[str, float]], stages: Sequence[str]) -> float:
    """Largest amount (ms) by which a call's stages add up to more than its total; <= 0 when consistent."""
    return round(max((sum(r.get(s, 0.0) for s in stages) - r["total"] for r in rows), default=0.0), 3)


def _write_rows(path: str | None, rows: list[dict[str, Any]]) -> None:
    if path:
        Path(path).write_text(
            "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8"
        )


def measure_serving(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker phase ``serve``: our assistant, from opening the index to throughput under N clients."""
    from rag.assistant import Assistant
    from rag.timing import recording

    settings = Settings(**spec["settings"])
    settings.embeddings.cache = False  # a served question is new: its embedding is computed
    queries, warmup = read_queries(Path(spec["queries"])), read_queries(Path(spec["warmup"]))
    start = time.perf_counter()
    assistant = Assistant.open(settings.index.dir, settings)
    searcher = assistant.searcher
    for q in warmup:
        searcher.retrieve(q.question, CHUNKS_PER_QUERY, "hybrid")
        assistant.ask(q.question)
    ready_s, ready_rss = time.perf_counter() - start, peak_rss_mb()

    retrieval: list[dict[str, Any]] = []
    for q in queries:
        with recording() as stages:
            t = time.perf_counter()
            nodes = searcher.retrieve(q.question, CHUNKS_PER_QUERY, "hybrid")
            total = (time.perf_counter() - t) * 1000
        row: dict[str, Any] = {"id": q.id, "total": total, **stages.ms}
        retrieval.append({**row, **(doc_hits(doc_ranking(nodes), q.docs) if q.docs else {})})
    answers: list[dict[str, Any]] = []
    for q in queries:
        t = time.perf_counter()
        answer = assistant.ask(q.question, history=list(q.history))
        row = {
            "id": q.id,
            "total": (time.perf_counter() - t) * 1000,
            "found": float(answer.found),
            **{s: answer.timings_ms.get(s, 0.0) for s in ANSWER_STAGES},
        }
        if q.docs:
            row["cites_doc@1"] = float(bool(answer.citations) and answer.citations[0].doc in q.docs)
        answers.append(row)
    questions = [q.question for q in queries]
    qps = {
        "retrieval": {
            str(c): queries_per_second(
                lambda s: searcher.retrieve(s, CHUNKS_PER_QUERY, "hybrid"), questions, c
            )
            for c in spec["clients"]
        },
        "answer": {str(c): queries_per_second(assistant.ask, questions, c) for c in spec["clients"]},
    }
    _write_rows(
        spec.get("rows"),
        [{"kind": "retrieval", **r} for r in retrieval] + [{"kind": "answer", **r} for r in answers],
    )
    serving_rss = peak_rss_mb()  # before LlamaIndex's index is opened here for the paired pass
    paired = _paired_with_baseline(searcher, queries, warmup, spec) if spec.get("paired") else None
    return {
        "peak_rss_mb": serving_rss,
        "paired_with_llamaindex": paired,
        "embedder": describe_embedder(searcher.embedder),
        "queries": len(queries),
        "warmup": len(warmup),
        "queries_with_known_doc": sum(1 for q in queries if q.docs),
        "retrieval_ms": latency_summary([r["total"] for r in retrieval]),
        "retrieval_stages_ms": stage_summaries(retrieval, RETRIEVAL_STAGES),
        "retrieval_stage_overrun_ms": _overrun(retrieval, RETRIEVAL_STAGES),
        "hit@1": mean_of(retrieval, "hit@1"),
        "hit@10": mean_of(retrieval, "hit@10"),
        "answer_ms": latency_summary([r["total"] for r in answers]),
        "answer_stages_ms": stage_summaries(answers, ANSWER_STAGES),
        "answer_stage_overrun_ms": _overrun(answers, ANSWER_STAGES),
        "answer_found": mean_of(answers, "found"),
        "answer_cites_doc@1": mean_of(answers, "cites_doc@1"),
        "qps": qps,
        "concurrency": CONCURRENCY,
        "open_and_warmup_s": round(ready_s, 3),
        "ready_rss_mb": ready_rss,
        "query_embedding_cache": "off",
    }


def _paired_with_baseline(
    searcher: Any, queries: list[BenchQuery], warmup: list[BenchQuery], spec: dict[str, Any]
) -> dict[str, Any]:
    """Our retrieval and LlamaIndex's, query by query in alternating order, with one embedder object.

    Separate processes run minutes apart, and on a shared machine the load changes meanwhile;
    timed side by side, both meet the same load, so their ratio holds.
    """
    from eval.baseline import LlamaIndexBaseline

    folder, baseline_dir = Path(spec["folder"]), Path(spec["baseline_dir"])
    baseline = LlamaIndexBaseline(folder, baseline_dir, searcher.embedder, top_k=CHUNKS_PER_QUERY, reuse=True)
    for q in warmup:
        baseline.retrieve(q.question)
    sides: dict[str, tuple[Any, list[float]]] = {
        "ours": (lambda text: searcher.retrieve(text, CHUNKS_PER_QUERY, "hybrid"), []),
        "llamaindex": (baseline.retrieve, []),
    }
    for i, q in enumerate(queries):
        for name in ("ours", "llamaindex") if i % 2 == 0 else ("llamaindex", "ours"):
            call, times = sides[name]
            t = time.perf_counter()
            call(q.question)
            times.append((time.perf_counter() - t) * 1000)
    ours, theirs = latency_summary(sides["ours"][1]), latency_summary(sides["llamaindex"][1])
    return {
        "method": "each query retrieved by both, alternating which goes first, in one process, same embedder",
        "retrieval_ms": ours,
        "llamaindex_retrieval_ms": theirs,
        "p50_ratio": round(ours["p50"] / theirs["p50"], 3) if ours["p50"] and theirs["p50"] else None,
    }


def measure_baseline(spec: dict[str, Any]) -> dict[str, Any]:
    """Worker phase ``baseline-query``: LlamaIndex's retriever over the index it built, timed like ours."""
    from embeddings import get_embedder
    from eval.baseline import LlamaIndexBaseline

    settings = Settings(**spec["settings"])
    embedder = get_embedder(settings.embeddings.model_copy(update={"cache": False}))
    queries, warmup = read_queries(Path(spec["queries"])), read_queries(Path(spec["warmup"]))
    start = time.perf_counter()
    baseline = LlamaIndexBaseline(
        Path(spec["folder"]), Path(spec["baseline_dir"]), embedder, top_k=CHUNKS_PER_QUERY, reuse=True
    )
    for q in warmup:
        baseline.retrieve(q.question)
    ready_s, ready_rss = time.perf_counter() - start, peak_rss_mb()
    rows = []
    for q in queries:
        t = time.perf_counter()
        hits = baseline.retrieve(q.question)
        row: dict[str, Any] = {"total": (time.perf_counter() - t) * 1000}
        ranking = list(dict.fromkeys(h.doc for h in hits))
        rows.append({**row, **(doc_hits(ranking, q.docs) if q.docs else {})})
    questions = [q.question for q in queries]
    return {
        "rebuilt": baseline.build_seconds > 0,
        "retrieval_ms": latency_summary([r["total"] for r in rows]),
        "hit@1": mean_of(rows, "hit@1"),
        "hit@10": mean_of(rows, "hit@10"),
        "qps": {
            "retrieval": {
                str(c): queries_per_second(baseline.retrieve, questions, c) for c in spec["clients"]
            }
        },
        "open_and_warmup_s": round(ready_s, 3),
        "ready_rss_mb": ready_rss,
    }


def choose_queries(opts: BenchOptions, ws: Workspace) -> tuple[list[BenchQuery], list[BenchQuery], str]:
    """The timed queries, the warm-up queries (others where there are enough) and where they came from."""
    if opts.gold is not None:
        pool, source = gold_queries(opts.gold), f"gold {opts.gold}"
    elif opts.queries is not None:
        pool, source = query_file(opts.queries), f"queries {opts.queries}"
    elif ws.corpus.queries:
        pool, source = ws.corpus.queries, "each article's summary; its answer is the article"
    else:
        raise CorpusError("a folder corpus needs --gold FILE or --queries FILE")
    pool = resolve_docs(pool, ws.corpus.doc_ids)
    timed = sample(pool, opts.max_queries, opts.seed)
    chosen = {id(q) for q in timed}
    rest = [q for q in pool if id(q) not in chosen]
    warmup = (rest or timed)[: opts.warmup]
    if not timed:
        raise CorpusError(f"no queries in {source}")
    return timed, warmup, source


def _prepare_index(ws: Workspace) -> dict[str, Any]:
    """Ingest the corpus (skips what the index already holds) and count what it holds."""
    from rag.index.store import IndexStore
    from rag.ingest.pipeline import Ingestor

    report = Ingestor(ws.settings).run([ws.corpus.folder], progress=False)
    for problem in report.failed:
        logger.warning("not indexed: %s: %s", problem.file, problem.reason)
    store = IndexStore(ws.index, ws.settings)
    try:
        docs = store.documents()
        words = sum(len((store.document_text(d.doc_id) or "").split()) for d in docs)
        return {
            "docs": len(docs),
            "chunks": len(store.chunks()),
            "words": words,
            "ingest_s": round(report.seconds, 3),
            "newly_indexed": len(report.indexed),
        }
    finally:
        store.close()


def run(opts: BenchOptions) -> tuple[dict[str, Any], Workspace]:
    """The whole query bench; returns the bench.json update and the workspace it ran in."""
    if any(c < 1 for c in opts.clients):
        raise CorpusError("--clients must be at least 1")
    ws = prepare(opts, fresh_index=False, fresh_cache=False)
    timed, warmup, source = choose_queries(opts, ws)
    corpus = _prepare_index(ws)
    spec = {
        **phase_spec(ws, opts),
        "queries": str(ws.work / "queries.jsonl"),
        "warmup": str(ws.work / "warmup.jsonl"),
        "clients": list(opts.clients),
        "rows": str(ws.work / "query-rows.jsonl"),
    }
    _write_queries(Path(spec["queries"]), timed)
    _write_queries(Path(spec["warmup"]), warmup)
    if opts.baseline and not baseline_is_current(ws):
        build_baseline(ws, opts)
    ours = spawn("serve", {**spec, "paired": opts.baseline}, ws.work)
    update: dict[str, Any] = {
        "corpus": {k: corpus[k] for k in ("docs", "chunks", "words")},
        "embedder": ours.pop("embedder"),
        "query": {
            **ours,
            "query_source": source,
            "ranking": RANKING,
            "index_prepare": {k: corpus[k] for k in ("ingest_s", "newly_indexed")},
        },
    }
    if opts.baseline:
        theirs = spawn("baseline-query", spec, ws.work)
        update["llamaindex_baseline"] = {
            "retrieval_ms": theirs["retrieval_ms"],
            "hit@1": theirs["hit@1"],
            "hit@10": theirs["hit@10"],
            "qps": theirs["qps"],
            "serving_peak_rss_mb": theirs["peak_rss_mb"],
            "serving_ready_rss_mb": theirs["ready_rss_mb"],
            "serving_load_average_1m": theirs["load_average_1m"],
        }
    return update, ws

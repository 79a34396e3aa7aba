"""`baocao eval`: run the real assistant on a gold file, per named configuration, and score it.

    baocao eval --gold FILE.jsonl --docs DIR [--index DIR] [--out DIR] [--configuration NAME ...]
                [--config SETTINGS.toml]

Configurations (retrieval): ``bm25``, ``dense``, ``hybrid``, ``hybrid+rerank`` (the default
assistant) and ``llamaindex-baseline`` (LlamaIndex's stock pipeline, same documents and embedding
model). Every question runs with its history (follow-ups are condensed as in the product), under
the user's settings (``--config``, else ./baocao.toml) but for the index folder, which is
``--index`` (default ``OUT/index``). Writes ``metrics.json``, ``report.md`` and PNG plots into ``--out``.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from eval.answer_metrics import citation_correct, facts_found, lead_right, numbers_supported, token_f1
from eval.gold import GoldQuestion, load_gold, locate
from eval.retrieval_metrics import hit_at, mrr_at, ndcg_at, relevance
from rag.answer.refusal import is_refusal
from rag.config import Settings, load_settings
from rag.records import Answer, chunk_ref

logger = logging.getLogger(__name__)

CONFIGS = ("bm25", "dense", "hybrid", "hybrid+rerank", "llamaindex-baseline")
DEFAULT_CONFIGS = ("hybrid+rerank",)


class EvalError(ValueError):
    """The evaluation cannot run as asked (missing files, unknown configuration, bad gold file)."""


def _evidence(q: GoldQuestion, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    """The gold evidence spans found in the indexed texts.

    A document that failed to ingest (a scan without OCR) or a quote its extracted text does not
    hold (an OCR misreading) loses that span only: the question is still scored on its answer,
    and the row says how many spans are missing (``evidence_missing``). A document absent from
    --docs is a broken gold file, refused by :func:`check_gold` before anything runs.
    """
    spans = []
    for ev in q.evidence:
        text = texts.get(ev.doc)
        span = locate(ev.quote, text) if text is not None else None
        if span is None:
            why = "is not indexed" if text is None else f"does not contain {ev.quote[:60]!r}"
            logger.warning("%s: evidence document %s %s", q.id, ev.doc, why)
            continue
        spans.append((ev.doc, *span))
    return spans


def check_gold(questions: list[GoldQuestion], docs: Path) -> None:
    """Refuse a gold file whose evidence names a document that is not in ``docs``."""
    for q in questions:
        for ev in q.evidence:
            if not (docs / ev.doc).is_file():
                raise EvalError(f"{q.id}: evidence document {ev.doc!r} is not in --docs")


def facts_right(found: list[bool], required: int, refused: bool) -> bool:
    """Whether an answer holds enough gold facts: ``required`` of them (``min_facts``, else all).

    A question with no facts to check is right when it is answered, not refused.
    """
    if not found:
        return not refused
    return sum(found) >= required


def score_question(
    q: GoldQuestion, answer: Answer, retrieved: list[tuple[str, int, int]], texts: dict[str, str],
    n_relevant_chunks: int, latency_ms: float,
) -> dict[str, Any]:
    """Every metric of one question, plus what was retrieved and answered (for the failure list)."""
    spans = _evidence(q, texts) if q.evidence else []
    rel = relevance(retrieved, spans)
    has_evidence = bool(spans)
    refused = (not answer.found) or is_refusal(answer.text)
    found = facts_found(q.must_include, answer.text) if not refused else [False] * len(q.must_include)
    mismatches = [c for c in answer.citations if texts.get(c.doc, "")[c.start : c.end] != c.quote]
    good = [c for c in answer.citations if c not in mismatches]
    covered = [any(c.doc == d and c.start < e and s < c.end for c in good) for d, s, e in spans]
    return {
        "id": q.id, "tags": q.tags, "answerable": q.answerable, "question": q.question,
        "understood": answer.question, "answer": answer.text, "refused": refused,
        "hit@1": hit_at(rel, 1) if has_evidence else None,
        "hit@5": hit_at(rel, 5) if has_evidence else None,
        "hit@10": hit_at(rel, 10) if has_evidence else None,
        "mrr@10": mrr_at(rel, 10) if has_evidence else None,
        "ndcg@10": ndcg_at(rel, 10, n_relevant_chunks) if has_evidence else None,
        "all_facts": facts_right(found, q.required_facts, refused) if q.answerable else None,
        "every_fact": (all(found) if found else not refused) if q.answerable else None,
        "facts_found": sum(found) if q.answerable else None,
        "facts_required": q.required_facts if q.answerable else None,
        "min_facts": q.min_facts,
        "fact_recall": (sum(found) / len(found) if found else None) if q.answerable else None,
        "token_f1": token_f1(answer.text, " ".join(q.must_include)) if q.answerable and q.must_include else None,
        "lead_right": lead_right(answer.text, q.must_include) if q.answerable and not refused else None,
        "citations": [c.to_json() for c in answer.citations],
        "citations_correct": [citation_correct(c, spans, q.must_include) for c in good],
        "citation_recall": (sum(covered) / len(covered)) if covered and q.answerable else None,
        "quote_mismatches": len(mismatches),
        "numbers": numbers_supported(answer.text, [c.quote for c in good]) if not refused else None,
        "latency_ms": latency_ms,
        "evidence_missing": len(q.evidence) - len(spans),
        "retrieved": [f"{d}[{s}:{e}]" for d, s, e in retrieved[:5]],
    }


def _run_assistant(config: str, questions: list[GoldQuestion], index: Path, settings: Settings) -> list[dict]:
    from rag.assistant import Assistant

    assistant = Assistant.open(index, settings)
    texts = {d.doc_id: assistant.store.document_text(d.doc_id) or "" for d in assistant.store.documents()}
    paged = {doc_id for doc_id in texts if assistant.store.pages(doc_id)}
    chunks = [c.ref.location for c in assistant.store.chunks().values()]
    assistant.ask("khởi động")  # load the model before timing anything
    rows = []
    for q in questions:
        analysis = assistant.understand(q.question, q.history)
        nodes = assistant.retrieve(analysis, retrieval_mode=config, k=10)
        retrieved = [chunk_ref(n.node).location for n in nodes]
        start = time.perf_counter()
        answer = assistant.ask(q.question, history=q.history, retrieval_mode=config)
        latency = (time.perf_counter() - start) * 1000
        n_rel = sum(relevance(chunks, _evidence(q, texts))) if q.evidence else 0
        row = score_question(q, answer, retrieved, texts, n_rel, latency)
        row["citations_paged"] = [c.page is not None for c in answer.citations if c.doc in paged]
        rows.append(row)
    return rows


def _run_baseline(questions: list[GoldQuestion], docs: Path, work: Path, settings: Settings) -> list[dict]:
    from embeddings import get_embedder
    from eval.baseline import LlamaIndexBaseline

    baseline = LlamaIndexBaseline(docs, work, get_embedder(settings.embeddings))
    nodes = list(baseline.index.docstore.docs.values()) or []
    rows = []
    for q in questions:
        start = time.perf_counter()
        answer = baseline.ask(q.question)  # the stock pipeline has no notion of history
        latency = (time.perf_counter() - start) * 1000
        retrieved = [(h.doc, h.start, h.end) for h in baseline.retrieve(q.question)]
        spans = _evidence(q, baseline.texts) if q.evidence else []
        n_rel = max(1, sum(relevance([chunk_ref(n).location for n in nodes], spans))) if spans else 0
        rows.append(score_question(q, answer, retrieved, baseline.texts, n_rel, latency))
    return rows


def run(
    gold: Path, docs: Path, index: Path | None, out: Path, configs: list[str], settings: Settings | None = None,
) -> dict[str, Any]:
    """Run every configuration under ``settings`` (default: the user's, ``load_settings()``) in the
    index folder ``index`` (default ``out/index``), and write metrics.json, report.md and plots into ``out``."""
    from eval.report import summarise, write_outputs
    from rag.ingest.pipeline import Ingestor

    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        raise EvalError(f"unknown configuration(s) {', '.join(unknown)}; choose from {', '.join(CONFIGS)}")
    if not gold.is_file():
        raise EvalError(f"gold file not found: {gold}")
    if not docs.is_dir():
        raise EvalError(f"documents folder not found: {docs}")
    questions = load_gold(gold)
    check_gold(questions, docs)
    out.mkdir(parents=True, exist_ok=True)
    index = index or out / "index"
    settings = (settings or load_settings()).model_copy(deep=True)  # the caller's object stays as it was
    settings.index.dir = index
    report = Ingestor(settings).run([docs], progress=False)
    if report.failed:
        logger.warning("%d files failed to ingest: %s", len(report.failed), "; ".join(map(str, report.failed)))
    results = []
    for config in configs:
        started = time.perf_counter()
        if config == "llamaindex-baseline":
            rows = _run_baseline(questions, docs, out, settings)
        else:
            rows = _run_assistant(config, questions, index, settings)
        summary = summarise(rows, {"name": config, "gold": str(gold), "docs": str(docs),
                                   "seconds": round(time.perf_counter() - started, 1)})
        results.append(summary)
    metrics = results[0] if len(results) == 1 else {"configs": results}
    write_outputs(out, results, metrics)
    return metrics

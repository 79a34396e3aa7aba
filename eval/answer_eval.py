"""Score the real assistant on a gold file: retrieval, facts, refusals, citations — per configuration.

    python -m eval.answer_eval --gold ../shared/eval/gold_dev.jsonl --docs data/sample_reports \
        [--index DIR] [--configs bm25 dense hybrid hybrid+rerank] [--out FILE.json] [--failures]

Every question runs through ``Assistant.ask`` with its history, so follow-ups are condensed as
in the product. The configurations differ only in how passages are retrieved.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from eval.answer_metrics import citation_correct, facts_found
from eval.gold import GoldQuestion, load_gold
from eval.retrieval_eval import evidence_spans
from eval.retrieval_metrics import hit_at, mrr_at, relevance
from rag.answer.refusal import is_refusal
from rag.assistant import Assistant
from rag.config import Settings
from rag.ingest.pipeline import Ingestor

CONFIGS = ("bm25", "dense", "hybrid", "hybrid+rerank")


def score_config(assistant: Assistant, questions: list[GoldQuestion], config: str) -> dict[str, Any]:
    texts = {d.doc_id: assistant.store.document_text(d.doc_id) or "" for d in assistant.store.documents()}
    rows = []
    for q in questions:
        analysis = assistant.understand(q.question, q.history)
        nodes = assistant.retrieve(analysis, mode=config, k=10)
        start = time.perf_counter()  # latency of the answer alone, as a user waits for it
        answer = assistant.ask(q.question, history=q.history, retrieval=config)
        latency = (time.perf_counter() - start) * 1000
        spans = evidence_spans(q, texts) if q.evidence else []
        rel = relevance([(n.node.metadata["doc_id"], n.node.metadata["start"], n.node.metadata["end"]) for n in nodes], spans)
        found = facts_found(q.must_include, answer.text) if answer.found else [False] * len(q.must_include)
        mismatches = [c for c in answer.citations if texts.get(c.doc, "")[c.start : c.end] != c.quote]
        rows.append({
            "id": q.id, "tags": q.tags, "answerable": q.answerable, "question": q.question,
            "understood": answer.question, "answer": answer.text, "found": answer.found,
            "refused": (not answer.found) or is_refusal(answer.text),
            "hit@1": hit_at(rel, 1) if spans else None, "hit@5": hit_at(rel, 5) if spans else None,
            "mrr@10": mrr_at(rel, 10) if spans else None,
            "all_facts": all(found) if q.answerable else None,
            "fact_recall": (sum(found) / len(found)) if q.answerable and found else None,
            "citations": [c.to_json() for c in answer.citations],
            "citations_correct": [citation_correct(c, spans, q.must_include) for c in answer.citations],
            "quote_mismatches": len(mismatches), "latency_ms": latency,
            "retrieved": [f"{n.node.metadata['doc_id']}[{n.node.metadata['start']}:{n.node.metadata['end']}]" for n in nodes[:5]],
        })
    return summarise(rows, config)


def _mean(values: list[float | None]) -> float | None:
    vals = [v for v in values if v is not None]
    return round(sum(vals) / len(vals), 3) if vals else None


def summarise(rows: list[dict[str, Any]], config: str) -> dict[str, Any]:
    answerable = [r for r in rows if r["answerable"]]
    unanswerable = [r for r in rows if not r["answerable"]]
    cited = [ok for r in rows for ok in r["citations_correct"]]
    latencies = sorted(r["latency_ms"] for r in rows)
    return {
        "config": config,
        "n_questions": len(rows),
        "retrieval": {"hit@1": _mean([r["hit@1"] for r in rows]), "hit@5": _mean([r["hit@5"] for r in rows]),
                      "mrr@10": _mean([r["mrr@10"] for r in rows])},
        "answer": {"all_facts": _mean([float(r["all_facts"]) for r in answerable]),
                   "fact_recall": _mean([r["fact_recall"] for r in answerable])},
        "refusal": {"unanswerable_refused": _mean([float(r["refused"]) for r in unanswerable]),
                    "answerable_refused": _mean([float(r["refused"]) for r in answerable]),
                    "answerable_refused_count": sum(r["refused"] for r in answerable)},
        "citations": {"precision": round(sum(cited) / len(cited), 3) if cited else None, "count": len(cited),
                      "quote_mismatches": sum(r["quote_mismatches"] for r in rows)},
        "latency_ms": {"p50": round(statistics.median(latencies), 1),
                       "p95": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 1)},
        "failures": [r for r in rows if (r["answerable"] and not r["all_facts"]) or (not r["answerable"] and not r["refused"])
                     or not all(r["citations_correct"])],
    }


def run(gold: Path, docs: Path, index: Path, configs: list[str]) -> list[dict[str, Any]]:
    settings = Settings(index={"dir": index})
    Ingestor(settings).run([docs], progress=False)
    assistant = Assistant.open(index, settings)
    questions = load_gold(gold)
    return [score_config(assistant, questions, c) for c in configs]


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS))
    parser.add_argument("--out", type=Path)
    parser.add_argument("--failures", action="store_true", help="print the failed questions")
    args = parser.parse_args(argv)
    for path in (args.gold, args.docs):
        if not path.exists():
            parser.error(f"no such file or folder: {path}")
    if args.index:
        results = run(args.gold, args.docs, args.index, args.configs)
    else:
        with tempfile.TemporaryDirectory(prefix="baocao-eval-") as tmp:
            results = run(args.gold, args.docs, Path(tmp) / "index", args.configs)
    if args.out:
        args.out.write_text(json.dumps(results, ensure_ascii=False, indent=2), encoding="utf-8")
    for r in results:
        failures = r.pop("failures")
        print(json.dumps(r, ensure_ascii=False))
        if args.failures:
            for f in failures:
                print("   FAIL", f["id"], f["question"][:70], "→", f["answer"][:160], f["citations_correct"],
                      f["retrieved"][:3])


if __name__ == "__main__":
    main()

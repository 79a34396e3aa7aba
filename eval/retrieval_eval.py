"""Retrieval quality of each search mode on a gold file, in one run.

    python -m eval.retrieval_eval --gold ../shared/eval/gold_dev.jsonl --docs data/sample_reports \
        [--index DIR] [--modes bm25 dense hybrid]

Ingests ``--docs`` (reusing the index when unchanged), then for every answerable question with
evidence reports evidence hit@1/5/10 and MRR@10 per mode. The full evaluation command
(answers, citations, refusals) builds on this.
"""

from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from eval.gold import GoldQuestion, load_gold, locate
from eval.retrieval_metrics import hit_at, mrr_at, ndcg_at, relevance
from rag.config import Settings
from rag.ingest.pipeline import Ingestor


def evidence_spans(q: GoldQuestion, texts: dict[str, str]) -> list[tuple[str, int, int]]:
    spans = []
    for ev in q.evidence:
        text = texts.get(ev.doc)
        span = locate(ev.quote, text) if text is not None else None
        if span is None:
            raise ValueError(f"{q.id}: evidence quote not found in {ev.doc}: {ev.quote[:60]!r}")
        spans.append((ev.doc, *span))
    return spans


def run(gold: Path, docs: Path, index: Path, modes: list[str], k: int = 10) -> dict[str, dict[str, float]]:
    from rag.retrieve.hybrid import Searcher

    settings = Settings(index={"dir": index})
    Ingestor(settings).run([docs], progress=False)
    searcher = Searcher.open(index, settings)
    questions = [q for q in load_gold(gold) if q.answerable and q.evidence]
    texts = {d.doc_id: searcher.store.document_text(d.doc_id) or "" for d in searcher.store.documents()}
    chunks = list(searcher.store.chunks().values())
    results: dict[str, dict[str, float]] = {}
    for mode in modes:
        totals = {"hit@1": 0.0, "hit@5": 0.0, "hit@10": 0.0, "mrr@10": 0.0, "ndcg@10": 0.0}
        for q in questions:
            spans = evidence_spans(q, texts)
            question = searcher.condense(q.question, q.history) if hasattr(searcher, "condense") else q.question
            hits = searcher.search(question, k=k, mode=mode)
            rel = relevance([(h.doc, h.start, h.end) for h in hits], spans)
            n_rel = sum(relevance([(c.doc_id, c.start, c.end) for c in chunks], spans))
            totals["hit@1"] += hit_at(rel, 1)
            totals["hit@5"] += hit_at(rel, 5)
            totals["hit@10"] += hit_at(rel, 10)
            totals["mrr@10"] += mrr_at(rel, 10)
            totals["ndcg@10"] += ndcg_at(rel, 10, n_rel)
        results[mode] = {name: round(v / len(questions), 3) for name, v in totals.items()}
        results[mode]["n"] = len(questions)
    return results


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", type=Path, required=True)
    parser.add_argument("--docs", type=Path, required=True)
    parser.add_argument("--index", type=Path)
    parser.add_argument("--modes", nargs="+", default=["bm25", "bm25_folded", "dense", "hybrid"])
    args = parser.parse_args(argv)
    for path in (args.gold, args.docs):
        if not path.exists():
            parser.error(f"no such file or folder: {path}")
    if args.index:
        out = run(args.gold, args.docs, args.index, args.modes)
    else:
        with tempfile.TemporaryDirectory(prefix="baocao-eval-") as tmp:
            out = run(args.gold, args.docs, Path(tmp) / "index", args.modes)
    print(json.dumps(out, indent=2))


if __name__ == "__main__":
    main()

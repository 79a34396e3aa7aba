"""XQuAD (Vietnamese) through the real assistant: question → its paragraph, and the answer text.

    python -m eval.benchmarks.xquad --data /work/shared/bench/xquad-vi/xquad.vi.json --out results.json \
        [--limit N] [--index DIR] [--work DIR] [--modes bm25 dense hybrid hybrid+rerank] \
        [--answer-modes MODE ...] [--rows rows.jsonl]

The 240 paragraphs are ingested as 240 documents (eval.benchmarks.convert.squad_to_gold).

- Retrieval, per mode: paragraphs ranked by their first retrieved chunk; hit@1, hit@5, hit@10,
  MRR@10 of the question's own paragraph.
- Answers, per answer mode (default: the same modes): ``Assistant.ask(question, retrieval=mode)``;
  the prediction is the answer's quoted span(s) without citation markers ("" for a refusal).
  Exact match and token F1 against the gold span after SQuAD-style normalisation adapted to
  Vietnamese (see common.NORMALISATION), the rate at which the prediction contains the gold span,
  and the refusal rate. The extractive answerer quotes a sentence or clause, never a bare span,
  so exact match is reported as it is, near 0.

``--limit`` limits the questions (the first N in file order), never the corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from eval.benchmarks.common import (
    CHUNKS_PER_QUERY,
    MODES,
    NORMALISATION,
    contains,
    doc_ranking,
    exact_match,
    f1,
    ingest_and_open,
    markdown_table,
    mean,
    reciprocal_rank,
    run_and_report,
    settings_summary,
)
from eval.benchmarks.convert import squad_to_gold


def _gold_rows(gold: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]


def run(data: Path, index: Path, work: Path, modes: list[str], answer_modes: list[str],
        limit: int | None = None, rows_out: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from rag.answer.refusal import is_refusal

    started = time.perf_counter()
    docs, gold = squad_to_gold(data, work)
    questions = _gold_rows(gold)
    n_total = len(questions)
    if limit is not None:
        questions = questions[:limit]
    corpus = ingest_and_open(docs, index)
    assistant = corpus.assistant

    per_mode: dict[str, Any] = {}
    for mode in dict.fromkeys([*modes, *answer_modes]):
        t0 = time.perf_counter()
        rows = []
        for q in questions:
            gold_doc = q["evidence"][0]["doc"]
            row: dict[str, Any] = {"id": q["id"], "mode": mode}
            if mode in modes:
                t = time.perf_counter()
                ranking = doc_ranking(assistant.retrieve(assistant.understand(q["question"]), mode=mode,
                                                         k=CHUNKS_PER_QUERY))
                row["retrieve_ms"] = (time.perf_counter() - t) * 1000
                rank = ranking.index(gold_doc) + 1 if gold_doc in ranking else None
                row.update({"rank": rank, "hit@1": float(rank == 1), "hit@5": float(bool(rank and rank <= 5)),
                            "hit@10": float(bool(rank and rank <= 10)),
                            "mrr@10": reciprocal_rank(ranking, {gold_doc}, 10)})
            if mode in answer_modes:
                t = time.perf_counter()
                answer = assistant.ask(q["question"], retrieval=mode)
                row["ask_ms"] = (time.perf_counter() - t) * 1000
                refused = (not answer.found) or is_refusal(answer.text)
                prediction = "" if refused else " ".join(c.quote for c in answer.citations)
                golds = q.get("answers") or q["must_include"]
                row.update({
                    "refused": float(refused), "prediction": prediction, "gold": golds[0],
                    "em": max(exact_match(prediction, g) for g in golds),
                    "f1": max(f1(prediction, g) for g in golds),
                    "contains": max(contains(prediction, g) for g in golds),
                    "cites_gold_paragraph": None if refused else float(any(c.doc == gold_doc for c in answer.citations)),
                    "prediction_words": len(prediction.split()),
                })
            rows.append(row)
        if rows_out is not None:
            rows_out.extend(rows)
        entry: dict[str, Any] = {"n": len(rows), "seconds": round(time.perf_counter() - t0, 1)}
        if mode in modes:
            entry["retrieval"] = {m: mean([r[m] for r in rows]) for m in ("hit@1", "hit@5", "hit@10", "mrr@10")}
            entry["retrieval"]["ms_per_query"] = mean([r["retrieve_ms"] for r in rows])
        if mode in answer_modes:
            answered = [r for r in rows if not r["refused"]]
            entry["answer"] = {
                "exact_match": mean([r["em"] for r in rows]), "f1": mean([r["f1"] for r in rows]),
                "contains_gold": mean([r["contains"] for r in rows]),
                "refusal_rate": mean([r["refused"] for r in rows]),
                "answered": len(answered),
                "f1_answered": mean([r["f1"] for r in answered]),
                "contains_gold_answered": mean([r["contains"] for r in answered]),
                "cites_gold_paragraph_answered": mean([r["cites_gold_paragraph"] for r in answered]),
                "mean_prediction_words": mean([float(r["prediction_words"]) for r in answered]),
                "mean_gold_words": mean([float(len(r["gold"].split())) for r in rows]),
                "ms_per_question": mean([r["ask_ms"] for r in rows]),
            }
        per_mode[mode] = entry
    return {
        "benchmark": "xquad-vi",
        "data": str(data),
        "corpus": {"paragraphs": corpus.docs, "chunks": corpus.chunks, "words": sum(len(f.read_text(encoding="utf-8").split()) for f in docs.glob("*.txt")),
                   "questions_in_file": n_total},
        "n_questions": len(questions),
        "limit": limit,
        "settings": {**settings_summary(corpus.settings, index), "modes": modes, "answer_modes": answer_modes,
                     "answer_normalisation": NORMALISATION,
                     "prediction": "the answer's quoted spans joined by spaces, without citation markers; '' when refused"},
        "ingest": corpus.ingest,
        "modes": per_mode,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def table(result: dict[str, Any]) -> str:
    rows = []
    for mode, e in result["modes"].items():
        r, a = e.get("retrieval") or {}, e.get("answer") or {}
        rows.append([mode, r.get("hit@1"), r.get("hit@5"), r.get("mrr@10"), a.get("exact_match"), a.get("f1"),
                     a.get("contains_gold"), a.get("refusal_rate"), e["seconds"]])
    head = ["mode", "hit@1", "hit@5", "MRR@10", "EM", "F1", "contains gold", "refused", "s"]
    return (f"XQuAD-vi: {result['n_questions']} questions, {result['corpus']['paragraphs']} paragraphs "
            f"({result['corpus']['chunks']} chunks), {result['elapsed_s']} s\n\n" + markdown_table(head, rows))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the SQuAD v1.1 JSON (xquad.vi.json)")
    parser.add_argument("--out", type=Path, help="results JSON")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--index", type=Path, help="index folder (kept and reused); a temporary one otherwise")
    parser.add_argument("--work", type=Path, help="folder for the converted documents and gold file")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--answer-modes", nargs="*", choices=MODES,
                        help="retrieval modes to answer with (default: --modes; none: retrieval only)")
    parser.add_argument("--rows", type=Path, help="per-question rows (JSONL)")
    args = parser.parse_args(argv)
    if not args.data.is_file():
        print(f"error: input file not found: {args.data}", file=sys.stderr)
        return 2
    answer_modes = args.modes if args.answer_modes is None else args.answer_modes
    return run_and_report("xquad", args, lambda index, work, rows: run(args.data, index, work, args.modes, answer_modes, args.limit, rows), table)


if __name__ == "__main__":
    sys.exit(main())

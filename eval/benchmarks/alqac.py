"""ALQAC 2023 (Vietnamese law) through the real assistant: question → its article(s), and the answers.

    python -m eval.benchmarks.alqac --data /work/shared/bench/alqac-2023 --out results.json \
        [--law law.json] [--questions train.json] [--limit N] [--index DIR] [--work DIR] \
        [--modes bm25 dense hybrid hybrid+rerank] [--answer-retrieval-mode hybrid+rerank] [--rows rows.jsonl]

The 2,131 articles are ingested as one document each (eval.benchmarks.convert.alqac_to_gold).
Ingesting them takes minutes: pass ``--index DIR`` to keep the index and reuse it on the next run
(unchanged documents are skipped); the embedding cache makes a rebuilt index cheap too.

- Retrieval, per mode: articles ranked by their first retrieved chunk; recall@1/5/10 and MRR@10
  against ``relevant_articles``, overall and per question type.
- Answers (one retrieval mode, ``--answer-retrieval-mode``): ``Assistant.ask`` on every question.
  True/false and multiple-choice answers are labels ("Đúng"/"Sai", "A"–"D"). The extractive
  answerer quotes the documents and has no way to decide a label, so it abstains on them: we report
  how many of its answers are a label (none are expected), how often it quotes a relevant article,
  and, as the only decision figures, majority-class baselines (always the most frequent label of the
  evaluated set). No decision rule is fitted to these questions. Free-text answers are scored by
  whether the answer states the gold answer (eval.answer_metrics.fact_in) and token F1.

``--limit`` limits the questions (the first N in file order), never the corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from eval.benchmarks.common import (
    CHUNKS_PER_QUERY,
    MODES,
    doc_ranking,
    f1,
    ingest_and_open,
    markdown_table,
    mean,
    recall_at,
    reciprocal_rank,
    run_and_report,
    settings_summary,
    squad_normalize,
)
from eval.benchmarks.convert import alqac_to_gold

LABELS = {"true-false": ("Đúng", "Sai"), "multiple-choice": ("A", "B", "C", "D")}


def _kind(q: dict[str, Any]) -> str:
    return next((t for t in q["tags"] if t != "alqac"), "other")


def majority_baseline(labels: list[str]) -> dict[str, Any]:
    """Always answer the most frequent label of the set (ties: the label met first)."""
    if not labels:
        return {"n": 0}
    counts = Counter(labels)
    label, top = counts.most_common(1)[0]
    return {"n": len(labels), "label_counts": dict(counts), "majority_label": label,
            "tie": sum(1 for c in counts.values() if c == top) > 1, "accuracy": round(top / len(labels), 4)}


def _label_of(prediction: str, kind: str) -> str | None:
    """The label an answer states, when the whole answer is a label; None otherwise."""
    norm = squad_normalize(prediction)
    return next((lab for lab in LABELS.get(kind, ()) if squad_normalize(lab) == norm), None)


def run(law: Path, questions_path: Path, index: Path, work: Path, modes: list[str], answer_retrieval_mode: str | None,
        limit: int | None = None, rows_out: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    from eval.answer_metrics import fact_in
    from rag.answer.refusal import is_refusal

    started = time.perf_counter()
    docs, gold = alqac_to_gold(law, questions_path, work)
    questions = [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]
    n_total = len(questions)
    if limit is not None:
        questions = questions[:limit]
    corpus = ingest_and_open(docs, index)
    assistant = corpus.assistant
    kinds = Counter(_kind(q) for q in questions)

    retrieval: dict[str, Any] = {}
    all_rows: list[dict[str, Any]] = []
    for mode in modes:
        t0 = time.perf_counter()
        rows = []
        for q in questions:
            relevant = {e["doc"] for e in q["evidence"]}
            t = time.perf_counter()
            ranking = doc_ranking(assistant.retrieve(assistant.understand(q["question"]), retrieval_mode=mode,
                                                     k=CHUNKS_PER_QUERY))
            ms = (time.perf_counter() - t) * 1000
            rows.append({"id": q["id"], "mode": mode, "kind": _kind(q), "relevant": sorted(relevant),
                         "retrieved": ranking[:5], "retrieve_ms": ms,
                         "recall@1": recall_at(ranking, relevant, 1), "recall@5": recall_at(ranking, relevant, 5),
                         "recall@10": recall_at(ranking, relevant, 10),
                         "mrr@10": reciprocal_rank(ranking, relevant, 10)})
        all_rows.extend(rows)
        metrics = ("recall@1", "recall@5", "recall@10", "mrr@10")
        retrieval[mode] = {
            "n": len(rows), "seconds": round(time.perf_counter() - t0, 1),
            **{m: mean([r[m] for r in rows]) for m in metrics},
            "ms_per_query": mean([r["retrieve_ms"] for r in rows]),
            "by_type": {k: {"n": n, **{m: mean([r[m] for r in rows if r["kind"] == k]) for m in ("recall@5", "mrr@10")}}
                        for k, n in sorted(kinds.items())},
        }

    answers: dict[str, Any] | None = None
    if answer_retrieval_mode:
        t0 = time.perf_counter()
        rows = []
        for q in questions:
            kind = _kind(q)
            relevant = {e["doc"] for e in q["evidence"]}
            answer = assistant.ask(q["question"], retrieval_mode=answer_retrieval_mode)
            refused = (not answer.found) or is_refusal(answer.text)
            prediction = "" if refused else " ".join(c.quote for c in answer.citations)
            row: dict[str, Any] = {
                "id": q["id"], "mode": f"answer:{answer_retrieval_mode}", "kind": kind, "gold": q["answer"],
                "refused": float(refused), "prediction": prediction[:500],
                "cites_relevant": None if refused else float(any(c.doc in relevant for c in answer.citations)),
            }
            if kind in LABELS:
                row["label"] = _label_of(prediction, kind)
                row["correct"] = None if row["label"] is None else float(row["label"] == q["answer"])
            else:
                row["states_answer"] = float(not refused and fact_in(q["answer"], prediction))
                row["f1"] = f1(prediction, q["answer"])
            rows.append(row)
        all_rows.extend(rows)

        def labelled(kind: str) -> dict[str, Any]:
            sub = [r for r in rows if r["kind"] == kind]
            decided = [r for r in sub if r["label"] is not None]
            return {
                "n": len(sub),
                "majority_baseline": majority_baseline([r["gold"] for r in sub]),
                "extractive": {
                    "decided": len(decided), "abstained": len(sub) - len(decided),
                    "accuracy_on_decided": mean([r["correct"] for r in decided]),
                    "accuracy_abstain_as_wrong": round(sum(r["correct"] for r in decided) / len(sub), 4) if sub else None,
                    "refusal_rate": mean([r["refused"] for r in sub]),
                    "quotes_relevant_article": mean([r["cites_relevant"] for r in sub if not r["refused"]]),
                },
            }

        free = [r for r in rows if r["kind"] == "free-text"]
        answers = {
            "mode": answer_retrieval_mode, "n": len(rows), "seconds": round(time.perf_counter() - t0, 1),
            "refusal_rate": mean([r["refused"] for r in rows]),
            "quotes_relevant_article_answered": mean([r["cites_relevant"] for r in rows if not r["refused"]]),
            "true_false": labelled("true-false"),
            "multiple_choice": labelled("multiple-choice"),
            "free_text": {"n": len(free), "states_answer": mean([r["states_answer"] for r in free]),
                          "f1": mean([r["f1"] for r in free]), "refusal_rate": mean([r["refused"] for r in free])},
            "note": ("the extractive answerer quotes the law and cannot output Đúng/Sai or a choice letter: "
                     "it abstains on labelled questions; the majority-class baseline is the only decision figure"),
        }
    if rows_out is not None:
        rows_out.extend(all_rows)
    return {
        "benchmark": "alqac-2023",
        "data": {"law": str(law), "questions": str(questions_path)},
        "corpus": {"articles": corpus.docs, "chunks": corpus.chunks,
                   "words": sum(len(f.read_text(encoding="utf-8").split()) for f in docs.glob("*.txt")),
                   "questions_in_file": n_total, "document_format": "'<law> – Điều <n>' line, blank line, article text"},
        "n_questions": len(questions),
        "question_types": dict(kinds),
        "limit": limit,
        "settings": {**settings_summary(corpus.settings, index), "modes": modes, "answer_retrieval_mode": answer_retrieval_mode},
        "ingest": corpus.ingest,
        "retrieval": retrieval,
        "answers": answers,
        "elapsed_s": round(time.perf_counter() - started, 1),
    }


def table(result: dict[str, Any]) -> str:
    rows = [[mode, e["recall@1"], e["recall@5"], e["recall@10"], e["mrr@10"], e["seconds"]]
            for mode, e in result["retrieval"].items()]
    out = (f"ALQAC 2023: {result['n_questions']} questions, {result['corpus']['articles']} articles "
           f"({result['corpus']['chunks']} chunks), {result['elapsed_s']} s\n\n"
           + markdown_table(["mode", "recall@1", "recall@5", "recall@10", "MRR@10", "s"], rows))
    a = result.get("answers")
    if a:
        lines = []
        for name in ("true_false", "multiple_choice"):
            part = a[name]
            if part["n"]:
                base, ext = part["majority_baseline"], part["extractive"]
                lines.append([name.replace("_", "/"), part["n"], f"{base['majority_label']} ({base['accuracy']:.3f})",
                              ext["decided"], ext["abstained"], ext["quotes_relevant_article"]])
        if lines:
            out += (f"\n\nLabelled questions (answers with {a['mode']}):\n\n" + markdown_table(
                ["type", "n", "majority baseline (acc.)", "extractive decided", "abstained",
                 "extractive quotes a relevant article"], lines))
        if a["free_text"]["n"]:
            ft = a["free_text"]
            out += f"\n\nFree text: {ft['n']} questions, states the answer {ft['states_answer']}, F1 {ft['f1']}"
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, help="folder holding law.json and train.json")
    parser.add_argument("--law", type=Path, help="laws JSON (default: DATA/law.json)")
    parser.add_argument("--questions", type=Path, help="questions JSON (default: DATA/train.json)")
    parser.add_argument("--out", type=Path, help="results JSON")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--index", type=Path, help="index folder (kept and reused); a temporary one otherwise")
    parser.add_argument("--work", type=Path, help="folder for the converted documents and gold file")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--answer-retrieval-mode", "--answer-mode", dest="answer_retrieval_mode",
                        default="hybrid+rerank", choices=[*MODES, "none"],
                        help="retrieval mode of the answers ('none': retrieval only); --answer-mode is the old name")
    parser.add_argument("--rows", type=Path, help="per-question rows (JSONL)")
    args = parser.parse_args(argv)
    law = args.law or (args.data / "law.json" if args.data else None)
    questions = args.questions or (args.data / "train.json" if args.data else None)
    if law is None or questions is None:
        parser.error("give --data DIR, or --law and --questions")
    for path in (law, questions):
        if not path.is_file():
            print(f"error: input file not found: {path}", file=sys.stderr)
            return 2
    answer_retrieval_mode = None if args.answer_retrieval_mode == "none" else args.answer_retrieval_mode
    return run_and_report("alqac", args, lambda index, work, rows: run(law, questions, index, work, args.modes, answer_retrieval_mode, args.limit, rows), table)


if __name__ == "__main__":
    sys.exit(main())

"""Any SQuAD v1.1 file through the real assistant: question → its paragraph, and the answer text.

    python -m eval.benchmarks.squad --data ../shared/bench/uit-qa/test_wiki.json --name uit-test-wiki \
        --out uit-test-wiki.json [--split {train,test,all}] [--limit N] [--index DIR] [--work DIR] \
        [--modes bm25 dense hybrid hybrid+rerank] [--answer-retrieval-modes MODE ...] [--rows rows.jsonl]

``eval.benchmarks.xquad`` is this command with XQuAD-vi's name. The paragraphs of the part are
ingested as one document each (eval.benchmarks.convert.squad_to_gold); the index holds that part
only: documents of another part left by an earlier run in the same ``--index`` are pruned, and a run
stops if the index still holds more documents than the part has paragraphs.

- ``--split``: ``train`` or ``test`` keep one half of the articles, ``all`` (default) every article
  (eval.benchmarks.squad_data.SPLIT_RULE); corpus and questions alike. Issue 17 reports XQuAD-vi on
  ``--split test`` (its train half is training data) and UIT's ``test_wiki.json`` whole.
- Retrieval, per mode: paragraphs ranked by their first retrieved chunk; hit@1, hit@5, hit@10,
  MRR@10 of the question's own paragraph.
- Answers, per answer mode (default: the same modes): ``Assistant.ask(question, retrieval_mode=mode)``;
  the prediction is the answer's quoted span(s) without citation markers ("" for a refusal).
  Exact match and token F1 against the gold spans (the best of them) after SQuAD-style
  normalisation adapted to Vietnamese (see common.NORMALISATION), ``contains_gold`` (the prediction
  contains a gold span) and ``refusal_rate`` (every SQuAD v1.1 question is answerable, so this is
  the answerable-refused rate). The extractive answerer quotes a sentence or clause, never a bare
  span, so exact match is reported as it is, near 0.

``--limit`` limits the questions (the first N of the part in file order), never the corpus.
``--question-form no-diacritics`` asks every question with its accents taken off, as users often
type ("Ai la nguoi giau nhat nam 2000?").
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any, Literal

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
from eval.benchmarks.files import require
from eval.benchmarks.squad_data import PARTS, SPLIT_RULE, Part, load_squad, squad_split
from rag.text.normalize import fold_diacritics


def _gold_rows(gold: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in gold.read_text(encoding="utf-8").splitlines() if line.strip()]


def split_summary(data: dict[str, Any], part: Part) -> dict[str, Any]:
    """What the part holds, for the output's settings: a reader can check which half was measured."""
    kept = squad_split(data, part)["data"]
    summary: dict[str, Any] = {
        "part": part, "rule": SPLIT_RULE, "articles": len(kept), "articles_in_file": len(data["data"]),
        "paragraphs": sum(len(a["paragraphs"]) for a in kept),
        "questions": sum(len(p["qas"]) for a in kept for p in a["paragraphs"]),
    }
    if part != "all":
        summary["titles"] = [str(a.get("title", "")) for a in kept]
    return summary


def _question_row(assistant: Any, q: dict[str, Any], mode: str, retrieve: bool,
                  answer: bool) -> dict[str, Any]:
    """One question in one mode: the rank of its paragraph and/or the scores of the answer."""
    from rag.answer.refusal import is_refusal

    gold_doc = q["evidence"][0]["doc"]
    row: dict[str, Any] = {"id": q["id"], "mode": mode}
    if retrieve:
        t = time.perf_counter()
        ranking = doc_ranking(assistant.retrieve(assistant.understand(q["question"]), retrieval_mode=mode,
                                                 k=CHUNKS_PER_QUERY))
        row["retrieve_ms"] = (time.perf_counter() - t) * 1000
        rank = ranking.index(gold_doc) + 1 if gold_doc in ranking else None
        row.update({"rank": rank, "hit@1": float(rank == 1), "hit@5": float(bool(rank and rank <= 5)),
                    "hit@10": float(bool(rank and rank <= 10)),
                    "mrr@10": reciprocal_rank(ranking, {gold_doc}, 10)})
    if answer:
        t = time.perf_counter()
        reply = assistant.ask(q["question"], retrieval_mode=mode)
        row["ask_ms"] = (time.perf_counter() - t) * 1000
        refused = (not reply.found) or is_refusal(reply.text)
        prediction = "" if refused else " ".join(c.quote for c in reply.citations)
        golds = q.get("answers") or q["must_include"]
        row.update({
            "refused": float(refused), "prediction": prediction, "gold": golds[0],
            "em": max(exact_match(prediction, g) for g in golds),
            "f1": max(f1(prediction, g) for g in golds),
            "contains": max(contains(prediction, g) for g in golds),
            "cites_gold_paragraph": None if refused else float(any(c.doc == gold_doc
                                                                   for c in reply.citations)),
            "prediction_words": len(prediction.split()),
        })
    return row


QuestionForm = Literal["as-written", "no-diacritics"]
QUESTION_FORMS: tuple[QuestionForm, ...] = ("as-written", "no-diacritics")


def _typed(question: dict[str, Any], form: QuestionForm) -> dict[str, Any]:
    """The gold row with its question as a user would type it in ``form``."""
    if form == "no-diacritics":
        return {**question, "question": fold_diacritics(question["question"])}
    return question


def _answer_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    answered = [r for r in rows if not r["refused"]]
    return {
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


def run(data: Path, index: Path, work: Path, modes: list[str], answer_retrieval_modes: list[str],
        limit: int | None = None, rows_out: list[dict[str, Any]] | None = None, *,
        name: str = "squad", part: Part = "all", tag: str | None = None,
        question_form: QuestionForm = "as-written") -> dict[str, Any]:
    """Measure ``part`` of the SQuAD file ``data``; the result dict written as the output JSON."""
    started = time.perf_counter()
    squad = load_squad(data)
    split = split_summary(squad, part)
    docs, gold = squad_to_gold(squad, work, part=part, tag=tag or name)
    questions = [_typed(q, question_form) for q in _gold_rows(gold)]
    n_part = len(questions)
    if limit is not None:
        questions = questions[:limit]
    corpus = ingest_and_open(docs, index, prune=True)
    if corpus.docs > split["paragraphs"]:
        raise RuntimeError(f"index {index} holds {corpus.docs} documents, the {part} part of {data} "
                           f"{split['paragraphs']}: give this part its own --index")
    assistant = corpus.assistant

    per_mode: dict[str, Any] = {}
    for mode in dict.fromkeys([*modes, *answer_retrieval_modes]):
        t0 = time.perf_counter()
        rows = [_question_row(assistant, q, mode, mode in modes, mode in answer_retrieval_modes) for q in questions]
        if rows_out is not None:
            rows_out.extend(rows)
        entry: dict[str, Any] = {"n": len(rows), "seconds": round(time.perf_counter() - t0, 1)}
        if mode in modes:
            entry["retrieval"] = {m: mean([r[m] for r in rows])
                                  for m in ("hit@1", "hit@5", "hit@10", "mrr@10")}
            entry["retrieval"]["ms_per_query"] = mean([r["retrieve_ms"] for r in rows])
        if mode in answer_retrieval_modes:
            entry["answer"] = _answer_summary(rows)
        per_mode[mode] = entry
    words = sum(len(f.read_text(encoding="utf-8").split()) for f in docs.glob("*.txt"))
    return {
        "benchmark": name,
        "data": str(data),
        "corpus": {"paragraphs": corpus.docs, "chunks": corpus.chunks, "words": words,
                   "questions_in_file": sum(len(p["qas"]) for a in squad["data"] for p in a["paragraphs"]),
                   "questions_in_part": n_part},
        "n_questions": len(questions),
        "limit": limit,
        "settings": {**settings_summary(corpus.settings, index), "split": split, "modes": modes,
                     "question_form": question_form,
                     "answer_retrieval_modes": answer_retrieval_modes, "answer_normalisation": NORMALISATION,
                     "prediction": "the answer's quoted spans joined by spaces, without citation markers; "
                                   "'' when refused"},
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
    part = result["settings"]["split"]["part"]
    form = result["settings"].get("question_form", "as-written")
    if form != "as-written":
        part = f"{part}, questions {form}"
    return (f"{result['benchmark']} ({part}): {result['n_questions']} questions, "
            f"{result['corpus']['paragraphs']} paragraphs ({result['corpus']['chunks']} chunks), "
            f"{result['elapsed_s']} s\n\n" + markdown_table(head, rows))


def build_parser(doc: str | None, name: str | None) -> argparse.ArgumentParser:
    """The options of a SQuAD benchmark command; ``name`` is the default ``--name`` (None: the file's)."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, required=True, help="the SQuAD v1.1 JSON")
    parser.add_argument("--name", default=name, help="benchmark name in the output (default: "
                        f"{name or 'the file name without .json'})")
    parser.add_argument("--split", choices=PARTS, default="all",
                        help="articles measured: train (even index), test (odd index) or all (default)")
    parser.add_argument("--out", type=Path, help="results JSON")
    parser.add_argument("--limit", type=int, help="only the first N questions")
    parser.add_argument("--index", type=Path,
                        help="index folder (kept and reused); a temporary one otherwise")
    parser.add_argument("--work", type=Path, help="folder for the converted documents and gold file")
    parser.add_argument("--modes", nargs="+", default=list(MODES), choices=MODES)
    parser.add_argument("--answer-retrieval-modes", "--answer-modes", dest="answer_retrieval_modes", nargs="*",
                        choices=MODES,
                        help="retrieval modes to answer with (default: --modes; none: retrieval only); "
                             "--answer-modes is the old name")
    parser.add_argument("--rows", type=Path, help="per-question rows (JSONL)")
    parser.add_argument("--question-form", choices=QUESTION_FORMS, default="as-written",
                        help="ask the questions as written (default) or with their accents taken off")
    return parser


def main(argv: list[str] | None = None, *, doc: str | None = __doc__, name: str | None = None,
         tag: str | None = None) -> int:
    """The command; eval.benchmarks.xquad calls it with its own ``doc``, ``name`` and ``tag``."""
    args = build_parser(doc, name).parse_args(argv)
    try:
        require(args.data)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    bench = args.name or args.data.stem
    answer_retrieval_modes = args.modes if args.answer_retrieval_modes is None else args.answer_retrieval_modes
    return run_and_report(
        bench, args,
        lambda index, work, rows: run(args.data, index, work, args.modes, answer_retrieval_modes, args.limit, rows,
                                      name=bench, part=args.split, tag=tag, question_form=args.question_form),
        table)


if __name__ == "__main__":
    sys.exit(main())

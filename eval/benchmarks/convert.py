"""Public benchmarks → our gold format (docs/evaluation-format.md) and a folder of documents.

    python -m eval.benchmarks.convert squad --input xquad.vi.json --out DIR [--split train|test|all] [--tag T]
    python -m eval.benchmarks.convert alqac --input law.json train.json --out DIR

Both write ``DIR/docs/`` (one .txt per passage, the only thing to ingest), ``DIR/gold.jsonl`` and
``DIR/mapping.json`` (file name → the benchmark's own passage id). The data are read by path and
never copied into the project.

- SQuAD v1.1 (XQuAD, UIT): one document per paragraph, ``<title>-<n>.txt`` (n counts the article's
  paragraphs from 0; ``<title>-a<i>-<n>.txt`` when articles share a title, i the article's index);
  every question is answerable, ``must_include`` is its gold answer text and its evidence is the
  sentence holding the gold answer span (the span itself when the sentence cannot be cut out).
  ``--split`` keeps one half of the articles (eval.benchmarks.squad_data.SPLIT_RULE); ``--tag``
  is the questions' tag ("xquad").
- ALQAC: one document per article, ``<law_id>@<article_id>.txt`` after a file-name-safe
  transform (diacritics folded, other characters to "_"). The file opens with a line naming the
  law and the article ("Luật Cư trú – Điều 38"), as the article reads inside its law; the article
  text follows verbatim. Evidence: the first ~200 characters of each relevant article's text;
  ``must_include`` is the answer for free-text questions and empty for true/false and multiple
  choice questions, whose answers are labels ("Đúng", "A") that no document states.
"""

from __future__ import annotations

import argparse
import json
import sys
import unicodedata
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from eval.benchmarks.files import InputMissing, require, safe_name
from eval.benchmarks.squad_data import PARTS, Part, squad_paragraphs
from rag.text.sentences import sentence_spans

__all__ = ["InputMissing", "alqac_file_name", "alqac_to_gold", "safe_name", "squad_to_gold"]

QUOTE_CHARS = 200

# ALQAC question types → our tags
ALQAC_TYPES = {"Đúng/Sai": "true-false", "Trắc nghiệm": "multiple-choice", "Tự luận": "free-text"}


def _write_jsonl(path: Path, rows: Sequence[dict[str, Any]]) -> None:
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows), encoding="utf-8")


def _prepare(out_dir: Path) -> Path:
    docs = Path(out_dir) / "docs"
    docs.mkdir(parents=True, exist_ok=True)
    return docs


def _write_mapping(out_dir: Path, mapping: dict[str, Any]) -> None:
    text = json.dumps(mapping, ensure_ascii=False, indent=1)
    (Path(out_dir) / "mapping.json").write_text(text, encoding="utf-8")


def _write_doc(path: Path, text: str) -> None:
    """Write unless the file already holds ``text``: an index built on an earlier run stays valid."""
    if not (path.is_file() and path.read_text(encoding="utf-8") == text):
        path.write_text(text, encoding="utf-8")


def _drop_stale(docs: Path, keep: dict[str, Any]) -> None:
    """Remove documents of an earlier conversion that this one did not write."""
    for old in docs.glob("*.txt"):
        if old.name not in keep:
            old.unlink()


def _evidence_sentence(context: str, answer_start: int | None, answer: str) -> str:
    """The sentence of ``context`` that holds the answer span at ``answer_start``."""
    if answer_start is None:  # the paragraph does not hold the span: the span alone is the evidence
        return answer
    end = answer_start + len(answer)
    if context[answer_start:end] != answer:
        return answer
    for s, e in sentence_spans(context):
        if s <= answer_start and end <= e:
            return context[s:e]
    return answer  # the span crosses a sentence boundary


def squad_to_gold(squad: Path | Mapping[str, Any], out_dir: Path, part: Part = "all",
                  tag: str = "xquad") -> tuple[Path, Path]:
    """Convert ``part`` of a SQuAD v1.1 file (a path or the loaded dict); returns ``(docs_dir, gold_path)``.

    Paragraph names, question ids and answer offsets are squad_data's (see there); the files of
    another part written by an earlier conversion into ``out_dir`` are removed.
    """
    paragraphs = squad_paragraphs(squad, part, source=tag)
    docs = _prepare(out_dir)
    rows: list[dict[str, Any]] = []
    mapping: dict[str, dict[str, Any]] = {}
    for p in paragraphs:
        name = f"{p.doc}.txt"
        _write_doc(docs / name, p.context)
        mapping[name] = {"title": p.title, "paragraph": p.paragraph, "article": p.article}
        for q in p.questions:
            if not q.answers:
                raise ValueError(f"question {q.id} of {name} has no answer text")
            first = q.answers[0]
            rows.append({
                "id": q.id, "question": q.question, "answerable": True,
                "must_include": [first.text],
                "evidence": [{"doc": name, "quote": _evidence_sentence(p.context, first.start, first.text)}],
                "tags": [tag],
                "answers": [a.text for a in q.answers],  # all gold spans, for EM / F1
            })
    _drop_stale(docs, mapping)
    gold = Path(out_dir) / "gold.jsonl"
    _write_jsonl(gold, rows)
    _write_mapping(out_dir, mapping)
    return docs, gold


def alqac_file_name(law_id: str, article_id: str) -> str:
    return f"{safe_name(law_id)}@{safe_name(str(article_id))}.txt"


def _opening(text: str, limit: int = QUOTE_CHARS) -> str:
    """The first ~``limit`` characters of ``text``, cut at a space."""
    text = text.strip()
    if len(text) <= limit:
        return text
    cut = text.rfind(" ", 0, limit)
    return text[: cut if cut > limit // 2 else limit].strip()


def alqac_to_gold(law_json: Path, questions_json: Path, out_dir: Path) -> tuple[Path, Path]:
    """Convert ALQAC laws and questions; returns ``(docs_dir, gold_path)``."""
    require(law_json, questions_json)
    laws = json.loads(Path(law_json).read_text(encoding="utf-8"))
    questions = json.loads(Path(questions_json).read_text(encoding="utf-8"))
    docs = _prepare(out_dir)
    mapping: dict[str, dict[str, str]] = {}
    by_id: dict[tuple[str, str], tuple[str, str]] = {}  # (law, article) → (file name, article text)
    for law in laws:
        for article in law["articles"]:
            law_id, article_id = str(law["id"]), str(article["id"])
            name = alqac_file_name(law_id, article_id)
            if name in mapping:
                raise ValueError(f"{law_id} {article_id}: file name {name} already used by {mapping[name]}")
            text = unicodedata.normalize("NFC", article["text"]).strip()
            _write_doc(docs / name, f"{law_id} – Điều {article_id}\n\n{text}\n")
            mapping[name] = {"law_id": law_id, "article_id": article_id}
            by_id[(law_id, article_id)] = (name, text)
    rows: list[dict[str, Any]] = []
    for q in questions:
        kind = ALQAC_TYPES.get(q.get("question_type", ""), "other")
        evidence = []
        for ref in q.get("relevant_articles", []):
            key = (str(ref["law_id"]), str(ref["article_id"]))
            if key not in by_id:
                raise ValueError(f"{q['question_id']}: relevant article {key} is not in {law_json}")
            name, text = by_id[key]
            evidence.append({"doc": name, "quote": _opening(text)})
        answer = str(q.get("answer", ""))
        row: dict[str, Any] = {
            "id": q["question_id"], "question": q["text"], "answerable": True,
            "must_include": [answer] if kind == "free-text" and answer else [],
            "evidence": evidence, "tags": ["alqac", kind], "answer": answer,
        }
        if q.get("choices"):
            row["choices"] = q["choices"]
        rows.append(row)
    _drop_stale(docs, mapping)
    gold = Path(out_dir) / "gold.jsonl"
    _write_jsonl(gold, rows)
    _write_mapping(out_dir, mapping)
    return docs, gold


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("kind", choices=["squad", "alqac"])
    parser.add_argument("--input", type=Path, nargs="+", required=True,
                        help="squad: the SQuAD JSON; alqac: law.json then the questions JSON")
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--split", choices=PARTS, default="all", help="squad: the articles to keep")
    parser.add_argument("--tag", default="xquad", help="squad: the questions' tag")
    args = parser.parse_args(argv)
    expected = 1 if args.kind == "squad" else 2
    if len(args.input) != expected:
        parser.error(f"{args.kind} takes {expected} input file(s), got {len(args.input)}")
    try:
        if args.kind == "squad":
            docs, gold = squad_to_gold(args.input[0], args.out, part=args.split, tag=args.tag)
        else:
            docs, gold = alqac_to_gold(args.input[0], args.input[1], args.out)
    except InputMissing as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    n_docs = sum(1 for _ in docs.glob("*.txt"))
    n_q = sum(1 for line in gold.read_text(encoding="utf-8").splitlines() if line.strip())
    print(f"{n_docs} documents in {docs}, {n_q} questions in {gold}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""How the language check (rag.text.statements.reads_as_language) judges real text and word salad.

    python -m eval.attacks.language_check --out language_check.json [--docs DIR ...]

Real text that is not the reports sets the thresholds: 1,000 news articles (the scale corpus, by
path) and the held-out QA paragraphs (XQuAD-vi's test half, UIT test_wiki), with and without
diacritics. Each sentence is judged alone and with its passage (the 800-character window that
holds it, about a chunk); a sentence judged "not language" there is a false refusal. ``--docs``
adds folders of documents to check the same way (the sample reports, say). The planted salad
variants (eval.attacks.planted) are judged the same way: every sentence that holds three of its
question's keywords should be refused.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from eval.attacks.planted import _keywords, _report_words, variants
from eval.benchmarks.squad_data import BENCH_DIR, reader_test_sources, squad_corpus
from rag.text.normalize import fold_diacritics
from rag.text.sentences import sentence_spans
from rag.text.statements import reads_as_language, word_order

PASSAGE_CHARS = 800
NEWS = BENCH_DIR / "vietnews-12k.jsonl"
NEWS_ARTICLES = range(10_000, 11_000)


def judged(texts: list[str]) -> dict:
    """How many sentences of ``texts`` are refused, alone and in their passage, and the worst ones."""
    sentences = refused_alone = refused = 0
    worst: list[tuple[float, str]] = []
    for text in texts:
        for p in range(0, len(text), PASSAGE_CHARS):
            passage = text[p : p + PASSAGE_CHARS]
            for s, e in sentence_spans(passage):
                sentence = passage[s:e]
                sentences += 1
                alone = reads_as_language(sentence)
                refused_alone += not alone
                if not (alone and reads_as_language(sentence, passage)):
                    refused += 1
                    worst.append((word_order(passage)[0], sentence[:200]))
    return {"sentences": sentences, "refused_alone": refused_alone, "refused_in_passage": refused,
            "refused_examples": [s for _, s in sorted(worst)[:10]]}


def salad(docs: Path) -> dict:
    """The planted salad variants: their sentences that carry the question's keywords, refused or not."""
    out: dict[str, list[int]] = {}
    passed: list[str] = []
    for v in variants(_report_words(docs)):
        if v.kind != "salad":
            continue
        keywords = {w.lower() for w in _keywords(v.question)}
        for p in range(0, len(v.text), PASSAGE_CHARS):
            passage = v.text[p : p + PASSAGE_CHARS]
            for s, e in sentence_spans(passage):
                sentence = passage[s:e]
                if len(keywords & {w.lower() for w in sentence.split()}) < 3:
                    continue
                row = out.setdefault(v.name, [0, 0])
                row[1] += 1
                if reads_as_language(sentence, passage):
                    passed.append(f"{v.name}: {sentence[:160]}")
                else:
                    row[0] += 1
    return {"refused": sum(r[0] for r in out.values()), "of": sum(r[1] for r in out.values()),
            "by_variant": {k: {"refused": r, "of": n} for k, (r, n) in out.items()}, "passed": passed}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reports", type=Path, default=Path("data/sample_reports"),
                        help="the reports whose words the salad variants are made of")
    parser.add_argument("--docs", type=Path, nargs="*", default=[], help="more folders of .txt documents to judge")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    news = [json.loads(line)["body"] for i, line in enumerate(NEWS.open(encoding="utf-8")) if i in NEWS_ARTICLES]
    held_out = [p.context for p in squad_corpus(reader_test_sources())]
    sets = {"news": news, "news without diacritics": [fold_diacritics(t) for t in news],
            "held-out QA paragraphs": held_out}
    for folder in [args.reports, *args.docs]:
        sets[str(folder)] = [p.read_text(encoding="utf-8") for p in sorted(folder.glob("*.txt"))]
    result = {"real_text": {name: judged(texts) for name, texts in sets.items()}, "salad": salad(args.reports)}
    args.out.write_text(json.dumps(result, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    for name, row in result["real_text"].items():
        print(f"{name}: {row['refused_in_passage']} of {row['sentences']} sentences refused "
              f"({row['refused_alone']} alone)")
    print(f"salad sentences with 3+ question keywords: {result['salad']['refused']} of {result['salad']['of']} refused")
    return 0


if __name__ == "__main__":
    sys.exit(main())

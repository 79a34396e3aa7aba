"""XQuAD (Vietnamese) through the real assistant: question → its paragraph, and the answer text.

    python -m eval.benchmarks.xquad --data ../shared/bench/xquad-vi/xquad.vi.json --out results.json \
        [--split {train,test,all}] [--limit N] [--index DIR] [--work DIR] \
        [--modes bm25 dense hybrid hybrid+rerank] [--answer-retrieval-modes MODE ...] [--rows rows.jsonl]

eval.benchmarks.squad with the name "xquad-vi" and the tag "xquad"; see there for the measures.
The file's 48 articles (240 paragraphs, 1,190 questions) split by article
(eval.benchmarks.squad_data.SPLIT_RULE): ``--split train`` is articles 0, 2, ..., 46 (120 paragraphs,
612 questions), ``--split test`` articles 1, 3, ..., 47 (120 paragraphs, 578 questions); the default
``all`` keeps every article. Since the reader is fitted on the train half (issue 17), report
``--split test``; ``all`` and ``train`` figures include questions it was fitted on.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

from eval.benchmarks import squad
from eval.benchmarks.squad_data import Part

NAME, TAG = "xquad-vi", "xquad"


def run(data: Path, index: Path, work: Path, modes: list[str], answer_retrieval_modes: list[str],
        limit: int | None = None, rows_out: list[dict[str, Any]] | None = None,
        part: Part = "all", question_form: squad.QuestionForm = "as-written") -> dict[str, Any]:
    """eval.benchmarks.squad.run under XQuAD-vi's name."""
    return squad.run(data, index, work, modes, answer_retrieval_modes, limit, rows_out, name=NAME, part=part, tag=TAG,
                     question_form=question_form)


table = squad.table


def main(argv: list[str] | None = None) -> int:
    return squad.main(argv, doc=__doc__, name=NAME, tag=TAG)


if __name__ == "__main__":
    sys.exit(main())

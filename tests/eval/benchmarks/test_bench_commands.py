"""The benchmark commands end to end on tiny corpora: real ingest, real assistant, JSON out."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from eval.benchmarks import alqac, xquad

pytestmark = pytest.mark.slow  # whole benchmarks: ingest and answer every question


def _fractions(node: object, path: str = "") -> list[tuple[str, float]]:
    """Every metric value in a result tree (rates, recalls, accuracies)."""
    names = ("hit@", "mrr@", "recall@", "exact_match", "f1", "contains_gold", "refusal_rate", "accuracy",
             "states_answer", "quotes_relevant", "cites_gold")
    out: list[tuple[str, float]] = []
    if isinstance(node, dict):
        for k, v in node.items():
            if isinstance(v, (dict, list)):
                out += _fractions(v, f"{path}.{k}")
            elif isinstance(v, float) and any(k.startswith(n) for n in names):
                out.append((f"{path}.{k}", v))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _fractions(v, f"{path}[{i}]")
    return out


@pytest.fixture(autouse=True)
def _cache_from_env() -> None:
    assert os.environ.get("BAOCAO_EMBEDDINGS__CACHE_DIR"), "tests/conftest.py sets the embedding cache"


def test_xquad_end_to_end(squad_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "xquad.json"
    rows = tmp_path / "rows.jsonl"
    code = xquad.main(["--data", str(squad_file), "--out", str(out), "--index", str(tmp_path / "index"),
                       "--modes", "bm25", "dense", "hybrid", "hybrid+rerank", "--answer-retrieval-modes", "bm25",
                       "hybrid+rerank", "--rows", str(rows)])
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["corpus"]["paragraphs"] == 3 and result["n_questions"] == 4
    assert result["data"] == str(squad_file)
    assert set(result["modes"]) == {"bm25", "dense", "hybrid", "hybrid+rerank"}
    for mode, entry in result["modes"].items():
        assert set(entry["retrieval"]) >= {"hit@1", "hit@5", "hit@10", "mrr@10"}
        assert ("answer" in entry) == (mode in ("bm25", "hybrid+rerank"))
    answer = result["modes"]["hybrid+rerank"]["answer"]
    assert set(answer) >= {"exact_match", "f1", "contains_gold", "refusal_rate"}
    values = _fractions(result)
    assert len(values) > 20 and all(0.0 <= v <= 1.0 for _, v in values), values
    # three paragraphs on different facts: the lexical search finds each question's paragraph
    assert result["modes"]["bm25"]["retrieval"]["hit@5"] == 1.0
    assert result["elapsed_s"] > 0 and result["ingest"]["indexed"] == 3
    assert len(rows.read_text(encoding="utf-8").splitlines()) == 4 * 4
    printed = capsys.readouterr().out
    assert "| mode | hit@1 | hit@5 | MRR@10 | EM | F1 |" in printed

    # a second run reuses the index: nothing is ingested again; --limit limits the questions
    code = xquad.main(["--data", str(squad_file), "--out", str(out), "--index", str(tmp_path / "index"),
                       "--modes", "bm25", "--limit", "2"])
    assert code == 0
    again = json.loads(out.read_text(encoding="utf-8"))
    assert again["ingest"]["indexed"] == 0 and again["ingest"]["unchanged"] == 3
    assert again["n_questions"] == 2 and again["corpus"]["paragraphs"] == 3


def test_alqac_end_to_end(alqac_files: tuple[Path, Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    law, questions = alqac_files
    out = tmp_path / "alqac.json"
    code = alqac.main(["--data", str(law.parent), "--out", str(out), "--index", str(tmp_path / "index")])
    assert code == 0
    result = json.loads(out.read_text(encoding="utf-8"))
    assert result["corpus"]["articles"] == 4 and result["n_questions"] == 4
    assert result["data"] == {"law": str(law), "questions": str(questions)}
    assert set(result["retrieval"]) == {"bm25", "dense", "hybrid", "hybrid+rerank"}
    for entry in result["retrieval"].values():
        assert set(entry) >= {"recall@1", "recall@5", "recall@10", "mrr@10", "by_type"}
    values = _fractions(result)
    assert len(values) > 16 and all(0.0 <= v <= 1.0 for _, v in values), values
    tf = result["answers"]["true_false"]
    assert tf["n"] == 2
    assert tf["majority_baseline"]["accuracy"] == 0.5 and tf["majority_baseline"]["tie"]
    # the extractive answerer quotes the law; it never states Đúng/Sai, so it abstains
    assert tf["extractive"]["decided"] == 0 and tf["extractive"]["abstained"] == 2
    assert result["answers"]["multiple_choice"]["majority_baseline"]["majority_label"] == "B"
    assert result["answers"]["free_text"]["n"] == 1
    assert "recall@5" in capsys.readouterr().out

    # --limit limits questions, not the corpus; the index is reused
    code = alqac.main(["--law", str(law), "--questions", str(questions), "--out", str(out),
                       "--index", str(tmp_path / "index"), "--limit", "1", "--modes", "bm25", "--answer-retrieval-mode", "none"])
    assert code == 0
    again = json.loads(out.read_text(encoding="utf-8"))
    assert again["n_questions"] == 1 and again["corpus"]["articles"] == 4 and again["answers"] is None
    assert again["ingest"]["indexed"] == 0


def test_missing_inputs_give_a_clear_error(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "absent" / "xquad.vi.json"
    assert xquad.main(["--data", str(missing), "--out", str(tmp_path / "o.json")]) == 2
    assert f"input file not found: {missing}" in capsys.readouterr().err
    folder = tmp_path / "no-alqac"
    assert alqac.main(["--data", str(folder), "--out", str(tmp_path / "o.json")]) == 2
    assert str(folder / "law.json") in capsys.readouterr().err
    assert not (tmp_path / "o.json").exists()

"""`baocao eval` end to end on the shared gold file and the bundled sample reports."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # `baocao eval` subprocesses: ingest, answer, plot

GOLD = Path(__file__).resolve().parents[2].parent / "shared" / "eval" / "gold_dev.jsonl"


def _in_unit_range(value: object) -> bool:
    return value is None or (isinstance(value, float | int) and 0.0 <= value <= 1.0)


def test_eval_writes_metrics_report_and_plots(tmp_path: Path, sample_dir: Path):
    if not GOLD.is_file():
        pytest.fail(f"{GOLD} is missing: the tests expect ../shared beside the project (as in CI)")
    out = tmp_path / "out"
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--gold", str(GOLD), "--docs", str(sample_dir), "--out", str(out),
         "--configuration", "hybrid+rerank", "--configuration", "llamaindex-baseline"],
        capture_output=True, text=True, timeout=900, env=os.environ.copy(),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    for name in ("metrics.json", "report.md", "metrics_by_config.png", "by_tag.png", "latency.png"):
        assert (out / name).is_file() and (out / name).stat().st_size > 0, name
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert [c["config"]["name"] for c in metrics["configs"]] == ["hybrid+rerank", "llamaindex-baseline"]
    for config in metrics["configs"]:
        assert set(config) >= {"n_questions", "retrieval", "answer", "refusal", "citations", "grounding",
                               "latency_ms", "by_tag", "config"}
        assert set(config["retrieval"]) == {"hit@1", "hit@5", "hit@10", "mrr@10", "ndcg@10"}
        assert set(config["answer"]) == {"all_facts", "fact_recall", "token_f1", "lead_right"}
        assert set(config["citations"]) == {"precision", "recall", "quote_mismatches", "with_page"}
        for section in ("retrieval", "answer", "refusal", "grounding"):
            assert all(_in_unit_range(v) for v in config[section].values()), (section, config[section])
        assert config["citations"]["quote_mismatches"] == 0
        assert config["latency_ms"]["p50"] > 0
    default, baseline = metrics["configs"]
    assert default["retrieval"]["hit@5"] >= baseline["retrieval"]["hit@5"]
    assert "failed questions" in (out / "report.md").read_text(encoding="utf-8")


def test_eval_builds_and_answers_with_the_settings_file_given_as_config(tmp_path: Path, sample_dir: Path):
    """``--config`` is the TOML file, as for every command: its embedding cache folder is the one used."""
    if not GOLD.is_file():
        pytest.fail(f"{GOLD} is missing: the tests expect ../shared beside the project (as in CI)")
    gold = tmp_path / "gold.jsonl"
    gold.write_text(GOLD.read_text(encoding="utf-8").splitlines()[0] + "\n", encoding="utf-8")
    cache = tmp_path / "my-cache"
    settings = tmp_path / "mine.toml"
    settings.write_text(f'[embeddings]\ncache_dir = "{cache}"\n', encoding="utf-8")
    out = tmp_path / "out"
    env = {k: v for k, v in os.environ.items() if k != "BAOCAO_EMBEDDINGS__CACHE_DIR"}  # would win over the file
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--gold", str(gold), "--docs", str(sample_dir), "--out", str(out),
         "--configuration", "bm25", "--config", str(settings)],
        capture_output=True, text=True, timeout=900, env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert (cache / "embeddings.sqlite3").is_file()
    metrics = json.loads((out / "metrics.json").read_text(encoding="utf-8"))
    assert metrics["config"]["name"] == "bm25" and metrics["n_questions"] == 1


def test_eval_config_naming_a_retrieval_configuration_points_to_configuration(tmp_path: Path, sample_dir: Path):
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--gold", str(tmp_path / "g.jsonl"), "--docs", str(sample_dir),
         "--out", str(tmp_path / "o"), "--config", "bm25"], capture_output=True, text=True, timeout=300,
        env=os.environ.copy(),
    )
    assert result.returncode == 1 and "--configuration bm25" in result.stderr and "Traceback" not in result.stderr


def test_eval_names_a_missing_gold_file(tmp_path: Path, sample_dir: Path):
    result = subprocess.run(
        [sys.executable, "-m", "rag.cli", "eval", "--gold", str(tmp_path / "none.jsonl"), "--docs", str(sample_dir),
         "--out", str(tmp_path / "o")], capture_output=True, text=True, timeout=300, env=os.environ.copy(),
    )
    assert result.returncode == 1 and "none.jsonl" in result.stderr

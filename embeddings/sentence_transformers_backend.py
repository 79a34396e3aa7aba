"""Any sentence-transformers model, by hub name (already in the local HF cache) or local path.

Loading is lazy and strictly offline (``local_files_only=True``): baocao never downloads.
Query/passage asymmetry: if the model ships its own non-empty ``prompts`` (sentence-transformers
config), ``encode_query``/``encode_document`` apply them; otherwise the family prefixes from
:func:`embeddings.base.family_prefixes` are used (e5, bge; none for gte, bge-m3 and others).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import numpy as np
from pydantic import PrivateAttr

from embeddings.base import LOCAL_COMPUTE_LOCK, Embedder, EmbeddingError, Kind, family_prefixes
from embeddings.compute import cap_torch_threads, local_threads, run_locked
from rag.offline import stay_offline

logger = logging.getLogger(__name__)

_DOCUMENT_PROMPT_NAMES = ("document", "passage", "corpus")


def _resolve_model(name_or_path: str) -> str:
    """Absolute path for an existing local directory (so ``./m`` and ``/abs/m`` agree), else the name."""
    p = Path(name_or_path).expanduser()
    if p.exists():
        return str(p.resolve())
    return name_or_path


def _has_own_prompts(model: Any) -> bool:
    """True if the model config defines a non-empty query or document prompt."""
    prompts = getattr(model, "prompts", None) or {}
    names = ("query", *_DOCUMENT_PROMPT_NAMES)
    return any(prompts.get(n) for n in names)


class SentenceTransformerEmbedder(Embedder):
    """Local sentence-transformers model on CPU; rows normalised by the model (and again by the base)."""

    _model: Any = PrivateAttr(default=None)
    _load_lock: Any = PrivateAttr(default_factory=threading.Lock)
    _name_or_path: str = PrivateAttr()
    _device: str = PrivateAttr(default="cpu")
    _threads: int = PrivateAttr(default=1)
    _use_model_prompts: bool = PrivateAttr(default=False)

    def __init__(self, *args: Any, device: str = "cpu", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._name_or_path = _resolve_model(self.settings.model)
        self._device = device
        self._threads = local_threads(self.settings.threads)

    @classmethod
    def class_name(cls) -> str:
        return "BaocaoSentenceTransformerEmbedding"

    @property
    def model_id(self) -> str:
        return f"st:{self._name_or_path}"

    @property
    def prefixes(self) -> tuple[str, str]:
        """``(query_prefix, passage_prefix)`` applied when the model has no prompts of its own."""
        return family_prefixes(self._name_or_path)

    def _get_model(self) -> Any:
        if self._model is not None:
            return self._model
        with self._load_lock:
            if self._model is None:
                self._model = self._load()
        return self._model

    def _load(self) -> Any:
        stay_offline()
        try:
            cap_torch_threads(self._threads)  # imports torch, after OpenMP's settings are in place
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - depends on the environment
            raise ImportError(
                "the 'sentence-transformers' embedding backend needs the package 'sentence-transformers' "
                "(pip install sentence-transformers)"
            ) from exc
        logger.info("loading sentence-transformers model %s (offline)", self._name_or_path)
        try:
            model = SentenceTransformer(self._name_or_path, device=self._device, local_files_only=True)
        except (OSError, ValueError) as exc:
            raise EmbeddingError(
                f"sentence-transformers model {self._name_or_path!r} is not available offline: give a "
                f"local directory or a model already in the Hugging Face cache ({exc})"
            ) from exc
        self._use_model_prompts = _has_own_prompts(model)
        if self._use_model_prompts:
            logger.info("%s: using the model's own prompts %s", self.model_id, model.prompts)
        return model

    def _probe_dim(self) -> int:
        dim = self._get_model().get_embedding_dimension()
        return int(dim) if dim else super()._probe_dim()

    def _compute(self, texts: list[str], kind: Kind) -> np.ndarray:
        model = self._get_model()
        opts: dict[str, Any] = {
            "normalize_embeddings": True, "convert_to_numpy": True, "show_progress_bar": False,
        }

        def run(batch: list[str]) -> Any:
            opts["batch_size"] = len(batch)
            if self._use_model_prompts:
                encode = model.encode_query if kind == "query" else model.encode_document
                return encode(batch, **opts)
            query_prefix, passage_prefix = self.prefixes
            prefix = query_prefix if kind == "query" else passage_prefix
            return model.encode(batch, prompt=prefix or None, **opts)

        return run_locked(LOCAL_COMPUTE_LOCK, run, texts, urgent=kind == "query", threads=self._threads)

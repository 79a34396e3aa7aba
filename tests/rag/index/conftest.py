"""Fixtures of the index tests: a real `chroma run` server on loopback."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def chroma_run(free_port, serving) -> Callable[..., AbstractContextManager[str]]:
    """``with chroma_run(data_dir, env=None) as url:`` runs chromadb's `chroma run` for the block."""
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI is installed with chromadb"

    @contextmanager
    def running(data: Path, env: dict[str, str] | None = None) -> Iterator[str]:
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        command = [chroma, "run", "--path", str(data), "--host", "127.0.0.1", "--port", str(port)]
        with serving(command, f"{url}/api/v2/heartbeat", "chroma run", env=env):
            yield url

    return running

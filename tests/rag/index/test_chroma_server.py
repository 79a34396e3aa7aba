"""Chroma in server mode: a real `chroma run` on loopback, ingested into over HTTP."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from rag.config import Settings
from rag.index.store import IndexStore
from rag.ingest.pipeline import Ingestor
from rag.retrieve.hybrid import Searcher


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def chroma_server(tmp_path: Path):
    chroma = shutil.which("chroma", path=str(Path(sys.executable).parent))
    assert chroma, "the chroma CLI is installed with chromadb"
    port = _free_port()
    proc = subprocess.Popen(
        [chroma, "run", "--path", str(tmp_path / "server-data"), "--host", "127.0.0.1", "--port", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "chroma server exited"
            assert time.monotonic() < deadline, "chroma server did not start"
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_ingest_into_a_chroma_server_and_search_it(chroma_server: str, tmp_path: Path, sample_dir: Path, embedder):
    settings = Settings(index={"dir": tmp_path / "index", "chroma_url": chroma_server})
    report = Ingestor(settings, embedder=embedder).run([sample_dir], progress=False)
    assert len(report.indexed) == 5
    assert not (tmp_path / "index" / "chroma").exists()  # vectors went to the server, not to disk
    store = IndexStore(settings.index.dir, settings)
    assert store.chroma.all_ids() == store.manifest.chunk_ids()
    hits = Searcher.open(settings.index.dir, settings).search("thu ngân sách năm 2021", k=5, mode="dense")
    assert hits and all(h.doc.endswith(".txt") for h in hits)

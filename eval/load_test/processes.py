"""The real processes a load test drives: ``baocao ui`` serving an index, ``baocao ingest`` writing to it."""

from __future__ import annotations

import contextlib
import logging
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from rag.offline import OFFLINE_ENV

logger = logging.getLogger(__name__)

BAOCAO = [sys.executable, "-m", "rag.cli"]


class ServerFailed(RuntimeError):
    """The page server exited or did not start answering in time."""


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def child_env(overrides: Mapping[str, str] | None = None) -> dict[str, str]:
    """This process's environment, offline, plus ``overrides``."""
    env = {
        **os.environ,
        **OFFLINE_ENV,
    }
    env.update(overrides or {})
    return env


@contextlib.contextmanager
def serve_ui(
    index: Path, port: int, env: Mapping[str, str] | None = None, start_timeout_s: float = 120.0
) -> Iterator[str]:
    """Run ``baocao ui --index INDEX --port PORT`` on 127.0.0.1 until its page answers; yield its URL.

    Its output goes to a temporary file (a chatty server would block on a full pipe) and is
    logged if it fails to start. The server is stopped when the block ends.
    """
    url = f"http://127.0.0.1:{port}"
    command = [*BAOCAO, "ui", "--index", str(index), "--host", "127.0.0.1", "--port", str(port)]
    with tempfile.TemporaryFile() as log:
        proc = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, env=child_env(env))
        try:
            _wait_until_up(proc, url, start_timeout_s, log)
            logger.info("page server up at %s (pid %d)", url, proc.pid)
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)


def _wait_until_up(
    proc: subprocess.Popen, url: str, timeout_s: float, log: tempfile._TemporaryFileWrapper
) -> None:
    deadline = time.monotonic() + timeout_s
    while True:
        if proc.poll() is not None:
            log.seek(0)
            raise ServerFailed(
                f"baocao ui exited with {proc.returncode}:\n{log.read().decode(errors='replace')[-3000:]}"
            )
        try:
            if httpx.get(f"{url}/config", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise ServerFailed(f"baocao ui did not answer {url} within {timeout_s:.0f} s")
        time.sleep(0.3)


@dataclass(frozen=True)
class IngestRun:
    """One ``baocao ingest`` process: its exit code, wall time and last output lines."""

    returncode: int
    seconds: float
    output: str


def ingest_cli(
    paths: Sequence[Path], index: Path, env: Mapping[str, str] | None = None, timeout_s: float = 300.0
) -> IngestRun:
    """Run ``baocao ingest PATHS --index INDEX -q`` in its own process and wait for it."""
    started = time.perf_counter()
    done = subprocess.run(
        [*BAOCAO, "ingest", *map(str, paths), "--index", str(index), "-q"],
        capture_output=True,
        text=True,
        env=child_env(env),
        timeout=timeout_s,
        check=False,
    )
    output = (done.stdout + done.stderr).strip().splitlines()
    return IngestRun(done.returncode, time.perf_counter() - started, "\n".join(output[-6:]))

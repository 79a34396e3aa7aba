"""Where the server of an index listens, and when a client's settings are the server's."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.config import Settings
from rag.serve.address import UnsafeRuntimeDir, ensure_runtime_dir, settings_fingerprint, socket_path


@pytest.fixture(autouse=True)
def _runtime(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    return tmp_path


def test_one_index_has_one_socket_however_its_path_is_written(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    assert (
        socket_path(Path("idx"))
        == socket_path(tmp_path / "idx")
        == socket_path(tmp_path / "a" / ".." / "idx")
    )
    assert socket_path(tmp_path / "idx") != socket_path(tmp_path / "other")
    assert len(str(socket_path(tmp_path / ("x" * 300)))) < len(str(tmp_path)) + 40  # Unix sockets: ~100 bytes


def test_the_socket_folder_is_made_private_and_a_folder_others_may_write_in_is_refused(_runtime: Path):
    folder = ensure_runtime_dir()
    assert folder.stat().st_mode & 0o777 == 0o700
    os.chmod(folder, 0o777)
    with pytest.raises(UnsafeRuntimeDir):
        ensure_runtime_dir()


def test_the_fingerprint_follows_answering_settings_only_and_paths_as_absolute(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    monkeypatch.chdir(tmp_path)
    base = settings_fingerprint(Settings(index={"dir": "idx"}))
    assert settings_fingerprint(Settings(index={"dir": tmp_path / "idx"})) == base
    assert settings_fingerprint(Settings(index={"dir": "idx"}, log_level="INFO", ui={"port": 9000})) == base
    assert settings_fingerprint(Settings(index={"dir": "idx"}, retrieval={"candidates": 7})) != base
    assert settings_fingerprint(Settings(index={"dir": "idx"}, answer={"mode": "openai"})) != base

"""The test session never reads the settings of the user who runs it (tests/conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.config import Settings


def test_a_baocao_toml_in_the_working_folder_does_not_reach_the_tests(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "baocao.toml").write_text("[answer]\ntop_passages = 17\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    assert Settings().answer.top_passages != 17


def test_no_baocao_variable_of_the_users_shell_is_left_but_the_tests_own():
    left = {k for k in os.environ if k.startswith("BAOCAO_")}
    assert left <= {"BAOCAO_CONFIG", "BAOCAO_EMBEDDINGS__CACHE_DIR"}
    assert Path(os.environ["BAOCAO_CONFIG"]).read_text(encoding="utf-8").lstrip().startswith("#")

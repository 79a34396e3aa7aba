from __future__ import annotations

import os
import threading
from pathlib import Path
from typing import get_args

import pytest

from rag.config import AnswerMode, Settings, load_settings


def test_load_settings_reads_the_given_toml_file(tmp_path: Path):
    config = tmp_path / "baocao.toml"
    config.write_text("[answer]\ntop_passages = 7\n", encoding="utf-8")
    assert load_settings(config).answer.top_passages == 7
    assert load_settings(config, log_level="INFO").log_level == "INFO"


def test_the_llm_section_and_the_fusion_weights_come_from_the_toml_file_and_baocao_env_vars(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    config = tmp_path / "baocao.toml"
    config.write_text('[answer]\nmode = "gguf"\n[llm]\ngguf_path = "/models/m.gguf"\nmax_tokens = 99\n'
                      "[retrieval]\nw_dense = 0.9\nw_bm25_folded_unaccented = 0.8\n", encoding="utf-8")
    monkeypatch.setenv("BAOCAO_LLM__TIMEOUT_S", "7")
    monkeypatch.setenv("BAOCAO_RETRIEVAL__W_BM25", "0.5")
    settings = load_settings(config)
    assert settings.answer.mode == "gguf"
    assert (str(settings.llm.gguf_path), settings.llm.max_tokens, settings.llm.timeout_s) == ("/models/m.gguf", 99, 7)
    assert (settings.retrieval.w_dense, settings.retrieval.w_bm25, settings.retrieval.w_bm25_folded_unaccented) == (
        0.9, 0.5, 0.8)
    with pytest.raises(ValueError, match="backend"):
        Settings(llm={"backend": "openai"})  # the answer mode is answer.mode, said once


def test_the_answer_modes_are_one_alias_that_answer_mode_is_typed_with():
    assert get_args(AnswerMode) == ("extractive", "openai", "gguf")
    assert Settings.model_fields["answer"].annotation.model_fields["mode"].annotation == AnswerMode
    with pytest.raises(ValueError, match="extractive"):
        Settings(answer={"mode": "cloud"})


def test_a_missing_config_file_is_named():
    with pytest.raises(FileNotFoundError, match="nope.toml"):
        load_settings("nope.toml")


def test_loading_a_config_file_leaves_the_environment_and_other_threads_alone(tmp_path: Path):
    """load_settings once swapped os.environ["BAOCAO_CONFIG"]: another thread building Settings
    meanwhile read the other file."""
    config = tmp_path / "baocao.toml"
    config.write_text("[answer]\ntop_passages = 7\n", encoding="utf-8")
    before = os.environ.get("BAOCAO_CONFIG")
    seen: list[int] = []
    started, release = threading.Event(), threading.Event()

    class Slow(Settings):
        def __init__(self, **kwargs: object) -> None:
            started.set()
            release.wait(5)
            super().__init__(**kwargs)

    from rag import config as config_module

    def other_thread() -> None:
        started.wait(5)
        seen.append(Settings().answer.top_passages)
        release.set()

    worker = threading.Thread(target=other_thread)
    worker.start()
    original = config_module.Settings
    config_module.Settings = Slow  # type: ignore[misc]
    try:
        assert load_settings(config).answer.top_passages == 7
    finally:
        config_module.Settings = original  # type: ignore[misc]
        worker.join()
    assert seen == [Settings().answer.top_passages] and seen[0] != 7
    assert os.environ.get("BAOCAO_CONFIG") == before

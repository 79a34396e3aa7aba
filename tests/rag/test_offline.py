"""The offline environment is defined once (rag/offline.py) and set without overriding the user."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from rag.offline import OFFLINE_ENV, stay_offline

ROOT = Path(__file__).resolve().parents[2]


def test_stay_offline_sets_every_missing_variable_and_keeps_the_users_own(monkeypatch: pytest.MonkeyPatch):
    for name in OFFLINE_ENV:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("ANONYMIZED_TELEMETRY", "True")
    stay_offline()
    assert os.environ["HF_HUB_OFFLINE"] == "1" and os.environ["TRANSFORMERS_OFFLINE"] == "1"
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert os.environ["ANONYMIZED_TELEMETRY"] == "True"


def test_no_module_but_rag_offline_spells_out_the_hub_variable():
    spelled = [
        str(path.relative_to(ROOT))
        for folder in ("rag", "ui", "eval", "embeddings")
        for path in (ROOT / folder).rglob("*.py")
        if "HF_HUB_OFFLINE" in path.read_text(encoding="utf-8")
    ]
    assert spelled == ["rag/offline.py"]

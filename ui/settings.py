"""Settings of the web page, shaped as a ``Settings`` section (``[ui]`` / ``BAOCAO_UI__*``).

Defined here until ``rag.config.Settings`` gains a ``ui`` field; :func:`ui_settings` prefers that
field when it exists, so moving the model there changes nothing for callers.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from rag.config import IngestSettings, Settings


class UISettings(BaseModel):
    """Where the page listens, where uploads go, and what may be uploaded."""

    model_config = ConfigDict(extra="forbid")

    host: str = Field(default="127.0.0.1", description="loopback by default; another address needs auth")
    port: int = Field(default=7860, ge=0, le=65535, description="0 = any free port")
    upload_dir: Path = Field(default=Path(".baocao/uploads"), description="uploaded files are kept here")
    max_upload_mb: float = Field(default=50.0, gt=0, description="larger uploads are refused")
    allowed_extensions: tuple[str, ...] = IngestSettings().extensions
    auth: str | None = Field(
        default=None, description="'user:password' or '@/path/to/file' with one user:password a line"
    )
    concurrency: int = Field(default=2, gt=0, description="questions answered at the same time")


def ui_settings(settings: Settings) -> UISettings:
    """The ``ui`` section of ``settings``, or one read from ``BAOCAO_UI__<FIELD>`` variables."""
    section = getattr(settings, "ui", None)
    if isinstance(section, BaseModel):
        return UISettings.model_validate(section.model_dump())
    values: dict[str, Any] = {}
    for name in UISettings.model_fields:
        raw = os.environ.get(f"BAOCAO_UI__{name.upper()}")
        if raw is not None:
            values[name] = raw.split(",") if name == "allowed_extensions" else raw
    return UISettings.model_validate(values)

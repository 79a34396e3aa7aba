"""Nothing baocao runs reaches for the network: every model ships inside an installed package.

Hugging Face libraries look for newer files on the hub unless told not to, Chroma sends telemetry
and Gradio checks its version and sends analytics. One definition of the environment that stops
all four, set by every entry point before those libraries are imported and passed to every child
process baocao starts.
"""

from __future__ import annotations

import os

OFFLINE_ENV: dict[str, str] = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "ANONYMIZED_TELEMETRY": "False",
    "GRADIO_ANALYTICS_ENABLED": "False",
}


def stay_offline() -> None:
    """Set :data:`OFFLINE_ENV` in this process where the user has not set a variable otherwise."""
    for name, value in OFFLINE_ENV.items():
        os.environ.setdefault(name, value)

"""A small tmpfs for tests that need a disk that really fills or a folder that is really read-only.

Mounting needs root: where it is refused, the test skips with the reason the system gave.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest


@contextlib.contextmanager
def tmpfs(mountpoint: Path, size: str, mode: str = "755") -> Iterator[Path]:
    """Mount a tmpfs of ``size`` ("16m") at ``mountpoint`` for the block; lazily unmounted after."""
    mountpoint.mkdir(parents=True, exist_ok=True)
    command = ["mount", "-t", "tmpfs", "-o", f"size={size},mode={mode}", "tmpfs", str(mountpoint)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.strip()}")
    try:
        yield mountpoint
    finally:
        subprocess.run(["umount", "-l", str(mountpoint)], check=False)

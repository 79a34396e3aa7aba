"""Reading this process's memory figures from /proc/self/status."""

from __future__ import annotations

import sys

import pytest

from rag.proc_status import proc_status_kib


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc/self/status is Linux's")
def test_memory_fields_are_read_in_kib_and_the_peak_is_at_least_the_current_size() -> None:
    rss, peak, mapped = (proc_status_kib(f) for f in ("VmRSS", "VmHWM", "VmSize"))
    assert rss is not None and peak is not None and mapped is not None
    assert 10_000 < rss <= peak <= mapped  # a Python process holds more than 10 MiB


def test_a_field_the_kernel_does_not_report_is_none() -> None:
    assert proc_status_kib("NoSuchField") is None

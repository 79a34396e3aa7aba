"""Per-call stage timings, recorded only when someone is listening.

Deep code marks its stages with ``with stage("bm25"): ...``; a caller that wants the split wraps a
call in ``with recording() as times: ...`` and reads ``times.ms``. Without an active recording a
stage costs one context-variable lookup. The recording lives in a ``ContextVar``, so threads (and
asyncio tasks) that answer concurrently each see only their own stages.

A generator must not hold a recording across a ``yield``: its consumer runs in between, and may
resume it in another context (a web server's worker thread). It records each stretch between
yields into one :class:`StageTimes` (``with recording(times): ...``) and times a stretch that
spans yields with ``times.stage(name)``, which needs no context variable.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field


@dataclass
class StageTimes:
    """Milliseconds per stage name; a stage entered twice in one call adds up."""

    ms: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, ms: float) -> None:
        self.ms[name] = self.ms.get(name, 0.0) + ms

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        """Time the block as stage ``name`` of this record, whoever listens (it may span yields)."""
        start = time.perf_counter()
        try:
            yield
        finally:
            self.add(name, (time.perf_counter() - start) * 1000)


_current: ContextVar[StageTimes | None] = ContextVar("baocao_stage_times", default=None)


@contextmanager
def recording(times: StageTimes | None = None) -> Iterator[StageTimes]:
    """Collect the stages run inside the block into ``times`` (default: a new record); a nested
    recording takes them over while it lasts."""
    times = StageTimes() if times is None else times
    token = _current.set(times)
    try:
        yield times
    finally:
        _current.reset(token)


@contextmanager
def stage(name: str) -> Iterator[None]:
    """Time the block as stage ``name`` when a recording is active; otherwise do nothing."""
    times = _current.get()
    if times is None:
        yield
        return
    with times.stage(name):
        yield

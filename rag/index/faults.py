"""Test hook: named crash points in the ingest and index-writing code.

The fault tests (tests/rag/ingest/test_ingest_killed.py and friends) set
``BAOCAO_FAULT=name[:nth[:action]]`` on a ``baocao ingest`` subprocess to make it fail at an exact
step instead of at a random moment. ``action`` is ``kill`` (default: SIGKILL, like a power cut),
``enospc`` (raise ``OSError(ENOSPC)``, like a full disk) or ``stop`` (SIGSTOP, so a test can hold
the index lock for as long as it likes). The variable is read once at import; without it
:func:`fault_point` is one comparison and a return, so the calls stay in production code.
"""

from __future__ import annotations

import errno
import os
import signal
from dataclasses import dataclass

ENV_VAR = "BAOCAO_FAULT"
ACTIONS = ("kill", "enospc", "stop")


@dataclass
class _Fault:
    name: str
    nth: int
    action: str
    hits: int = 0


def _parse(spec: str | None) -> _Fault | None:
    if not spec:
        return None
    name, _, rest = spec.partition(":")
    nth, _, action = rest.partition(":")
    action = action or "kill"
    if action not in ACTIONS:
        raise ValueError(f"{ENV_VAR}={spec!r}: action must be one of {', '.join(ACTIONS)}")
    return _Fault(name, int(nth or 1), action)


_FAULT = _parse(os.environ.get(ENV_VAR))


def fault_point(name: str) -> None:
    """Fail here if ``$BAOCAO_FAULT`` names this point and this is its nth hit; else do nothing."""
    fault = _FAULT
    if fault is None or fault.name != name:
        return
    fault.hits += 1
    if fault.hits != fault.nth:
        return
    # Written straight to fd 2: it must reach the test before the process dies, unbuffered.
    os.write(2, f"{ENV_VAR}: {fault.action} at {name}:{fault.nth}\n".encode())
    if fault.action == "enospc":
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), f"<{ENV_VAR} {name}>")
    os.kill(os.getpid(), signal.SIGSTOP if fault.action == "stop" else signal.SIGKILL)

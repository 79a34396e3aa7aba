"""One field of ``/proc/self/status``: the memory figures Linux keeps per program.

Written by hand because neither the standard library nor a dependency reads them without psutil;
``resource.getrusage`` has no current size and its ``ru_maxrss`` survives ``fork`` and ``execve``.
"""

from __future__ import annotations


def proc_status_kib(field: str) -> int | None:
    """``field`` (``VmSize``, ``VmRSS``, ``VmHWM``, ...) in KiB, or None where /proc does not say."""
    prefix = field.encode("ascii") + b":"
    try:
        with open("/proc/self/status", "rb") as handle:
            for line in handle:
                if line.startswith(prefix):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        pass
    return None

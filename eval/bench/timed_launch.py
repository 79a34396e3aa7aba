"""Run one command; write its wall time, exit code and its own peak memory as JSON.

    python -S eval/bench/timed_launch.py RESULT.json -- COMMAND ARGS...

Why a launcher: Linux's ``ru_maxrss`` of a child keeps its parent's peak across ``fork`` and
``execve`` (eval/bench/measure.peak_rss_mb), so a 40 MB client started by a 100 MB bench would
report 100 MB. This parent is a bare interpreter (standard library only, run with ``-S``), so the
figure is the command's. The clock runs from the fork to the child's exit: what a user waits for.
"""

from __future__ import annotations

import json
import os
import sys
import time


def main() -> int:
    if len(sys.argv) < 4 or sys.argv[2] != "--":
        print("usage: timed_launch.py RESULT.json -- COMMAND [ARGS...]", file=sys.stderr)
        return 2
    result, command = sys.argv[1], sys.argv[3:]
    start = time.perf_counter()
    pid = os.fork()
    if pid == 0:  # the child: become the command
        try:
            os.execvp(command[0], command)
        finally:
            os._exit(127)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter() - start
    with open(result, "w", encoding="utf-8") as f:
        json.dump(
            {
                "wall_s": round(wall, 3),
                "max_rss_mb": round(usage.ru_maxrss / 1024, 1),
                "returncode": os.waitstatus_to_exitcode(status),
            },
            f,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The per-file worker: results come back whole, and a parser that loops, eats memory, crashes or
raises costs one refusal with a reason, never the ingest, never a stray process."""

from __future__ import annotations

import faulthandler
import os
import resource
import signal
import time
from pathlib import Path

import pytest

from rag.config import Settings
from rag.ingest.loaders import LoadError
from rag.ingest.parse import SourceFile, parse_file
from rag.ingest.sandbox import ParsePool, run_bounded
from tests.rag.ingest.fixtures_build import REPORT_TEXT

LIMITS = {"timeout_s": 5.0, "memory_mb": 256}


def _add(a: int, b: int) -> int:
    return a + b


def _refuse() -> None:
    raise LoadError("tệp hỏng (broken file)")


def _spin_forever(pid_file: Path) -> None:
    pid_file.write_text(str(os.getpid()))
    while True:
        pass


def _eat_memory() -> list[bytearray]:
    return [bytearray(64 * 1024 * 1024) for _ in range(1000)]  # 64 GB, far over any budget


def _crash() -> None:
    faulthandler.disable()  # pytest's dump of the crash is noise here
    os.kill(os.getpid(), signal.SIGSEGV)


def _bug() -> None:
    raise KeyError("no such key")


def test_the_result_comes_back_from_the_worker():
    assert run_bounded(_add, 2, 3, **LIMITS) == 5


def test_a_result_larger_than_the_pipe_buffer_comes_back_whole():
    text = run_bounded(str.__mul__, "ngân sách ", 3_000_000, **LIMITS)
    assert len(text) == 30_000_000


def test_a_load_error_keeps_its_reason():
    with pytest.raises(LoadError, match=r"^tệp hỏng \(broken file\)$"):
        run_bounded(_refuse, **LIMITS)


def test_a_parser_stuck_in_a_loop_is_killed_at_the_deadline(tmp_path: Path):
    pid_file = tmp_path / "pid"
    started = time.monotonic()
    with pytest.raises(LoadError, match="took too long"):
        run_bounded(_spin_forever, pid_file, timeout_s=1.0, memory_mb=256)
    assert time.monotonic() - started < 5
    with pytest.raises(ProcessLookupError):  # killed and reaped: no stray process, no zombie
        os.kill(int(pid_file.read_text()), 0)


def test_a_parser_eating_memory_is_refused_at_the_memory_limit():
    started = time.monotonic()
    with pytest.raises(LoadError, match="memory limit"):
        run_bounded(_eat_memory, **LIMITS)
    assert time.monotonic() - started < 5


def test_a_crashing_parser_is_reported_with_its_signal():
    with pytest.raises(LoadError, match=f"parser crashed: signal {int(signal.SIGSEGV)}"):
        run_bounded(_crash, **LIMITS)


def test_an_unexpected_exception_is_this_files_problem_not_the_ingests():
    with pytest.raises(LoadError, match="unexpected error: KeyError"):
        run_bounded(_bug, **LIMITS)


def test_isolated_and_in_process_parsing_give_the_same_document(tmp_path: Path):
    path = tmp_path / "bao-cao.txt"
    path.write_text(REPORT_TEXT, encoding="utf-8")
    source, data = SourceFile("bao-cao.txt", path), path.read_bytes()
    isolated_doc, isolated_nodes = parse_file(source, data, Settings())
    local_doc, local_nodes = parse_file(source, data, Settings(ingest={"isolate": False}))
    assert isolated_doc == local_doc
    assert [n.id_ for n in isolated_nodes] == [n.id_ for n in local_nodes]
    assert [n.text for n in isolated_nodes] == [n.text for n in local_nodes]


def _cpu_allowance() -> float:
    """Soft CPU limit minus the CPU seconds this process has used."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return resource.getrlimit(resource.RLIMIT_CPU)[0] - (usage.ru_utime + usage.ru_stime)


def _spend_cpu(seconds: float) -> float:
    end = time.process_time() + seconds
    while time.process_time() < end:
        pass
    return _cpu_allowance()


def _hold_memory(mb: int) -> int:
    global _HELD
    _HELD = bytearray(mb * 1024 * 1024)  # stays mapped in the worker after the file
    return os.getpid()


_HELD = bytearray()


def test_the_worker_has_a_cpu_limit_for_when_the_parent_dies_and_drops_no_core_files():
    assert 6 <= run_bounded(_cpu_allowance, timeout_s=5.0, memory_mb=256) <= 7
    assert run_bounded(resource.getrlimit, resource.RLIMIT_CORE, **LIMITS)[0] == 0


@pytest.mark.slow  # spends 4.5 CPU seconds on purpose
def test_one_worker_parses_many_files_and_each_file_gets_the_whole_cpu_allowance():
    # CPU seconds, not wall-clock: a deadline far above the 1.5 CPU seconds each file spends, so a
    # busy machine cannot fail it. Had the limit not been reset for each file, the third file would
    # be left with 31 - 4.5 s; reset, each file starts with the whole 31 s less what it spent.
    with ParsePool(timeout_s=30.0, memory_mb=256) as pool:
        pids = {pool.run(os.getpid) for _ in range(20)}
        allowances = [pool.run(_spend_cpu, 1.5) for _ in range(3)]
    assert len(pids) == 1
    assert all(a >= 28.0 for a in allowances), allowances


def test_the_memory_allowance_counts_from_each_files_start():
    with ParsePool(timeout_s=5.0, memory_mb=256) as pool:
        first = pool.run(_hold_memory, 200)
        assert pool.run(_hold_memory, 200) == first  # 400 MB held in one worker, 200 MB over each start


def test_after_a_file_is_killed_the_next_file_gets_a_new_worker(tmp_path: Path):
    with ParsePool(timeout_s=1.0, memory_mb=256) as pool:
        with pytest.raises(LoadError, match="took too long"):
            pool.run(_spin_forever, tmp_path / "pid")
        assert pool.run(_add, 2, 3) == 5
        with pytest.raises(LoadError, match="memory limit"):
            pool.run(_eat_memory)
        assert pool.run(_add, 4, 5) == 9


def _stall_first_worker(marker: Path) -> None:
    """An initializer that hangs the first worker before it takes up any file, the way a worker
    forked from a busy process was seen to hang in CPython's after-fork clean-up."""
    if not marker.exists():
        marker.write_text("stalled")
        while True:
            time.sleep(0.5)


def test_a_worker_that_never_starts_is_replaced_and_the_files_sent_to_it_are_parsed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import rag.ingest.sandbox as sandbox

    monkeypatch.setattr(sandbox, "START_GRACE_S", 1.0)
    monkeypatch.setattr(sandbox, "_start_worker", lambda: _stall_first_worker(tmp_path / "marker"))
    with ParsePool(timeout_s=1.0, memory_mb=256) as pool:
        first, ahead = pool.submit(_add, 2, 3), pool.submit(_add, 4, 5)
        assert first() == 5 and ahead() == 9  # "ahead" was stopped with the stalled worker, then sent again
    assert (tmp_path / "marker").exists()


def test_a_file_whose_worker_never_starts_twice_is_refused_with_the_reason(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    import rag.ingest.sandbox as sandbox

    def stall() -> None:
        while True:
            time.sleep(0.5)

    monkeypatch.setattr(sandbox, "START_GRACE_S", 1.0)
    monkeypatch.setattr(sandbox, "_start_worker", stall)
    with ParsePool(timeout_s=1.0, memory_mb=256) as pool:
        with pytest.raises(LoadError, match="did not start"):
            pool.run(_add, 2, 3)

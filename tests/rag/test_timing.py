"""Stage timings: free without a listener, per call and per thread with one."""

from __future__ import annotations

import contextvars
import threading
import time

from rag.timing import StageTimes, recording, stage


def test_a_stage_without_a_recording_records_nothing_and_runs_its_block():
    ran = []
    with stage("bm25"):
        ran.append(1)
    assert ran == [1]


def test_stages_add_up_per_name_and_stay_within_the_recording():
    with recording() as outer:
        with stage("bm25"):
            time.sleep(0.002)
        with stage("bm25"):
            time.sleep(0.002)
        with stage("fuse"):
            pass
    assert set(outer.ms) == {"bm25", "fuse"}
    assert outer.ms["bm25"] >= 3.5
    with stage("bm25"):  # after the block nothing listens any more
        pass
    assert outer.ms["bm25"] < 1000


def test_a_nested_recording_takes_the_stages_while_it_lasts():
    with recording() as outer:
        with recording() as inner:
            with stage("rerank"):
                pass
        with stage("answer"):
            pass
    assert set(inner.ms) == {"rerank"} and set(outer.ms) == {"answer"}


def test_a_stage_raising_is_still_timed():
    with recording() as times:
        try:
            with stage("embed_query"):
                raise ValueError
        except ValueError:
            pass
    assert "embed_query" in times.ms


def test_threads_record_only_their_own_stages():
    seen: dict[str, set[str]] = {}
    barrier = threading.Barrier(2)

    def worker(name: str) -> None:
        with recording() as times:
            barrier.wait()
            with stage(name):
                time.sleep(0.001)
            barrier.wait()
        seen[name] = set(times.ms)

    threads = [threading.Thread(target=worker, args=(n,)) for n in ("bm25", "dense_search")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert seen == {"bm25": {"bm25"}, "dense_search": {"dense_search"}}


def test_a_generator_resumed_in_other_contexts_records_each_stretch_and_the_span_across_its_yields():
    """A web server resumes a streaming answer in a fresh copy of its context at each piece: a
    recording held across a yield would be lost (and its reset refused); one StageTimes is not."""
    times = StageTimes()

    def answer_in_pieces():
        with times.stage("total"):
            for name in ("understand", "retrieve"):
                with recording(times), stage(name):
                    time.sleep(0.001)
                yield name

    pieces = answer_in_pieces()
    seen = []
    while (piece := contextvars.copy_context().run(next, pieces, None)) is not None:
        seen.append(piece)
        with stage("consumer"):  # the consumer's own stages are not the generator's
            pass
    assert seen == ["understand", "retrieve"]
    assert set(times.ms) == {"understand", "retrieve", "total"}
    assert times.ms["total"] >= times.ms["understand"] + times.ms["retrieve"]

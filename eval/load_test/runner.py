"""Many chat sessions at once against a served index while an ingest adds documents to it.

Each session is one browser tab (:class:`~eval.load_test.page_client.PageSession`) asking the
sample questions in turn; a new report's question joins the list once its ingest has finished,
and every session asks it next, so the report shows whether the server picked the document up.
Everything is bounded: no question starts after ``duration_s`` (or after ``hard_limit_s`` while an
ingest is still running), each session asks at most ``max_questions``, and each request times out.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from eval.load_test.page_client import PageConfig, PageSession
from eval.load_test.processes import ingest_cli
from eval.load_test.scenario import (
    EXTRA_REPORTS,
    SAMPLE_QUESTIONS,
    ExtraReport,
    SampleQuestion,
    write_reports,
)

logger = logging.getLogger(__name__)

INGEST_VIA = ("cli", "upload")


@dataclass(frozen=True)
class LoadConfig:
    """How hard and how long to push; the defaults are the issue's: 20 sessions for 45 s."""

    sessions: int = 20
    duration_s: float = 45.0
    max_questions: int = 50
    request_timeout_s: float = 60.0
    ingest_at_s: float = 3.0
    ingest_via: tuple[str, ...] = INGEST_VIA
    hard_limit_s: float = 120.0

    def __post_init__(self) -> None:
        unknown = set(self.ingest_via) - set(INGEST_VIA)
        if unknown:
            raise ValueError(f"unknown ingest way {sorted(unknown)}; use {', '.join(INGEST_VIA)}")
        if len(self.ingest_via) > len(EXTRA_REPORTS):
            raise ValueError(f"at most {len(EXTRA_REPORTS)} ingest steps (one extra report each)")


@dataclass(frozen=True)
class Outcome:
    """One question asked by one session."""

    session: int
    question: str
    expected: str
    start_s: float
    seconds: float
    correct: bool
    error: str | None = None
    answer: str = ""
    new_document: bool = False


@dataclass
class IngestStep:
    """One ingest during the load: through ``baocao ingest`` (another process) or the page's upload."""

    via: str
    files: list[str]
    start_s: float
    seconds: float = 0.0
    ok: bool = False
    detail: str = ""

    @property
    def end_s(self) -> float:
        return self.start_s + self.seconds


@dataclass
class LoadReport:
    """What happened, with the figures the issue asks for (p50/p95/max, answered, errors)."""

    config: LoadConfig
    wall_s: float
    outcomes: list[Outcome]
    ingests: list[IngestStep]
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is not None]

    @property
    def wrong(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error is None and not o.correct]

    @property
    def answered(self) -> int:
        return sum(o.error is None for o in self.outcomes)

    def phase(self, outcome: Outcome) -> str:
        """'during' if the question overlapped an ingest, else 'before' or 'after' the ingests."""
        end = outcome.start_s + outcome.seconds
        if any(outcome.start_s < step.end_s and end > step.start_s for step in self.ingests):
            return "during"
        return "after" if self.ingests and outcome.start_s >= max(s.end_s for s in self.ingests) else "before"

    def new_documents(self) -> list[dict[str, Any]]:
        """Per extra report: how often its question was asked after its ingest, and answered right."""
        out = []
        for report, step in zip(EXTRA_REPORTS, self.ingests, strict=False):
            asked = [o for o in self.outcomes if o.question == report.question.question]
            out.append(
                {
                    "via": step.via,
                    "question": report.question.question,
                    "expected": report.question.expected,
                    "asked": len(asked),
                    "correct": sum(o.correct for o in asked),
                }
            )
        return out

    def to_json(self) -> dict[str, Any]:
        done = [o for o in self.outcomes if o.error is None]
        phases = {
            name: latency_summary([o.seconds for o in done if self.phase(o) == name])
            for name in ("before", "during", "after")
        }
        return {
            "config": asdict(self.config),
            **self.extra,
            "sessions": self.config.sessions,
            "wall_s": round(self.wall_s, 2),
            "questions_asked": len(self.outcomes),
            "questions_answered": self.answered,
            "errors": len(self.errors),
            "wrong_answers": len(self.wrong),
            "throughput_qps": round(self.answered / self.wall_s, 3) if self.wall_s else 0.0,
            "latency_ms": latency_summary([o.seconds for o in done]),
            "latency_ms_by_phase": phases,
            "ingests": [{**asdict(s), "end_s": round(s.end_s, 2)} for s in self.ingests],
            "new_documents": self.new_documents(),
            "failures": [asdict(o) for o in (self.errors + self.wrong)[:20]],
        }


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (``q`` in 0..100) of a non-empty sequence."""
    return float(np.percentile(values, q, method="inverted_cdf"))


def latency_summary(seconds: Sequence[float]) -> dict[str, float]:
    """count, p50, p95, max and mean in milliseconds (empty: count 0 only)."""
    if not seconds:
        return {"count": 0}
    ms = [s * 1000 for s in seconds]
    return {
        "count": len(ms),
        "p50": round(percentile(ms, 50), 1),
        "p95": round(percentile(ms, 95), 1),
        "max": round(max(ms), 1),
        "mean": round(sum(ms) / len(ms), 1),
    }


class LoadRun:
    """One load run against a page at ``url`` serving ``index`` (which the ingest steps write to)."""

    def __init__(
        self,
        url: str,
        index: Path,
        workdir: Path,
        config: LoadConfig,
        ingest_env: Mapping[str, str] | None = None,
    ) -> None:
        self.url = url
        self.index = index
        self.workdir = workdir
        self.config = config
        self.ingest_env = dict(ingest_env or {})
        self._lock = threading.Lock()
        self._outcomes: list[Outcome] = []
        self._steps: list[IngestStep] = []
        self._new: list[SampleQuestion] = []
        self._ingesting = bool(config.ingest_via)
        self._t0 = 0.0

    def run(self) -> LoadReport:
        """Run the sessions and the ingest; return when all have stopped (bounded by ``hard_limit_s``)."""
        page = PageConfig.fetch(self.url)
        self._t0 = time.perf_counter()
        workers = [
            threading.Thread(target=self._session, args=(n, page), name=f"session-{n}", daemon=True)
            for n in range(self.config.sessions)
        ]
        workers.append(threading.Thread(target=self._ingest, args=(page,), name="ingest", daemon=True))
        for w in workers:
            w.start()
        for w in workers:
            w.join(
                timeout=max(0.0, self.config.hard_limit_s + self.config.request_timeout_s - self._elapsed())
            )
        stuck = [w.name for w in workers if w.is_alive()]
        if stuck:
            logger.error("still running at the hard limit: %s", stuck)
        with self._lock:
            return LoadReport(
                self.config,
                self._elapsed(),
                list(self._outcomes),
                list(self._steps),
                {"stuck_workers": stuck},
            )

    def _elapsed(self) -> float:
        return time.perf_counter() - self._t0

    # -- sessions -----------------------------------------------------------------------------
    def _session(self, n: int, page: PageConfig) -> None:
        asked_new: set[str] = set()
        count = 0
        with PageSession(self.url, page, self.config.request_timeout_s) as tab:
            while (question := self._next(n, count, asked_new)) is not None:
                count += 1
                self._outcomes_add(self._ask(tab, n, question, question.question in asked_new))

    def _next(self, n: int, count: int, asked_new: set[str]) -> SampleQuestion | None:
        """The next question, or None when this session should stop."""
        elapsed = self._elapsed()
        if elapsed >= self.config.hard_limit_s:
            return None
        with self._lock:
            fresh = [q for q in self._new if q.question not in asked_new]
            ingesting = self._ingesting
        if fresh:  # a document just ingested: every session checks it once, even past duration_s
            asked_new.add(fresh[0].question)
            return fresh[0]
        if count >= self.config.max_questions or (elapsed >= self.config.duration_s and not ingesting):
            return None
        return SAMPLE_QUESTIONS[(n + count) % len(SAMPLE_QUESTIONS)]

    def _ask(self, tab: PageSession, n: int, question: SampleQuestion, new: bool) -> Outcome:
        start = self._elapsed()
        t = time.perf_counter()
        try:
            answer = tab.ask(question.question)
        except Exception as exc:  # any failure is a counted error, never a crash of the run
            seconds = time.perf_counter() - t
            logger.warning("session %d: %r failed after %.1f s: %s", n, question.question[:50], seconds, exc)
            return Outcome(
                n,
                question.question,
                question.expected,
                start,
                seconds,
                False,
                f"{type(exc).__name__}: {exc}"[:500],
                new_document=new,
            )
        seconds = time.perf_counter() - t
        return Outcome(
            n,
            question.question,
            question.expected,
            start,
            seconds,
            question.holds(answer),
            answer=answer[:300],
            new_document=new,
        )

    def _outcomes_add(self, outcome: Outcome) -> None:
        with self._lock:
            self._outcomes.append(outcome)

    # -- ingest -------------------------------------------------------------------------------
    def _ingest(self, page: PageConfig) -> None:
        try:
            time.sleep(self.config.ingest_at_s)
            for i, (via, report) in enumerate(zip(self.config.ingest_via, EXTRA_REPORTS, strict=False)):
                step = self._ingest_one(i, via, report, page)
                with self._lock:
                    self._steps.append(step)
                    if step.ok:
                        self._new.append(report.question)
                logger.info("ingest via %s: ok=%s in %.1f s", via, step.ok, step.seconds)
        finally:
            with self._lock:
                self._ingesting = False

    def _ingest_one(self, i: int, via: str, report: ExtraReport, page: PageConfig) -> IngestStep:
        paths = write_reports([report], self.workdir / f"extra-{i}")
        step = IngestStep(via, [p.name for p in paths], round(self._elapsed(), 2))
        t = time.perf_counter()
        try:
            if via == "cli":
                done = ingest_cli(paths, self.index, self.ingest_env)
                step.ok, step.detail = done.returncode == 0, done.output
            else:
                with PageSession(self.url, page, self.config.hard_limit_s) as tab:
                    html = tab.upload(paths)
                step.ok, step.detail = "bc-fail" not in html and "(indexed)" in html, html[-600:]
        except Exception as exc:  # reported in the step, the sessions go on
            step.detail = f"{type(exc).__name__}: {exc}"
        step.seconds = round(time.perf_counter() - t, 2)
        return step


def load_test(
    index: Path,
    workdir: Path,
    config: LoadConfig,
    env: Mapping[str, str] | None = None,
    port: int | None = None,
) -> LoadReport:
    """Serve ``index`` with ``baocao ui`` on loopback and run the load against it.

    The ingest steps write to ``index``: pass a copy. The server runs without the embedding cache
    (``env`` may override), so every question runs the model as a stream of new questions would.
    """
    from eval.load_test.processes import free_port, serve_ui

    env = {
        "BAOCAO_EMBEDDINGS__CACHE": "false",
        "BAOCAO_UI__UPLOAD_DIR": str(workdir / "uploads"),
        **(env or {}),
    }
    started = time.perf_counter()
    with serve_ui(index, port or free_port(), env) as url:
        ready = time.perf_counter() - started
        report = LoadRun(url, index, workdir, config, ingest_env=env).run()
    report.extra["server_start_s"] = round(ready, 1)
    report.extra["server_env"] = {k: v for k, v in env.items() if k.startswith(("BAOCAO_", "OMP_"))}
    return report

"""The socket between `baocao ask` and `baocao serve`: answers travel whole; any trouble means the
client answers itself. The assistant here is a FAKE (the transport does not depend on it); the
real assistant behind a real server is tested from the command line (tests/rag/test_cli.py)."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from rag.config import Settings
from rag.records import Answer, Citation, SearchFilters, SearchHit
from rag.serve.address import socket_path
from rag.serve.client import ask_served
from rag.serve.server import AlreadyServing, AnswerServer, AnswerService, bind
from rag.serve.wire import answer_from_json, answer_to_json


class FakeAssistant:
    """A FAKE assistant: records what it was asked, answers with a fixed cited answer (or raises)."""

    def __init__(self, fail: bool = False) -> None:
        self.fail = fail
        self.asked: list[tuple[str, object, SearchFilters | None, str | None]] = []

    def ask(self, question, history=None, filters=None, answer_mode=None) -> Answer:  # noqa: ANN001
        if self.fail:
            raise RuntimeError("chỉ mục hỏng")
        self.asked.append((question, history, filters, answer_mode))
        citation = Citation(
            n=1,
            doc="a.txt",
            title="Báo cáo",
            section="I",
            start=3,
            end=9,
            quote="5.851 tỷ",
            chunk_id="c1",
            period="năm 2021",
            page=2,
            ocr=True,
        )
        hit = SearchHit(
            chunk_id="c2", doc="b.txt", title=None, section="", start=0, end=4, score=0.5, text="abcd"
        )
        return Answer(
            text=f"Trả lời: {question} [1].",
            citations=[citation],
            found=True,
            timings_ms={"total": 1.5},
            suggestions=[hit],
            question=question,
            confidence=0.9,
            reason="",
        )


@pytest.fixture()
def settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Settings:
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    index = tmp_path / "idx"
    index.mkdir()
    (index / "manifest.sqlite").write_bytes(b"")  # only its identity is read here
    return Settings(index={"dir": index})


def _serving(service: AnswerService) -> Iterator[AnswerServer]:
    server = bind(service)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def test_an_answer_survives_the_trip_with_every_field():
    answer = FakeAssistant().ask("Thu ngân sách?")
    assert answer_from_json(answer_to_json(answer)) == answer


def test_a_served_question_gets_the_servers_answer_with_its_history_filters_and_answer_mode(settings: Settings):
    fake = FakeAssistant()
    for server in _serving(AnswerService(settings, lambda: fake)):
        history = [{"role": "user", "content": "Cà Mau năm 2021"}]
        filters = SearchFilters(province="ca mau", year=2021, doc=None)
        answer = ask_served(settings, "Thu ngân sách?", history, filters, "extractive")
        assert answer == fake.ask("Thu ngân sách?")
        assert fake.asked[0] == ("Thu ngân sách?", history, filters, "extractive")
        assert server.path.stat().st_mode & 0o777 == 0o600
    assert not socket_path(settings.index.dir).exists()  # removed when the server closes


def test_no_server_other_settings_or_a_failing_server_leave_the_client_to_answer(settings: Settings):
    assert ask_served(settings, "Thu ngân sách?") is None  # nobody serves this index
    for _ in _serving(AnswerService(settings, lambda: FakeAssistant())):
        other = settings.model_copy(
            update={"retrieval": settings.retrieval.model_copy(update={"candidates": 7})}
        )
        assert ask_served(other, "Thu ngân sách?") is None
    for _ in _serving(AnswerService(settings, lambda: FakeAssistant(fail=True))):
        assert ask_served(settings, "Thu ngân sách?") is None


def test_a_second_server_is_refused_and_a_dead_servers_socket_is_replaced(settings: Settings):
    for _ in _serving(AnswerService(settings, lambda: FakeAssistant())):
        with pytest.raises(AlreadyServing, match="Đã có một tiến trình"):
            bind(AnswerService(settings, lambda: FakeAssistant()))
    stale = socket_path(settings.index.dir)
    stale.write_bytes(b"")  # left behind by a killed server: nothing listens
    for _ in _serving(AnswerService(settings, lambda: FakeAssistant())):
        assert ask_served(settings, "Thu ngân sách?") is not None


def test_an_index_folder_made_again_is_reopened_before_the_next_answer(settings: Settings):
    opened: list[FakeAssistant] = []

    def open_assistant() -> FakeAssistant:
        opened.append(FakeAssistant())
        return opened[-1]

    for _ in _serving(AnswerService(settings, open_assistant)):
        ask_served(settings, "một")
        manifest = Path(settings.index.dir) / "manifest.sqlite"
        manifest.unlink()
        manifest.write_bytes(b"")  # a new file: the folder was deleted and ingested again
        ask_served(settings, "hai")
    assert len(opened) == 2 and opened[1].asked[0][0] == "hai"

"""The load test's pieces without a server: its figures, its phases, and how it reads the page's config."""

from __future__ import annotations

from eval.load_test.page_client import PageConfig, message_text
from eval.load_test.runner import IngestStep, LoadConfig, LoadReport, Outcome, latency_summary, percentile

CONFIG = {
    "api_prefix": "/gradio_api",
    "components": [
        {"id": 10, "props": {"elem_id": "bc-question", "value": ""}},
        {"id": 2, "props": {"value": []}},
        {"id": 25, "props": {"value": "extractive"}},
        {"id": 11, "props": {"elem_id": "bc-send"}},
    ],
    "dependencies": [
        {"id": 0, "targets": [[10, "submit"]], "inputs": [10, 2, 25]},
        {"id": 1, "targets": [[11, "click"]], "inputs": [10, 2, 25]},
    ],
}


def test_percentiles_are_nearest_rank_and_summaries_are_in_milliseconds():
    values = [float(v) for v in range(1, 101)]
    assert percentile(values, 50) == 50 and percentile(values, 95) == 95 and percentile([7.0], 95) == 7
    assert latency_summary([0.1, 0.2, 0.3]) == {
        "count": 3,
        "p50": 200.0,
        "p95": 300.0,
        "max": 300.0,
        "mean": 200.0,
    }
    assert latency_summary([]) == {"count": 0}


def test_errors_and_wrong_answers_are_counted_apart_and_phases_follow_the_ingests():
    outcomes = [
        Outcome(0, "q", "5.851", start_s=0.0, seconds=1.0, correct=True),
        Outcome(1, "q", "5.851", start_s=4.0, seconds=2.0, correct=False),  # overlaps the ingest
        Outcome(2, "q", "5.851", start_s=9.0, seconds=1.0, correct=False, error="PageError: boom"),
    ]
    report = LoadReport(
        LoadConfig(), 10.0, outcomes, [IngestStep("cli", ["a.txt"], start_s=3.0, seconds=4.0)]
    )
    assert [report.phase(o) for o in outcomes] == ["before", "during", "after"]
    data = report.to_json()
    assert (data["questions_answered"], data["errors"], data["wrong_answers"]) == (2, 1, 1)
    assert data["throughput_qps"] == 0.2 and len(data["failures"]) == 2


def test_the_send_button_event_and_the_pages_current_values_come_from_config():
    page = PageConfig(CONFIG)
    event = page.event("bc-send", "click")
    assert (event.fn_index, event.trigger_id) == (1, 11)
    assert page.default_data(event, **{"bc-question": "Hỏi?"}) == ["Hỏi?", [], "extractive"]


def test_chat_messages_read_as_text_whether_string_or_parts():
    assert message_text({"content": "a"}) == "a"
    assert message_text({"content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}) == "ab"

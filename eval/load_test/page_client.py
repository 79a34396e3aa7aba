"""A client of the web page's own HTTP API: Gradio's queue protocol (sse_v3), as the browser speaks it.

The page's events are private (not offered to ``gradio_client``), so this client does what the
page's JavaScript does: read ``/config`` for the event's ``fn_index`` and its inputs' current values,
``POST /gradio_api/queue/join``, then read the session's server-sent events until the event
completes. One :class:`PageSession` is one browser tab: the server keeps its conversation state.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

logger = logging.getLogger(__name__)

QUESTION_BOX = "bc-question"
SEND_BUTTON = "bc-send"
UPLOAD_BOX = "bc-upload"
# How the page words an answer that failed on the server (ui/app.py: BaocaoUI.ask); it is an error here.
ANSWER_ERROR_PREFIX = "Lỗi khi trả lời"


class PageError(RuntimeError):
    """The page answered with an error, closed the stream early, or did not answer in time."""


@dataclass(frozen=True)
class Event:
    """One of the page's event handlers: what to send to run it."""

    fn_index: int
    trigger_id: int
    inputs: tuple[int, ...]


class PageConfig:
    """The page's ``/config``: its events by trigger, and the current value of every component."""

    def __init__(self, config: dict[str, Any]) -> None:
        self.api_prefix = str(config.get("api_prefix", "/gradio_api"))
        self._components = {c["id"]: c for c in config["components"]}
        self._dependencies = config["dependencies"]

    @classmethod
    def fetch(cls, base_url: str, timeout_s: float = 10.0) -> PageConfig:
        response = httpx.get(f"{base_url.rstrip('/')}/config", timeout=timeout_s)
        response.raise_for_status()
        return cls(response.json())

    def component_id(self, elem_id: str) -> int:
        for cid, comp in self._components.items():
            if comp.get("props", {}).get("elem_id") == elem_id:
                return cid
        raise PageError(f"the page has no component #{elem_id}")

    def event(self, elem_id: str, trigger: str) -> Event:
        """The handler that ``trigger`` (click, upload, ...) on component ``#elem_id`` runs."""
        target = self.component_id(elem_id)
        for index, dep in enumerate(self._dependencies):
            if [target, trigger] in [list(t) for t in dep["targets"]]:
                return Event(fn_index=dep.get("id", index), trigger_id=target, inputs=tuple(dep["inputs"]))
        raise PageError(f"no handler for {trigger} on #{elem_id}")

    def default_data(self, event: Event, **values: Any) -> list[Any]:
        """The event's input values as a fresh page would send them, ``values`` by elem_id replacing some."""
        data = []
        for cid in event.inputs:
            props = self._components[cid].get("props", {})
            data.append(values.get(props.get("elem_id") or "", props.get("value")))
        return data


class PageSession:
    """One browser tab on the page (its own session hash, so its own conversation)."""

    def __init__(self, base_url: str, config: PageConfig, timeout_s: float = 120.0) -> None:
        self.base_url = base_url.rstrip("/")
        self.config = config
        self.session_hash = uuid.uuid4().hex[:12]
        self._http = httpx.Client(timeout=httpx.Timeout(timeout_s, connect=10.0))
        self._api = f"{self.base_url}{config.api_prefix}"

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> PageSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def ask(self, question: str) -> str:
        """Send ``question`` as the send button does; return the final answer's text."""
        event = self.config.event(SEND_BUTTON, "click")
        data = self.config.default_data(event, **{QUESTION_BOX: question})
        chat = self.run(event, data)[0]
        if not chat or chat[-1].get("role") != "assistant":
            raise PageError(f"no answer in the chat: {str(chat)[:200]}")
        text = message_text(chat[-1])
        if text.startswith(ANSWER_ERROR_PREFIX):
            raise PageError(f"the page answered with an error: {text[:300]}")
        return text

    def upload(self, files: Sequence[Path]) -> str:
        """Upload files as the documents tab does; return the per-file result HTML."""
        event = self.config.event(UPLOAD_BOX, "upload")
        handles = [("files", (p.name, p.read_bytes(), "application/octet-stream")) for p in files]
        response = self._http.post(f"{self._api}/upload", files=handles)
        response.raise_for_status()
        payload = [
            {"path": path, "orig_name": p.name, "meta": {"_type": "gradio.FileData"}}
            for path, p in zip(response.json(), files, strict=True)
        ]
        return str(self.run(event, self.config.default_data(event, **{UPLOAD_BOX: payload}))[0])

    def run(self, event: Event, data: list[Any]) -> list[Any]:
        """Queue one event and wait for its final output values."""
        join = self._http.post(
            f"{self._api}/queue/join",
            json={
                "data": data,
                "event_data": None,
                "fn_index": event.fn_index,
                "trigger_id": event.trigger_id,
                "session_hash": self.session_hash,
            },
        )
        join.raise_for_status()
        event_id = join.json()["event_id"]
        with self._http.stream(
            "GET", f"{self._api}/queue/data", params={"session_hash": self.session_hash}
        ) as sse:
            sse.raise_for_status()
            for line in sse.iter_lines():
                if not line.startswith("data:"):
                    continue
                message = json.loads(line[5:])
                if message.get("event_id") not in (None, event_id):
                    continue
                kind = message.get("msg")
                if kind == "process_completed":
                    output = message.get("output") or {}
                    if not message.get("success", False) or output.get("error"):
                        raise PageError(f"the page reported an error: {output.get('error') or message}")
                    return list(output["data"])
                if kind in ("unexpected_error", "close_stream"):
                    raise PageError(f"the stream ended before the event completed: {message}")
        raise PageError("the event stream closed before the event completed")


def message_text(message: dict[str, Any]) -> str:
    """The text of a chat message (Gradio sends a string or a list of typed parts)."""
    content = message.get("content")
    if isinstance(content, str):
        return content
    return "".join(part.get("text", "") for part in content or [] if isinstance(part, dict))

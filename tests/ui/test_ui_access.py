"""ui.access.LoginGate on a tiny Starlette app: what passes without a session cookie, and what does not.

The whole-app check against a real `baocao ui --auth` is in test_ui_auth_routes.py; this pins the
edges that one cannot reach: look-alike paths, websockets, an app without Gradio's token table.
"""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route, WebSocketRoute
from starlette.testclient import TestClient
from starlette.websockets import WebSocket, WebSocketDisconnect

from ui.access import LoginGate, is_public


async def _ok(request) -> PlainTextResponse:  # noqa: ANN001
    return PlainTextResponse("data")


async def _echo(websocket: WebSocket) -> None:
    await websocket.accept()
    await websocket.send_text("data")
    await websocket.close()


def _client(cookies: dict[str, str] | None = None, with_tokens: bool = True) -> TestClient:
    routes = [Route("/{path:path}", _ok, methods=["GET", "HEAD", "POST"]), WebSocketRoute("/ws", _echo)]
    app = Starlette(routes=routes, middleware=[Middleware(LoginGate)])
    if with_tokens:  # what Gradio's App carries: the cookie's name suffix and the issued tokens
        app.cookie_id = "c1"  # type: ignore[attr-defined]
        app.tokens = {"tok": "an"}  # type: ignore[attr-defined]
    return TestClient(app, cookies=cookies)


@pytest.mark.parametrize("method, path", [
    ("GET", "/"), ("HEAD", "/"), ("POST", "/login"), ("POST", "/login/"), ("GET", "/theme.css"),
    ("GET", "/assets/index-abc.js"), ("GET", "/static/img/logo.svg"), ("GET", "/gradio_api/startup-events"),
])
def test_only_the_login_page_and_its_assets_are_public(method: str, path: str):
    assert is_public(method, path)


@pytest.mark.parametrize("method, path", [
    ("POST", "/"), ("GET", "/login"), ("GET", "/assets"), ("GET", "/assetsx/a.js"), ("POST", "/assets/a.js"),
    ("GET", "/config"), ("GET", "/gradio_api/theme.css"), ("GET", "/favicon.ico"), ("GET", "/theme.css/x"),
])
def test_look_alike_paths_are_not_public(method: str, path: str):
    assert not is_public(method, path)


def test_a_request_without_the_session_cookie_gets_401_and_no_data():
    client = _client()
    refused = client.get("/config")
    assert refused.status_code == 401 and "data" not in refused.text
    assert _client({"access-token-c1": "forged"}).get("/config").status_code == 401
    assert client.get("/assets/a.js").text == "data"


@pytest.mark.parametrize("cookie", ["access-token-c1", "access-token-unsecure-c1"])
def test_either_of_gradios_session_cookies_lets_the_request_through(cookie: str):
    assert _client({cookie: "tok"}).get("/config").text == "data"


def test_a_websocket_without_login_is_closed_before_it_opens():
    with pytest.raises(WebSocketDisconnect) as closed, _client().websocket_connect("/ws"):
        pass
    assert closed.value.code == 1008
    with _client({"access-token-c1": "tok"}).websocket_connect("/ws") as ws:
        assert ws.receive_text() == "data"


def test_an_app_without_gradios_token_table_lets_nothing_private_through():
    client = _client({"access-token-c1": "tok"}, with_tokens=False)
    assert client.get("/config").status_code == 401
    assert client.get("/").text == "data"

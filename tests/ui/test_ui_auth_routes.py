"""With a password set, `baocao ui` serves nothing but its login form until one logs in.

A real ``baocao ui --auth`` runs as a subprocess on loopback. The routes checked are every route of
the same app built in this process (Gradio's, and any baocao adds), so a route a later Gradio adds
is checked too. Without a session cookie each answers 401, except the login page and the static
files it is drawn with, and no answer holds a report's text, a document id or a file's bytes.
After ``POST /login`` the same routes answer. Logged in or not, no route serves a file outside
Gradio's upload cache: not /etc/passwd, not the index, not the upload folder.
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import quote

import httpx
import pytest

from ui.access import is_public

pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")

USER, PASSWORD = "an", "bí-mật"
DOC_ID = "002_a3fbda18e481a50f.txt"
NEIGHBOUR = "ghi-chu-noi-bo.txt"  # a file beside the uploads, never uploaded through the page
# Bytes of files no route may serve: a report, /etc/passwd, the neighbour file, the SQLite manifest.
FILE_CONTENTS = ("5.851 tỷ đồng", "root:x:0:0", "MẬT-NỘI-BỘ-7731", "SQLite format 3")
# What an unauthenticated answer must not hold either: a document id (the documents table is in /config).
SECRETS = (*FILE_CONTENTS, DOC_ID.removesuffix(".txt"))
EXPECTED_PUBLIC = {
    ("GET", "/"), ("HEAD", "/"), ("POST", "/login"), ("POST", "/login/"), ("GET", "/theme.css"),
    ("GET", "/assets/{path:path}"), ("GET", "/static/{path:path}"), ("GET", "/gradio_api/startup-events"),
}
MAX_UPLOAD_MB = 1


def _routes(app: Any) -> list[tuple[str, str]]:
    """(method, path template) of every HTTP route, including those of included routers."""
    out: list[tuple[str, str]] = []
    for route in app.routes:
        contexts = route.effective_route_contexts() if hasattr(route, "effective_route_contexts") else [route]
        for r in contexts:
            methods = getattr(r, "methods", None)
            assert methods, f"not an HTTP route, extend this test to check it: {r!r}"
            out += [(m, r.path) for m in sorted(methods)]
    return sorted(set(out))


def _concrete(template: str, file_path: Path) -> str:
    """The template with its parameters filled: a report file for path parameters, else short values."""
    def value(m: re.Match[str]) -> str:
        name, kind = m.group(1), m.group(2)
        if kind == "path":
            return quote(str(file_path), safe="")  # "/" encoded too: no client folds "../"
        return {"size": "64", "component_id": "1", "ext": "ts"}.get(name, "x")

    return re.sub(r"\{(\w+)(?::(\w+))?\}", value, template)


def _probe(client: httpx.Client, method: str, url: str) -> tuple[int, bytes]:
    """Status and the first 256 kB of the body; an event stream is not read (it may never end).

    One connection per request: after a handler fails (Gradio answers 500 to an unknown api name)
    the server drops the connection, and a reused one would be reset.
    """
    body_json = {} if method == "POST" else None
    try:
        with client.stream(method, url, json=body_json, headers={"connection": "close"}) as response:
            if response.headers.get("content-type", "").startswith("text/event-stream"):
                return response.status_code, b""
            body = b""
            for chunk in response.iter_bytes():
                body += chunk
                if len(body) > 256_000:
                    break
            return response.status_code, body
    except httpx.TransportError as exc:
        raise AssertionError(f"{method} {url}: {exc!r}") from exc


def _leaks(body: bytes, secrets: tuple[str, ...] = SECRETS) -> list[str]:
    return [s for s in secrets if s.encode("utf-8") in body]


@pytest.fixture(scope="module")
def routes(make_index, tmp_path_factory: pytest.TempPathFactory, free_port) -> list[tuple[str, str]]:
    """The routes of the page as `launch(auth=...)` builds it, from an app served in this process."""
    from rag.assistant import Assistant
    from rag.config import Settings, UISettings
    from ui.app import build_app, launch

    index = make_index()
    settings = Settings(index={"dir": index})
    ui = UISettings(upload_dir=tmp_path_factory.mktemp("uploads"))
    demo = build_app(Assistant.open(index, settings), settings, ui)
    launch(demo, ui, "127.0.0.1", free_port(), auth=[(USER, PASSWORD)], block=False)
    try:
        return _routes(demo.server_app)
    finally:
        demo.close()


@pytest.fixture(scope="module")
def server(
    make_index, tmp_path_factory: pytest.TempPathFactory, free_port, serving
) -> Iterator[SimpleNamespace]:
    """`baocao ui --auth` over a fresh sample index, with a file planted beside its upload folder."""
    index = make_index()
    home = tmp_path_factory.mktemp("ui-home")
    uploads = home / "uploads"
    uploads.mkdir()
    (home / NEIGHBOUR).write_text("Ghi chú MẬT-NỘI-BỘ-7731, không nạp.", encoding="utf-8")
    config = home / "baocao.toml"
    config.write_text(f'[ui]\nupload_dir = "{uploads}"\nmax_upload_mb = {MAX_UPLOAD_MB}\n', encoding="utf-8")
    baocao = shutil.which("baocao", path=str(Path(sys.executable).parent))
    assert baocao, "the baocao command is installed with the project"
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    command = [baocao, "ui", "--config", str(config), "--index", str(index), "--host", "127.0.0.1",
               "--port", str(port), "--auth", f"{USER}:{PASSWORD}"]
    with serving(command, f"{url}/", "baocao ui", timeout_s=180):
        yield SimpleNamespace(url=url, index=index, uploads=uploads, home=home,
                              report=_report_file(index))


def _report_file(index: Path) -> Path:
    """The source file of DOC_ID, as the manifest recorded it (a real report on disk)."""
    from rag.index.manifest import Manifest

    manifest = Manifest(index / "manifest.sqlite", read_only=True)
    try:
        row = manifest.document(DOC_ID)
        assert row is not None
        return Path(row.path)
    finally:
        manifest.close()


@pytest.fixture()
def anonymous(server: SimpleNamespace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        yield client


@pytest.fixture()
def logged_in(server: SimpleNamespace) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=server.url, timeout=30) as client:
        response = client.post("/login", data={"username": USER, "password": PASSWORD})
        assert response.status_code == 200, response.text
        yield client


def _run_event(client: httpx.Client, fn_name: str, data: list[Any], session: str) -> dict[str, Any]:
    """Call one of the page's event handlers as the page does (queue/join, then the event stream)."""
    config = client.get("/config").json()
    dep = next(d for d in config["dependencies"] if d.get("api_name") == fn_name)
    joined = client.post("/gradio_api/queue/join", json={
        "data": data, "fn_index": dep["id"], "trigger_id": dep["targets"][0][0], "session_hash": session,
        "event_data": None,
    })
    assert joined.status_code == 200, joined.text
    with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as events:
        for line in events.iter_lines():
            if line.startswith("data:"):
                message = json.loads(line[5:])
                if message.get("msg") == "process_completed":
                    return message
    raise AssertionError(f"{fn_name}: the event stream ended without a result")


def test_the_route_list_is_gradios_whole_app(routes: list[tuple[str, str]]):
    listed = {path for _, path in routes}
    for path in ("/config", "/gradio_api/info", "/gradio_api/file={path_or_url:path}", "/gradio_api/upload",
                 "/gradio_api/queue/join", "/gradio_api/heartbeat/{session_hash}", "/login"):
        assert path in listed
    assert not any("run-history" in p for p in listed)  # run history is off: no Hugging Face uploads
    assert {(m, t) for m, t in routes if is_public(m, _concrete(t, Path("x")))} == EXPECTED_PUBLIC


def test_without_login_every_route_but_the_login_page_answers_401_and_none_leaks_data(
    routes: list[tuple[str, str]], server: SimpleNamespace, anonymous: httpx.Client
):
    wrong: list[str] = []
    for method, template in routes:
        url = _concrete(template, server.report)
        status, body = _probe(anonymous, method, url)
        if leaked := _leaks(body):
            wrong.append(f"{method} {url} → {status} leaks {leaked}")
        elif not is_public(method, url) and status != 401:
            wrong.append(f"{method} {url} → {status}, expected 401")
    assert not wrong, "\n".join(wrong)


def test_the_login_page_carries_no_component_values(anonymous: httpx.Client):
    page = anonymous.get("/")
    assert page.status_code == 200 and '"auth_required":true' in page.text.replace(" ", "")
    assert not _leaks(page.content)
    assert anonymous.post("/login", data={"username": USER, "password": "sai"}).status_code == 400


def test_after_login_the_same_routes_answer(
    routes: list[tuple[str, str]], server: SimpleNamespace, logged_in: httpx.Client
):
    refused = []
    for method, template in routes:
        if (method, template) == ("GET", "/logout"):
            continue  # would end this session; see the logout test
        url = _concrete(template, server.report)
        status, body = _probe(logged_in, method, url)
        if status == 401 or b"Not authenticated" in body:
            refused.append(f"{method} {url} → {status}")
    assert not refused, "\n".join(refused)
    config = logged_in.get("/config")
    assert config.status_code == 200 and DOC_ID in config.text  # the documents table
    assert logged_in.get("/gradio_api/info").status_code == 200


def test_a_document_and_an_uploaded_file_reach_only_a_logged_in_session(
    anonymous: httpx.Client, logged_in: httpx.Client
):
    note = ("files", ("ghi-chu.txt", "Năm 2022 trồng 77 ha rừng.".encode(), "text/plain"))
    assert anonymous.post("/gradio_api/upload", files=[note]).status_code == 401
    uploaded = logged_in.post("/gradio_api/upload", files=[note])
    assert uploaded.status_code == 200
    cached = uploaded.json()[0]
    assert anonymous.get(f"/gradio_api/file={cached}").status_code == 401
    fetched = logged_in.get(f"/gradio_api/file={cached}")
    assert fetched.status_code == 200 and fetched.content == note[1][1]

    assert anonymous.post("/gradio_api/queue/join", json={
        "data": [DOC_ID], "fn_index": 0, "session_hash": "anon", "event_data": None}).status_code == 401
    shown = _run_event(logged_in, "view_document", [DOC_ID], "reader")
    assert shown["success"] and "5.851 tỷ đồng" in shown["output"]["data"][0]


@pytest.mark.parametrize("route", ["/gradio_api/file=", "/gradio_api/file/", "/file="])
def test_no_route_serves_a_path_outside_gradios_upload_cache(
    route: str, server: SimpleNamespace, anonymous: httpx.Client, logged_in: httpx.Client
):
    targets = [
        "/etc/passwd", "../../../../../../etc/passwd", str(server.index / "manifest.sqlite"),
        str(server.index), str(server.home / NEIGHBOUR), str(server.uploads / ".." / NEIGHBOUR),
        str(server.report), f"{server.uploads}/../../{server.home.name}/{NEIGHBOUR}",
    ]
    for target in targets:
        url = route + quote(target, safe="")
        assert anonymous.get(url).status_code == 401, url
        served = logged_in.get(url)
        assert served.status_code in (403, 404), f"{url} → {served.status_code}"
        assert not _leaks(served.content, FILE_CONTENTS), url  # its 403 may name the path asked for


def test_logout_ends_the_session(server: SimpleNamespace):
    with httpx.Client(base_url=server.url, timeout=30) as client:
        client.post("/login", data={"username": USER, "password": PASSWORD})
        assert client.get("/config").status_code == 200
        client.get("/logout")
        assert client.get("/config").status_code == 401


def test_an_upload_over_the_size_limit_is_refused_naming_the_limit(logged_in: httpx.Client):
    big = ("files", ("lon.txt", b"a" * int((MAX_UPLOAD_MB + 0.5) * 1024 * 1024), "text/plain"))
    refused = logged_in.post("/gradio_api/upload", files=[big])
    assert refused.status_code == 413
    assert f"maximum allowed size of {MAX_UPLOAD_MB * 1024 * 1024} bytes" in refused.text


def test_an_upload_of_a_wrong_type_is_refused_with_its_own_reason_and_not_saved(
    logged_in: httpx.Client, server: SimpleNamespace
):
    exe = ("files", ("virus.exe", b"MZ", "application/octet-stream"))
    cached = logged_in.post("/gradio_api/upload", files=[exe]).json()[0]
    file_data = {"path": cached, "orig_name": "virus.exe", "meta": {"_type": "gradio.FileData"}}
    result = _run_event(logged_in, "ingest_uploads", [[file_data]], "uploader")
    assert result["success"], result
    assert "virus.exe" in result["output"]["data"][0] and ".docx" in result["output"]["data"][0]
    assert "không được hỗ trợ" in result["output"]["data"][0]
    assert not (server.uploads / "virus.exe").exists()


def test_the_documents_table_names_the_logged_in_uploader_and_the_command_line(logged_in: httpx.Client):
    from ui.views import DOCUMENT_HEADERS

    text = "Báo cáo của xã. Tổng thu ngân sách 6 tháng đạt 2.345 tỷ đồng, tăng 12% so với cùng kỳ.\n"
    sent = ("files", ("nguoi-nap.txt", text.encode("utf-8"), "text/plain"))
    cached = logged_in.post("/gradio_api/upload", files=[sent]).json()[0]
    file_data = {"path": cached, "orig_name": "nguoi-nap.txt", "meta": {"_type": "gradio.FileData"}}
    result = _run_event(logged_in, "ingest_uploads", [[file_data]], "uploader-name")
    assert result["success"], result
    table = result["output"]["data"][2]
    rows = {row[0]: row for row in (table.get("value") or table)["data"]}
    by = DOCUMENT_HEADERS.index("Người nạp")
    assert rows["nguoi-nap.txt"][by] == USER
    assert rows[DOC_ID][by] == "dòng lệnh (command line)"

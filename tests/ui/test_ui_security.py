"""ui.security: no password, no listening beyond loopback (unless --insecure); every answer carries
headers that forbid framing, type sniffing, referrers and foreign scripts, and the page still works
under them in a real browser."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ui.security import AuthError, InsecureBind, check_bind, is_loopback, parse_auth

# gradio's queue still uses pandas options that pandas 3 deprecates
pytestmark = pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")


def test_auth_forms():
    assert parse_auth("admin:mật:khẩu", env={}) == [("admin", "mật:khẩu")]
    assert parse_auth(None, env={"BAOCAO_UI_AUTH": "a:b"}) == [("a", "b")]
    assert parse_auth(None, env={}) is None
    for bad in ("admin", ":pw", "admin:", "  "):
        with pytest.raises(AuthError):
            parse_auth(bad, env={})


def test_auth_file(tmp_path: Path):
    f = tmp_path / "users"
    f.write_text("# người dùng\nan:1\n\nbinh:2:3\n", encoding="utf-8")
    assert parse_auth(f"@{f}", env={}) == [("an", "1"), ("binh", "2:3")]
    with pytest.raises(AuthError, match="không đọc được"):
        parse_auth(f"@{tmp_path / 'missing'}", env={})


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"])
def test_loopback_needs_no_password(host: str):
    assert is_loopback(host)
    check_bind(host, None)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "baocao.local"])
def test_other_addresses_need_a_password_or_insecure(host: str):
    assert not is_loopback(host)
    with pytest.raises(InsecureBind, match="--auth"):
        check_bind(host, None)
    check_bind(host, [("a", "b")])
    check_bind(host, None, insecure=True)


def test_main_refuses_0000_without_auth_before_opening_anything(tmp_path: Path, monkeypatch):
    from ui.app import main

    monkeypatch.delenv("BAOCAO_UI_AUTH", raising=False)
    with pytest.raises(SystemExit, match="0.0.0.0.*--auth"):
        main(index=tmp_path / "no-index", host="0.0.0.0", port=0)


# --- Headers that keep a browser from framing the page or running scripts from elsewhere ---------

USER, PASSWORD = "an", "bí-mật"
SECURITY_HEADER_NAMES = ("content-security-policy", "x-frame-options", "x-content-type-options",
                         "referrer-policy")


@pytest.fixture(scope="module")
def guarded_page(make_index, tmp_path_factory: pytest.TempPathFactory, free_port):
    """The page as `baocao ui --auth` serves it (login gate and security headers), in this process."""
    from rag.assistant import Assistant
    from rag.config import Settings, UISettings
    from ui.app import build_app, launch

    index = make_index()
    settings = Settings(index={"dir": index})
    ui = UISettings(upload_dir=tmp_path_factory.mktemp("uploads"), max_upload_mb=5)
    demo = build_app(Assistant.open(index, settings), settings, ui)
    port = free_port()
    launch(demo, ui, "127.0.0.1", port, auth=[(USER, PASSWORD)], block=False)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


def _assert_security_headers(response) -> None:
    from ui.security import SECURITY_HEADERS

    missing = [name for name in SECURITY_HEADER_NAMES if name not in response.headers]
    assert not missing, f"{response.request.method} {response.request.url}: no {missing}"
    for name, value in SECURITY_HEADERS.items():
        assert response.headers[name] == value
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["x-frame-options"] == "DENY"


def test_every_answer_forbids_framing_sniffing_referrers_and_foreign_scripts(guarded_page: str):
    import httpx

    with httpx.Client(base_url=guarded_page, timeout=30) as anonymous:
        login_page = anonymous.get("/")
        assert login_page.status_code == 200 and "auth_required" in login_page.text
        refused = anonymous.get("/config")
        assert refused.status_code == 401
        wrong_password = anonymous.post("/login", data={"username": USER, "password": "sai"})
        assert wrong_password.status_code == 400
        for response in (login_page, refused, wrong_password, anonymous.get("/theme.css")):
            _assert_security_headers(response)
    with httpx.Client(base_url=guarded_page, timeout=30) as client:
        logged_in = client.post("/login", data={"username": USER, "password": PASSWORD})
        assert logged_in.status_code == 200
        note = ("files", ("ghi-chu.txt", "Năm 2022 trồng 77 ha rừng.".encode(), "text/plain"))
        uploaded = client.post("/gradio_api/upload", files=[note])
        assert uploaded.status_code == 200
        served = client.get(f"/gradio_api/file={uploaded.json()[0]}")
        assert served.status_code == 200
        for response in (logged_in, client.get("/"), client.get("/config"), client.get("/gradio_api/info"),
                         uploaded, served):
            _assert_security_headers(response)


def test_the_page_logs_in_answers_and_uploads_under_its_content_security_policy(
    guarded_page: str, tmp_path: Path
):
    """A real chromium: no script, style, font, image or connection of the page is blocked."""
    from tests.ui.test_ui_browser import CHROMIUM, CHROMIUM_ARGS, _require_browser

    sync_api = _require_browser()
    expect = sync_api.expect
    note = tmp_path / "trong-rung-2023.txt"
    note.write_text("Báo cáo trồng rừng năm 2023.\n\nNăm 2023, tỉnh trồng mới 4.321 ha rừng ngập mặn.\n",
                    encoding="utf-8")
    blocked: list[str] = []
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_context(locale="vi-VN", viewport={"width": 1400, "height": 1050}).new_page()
            page.set_default_timeout(60_000)
            page.on("console", lambda m: blocked.append(m.text) if "Content Security Policy" in m.text else None)
            page.add_init_script("""document.addEventListener('securitypolicyviolation', e =>
                console.error('Content Security Policy violation: ' + e.violatedDirective + ' ' + e.blockedURI));""")
            response = page.goto(guarded_page + "/")
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            page.locator("input[type=password]").wait_for()
            page.locator("input:not([type=password])").first.fill(USER)
            page.locator("input[type=password]").fill(PASSWORD)
            page.get_by_role("button", name=re.compile("Đăng nhập|Login")).click()
            page.wait_for_selector("#bc-question textarea")

            page.fill("#bc-question textarea", "Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?")
            page.click("#bc-send")
            expect(page.locator("#bc-chat")).to_contain_text("5.851 tỷ đồng", timeout=60_000)

            page.get_by_role("tab", name="Tài liệu").click()
            page.locator("#bc-upload input[type=file]").set_input_files([str(note)])
            expect(page.locator("#bc-upload-result")).to_contain_text("Đã nạp 1 tệp", timeout=120_000)
            expect(page.locator("#bc-docs-table")).to_contain_text("trong-rung-2023.txt")
        finally:
            browser.close()
    assert not blocked, "the page broke its own Content-Security-Policy:\n" + "\n".join(blocked)

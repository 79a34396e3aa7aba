"""ui.security: no password, no listening beyond loopback (unless --insecure)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.security import AuthError, InsecureBind, check_bind, is_loopback, parse_auth


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

"""Who added a document to the index, as the manifest records it and the documents tab shows it.

Why: anyone allowed to upload can plant a document; the documents tab must say who it was.
"""

from __future__ import annotations

COMMAND_LINE = "cli"  # ``baocao ingest``
WEB = "web"  # the web page with no login (loopback, no password)
_WEB_USER = "web:"


def web_uploader(username: str | None) -> str:
    """The record of an upload through the web page by ``username`` (None: nobody logged in)."""
    return f"{_WEB_USER}{username}" if username else WEB


def uploader_label(uploaded_by: str | None) -> str:
    """What a person reads for a recorded uploader."""
    if uploaded_by == COMMAND_LINE:
        return "dòng lệnh (command line)"
    if uploaded_by == WEB:
        return "trang web, không đăng nhập (web page, no login)"
    if uploaded_by and uploaded_by.startswith(_WEB_USER):
        return uploaded_by[len(_WEB_USER):]
    return "không rõ (not recorded)"

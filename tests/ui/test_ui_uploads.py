"""ui.uploads: an upload's name becomes a document id, so only a plain, allowed file name passes."""

from __future__ import annotations

from pathlib import Path

import pytest

from ui.uploads import UploadRejected, safe_name, save_upload

EXTS = (".txt", ".docx", ".pdf")


@pytest.mark.parametrize(
    "name, reason",
    [
        ("../../etc/x.txt", ".."),
        ("..\\..\\windows\\x.txt", ".."),
        ("/etc/passwd.txt", "tuyệt đối"),
        ("C:\\temp\\x.txt", "tuyệt đối"),
        ("\\\\server\\share\\x.txt", "tuyệt đối"),
        ("bao\x00cao.txt", "NUL"),
        ("bao\ncao.txt", "điều khiển"),
        ("sub/bao-cao.txt", "thư mục"),
        (".hidden.txt", "dấu chấm"),
        ("bao-cao.exe", "không được hỗ trợ"),
        ("bao-cao.txt.sh", "không được hỗ trợ"),
        ("bao-cao", "không được hỗ trợ"),
        ("   ", "rỗng"),
        ("a" * 300 + ".txt", "quá dài"),
    ],
)
def test_unsafe_or_unsupported_names_are_rejected(name: str, reason: str):
    with pytest.raises(UploadRejected, match=reason):
        safe_name(name, EXTS)


def test_plain_vietnamese_names_pass_unchanged():
    assert safe_name("Báo cáo 6 tháng đầu năm 2020.DOCX", EXTS) == "Báo cáo 6 tháng đầu năm 2020.DOCX"


def test_save_copies_into_the_upload_folder(tmp_path: Path):
    src = tmp_path / "tmp-upload"
    src.write_text("Năm 2022, tỉnh trồng mới 1.234 ha rừng ngập mặn.", encoding="utf-8")
    saved = save_upload(src, "rung.txt", tmp_path / "uploads", EXTS, max_mb=1)
    assert saved == (tmp_path / "uploads" / "rung.txt").resolve()
    assert saved.read_text(encoding="utf-8").startswith("Năm 2022")
    assert sorted(p.name for p in saved.parent.iterdir()) == ["rung.txt"]  # no partial file left


def test_save_refuses_traversal_and_oversize(tmp_path: Path):
    src = tmp_path / "big"
    src.write_bytes(b"x" * (2 * 1024 * 1024))
    with pytest.raises(UploadRejected, match="quá lớn"):
        save_upload(src, "big.txt", tmp_path / "uploads", EXTS, max_mb=1)
    with pytest.raises(UploadRejected, match=r"\.\."):
        save_upload(src, "../../etc/x.txt", tmp_path / "uploads", EXTS, max_mb=10)
    assert not (tmp_path / "etc").exists()
    assert not (tmp_path / "uploads").exists()  # refused before anything was written

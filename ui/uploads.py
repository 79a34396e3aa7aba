"""Uploaded files: a safe name, an allowed type, a size limit, then a copy into the upload folder.

The name a browser sends is untrusted; it becomes the document id, so it must be a plain file name
that cannot point outside the upload folder.
"""

from __future__ import annotations

import logging
import os
import shutil
import unicodedata
from collections.abc import Iterable
from pathlib import Path, PurePosixPath, PureWindowsPath

logger = logging.getLogger(__name__)

MAX_NAME_BYTES = 200


class UploadRejected(ValueError):
    """An upload that is refused, with a reason a person can act on."""


def safe_name(name: str, allowed_extensions: Iterable[str]) -> str:
    """``name`` itself when it is a plain, allowed file name; raises :class:`UploadRejected` otherwise."""
    if "\x00" in name:
        raise UploadRejected("tên tệp chứa ký tự NUL (NUL byte in the file name)")
    if any(unicodedata.category(ch) == "Cc" for ch in name):
        raise UploadRejected("tên tệp chứa ký tự điều khiển (control character in the file name)")
    name = unicodedata.normalize("NFC", name.strip())
    if not name:
        raise UploadRejected("tên tệp rỗng (empty file name)")
    windows = PureWindowsPath(name)
    if PurePosixPath(name).is_absolute() or windows.is_absolute() or windows.drive:
        raise UploadRejected("tên tệp là đường dẫn tuyệt đối (absolute path not allowed)")
    parts = name.replace("\\", "/").split("/")
    if ".." in parts:
        raise UploadRejected("tên tệp chứa '..' (parent folder not allowed)")
    if len(parts) > 1:
        raise UploadRejected("tên tệp chứa thư mục (folders not allowed; send the file itself)")
    if name.startswith("."):
        raise UploadRejected("tên tệp bắt đầu bằng dấu chấm (hidden file names not allowed)")
    if len(name.encode("utf-8")) > MAX_NAME_BYTES:
        raise UploadRejected(f"tên tệp quá dài (file name longer than {MAX_NAME_BYTES} bytes)")
    allowed = {e.lower() for e in allowed_extensions}
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        raise UploadRejected(
            f"loại tệp '{suffix or '(không có)'}' không được hỗ trợ; chỉ nhận {', '.join(sorted(allowed))} "
            "(unsupported file type)"
        )
    return name


def save_upload(
    source: Path, name: str, upload_dir: Path, allowed_extensions: Iterable[str], max_mb: float
) -> Path:
    """Copy the uploaded temporary file ``source`` to ``upload_dir/name``; returns the saved path.

    A file of the same name is replaced (a new version of the same document).
    """
    clean = safe_name(name, allowed_extensions)
    size = Path(source).stat().st_size
    if size > max_mb * 1024 * 1024:
        raise UploadRejected(f"tệp quá lớn: {size / 1048576:.1f} MB > {max_mb:g} MB (file too large)")
    folder = Path(upload_dir).resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / clean
    if target.parent != folder:  # defence in depth: safe_name already refuses anything else
        raise UploadRejected("tên tệp không hợp lệ (invalid file name)")
    partial = folder / f".{clean}.part"
    shutil.copyfile(source, partial)
    os.replace(partial, target)
    logger.info("saved upload %s (%d bytes)", target, size)
    return target

"""Uploaded files: a safe name, an allowed type, a size limit, then a copy into the upload folder.

The name a browser sends is untrusted; it becomes the document id, so it must be a plain file name
that cannot point outside the upload folder. An upload named like an indexed document of other
content is not saved until the user chooses (:func:`same_named_document`): replace it, or keep
both under a free name (:func:`free_name`).
"""

from __future__ import annotations

import hashlib
import html
import logging
import os
import shutil
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from itertools import count
from pathlib import Path, PurePosixPath, PureWindowsPath
from typing import Any

from rag.index.manifest import DocumentRow

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


def uploaded_path(item: str | Path | Mapping[str, Any]) -> Path:
    """The cached file of one upload: a path, or Gradio's file record (``{"path": ..., ...}``).

    The upload box hands its files over unprocessed (``preprocess=False``): Gradio's own check of
    the batch fails it whole on one bad name (a dot-file, a bare ``.txt``), so each file is judged
    here instead (:func:`safe_name`) and gets its own reason.
    """
    if isinstance(item, Mapping):
        return Path(str(item.get("path") or ""))
    return Path(item)


def save_upload(
    source: Path, name: str, upload_dir: Path, allowed_extensions: Iterable[str], max_mb: float
) -> Path:
    """Copy the uploaded temporary file ``source`` to ``upload_dir/name``; returns the saved path.

    A file of the same name is overwritten: the caller asks the user first (:func:`same_named_document`).
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


def file_sha256(path: Path) -> str:
    """The hash the manifest keeps of a document's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def same_named_document(
    source: Path, name: str, documents: Sequence[DocumentRow], upload_dir: Path
) -> tuple[DocumentRow | None, bool]:
    """The indexed document an upload named ``name`` would take the place of, and whether it holds
    exactly the upload's bytes.

    That is the document of that id, or the one read from the upload folder's file of that name
    (an earlier upload). ``(None, False)`` when there is none.
    """
    target = str(Path(upload_dir).resolve() / name)
    rows = [d for d in documents if d.doc_id == name] + [d for d in documents if d.path == target]
    if not rows:
        return None, False
    return rows[0], rows[0].content_hash == file_sha256(source)


def free_name(name: str, upload_dir: Path, taken: Iterable[str]) -> str:
    """``name`` numbered as a file manager would (``bao-cao (2).txt``), free in the upload folder
    and among the document ids ``taken``: the second of two same-named uploads kept side by side."""
    ids = set(taken)
    base = PurePosixPath(name)
    for n in count(2):
        candidate = base.with_name(f"{base.stem} ({n}){base.suffix}").name
        if candidate not in ids and not (Path(upload_dir) / candidate).exists():
            return candidate
    raise AssertionError("unreachable")


def same_name_question_html(waiting: Sequence[Sequence[str]]) -> str:
    """The question the page asks about held-back uploads ((uploaded file, name, same-named
    document, its title) each), escaped: the names come from the browser and the reports."""
    items = "".join(
        f"<li><b>{html.escape(name)}</b>: đã có tài liệu <code>{html.escape(doc)}</code>"
        + (f" — {html.escape(title)}" if title else "") + "</li>"
        for _, name, doc, title in waiting
    )
    return (
        "<div class='bc-warning'><p><b>Đã có tài liệu cùng tên</b> (a document of this name is already "
        f"indexed):</p><ul>{items}</ul><p>Thay thế tài liệu cũ bằng tệp mới, giữ cả hai (tệp mới được lưu "
        "với tên khác, như «bao-cao (2).txt»), hay huỷ? Chưa có gì bị thay đổi.</p></div>"
    )

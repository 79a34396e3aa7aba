"""Why writing the index failed, in one line a user can act on (disk full, read-only, no permission).

The same condition reaches us in several disguises: ``OSError`` from our own files, SQLite's
``database or disk is full`` / ``attempt to write a readonly database`` from the manifest and the
embedding cache, and from Chroma's Rust core often only "Error in compaction: Failed to apply logs"
with the cause dropped. :func:`write_failure_reason` looks through the exception and its causes,
and when they do not say, asks the folder itself by reserving a few megabytes in it.
"""

from __future__ import annotations

import errno
import os
import tempfile
from pathlib import Path

DISK_FULL = "hết dung lượng đĩa (disk full)"
FILE_TOO_LARGE = "tệp vượt giới hạn kích thước cho phép (file size limit exceeded)"
READ_ONLY = "ổ đĩa chỉ đọc (read-only file system)"
NO_PERMISSION = "không có quyền ghi (permission denied)"
IO_ERROR = "lỗi đọc ghi đĩa (disk I/O error)"

_BY_ERRNO = {
    errno.ENOSPC: DISK_FULL,
    errno.EDQUOT: DISK_FULL,
    errno.EFBIG: FILE_TOO_LARGE,
    errno.EROFS: READ_ONLY,
    errno.EACCES: NO_PERMISSION,
    errno.EPERM: NO_PERMISSION,
    errno.EIO: IO_ERROR,
}

# Enough room for the next document or two; less free space than this counts as a full disk.
MIN_FREE_BYTES = 8 * 1024 * 1024

# Lower-case fragments of messages from SQLite (Python and Rust bindings) and the OS.
_BY_MESSAGE = (
    ("database or disk is full", DISK_FULL),
    ("no space left on device", DISK_FULL),
    ("disk quota exceeded", DISK_FULL),
    ("file too large", FILE_TOO_LARGE),
    ("read-only file system", READ_ONLY),
    ("readonly database", NO_PERMISSION),
    ("permission denied", NO_PERMISSION),
    ("unable to open database file", NO_PERMISSION),
    ("disk i/o error", IO_ERROR),
)


class IndexWriteError(RuntimeError):
    """The index folder could not be written; what was committed before is intact."""

    def __init__(self, index_dir: Path, reason: str, detail: str = "") -> None:
        self.index_dir = index_dir
        self.reason = reason
        message = f"Không ghi được chỉ mục {index_dir} (cannot write the index): {reason}"
        if detail:
            message += f" [{detail}]"
        super().__init__(message)


def _chain(exc: BaseException) -> list[BaseException]:
    seen: list[BaseException] = []
    current: BaseException | None = exc
    while current is not None and current not in seen and len(seen) < 10:
        seen.append(current)
        current = current.__cause__ or current.__context__
    return seen


def probe_folder(folder: Path) -> str | None:
    """Why ``folder`` cannot take a few more megabytes (disk full, read-only, ...), or None if it can."""
    try:
        fd, name = tempfile.mkstemp(prefix=".write-probe-", dir=folder)
    except OSError as exc:
        return _BY_ERRNO.get(exc.errno or 0)
    try:
        os.posix_fallocate(fd, 0, MIN_FREE_BYTES)
    except OSError as exc:
        return _BY_ERRNO.get(exc.errno or 0)
    finally:
        os.close(fd)
        os.unlink(name)
    return None


def read_only_reason(folder: Path, files: tuple[Path, ...] = ()) -> str | None:
    """Why ``folder`` (or one of ``files`` in it) cannot be written now, asked without writing:
    a read-only mount, no write permission (``chmod``, ``chattr +i``), or a (nearly) full disk."""
    try:
        stats = os.statvfs(folder)
    except OSError as exc:
        return _BY_ERRNO.get(exc.errno or 0, IO_ERROR)
    if stats.f_flag & os.ST_RDONLY:
        return READ_ONLY
    if not all(os.access(p, os.W_OK) for p in (folder, *files) if os.path.lexists(p)):
        return NO_PERMISSION
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        return DISK_FULL
    return None


def require_free_space(folder: Path) -> None:
    """Refuse a write before it starts when the disk is (nearly) full.

    Failing inside Chroma is worse: it hides the cause, and it cannot even remove what it wrote.
    """
    stats = os.statvfs(folder)
    if stats.f_bavail * stats.f_frsize < MIN_FREE_BYTES:
        raise OSError(errno.ENOSPC, f"less than {MIN_FREE_BYTES >> 20} MB free", str(folder))


def write_failure_reason(exc: BaseException, folder: Path | None = None) -> str | None:
    """The storage condition behind ``exc`` (disk full, read-only, ...), or None if it is another bug.

    ``folder`` (the index) is probed when the exception's text does not name the condition.
    """
    chain = _chain(exc)
    for item in chain:
        if isinstance(item, OSError) and item.errno in _BY_ERRNO:
            return _BY_ERRNO[item.errno]
    for item in chain:
        text = str(item).lower()
        for fragment, reason in _BY_MESSAGE:
            if fragment in text:
                # SQLite's "disk I/O error" hides its cause (a full disk, a file size limit): ask the folder
                return (_probe(folder) or reason) if reason == IO_ERROR else reason
    return _probe(folder)


def _probe(folder: Path | None) -> str | None:
    return probe_folder(folder) if folder is not None and folder.is_dir() else None


def one_line(exc: BaseException, limit: int = 300) -> str:
    """``exc`` as a single short line (Chroma's messages span several)."""
    text = " ".join(str(exc).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"

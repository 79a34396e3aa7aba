"""Which document id each found file gets: a document is its file, not its bare relative name.

A found file is first named by its path relative to the folder that was ingested (``bao-cao.txt``).
That name is only a proposal, because two folders can both hold a ``bao-cao.txt``:

1. a file the index already holds (same resolved path) keeps the id it has, whatever the folder
   given this time: re-ingesting a folder, or a sub-folder of it, updates its documents in place;
2. a free name is taken as is, and so is the name of a document whose file is gone (the archive
   was moved or renamed: its edited files update the documents they were) or whose file holds
   the very same bytes (a copy of the archive: the document follows the copy, nothing is lost);
3. a name held by another file of other content is not taken from it: the new file gets the
   name with its folders in front (``b/bao-cao.txt``) and both documents are kept, unless
   replacing was asked for (``baocao ingest --replace``: the new file takes the name, and a file
   kept apart earlier leaves its longer id for it); the ingest summary names each such case.

Ids already in an index stay valid: nothing is renamed, the stored path says which file is which.
"""

from __future__ import annotations

import hashlib
import logging
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import count
from pathlib import Path, PurePosixPath

from rag.index.manifest import DocumentRow
from rag.ingest.parse import SourceFile
from rag.records import visible

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class NameClash:
    """A file whose name an existing document already had: kept beside it, or replacing it."""

    doc_id: str  # the id the new file was given (the existing document's id when it replaced it)
    existing_id: str  # the document that had the name first
    existing_path: str  # that document's file
    path: str  # the new file
    replaced: bool = False
    previous_ids: tuple[str, ...] = ()  # ids the new file had (kept apart before): removed once it is stored

    def __str__(self) -> str:
        """One line for the ingest summary, whatever the names hold."""
        if self.replaced:
            before = "".join(f"; bỏ tên cũ {visible(d)}" for d in self.previous_ids)
            return (f"{visible(self.doc_id)}: nay là tệp {visible(self.path)}, thay cho tệp "
                    f"{visible(self.existing_path)}{before} (replaced)")
        return (f"{visible(self.doc_id)}: tệp {visible(self.path)} trùng tên với tài liệu "
                f"{visible(self.existing_id)} đã nạp từ {visible(self.existing_path)}; giữ cả hai, tài liệu "
                f"mới mang tên {visible(self.doc_id)} (same name: both kept)")


@dataclass
class Identities:
    """The ids of one ingest's files, and the name clashes it met (``doc_id`` → clash)."""

    sources: list[SourceFile]
    replacing: dict[str, NameClash] = field(default_factory=dict)  # the new file takes the document's place
    kept_apart: dict[str, NameClash] = field(default_factory=dict)  # the new file is a document of its own


def resolved(path: Path) -> str:
    """A file's absolute path with links followed, as the manifest stores it."""
    try:
        return str(path.resolve())
    except (OSError, RuntimeError):  # a link loop: never stored, so any stable spelling will do
        return os.path.abspath(path)


def assign_ids(
    sources: Sequence[SourceFile], stored: Sequence[DocumentRow], replace_existing: bool
) -> Identities:
    """Give each found file its document id (rules in the module docstring).

    With ``replace_existing``, a file already indexed under a longer id (kept apart from a
    same-named document) takes its own name too: that document is replaced, the longer id retired.
    """
    by_id = {row.doc_id: row for row in stored}
    by_path: dict[str, list[str]] = {}
    for row in stored:
        by_path.setdefault(row.path, []).append(row.doc_id)
    paths = [s.real_path or resolved(s.path) for s in sources]

    def held_by_another(name: str, path: str) -> DocumentRow | None:
        row = by_id.get(name)
        return row if row is not None and row.path != path and os.path.exists(row.path) else None

    ids: list[str | None] = [None] * len(sources)
    previous: dict[int, list[str]] = {}  # files already indexed that may take their own name (--replace)
    owner: dict[str, str] = {}  # id given in this run → its file
    # rule 1: files already indexed keep their ids, those under their own name first
    for exact in (True, False):
        for i, (source, path) in enumerate(zip(sources, paths, strict=True)):
            known = [d for d in by_path.get(path, ()) if d not in owner]
            if ids[i] is not None or not known or (source.doc_id in known) != exact:
                continue
            if not exact and replace_existing and held_by_another(source.doc_id, path):
                previous[i] = known
                continue
            ids[i] = source.doc_id if exact else known[0]
            owner[ids[i]] = path

    out = Identities([])
    for i, (source, path) in enumerate(zip(sources, paths, strict=True)):
        if ids[i] is not None:
            continue
        name = source.doc_id
        row = by_id.get(name)
        clash: NameClash | None = None
        if name in owner:  # another file of this same ingest has the name
            clash = NameClash("", name, owner[name], path)
        elif row is None or not os.path.exists(row.path):  # rule 2
            ids[i] = name
        elif i not in previous and _same_bytes(source.path, row):  # rule 2: a copy of the same file
            ids[i] = name
        elif replace_existing:
            ids[i] = name
            out.replacing[name] = NameClash(name, name, row.path, path, True, tuple(previous.get(i, ())))
        else:
            clash = NameClash("", name, row.path, path)
        if ids[i] is None and i in previous:  # it cannot take its name after all: it keeps its id
            ids[i] = previous[i][0]
        elif clash is not None:  # rule 3: both kept
            ids[i] = next(a for a in _alternatives(source) if a not in by_id and a not in owner)
            out.kept_apart[ids[i]] = replace(clash, doc_id=ids[i])
            logger.info("%s is named %s: %s already holds %s", path, ids[i], clash.existing_path, name)
        owner[ids[i]] = path  # type: ignore[index]
    out.sources = [replace(s, doc_id=d) if d != s.doc_id else s for s, d in zip(sources, ids, strict=True)]
    return out


def _same_bytes(path: Path, row: DocumentRow) -> bool:
    """Whether the file holds exactly the bytes ``row`` was read from (its size first: most differ
    there). Only a regular file is read: a FIFO would block, and the ingest refuses it anyway."""
    try:
        if not path.is_file() or path.stat().st_size != row.size:
            return False
        digest = hashlib.sha256()
        with open(path, "rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
    except OSError:
        return False
    return digest.hexdigest() == row.content_hash


def _alternatives(source: SourceFile) -> Iterator[str]:
    """Other names for a file whose own is taken: its folders in front, nearest first
    (``b/bao-cao.txt``, ``x/b/bao-cao.txt``...), then a number (``bao-cao (2).txt``)."""
    name = PurePosixPath(source.doc_id)
    folders = Path(os.path.abspath(source.path)).parts[1 : -len(name.parts)]
    for n in range(1, len(folders) + 1):
        yield PurePosixPath(*folders[-n:], name).as_posix()
    for n in count(2):
        yield name.with_name(f"{name.stem} ({n}){name.suffix}").as_posix()

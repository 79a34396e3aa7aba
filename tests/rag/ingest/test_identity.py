"""rag.ingest.identity: which id each found file gets, against the documents an index holds.

The index rows are real ``DocumentRow`` records with made-up hashes and sizes: identity depends
only on the ids and the paths (and on whether those files exist), never on the vectors.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from rag.index.manifest import DocumentRow
from rag.ingest.identity import assign_ids
from rag.ingest.pipeline import discover
from rag.records import DocumentMetadata


def _row(doc_id: str, path: Path, data: bytes = b"another text") -> DocumentRow:
    """The row of a document read from ``path`` when it held ``data``."""
    digest = hashlib.sha256(data).hexdigest()
    return DocumentRow(doc_id, str(path.resolve()), digest, len(data), 1, "txt", "utf-8", DocumentMetadata(), 1, 0.0)


def _found(*paths: Path):
    return discover(list(paths), [".txt"])[0]


def _folders(tmp_path: Path, *names: str) -> list[Path]:
    for name in names:
        (tmp_path / name).mkdir(parents=True)
        (tmp_path / name / "bao-cao.txt").write_text(name, encoding="utf-8")
    return [tmp_path / name for name in names]


def test_a_name_held_by_another_existing_file_is_not_taken_both_are_kept(tmp_path: Path):
    a, b = _folders(tmp_path, "a", "b")
    ids = assign_ids(_found(b), [_row("bao-cao.txt", a / "bao-cao.txt")], replace_existing=False)
    assert [s.doc_id for s in ids.sources] == ["b/bao-cao.txt"]
    assert ids.replacing == {} and ids.kept_apart["b/bao-cao.txt"].existing_id == "bao-cao.txt"


def test_with_replace_the_new_file_takes_the_name(tmp_path: Path):
    a, b = _folders(tmp_path, "a", "b")
    ids = assign_ids(_found(b), [_row("bao-cao.txt", a / "bao-cao.txt")], replace_existing=True)
    assert [s.doc_id for s in ids.sources] == ["bao-cao.txt"]
    assert ids.replacing["bao-cao.txt"].existing_path == str((a / "bao-cao.txt").resolve())
    assert "nay là tệp" in str(ids.replacing["bao-cao.txt"])


def test_an_indexed_file_keeps_its_id_whichever_folder_is_given(tmp_path: Path):
    a, b = _folders(tmp_path, "a", "b")
    stored = [_row("bao-cao.txt", a / "bao-cao.txt"), _row("b/bao-cao.txt", b / "bao-cao.txt")]
    for replace in (False, True):
        ids = assign_ids(_found(a, b), stored, replace_existing=replace)
        assert [s.doc_id for s in ids.sources] == ["bao-cao.txt", "b/bao-cao.txt"]
        assert not ids.replacing and not ids.kept_apart
    assert [s.doc_id for s in assign_ids(_found(tmp_path), stored, False).sources] == [
        "bao-cao.txt", "b/bao-cao.txt"]  # the parent folder: a/… and b/… are the files indexed already


def test_the_name_of_a_document_whose_file_is_gone_is_taken_by_the_moved_file(tmp_path: Path):
    (moved,) = _folders(tmp_path, "moved")
    stored = [_row("bao-cao.txt", tmp_path / "old" / "bao-cao.txt")]  # the folder was renamed
    ids = assign_ids(_found(moved), stored, replace_existing=False)
    assert [s.doc_id for s in ids.sources] == ["bao-cao.txt"] and not ids.kept_apart and not ids.replacing


def test_two_same_named_files_of_one_ingest_are_both_kept(tmp_path: Path):
    a, b = _folders(tmp_path, "a", "b")
    for replace in (False, True):
        ids = assign_ids(_found(a, b), [], replace_existing=replace)
        assert [s.doc_id for s in ids.sources] == ["bao-cao.txt", "b/bao-cao.txt"]


def test_longer_names_go_up_the_folders_then_number(tmp_path: Path):
    x_b, y_b = _folders(tmp_path, "x/b", "y/b")
    stored = [_row("bao-cao.txt", x_b / "bao-cao.txt"), _row("b/bao-cao.txt", tmp_path / "x" / "c.txt")]
    (tmp_path / "x" / "c.txt").write_text("c", encoding="utf-8")
    assert [s.doc_id for s in assign_ids(_found(y_b), stored, False).sources] == ["y/b/bao-cao.txt"]


def test_a_copy_holding_the_same_bytes_is_the_same_document_not_a_second_one(tmp_path: Path):
    a, b = _folders(tmp_path, "a", "b")
    (b / "bao-cao.txt").write_bytes((a / "bao-cao.txt").read_bytes())
    stored = [_row("bao-cao.txt", a / "bao-cao.txt", (a / "bao-cao.txt").read_bytes())]
    ids = assign_ids(_found(b), stored, replace_existing=False)
    assert [s.doc_id for s in ids.sources] == ["bao-cao.txt"] and not ids.kept_apart and not ids.replacing

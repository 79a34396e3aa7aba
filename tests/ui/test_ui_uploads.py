"""ui.uploads: an upload's name becomes a document id, so only a plain, allowed file name passes;
in a batch, a bad name fails only its own file."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from rag.index.manifest import DocumentRow
from rag.records import DocumentMetadata
from ui.uploads import (
    UploadRejected,
    file_sha256,
    free_name,
    safe_name,
    same_name_question_html,
    same_named_document,
    save_upload,
)

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


def _row(doc_id: str, path: Path, digest: str) -> DocumentRow:
    return DocumentRow(doc_id, str(path), digest, 1, 1, "txt", "utf-8", DocumentMetadata(), 1, 0.0)


def test_same_named_document_is_the_one_of_that_id_or_of_that_uploaded_file(tmp_path: Path):
    upload = tmp_path / "tmp-upload"
    upload.write_text("bản mới", encoding="utf-8")
    uploads = (tmp_path / "uploads").resolve()
    folder_doc = _row("bao-cao.txt", tmp_path / "a" / "bao-cao.txt", "old")
    assert same_named_document(upload, "bao-cao.txt", [folder_doc], uploads) == (folder_doc, False)
    earlier = _row("uploads/bao-cao.txt", uploads / "bao-cao.txt", file_sha256(upload))
    assert same_named_document(upload, "bao-cao.txt", [earlier], uploads) == (earlier, True)
    assert same_named_document(upload, "khac.txt", [folder_doc, earlier], uploads) == (None, False)


def test_free_name_numbers_past_files_and_document_ids(tmp_path: Path):
    (tmp_path / "bao-cao (2).txt").write_text("x", encoding="utf-8")
    assert free_name("bao-cao.txt", tmp_path, {"bao-cao.txt", "bao-cao (3).txt"}) == "bao-cao (4).txt"


def test_the_same_name_question_escapes_names_and_titles():
    question = same_name_question_html([("/tmp/x", "<b>.txt", "<b>.txt", "<script>alert(1)</script>")])
    assert "<script>" not in question and "&lt;script&gt;" in question and "&lt;b&gt;.txt" in question


# --- A batch through the real page: one bad name fails only its own file --------------------------

def _upload_batch(url: str, named_bytes: list[tuple[str, bytes]], session: str) -> dict:
    """Send files as the browser does (/upload, then the upload box's event); the event's result."""
    import json

    import httpx

    with httpx.Client(base_url=url, timeout=120) as client:
        cached = client.post("/gradio_api/upload", files=[("files", (n, b, "text/plain")) for n, b in named_bytes])
        assert cached.status_code == 200, cached.text
        config = client.get("/config").json()
        dep = next(d for d in config["dependencies"] if d.get("api_name") == "ingest_uploads")
        data = [[{"path": p, "orig_name": n, "meta": {"_type": "gradio.FileData"}}
                 for p, (n, _) in zip(cached.json(), named_bytes, strict=True)]]
        joined = client.post("/gradio_api/queue/join", json={
            "data": data, "fn_index": dep["id"], "trigger_id": dep["targets"][0][0], "session_hash": session,
            "event_data": None})
        assert joined.status_code == 200, joined.text
        with client.stream("GET", "/gradio_api/queue/data", params={"session_hash": session}) as events:
            for line in events.iter_lines():
                if line.startswith("data:") and (message := json.loads(line[5:])).get("msg") == "process_completed":
                    return message
    raise AssertionError("the event stream ended without a result")


@pytest.fixture(scope="module")
def served_page(make_index, tmp_path_factory: pytest.TempPathFactory, free_port):
    """The page served in this process (as `baocao ui` serves it) over a fresh sample index."""
    from rag.assistant import Assistant
    from rag.config import Settings, UISettings
    from ui.app import build_app, launch

    index = make_index()
    settings = Settings(index={"dir": index})
    ui = UISettings(upload_dir=tmp_path_factory.mktemp("uploads"))
    demo = build_app(Assistant.open(index, settings), settings, ui)
    port = free_port()
    launch(demo, ui, "127.0.0.1", port, block=False)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        demo.close()


@pytest.mark.filterwarnings("ignore:.*(no_silent_downcasting|copy keyword).*")
def test_a_batch_with_a_dot_file_or_wrong_type_ingests_the_valid_files_and_names_each_bad_one(
    served_page: str, monkeypatch: pytest.MonkeyPatch
):
    from gradio.utils import get_upload_folder

    # Gradio refuses dot-files inside the working folder: run from the folder that holds its upload cache
    monkeypatch.chdir(Path(get_upload_folder()).parent)
    good = "Báo cáo trồng rừng.\n\nNăm 2023, tỉnh trồng mới 4.321 ha rừng ngập mặn.\n".encode()
    batch = [("trong-rung-2023.txt", good), (".bao-cao.txt", b"an"), (".txt", b"rong"),
             ("<>.tar.txt", b"ten-bi-lam-sach"), ("virus.exe", b"MZ")]
    result = _upload_batch(served_page, batch, "dot-file-batch")
    assert result["success"], result["output"]  # before: {"error": null}, nothing ingested
    table = result["output"]["data"][0]
    assert "Đã nạp 1 tệp" in table
    rows = dict(re.findall(r"<tr class=\"bc-\w+\"><td>([^<]*)</td><td>([^<]*)</td></tr>", table))
    assert "Đã nạp" in rows["trong-rung-2023.txt"]
    for bad in (".bao-cao.txt", ".txt", ".tar.txt"):  # Gradio makes "<>.tar.txt" into ".tar.txt"
        assert "dấu chấm" in rows[bad], rows
    assert "không được hỗ trợ" in rows["virus.exe"], rows
    listed = result["output"]["data"][2]
    ids = {row[0] for row in (listed.get("value") or listed)["data"]}
    assert "trong-rung-2023.txt" in ids and not any(i.startswith(".") for i in ids)

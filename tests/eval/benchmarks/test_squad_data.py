"""The SQuAD data layer: the fixed train/test halves, stable names and ids, answers, combined corpora.

Tiny in-memory SQuAD dicts; nothing is ingested and no model is loaded. Two checks read the shared
XQuAD-vi and UIT files when they are there (about 2 MB of JSON).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from eval.benchmarks.convert import main as convert_main
from eval.benchmarks.convert import squad_to_gold
from eval.benchmarks.files import InputMissing
from eval.benchmarks.squad_data import (
    BENCH_DIR,
    PARTS,
    SquadSource,
    align_answer,
    load_squad,
    reader_test_sources,
    reader_training_sources,
    squad_corpus,
    squad_paragraphs,
    squad_split,
)
from eval.gold import load_gold, locate
from rag.text.normalize import normalize_text


def _qa(qid: str, question: str, context: str, answer: str, start: int | None = None) -> dict[str, Any]:
    return {"id": qid, "question": question,
            "answers": [{"text": answer, "answer_start": context.index(answer) if start is None else start}]}


def _article(title: str, *contexts: str, qid: str = "") -> dict[str, Any]:
    """An article whose paragraph n asks for its first word; ids ``<qid or title>-<n>``."""
    return {"title": title, "paragraphs": [
        {"context": c, "qas": [_qa(f"{qid or title}-{n}", f"Câu hỏi {n} về {title}?", c, c.split()[0])]}
        for n, c in enumerate(contexts)]}


def _squad(n_articles: int) -> dict[str, Any]:
    return {"version": "1.1", "data": [
        _article(f"Bài {i}", *(f"Đoạn{i}x{n} của bài {i}. Câu thứ hai." for n in range(i % 3 + 1)))
        for i in range(n_articles)]}


def _uit_like() -> dict[str, Any]:
    """UIT-style quirks: repeated titles, a repeated question id, offsets off by a few characters."""
    c0 = "Ấn Độ Dương có diện tích 75.000.000 km². Đại dương này giáp châu Phi."
    c1 = "Có 30 đội bóng ở Bắc Mỹ. Liên đoàn bóng rổ quốc tế được gọi là FIBA."
    c2 = "Sông Mê Kông dài khoảng 4.350 km. Sông chảy qua sáu quốc gia."
    return {"data": [
        {"title": "Wikipedia", "paragraphs": [{"context": c0, "qas": [
            _qa("A1", "Diện tích Ấn Độ Dương?", c0, "75.000.000 km²"),
            _qa("A1", "Ấn Độ Dương giáp châu lục nào?", c0, "châu Phi")]}]},
        {"title": "Wikipedia", "paragraphs": [{"context": c1, "qas": [
            _qa("B1", "Có bao nhiêu đội?", c1, "30", start=c1.index("30") - 4),
            _qa("B2", "Tên gọi của liên đoàn?", c1, " Liên đoàn bóng rổ quốc tế",
                start=c1.index("Liên") - 5)]}]},
        {"title": "", "paragraphs": [{"context": c2, "qas": [
            _qa("A1", "Sông Mê Kông dài bao nhiêu?", c2, "4.350 km"),
            _qa("C1", "Cúp bóng đá?", c2, "Cúp bóng đá thế giới?", start=-1)]}]},
    ]}


# -- the split ----------------------------------------------------------------------------------
@pytest.mark.parametrize("n", [0, 1, 2, 5, 8])
def test_halves_are_disjoint_cover_everything_and_are_stable(n: int) -> None:
    data = _squad(n)
    train, test, every = (squad_split(data, p) for p in ("train", "test", "all"))
    titles = {p: [a["title"] for a in d["data"]]
              for p, d in (("train", train), ("test", test), ("all", every))}
    assert not set(titles["train"]) & set(titles["test"])
    assert sorted(titles["train"] + titles["test"]) == sorted(titles["all"])
    assert titles["all"] == [a["title"] for a in data["data"]]
    assert titles["train"] == [f"Bài {i}" for i in range(0, n, 2)]  # the rule: even index → train
    assert titles["test"] == [f"Bài {i}" for i in range(1, n, 2)]
    # stable: the same answer again, from a copy read back from JSON; the other keys are kept
    again = json.loads(json.dumps(data, ensure_ascii=False))
    assert squad_split(again, "test") == test and test["version"] == "1.1"
    assert len(train["data"]) - len(test["data"]) in (0, 1)


def test_paragraphs_of_one_article_never_straddle_the_split() -> None:
    data = _squad(7)
    where: dict[int, set[str]] = {}
    for part in ("train", "test"):
        for p in squad_paragraphs(data, part):
            where.setdefault(p.article, set()).add(part)
    assert all(len(parts) == 1 for parts in where.values()) and sorted(where) == list(range(7))
    every = squad_paragraphs(data, "all")
    halves = squad_paragraphs(data, "train") + squad_paragraphs(data, "test")
    assert sorted(p.doc_id for p in halves) == sorted(p.doc_id for p in every)
    assert len(every) == sum(len(a["paragraphs"]) for a in data["data"])


def test_an_unknown_part_is_an_error() -> None:
    assert PARTS == ("train", "test", "all")
    with pytest.raises(ValueError, match="unknown split part 'dev'"):
        squad_split(_squad(2), "dev")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown split part"):
        squad_paragraphs(_squad(2), "Test")  # type: ignore[arg-type]


# -- names, ids, answers ------------------------------------------------------------------------
def test_names_and_ids_do_not_depend_on_the_part() -> None:
    data = _uit_like()
    every = {p.doc: p for p in squad_paragraphs(data, "all", source="uit")}
    # titles shared by several articles get the article's index in the file; a unique one does not
    assert list(every) == ["Wikipedia-a0-0", "Wikipedia-a1-0", "x-0"]
    ids = [q.id for p in every.values() for q in p.questions]
    assert ids == ["A1", "A1~2", "B1", "B2", "A1~3", "C1"]
    for part in ("train", "test"):
        for p in squad_paragraphs(data, part, source="uit"):
            assert p == every[p.doc]  # same name, ids, offsets as in the whole file
    test = squad_paragraphs(data, "test", source="uit")
    assert [p.doc_id for p in test] == ["uit/Wikipedia-a1-0"]
    assert [(p.article, p.paragraph, p.title) for p in test] == [(1, 0, "Wikipedia")]


def test_answers_are_stripped_and_realigned() -> None:
    by_id = {q.id: (p, q) for p in squad_paragraphs(_uit_like()) for q in p.questions}
    for qid, text in [("A1", "75.000.000 km²"), ("B1", "30"), ("B2", "Liên đoàn bóng rổ quốc tế")]:
        p, q = by_id[qid]
        (a,) = q.answers
        assert a.text == text and p.context[a.start:a.end] == text, qid
    _, unlocated = by_id["C1"]
    assert unlocated.answers[0].start is None and unlocated.located == ()
    assert align_answer("ba và ba", "ba", 5).start == 6  # the occurrence nearest to the given offset
    assert align_answer("ba và ba", "ba", None).start == 0
    assert align_answer("abc", "  ", 0).start is None
    assert align_answer("Hòa Bình", "Ho\u0300a Bình", 0).text == "Hòa Bình"  # NFC


def test_load_squad(tmp_path: Path) -> None:
    with pytest.raises(InputMissing, match="input file not found"):
        load_squad(tmp_path / "absent.json")
    bad = tmp_path / "bad.json"
    bad.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(ValueError, match="not a SQuAD v1.1 file"):
        load_squad(bad)
    good = tmp_path / "good.json"
    good.write_text(json.dumps(_squad(3), ensure_ascii=False), encoding="utf-8")
    assert load_squad(good) == _squad(3)
    assert squad_paragraphs(good, "test") == squad_paragraphs(_squad(3), "test")


# -- combined corpora ---------------------------------------------------------------------------
def test_squad_corpus_combines_files_and_dicts(tmp_path: Path) -> None:
    path = tmp_path / "uit.json"
    path.write_text(json.dumps(_uit_like(), ensure_ascii=False), encoding="utf-8")
    corpus = squad_corpus([SquadSource("uit-train", path), SquadSource("tiny", _squad(4), "train")])
    assert [p.source for p in corpus] == ["uit-train"] * 3 + ["tiny"] * 4  # articles 0 (1 par.), 2 (3 par.)
    assert len({p.doc_id for p in corpus}) == len(corpus)
    assert sum(len(p.questions) for p in corpus) == 6 + 4
    with pytest.raises(ValueError, match="repeated"):
        squad_corpus([SquadSource("a", _squad(2)), SquadSource("a", _squad(3))])
    with pytest.raises(ValueError, match="same paragraph"):  # one text on both sides
        squad_corpus([SquadSource("a", _squad(2)), SquadSource("b", _squad(2), "train")])


def test_issue_17_sources_keep_xquad_halves_apart() -> None:
    training, held_out = reader_training_sources(Path("/b")), reader_test_sources(Path("/b"))
    assert [(s.name, s.part) for s in training] == [
        ("uit-train-wiki", "all"), ("uit-train-reg", "all"), ("xquad-vi", "train")]
    assert [(s.name, s.part) for s in held_out] == [("xquad-vi", "test"), ("uit-test-wiki", "all")]
    # XQuAD-vi is on both sides, by halves; no other file is
    assert {s.data for s in training} & {s.data for s in held_out} == {Path("/b/xquad-vi/xquad.vi.json")}


XQUAD = BENCH_DIR / "xquad-vi" / "xquad.vi.json"


@pytest.mark.skipif(not XQUAD.is_file(), reason="shared XQuAD-vi file absent")
def test_the_real_xquad_halves() -> None:
    data = load_squad(XQUAD)
    counts = {}
    for part in ("train", "test"):
        ps = squad_paragraphs(data, part, source="xquad-vi")
        counts[part] = (len({p.article for p in ps}), len(ps), sum(len(p.questions) for p in ps))
    assert counts == {"train": (24, 120, 612), "test": (24, 120, 578)}
    assert squad_split(data, "test")["data"][0]["title"] == "Warsaw"
    assert squad_split(data, "train")["data"][0]["title"] == "Super_Bowl_50"


ISSUE_17_FILES = [Path(s.data) for s in reader_training_sources() + reader_test_sources()]


@pytest.mark.skipif(not all(p.is_file() for p in ISSUE_17_FILES), reason="shared UIT / XQuAD files absent")
def test_the_real_training_corpus_shares_nothing_with_the_held_out_sets() -> None:
    training = squad_corpus(reader_training_sources())
    held_out = squad_corpus(reader_test_sources())
    assert len(training) == 67 + 75 + 120 and len(held_out) == 120 + 14
    assert sum(len(p.questions) for p in training) == 599 + 626 + 612
    assert not {p.context for p in training} & {p.context for p in held_out}
    located = [q for p in training for q in p.questions if q.located]
    assert len(located) >= 0.99 * sum(len(p.questions) for p in training)


# -- the gold conversion ------------------------------------------------------------------------
def test_squad_to_gold_takes_a_dict_and_a_part(tmp_path: Path) -> None:
    data = _uit_like()
    docs, gold = squad_to_gold(data, tmp_path / "out", part="all", tag="uit")
    names = ["Wikipedia-a0-0.txt", "Wikipedia-a1-0.txt", "x-0.txt"]
    assert sorted(p.name for p in docs.glob("*.txt")) == names
    questions = load_gold(gold)
    assert [q.id for q in questions] == ["A1", "A1~2", "B1", "B2", "A1~3", "C1"]
    assert all(q.tags == ["uit"] for q in questions)
    for q in questions[:-1]:  # the last one's answer is not in its paragraph: the span is its evidence
        text = normalize_text((docs / q.evidence[0].doc).read_text(encoding="utf-8"))
        assert locate(q.evidence[0].quote, text) is not None and q.must_include[0] in q.evidence[0].quote
    mapping = json.loads((tmp_path / "out" / "mapping.json").read_text(encoding="utf-8"))
    assert mapping["Wikipedia-a1-0.txt"] == {"title": "Wikipedia", "paragraph": 0, "article": 1}

    # the test half into the same folder: the other part's documents go, the questions follow
    docs, gold = squad_to_gold(data, tmp_path / "out", part="test", tag="uit")
    assert [p.name for p in docs.glob("*.txt")] == ["Wikipedia-a1-0.txt"]
    assert [q.id for q in load_gold(gold)] == ["B1", "B2"]


def test_convert_command_split(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps(_squad(4), ensure_ascii=False), encoding="utf-8")
    assert convert_main(["squad", "--input", str(path), "--out", str(tmp_path / "o"), "--split", "test"]) == 0
    assert "3 documents" in capsys.readouterr().out  # articles 1 (2 paragraphs) and 3 (1 paragraph)
    rows = load_gold(tmp_path / "o" / "gold.jsonl")
    assert {q.id.rsplit("-", 1)[0] for q in rows} == {"Bài 1", "Bài 3"}

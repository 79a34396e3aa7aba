"""The SQuAD benchmark commands' ``--split`` and ``--name``, with the ingest and the assistant faked.

What is checked: the part decides both the documents handed to the index and the questions asked,
the split is recorded in the output's settings, and an index holding another part's documents stops
the run. The real ingest and assistant are exercised by test_bench_commands.py.
"""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from llama_index.core.schema import NodeWithScore, TextNode

from eval.benchmarks import squad, xquad
from eval.benchmarks.common import OpenedCorpus
from eval.benchmarks.squad_data import SPLIT_RULE
from rag.config import Settings


class FakeAssistant:
    """Ranks the documents by words shared with the question; answers by quoting the best one."""

    def __init__(self, docs: Path) -> None:
        self.texts = {p.name: p.read_text(encoding="utf-8") for p in sorted(docs.glob("*.txt"))}
        self.asked: list[str] = []

    def _ranked(self, question: str) -> list[str]:
        words = set(question.lower().split())
        return sorted(self.texts, key=lambda d: (-len(words & set(self.texts[d].lower().split())), d))

    def understand(self, question: str) -> str:
        return question

    def retrieve(self, question: str, retrieval_mode: str, k: int) -> list[NodeWithScore]:
        return [NodeWithScore(node=TextNode(text=self.texts[d], metadata={"doc_id": d}), score=1.0)
                for d in self._ranked(question)[:k]]

    def ask(self, question: str, retrieval_mode: str) -> Any:
        self.asked.append(question)
        top = self._ranked(question)[0]
        return SimpleNamespace(found=True, text=self.texts[top],
                               citations=[SimpleNamespace(doc=top, quote=self.texts[top])])


@pytest.fixture()
def fake_index(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    """Replaces ingest_and_open; ``seen`` gets the documents handed over and the assistant."""
    seen: dict[str, Any] = {"extra": 0}

    def ingest_and_open(docs: Path, index: Path, prune: bool = False) -> OpenedCorpus:
        assistant = FakeAssistant(docs)
        seen.update(docs=sorted(assistant.texts), assistant=assistant, prune=prune)
        n = len(assistant.texts) + seen["extra"]
        return OpenedCorpus(assistant, Settings(index={"dir": index}), {"indexed": n}, docs=n,  # type: ignore[arg-type]
                            chunks=n)

    monkeypatch.setattr(squad, "ingest_and_open", ingest_and_open)
    return seen


def _run(main: Any, args: list[str], tmp_path: Path) -> dict[str, Any]:
    out = tmp_path / "out.json"
    assert main([*args, "--out", str(out), "--modes", "bm25", "--work", str(tmp_path / "work")]) == 0
    return json.loads(out.read_text(encoding="utf-8"))


def test_xquad_test_split_holds_and_asks_only_the_test_half(
        squad_file: Path, tmp_path: Path, fake_index: dict[str, Any],
        capsys: pytest.CaptureFixture[str]) -> None:
    # conftest's file: article 0 "Cà_Mau" (2 paragraphs, q0-q2) → train; article 1 "Đà_Nẵng" (q3) → test
    rows = tmp_path / "r.jsonl"
    result = _run(xquad.main, ["--data", str(squad_file), "--split", "test", "--rows", str(rows)], tmp_path)
    assert fake_index["docs"] == ["Da_Nang-0.txt"] and fake_index["prune"] is True
    assert fake_index["assistant"].asked == ["Cầu Rồng được khánh thành năm nào?"]
    assert result["benchmark"] == "xquad-vi" and result["n_questions"] == 1
    assert result["corpus"]["questions_in_file"] == 4 and result["corpus"]["questions_in_part"] == 1
    assert result["settings"]["split"] == {
        "part": "test", "rule": SPLIT_RULE, "articles": 1, "articles_in_file": 2, "paragraphs": 1,
        "questions": 1, "titles": ["Đà_Nẵng"]}
    answer = result["modes"]["bm25"]["answer"]
    assert answer["contains_gold"] == 1.0 and answer["refusal_rate"] == 0.0
    assert [json.loads(line)["id"] for line in rows.read_text().splitlines()] == ["q3"]
    assert "xquad-vi (test): 1 questions, 1 paragraphs" in capsys.readouterr().out

    # the train half in the same work folder: the test paragraph is gone from what is ingested
    result = _run(xquad.main, ["--data", str(squad_file), "--split", "train"], tmp_path)
    assert fake_index["docs"] == ["Ca_Mau-0.txt", "Ca_Mau-1.txt"] and result["n_questions"] == 3
    assert result["settings"]["split"]["titles"] == ["Cà_Mau"]


def test_questions_can_be_asked_without_their_accents_as_users_type(
        squad_file: Path, tmp_path: Path, fake_index: dict[str, Any],
        capsys: pytest.CaptureFixture[str]) -> None:
    result = _run(xquad.main, ["--data", str(squad_file), "--split", "test", "--question-form", "no-diacritics"],
                  tmp_path)
    assert fake_index["assistant"].asked == ["Cau Rong duoc khanh thanh nam nao?"]
    assert result["settings"]["question_form"] == "no-diacritics"
    assert "xquad-vi (test, questions no-diacritics): 1 questions" in capsys.readouterr().out


def test_default_split_is_all(squad_file: Path, tmp_path: Path, fake_index: dict[str, Any]) -> None:
    result = _run(xquad.main, ["--data", str(squad_file)], tmp_path)
    assert len(fake_index["docs"]) == 3 and result["n_questions"] == 4
    assert result["settings"]["split"]["part"] == "all" and "titles" not in result["settings"]["split"]


def test_generic_squad_command_names_its_benchmark(squad_file: Path, tmp_path: Path,
                                                  fake_index: dict[str, Any]) -> None:
    result = _run(squad.main, ["--data", str(squad_file), "--name", "uit-test-wiki"], tmp_path)
    assert result["benchmark"] == "uit-test-wiki" and result["n_questions"] == 4
    assert set(result["modes"]["bm25"]["answer"]) >= {"contains_gold", "refusal_rate", "f1", "exact_match"}
    gold = [json.loads(line) for line in (tmp_path / "work" / "gold.jsonl").read_text().splitlines()]
    assert {tuple(g["tags"]) for g in gold} == {("uit-test-wiki",)}
    assert _run(squad.main, ["--data", str(squad_file)], tmp_path)["benchmark"] == "squad"  # the file's stem


def test_an_index_with_another_parts_documents_stops_the_run(squad_file: Path, tmp_path: Path,
                                                            fake_index: dict[str, Any]) -> None:
    fake_index["extra"] = 2
    with pytest.raises(RuntimeError, match="give this part its own --index"):
        xquad.main(["--data", str(squad_file), "--split", "test", "--out", str(tmp_path / "o.json")])
    assert not (tmp_path / "o.json").exists()


def test_bad_split_and_missing_file(squad_file: Path, tmp_path: Path,
                                    capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        squad.main(["--data", str(squad_file), "--split", "dev"])
    assert exc.value.code == 2 and "invalid choice: 'dev'" in capsys.readouterr().err
    missing = tmp_path / "absent.json"
    assert squad.main(["--data", str(missing), "--name", "uit-test-wiki"]) == 2
    assert f"input file not found: {missing}" in capsys.readouterr().err

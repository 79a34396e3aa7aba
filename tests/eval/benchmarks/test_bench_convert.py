"""Converters: public benchmark files → gold files that load, with evidence found in the documents."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.benchmarks.convert import (
    InputMissing,
    alqac_file_name,
    alqac_to_gold,
    main,
    safe_name,
    squad_to_gold,
)
from eval.gold import load_gold, locate
from rag.text.normalize import normalize_text


def _assert_evidence_located(docs: Path, gold: Path) -> list:
    questions = load_gold(gold)
    for q in questions:
        assert q.answerable and q.evidence
        for ev in q.evidence:
            text = normalize_text((docs / ev.doc).read_text(encoding="utf-8"))
            assert locate(ev.quote, text) is not None, (q.id, ev.doc, ev.quote)
    return questions


def test_squad_to_gold(squad_file: Path, tmp_path: Path) -> None:
    docs, gold = squad_to_gold(squad_file, tmp_path / "out")
    assert sorted(p.name for p in docs.glob("*.txt")) == ["Ca_Mau-0.txt", "Ca_Mau-1.txt", "Da_Nang-0.txt"]
    questions = _assert_evidence_located(docs, gold)
    assert len(questions) == 4
    by_id = {q.id: q for q in questions}
    assert by_id["q0"].must_include == ["5.851 tỷ đồng"] and by_id["q0"].tags == ["xquad"]
    # the evidence is the sentence holding the answer span, in the answer's own paragraph
    assert by_id["q1"].evidence[0].doc == "Ca_Mau-0.txt"
    assert by_id["q1"].evidence[0].quote == "Tỉnh có 9 đơn vị hành chính cấp huyện."
    assert by_id["q3"].evidence[0].doc == "Da_Nang-0.txt" and "2013" in by_id["q3"].evidence[0].quote
    mapping = json.loads((tmp_path / "out" / "mapping.json").read_text(encoding="utf-8"))
    assert mapping["Da_Nang-0.txt"] == {"title": "Đà_Nẵng", "paragraph": 0, "article": 1}


def test_alqac_to_gold(alqac_files: tuple[Path, Path], tmp_path: Path) -> None:
    law, questions_path = alqac_files
    docs, gold = alqac_to_gold(law, questions_path, tmp_path / "out")
    names = sorted(p.name for p in docs.glob("*.txt"))
    assert names == ["Luat_Cu_tru@1.txt", "Luat_Cu_tru@20.txt",
                     "Luat_Hon_nhan_va_gia_dinh@8.txt", "Luat_Hon_nhan_va_gia_dinh@9.txt"]
    assert (docs / "Luat_Cu_tru@20.txt").read_text(encoding="utf-8").startswith("Luật Cư trú – Điều 20\n\n")
    questions = _assert_evidence_located(docs, gold)
    by_id = {q.id: q for q in questions}
    assert by_id["DS-1"].tags == ["alqac", "true-false"] and by_id["DS-1"].must_include == []
    assert by_id["TN-1"].tags == ["alqac", "multiple-choice"] and by_id["TN-1"].must_include == []
    assert by_id["TL-1"].tags == ["alqac", "free-text"] and by_id["TL-1"].must_include == ["đăng ký kết hôn"]
    assert [e.doc for e in by_id["DS-2"].evidence] == ["Luat_Cu_tru@20.txt"]
    assert all(len(e.quote) <= 200 for q in questions for e in q.evidence)
    mapping = json.loads((tmp_path / "out" / "mapping.json").read_text(encoding="utf-8"))
    assert mapping["Luat_Cu_tru@1.txt"] == {"law_id": "Luật Cư trú", "article_id": "1"}


def test_reconversion_keeps_unchanged_files(squad_file: Path, tmp_path: Path) -> None:
    docs, _ = squad_to_gold(squad_file, tmp_path / "out")
    (docs / "stale.txt").write_text("x", encoding="utf-8")
    before = {p.name: p.stat().st_mtime_ns for p in docs.glob("*.txt") if p.name != "stale.txt"}
    squad_to_gold(squad_file, tmp_path / "out")
    assert {p.name: p.stat().st_mtime_ns for p in docs.glob("*.txt")} == before


def test_safe_names() -> None:
    assert safe_name("Luật Phòng, chống ma túy") == "Luat_Phong_chong_ma_tuy"
    assert safe_name("Sky_(United_Kingdom)") == "Sky_United_Kingdom"
    assert alqac_file_name("Bộ luật dân sự", "12") == "Bo_luat_dan_su@12.txt"


def test_missing_input_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope" / "xquad.vi.json"
    with pytest.raises(InputMissing, match="nope"):
        squad_to_gold(missing, tmp_path / "out")
    assert main(["squad", "--input", str(missing), "--out", str(tmp_path / "out")]) == 2
    assert str(missing) in capsys.readouterr().err
    law = tmp_path / "law.json"
    law.write_text("[]", encoding="utf-8")
    questions = tmp_path / "missing-train.json"
    assert main(["alqac", "--input", str(law), str(questions), "--out", str(tmp_path / "out")]) == 2
    assert str(questions) in capsys.readouterr().err

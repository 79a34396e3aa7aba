"""Reading gold files: the optional ``min_facts`` field of list and summary questions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from eval.gold import GoldFormatError, load_gold


def _write(tmp_path: Path, *rows: dict) -> Path:
    path = tmp_path / "gold.jsonl"
    path.write_text("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", encoding="utf-8")
    return path


def _row(**overrides) -> dict:
    row = {"id": "l1", "question": "Những ai chủ trì?", "answerable": True,
           "must_include": ["Nguyễn Văn A", "Trần Thị B", "Lê Văn C", "Phạm Văn D"]}
    row.update(overrides)
    return row


def test_min_facts_is_read_and_sets_how_many_facts_are_required(tmp_path: Path):
    (q,) = load_gold(_write(tmp_path, _row(min_facts=3)))
    assert q.min_facts == 3
    assert q.required_facts == 3


def test_without_min_facts_every_fact_is_required(tmp_path: Path):
    plain, null = load_gold(_write(tmp_path, _row(), _row(id="l2", min_facts=None)))
    assert plain.min_facts is None and plain.required_facts == 4
    assert null.min_facts is None and null.required_facts == 4


@pytest.mark.parametrize("bad", [0, -1, 5, "3", 2.5, True])
def test_a_min_facts_that_is_not_a_count_of_the_facts_names_file_and_line(tmp_path: Path, bad: object):
    path = _write(tmp_path, _row(id="ok"), _row(min_facts=bad))
    with pytest.raises(GoldFormatError, match=r"gold\.jsonl:2: .*min_facts"):
        load_gold(path)


def test_min_facts_on_a_question_without_facts_is_a_format_error(tmp_path: Path):
    with pytest.raises(GoldFormatError, match="min_facts"):
        load_gold(_write(tmp_path, _row(answerable=False, must_include=[], min_facts=1)))

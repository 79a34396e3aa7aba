"""rag/text is the ground floor of the language: every stage imports it, it imports no stage.

A recogniser that reached into a stage (``rag.ingest.metadata``'s document layout, the question
analyser) would tie the stages' notions of a period or a province to one of them again.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

TEXT = Path(__file__).resolve().parents[3] / "rag" / "text"
STAGES = ("ingest", "query", "rerank", "answer", "retrieve", "index", "chunk", "serve")


def stage_imports(source: str, package: str = "rag.text") -> list[str]:
    """The modules of a pipeline stage that ``source`` (a module of ``package``) imports, anywhere in it."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # "from ..ingest import x" inside rag.text
                parent = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            names = [base] + ([f"{base}.{alias.name}" for alias in node.names] if base == "rag" else [])
        else:
            continue
        for name in names:
            parts = name.split(".")
            if len(parts) > 1 and parts[0] == "rag" and parts[1] in STAGES:
                found.append(name)
    return found


@pytest.mark.parametrize("path", sorted(TEXT.glob("*.py")), ids=lambda p: p.name)
def test_rag_text_imports_no_pipeline_stage(path: Path) -> None:
    assert stage_imports(path.read_text(encoding="utf-8")) == []


@pytest.mark.parametrize(
    "source",
    [
        "from rag.ingest.metadata import find_province",
        "import rag.query.analyze",
        "from rag.answer import grounding",
        "from rag import rerank",
        "from ..retrieve import hybrid",
        "def late():\n    from rag.index.store import IndexStore\n",
    ],
)
def test_the_rule_catches_every_way_of_importing_a_stage(source: str) -> None:
    assert stage_imports(source)


def test_the_rule_lets_rag_text_import_itself_and_the_shared_records():
    source = "from rag.text.normalize import tone_form\nfrom rag.records import Period\nimport re"
    assert stage_imports(source) == []

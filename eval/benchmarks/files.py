"""Small file helpers of the benchmark converters: the missing-input error and file-name-safe names.

Kept apart from convert.py so that the light SQuAD data layer (squad_data.py), which convert.py uses,
can share them without an import cycle. convert.py re-exports both names.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path


class InputMissing(FileNotFoundError):
    """A benchmark input file that does not exist; the message names it."""


def require(*paths: Path) -> None:
    """Raise :class:`InputMissing` naming the first of ``paths`` that is not a file."""
    for path in paths:
        if not Path(path).is_file():
            raise InputMissing(f"input file not found: {path}")


def safe_name(text: str) -> str:
    """A file-name-safe ASCII form: diacritics folded, runs of other characters → "_"."""
    text = unicodedata.normalize("NFC", text).replace("đ", "d").replace("Đ", "D")
    folded = unicodedata.normalize("NFD", text)
    folded = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return re.sub(r"[^A-Za-z0-9.-]+", "_", folded).strip("_.") or "x"

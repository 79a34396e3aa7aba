"""The signature block that ends an official document: who signed it, and in what capacity.

Official documents end with "TM. <body>" / "KT. <title>" / "<TITLE>" lines in capitals and the
signer's name; "Ai ký ...?" is answered by quoting that block. Hand-written: no offline library
reads Vietnamese signature blocks.
"""

from __future__ import annotations

import re

__all__ = ["find_signature"]

_SIGN_TITLE_RE = re.compile(
    r"^(?:(?:TM|KT|TL|TUQ|Q)\.\s*)?(?:PHÓ\s+)?(?:CHỦ TỊCH|GIÁM ĐỐC|BỘ TRƯỞNG|THỦ TƯỚNG|BÍ THƯ|TRƯỞNG BAN|"
    r"CHÁNH VĂN PHÒNG|ỦY BAN NHÂN DÂN|HỘI ĐỒNG NHÂN DÂN|UBND|HĐND)\b.*$"
)
_SIGN_NAME_RE = re.compile(r"^[A-ZÀ-ỸĐ][a-zà-ỹđ]+(?:\s+[A-ZÀ-ỸĐ][a-zà-ỹđ]+){1,3}$")


def find_signature(text: str, tail_chars: int = 1500) -> tuple[int, int, str] | None:
    """``(start, end, name)`` of the signature block at the end of a document, if it has one.

    The span runs from the first title line ("KT. CHỦ TỊCH") to the end of the signer's name,
    so a citation shows who signed and in what capacity.
    """
    base = max(0, len(text) - tail_chars)
    lines = []
    pos = base
    for line in text[base:].split("\n"):
        lines.append((pos, pos + len(line), line.strip()))
        pos += len(line) + 1
    for i in range(len(lines) - 1, -1, -1):
        start, end, line = lines[i]
        if not line:
            continue
        if not _SIGN_NAME_RE.match(line):
            return None  # the last non-empty line is not a name: no signature block
        titles = [ln for ln in lines[:i] if ln[2]]
        block_start = None
        for t_start, _, t_line in reversed(titles[-4:]):
            if _SIGN_TITLE_RE.match(t_line.upper()) and t_line.upper() == t_line:
                block_start = t_start
            else:
                break
        if block_start is None:
            return None
        return block_start, end, line
    return None

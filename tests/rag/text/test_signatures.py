"""The signature block of an official document (rag/text/signatures.py)."""

from __future__ import annotations

from rag.text.signatures import find_signature

_BODY = "BÁO CÁO\n\nKết quả thu ngân sách 6 tháng đầu năm 2020.\n\nNơi nhận:\n- Như trên;\n- Lưu: VT.\n\n"


def test_signature_block_runs_from_the_capacity_to_the_signer():
    text = _BODY + "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nLâm Văn Bi\n"
    start, end, name = find_signature(text)
    assert name == "Lâm Văn Bi"
    assert text[start:end] == "TM. ỦY BAN NHÂN DÂN\nKT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\nLâm Văn Bi"


def test_no_signature_when_the_document_does_not_end_with_a_name():
    assert find_signature(_BODY + "KT. CHỦ TỊCH\nPHÓ CHỦ TỊCH\n\n(đã ký)\n") is None


def test_no_signature_when_a_name_follows_no_capacity_line():
    assert find_signature("Hội nghị kết thúc lúc 17 giờ.\n\nNguyễn Văn Sơn\n") is None

from __future__ import annotations

import os
import random

import pytest

from rag.ingest.encodings import (
    EncodingProblem,
    decode_bytes,
    repair_legacy_text,
    tcvn3_to_unicode,
    vietnamese_score,
    vni_to_unicode,
)
from tests.rag.ingest.fixtures_build import (
    REPORT_TEXT,
    TCVN3_PASSAGE,
    TCVN3_PASSAGE_UNICODE,
    TCVN3_SAMPLES,
    VNI_PASSAGE,
    VNI_PASSAGE_UNICODE,
    VNI_SAMPLES,
    cp1258_bytes,
)

# --------------------------------------------------------------------------- Unicode encodings


@pytest.mark.parametrize(
    ("codec", "expected_name"),
    [
        ("utf-8", "utf-8"),
        ("utf-8-sig", "utf-8-sig"),
        ("utf-16", "utf-16"),  # Python writes a BOM (little-endian here)
    ],
)
def test_unicode_with_or_without_bom_round_trips_exactly(codec: str, expected_name: str) -> None:
    assert decode_bytes(REPORT_TEXT.encode(codec)) == (REPORT_TEXT, expected_name)


def test_utf16_big_endian_with_bom_round_trips() -> None:
    data = b"\xfe\xff" + REPORT_TEXT.encode("utf-16-be")
    assert decode_bytes(data) == (REPORT_TEXT, "utf-16")


@pytest.mark.parametrize("codec", ["utf-16-le", "utf-16-be"])
def test_utf16_without_bom_is_recognised_by_its_nul_bytes(codec: str) -> None:
    assert decode_bytes(REPORT_TEXT.encode(codec)) == (REPORT_TEXT, codec)


def test_empty_bytes_decode_to_empty_text() -> None:
    assert decode_bytes(b"") == ("", "utf-8")


def test_utf8_cut_inside_a_character_keeps_the_text_with_one_replacement() -> None:
    data = (REPORT_TEXT + " đồng").encode("utf-8")[:-4]  # cuts "ồ" in half
    text, name = decode_bytes(data)
    assert name == "utf-8"
    assert text.startswith(REPORT_TEXT)
    assert text.count("\ufffd") == 1


# --------------------------------------------------------------------------- Windows-1258


def test_cp1258_with_combining_tone_marks_decodes_to_nfc() -> None:
    data = cp1258_bytes(REPORT_TEXT)
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    assert decode_bytes(data) == (REPORT_TEXT, "cp1258")


# --------------------------------------------------------------------------- TCVN3 / VNI bytes


@pytest.mark.parametrize(("legacy", "expected"), TCVN3_SAMPLES.items())
def test_tcvn3_reference_samples_convert(legacy: str, expected: str) -> None:
    assert tcvn3_to_unicode(legacy) == expected


@pytest.mark.parametrize(("legacy", "expected"), VNI_SAMPLES.items())
def test_vni_reference_samples_convert(legacy: str, expected: str) -> None:
    assert vni_to_unicode(legacy) == expected


def test_tcvn3_table_matches_xfree86_code_points() -> None:
    # byte -> code point pairs read off XFree86 TCVNtoUCS2.c, an independent source
    pairs = {
        0xA1: 0x0102, 0xA2: 0x00C2, 0xA3: 0x00CA, 0xA4: 0x00D4, 0xA5: 0x01A0, 0xA6: 0x01AF, 0xA7: 0x0110,
        0xA8: 0x0103, 0xA9: 0x00E2, 0xAA: 0x00EA, 0xAB: 0x00F4, 0xAC: 0x01A1, 0xAD: 0x01B0, 0xAE: 0x0111,
        0xB5: 0x00E0, 0xB8: 0x00E1, 0xC6: 0x1EB7, 0xCB: 0x1EAD, 0xD0: 0x00E9, 0xD6: 0x1EC7, 0xDE: 0x1ECB,
        0xE3: 0x00F3, 0xE9: 0x1ED9, 0xEE: 0x1EE3, 0xF4: 0x1EE5, 0xF9: 0x1EF1, 0xFB: 0x1EF7, 0xFE: 0x1EF5,
    }
    for byte, code_point in pairs.items():
        assert tcvn3_to_unicode(chr(byte)) == chr(code_point), hex(byte)


def test_tcvn3_leaves_codes_abc_fonts_do_not_use() -> None:
    # VN1-only uppercase toned codes and cp1252 punctuation stay as they are
    assert tcvn3_to_unicode("À Ä ÿ “Mau” – Cà") == "À Ä ÿ “Mau” – Cà"


def test_tcvn3_uppercase_base_letters_convert() -> None:
    assert tcvn3_to_unicode("¡ ¢ £ ¤ ¥ ¦ §") == "Ă Â Ê Ô Ơ Ư Đ"


def test_tcvn3_caps_word_typed_with_lowercase_codes_is_upper_cased() -> None:
    # .VnTimeH headings reuse the lowercase codes; capital ASCII letters reveal the intent
    assert tcvn3_to_unicode("CéNG HOµ X· HéI CHñ NGHÜA VIÖT NAM") == "CỘNG HOÀ Xã HỘI CHỦ NGHĨA VIỆT NAM"


def test_vni_upper_and_lower_case_sequences_convert() -> None:
    assert vni_to_unicode("COÄNG HOØA XAÕ HOÄI CHUÛ NGHÓA VIEÄT NAM") == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert vni_to_unicode("Ñoäc laäp - Töï do - Haïnh phuùc") == "Độc lập - Tự do - Hạnh phúc"
    assert vni_to_unicode("ÑÖÔØNG ngöôøi") == "ĐƯỜNG người"


def test_tcvn3_bytes_are_detected_and_converted() -> None:
    assert decode_bytes(TCVN3_PASSAGE.encode("cp1252")) == (TCVN3_PASSAGE_UNICODE, "tcvn3")


def test_vni_bytes_are_detected_and_converted() -> None:
    assert decode_bytes(VNI_PASSAGE.encode("cp1252")) == (VNI_PASSAGE_UNICODE, "vni")


def test_utf8_file_holding_tcvn3_mojibake_is_converted() -> None:
    assert decode_bytes(TCVN3_PASSAGE.encode("utf-8")) == (TCVN3_PASSAGE_UNICODE, "utf-8+tcvn3")


def test_utf8_file_holding_vni_mojibake_is_converted() -> None:
    assert decode_bytes(VNI_PASSAGE.encode("utf-8")) == (VNI_PASSAGE_UNICODE, "utf-8+vni")


# --------------------------------------------------------------------------- refusals


def test_random_binary_data_is_refused_as_binary() -> None:
    data = random.Random(7).randbytes(4000)
    with pytest.raises(EncodingProblem, match="binary"):
        decode_bytes(data)


def test_pdf_like_bytes_with_nul_are_refused_as_binary() -> None:
    with pytest.raises(EncodingProblem, match="binary"):
        decode_bytes(b"%PDF-1.4\n" + os.urandom(16) + b"\x00\x00stream\x00")


def test_non_vietnamese_legacy_bytes_are_refused_with_a_reason() -> None:
    data = "Voilà l'été où il était à Paris, déjà très âgé".encode("cp1252")
    with pytest.raises(EncodingProblem, match="unrecognised encoding"):
        decode_bytes(data)


def test_encoding_problem_is_a_value_error_with_a_vietnamese_reason() -> None:
    with pytest.raises(ValueError, match="không nhận dạng được bảng mã"):
        decode_bytes(b"\x01\x02\x03\x04\x05\x06" * 50)


# --------------------------------------------------------------------------- repair_legacy_text


def test_repair_leaves_ordinary_vietnamese_unchanged() -> None:
    assert repair_legacy_text(REPORT_TEXT) == (REPORT_TEXT, None)


def test_repair_leaves_other_languages_unchanged() -> None:
    text = "Die Straße über München; café à Paris; naïve coöperation"
    assert repair_legacy_text(text) == (text, None)


def test_repair_converts_tcvn3_and_vni_text() -> None:
    assert repair_legacy_text(TCVN3_PASSAGE) == (TCVN3_PASSAGE_UNICODE, "tcvn3")
    assert repair_legacy_text(VNI_PASSAGE) == (VNI_PASSAGE_UNICODE, "vni")


def test_repair_converts_only_legacy_lines_of_a_mixed_document() -> None:
    text = REPORT_TEXT + "\n" + TCVN3_PASSAGE
    assert repair_legacy_text(text) == (REPORT_TEXT + "\n" + TCVN3_PASSAGE_UNICODE, "tcvn3")


def test_repair_keeps_unicode_lines_that_only_use_letters_tcvn3_reuses() -> None:
    text = "Tôi là ai\nCà Mau\n" + TCVN3_PASSAGE + "\ncã"
    expected = "Tôi là ai\nCà Mau\n" + TCVN3_PASSAGE_UNICODE + "\ncó"
    assert repair_legacy_text(text) == (expected, "tcvn3")


def test_repair_refuses_text_mixing_two_legacy_fonts() -> None:
    with pytest.raises(EncodingProblem, match="legacy"):
        repair_legacy_text(TCVN3_PASSAGE + "\n" + VNI_PASSAGE)


# --------------------------------------------------------------------------- scoring


def test_vietnamese_score_is_high_for_vietnamese_and_low_for_mojibake() -> None:
    assert vietnamese_score(REPORT_TEXT) > 0.95
    assert vietnamese_score(TCVN3_PASSAGE) < 0.75
    assert vietnamese_score(VNI_PASSAGE) < 0.75
    assert vietnamese_score("Thu ngÃ¢n sÃ¡ch nhÃ  nÆ°á»›c") < 0.5


def test_vietnamese_score_counts_ascii_words_numbers_and_acronyms() -> None:
    assert vietnamese_score("HĐND UBND 2020 5.851 6,8% COVID-19") == 1.0
    assert vietnamese_score("") == 0.0

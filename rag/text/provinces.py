"""Vietnam's provinces and centrally-run cities, as data.

Two lists coexist in the reports: the 63 units in force until mid-2025 (every report in the
collection predates the reform) and the 34 units of Resolution 202/2025/QH15, effective
1 July 2025. All 34 new names are old names except Huế, whose territory is exactly the old
Thừa Thiên Huế, so both spellings map to the canonical "Thừa Thiên Huế".

Canonical names carry diacritics in the reports' tone-mark style ("Hòa", "Thanh Hóa");
"TP. Hồ Chí Minh" / "Thành phố Hồ Chí Minh" is canonically "Hồ Chí Minh" (the "thành phố"
prefix is an administrative title, like "tỉnh"). Matching code normalises tone marks itself.
"""

from __future__ import annotations

import re
from functools import lru_cache

from rag.text.normalize import fold_diacritics, normalize_query, normalize_tone_marks

# The five centrally-run cities before 2025.
PRE_2025_CITIES: tuple[str, ...] = ("Hà Nội", "Hồ Chí Minh", "Hải Phòng", "Đà Nẵng", "Cần Thơ")

# The 58 provinces before 2025.
PRE_2025_PROVINCES: tuple[str, ...] = (
    "An Giang", "Bà Rịa - Vũng Tàu", "Bắc Giang", "Bắc Kạn", "Bạc Liêu", "Bắc Ninh", "Bến Tre",
    "Bình Định", "Bình Dương", "Bình Phước", "Bình Thuận", "Cà Mau", "Cao Bằng", "Đắk Lắk",
    "Đắk Nông", "Điện Biên", "Đồng Nai", "Đồng Tháp", "Gia Lai", "Hà Giang", "Hà Nam", "Hà Tĩnh",
    "Hải Dương", "Hậu Giang", "Hòa Bình", "Hưng Yên", "Khánh Hòa", "Kiên Giang", "Kon Tum",
    "Lai Châu", "Lâm Đồng", "Lạng Sơn", "Lào Cai", "Long An", "Nam Định", "Nghệ An", "Ninh Bình",
    "Ninh Thuận", "Phú Thọ", "Phú Yên", "Quảng Bình", "Quảng Nam", "Quảng Ngãi", "Quảng Ninh",
    "Quảng Trị", "Sóc Trăng", "Sơn La", "Tây Ninh", "Thái Bình", "Thái Nguyên", "Thanh Hóa",
    "Thừa Thiên Huế", "Tiền Giang", "Trà Vinh", "Tuyên Quang", "Vĩnh Long", "Vĩnh Phúc", "Yên Bái",
)

PRE_2025: tuple[str, ...] = PRE_2025_CITIES + PRE_2025_PROVINCES

# The 34 units from 1 July 2025 → the pre-2025 units they cover (an unchanged unit maps to itself).
# "Thừa Thiên Huế" stands for the 2025 "thành phố Huế" (same territory).
MERGED_2025: dict[str, tuple[str, ...]] = {
    # six centrally-run cities
    "Hà Nội": ("Hà Nội",),
    "Thừa Thiên Huế": ("Thừa Thiên Huế",),
    "Hải Phòng": ("Hải Phòng", "Hải Dương"),
    "Đà Nẵng": ("Đà Nẵng", "Quảng Nam"),
    "Hồ Chí Minh": ("Hồ Chí Minh", "Bình Dương", "Bà Rịa - Vũng Tàu"),
    "Cần Thơ": ("Cần Thơ", "Sóc Trăng", "Hậu Giang"),
    # provinces that kept their borders
    "Lai Châu": ("Lai Châu",),
    "Điện Biên": ("Điện Biên",),
    "Sơn La": ("Sơn La",),
    "Lạng Sơn": ("Lạng Sơn",),
    "Quảng Ninh": ("Quảng Ninh",),
    "Thanh Hóa": ("Thanh Hóa",),
    "Nghệ An": ("Nghệ An",),
    "Hà Tĩnh": ("Hà Tĩnh",),
    "Cao Bằng": ("Cao Bằng",),
    # merged provinces
    "Tuyên Quang": ("Tuyên Quang", "Hà Giang"),
    "Lào Cai": ("Lào Cai", "Yên Bái"),
    "Thái Nguyên": ("Thái Nguyên", "Bắc Kạn"),
    "Phú Thọ": ("Phú Thọ", "Vĩnh Phúc", "Hòa Bình"),
    "Bắc Ninh": ("Bắc Ninh", "Bắc Giang"),
    "Hưng Yên": ("Hưng Yên", "Thái Bình"),
    "Ninh Bình": ("Ninh Bình", "Hà Nam", "Nam Định"),
    "Quảng Trị": ("Quảng Trị", "Quảng Bình"),
    "Quảng Ngãi": ("Quảng Ngãi", "Kon Tum"),
    "Gia Lai": ("Gia Lai", "Bình Định"),
    "Khánh Hòa": ("Khánh Hòa", "Ninh Thuận"),
    "Lâm Đồng": ("Lâm Đồng", "Đắk Nông", "Bình Thuận"),
    "Đắk Lắk": ("Đắk Lắk", "Phú Yên"),
    "Đồng Nai": ("Đồng Nai", "Bình Phước"),
    "Tây Ninh": ("Tây Ninh", "Long An"),
    "Vĩnh Long": ("Vĩnh Long", "Bến Tre", "Trà Vinh"),
    "Đồng Tháp": ("Đồng Tháp", "Tiền Giang"),
    "Cà Mau": ("Cà Mau", "Bạc Liêu"),
    "An Giang": ("An Giang", "Kiên Giang"),
}

POST_2025: tuple[str, ...] = tuple(MERGED_2025)

# Every canonical name (pre-2025 names cover all post-2025 ones).
CANONICAL: tuple[str, ...] = PRE_2025

# Other spellings seen in reports and questions. Hyphen/space variants of multi-part names
# ("Bà Rịa-Vũng Tàu", "Bà Rịa Vũng Tàu") and both tone-mark styles are handled by the matcher.
ALIASES: dict[str, tuple[str, ...]] = {
    "Hồ Chí Minh": ("HCM", "TP.HCM", "TPHCM"),
    "Bà Rịa - Vũng Tàu": ("BR-VT",),
    "Thừa Thiên Huế": ("Thừa Thiên - Huế", "Huế"),
    "Đắk Lắk": ("Đắc Lắc", "Đắk Lắc", "Đăk Lăk", "Đắc Lắk", "Daklak", "Dak Lak"),
    "Đắk Nông": ("Đắc Nông", "Đăk Nông", "Dak Nong"),
    "Bắc Kạn": ("Bắc Cạn",),
    "Kon Tum": ("Kontum",),
}

# Names that are also ordinary words ("hòa bình" = peace, "cao bằng" = as tall as, "hải dương"
# = ocean): a bare mention only counts when written capitalised.
COMMON_WORD_NAMES: frozenset[str] = frozenset(
    {"Hòa Bình", "Thái Bình", "Cao Bằng", "Bình Định", "Long An", "Hải Dương", "Vĩnh Phúc"}
)

# Bare "Hồ Chí Minh" usually means the person, not the city.
PERSON_NAMES: frozenset[str] = frozenset({"Hồ Chí Minh"})

assert len(PRE_2025) == 63, len(PRE_2025)
assert len(MERGED_2025) == 34, len(MERGED_2025)
assert all(old in PRE_2025 for olds in MERGED_2025.values() for old in olds)
assert sorted(o for olds in MERGED_2025.values() for o in olds) == sorted(PRE_2025)


def _key(name: str) -> str:
    """Comparison key: tone style, case, spaces, dots and hyphens do not matter."""
    return re.sub(r"[\W_]+", "", normalize_tone_marks(name).lower())


def name_variants() -> list[tuple[str, str]]:
    """``(spelling, canonical)`` for every canonical name and alias, longest spelling first."""
    pairs = [(name, name) for name in CANONICAL]
    pairs += [(alias, canon) for canon, aliases in ALIASES.items() for alias in aliases]
    return sorted(pairs, key=lambda p: -len(p[0]))


_BY_KEY: dict[str, str] = {_key(spelling): canon for spelling, canon in name_variants()}
_BY_KEY.update({_key("TP. " + n): n for n in PRE_2025_CITIES})
_BY_KEY.update({_key("Thành phố Hồ Chí Minh"): "Hồ Chí Minh", _key("Thành phố Huế"): "Thừa Thiên Huế"})


def canonical_province(name: str) -> str | None:
    """The canonical name for a spelling ("TP. Hồ Chí Minh" → "Hồ Chí Minh"), or None if unknown."""
    return _BY_KEY.get(_key(name))


def merged_into(name: str) -> str | None:
    """The post-2025 unit that covers a pre-2025 province ("Bạc Liêu" → "Cà Mau")."""
    canon = canonical_province(name)
    if canon is None:
        return None
    for new, olds in MERGED_2025.items():
        if canon in olds:
            return new
    return None


# -- names as people type them (filters: "ca mau", "tỉnh Cà Mau", "TP HCM") ---------------------

_PROVINCE_PREFIXES: tuple[tuple[str, ...], ...] = (("tinh",), ("thanh", "pho"), ("tp",))


def folded_words(name: str) -> list[str]:
    """Lower-case, diacritics-free words of ``name`` ("TP. Hồ Chí Minh" → tp, ho, chi, minh)."""
    folded = fold_diacritics(normalize_query(name)).lower()
    return "".join(c if c.isalnum() else " " for c in folded).split()


@lru_cache(maxsize=1)
def _provinces_by_folded_key() -> dict[str, str]:
    return {"".join(folded_words(spelling)): canon for spelling, canon in name_variants()}


@lru_cache(maxsize=4096)
def canonical_province_name(name: str) -> str | None:
    """The canonical province for what a user typed ("ca mau", "tỉnh Cà Mau", "TP HCM"), or None.

    Filters come from people typing without diacritics or with an administrative title; the
    documents' metadata holds canonical names, so both meet here.
    """
    exact = canonical_province(name)
    if exact is not None:
        return exact
    words = folded_words(name)
    table = _provinces_by_folded_key()
    found = table.get("".join(words))
    if found is not None:
        return found
    for prefix in _PROVINCE_PREFIXES:
        if len(words) > len(prefix) and tuple(words[: len(prefix)]) == prefix:
            return table.get("".join(words[len(prefix) :]))
    return None

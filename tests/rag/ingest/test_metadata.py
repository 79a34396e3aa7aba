"""Metadata extraction on the sample reports, the periods-dev look-alikes and synthetic strings."""

from __future__ import annotations

from pathlib import Path

import pytest

from rag.ingest.metadata import (
    classify_kind,
    extract_issue_date,
    extract_metadata,
    extract_period,
    extract_province,
    extract_title,
)
from rag.records import Period
from rag.text.provinces import MERGED_2025, PRE_2025, canonical_province, merged_into

REPO = Path(__file__).resolve().parents[3]
SAMPLES = REPO / "data" / "sample_reports"
LOOKALIKES = (REPO / "../shared/eval/periods-dev/docs").resolve()


def _sample(prefix: str) -> str:
    (path,) = SAMPLES.glob(f"{prefix}_*.txt")
    return path.read_text(encoding="utf-8")


# ---------------------------------------------------------------------------------------------
# The five sample reports


def test_sample_000_meeting_news_with_full_date() -> None:
    md = extract_metadata(_sample("000"), "000.txt")
    assert md.kind == "meeting"
    assert md.date == "2020-09-03"  # "Chiều ngày 03 tháng 9 năm 2020"
    assert md.period == Period("month", 2020, 8)  # "... xã hội tháng 8 năm 2020"
    assert md.province == "Cà Mau"
    assert md.title is not None and md.title.startswith("Ủy ban nhân dân tỉnh tổ chức Phiên họp")
    assert "tháng 8 năm 2020" in md.title  # the trim never cuts a period in two
    assert len(md.title) <= 160


def test_sample_001_news_page_about_a_dispatch() -> None:
    md = extract_metadata(_sample("001"), "001.txt")
    assert md.kind == "dispatch"  # "vừa có công văn chỉ đạo"
    assert md.date == "2023-09-20"  # dateline "20/09/2023 11:54:31 SA"
    assert md.period is None  # "nửa nhiệm kỳ còn lại" names no reporting period
    assert md.province == "Cà Mau"
    assert md.title == (
        "Cà Mau: Đốc thúc triển khai các nhiệm vụ trọng tâm và đột phá chiến lược "
        "để thúc đẩy phát triển kinh tế - xã hội"
    )


def test_sample_002_annual_review_conference() -> None:
    md = extract_metadata(_sample("002"), "002.txt")
    assert md.kind == "meeting"
    assert md.date is None  # "Chiều ngày 12/01" has no year
    assert md.period == Period("year", 2021)  # "... năm 2021 và triển khai nhiệm vụ năm 2022"
    assert md.province == "Cà Mau"


def test_sample_003_names_no_year_and_is_placed_by_its_towns() -> None:
    md = extract_metadata(_sample("003"), "003.txt")
    assert md.kind == "meeting"
    assert md.date is None  # "Sáng 31.8"
    # "phiên họp thường kỳ tháng 8", no year in the opening but "so với cùng kỳ năm 2020"
    assert md.period == Period("month", 2021, 8)
    # it names no province of its own (only "Thành phố Hồ Chí Minh và Bình Dương", "thủ đô Hà Nội"
    # in passing), but its towns "thị trấn Yên Minh" and "thị trấn Mèo Vạc" are in Hà Giang
    assert md.province == "Hà Giang"
    assert md.title and md.title.startswith("UBND tỉnh tổ chức phiên họp thường kỳ tháng 8")


def test_sample_004_formal_report() -> None:
    md = extract_metadata(_sample("004"), "004.txt")
    assert md.kind == "report"  # BÁO CÁO heading, despite many "Kế hoạch số ..." in the body
    assert md.date == "2020-06-23"
    assert md.period == Period("half", 2020, 1)
    assert md.province == "Cà Mau"
    assert md.title == "Công tác của Ủy ban nhân dân tỉnh Cà Mau 6 tháng đầu năm 2020"


def test_named_functions_agree_with_extract_metadata() -> None:
    text = _sample("004")
    md = extract_metadata(text)
    assert extract_title(text) == md.title
    assert extract_issue_date(text) == md.date
    assert extract_period(text) == md.period
    assert extract_province(text) == md.province
    assert classify_kind(text) == md.kind


# ---------------------------------------------------------------------------------------------
# periods-dev look-alikes: each file's own header decides, not its file name

# file → (issue date, period) as the file's own header states them
LOOKALIKE_EXPECTED: dict[str, tuple[str | None, Period | None]] = {
    "000_ecf6748628d9a906.txt": ("2020-09-03", Period("month", 2020, 8)),
    "001_87bd5b8701db699e.txt": ("2023-09-20", None),
    "002_a3fbda18e481a50f.txt": (None, Period("year", 2021)),
    "003_14f526eb99f15e25.txt": (None, Period("month", 2021, 8)),
    "004_b269466d4823e55e.txt": ("2020-06-23", Period("half", 2020, 1)),
    # the name says 2019, the header says "ngày 29 tháng 6 năm 2017" and "6 tháng đầu năm 2017"
    "bao-cao-6-thang-2019.txt": ("2017-06-29", Period("half", 2017, 1)),
    "bao-cao-6-thang-2021.txt": ("2021-06-26", Period("half", 2021, 1)),
    # "Sáng 30.8 ... phiên họp thường kỳ tháng 8": month without a year, date without a year; the
    # year is the one after the same period the opening compares with ("so với cùng kỳ năm 2019")
    "phien-hop-thuong-ky-2020-08.txt": (None, Period("month", 2020, 8)),
    "phien-hop-thuong-ky-2021-06.txt": (None, Period("month", 2021, 6)),
    # the text wins over the name: "phiên họp thường kỳ tháng 6", "phiên họp thường kỳ tháng 10"
    "phien-hop-thuong-ky-2021-07.txt": (None, Period("month", 2021, 6)),
    "phien-hop-thuong-ky-2021-09.txt": (None, Period("month", 2021, 10)),
    "phien-hop-thuong-ky-2021-10.txt": (None, Period("month", 2021, 10)),
}


def test_lookalike_folder_is_fully_covered() -> None:
    if not LOOKALIKES.is_dir():
        pytest.skip(f"look-alike documents not present at {LOOKALIKES}")
    assert sorted(p.name for p in LOOKALIKES.glob("*.txt")) == sorted(LOOKALIKE_EXPECTED)


@pytest.mark.parametrize("name", sorted(LOOKALIKE_EXPECTED))
def test_lookalike_date_and_period(name: str) -> None:
    path = LOOKALIKES / name
    if not path.is_file():
        pytest.skip(f"look-alike documents not present at {LOOKALIKES}")
    expected_date, expected_period = LOOKALIKE_EXPECTED[name]
    md = extract_metadata(path.read_text(encoding="utf-8"), name)
    assert md.date == expected_date
    assert md.period == expected_period


def test_lookalike_reports_keep_their_title_and_kind() -> None:
    path = LOOKALIKES / "bao-cao-6-thang-2019.txt"
    if not path.is_file():
        pytest.skip(f"look-alike documents not present at {LOOKALIKES}")
    md = extract_metadata(path.read_text(encoding="utf-8"), path.name)
    assert md.title == "Công tác của Ủy ban nhân dân tỉnh Cà Mau 6 tháng đầu năm 2017"
    assert md.kind == "report"
    assert md.province == "Cà Mau"


# ---------------------------------------------------------------------------------------------
# extract_period on synthetic documents


def test_period_quarter_from_plan_heading() -> None:
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH KHÁNH HÒA\n\nSố: 123/KH-UBND\n\nKhánh Hòa, ngày 5 tháng 7 năm 2021\n\n"
        "KẾ HOẠCH\n\nThực hiện nhiệm vụ phát triển kinh tế - xã hội quý III/2021\n\n"
        "Căn cứ kết quả 6 tháng đầu năm 2021, Ủy ban nhân dân tỉnh ban hành kế hoạch như sau."
    )
    md = extract_metadata(text)
    assert md.kind == "plan"
    assert md.period == Period("quarter", 2021, 3)
    assert md.date == "2021-07-05"
    assert md.province == "Khánh Hòa"
    assert md.title == "Thực hiện nhiệm vụ phát triển kinh tế - xã hội quý III/2021"


def test_period_nine_months_from_opening() -> None:
    text = (
        "Ủy ban nhân dân tỉnh Cà Mau báo cáo kết quả thực hiện nhiệm vụ 9 tháng đầu năm 2022 như sau. "
        "Thu ngân sách đạt 5.000 tỷ đồng, tăng 10% so với cùng kỳ năm 2021."
    )
    assert extract_period(text) == Period("nine_months", 2022)
    assert classify_kind(text) == "report"


def test_period_month_from_report_title() -> None:
    text = (
        "BÁO CÁO\n\nTình hình kinh tế - xã hội tháng 12/2019\n\n"
        "Trong tháng, thu ngân sách tăng so với tháng 11/2019."
    )
    assert extract_period(text) == Period("month", 2019, 12)


def test_comparison_is_not_the_period() -> None:
    text = "Trong kỳ, thu ngân sách tăng 12% so với cùng kỳ năm 2020 và vượt kế hoạch đề ra của tỉnh."
    assert extract_period(text) is None


def test_yearless_month_takes_the_year_of_its_own_issue_date() -> None:
    text = (
        "Cà Mau, ngày 31 tháng 8 năm 2021\n\n"
        "Sáng 31.8, UBND tỉnh tổ chức phiên họp thường kỳ tháng 8 "
        "đánh giá kết quả thực hiện nhiệm vụ tháng 8."
    )
    assert extract_period(text) == Period("month", 2021, 8)
    january = text.replace("31 tháng 8 năm 2021", "5 tháng 1 năm 2022").replace("tháng 8", "tháng 12")
    assert extract_period(january) == Period("month", 2021, 12)


def test_yearless_month_is_not_completed_by_a_stray_year() -> None:
    text = (
        "Sáng 31.8, UBND tỉnh tổ chức phiên họp thường kỳ tháng 8 đánh giá kết quả nhiệm vụ.\n\n"
        "Phấn đấu hoàn thành các chỉ tiêu năm 2021, tăng trưởng so với năm 2019."
    )
    assert extract_period(text) is None


def test_yearless_month_takes_the_year_after_the_same_period_it_compares_with() -> None:
    text = (
        "Sáng 31.8, UBND tỉnh tổ chức phiên họp thường kỳ tháng 8 đánh giá kết quả nhiệm vụ.\n\n"
        "Thu ngân sách đạt 223,4 tỷ đồng, tăng 0,4% so với cùng kỳ năm 2020."
    )
    assert extract_period(text) == Period("month", 2021, 8)


# ---------------------------------------------------------------------------------------------
# Dates


def test_invalid_date_is_unknown() -> None:
    text = "Cà Mau, ngày 31 tháng 2 năm 2020\n\nBÁO CÁO\n\nTình hình kinh tế - xã hội tháng 1 năm 2020"
    md = extract_metadata(text)
    assert md.date is None
    assert md.period == Period("month", 2020, 1)
    assert md.province == "Cà Mau"


def test_iso_dateline() -> None:
    text = (
        "Tin tức kinh tế tỉnh\n\n2023-05-04\n\n"
        "Sáng nay, thành phố tổ chức hội nghị tổng kết công tác năm 2022."
    )
    assert extract_issue_date(text) == "2023-05-04"


def test_body_dates_are_not_issue_dates() -> None:
    text = "Triển khai Công văn số 7058/UBND-NNTN ngày 06/9/2023 của Chủ tịch UBND tỉnh về chống ngập lụt."
    assert extract_issue_date(text) is None


def test_place_date_line_with_slashes() -> None:
    assert extract_issue_date("Hà Nội, ngày 05/03/2021\n\nBÁO CÁO\n\nTình hình năm 2020") == "2021-03-05"


# ---------------------------------------------------------------------------------------------
# Provinces


def test_province_list_sizes() -> None:
    assert len(PRE_2025) == 63
    assert len(MERGED_2025) == 34
    assert merged_into("Bạc Liêu") == "Cà Mau"
    assert canonical_province("TP. Hồ Chí Minh") == "Hồ Chí Minh"
    assert canonical_province("Thành phố Hồ Chí Minh") == "Hồ Chí Minh"
    assert canonical_province("Bà Rịa-Vũng Tàu") == "Bà Rịa - Vũng Tàu"
    assert canonical_province("Huế") == "Thừa Thiên Huế"
    assert canonical_province("Khánh Hoà") == "Khánh Hòa"


def test_new_tone_style_province() -> None:
    text = (
        "Uỷ ban nhân dân tỉnh Cà Mau vừa tổ chức hội nghị tổng kết công tác năm 2022 và triển khai "
        "nhiệm vụ năm 2023 với các sở, ngành tỉnh."
    )
    md = extract_metadata(text)
    assert md.province == "Cà Mau"
    assert md.kind == "meeting"
    assert md.period == Period("year", 2022)


def test_hcmc_document() -> None:
    text = (
        "UBND TP. Hồ Chí Minh vừa ban hành công điện về việc chủ động ứng phó với bão số 5. "
        "UBND TP. Hồ Chí Minh yêu cầu các sở, ngành, quận, huyện triển khai ngay."
    )
    assert extract_province(text) == "Hồ Chí Minh"
    assert classify_kind(text) == "dispatch"


def test_unknown_province() -> None:
    text = (
        "Sáng nay, Ủy ban nhân dân tỉnh tổ chức hội nghị sơ kết công tác 6 tháng đầu năm 2023. "
        "Hội nghị đã hỗ trợ Thành phố Hồ Chí Minh và Bình Dương chống dịch."
    )
    assert extract_province(text) is None


# ---------------------------------------------------------------------------------------------
# Title and kind edge cases


def test_dispatch_with_subject_line() -> None:
    text = (
        "ỦY BAN NHÂN DÂN\nTỈNH CÀ MAU\n\nCỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM\nĐộc lập - Tự do - Hạnh phúc\n\n"
        "Số: 7058/UBND-NNTN\nV/v theo dõi, ứng phó với ngập lụt do mưa lớn kết hợp triều cường\n\n"
        "Cà Mau, ngày 06 tháng 9 năm 2023\n\nKính gửi: Các sở, ban, ngành tỉnh.\n\n"
        "Thực hiện chỉ đạo của Chính phủ..."
    )
    md = extract_metadata(text)
    assert md.kind == "dispatch"
    assert md.title == "Theo dõi, ứng phó với ngập lụt do mưa lớn kết hợp triều cường"
    assert md.date == "2023-09-06"
    assert md.province == "Cà Mau"


@pytest.mark.parametrize(
    ("line", "kind"),
    [
        ("Số: 123/BC-UBND", "report"),
        ("Số: 29 /KH-UBND", "plan"),  # spaces around the slash, as word processors leave them
        ("SỐ: 15 / QĐ-UBND", "decision"),
        ("Số 01/2021/CĐ-UBND", "dispatch"),
        ("Số: 12a/UBND-NNTN", "dispatch"),
    ],
)
def test_the_number_line_tells_the_kind(line: str, kind: str) -> None:
    text = (
        f"ỦY BAN NHÂN DÂN\nTỈNH CÀ MAU\n\n{line}\n\nCà Mau, ngày 06 tháng 9 năm 2023\n\n"
        "Các sở, ban, ngành tỉnh thực hiện các nội dung sau đây trong thời gian tới một cách nghiêm túc."
    )
    assert classify_kind(text) == kind


def test_decision_heading() -> None:
    text = "QUYẾT ĐỊNH\n\nVề việc công bố tình huống khẩn cấp sạt lở đê biển Tây\n\nCHỦ TỊCH UBND TỈNH"
    assert classify_kind(text) == "decision"
    assert extract_title(text) == "Về việc công bố tình huống khẩn cấp sạt lở đê biển Tây"


def test_plain_article_is_news() -> None:
    text = "Một bài viết về thời tiết. Trời mưa nhiều ở miền Tây trong những ngày qua và nhiệt độ giảm mạnh."
    md = extract_metadata(text)
    assert md.kind == "news"
    assert md.title == "Một bài viết về thời tiết"
    assert (md.date, md.period, md.province) == (None, None, None)


def test_long_first_sentence_title_is_trimmed() -> None:
    text = "Ủy ban nhân dân tỉnh " + "triển khai nhiều nhiệm vụ quan trọng, " * 10 + "đạt kết quả tốt."
    title = extract_title(text)
    assert title is not None and len(title) <= 121 and title.endswith("…")


def test_empty_text() -> None:
    md = extract_metadata("", "bao-cao-rong.txt")
    assert md.kind == "other"
    assert md.title == "bao-cao-rong"  # only a text without words takes its title from the file name
    assert (md.date, md.period, md.province) == (None, None, None)
    assert extract_title("   \n\n ") is None


def test_pathological_lines_do_not_hang_the_regexes():
    """Long runs of letters once made a dateline pattern backtrack for minutes (a hang, not a speed target)."""
    import time

    from rag.ingest.metadata import extract_metadata
    from rag.text.places import find_province

    start = time.monotonic()
    assert find_province("a" * 20_000) is None
    extract_metadata("x" * 300_000)
    extract_metadata(("Cà Mau " + "b" * 5000 + " ") * 10)
    assert time.monotonic() - start < 20

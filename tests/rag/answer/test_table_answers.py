"""Integration: questions answered from table rows (real .html table → real index → reader)."""

from __future__ import annotations

import pytest

from rag.config import Settings
from rag.ingest.pipeline import Ingestor

PRICES = """<!doctype html><html lang="vi"><head><meta charset="utf-8"><title>Giá cả</title></head><body><main>
<h1>Tình hình giá cả tháng 01 năm 2024 thị xã Ngã Năm</h1>
<table><tr><th>Mặt hàng</th><th>Đơn vị</th><th>Giá tháng 01/2024</th><th>So tháng trước (%)</th></tr>
<tr><td>Gạo tẻ thường</td><td>đồng/kg</td><td>15.500</td><td>101,3</td></tr>
<tr><td>Thịt heo hơi</td><td>đồng/kg</td><td>52.000</td><td>98,7</td></tr>
<tr><td>Xăng RON 95</td><td>đồng/lít</td><td>23.450</td><td>102,1</td></tr></table>
<h2>Chỉ tiêu kinh tế năm 2023</h2>
<table><tr><th>Chỉ tiêu</th><th>ĐVT</th><th>Kế hoạch 2023</th><th>Ước thực hiện 2023</th></tr>
<tr><td>Tổng thu ngân sách</td><td>triệu đồng</td><td>325.000</td><td>341.270</td></tr>
<tr><td>Số doanh nghiệp thành lập mới</td><td>doanh nghiệp</td><td>45</td><td>52</td></tr></table>
</main></body></html>"""


@pytest.fixture(scope="module")
def assistant(tmp_path_factory: pytest.TempPathFactory, embedder):
    from rag.assistant import Assistant

    folder = tmp_path_factory.mktemp("tables")
    (folder / "docs").mkdir()
    (folder / "docs" / "gia-ca.html").write_text(PRICES, encoding="utf-8")
    settings = Settings(index={"dir": folder / "index"})
    Ingestor(settings, embedder=embedder).run([folder / "docs"], progress=False)
    return Assistant.open(settings.index.dir, settings)


def test_the_answer_names_the_column_it_quotes_and_cites_the_row(assistant):
    answer = assistant.ask("Giá gạo tẻ thường tháng 01/2024 là bao nhiêu?")
    assert answer.found and answer.text.startswith("Giá tháng 01/2024: 15.500 đồng/kg")
    assert answer.citations[0].quote.startswith("Mặt hàng: Gạo tẻ thường · ")


def test_a_question_naming_the_plan_gets_the_plan_column(assistant):
    answer = assistant.ask("Kế hoạch năm 2023 tổng thu ngân sách là bao nhiêu?")
    assert answer.found and answer.text.startswith("Kế hoạch 2023: 325.000 triệu đồng")


def test_the_counted_noun_may_stand_in_the_unit_column(assistant):
    answer = assistant.ask("Năm 2023 có bao nhiêu doanh nghiệp thành lập mới?")
    assert answer.found and "52" in answer.text.split(" — ")[0]

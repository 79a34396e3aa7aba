"""What the load test asks and what its ingest adds: questions whose answers are known figures.

The sample questions were checked with ``baocao ask`` on ``data/sample_reports``; none is taken from
the gold set (``gold_dev.jsonl`` is for measuring only), although the first is also the README's
demo question. The extra reports are short made-up reports on topics the samples do not cover,
each with one question that only it answers, so an answer after the ingest shows the served index
picked the new document up.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class SampleQuestion:
    """A question and the figure its answer must contain, verbatim."""

    question: str
    expected: str

    def holds(self, answer: str) -> bool:
        return self.expected in answer


SAMPLE_QUESTIONS: tuple[SampleQuestion, ...] = (
    SampleQuestion("Năm 2021 thu ngân sách nhà nước của Cà Mau đạt bao nhiêu?", "5.851 tỷ đồng"),
    SampleQuestion("Kim ngạch xuất khẩu của Cà Mau năm 2021 đạt bao nhiêu?", "1.112,5 triệu USD"),
    SampleQuestion("Năm 2021 số giường bệnh trên vạn dân của Cà Mau là bao nhiêu?", "33,4 giường"),
    SampleQuestion(
        "Tỷ lệ dân cư nông thôn được sử dụng nước sinh hoạt hợp vệ sinh năm 2021 đạt bao nhiêu?", "94,1%"
    ),
    SampleQuestion(
        "Tháng 8 năm 2021, tổng mức bán lẻ hàng hóa và doanh thu dịch vụ đạt bao nhiêu?", "979,6 tỷ đồng"
    ),
    SampleQuestion("Tháng 8 năm 2021, diện tích gieo trồng các loại cây trồng đạt bao nhiêu?", "22.994,1 ha"),
)


@dataclass(frozen=True)
class ExtraReport:
    """A report the load test ingests while questions are being answered."""

    filename: str
    text: str
    question: SampleQuestion


_FOREST = """ỦY BAN NHÂN DÂN TỈNH CÀ MAU

Số: 215/BC-UBND

Cà Mau, ngày 15 tháng 12 năm 2022

BÁO CÁO
Kết quả bảo vệ và phát triển rừng ngập mặn ven biển năm 2022

I. KẾT QUẢ THỰC HIỆN

1. Trồng và chăm sóc rừng

Năm 2022, toàn tỉnh trồng mới 1.347 ha rừng ngập mặn ven biển, đạt 112% kế hoạch; chăm sóc 2.860 ha \
rừng trồng các năm trước. Các huyện Ngọc Hiển, Năm Căn và Đầm Dơi hoàn thành kế hoạch trồng rừng \
trước mùa mưa bão.

2. Phòng cháy, chữa cháy rừng

Lực lượng kiểm lâm phối hợp với chính quyền địa phương tổ chức 46 đợt tuyên truyền về phòng cháy, chữa cháy \
rừng cho người dân sống gần rừng; duy tu 38 km đường ranh cản lửa và nạo vét 21 km kênh mương dự trữ nước.

3. Quản lý, bảo vệ rừng

Tuần tra, kiểm soát thường xuyên các khu rừng phòng hộ ven biển; phát hiện và xử lý 17 vụ vi phạm Luật Lâm \
nghiệp, tịch thu 12,5 m3 gỗ các loại. Diện tích rừng bị sạt lở được khoanh vùng và lập phương án gây bồi.

II. NHIỆM VỤ NĂM 2023

Tiếp tục trồng mới rừng ngập mặn ven biển, nâng cao tỷ lệ che phủ rừng; tăng cường tuần tra bảo vệ rừng \
phòng hộ; huy động nguồn lực xã hội hóa cho công tác trồng rừng.
"""

_ONLINE = """ỦY BAN NHÂN DÂN TỈNH CÀ MAU

Số: 48/BC-UBND

Cà Mau, ngày 20 tháng 01 năm 2024

BÁO CÁO
Kết quả thực hiện dịch vụ công trực tuyến năm 2023

1. Kết quả tiếp nhận hồ sơ

Năm 2023, tỷ lệ hồ sơ thủ tục hành chính được tiếp nhận trực tuyến toàn trình đạt 68,4%, tăng 21,7 điểm phần \
trăm so với năm 2022; tỷ lệ hồ sơ được giải quyết đúng hạn đạt 98,2%.

2. Thanh toán trực tuyến

Số giao dịch thanh toán phí, lệ phí trực tuyến qua Cổng dịch vụ công quốc gia đạt 35.912 giao dịch.
"""

EXTRA_REPORTS: tuple[ExtraReport, ...] = (
    ExtraReport(
        "bao-cao-rung-ngap-man-2022.txt",
        _FOREST,
        SampleQuestion("Năm 2022 toàn tỉnh trồng mới bao nhiêu ha rừng ngập mặn ven biển?", "1.347 ha"),
    ),
    ExtraReport(
        "bao-cao-dich-vu-cong-truc-tuyen-2023.txt",
        _ONLINE,
        SampleQuestion(
            "Năm 2023 tỷ lệ hồ sơ thủ tục hành chính được tiếp nhận trực tuyến toàn trình đạt bao nhiêu?",
            "68,4%",
        ),
    ),
)


def write_reports(reports: Sequence[ExtraReport], folder: Path) -> list[Path]:
    """Write ``reports`` into ``folder`` (created) and return their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for report in reports:
        path = folder / report.filename
        path.write_text(report.text, encoding="utf-8")
        paths.append(path)
    return paths

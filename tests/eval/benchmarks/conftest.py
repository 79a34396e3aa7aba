"""Tiny hand-made SQuAD-style and ALQAC-style files for the benchmark tests."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

PARAGRAPHS = [
    ("Cà_Mau", "Năm 2021, thu ngân sách nhà nước trên địa bàn tỉnh Cà Mau đạt 5.851 tỷ đồng, vượt 6,8% kế hoạch. "
               "Tổng vốn đầu tư toàn xã hội ước đạt 21.500 tỷ đồng. Tỉnh có 9 đơn vị hành chính cấp huyện."),
    ("Cà_Mau", "Sản lượng tôm nuôi năm 2021 đạt 215.000 tấn, tăng 4,2% so với năm trước. "
               "Kim ngạch xuất khẩu thủy sản đạt 1,2 tỷ USD, chủ yếu sang Nhật Bản và Hoa Kỳ."),
    ("Đà_Nẵng", "Thành phố Đà Nẵng đón khoảng 1,6 triệu lượt khách du lịch trong năm 2021. "
                "Cầu Rồng được khánh thành năm 2013 và phun lửa vào tối thứ bảy, chủ nhật hằng tuần."),
]
QUESTIONS = [
    (0, "Thu ngân sách nhà nước của Cà Mau năm 2021 đạt bao nhiêu?", "5.851 tỷ đồng"),
    (0, "Cà Mau có bao nhiêu đơn vị hành chính cấp huyện?", "9"),
    (1, "Sản lượng tôm nuôi năm 2021 đạt bao nhiêu tấn?", "215.000 tấn"),
    (2, "Cầu Rồng được khánh thành năm nào?", "2013"),
]

LAWS = [
    {"id": "Luật Cư trú", "articles": [
        {"id": "1", "text": "Phạm vi điều chỉnh\n\nLuật này quy định về việc thực hiện quyền tự do cư trú của công dân "
                            "Việt Nam trên lãnh thổ nước Cộng hòa xã hội chủ nghĩa Việt Nam; nguyên tắc cư trú; "
                            "đăng ký, quản lý cư trú; quyền, nghĩa vụ, trách nhiệm của công dân, hộ gia đình."},
        {"id": "20", "text": "Điều kiện đăng ký thường trú\n\nCông dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình "
                             "thì được đăng ký thường trú tại chỗ ở hợp pháp đó."},
    ]},
    {"id": "Luật Hôn nhân và gia đình", "articles": [
        {"id": "8", "text": "Điều kiện kết hôn\n\nNam, nữ kết hôn với nhau phải tuân theo các điều kiện sau đây: "
                            "Nam từ đủ 20 tuổi trở lên, nữ từ đủ 18 tuổi trở lên; việc kết hôn do nam và nữ tự "
                            "nguyện quyết định."},
        {"id": "9", "text": "Đăng ký kết hôn\n\nViệc kết hôn phải được đăng ký và do cơ quan nhà nước có thẩm quyền "
                            "thực hiện. Vợ chồng đã ly hôn muốn xác lập lại quan hệ vợ chồng thì phải đăng ký kết hôn."},
    ]},
]
ALQAC_QUESTIONS = [
    {"question_id": "DS-1", "question_type": "Đúng/Sai",
     "text": "Nữ từ đủ 18 tuổi trở lên thì đủ tuổi kết hôn, đúng hay sai?",
     "relevant_articles": [{"law_id": "Luật Hôn nhân và gia đình", "article_id": "8"}], "answer": "Đúng"},
    {"question_id": "DS-2", "question_type": "Đúng/Sai",
     "text": "Công dân có chỗ ở hợp pháp thuộc quyền sở hữu của mình không được đăng ký thường trú, đúng hay sai?",
     "relevant_articles": [{"law_id": "Luật Cư trú", "article_id": "20"}], "answer": "Sai"},
    {"question_id": "TN-1", "question_type": "Trắc nghiệm", "text": "Nam bao nhiêu tuổi thì được kết hôn?",
     "choices": {"A": "18 tuổi", "B": "20 tuổi", "C": "21 tuổi", "D": "22 tuổi"},
     "relevant_articles": [{"law_id": "Luật Hôn nhân và gia đình", "article_id": "8"}], "answer": "B"},
    {"question_id": "TL-1", "question_type": "Tự luận",
     "text": "Vợ chồng đã ly hôn muốn xác lập lại quan hệ vợ chồng thì cần làm thủ tục gì?",
     "relevant_articles": [{"law_id": "Luật Hôn nhân và gia đình", "article_id": "9"}], "answer": "đăng ký kết hôn"},
]


def write_squad(path: Path) -> Path:
    by_title: dict[str, list[dict]] = {}
    for i, (title, context) in enumerate(PARAGRAPHS):
        qas = []
        for j, (p, question, answer) in enumerate(QUESTIONS):
            if p == i:
                qas.append({"id": f"q{j}", "question": question,
                            "answers": [{"text": answer, "answer_start": context.index(answer)}]})
        by_title.setdefault(title, []).append({"context": context, "qas": qas})
    data = {"version": "1.1", "data": [{"title": t, "paragraphs": ps} for t, ps in by_title.items()]}
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


def write_alqac(folder: Path) -> tuple[Path, Path]:
    folder.mkdir(parents=True, exist_ok=True)
    law, questions = folder / "law.json", folder / "train.json"
    law.write_text(json.dumps(LAWS, ensure_ascii=False), encoding="utf-8")
    questions.write_text(json.dumps(ALQAC_QUESTIONS, ensure_ascii=False), encoding="utf-8")
    return law, questions


@pytest.fixture()
def squad_file(tmp_path: Path) -> Path:
    return write_squad(tmp_path / "squad.json")


@pytest.fixture()
def alqac_files(tmp_path: Path) -> tuple[Path, Path]:
    return write_alqac(tmp_path / "alqac")

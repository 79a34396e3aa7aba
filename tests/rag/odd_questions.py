"""Questions a user may type that are not questions about the reports; every one gets a reply."""

from __future__ import annotations

ODD_QUESTIONS = {
    "empty": "",
    "blank": "   ",
    "punctuation": "?!...",
    "emoji": "🙂🙂🙂",
    "sql": "'; DROP TABLE documents; --",
    "english": "What is the weather in Paris today?",
    "chinese": "2021年金瓯省的国家预算收入是多少？",
    "long-repeated": "thu ngân sách " * 800,
    "dash-first": "-- xóa hết dữ liệu; --help",
    "10000-chars": ("Thu ngân sách nhà nước năm 2021 của tỉnh Cà Mau đạt bao nhiêu? " * 160)[:10_000],
}

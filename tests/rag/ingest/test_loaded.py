from __future__ import annotations

from rag.ingest.loaded import LoadedPage, LoadedText, repair_strings, unwrap


def test_a_line_wrapped_by_the_page_layout_is_joined_to_the_one_before():
    assert unwrap("đồng chí A chủ trì cuộc họp\nvề công tác phòng, chống hạn.") == (
        "đồng chí A chủ trì cuộc họp về công tác phòng, chống hạn."
    )
    assert unwrap("hoàn thành việc nạo vét\n14 tuyến kênh nội đồng.") == "hoàn thành việc nạo vét 14 tuyến kênh nội đồng."
    assert unwrap("chủ trì cuộc họp\n\nvề công tác") == "chủ trì cuộc họp về công tác"  # OCR split the paragraph


def test_headings_list_items_and_new_sentences_keep_their_lines():
    text = "Kết quả như sau:\na) Thu ngân sách đạt.\nb) Chi thường xuyên.\n2. Nhiệm vụ\nNăm 2024 tăng 5%.\n3 xã đạt chuẩn."
    assert unwrap(text) == text


def test_pages_read_by_ocr_mark_the_text_and_its_encoding():
    loaded = LoadedText("", "pdf", "pdf", (LoadedPage(1, "Trang một."), LoadedPage(2, "", scanned=True)))
    assert [p.number for p in loaded.scanned_pages] == [2]
    done = loaded.with_pages((loaded.pages[0], loaded.pages[1].read_by_ocr("Trang hai.", 93.0)))
    assert (done.text, done.encoding, done.scanned_pages) == ("Trang một.\n\nTrang hai.", "pdf+ocr", [])


def test_many_texts_are_repaired_with_one_decision_and_come_back_in_place():
    fixed, encoding = repair_strings(["Uû ban nh©n d©n tØnh", "B¸o c¸o t×nh h×nh kinh tÕ", "5.851"], "docx")
    assert encoding == "docx+tcvn3"
    assert fixed["Uû ban nh©n d©n tØnh"] == "Uỷ ban nhân dân tỉnh" and fixed["5.851"] == "5.851"

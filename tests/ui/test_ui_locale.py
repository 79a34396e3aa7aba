"""ui.locale: Gradio's own words are Vietnamese whatever language Gradio picks for the browser."""

from __future__ import annotations

import re
from pathlib import Path

import gradio

from ui.locale import GRADIO_LANGUAGES, GRADIO_WORDS, MESSAGE_PATTERNS, gradio_translations

ASSETS = Path(gradio.__file__).parent / "templates" / "frontend" / "assets"


def test_every_language_gradio_ships_gets_the_vietnamese_words():
    core = next(ASSETS.glob("core-*.js")).read_text(encoding="utf-8")
    shipped = set(re.findall(r"\./lang/([A-Za-z-]+)\.json", core))
    assert shipped and shipped <= set(GRADIO_LANGUAGES), shipped - set(GRADIO_LANGUAGES)
    translations = gradio_translations()
    assert set(translations) == set(GRADIO_LANGUAGES)
    assert all(words == GRADIO_WORDS for words in translations.values())
    assert translations["en"]["upload_text.drop_file"] == "Kéo thả tệp vào đây"


def _translate(message: str) -> str:
    for pattern, replacement in MESSAGE_PATTERNS:
        if re.search(pattern, message):
            return re.sub(pattern, re.sub(r"\$(\d)", r"\\\1", replacement), message)
    return message


def test_gradio_upload_refusals_read_in_vietnamese_with_the_file_names():
    wrong = _translate("Invalid file type: virus.exe. Only .txt, .pdf allowed.")
    assert wrong == "Loại tệp không được nhận: virus.exe. Chỉ nhận các loại .txt, .pdf (invalid file type)."
    big = _translate('File(s) exceed the maximum allowed size of 5.0 Mb: "qua-lon.txt"')
    assert big == 'Tệp quá lớn, tối đa 5.0 Mb mỗi tệp: "qua-lon.txt" (file too large).'
    assert _translate("Báo cáo năm 2021") == "Báo cáo năm 2021"

"""Vietnamese for the words Gradio itself puts on the page ("Drop File Here", "Copy message", ...).

Gradio translates its built-in words through its i18n dictionary, keyed by the browser's language;
it has no Vietnamese, so a Vietnamese (or English, French...) browser gets English. We register the
same Vietnamese words under every language Gradio ships (:data:`GRADIO_LANGUAGES`): the page reads
Vietnamese whatever the browser's language. A few tooltips and screen-reader labels are written
into Gradio's components as plain English, outside its dictionary; :data:`TRANSLATE_JS` replaces
those on the page as they appear (:data:`ATTRIBUTE_WORDS`, :data:`STATUS_WORDS`, and the upload
refusals of :data:`MESSAGE_PATTERNS`).

No Gradio import: the words are data, tested on their own (tests/ui/test_ui_locale.py).
"""

from __future__ import annotations

import json

# Dotted keys of Gradio's dictionary (gradio/templates/frontend/.../lang/en.json): a dotted key
# is looked up before the nested built-in one, so these win over Gradio's own words.
GRADIO_WORDS: dict[str, str] = {
    "upload_text.drop_file": "Kéo thả tệp vào đây",
    "upload_text.click_to_upload": "Bấm để chọn tệp",
    "upload_text.paste_clipboard": "Dán từ bộ nhớ tạm",
    "upload_text.drop_csv": "Kéo thả tệp CSV vào đây",
    "upload_text.drop_image": "Kéo thả ảnh vào đây",
    "file.uploading": "Đang tải lên…",
    "common.or": "hoặc",
    "common.clear": "Xoá",
    "common.remove": "Bỏ",
    "common.download": "Tải xuống",
    "common.download_all": "Tải xuống tất cả",
    "common.edit": "Sửa",
    "common.empty": "Trống",
    "common.error": "Lỗi",
    "common.loading": "Đang tải",
    "common.submit": "Gửi",
    "common.undo": "Hoàn tác",
    "common.settings": "Cài đặt",
    "common.language": "Ngôn ngữ",
    "common.display_theme": "Giao diện",
    "common.progress": "Tiến độ",
    "common.share": "Chia sẻ",
    "chatbot.clear": "Xoá cuộc hội thoại",
    "chatbot.copy_message": "Sao chép tin nhắn",
    "chatbot.copied_message": "Đã sao chép tin nhắn",
    "chatbot.edit": "Sửa",
    "chatbot.retry": "Hỏi lại",
    "chatbot.undo": "Hoàn tác",
    "chatbot.submit": "Gửi",
    "chatbot.cancel": "Huỷ",
    "chatbot.like": "Thích",
    "chatbot.dislike": "Không thích",
    "dataframe.sort_column": "Sắp xếp cột",
    "dataframe.sort_ascending": "Sắp xếp tăng dần",
    "dataframe.sort_descending": "Sắp xếp giảm dần",
    "dataframe.clear_sort": "Bỏ sắp xếp",
    "dataframe.filter": "Lọc",
    "dataframe.clear_filter": "Bỏ lọc",
    "blocks.connection_can_break": "Trên điện thoại, kết nối có thể mất khi thẻ này bị ẩn hoặc máy ngủ.",
    "blocks.long_requests_queue": "Đang có nhiều yêu cầu chờ xử lý.",
    "blocks.lost_connection": "Mất kết nối vì đã rời trang. Đang kết nối lại…",
    "blocks.waiting_for_inputs": "Đang chờ tải tệp xong, hãy thử lại.",
    "status.queue_position": "Đang chờ: {position}/{size}",
    "login.login": "Đăng nhập",
    "login.username": "tên đăng nhập",
    "login.password": "mật khẩu",
    "login.incorrect_credentials": "Sai tên đăng nhập hoặc mật khẩu",
}

# Gradio 6's languages (its frontend's lang/*.json); a browser in any other language gets "en".
GRADIO_LANGUAGES: tuple[str, ...] = (
    "en", "ar", "ca", "ckb", "de", "es", "et", "eu", "fa", "fi", "fr", "he", "hi", "id", "ja", "ko", "lt",
    "nb", "nl", "pl", "pt-BR", "pt", "ro", "ru", "sv", "ta", "th", "tr", "uk", "ur", "uz", "zh-CN", "zh-TW",
)

# Tooltips (title), screen-reader labels (aria-label) and status words Gradio writes in English.
ATTRIBUTE_WORDS: dict[str, str] = {
    "Copy conversation": "Sao chép cả cuộc hội thoại",
    "Copied conversation": "Đã sao chép cuộc hội thoại",
    "Copy table data": "Sao chép bảng",
    "Copied to clipboard": "Đã sao chép",
    "Fullscreen": "Toàn màn hình",
    "Exit fullscreen mode": "Thoát toàn màn hình",
    "Click to upload or drop files": "Bấm để chọn tệp hoặc kéo thả tệp vào đây",
    "File upload": "Tải tệp lên",
    "More tabs": "Các thẻ khác",
    "Open cell menu": "Mở menu của ô",
    "Table actions": "Thao tác với bảng",
    "Reset to default value": "Đặt lại giá trị mặc định",
    "chatbot conversation": "Cuộc hội thoại",
    "Scroll down": "Cuộn xuống",
    "Dismiss": "Đóng",
}
# Gradio's status line and toast words, replaced only inside its status tracker and toasts.
STATUS_WORDS: dict[str, str] = {"processing |": "đang xử lý |", "Error": "Lỗi", "Warning": "Cảnh báo",
                                "Info": "Thông báo"}
# Gradio's upload refusals, written by its frontend in English: (pattern, replacement with $1, $2).
MESSAGE_PATTERNS: tuple[tuple[str, str], ...] = (
    (r"^Invalid file types?: (.+)\. Only (.+) allowed\.$",
     "Loại tệp không được nhận: $1. Chỉ nhận các loại $2 (invalid file type)."),
    (r"^File\(s\) exceed the maximum allowed size of (.+?): (.+)$",
     "Tệp quá lớn, tối đa $1 mỗi tệp: $2 (file too large)."),
)


def gradio_translations() -> dict[str, dict[str, str]]:
    """The Vietnamese words under every language Gradio may pick, for ``gr.I18n(**...)``."""
    return {language: dict(GRADIO_WORDS) for language in GRADIO_LANGUAGES}


# Runs once on page load (launch(js=...)): replaces the English attribute values and status words
# now and whenever Gradio writes them again (a copy button's "Copied" state, a new toast).
TRANSLATE_JS = """
() => {
  const attrs = %s, texts = %s, names = ['title', 'aria-label', 'placeholder'];
  const patterns = %s.map(([p, r]) => [new RegExp(p), r]);
  const gradioText = '[data-testid="status-tracker"], .toast-wrap';
  const fix = (root) => {
    if (!(root instanceof Element)) return;
    for (const el of [root, ...root.querySelectorAll('[title],[aria-label],[placeholder]')]) {
      for (const n of names) {
        const v = el.getAttribute(n);
        if (v && attrs[v]) el.setAttribute(n, attrs[v]);
      }
    }
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
    while (walker.nextNode()) {  // only Gradio's own status and toast words, never report text
      const t = walker.currentNode, v = t.nodeValue.trim();
      if (!v || !t.parentElement?.closest(gradioText)) continue;
      if (texts[v]) { t.nodeValue = t.nodeValue.replace(v, texts[v]); continue; }
      for (const [p, r] of patterns) if (p.test(v)) { t.nodeValue = v.replace(p, r); break; }
    }
  };
  new MutationObserver((changes) => {
    for (const c of changes) {
      if (c.type === 'attributes') fix(c.target);
      else if (c.type === 'characterData') fix(c.target.parentElement);
      else c.addedNodes.forEach((n) => fix(n.nodeType === 3 ? n.parentElement : n));
    }
  }).observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                             attributeFilter: names});
  fix(document.body);
}
""" % tuple(json.dumps(x, ensure_ascii=False) for x in (ATTRIBUTE_WORDS, STATUS_WORDS, MESSAGE_PATTERNS))

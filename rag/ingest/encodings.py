"""Bytes → Unicode text for Vietnamese documents, refusing to index silent mojibake.

Vietnamese files in the wild come as UTF-8 / UTF-16, as Windows-1258 (with combining tone
marks), or as text typed in the legacy font encodings TCVN3 (ABC, ``.VnTime`` fonts) and
VNI-Windows (``VNI-Times`` fonts), which are plain single-byte text read through cp1252. No
maintained offline Python library converts TCVN3/VNI, so the tables and the detection here
are hand-written; detection picks the candidate whose text looks most like Vietnamese
syllables (``vietnamese_score``) and raises :class:`EncodingProblem` when none convinces.

Sources cross-checked for the tables (all agree on every entry used below):

* TCVN3: ``lamdao/xvnkb`` ``tcvn.h`` (Dao Hai Lam, VISC keyboard driver), XFree86
  ``xc/extras/X-TrueType/TCVN/TCVNtoUCS2.c`` (TCVN 5712 → UCS-2, as mirrored in
  ``apple-open-source/macos``) and ``duydev/vietnamese-conversion`` ``src/charsets.ts``.
* VNI-Windows: ``lamdao/xvnkb`` ``vni.h`` and ``duydev/vietnamese-conversion``
  ``src/charsets.ts``.

TCVN3 notes. This is the ABC / ``.VnTime`` subset (VN3): lowercase letters with and without
tone, plus the seven uppercase letters without tone (Ă Â Ê Ô Ơ Ư Đ = ¡ ¢ £ ¤ ¥ ¦ §). The full
TCVN 5712 (VN1) table also gives uppercase *toned* letters codes at 0x01-0x17, 0x80-0x9F and a
few in 0xA0-0xFF (e.g. 0xC0 Ắ); ABC fonts do not use them (those bytes are control characters
or cp1252 punctuation in real documents), and mapping them would damage Unicode lines such as
"Cà Mau" in mixed files, so they are left alone. ``.VnTimeH`` (all-caps) fonts store uppercase
toned letters with the *lowercase* codes, so such text converts to lowercase ("Uû ban" →
"Uỷ ban"). As a partial fix, a word whose ASCII letters are all uppercase (two or more) is
upper-cased after conversion ("TØNH" → "TỈNH"); every other word is left as converted.
"""

from __future__ import annotations

import logging
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache

logger = logging.getLogger(__name__)


class EncodingProblem(ValueError):
    """The bytes are not text we can decode confidently; the message says why, for a person."""


_BINARY = "không nhận dạng được bảng mã (unrecognised encoding: looks like binary data)"
_UNRECOGNISED = (
    "không nhận dạng được bảng mã (unrecognised encoding: not UTF-8/UTF-16, and neither "
    "Windows-1258, TCVN3 nor VNI gives Vietnamese text)"
)
_LEGACY_UNSURE = (
    "văn bản có vẻ gõ bằng phông chữ cũ (TCVN3/VNI) nhưng không chuyển đổi chắc chắn được "
    "(looks like legacy-font mojibake that cannot be converted confidently)"
)

# --------------------------------------------------------------------------- TCVN3 (ABC)

# byte (as the cp1252/latin-1 character it shows as) -> Unicode; lowercase letters first.
_TCVN3_PAIRS = (
    # a, ă, â
    "µà ¸á ¶ả ·ã ¹ạ ¨ă »ằ ¾ắ ¼ẳ ½ẵ Æặ ©â Çầ Êấ Èẩ Éẫ Ëậ "
    # e, ê
    "Ìè Ðé Îẻ Ïẽ Ñẹ ªê Òề Õế Óể Ôễ Öệ "
    # i
    "×ì Ýí Øỉ Üĩ Þị "
    # o, ô, ơ
    "ßò ãó áỏ âõ äọ «ô åồ èố æổ çỗ éộ ¬ơ êờ íớ ëở ìỡ îợ "
    # u, ư (ư is 0xAD, the soft hyphen)
    "ïù óú ñủ òũ ôụ \xadư õừ øứ öử ÷ữ ùự "
    # y, đ
    "úỳ ýý ûỷ üỹ þỵ ®đ "
    # uppercase letters without tone (all TCVN3 fonts)
    "¡Ă ¢Â £Ê ¤Ô ¥Ơ ¦Ư §Đ"
)
TCVN3_TABLE: dict[str, str] = {pair[0]: pair[1] for pair in _TCVN3_PAIRS.split(" ")}
_TCVN3_TRANS = str.maketrans(TCVN3_TABLE)
_WORD = re.compile(r"\w+")


def _upcase_caps_word(match: re.Match[str]) -> str:
    """Upper-case a converted word typed in capitals (``CéNG`` → ``CỘNG``), see module notes."""
    word = match.group()
    ascii_letters = [c for c in word if c.isascii() and c.isalpha()]
    if len(ascii_letters) >= 2 and all(c.isupper() for c in ascii_letters) and not word.isupper():
        return word.upper()
    return word


def tcvn3_to_unicode(text: str) -> str:
    """Convert TCVN3 (ABC) text, as shown through cp1252, to Unicode (NFC)."""
    converted = text.translate(_TCVN3_TRANS)
    return _WORD.sub(_upcase_caps_word, converted)


# --------------------------------------------------------------------------- VNI-Windows

# VNI writes a base letter followed by a mark byte. Mark bytes (lowercase form):
#   tones: ù sắc, ø huyền, û hỏi, õ ngã, ï nặng
#   â circumflex, ê breve (only after a); circumflex+tone: á à å ã ä; breve+tone: é è ú ü ë
_VNI_TONES = dict(zip("ùøûõï", range(5), strict=True))
_VNI_CIRC = {"â": -1, **dict(zip("áàåãä", range(5), strict=True))}
_VNI_BREVE = {"ê": -1, **dict(zip("éèúüë", range(5), strict=True))}
# toned forms in the order sắc, huyền, hỏi, ngã, nặng
_TONED = {
    "a": "áàảãạ", "ă": "ắằẳẵặ", "â": "ấầẩẫậ", "e": "éèẻẽẹ", "ê": "ếềểễệ",
    "o": "óòỏõọ", "ô": "ốồổỗộ", "ơ": "ớờởỡợ", "u": "úùủũụ", "ư": "ứừửữự", "y": "ýỳỷỹỵ",
}
# VNI byte that stands for a base vowel -> the vowel (ô is ơ, ö is ư in VNI)
_VNI_BASES = {"a": "a", "e": "e", "o": "o", "u": "u", "y": "y", "ô": "ơ", "ö": "ư"}
# base byte -> (vowel it becomes with the shape mark, that shape's marks)
_VNI_SHAPES = {"a": (("â", _VNI_CIRC), ("ă", _VNI_BREVE)), "e": (("ê", _VNI_CIRC),), "o": (("ô", _VNI_CIRC),)}
# letters that are one byte on their own
_VNI_SINGLE_LOWER = {"ô": "ơ", "ö": "ư", "ñ": "đ", "æ": "ỉ", "ó": "ĩ", "ò": "ị", "î": "ỵ"}


def _build_vni_table() -> dict[str, str]:
    """All VNI sequences (lower, upper and mixed-case marks) -> Unicode letters."""
    lower: dict[str, str] = {}
    for byte, vowel in _VNI_BASES.items():
        for mark, tone in _VNI_TONES.items():
            if not (vowel == "y" and tone == 4):  # ỵ is the single byte î
                lower[byte + mark] = _TONED[vowel][tone]
        for shaped, marks in _VNI_SHAPES.get(byte, ()):
            for mark, tone in marks.items():
                lower[byte + mark] = shaped if tone < 0 else _TONED[shaped][tone]
    table: dict[str, str] = {}
    for seq, letter in lower.items():
        base, mark = seq
        for b in (base, base.upper()):
            for m in (mark, mark.upper()):
                table[b + m] = letter.upper() if b.isupper() else letter
    for byte, letter in _VNI_SINGLE_LOWER.items():
        table[byte] = letter
        table[byte.upper()] = letter.upper()
    return table


VNI_TABLE: dict[str, str] = _build_vni_table()
_VNI_PATTERN = re.compile("|".join(re.escape(k) for k in sorted(VNI_TABLE, key=len, reverse=True)))


def vni_to_unicode(text: str) -> str:
    """Convert VNI-Windows text, as shown through cp1252, to Unicode (NFC)."""
    return _VNI_PATTERN.sub(lambda m: VNI_TABLE[m.group()], text)


# --------------------------------------------------------------------------- scoring

_INITIALS = "ngh|ng|nh|ch|gh|gi|kh|ph|th|tr|qu|b|c|d|đ|g|h|k|l|m|n|p|r|s|t|v|x"
_NUCLEI = (
    "iêu|oai|oao|oay|oeo|uây|uôi|uya|uyê|uyu|ươi|ươu|yêu|"
    "ai|ao|au|ay|âu|ây|eo|êu|ia|iê|iu|oa|oă|oe|oi|oo|ôi|ơi|ua|uâ|uê|ui|uô|uơ|uy|ưa|ưi|ưu|ươ|yê|"
    "a|ă|â|e|ê|i|o|ô|ơ|u|ư|y"
)
_SYLLABLE = re.compile(f"(?:{_INITIALS})?(?:{_NUCLEI})(?:ch|nh|ng|c|m|n|p|t)?")
_TONE_MARKS = {"\u0300", "\u0301", "\u0303", "\u0309", "\u0323"}
_VOWELS = set("aăâeêioôơuưy")
_ACRONYM = re.compile(r"[A-ZĐ]{2,}")
_SPLIT = re.compile(r"[\s\-/–—_|]+")
_EDGE = re.compile(r"^[\W_]+|[\W_]+$")
_COMMON = frozenset(
    "và của các có được trong là người năm với cho không những đã này một theo đến tỉnh huyện xã "
    "nhân dân về tại đồng triệu tỷ tháng kinh tế hội thực hiện công tác phát triển trên đó khi cũng "
    "như đạt so cùng kỳ tăng giảm nước nhà đầu tư dự án quản lý ban chỉ đạo sản xuất vụ được".split()
)
# letters that exist only in Unicode Vietnamese, never in text read through cp1252
_UNICODE_ONLY_VI = re.compile("[ăĂđĐĩĨũŨơƠưƯ\u1ea0-\u1ef9\u0300-\u0323]")


@lru_cache(maxsize=65536)
def is_vietnamese_syllable(token: str) -> bool:
    """True if ``token`` (one word, any case) is a well-formed Vietnamese syllable."""
    decomposed = unicodedata.normalize("NFD", token.lower())
    tones = 0
    kept: list[str] = []
    for ch in decomposed:
        if ch in _TONE_MARKS:
            tones += 1
            if not kept or unicodedata.normalize("NFC", kept[-1]) not in _VOWELS:
                return False
            continue
        if unicodedata.combining(ch) and kept:
            kept[-1] += ch  # circumflex, breve or horn stays on its letter
        else:
            kept.append(ch)
    if tones > 1:
        return False
    return _SYLLABLE.fullmatch(unicodedata.normalize("NFC", "".join(kept))) is not None


@dataclass(frozen=True)
class _Stats:
    tokens: int = 0
    plausible: int = 0
    foreign: int = 0  # tokens with a non-ASCII character
    foreign_ok: int = 0  # ... of which Vietnamese syllables or acronyms
    common: int = 0

    @property
    def score(self) -> float:
        return self.plausible / self.tokens if self.tokens else 0.0

    @property
    def foreign_share(self) -> float:
        """Share of non-ASCII words that are Vietnamese; 1.0 when there are none."""
        return self.foreign_ok / self.foreign if self.foreign else 1.0

    @property
    def common_share(self) -> float:
        return self.common / self.tokens if self.tokens else 0.0


def _tokens(text: str) -> list[str]:
    words = (_EDGE.sub("", w) for w in _SPLIT.split(unicodedata.normalize("NFC", text)))
    return [w for w in words if w]


def _assess(text: str) -> _Stats:
    tokens = plausible = foreign = foreign_ok = common = 0
    for word in _tokens(text):
        tokens += 1
        if word.lower() in _COMMON:
            common += 1
        if word.isascii():
            plausible += 1
            continue
        foreign += 1
        if _ACRONYM.fullmatch(word) or is_vietnamese_syllable(word):
            plausible += 1
            foreign_ok += 1
    return _Stats(tokens, plausible, foreign, foreign_ok, common)


def vietnamese_score(text: str) -> float:
    """Share of words that are Vietnamese syllables or plain ASCII words/numbers (0.0 if none).

    Mojibake ("nh©n", "nhaân", "Ã¡") fails the syllable check, so the correct decoding of
    a Vietnamese file scores near 1.0 and the wrong ones clearly lower.
    """
    return _assess(text).score


# --------------------------------------------------------------------------- repair of decoded text

_CONVERTERS: dict[str, Callable[[str], str]] = {"tcvn3": tcvn3_to_unicode, "vni": vni_to_unicode}
_LATIN1_LETTERS = re.compile("[\u00a0-\u00ff]")


def _convert_line(line: str, convert: Callable[[str], str]) -> str:
    """Convert one line unless it is already Unicode Vietnamese (mixed documents exist)."""
    if _UNICODE_ONLY_VI.search(line):
        return line
    converted = convert(line)
    if converted == line:
        return line
    before, after = _assess(line), _assess(converted)
    # ties keep the line: TCVN3 lines that read as Vietnamese unconverted are rarer than
    # Unicode lines written only with letters that TCVN3 reuses ("Tôi là ai")
    if (after.foreign_share, after.common) > (before.foreign_share, before.common):
        return converted
    return line


def _convert_lines(text: str, convert: Callable[[str], str]) -> str:
    return "\n".join(_convert_line(line, convert) for line in text.split("\n"))


def _suspect_words(text: str) -> int:
    """Words that are not Vietnamese as they are but become Vietnamese through a legacy table."""
    count = 0
    for word in _tokens(text):
        if word.isascii() or is_vietnamese_syllable(word):
            continue
        if any(is_vietnamese_syllable(_EDGE.sub("", conv(word))) for conv in _CONVERTERS.values()):
            count += 1
    return count


def repair_legacy_text(text: str) -> tuple[str, str | None]:
    """Detect TCVN3/VNI font text hidden in already-decoded text and convert it.

    Returns ``(fixed, "tcvn3" | "vni")`` or ``(text, None)`` for ordinary text; raises
    :class:`EncodingProblem` when the text is clearly legacy mojibake but no table fits.
    """
    if not _LATIN1_LETTERS.search(text):
        return text, None
    original = _assess(text)
    if original.foreign == 0 or original.foreign_share >= 0.95:
        return text, None
    best: tuple[tuple[float, float], str, str] | None = None
    for name, convert in _CONVERTERS.items():
        fixed = _convert_lines(text, convert)
        stats = _assess(fixed)
        key = (stats.foreign_share, stats.common_share)
        if best is None or key > best[0]:
            best = (key, name, fixed)
    assert best is not None
    (share, _), name, fixed = best
    if share >= 0.75 and share - original.foreign_share >= 0.25:
        logger.info("converted %s legacy-font text (%.2f -> %.2f Vietnamese words)", name,
                    original.foreign_share, share)
        return fixed, name
    suspects = _suspect_words(text)
    if suspects >= 3 and suspects >= 0.3 * original.foreign:
        raise EncodingProblem(_LEGACY_UNSURE)
    return text, None


# --------------------------------------------------------------------------- bytes

_BOMS = (
    (b"\xef\xbb\xbf", "utf-8-sig"),
    (b"\xff\xfe", "utf-16"),
    (b"\xfe\xff", "utf-16"),
)
_CONTROLS = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x9f]")
_C0_CONTROLS = re.compile(rb"[\x00-\x08\x0e-\x1f\x7f]")
# cp1252 shows bytes 0x80-0x9F as punctuation; undefined ones stay as latin-1 controls
_CP1252_HIGH = {
    0x80 + i: ch
    for i in range(32)
    if (ch := bytes([0x80 + i]).decode("cp1252", errors="replace")) != "\ufffd"
}


def _looks_binary(text: str) -> bool:
    """NUL anywhere, or more than 1% control characters (other than tab/newline/form feed)."""
    if "\x00" in text:
        return True
    return len(_CONTROLS.findall(text)) > max(2, len(text) // 100)


def _utf16_without_bom(data: bytes) -> str | None:
    """Codec name when the NUL bytes sit at odd (LE) or even (BE) positions of ASCII-heavy text."""
    if len(data) < 4 or len(data) % 2 or b"\x00" not in data:
        return None
    half = len(data) // 2
    even_nuls = data[0::2].count(0) / half
    odd_nuls = data[1::2].count(0) / half
    if odd_nuls > 0.3 and even_nuls < 0.05:
        return "utf-16-le"
    if even_nuls > 0.3 and odd_nuls < 0.05:
        return "utf-16-be"
    return None


def _via_cp1252(data: bytes) -> str:
    """Bytes as a legacy Windows font shows them: cp1252, undefined bytes as latin-1."""
    return data.decode("latin-1").translate(_CP1252_HIGH)


def _decode_cp1258(data: bytes) -> str:
    return unicodedata.normalize("NFC", data.decode("cp1258"))


def _decode_tcvn3(data: bytes) -> str:
    return tcvn3_to_unicode(_via_cp1252(data))


def _decode_vni(data: bytes) -> str:
    return vni_to_unicode(_via_cp1252(data))


_LEGACY_DECODERS: dict[str, Callable[[bytes], str]] = {
    "cp1258": _decode_cp1258,
    "tcvn3": _decode_tcvn3,
    "vni": _decode_vni,
}


def _finish_unicode(text: str, encoding: str) -> tuple[str, str]:
    """Refuse binary, then convert legacy-font text that was stored as Unicode."""
    if _looks_binary(text):
        raise EncodingProblem(_BINARY)
    fixed, legacy = repair_legacy_text(text)
    return fixed, f"{encoding}+{legacy}" if legacy else encoding


def _decode_utf8_lenient(data: bytes) -> str | None:
    """UTF-8 with a few broken sequences (a cut file, a stray byte) is still UTF-8.

    Returns the text with U+FFFD for the broken bytes, None when the data does not look like
    UTF-8 at all, and raises when it clearly is UTF-8 but damaged in many places.
    """
    replaced = data.decode("utf-8", errors="replace")
    ignored = data.decode("utf-8", errors="ignore")
    broken = replaced.count("\ufffd") - ignored.count("\ufffd")
    valid_non_ascii = sum(1 for c in ignored if ord(c) > 0x7F)
    if valid_non_ascii < 10 * broken:
        return None
    if broken > 3:
        raise EncodingProblem(
            f"tệp UTF-8 bị lỗi ở {broken} chỗ (damaged UTF-8: {broken} invalid byte sequences)"
        )
    logger.warning("UTF-8 text with %d invalid byte sequence(s); replaced by U+FFFD", broken)
    return replaced


def _pick_legacy(data: bytes) -> tuple[str, str]:
    """Choose among cp1258 / TCVN3 / VNI the decoding that reads most like Vietnamese."""
    scored: list[tuple[tuple[float, float, float], str, str]] = []
    for name, decode in _LEGACY_DECODERS.items():
        try:
            text = decode(data)
        except UnicodeDecodeError:
            continue
        stats = _assess(text)
        scored.append(((stats.foreign_share, stats.common_share, stats.score), name, text))
        logger.debug("candidate %s: foreign %.2f, score %.2f", name, stats.foreign_share, stats.score)
    if not scored:
        raise EncodingProblem(_UNRECOGNISED)
    (foreign_share, _, score), name, text = max(scored, key=lambda item: item[0])
    if foreign_share < 0.7 or score < 0.6:
        raise EncodingProblem(_UNRECOGNISED)
    return text, name


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode a text file's bytes; returns ``(text, encoding_name)`` or raises EncodingProblem.

    Order: BOM, UTF-16 without BOM (NUL pattern), binary check, strict UTF-8, then the best
    Vietnamese-looking of cp1258 / TCVN3 / VNI. Unicode results are checked for legacy-font
    mojibake ("utf-8+tcvn3"). Empty input decodes to ``("", "utf-8")``.
    """
    if not data:
        return "", "utf-8"
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return _finish_unicode(data.decode(codec), codec)
            except UnicodeDecodeError as exc:
                raise EncodingProblem(f"tệp {codec} bị hỏng (invalid {codec} data: {exc.reason})") from exc
    utf16 = _utf16_without_bom(data)
    if utf16:
        try:
            return _finish_unicode(data.decode(utf16), utf16)
        except UnicodeDecodeError as exc:
            raise EncodingProblem(_BINARY) from exc
    if b"\x00" in data:
        raise EncodingProblem(_BINARY)
    try:
        return _finish_unicode(data.decode("utf-8"), "utf-8")
    except UnicodeDecodeError:
        pass
    lenient = _decode_utf8_lenient(data)
    if lenient is not None:
        return _finish_unicode(lenient, "utf-8")
    if len(_C0_CONTROLS.findall(data)) > max(2, len(data) // 100):
        raise EncodingProblem(_BINARY)
    return _pick_legacy(data)

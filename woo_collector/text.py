"""Shared decoding helpers: bytes to text, HTML to text, whitespace and invisible characters.

Plain functions, used by every connector; none of them raises on bad input.
"""

from __future__ import annotations

import codecs
import html as htmllib
import re
import unicodedata
from pathlib import PurePath

# Characters phones and mail clients put around names and numbers; they must not change identity.
INVISIBLE = dict.fromkeys(map(ord, "\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff\u200b"), None)
_SPACES = dict.fromkeys(map(ord, "\u00a0\u202f\u2007\u2009\u200a"), " ")
_INVISIBLE_RE = re.compile("[" + "".join(map(chr, INVISIBLE)) + "]")
_SPACES_RE = re.compile("[" + "".join(map(chr, _SPACES)) + "]")


def drop_invisible(text: str) -> str:
    """``text`` without the invisible marks of ``INVISIBLE`` (direction marks, zero-width space, BOM).
    A regular expression: ``str.translate`` with a table looks every character of a non-ASCII text up
    in a dict, forty times slower."""
    return _INVISIBLE_RE.sub("", text)


def plain_spaces(text: str) -> str:
    """``text`` with its no-break, narrow and thin spaces made plain spaces."""
    return _SPACES_RE.sub(" ", text)

# What a terminal or a log reader must never get raw from an untrusted string (a file name, a header,
# a chat line): C0 controls (newline forges log lines, ESC starts terminal sequences), DEL, C1 controls
# (U+009B is a one-byte CSI), and the format characters (bidi overrides and isolates such as U+202E,
# zero-width and invisible characters), line and paragraph separators, and lone surrogates (an
# undecodable byte of a file name). ZWJ and ZWNJ join emoji and letters and are left.
# How a box is shown (exports.render.tidy for the package, the review page alike): a box alone between
# a pair of brackets loses them ("Pieter <[box]>" -> "Pieter [box]"), and boxes with only a BOX_GAP
# between them are shown as one.
_BRACKETS = {"<": ">", "(": ")", "[": "]", "{": "}", "«": "»"}
BOX_GAP = re.compile(r"[ \t\u00a0]*")


def unbracket(before: str, after: str) -> tuple[str, str] | None:
    """The plain texts on either side of a box without the pair of brackets that holds the box alone
    (``"Pieter <"``, ``">"`` -> ``"Pieter "``, ``""``), or None when the box is not bracketed."""
    if before and after and before[-1] in _BRACKETS and after[0] == _BRACKETS[before[-1]]:
        rest = before[:-1]
        return rest.rstrip(" ") + (" " if rest.endswith(" ") else ""), after[1:]
    return None
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}
_KEEP_FORMAT = frozenset("\u200c\u200d")


def _unprintable(c: str) -> bool:
    o = ord(c)
    if o < 0x20 or 0x7F <= o <= 0x9F:
        return True
    if o < 0xA0:
        return False
    return c not in _KEEP_FORMAT and unicodedata.category(c) in ("Cf", "Zl", "Zp", "Cs")


def _escape(c: str) -> str:
    if c in _NAMED_ESCAPES:
        return _NAMED_ESCAPES[c]
    o = ord(c)
    return f"\\x{o:02x}" if o < 0x100 else f"\\u{o:04x}" if o < 0x10000 else f"\\U{o:08x}"


def printable(value: object, *, lines: bool = False) -> str:
    """``value`` as text safe to print or log: every control, bidi and format character escaped, visibly.

    A newline becomes ``\\n``, ESC ``\\x1b``, a right-to-left override ``\\u202e``, so an untrusted file
    name can neither forge a line of output or a log nor drive the terminal. With ``lines`` (a body of
    text shown as text) newlines and tabs stay, CRLF becomes a newline, and the rest is escaped.
    Plain text comes back unchanged; applying it twice changes nothing more.
    """
    text = value if isinstance(value, str) else str(value)
    if lines:
        text = text.replace("\r\n", "\n")
    if not any(_unprintable(c) for c in text):
        return text
    return "".join(_escape(c) if _unprintable(c) and not (lines and c in "\n\t") else c for c in text)


_CHARSET_ALIASES = {
    "ansi_x3.4-1968": "ascii",
    "unicode-1-1-utf-7": "utf-7",
    "x-unknown": "",
    "unknown-8bit": "",
    "default": "",
    "us-ascii": "ascii",
    "ks_c_5601-1987": "cp949",
    "x-mac-roman": "mac_roman",
    "iso-8859-8-i": "iso-8859-8",
    "windows-874": "cp874",
    "gb2312": "gb18030",
    "gbk": "gb18030",
}


def known_charset(name: str | None) -> str:
    """Return a Python codec name for a declared charset, or '' when it is unknown or bogus."""
    if not name:
        return ""
    name = name.strip().strip('"').lower()
    name = _CHARSET_ALIASES.get(name, name)
    if not name:
        return ""
    try:
        return codecs.lookup(name).name
    except LookupError:
        return ""


def decode_bytes(data: bytes, declared: str | None = None) -> tuple[str, str]:
    """Decode bytes to text: the declared charset if it fits, then UTF-8, then detection.

    Returns (text, charset used). Never raises: the last resort is cp1252 with replacement,
    which is what Dutch mail without a charset nearly always is.
    """
    if not data:
        return "", known_charset(declared) or "ascii"
    cs = known_charset(declared)
    if cs:
        try:
            return data.decode(cs), cs
        except (UnicodeDecodeError, LookupError):
            pass
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    if len(data) < 2_000_000:
        try:
            from charset_normalizer import from_bytes

            best = from_bytes(data[:200_000]).best()
            if best is not None and best.encoding:
                return data.decode(best.encoding, errors="replace"), best.encoding
        except Exception:  # charset detection is a guess; a failing guess must not stop a run
            pass
    return data.decode("cp1252", errors="replace"), "cp1252"


_BLOCK_TAGS = re.compile(
    r"<\s*(br|/p|/div|/tr|/li|/h[1-6]|/blockquote|/table|hr|p|div|li|tr|h[1-6])\b[^<>]*>", re.I
)
_DROP_OPEN = re.compile(r"<(script|style|head|title)\b[^<>]*>", re.I)
_TAG = re.compile(r"<[^<>]*>")  # [^<>]: linear on hostile input such as '<' * 40000
_CELL = re.compile(r"<\s*/t[dh]\s*>", re.I)


def html_to_text(html: str) -> str:
    """Readable text from an HTML body: paragraphs and line breaks kept, scripts and styles dropped.

    A regex pass, not a DOM: fast on large mails and robust on broken markup.
    """
    if not html:
        return ""
    s = _drop_spans(html)
    s = _CELL.sub("\t", s)
    s = _BLOCK_TAGS.sub("\n", s)
    s = _TAG.sub("", s)
    s = htmllib.unescape(s)
    return tidy(s)


def _drop_spans(html: str) -> str:
    """Remove comments and script/style/head/title elements with str.find: linear on any input."""
    out: list[str] = []
    pos, n = 0, len(html)
    low = html.lower()
    unclosed: set[str] = set()  # a closing tag not found once is not found later either
    c, m = -2, None
    while pos < n:
        if c != -1 and c < pos:  # search again only when passed: each scan moves forward
            c = html.find("<!--", pos)
        if m is not False and (m is None or m.start() < pos):
            m = _DROP_OPEN.search(html, pos) or False
        starts = [x for x in (c, m.start() if m else -1) if x >= pos]
        if not starts:
            out.append(html[pos:])
            break
        start = min(starts)
        out.append(html[pos:start])
        if start == c:
            end = html.find("-->", c + 4)
            pos = n if end < 0 else end + 3
        else:
            tag = m.group(1).lower()
            close = -1 if tag in unclosed else low.find(f"</{tag}", m.end())
            if close < 0:
                unclosed.add(tag)
            if close < 0:
                pos = m.end()  # an unclosed <script>: drop only the tag
            else:
                gt = html.find(">", close)
                pos = n if gt < 0 else gt + 1
        out.append(" ")
    return "".join(out)


_MANY_NEWLINES = re.compile(r"\n{3,}")


def tidy(text: str) -> str:
    """Normalise line ends and spaces; keep the words exactly."""
    text = plain_spaces(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip(" \t") for line in text.split("\n"))  # linear, unlike a regex on long blank runs
    return _MANY_NEWLINES.sub("\n\n", text).strip()


def identity(text: str) -> str:
    """A normalised form for comparing names and numbers: no invisible marks, NFC, folded spaces."""
    if not text.isascii():  # an ASCII text holds no invisible mark or odd space, and is NFC already
        text = unicodedata.normalize("NFC", plain_spaces(drop_invisible(text)))
    return " ".join(text.split())


_HASH_WORD = re.compile(r"[^\W_]+")
_HASH_WORD_ASCII = re.compile(r"[A-Za-z0-9]+")  # the same words in an ASCII text, found in half the time


def normalise_for_hash(text: str) -> str:
    """Text reduced for content hashing (deduplication): case, spacing and quoting folded; the words
    of ``identity(text).casefold()`` joined by single spaces."""
    folded = identity(text).casefold()
    return " ".join((_HASH_WORD_ASCII if folded.isascii() else _HASH_WORD).findall(folded))


# what kind of file a name says -----------------------------------------------------------------
FILETYPES = {
    ".txt": "document", ".csv": "spreadsheet", ".tsv": "spreadsheet", ".html": "document", ".htm": "document",
    ".md": "document", ".log": "document",
    ".docx": "doc", ".docm": "doc", ".doc": "doc", ".odt": "doc", ".rtf": "doc",
    ".xlsx": "spreadsheet", ".xlsm": "spreadsheet", ".xls": "spreadsheet", ".ods": "spreadsheet",
    ".pptx": "presentation", ".ppsx": "presentation", ".ppt": "presentation", ".odp": "presentation",
    ".pdf": "pdf", ".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image",
    ".tif": "image", ".tiff": "image", ".heic": "image", ".webp": "image", ".bmp": "image",
    ".mp3": "audio", ".m4a": "audio", ".ogg": "audio", ".opus": "audio", ".wav": "audio",
    ".mp4": "video", ".mov": "video", ".3gp": "video",
    ".eml": "email", ".emlx": "email", ".msg": "email", ".mbox": "email", ".pst": "email", ".ost": "email",
    ".vcf": "contact", ".zip": "archive",
}


def filetype_of(name: str) -> str:
    """The inventory's word for a file from its name alone ('doc', 'pdf', 'image', ..., 'other')."""
    return FILETYPES.get(PurePath(name).suffix.lower(), "other")

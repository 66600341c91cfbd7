"""Text from documents: attachments and shared files (shared by the mail, chat and files connectors).

``extract_text(name, data)`` returns the readable text of a document and what it knows of it
(author, last modified by, created, modified, title, pages, a ``filetype`` in the inventory's
words). The format is recognised from the content first and the name second, so a ``.doc`` that is
really RTF, or a WhatsApp document reference without an extension, still gives its text.

Formats, as office software writes them:

- Word ``.docx``: body, tables (a row per line, cells separated by tabs), text boxes, headers,
  footers, footnotes and endnotes. Comments are not text of the document: ``has_comments`` says
  they are there; tracked changes likewise give ``has_tracked_changes``.
- Excel ``.xlsx``: every sheet under its name, shared and inline strings, dates shown as dates.
- PowerPoint ``.pptx``: slides in presentation order, then each slide's speaker notes.
- PDF: the text layer per page (pypdf). A PDF without one (a scan) gives ``no_text_layer``;
  ``ocr_text`` reads it with Tesseract where that is installed.
- OpenDocument ``.odt``/``.ods``/``.odp`` (LibreOffice), ``.rtf``, ``.html``, ``.txt``/``.csv``
  in any charset.

Documents are zips of XML: they are opened with the checks of ``safezip`` (no zip bombs), parts
are parsed streaming with ``defusedxml`` (no DTDs, so no billion laughs) and limited in size.
Unknown binaries and images give no text and are kept and listed, never indexed as text. A
document that claims a format but cannot be read, or is protected with a password, raises
``ConnectorError``.
"""

from __future__ import annotations

import codecs
import io
import logging
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePath
from typing import Any, Iterator
from zlib import error as zlib_error

from woo_collector import dates
from woo_collector.errors import ConnectorError
from woo_collector.safezip import Member, is_zip, open_member, open_zip
from woo_collector.text import decode_bytes, filetype_of, known_charset, plain_spaces

logging.getLogger("pypdf").setLevel(logging.ERROR)

MAX_TEXT = 20_000_000  # characters kept of one document's text
MAX_DOCUMENT = 200 * 1024**2  # bytes of one document read for its text; larger ones are kept, not read
MAX_PART = 256 * 1024**2  # expanded bytes of one XML part of a docx/xlsx/pptx/odt
MAX_SMALL_PART = 16 * 1024**2  # parts read whole: metadata, relationships, styles, workbook
MAX_HELD = 500_000  # elements of one ODF paragraph held in memory until its end
PROTECTED = "document is protected with a password"

_SUFFIX_KIND = {
    ".txt": "text", ".csv": "text", ".tsv": "text", ".log": "text", ".md": "text", ".ics": "text", ".vcf": "text",
    ".html": "html", ".htm": "html", ".xhtml": "html",
    ".docx": "docx", ".docm": "docx", ".dotx": "docx",
    ".xlsx": "xlsx", ".xlsm": "xlsx", ".xltx": "xlsx",
    ".pptx": "pptx", ".pptm": "pptx", ".ppsx": "pptx", ".potx": "pptx",
    ".odt": "odf", ".ods": "odf", ".odp": "odf", ".ott": "odf", ".ots": "odf", ".otp": "odf",
    ".pdf": "pdf", ".rtf": "rtf",
}
_KIND_FILETYPE = {"docx": "doc", "xlsx": "spreadsheet", "pptx": "presentation", "pdf": "pdf", "rtf": "doc", "html": "document"}
_OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


# What zipfile, zlib and the XML parsers raise on a damaged document while it is read (a truncated
# deflate stream, a bad CRC, a malformed part); ValueError also from parsing numbers and dates in the
# document. Anything else (a KeyError or TypeError of our own) is a bug and stays loud.
_LIBRARY_ERRORS = (zipfile.BadZipFile, zlib_error, OSError, EOFError, ValueError, SyntaxError, NotImplementedError,
                   LookupError)  # LookupError: an XML declaration naming an encoding Python does not know


@dataclass
class Extracted:
    text: str = ""
    filetype: str = "other"
    meta: dict[str, Any] = field(default_factory=dict)


def extract_text(name: str, data: bytes, content_type: str = "") -> Extracted:
    """The text and metadata of one document. Raises ConnectorError for a broken document."""
    kind = document_kind(name, data, content_type)
    ft = filetype_of(name)
    if kind == "protected":
        raise ConnectorError(PROTECTED, name)
    reader = _READERS.get(kind)
    if reader is None:
        if kind == "zip":
            ft = "archive"
        meta = {"note": "legacy binary Office format; text not extracted"} if data[:8] == _OLE and ft in ("doc", "spreadsheet", "presentation") else {}
        return Extracted("", ft, meta)
    if len(data) > MAX_DOCUMENT:
        raise ConnectorError(f"document of {len(data)} bytes is larger than {MAX_DOCUMENT} bytes; kept, text not extracted", name)
    try:
        ex = reader(name, data)
    except ConnectorError as e:
        raise ConnectorError(e.reason, e.path or name, e.locator) from e
    except RecursionError as e:
        raise ConnectorError(f"cannot read this {kind} document: it is nested too deeply", name) from e
    except _LIBRARY_ERRORS as e:
        raise ConnectorError(f"cannot read this {kind} document: {e.__class__.__name__}: {e}", name) from e
    if ex.filetype == "other":
        ex.filetype = ft if ft != "other" else _KIND_FILETYPE.get(kind, "document")
    if len(ex.text) > MAX_TEXT:
        ex.text = ex.text[:MAX_TEXT]
        ex.meta["truncated"] = True
    return ex


def document_kind(name: str, data: bytes, content_type: str = "") -> str:
    """What reader a document needs: docx, xlsx, pptx, odf, pdf, rtf, html, text; "zip" for an
    archive that is not a document, "protected" for an encrypted Office file, "" when unknown.
    Content wins over the name; the name wins over the declared content type.
    """
    suffix = PurePath(name).suffix.lower()
    head = data[:1024]
    if head.startswith(b"%PDF-") or (b"%PDF-" in head and suffix in (".pdf", "")):
        return "pdf"
    if head.lstrip()[:5] == b"{\\rtf":
        return "rtf"
    if is_zip(head):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as zf:
                kind = package_kind(zf)
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            kind = ""
        return kind or (_SUFFIX_KIND.get(suffix, "") if _SUFFIX_KIND.get(suffix) in ("docx", "xlsx", "pptx", "odf") else "zip")
    if head[:8] == _OLE:
        if "EncryptedPackage".encode("utf-16-le") in data:
            return "protected"
        return ""
    kind = _SUFFIX_KIND.get(suffix, "")
    if kind:
        return kind
    ct = (content_type or "").lower()
    if ct.startswith(("text/html", "application/xhtml")):
        return "html"
    if ct.startswith(("text/plain", "text/csv")):
        return "text"
    if ct == "application/pdf":
        return "pdf"
    return ""


def package_kind(zf: zipfile.ZipFile) -> str:
    """docx, xlsx, pptx or odf for an Office or OpenDocument package, "" for any other zip."""
    names = set(zf.namelist())
    if "word/document.xml" in names:
        return "docx"
    if "xl/workbook.xml" in names:
        return "xlsx"
    if "ppt/presentation.xml" in names:
        return "pptx"
    if "mimetype" in names and zf.getinfo("mimetype").file_size < 200:
        try:
            if zf.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
                return "odf"
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError):
            return ""
    return ""


# --- plain text and HTML --------------------------------------------------------------------

def clean(text: str) -> str:
    """Line ends and spaces normalised, blank runs folded to one: in linear time on any input."""
    text = plain_spaces(text.replace("\r\n", "\n").replace("\r", "\n"))
    out: list[str] = []
    blank = False
    for line in text.split("\n"):
        line = line.rstrip(" \t")
        if not line.strip():
            blank = bool(out)
            continue
        if blank:
            out.append("")
            blank = False
        out.append(line)
    return "\n".join(out).strip()


def _decode_prefix(data: bytes, limit: int, declared: str = "") -> tuple[str, bool]:
    """Decode at most ``limit`` bytes, never splitting a character; (text, truncated)."""
    truncated = len(data) > limit
    if data[:3] == codecs.BOM_UTF8:
        data, declared = data[3:], "utf-8"
    elif data[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE):
        declared = "utf-16"
    if truncated:
        data = data[:limit]
        if declared == "utf-16":
            data = data[: len(data) // 2 * 2]
        else:
            end = len(data)
            while end > len(data) - 4 and end > 0 and data[end - 1] & 0xC0 == 0x80:
                end -= 1
            if end > 0 and data[end - 1] >= 0xC0:
                end -= 1
            data = data[:end]
    text, charset = decode_bytes(data, declared or None)
    if charset not in ("utf-8", "ascii", known_charset(declared)):
        text = _prefer_cp1252(data, text)
    return text, truncated


def _prefer_cp1252(data: bytes, guess: str) -> str:
    """Detection guesses badly on short texts; Dutch text without a charset is nearly always
    cp1252. Take cp1252 when it decodes cleanly and gives more letters than the guess."""
    try:
        western = data.decode("cp1252")
    except UnicodeDecodeError:
        return guess

    def letters(s: str) -> int:
        return sum(1 for ch in s if ord(ch) > 127 and ch.isalpha())

    return western if letters(western) > letters(guess) else guess


def _text(name: str, data: bytes) -> Extracted:
    text, truncated = _decode_prefix(data, MAX_TEXT)
    meta: dict[str, Any] = {"truncated": True} if truncated else {}
    return Extracted(clean(text), "other", meta)


_HTML_CHARSET = re.compile(rb"<meta[^>]{0,200}charset\s*=\s*[\"']?([A-Za-z0-9_.:-]+)", re.I)
_XML_DECLARATION = re.compile(r"^\s*<\?xml[^>]{0,200}\?>")
_HTML_BLOCKS = (
    "p", "div", "br", "li", "tr", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "table", "hr", "pre",
    "section", "article", "header", "footer", "ul", "ol", "dl", "dt", "dd", "address",
)
_HTML_HIDDEN = ("script", "style", "head", "title", "noscript", "template")


def _html(name: str, data: bytes) -> Extracted:
    """HTML parsed by libxml2 (lxml), which stays linear on hostile markup; the regex pass in
    ``text.html_to_text`` is quadratic on some input (thousands of unclosed ``<script``)."""
    from lxml import etree
    from lxml import html as lhtml

    m = _HTML_CHARSET.search(data[:4096])
    text, truncated = _decode_prefix(data, MAX_TEXT, m.group(1).decode("ascii") if m else "")
    meta: dict[str, Any] = {"truncated": True} if truncated else {}
    text = _XML_DECLARATION.sub("", text).replace("\x00", "")
    if not text.strip():
        return Extracted("", "document", meta)
    try:
        doc = lhtml.document_fromstring(text, parser=lhtml.HTMLParser(huge_tree=True, no_network=True))
    except etree.ParserError:  # lxml's word for a document with no elements (only a comment)
        return Extracted("", "document", meta)
    except (etree.XMLSyntaxError, ValueError) as e:
        raise ConnectorError(f"cannot read this HTML: {e}", name) from e
    title = doc.find(".//title")
    if title is not None and (value := clean(title.text_content())):
        meta["title"] = value
    for el in doc.iter("meta"):
        if (el.get("name") or "").lower() == "author" and (el.get("content") or "").strip():
            meta["author"] = el.get("content").strip()
            break
    etree.strip_elements(doc, *_HTML_HIDDEN, with_tail=False)
    for el in doc.iter(*_HTML_BLOCKS):
        el.tail = "\n" + (el.tail or "")
        if el.tag != "br":
            el.text = "\n" + (el.text or "")
    for el in doc.iter("td", "th"):
        el.tail = "\t" + (el.tail or "")
    return Extracted(clean(doc.text_content()), "document", meta)


# --- dates ----------------------------------------------------------------------------------

_FRACTION = re.compile(r"(\.\d{6})\d+")


def iso_time(value: object) -> str | None:
    """A time as ISO 8601 in UTC; times without a zone are taken as Dutch local time."""
    if isinstance(value, datetime):
        dt = value
    else:
        s = str(value or "").strip()
        if not s:
            return None
        s = _FRACTION.sub(r"\1", s.replace("Z", "+00:00").replace("z", "+00:00"))
        try:
            dt = datetime.fromisoformat(s)
        except ValueError:
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=dates.zone())  # office software writes some times without a zone
    try:
        return dt.astimezone(timezone.utc).isoformat()
    except (OverflowError, ValueError):
        return None


# --- packages: docx, xlsx, pptx, odt --------------------------------------------------------

class _Package:
    """An OOXML or ODF zip opened with the safezip checks; parts streamed with size limits."""

    def __init__(self, name: str, data: bytes):
        self.name = name
        self.zf, members = open_zip(io.BytesIO(data), name)
        self.members: dict[str, Member] = {m.name: m for m in members}

    def __contains__(self, part: str) -> bool:
        return part in self.members

    def names(self, pattern: str) -> list[str]:
        rx = re.compile(pattern)
        return sorted((n for n in self.members if rx.fullmatch(n)), key=_natural)

    def events(self, part: str, keep: frozenset[str] = frozenset()) -> Iterator[tuple[str, Any]]:
        """(event, element) pairs of a part, streaming; elements are cleared once handled,
        except inside an element named in ``keep``, which stays whole until its own end."""
        from xml.etree.ElementTree import ParseError

        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import iterparse

        if part not in self.members:
            raise ConnectorError(f"part {part} is missing: not a whole document", self.name)
        with open_member(self.zf, self.members[part], self.name, MAX_PART) as f:
            stack: list[Any] = []
            hold = held = 0
            try:
                for event, el in iterparse(f, events=("start", "end"), forbid_dtd=True):
                    if event == "start":
                        stack.append(el)
                        hold += el.tag in keep
                        held = held + 1 if hold else 0
                        if held > MAX_HELD:
                            raise ConnectorError(f"part {part} has a paragraph of more than {MAX_HELD} elements; refused", self.name)
                        yield event, el
                        continue
                    yield event, el
                    stack.pop()
                    hold -= el.tag in keep
                    if hold:
                        continue
                    el.clear()
                    if stack:
                        del stack[-1][:]
            except DefusedXmlException as e:
                raise ConnectorError(f"part {part} declares a DTD or entities ({e.__class__.__name__}); refused as a possible XML bomb", self.name) from e
            except ParseError as e:
                raise ConnectorError(f"part {part} is not well-formed XML: {e}", self.name) from e

    def tree(self, part: str) -> Any:
        """A small part (metadata, relationships) parsed whole, or None when it is absent."""
        from xml.etree.ElementTree import ParseError

        from defusedxml import DefusedXmlException
        from defusedxml.ElementTree import parse

        if part not in self.members:
            return None
        with open_member(self.zf, self.members[part], self.name, MAX_SMALL_PART) as f:
            try:
                return parse(f, forbid_dtd=True).getroot()
            except DefusedXmlException as e:
                raise ConnectorError(f"part {part} declares a DTD or entities ({e.__class__.__name__}); refused as a possible XML bomb", self.name) from e
            except ParseError as e:
                raise ConnectorError(f"part {part} is not well-formed XML: {e}", self.name) from e

    def rels(self, part: str) -> dict[str, tuple[str, str]]:
        """Relationship id -> (type, target part) for an OOXML part."""
        folder, _, base = part.rpartition("/")
        root = self.tree(f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels")
        out: dict[str, tuple[str, str]] = {}
        if root is None:
            return out
        for rel in root:
            target = rel.get("Target", "")
            if rel.get("TargetMode") == "External" or not target:
                continue
            path = target.lstrip("/") if target.startswith("/") else _join(folder, target)
            out[rel.get("Id", "")] = (rel.get("Type", ""), path)
        return out


def _join(folder: str, target: str) -> str:
    parts: list[str] = folder.split("/") if folder else []
    for p in target.split("/"):
        if p == "..":
            if parts:
                parts.pop()
        elif p and p != ".":
            parts.append(p)
    return "/".join(parts)


def _natural(name: str) -> list[object]:
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", name)]


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


_CP = "{http://schemas.openxmlformats.org/package/2006/metadata/core-properties}"
_DC = "{http://purl.org/dc/elements/1.1/}"
_DCT = "{http://purl.org/dc/terms/}"


def _core_props(pkg: _Package) -> dict[str, Any]:
    root = pkg.tree("docProps/core.xml")
    out: dict[str, Any] = {}
    if root is None:
        return out
    for el in root:
        value = (el.text or "").strip()
        if not value:
            continue
        key = {_DC + "creator": "author", _CP + "lastModifiedBy": "lastModifiedBy", _DCT + "created": "created",
               _DCT + "modified": "modified", _DC + "title": "title"}.get(el.tag)
        if key in ("created", "modified"):
            value = iso_time(value)
        if key and value:
            out[key] = value
    app = pkg.tree("docProps/app.xml")
    if app is not None:
        for el in app:
            if _local(el.tag) in ("Pages", "Slides") and (el.text or "").strip().isdigit():
                out["pages"] = int(el.text.strip())
    return out


@dataclass(frozen=True)
class _Flow:
    """The element names of a paragraph-and-table XML dialect (WordprocessingML, DrawingML)."""

    para: str
    text: frozenset[str]
    marks: dict[str, str]  # empty elements that stand for a character: tab, line break
    row: str
    cell: str
    skip: frozenset[str]  # subtrees that are not text of the document
    flags: frozenset[str] = frozenset()  # elements whose presence is reported


def _flow_text(events: Iterator[tuple[str, Any]], g: _Flow, seen: set[str]) -> list[str]:
    """Paragraphs as lines; a table row as one line of tab-separated cells."""
    lines: list[str] = []
    containers: list[list[str]] = [lines]
    rows: list[list[str]] = []
    paras: list[list[str]] = []
    skip = 0
    for event, el in events:
        tag = el.tag
        if tag in g.skip:
            skip += 1 if event == "start" else -1
            continue
        if skip:
            continue
        if event == "start":
            if tag == g.para:
                paras.append([])
            elif tag == g.row:
                rows.append([])
            elif tag == g.cell:
                containers.append([])
            elif tag in g.flags:
                seen.add(tag)
            continue
        if tag in g.text:
            if paras and el.text:
                paras[-1].append(el.text)
        elif tag in g.marks:
            if paras:
                paras[-1].append(g.marks[tag])
        elif tag == g.para and paras:
            containers[-1].append("".join(paras.pop()))
        elif tag == g.cell and len(containers) > 1:
            cell = " ".join(t.strip() for t in containers.pop() if t.strip())
            (rows[-1] if rows else containers[-1]).append(cell)
        elif tag == g.row and rows:
            cells = rows.pop()
            while cells and not cells[-1]:
                cells.pop()
            containers[-1].append("\t".join(cells))
    return lines


_W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
_A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
_MC_FALLBACK = "{http://schemas.openxmlformats.org/markup-compatibility/2006}Fallback"
_WORD = _Flow(
    para=_W + "p", text=frozenset({_W + "t"}),
    marks={_W + "tab": "\t", _W + "br": "\n", _W + "cr": "\n", _W + "noBreakHyphen": "-"},
    row=_W + "tr", cell=_W + "tc", skip=frozenset({_MC_FALLBACK, _W + "instrText"}),
    flags=frozenset({_W + "ins", _W + "del", _W + "moveFrom", _W + "moveTo"}),
)
_DRAWING = _Flow(
    para=_A + "p", text=frozenset({_A + "t"}), marks={_A + "br": "\n"},
    row=_A + "tr", cell=_A + "tc", skip=frozenset({_MC_FALLBACK, _A + "fld"}),
)


def _docx(name: str, data: bytes) -> Extracted:
    pkg = _Package(name, data)
    if "word/document.xml" not in pkg:
        raise ConnectorError("not a Word document: word/document.xml is missing", name)
    meta = _core_props(pkg)
    seen: set[str] = set()
    texts = ["\n".join(_flow_text(pkg.events("word/document.xml"), _WORD, seen))]
    for part in pkg.names(r"word/header\d*\.xml") + pkg.names(r"word/(footnotes|endnotes)\.xml") + pkg.names(r"word/footer\d*\.xml"):
        texts.append("\n".join(_flow_text(pkg.events(part), _WORD, seen)))
    if "word/comments.xml" in pkg:
        meta["has_comments"] = any(event == "start" and el.tag == _W + "comment" for event, el in pkg.events("word/comments.xml"))
    else:
        meta["has_comments"] = False
    meta["has_tracked_changes"] = bool(seen)
    return Extracted(clean("\n\n".join(t for t in texts if t.strip())), "doc", meta)


_P = "{http://schemas.openxmlformats.org/presentationml/2006/main}"
_R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"


def _pptx(name: str, data: bytes) -> Extracted:
    pkg = _Package(name, data)
    meta = _core_props(pkg)
    rels = pkg.rels("ppt/presentation.xml")
    slides: list[str] = []
    pres = pkg.tree("ppt/presentation.xml")
    if pres is not None:
        for sld in pres.iter(_P + "sldId"):
            target = rels.get(sld.get(_R + "id", ""), ("", ""))[1]
            if target in pkg and target not in slides:
                slides.append(target)
    if not slides:
        slides = pkg.names(r"ppt/slides/slide\d+\.xml")
    out: list[str] = []
    for part in slides:
        lines = _flow_text(pkg.events(part), _DRAWING, set())
        for _, (rtype, target) in sorted(pkg.rels(part).items()):
            if rtype.endswith("/notesSlide") and target in pkg:
                notes = [ln for ln in _flow_text(pkg.events(target), _DRAWING, set()) if ln.strip()]
                lines += [""] + notes if notes else []
        out.append("\n".join(lines))
    meta["pages"] = len(slides)
    meta["has_comments"] = bool(pkg.names(r"ppt/comments/.+\.xml"))
    return Extracted(clean("\n\n".join(t for t in out if t.strip())), "presentation", meta)


_S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_DATE_FORMATS = frozenset({14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47})
_FORMAT_LITERALS = re.compile(r'"[^"]*"|\[[^\]]*\]|\\.')


def _xlsx(name: str, data: bytes) -> Extracted:
    pkg = _Package(name, data)
    meta = _core_props(pkg)
    book = pkg.tree("xl/workbook.xml")
    if book is None:
        raise ConnectorError("not an Excel workbook: xl/workbook.xml is missing", name)
    epoch = datetime(1904, 1, 1) if any(el.get("date1904") in ("1", "true") for el in book.iter(_S + "workbookPr")) else datetime(1899, 12, 30)
    rels = pkg.rels("xl/workbook.xml")
    sheets = [(el.get("name", ""), rels.get(el.get(_R + "id", ""), ("", ""))[1], el.get("state", "visible")) for el in book.iter(_S + "sheet")]
    shared = _shared_strings(pkg)
    dates = _date_styles(pkg)
    out: list[str] = []
    for sheet_name, part, _ in sheets:
        if part not in pkg:
            continue
        rows = _sheet_rows(pkg.events(part), shared, dates, epoch)
        out.append("\n".join([sheet_name] + rows))
    meta["sheets"] = [s[0] for s in sheets]
    hidden = [s[0] for s in sheets if s[2] != "visible"]
    if hidden:
        meta["hidden_sheets"] = hidden
    meta["has_comments"] = bool(pkg.names(r"xl/comments\d*\.xml|xl/threadedComments/.*\.xml"))
    return Extracted(clean("\n\n".join(out)), "spreadsheet", meta)


def _shared_strings(pkg: _Package) -> list[str]:
    shared: list[str] = []
    if "xl/sharedStrings.xml" not in pkg:
        return shared
    current: list[str] = []
    phonetic = 0
    for event, el in pkg.events("xl/sharedStrings.xml"):
        if el.tag == _S + "rPh":
            phonetic += 1 if event == "start" else -1
        elif event == "end" and el.tag == _S + "t" and not phonetic:
            current.append(el.text or "")
        elif event == "end" and el.tag == _S + "si":
            shared.append("".join(current))
            current = []
    return shared


def _date_styles(pkg: _Package) -> set[int]:
    """Indexes of the cell styles that show a number as a date or time."""
    root = pkg.tree("xl/styles.xml")
    if root is None:
        return set()
    custom = set()
    for fmt in root.iter(_S + "numFmt"):
        code = _FORMAT_LITERALS.sub("", fmt.get("formatCode", "")).lower()
        if re.search(r"[dmyhs]", code) and not re.fullmatch(r"[#0.,%e+\- ]*", code):
            custom.add(int(fmt.get("numFmtId", "0") or 0))
    out = set()
    xfs = root.find(_S + "cellXfs")
    for i, xf in enumerate(xfs if xfs is not None else []):
        fid = int(xf.get("numFmtId", "0") or 0)
        if fid in _DATE_FORMATS or fid in custom:
            out.add(i)
    return out


def _sheet_rows(events: Iterator[tuple[str, Any]], shared: list[str], dates: set[int], epoch: datetime) -> list[str]:
    rows: list[str] = []
    cells: list[str] = []
    value: str | None = None
    inline: list[str] = []
    for event, el in events:
        if event != "end":
            continue
        tag = el.tag
        if tag == _S + "v":
            value = el.text
        elif tag == _S + "t":
            inline.append(el.text or "")
        elif tag == _S + "c":
            cells.append(_cell(el.get("t", "n"), el.get("s", ""), value, inline, shared, dates, epoch))
            value, inline = None, []
        elif tag == _S + "row":
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                rows.append("\t".join(cells))
            cells = []
    return rows


def _cell(kind: str, style: str, value: str | None, inline: list[str], shared: list[str], dates: set[int], epoch: datetime) -> str:
    if kind == "inlineStr":
        return "".join(inline)
    if value is None:
        return ""
    if kind == "s":
        i = int(value) if value.strip().isdigit() else -1
        return shared[i] if 0 <= i < len(shared) else ""
    if kind == "b":
        return "WAAR" if value.strip() == "1" else "ONWAAR"
    if kind == "n" and style.isdigit() and int(style) in dates:
        try:
            serial = float(value)
            when = epoch + timedelta(seconds=round(serial * 86400))  # Excel keeps times as fractions of a day
        except (ValueError, OverflowError):
            return value
        if serial == int(serial):
            return when.date().isoformat()
        return when.isoformat(sep=" ", timespec="seconds") if serial >= 1 else when.time().isoformat(timespec="seconds")
    return value


# --- OpenDocument ---------------------------------------------------------------------------

_TEXT = "urn:oasis:names:tc:opendocument:xmlns:text:1.0"
_T = "{" + _TEXT + "}"
_TABLE = "{urn:oasis:names:tc:opendocument:xmlns:table:1.0}"
_OFFICE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}"
_META = "{urn:oasis:names:tc:opendocument:xmlns:meta:1.0}"
_ODF_SKIP = frozenset({_OFFICE + "annotation", _OFFICE + "annotation-end", _T + "tracked-changes"})
_ODF_TYPES = {"text": "doc", "spreadsheet": "spreadsheet", "presentation": "presentation"}


def _odf(name: str, data: bytes) -> Extracted:
    pkg = _Package(name, data)
    manifest = pkg.tree("META-INF/manifest.xml")
    if manifest is not None and any(_local(el.tag) == "encryption-data" for el in manifest.iter()):
        raise ConnectorError(PROTECTED, name)
    if "content.xml" not in pkg:
        raise ConnectorError("not an OpenDocument file: content.xml is missing", name)
    mimetype = pkg.zf.read("mimetype").decode("ascii", "replace") if "mimetype" in pkg else ""
    ft = _ODF_TYPES.get(mimetype.rsplit(".", 1)[-1], "other")
    meta = _odf_meta(pkg)
    seen: set[str] = set()
    lines = _odf_text(pkg.events("content.xml", keep=frozenset({_T + "p", _T + "h"})), seen)
    meta["has_comments"] = _OFFICE + "annotation" in seen
    meta["has_tracked_changes"] = _T + "tracked-changes" in seen
    return Extracted(clean("\n".join(lines)), ft, meta)


def _odf_meta(pkg: _Package) -> dict[str, Any]:
    root = pkg.tree("meta.xml")
    out: dict[str, Any] = {}
    if root is None:
        return out
    for el in root.iter():
        value = (el.text or "").strip()
        if not value:
            continue
        if el.tag == _META + "initial-creator":
            out["author"] = value
        elif el.tag == _DC + "creator":
            out["lastModifiedBy"] = value
        elif el.tag == _META + "creation-date":
            out["created"] = iso_time(value)
        elif el.tag == _DC + "date":
            out["modified"] = iso_time(value)
        elif el.tag == _DC + "title":
            out["title"] = value
        elif el.tag == _META + "document-statistic":
            count = el.get(_META + "page-count")
            if count and count.isdigit():
                out["pages"] = int(count)
    out.setdefault("author", out.get("lastModifiedBy", ""))
    if not out["author"]:
        del out["author"]
    return out


def _odf_text(events: Iterator[tuple[str, Any]], seen: set[str]) -> list[str]:
    """Paragraphs and headings; a table row as tab-separated cells. ODF text is mixed content
    (text, spans, tails), so a paragraph is rendered whole at its end, before it is cleared."""
    lines: list[str] = []
    containers: list[list[str]] = [lines]
    rows: list[list[str]] = []
    depth = 0
    skip = 0
    for event, el in events:
        tag = el.tag
        if tag in _ODF_SKIP:
            seen.add(tag)
            if not depth:
                skip += 1 if event == "start" else -1
            continue
        if skip:
            continue
        if tag in (_T + "p", _T + "h"):
            depth += 1 if event == "start" else -1
            if event == "end" and depth == 0:
                containers[-1].append(_odf_render(el))
            continue
        if depth:
            continue
        if event == "start":
            if tag == _TABLE + "table-row":
                rows.append([])
            elif tag == _TABLE + "table-cell":
                containers.append([])
        elif tag == _TABLE + "table-cell" and len(containers) > 1:
            cell = " ".join(t.strip() for t in containers.pop() if t.strip())
            (rows[-1] if rows else containers[-1]).append(cell)
        elif tag == _TABLE + "table-row" and rows:
            cells = rows.pop()
            while cells and not cells[-1]:
                cells.pop()
            if cells:
                containers[-1].append("\t".join(cells))
    return lines


def _odf_render(el: Any) -> str:
    parts: list[str] = []
    _odf_walk(el, parts)
    return "".join(parts)


def _odf_walk(el: Any, parts: list[str]) -> None:
    tag = el.tag
    if tag == _T + "s":
        count = el.get(_T + "c", "1")
        parts.append(" " * min(int(count) if count.isdigit() else 1, 1000))
    elif tag == _T + "tab":
        parts.append("\t")
    elif tag == _T + "line-break":
        parts.append("\n")
    elif tag not in _ODF_SKIP:
        if tag in (_T + "p", _T + "h") and parts and not parts[-1].endswith("\n"):
            parts.append("\n")
        if el.text:
            parts.append(el.text)
        for child in el:
            _odf_walk(child, parts)
            if child.tail:
                parts.append(child.tail)


# --- PDF and RTF ----------------------------------------------------------------------------

def _pdf(name: str, data: bytes) -> Extracted:
    from pypdf import PdfReader

    # pypdf raises many exception types on damaged files; each one means "this PDF is broken"
    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            try:
                opened = reader.decrypt("")
            except Exception as e:
                raise ConnectorError(f"{PROTECTED} ({e})", name) from e
            if not opened:
                raise ConnectorError(PROTECTED, name)
        pages = list(reader.pages)
    except ConnectorError:
        raise
    except Exception as e:
        raise ConnectorError(f"cannot read this PDF: {e.__class__.__name__}: {e}", name) from e
    texts: list[str] = []
    problems: list[str] = []
    size = 0
    for n, page in enumerate(pages, 1):
        try:
            text = page.extract_text() or ""
        except Exception as e:
            problems.append(f"page {n}: {e.__class__.__name__}: {e}")
            text = ""
        texts.append(text)
        size += len(text)
        if size > MAX_TEXT:
            break
    meta: dict[str, Any] = {"pages": len(pages)}
    meta.update(_pdf_info(reader))
    empty = sum(1 for t in texts if not t.strip())
    meta["no_text_layer"] = bool(pages) and empty == len(texts)
    if empty and not meta["no_text_layer"]:
        meta["pages_without_text"] = empty
    if problems:
        meta["problems"] = problems
    return Extracted(clean("\n\n".join(texts)), "pdf", meta)


def _pdf_info(reader: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    try:
        info = reader.metadata
    except Exception:  # a damaged Info dictionary loses the metadata, not the text
        return out
    if not info:
        return out
    for key, field_ in (("/Author", "author"), ("/Title", "title")):
        try:
            value = str(info.get(key) or "").strip()
        except Exception:  # an unreadable value is left out
            value = ""
        if value:
            out[field_] = value
    for attr, field_ in (("creation_date", "created"), ("modification_date", "modified")):
        try:
            when = getattr(info, attr)
        except Exception:  # pypdf raises on malformed PDF date strings
            continue
        if value := iso_time(when):
            out[field_] = value
    return out


_RTF_INFO = re.compile(r"\{\\(author|operator|title)\s+((?:[^{}\\]|\\'[0-9a-fA-F]{2}|\\[^'{}])*)\}")
_RTF_TIME = re.compile(r"\{\\(creatim|revtim)((?:\\[a-z]+-?\d+\s*)+)\}")
_RTF_HEX = re.compile(r"\\'([0-9a-fA-F]{2})")


def _rtf(name: str, data: bytes) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    if data.lstrip()[:5] != b"{\\rtf":
        raise ConnectorError("not an RTF document: it does not start with {\\rtf", name)
    raw = data.decode("latin-1")
    text = rtf_to_text(raw, encoding="cp1252", errors="replace")
    meta: dict[str, Any] = {}
    head = raw[:200_000]
    for key, value in _RTF_INFO.findall(head):
        value = _RTF_HEX.sub(lambda m: bytes([int(m.group(1), 16)]).decode("cp1252", "replace"), value).strip()
        if value:
            meta[{"operator": "lastModifiedBy"}.get(key, key)] = value
    for key, spec in _RTF_TIME.findall(head):
        parts = {k: int(v) for k, v in re.findall(r"\\([a-z]+)(-?\d+)", spec)}
        try:
            when = datetime(parts["yr"], parts.get("mo", 1), parts.get("dy", 1), parts.get("hr", 0), parts.get("min", 0))
        except (KeyError, ValueError):
            continue
        meta["created" if key == "creatim" else "modified"] = iso_time(when)
    return Extracted(clean(text), "doc", meta)


_READERS = {
    "text": _text, "html": _html, "docx": _docx, "xlsx": _xlsx, "pptx": _pptx, "odf": _odf,
    "pdf": _pdf, "rtf": _rtf,
}


# --- OCR ------------------------------------------------------------------------------------

OCR_LANGUAGES = "nld+eng"
OCR_MAX_PAGES = 100


def ocr_available() -> bool:
    """True when Tesseract is installed (OCR is optional: nothing requires it)."""
    return shutil.which("tesseract") is not None


def ocr_text(name: str, data: bytes, timeout: int = 120) -> str:
    """Text read by Tesseract from an image, or from a PDF's pages (rendered with ``pdftoppm``).

    Raises ConnectorError when Tesseract (or, for a PDF, pdftoppm) is missing or fails.
    """
    if not ocr_available():
        raise ConnectorError("OCR needs Tesseract, which is not installed", name)
    with tempfile.TemporaryDirectory(prefix="woo-ocr-") as tmp:
        folder = Path(tmp)
        if b"%PDF-" in data[:1024]:
            if shutil.which("pdftoppm") is None:
                raise ConnectorError("OCR of a PDF needs pdftoppm (poppler-utils), which is not installed", name)
            (folder / "in.pdf").write_bytes(data)
            _run(["pdftoppm", "-r", "200", "-l", str(OCR_MAX_PAGES), "-png", str(folder / "in.pdf"), str(folder / "page")], name, timeout)
            images = sorted(folder.glob("page*.png"), key=lambda p: _natural(p.name))
        else:
            image = folder / ("in" + (PurePath(name).suffix.lower() or ".png"))
            image.write_bytes(data)
            images = [image]
        texts = []
        for image in images:
            try:
                texts.append(_run(["tesseract", str(image), "stdout", "-l", OCR_LANGUAGES], name, timeout))
            except ConnectorError:
                texts.append(_run(["tesseract", str(image), "stdout"], name, timeout))
    return clean("\n\n".join(texts))


def _run(cmd: list[str], name: str, timeout: int) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as e:
        raise ConnectorError(f"OCR failed: {cmd[0]}: {e}", name) from e
    if done.returncode != 0:
        raise ConnectorError(f"OCR failed: {cmd[0]}: {done.stderr.decode('utf-8', 'replace').strip()[:300]}", name)
    return done.stdout.decode("utf-8", "replace")

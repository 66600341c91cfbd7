"""Text from documents: attachments and shared files.

``extract_text(name, data)`` returns the readable text of a document and what it knows of it
(author, created, modified, a ``filetype`` in the inventory's words). Formats: txt, csv, html,
docx, xlsx, pptx, pdf, odt/ods/odp, rtf; nested mail is handled by the mail parser. Unknown
binaries give no text and ``filetype`` "other"; they are kept and listed, never indexed as text.
A document that claims a format but cannot be read raises ``ConnectorError``.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass, field
from pathlib import PurePath
from typing import Any

from woo_collector.errors import ConnectorError
from woo_collector.text import decode_bytes, html_to_text, tidy

MAX_TEXT = 20_000_000  # characters kept of one document's text

_FILETYPES = {
    ".txt": "document", ".csv": "spreadsheet", ".html": "document", ".htm": "document",
    ".docx": "doc", ".doc": "doc", ".odt": "doc", ".rtf": "doc",
    ".xlsx": "spreadsheet", ".xls": "spreadsheet", ".ods": "spreadsheet",
    ".pptx": "presentation", ".ppt": "presentation", ".odp": "presentation",
    ".pdf": "pdf", ".jpg": "image", ".jpeg": "image", ".png": "image", ".gif": "image",
    ".tif": "image", ".tiff": "image", ".heic": "image", ".webp": "image", ".bmp": "image",
    ".mp3": "audio", ".m4a": "audio", ".ogg": "audio", ".opus": "audio", ".wav": "audio",
    ".mp4": "video", ".mov": "video", ".3gp": "video",
    ".eml": "email", ".msg": "email", ".vcf": "contact",
}


@dataclass
class Extracted:
    text: str = ""
    filetype: str = "other"
    meta: dict[str, Any] = field(default_factory=dict)


def filetype_of(name: str) -> str:
    return _FILETYPES.get(PurePath(name).suffix.lower(), "other")


def extract_text(name: str, data: bytes, content_type: str = "") -> Extracted:
    """The text and metadata of one document. Raises ConnectorError for a broken document."""
    suffix = PurePath(name).suffix.lower()
    ct = (content_type or "").lower()
    ft = filetype_of(name)
    try:
        if suffix in (".txt", ".csv", ".log", ".md") or ct.startswith("text/plain"):
            return Extracted(tidy(decode_bytes(data)[0])[:MAX_TEXT], ft if ft != "other" else "document")
        if suffix in (".html", ".htm") or ct.startswith("text/html"):
            return Extracted(html_to_text(decode_bytes(data)[0])[:MAX_TEXT], "document")
        if suffix in (".docx", ".xlsx", ".pptx") and data[:2] == b"PK":
            return _ooxml(suffix, data, ft)
        if suffix == ".pdf" or data[:5] == b"%PDF-":
            return _pdf(data)
        if suffix in (".odt", ".ods", ".odp") and data[:2] == b"PK":
            return _odf(data, ft)
        if suffix == ".rtf" or data[:5] == b"{\\rtf":
            return _rtf(data)
    except ConnectorError:
        raise
    except (zipfile.BadZipFile, KeyError, ValueError, OSError, EOFError, IndexError, TypeError) as e:
        raise ConnectorError(f"cannot read this {suffix or 'document'}: {e.__class__.__name__}: {e}", name) from e
    return Extracted("", ft)


def _ooxml(suffix: str, data: bytes, ft: str) -> Extracted:
    import defusedxml.ElementTree as ET  # no entity expansion; parts read with size limits

    zf = zipfile.ZipFile(io.BytesIO(data))
    meta = _core_props(zf)
    texts: list[str] = []

    def part_text(part: str, para_tag: str, text_tag: str) -> str:
        info = zf.getinfo(part)
        if info.file_size > 200_000_000:
            raise ConnectorError(f"part {part} expands to {info.file_size} bytes; refused as a zip bomb")
        root = ET.fromstring(zf.read(part))
        out = []
        for para in root.iter(para_tag):
            out.append("".join(t.text or "" for t in para.iter(text_tag)))
        return "\n".join(out)

    W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    A = "{http://schemas.openxmlformats.org/drawingml/2006/main}"
    S = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
    names = zf.namelist()
    if suffix == ".docx":
        for part in ["word/document.xml"] + sorted(n for n in names if n.startswith(("word/header", "word/footer", "word/footnotes")) and n.endswith(".xml")):
            if part in names:
                texts.append(part_text(part, W + "p", W + "t"))
    elif suffix == ".pptx":
        slides = sorted((n for n in names if n.startswith("ppt/slides/slide") and n.endswith(".xml")), key=lambda n: int("".join(c for c in n if c.isdigit()) or 0))
        for part in slides:
            texts.append(part_text(part, A + "p", A + "t"))
    else:
        shared: list[str] = []
        if "xl/sharedStrings.xml" in names:
            root = ET.fromstring(zf.read("xl/sharedStrings.xml"))
            shared = ["".join(t.text or "" for t in si.iter(S + "t")) for si in root.iter(S + "si")]
        for part in sorted(n for n in names if n.startswith("xl/worksheets/sheet") and n.endswith(".xml")):
            root = ET.fromstring(zf.read(part))
            for row in root.iter(S + "row"):
                cells = []
                for c in row.iter(S + "c"):
                    v = c.find(S + "v")
                    if c.get("t") == "s" and v is not None and v.text and v.text.isdigit() and int(v.text) < len(shared):
                        cells.append(shared[int(v.text)])
                    elif c.get("t") == "inlineStr":
                        cells.append("".join(t.text or "" for t in c.iter(S + "t")))
                    elif v is not None and v.text:
                        cells.append(v.text)
                if cells:
                    texts.append("\t".join(cells))
    return Extracted(tidy("\n".join(texts))[:MAX_TEXT], ft, meta)


def _core_props(zf: zipfile.ZipFile) -> dict[str, Any]:
    import defusedxml.ElementTree as ET

    if "docProps/core.xml" not in zf.namelist():
        return {}
    root = ET.fromstring(zf.read("docProps/core.xml"))
    out: dict[str, Any] = {}
    for el in root:
        tag = el.tag.rsplit("}", 1)[-1]
        if tag in ("creator", "lastModifiedBy", "created", "modified", "title") and el.text:
            out[{"creator": "author"}.get(tag, tag)] = el.text
    return out


def _pdf(data: bytes) -> Extracted:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        pages = [p.extract_text() or "" for p in reader.pages]
        info = reader.metadata or {}
    except PdfReadError as e:
        raise ConnectorError(f"cannot read this PDF: {e}") from e
    meta: dict[str, Any] = {"pages": len(pages)}
    if info.get("/Author"):
        meta["author"] = str(info.get("/Author"))
    text = tidy("\n\n".join(pages))
    if not text.strip() and pages:
        meta["no_text_layer"] = True
    return Extracted(text[:MAX_TEXT], "pdf", meta)


def _odf(data: bytes, ft: str) -> Extracted:
    import defusedxml.ElementTree as ET

    zf = zipfile.ZipFile(io.BytesIO(data))
    if zf.getinfo("content.xml").file_size > 200_000_000:
        raise ConnectorError("content.xml is too large; refused as a zip bomb")
    root = ET.fromstring(zf.read("content.xml"))
    T = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
    out = ["".join(el.itertext()) for el in root.iter() if el.tag in (T + "p", T + "h")]
    return Extracted(tidy("\n".join(out))[:MAX_TEXT], ft)


def _rtf(data: bytes) -> Extracted:
    from striprtf.striprtf import rtf_to_text

    text = rtf_to_text(decode_bytes(data, "cp1252")[0], errors="ignore")
    return Extracted(tidy(text)[:MAX_TEXT], "doc")

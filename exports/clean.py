"""Clean Office files: properties of the organisation, nothing hidden, nothing personal.

News-making Woo failures include names left in document properties and hidden layers. Every
docx and xlsx of the package is prepared with ``prepare_docx`` / ``prepare_workbook`` before
saving, and checked after saving with ``audit`` (which reads the zip, not our intentions):

- core properties: author and last modified by = the organisation, a neutral title
  ("Woo-besluit 2025-014"), no subject, keywords, comments, category;
- extended properties: no company, manager or template name; application "woo-collector";
- no custom XML, custom properties, comments, tracked changes, hidden text, thumbnails, embedded
  objects or macros; language Dutch; Word asked to strip personal data on a later save.
"""

from __future__ import annotations

import re
import zipfile
from datetime import datetime, timezone
from pathlib import Path
from xml.sax.saxutils import escape

from docx.oxml import parse_xml
from lxml import etree
from exports import images
from docx.oxml.ns import qn

APP_XML = (
    "<?xml version='1.0' encoding='UTF-8' standalone='yes'?>\n"
    '<Properties xmlns="http://schemas.openxmlformats.org/officeDocument/2006/extended-properties">'
    "<Application>woo-collector</Application><DocSecurity>0</DocSecurity>"
    "<Company>{org}</Company><LinksUpToDate>false</LinksUpToDate></Properties>"
)
_DROP_RELTYPES = ("customXml", "thumbnail", "custom-properties", "comments", "people", "vbaProject", "oleObject", "package")
_FORBIDDEN_PARTS = re.compile(
    r"^(customXml/|docProps/custom\.xml|docProps/thumbnail|word/comments|word/people\.xml|"
    r"xl/comments|xl/threadedComments|xl/persons|word/embeddings/|xl/embeddings/|.*vbaProject\.bin)",
    re.I,
)
_FORBIDDEN_MARKUP = {
    "w:ins": "bijgehouden wijziging (invoeging)",
    "w:del": "bijgehouden wijziging (verwijdering)",
    "w:vanish": "verborgen tekst",
    "w:webHidden": "verborgen tekst",
    "w:commentReference": "opmerking",
    "w:commentRangeStart": "opmerking",
    "w:object": "ingesloten object",
    "w:altChunk": "ingesloten document",
}


def _utc(now: datetime | None) -> datetime:
    now = now or datetime.now(timezone.utc)
    return now.astimezone(timezone.utc).replace(tzinfo=None, microsecond=0)


def _dropped(reltype: str) -> bool:
    """True for relationships to parts a published file must not carry (by the type's last segment)."""
    return reltype.rsplit("/", 1)[-1] in _DROP_RELTYPES


def prepare_docx(doc, organisation: str, title: str, now: datetime | None = None) -> None:
    """Strip a python-docx Document of template baggage and set neutral properties (in place)."""
    part = doc.part
    for rid, rel in list(part.rels.items()):
        if _dropped(rel.reltype):
            part.rels.pop(rid, None)
    pkg = part.package
    for rid, rel in list(pkg.rels.items()):
        if _dropped(rel.reltype):
            pkg.rels.pop(rid, None)
    for p in pkg.iter_parts():
        if str(p.partname) == "/docProps/app.xml":
            p._blob = APP_XML.format(org=escape(organisation)).encode("utf-8")
    cp = doc.core_properties
    cp.author = organisation
    cp.last_modified_by = organisation
    cp.title = title
    cp.subject = ""
    cp.keywords = ""
    cp.comments = ""
    cp.category = ""
    cp.content_status = ""
    cp.identifier = ""
    cp.language = "nl-NL"
    cp.version = ""
    cp.revision = 1
    cp.created = cp.modified = _utc(now)
    _dutch(doc)
    _settings(doc)


def _dutch(doc) -> None:
    """Declare Dutch as the document language (screen readers pronounce by it)."""
    styles = doc.styles.element
    rpr = styles.find(f"{qn('w:docDefaults')}/{qn('w:rPrDefault')}/{qn('w:rPr')}")
    if rpr is None:
        return
    for old in rpr.findall(qn("w:lang")):
        rpr.remove(old)
    rpr.append(parse_xml(f'<w:lang xmlns:w="{_W}" w:val="nl-NL" w:eastAsia="nl-NL" w:bidi="ar-SA"/>'))


_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_SETTINGS_BEFORE = ("w:writeProtection", "w:view", "w:zoom")


def _settings(doc) -> None:
    """Ask Word to remove personal information and dates when the handler saves it again."""
    settings = doc.settings.element
    if settings.find(qn("w:removePersonalInformation")) is not None:
        return
    anchor = None
    for tag in _SETTINGS_BEFORE:
        found = settings.find(qn(tag))
        if found is not None:
            anchor = found
    new = [parse_xml(f'<w:removePersonalInformation xmlns:w="{_W}"/>'), parse_xml(f'<w:removeDateAndTime xmlns:w="{_W}"/>')]
    if anchor is None:
        for el in reversed(new):
            settings.insert(0, el)
    else:
        for el in reversed(new):
            anchor.addnext(el)


def prepare_workbook(wb, organisation: str, title: str, now: datetime | None = None) -> None:
    """Neutral properties for an openpyxl workbook (in place)."""
    p = wb.properties
    p.creator = organisation
    p.lastModifiedBy = organisation
    p.title = title
    p.subject = None
    p.keywords = None
    p.description = None
    p.category = None
    p.contentStatus = None
    p.identifier = None
    p.language = "nl-NL"
    p.created = p.modified = _utc(now)
    p.lastPrinted = None
    custom = getattr(wb, "custom_doc_props", None)
    if custom is not None:
        custom.props.clear()


def core_properties(xml: bytes) -> dict[str, str]:
    """docProps/core.xml as {local name: text}."""
    root = etree.fromstring(xml)
    return {el.tag.rsplit("}", 1)[-1]: (el.text or "") for el in root}


def audit(path: Path, organisation: str) -> list[str]:
    """Problems a docx or xlsx still has (empty list: clean). Reads the saved zip itself."""
    problems: list[str] = []
    with zipfile.ZipFile(path) as z:
        names = z.namelist()
        for name in names:
            if _FORBIDDEN_PARTS.match(name):
                problems.append(f"{path.name}: verboden onderdeel {name}")
        props = core_properties(z.read("docProps/core.xml")) if "docProps/core.xml" in names else {}
        for key in ("creator", "lastModifiedBy"):
            if props.get(key) != organisation:
                problems.append(f"{path.name}: eigenschap {key} is niet de organisatie")
        for key in ("subject", "keywords", "description", "category"):
            if props.get(key, "").strip():
                problems.append(f"{path.name}: eigenschap {key} is niet leeg")
        for name in names:
            if name.startswith(("word/media/", "xl/media/")):
                found = images.metadata_in(z.read(name))
                if found:
                    problems.append(f"{path.name}: {name} holds image metadata ({', '.join(found)})")
            if name.startswith("word/") and name.endswith(".xml"):
                xml = z.read(name).decode("utf-8", "replace")
                for tag, what in _FORBIDDEN_MARKUP.items():
                    if re.search(rf"<{tag}[\s/>]", xml):
                        problems.append(f"{path.name}: {what} in {name}")
    return problems

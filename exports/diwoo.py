"""An optional DiWoo metadata sitemap (``diwoo-metadata.xml``) for the Woo-index.

The Woo-index (open.overheid.nl) harvests sitemaps whose ``<url>`` entries carry a
``diwoo:Document`` block (namespace https://standaarden.overheid.nl/diwoo/metadata/, DiWoo 0.9.8)
with TOOI values. We write one entry per published document: every released document
(``openbaar``, ``deels openbaar``) as its own file ``documenten/<ID>.pdf`` (``exports.ids``), and
the decision letter and the inventory. The docx bundles are the handler's working copy and get no
entry. Each entry is in the information category "Woo-verzoeken en -besluiten" (``c_3baef532``),
with the document action "vaststelling" (``c_641ecd76``) at the time of export, the language
Dutch (the EU authority list the schema uses), the file type, and as ``aggregatiekenmerk`` the
request's publication context, which ties the documents of one decision together. A document's
title is its description, redacted like the inventory's (``[5.1.2e]``); its ``creatiedatum`` its
local date. ``<loc>`` holds the path inside the package: the publishing site replaces it by its
own URL. The publisher's TOOI organisation id is not known to the tool; the ``publisher``
element carries the organisation's name and should get its ``resource`` when published.

Every ``diwoo:Document`` validates against the DiWoo 0.9.8 schema (``tests/exports/test_diwoo.py``).

    <url><loc>documenten/WOO2025014D0012.pdf</loc><lastmod>2025-04-01</lastmod>
      <diwoo:Document><diwoo:DiWoo>
        <diwoo:identifiers><diwoo:identifier>WOO2025014D0012</diwoo:identifier></diwoo:identifiers>
        <diwoo:publisher>Gemeente Zaanstad</diwoo:publisher>
        <diwoo:titelcollectie><diwoo:officieleTitel>Windturbines: gesprek met [5.1.2e]</diwoo:officieleTitel></diwoo:titelcollectie>
        ...
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Sequence

from lxml import etree

from exports.bundle import ordered
from exports.ids import context_id, document_id
from exports.render import Redactor, clean_text, local
from woo_collector.documents import Document

NS_SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NS_DIWOO = "https://standaarden.overheid.nl/diwoo/metadata/"
TOOI = "https://identifier.overheid.nl/tooi/def/thes/kern/"
CATEGORY = ("c_3baef532", "Woo-verzoeken en -besluiten")
ACTION = ("c_641ecd76", "vaststelling")
LANGUAGE = ("http://publications.europa.eu/resource/authority/language/NLD", "Nederlands")
FILE_TYPE = "http://publications.europa.eu/resource/authority/file-type/"
NAME = "diwoo-metadata.xml"
FORMATS = {".docx": "DOCX", ".xlsx": "XLSX", ".pdf": "PDF"}
RELEASED = ("openbaar", "deels openbaar")


def _title(request_id: str, rel: str) -> str:
    if rel.startswith("besluit"):
        return f"Besluit op Woo-verzoek {request_id}"
    return f"Inventarislijst Woo-verzoek {request_id}"


def _entry(urlset, loc: str, identifier: str, organisation: str, title: str, now: datetime, context: str,
           created: date | None = None) -> None:
    d = f"{{{NS_DIWOO}}}"
    url = etree.SubElement(urlset, f"{{{NS_SITEMAP}}}url")
    etree.SubElement(url, f"{{{NS_SITEMAP}}}loc").text = loc
    etree.SubElement(url, f"{{{NS_SITEMAP}}}lastmod").text = now.date().isoformat()
    meta = etree.SubElement(etree.SubElement(url, f"{d}Document"), f"{d}DiWoo")  # the schema's order, element by element
    ids = etree.SubElement(meta, f"{d}identifiers")
    etree.SubElement(ids, f"{d}identifier").text = identifier
    etree.SubElement(meta, f"{d}publisher").text = organisation
    titles = etree.SubElement(meta, f"{d}titelcollectie")
    etree.SubElement(titles, f"{d}officieleTitel").text = title
    cats = etree.SubElement(etree.SubElement(meta, f"{d}classificatiecollectie"), f"{d}informatiecategorieen")
    etree.SubElement(cats, f"{d}informatiecategorie", resource=TOOI + CATEGORY[0]).text = CATEGORY[1]
    if created is not None:
        etree.SubElement(meta, f"{d}creatiedatum").text = created.isoformat()
    etree.SubElement(meta, f"{d}language", resource=LANGUAGE[0]).text = LANGUAGE[1]
    ext = Path(loc).suffix.lower()
    etree.SubElement(meta, f"{d}format", resource=FILE_TYPE + FORMATS[ext]).text = ext[1:]
    etree.SubElement(meta, f"{d}aggregatiekenmerk").text = context
    acts = etree.SubElement(meta, f"{d}documenthandelingen")
    act = etree.SubElement(acts, f"{d}documenthandeling")
    etree.SubElement(act, f"{d}soortHandeling", resource=TOOI + ACTION[0]).text = ACTION[1]
    etree.SubElement(act, f"{d}atTime").text = now.replace(microsecond=0).isoformat()


def write(root: Path, request_id: str, organisation: str, files: Sequence[str], now: datetime,
          documents: Sequence[Document] = (), redactor: Redactor | None = None) -> Path:
    """Write ``diwoo-metadata.xml``: the letter and the inventory among ``files`` (package-relative
    paths), and every released document of ``documents`` as ``documenten/<ID>.pdf``."""
    urlset = etree.Element(f"{{{NS_SITEMAP}}}urlset", nsmap={None: NS_SITEMAP, "diwoo": NS_DIWOO})
    context = context_id(request_id)
    for rel in files:
        if "/" in rel or not rel.startswith(("besluit", "inventarislijst")) or Path(rel).suffix.lower() not in FORMATS:
            continue
        _entry(urlset, rel, f"{context}{Path(rel).stem.replace('-', '').upper()}{Path(rel).suffix[1:].upper()}", organisation,
               _title(request_id, rel), now, context)
    redactor = redactor or Redactor(documents)
    for doc in ordered(documents):
        if doc.decision not in RELEASED:
            continue
        ident = document_id(request_id, doc.nr)
        first = doc.items[0].id if doc.items else ""
        title = clean_text(redactor.marked(doc.title, first, ("title", "subject", "filename"))) or f"Document {doc.nr}"
        when = local(doc.date)
        _entry(urlset, f"documenten/{ident}.pdf", ident, organisation, title, now, context,
               date(when.year, when.month, when.day) if when else None)
    path = root / NAME
    path.write_bytes(etree.tostring(urlset, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return path

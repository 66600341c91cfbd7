"""An optional DiWoo metadata sitemap (``diwoo-metadata.xml``) for the Woo-index.

The Woo-index (open.overheid.nl) harvests sitemaps whose ``<url>`` entries carry a
``diwoo:Document`` block (namespace https://standaarden.overheid.nl/diwoo/metadata/) with TOOI
values. We write one entry per file of the package: the decision letter, the inventory and the
document bundles, all in the information category "Woo-verzoeken en -besluiten"
(``c_3baef532``), with the document action "vaststelling" (``c_641ecd76``) at the time of
export. ``<loc>`` holds the path inside the package: the publishing site replaces it by its
own URL. The publisher's TOOI organisation id is not known to the tool; the ``publisher``
element carries the organisation's name and should get its ``resource`` when published.

    <url><loc>besluit-concept.docx</loc><lastmod>2025-04-01</lastmod>
      <diwoo:Document><diwoo:DiWoo>
        <diwoo:identifiers><diwoo:identifier>2025-014-besluit</diwoo:identifier></diwoo:identifiers>
        <diwoo:publisher>Gemeente Zaanstad</diwoo:publisher>
        <diwoo:titelcollectie><diwoo:officieleTitel>Besluit op Woo-verzoek 2025-014</diwoo:officieleTitel></diwoo:titelcollectie>
        ...
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Sequence

from lxml import etree

NS_SITEMAP = "http://www.sitemaps.org/schemas/sitemap/0.9"
NS_DIWOO = "https://standaarden.overheid.nl/diwoo/metadata/"
TOOI = "https://identifier.overheid.nl/tooi/def/thes/kern/"
CATEGORY = ("c_3baef532", "Woo-verzoeken en -besluiten")
ACTION = ("c_641ecd76", "vaststelling")
NAME = "diwoo-metadata.xml"
FORMATS = {".docx": "DOCX", ".xlsx": "XLSX", ".pdf": "PDF"}


def _title(request_id: str, rel: str) -> str:
    if rel.startswith("besluit"):
        return f"Besluit op Woo-verzoek {request_id}"
    if rel.startswith("inventarislijst"):
        return f"Inventarislijst Woo-verzoek {request_id}"
    return f"Documenten Woo-verzoek {request_id}, {Path(rel).stem.replace('documenten-deel-', 'deel ')}"


def write(root: Path, request_id: str, organisation: str, files: Sequence[str], now: datetime) -> Path:
    """Write ``diwoo-metadata.xml`` for the given package-relative file paths."""
    d = f"{{{NS_DIWOO}}}"
    urlset = etree.Element(f"{{{NS_SITEMAP}}}urlset", nsmap={None: NS_SITEMAP, "diwoo": NS_DIWOO})
    for rel in files:
        ext = Path(rel).suffix.lower()
        if ext not in FORMATS:
            continue
        url = etree.SubElement(urlset, f"{{{NS_SITEMAP}}}url")
        etree.SubElement(url, f"{{{NS_SITEMAP}}}loc").text = rel
        etree.SubElement(url, f"{{{NS_SITEMAP}}}lastmod").text = now.date().isoformat()
        meta = etree.SubElement(etree.SubElement(url, f"{d}Document"), f"{d}DiWoo")
        ids = etree.SubElement(meta, f"{d}identifiers")
        etree.SubElement(ids, f"{d}identifier").text = f"{request_id}/{rel}"
        etree.SubElement(meta, f"{d}publisher").text = organisation
        file_type = f"http://publications.europa.eu/resource/authority/file-type/{FORMATS[ext]}"
        etree.SubElement(meta, f"{d}format", resource=file_type).text = ext[1:]
        etree.SubElement(meta, f"{d}language", resource=f"{TOOI}c_nld").text = "Nederlands"
        titles = etree.SubElement(meta, f"{d}titelcollectie")
        etree.SubElement(titles, f"{d}officieleTitel").text = _title(request_id, rel)
        cats = etree.SubElement(etree.SubElement(meta, f"{d}classificatiecollectie"), f"{d}informatiecategorieen")
        etree.SubElement(cats, f"{d}informatiecategorie", resource=TOOI + CATEGORY[0]).text = CATEGORY[1]
        acts = etree.SubElement(meta, f"{d}documenthandelingen")
        act = etree.SubElement(acts, f"{d}documenthandeling")
        etree.SubElement(act, f"{d}soortHandeling", resource=TOOI + ACTION[0]).text = ACTION[1]
        etree.SubElement(act, f"{d}atTime").text = now.replace(microsecond=0).isoformat()
    path = root / NAME
    path.write_bytes(etree.tostring(urlset, xml_declaration=True, encoding="UTF-8", pretty_print=True))
    return path

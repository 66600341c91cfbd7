"""The DiWoo metadata validates against the DiWoo 0.9.8 schema, offline, one entry per published
document (every released document as documenten/<ID>.pdf, the letter and the inventory).

The schema (../shared/standards/diwoo-0.9.8/, used in place) imports the Nationaal Archief's MDTO
schema from a remote URL. MDTO is only the other branch of ``Document`` (``DiWoo`` or
``mdto:MDTO``); as the README there says, offline validation of the ``DiWoo`` branch needs that
import answered locally: an lxml resolver gives it a minimal schema declaring ``mdto:MDTO``, and
the parser may not touch the network.
"""

from __future__ import annotations

import copy
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from lxml import etree

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, documents, request_info  # noqa: E402

from exports import write_package  # noqa: E402
from exports.ids import document_id  # noqa: E402
from tests.conftest import STANDARDS  # noqa: E402

XSD = STANDARDS / "diwoo-0.9.8" / "diwoo-metadata.xsd"
NS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "d": "https://standaarden.overheid.nl/diwoo/metadata/"}
MDTO_STUB = (b'<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="https://www.nationaalarchief.nl/mdto" '
             b'elementFormDefault="qualified"><xs:element name="MDTO"/></xs:schema>')
NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)

pytestmark = pytest.mark.skipif(not XSD.is_file(), reason=f"the DiWoo schema is not at {XSD}: set WOO_STANDARDS (default ../shared/standards)")


class OfflineMDTO(etree.Resolver):
    def resolve(self, url, pubid, context):
        if "nationaalarchief.nl/mdto" in (url or ""):
            return self.resolve_string(MDTO_STUB, context)
        return None


@pytest.fixture(scope="module")
def schema():
    parser = etree.XMLParser(no_network=True)
    parser.resolvers.add(OfflineMDTO())
    return etree.XMLSchema(etree.parse(str(XSD), parser))


@pytest.fixture(scope="module")
def sitemap(tmp_path_factory):
    out = tmp_path_factory.mktemp("diwoo") / "pkg"
    write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW, diwoo=True)
    return etree.parse(str(out / "diwoo-metadata.xml"))


def test_every_entry_validates_against_diwoo_0_9_8(schema, sitemap):
    docs = sitemap.xpath("//d:Document", namespaces=NS)
    assert len(docs) == 7
    for doc in docs:
        assert schema.validate(etree.ElementTree(copy.deepcopy(doc))), schema.error_log.last_error


def test_the_schema_is_really_checked(schema, sitemap):
    doc = copy.deepcopy(sitemap.xpath("//d:Document", namespaces=NS)[0])
    publisher = doc.find(".//d:publisher", NS)
    publisher.getparent().remove(publisher)
    assert not schema.validate(etree.ElementTree(doc))


def test_one_entry_per_released_document_under_its_id(sitemap):
    locs = sitemap.xpath("//s:url/s:loc/text()", namespaces=NS)
    released = [d for d in documents() if d.decision in ("openbaar", "deels openbaar")]
    assert [loc for loc in locs if loc.startswith("documenten/")] == \
        [f"documenten/{document_id('2025-014', d.nr)}.pdf" for d in released]
    assert {"besluit-concept.docx", "inventarislijst.xlsx"} <= set(locs)
    assert not any("documenten-deel" in loc for loc in locs)  # the bundles are the working copy
    entry = sitemap.xpath("//s:url[s:loc='documenten/2025014D0001.pdf']", namespaces=NS)[0]
    assert entry.findtext(".//d:identifier", namespaces=NS) == "2025014D0001"
    assert entry.findtext(".//d:officieleTitel", namespaces=NS) == "Windturbines Kraaiennest: gesprek met [5.1.2e]"
    assert entry.findtext(".//d:creatiedatum", namespaces=NS) == "2025-03-12"
    assert entry.findtext(".//d:aggregatiekenmerk", namespaces=NS) == "2025014"
    assert entry.find(".//d:language", NS).get("resource") == "http://publications.europa.eu/resource/authority/language/NLD"

"""One PDF per released document, redaction burned in, clean metadata, checked by the leak guard."""

from __future__ import annotations

import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader, PdfWriter

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, REDACTED, documents, request_info  # noqa: E402

from exports import write_package  # noqa: E402
from exports.ids import document_id  # noqa: E402
from exports.leakguard import scan_package  # noqa: E402
from exports.pdf import Job, write_one  # noqa: E402
from exports.render import Redactor  # noqa: E402

NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("pdfs") / "pkg"
    result = write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW)
    return out, result


def pdf_text(path: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", "-enc", "UTF-8", str(path), "-"],
                          capture_output=True, check=True).stdout.decode("utf-8")


def test_one_pdf_per_released_document_named_by_its_id(package):
    out, result = package
    req = request_info().id
    expected = {f"{document_id(req, d.nr)}.pdf" for d in documents() if d.decision in ("openbaar", "deels openbaar")}
    assert {"2025014D0001.pdf", "2025014D0001B01.pdf"} <= expected  # the attachment is its own file
    assert {p.name for p in (out / "documenten").glob("*.pdf")} == expected
    assert {f"documenten/{n}" for n in expected} <= set(result.files)  # in the manifest
    assert (out / "documenten" / "documenten-deel-01.docx").is_file()  # the working copy stays


def test_text_layer_with_boxes_and_no_redacted_text(package):
    out, _ = package
    mail = pdf_text(out / "documenten" / "2025014D0001.pdf")
    assert "Document 1" in mail and "burgemeester Jan Hamming" in mail and "Kraaiennest" in mail
    assert "Karin Smit" in mail
    assert "5.1.2e" in mail and "5.1.1e" in mail  # the boxes carry their codes as text
    assert "2025014D0001" in mail.splitlines()[0]  # the header names the document on every page
    attachment = pdf_text(out / "documenten" / "2025014D0001B01.pdf")
    assert "Document 1.1" in attachment and "Geluid is het grootste zorgpunt." in attachment
    for path in sorted((out / "documenten").glob("*.pdf")):
        text = pdf_text(path) + "\n".join(p.extract_text() for p in PdfReader(path).pages)
        for needle in REDACTED:
            assert needle.casefold() not in text.casefold(), f"{needle} in {path.name}"


def test_metadata_names_the_organisation_only(package):
    out, _ = package
    for path in sorted((out / "documenten").glob("*.pdf")):
        reader = PdfReader(path)
        info = dict(reader.metadata)
        assert info["/Author"] == ORG and info["/Creator"] == ORG and info["/Producer"] == ORG
        assert info["/Title"] == path.stem
        assert not info.get("/Subject") and not info.get("/Keywords")
        xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode("utf-8")
        assert ORG in xmp and "reportlab" not in xmp.casefold()
        meta = " ".join(map(str, info.values())) + xmp
        for name in REDACTED + ("Pieter", "Karin Smit", "test"):  # the custodian, staff, the source
            assert name.casefold() not in meta.casefold(), f"{name} in the metadata of {path.name}"


def test_leak_guard_reads_the_pdfs_text_and_xmp(package, tmp_path):
    out, _ = package
    needles = Redactor(documents()).needles
    assert scan_package(out / "documenten", needles) == []
    folder = tmp_path / "documenten"
    folder.mkdir()
    # a PDF whose text layer holds a redacted name
    write_one(Job(str(folder / "A1.pdf"), "A1", "1", "Woo-verzoek X", ORG, (
        '<w:p><w:r><w:t>Gesprek met Anna de Boer</w:t></w:r></w:p>',)))
    # a clean PDF whose XMP metadata holds one
    writer = PdfWriter(clone_from=out / "documenten" / "2025014D0003.pdf")
    writer._root_object.pop("/Metadata", None)
    from pypdf.generic import DecodedStreamObject, NameObject

    stream = DecodedStreamObject()
    stream.set_data(b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator xmlns:dc="http://purl.org/dc/elements/1.1/">'
                    b'Pieter van der Meulen</dc:creator></x:xmpmeta>')
    stream[NameObject("/Type")] = NameObject("/Metadata")
    stream[NameObject("/Subtype")] = NameObject("/XML")
    writer._root_object[NameObject("/Metadata")] = writer._add_object(stream)
    with open(folder / "B2.pdf", "wb") as f:
        writer.write(f)
    hits = scan_package(tmp_path, needles)
    places = {(h.file, h.place.split(",")[0]) for h in hits}
    assert ("documenten/A1.pdf", "pagina 1") in places
    assert any(f == "documenten/B2.pdf" and "XMP" in p for f, p in places), places

"""woo request finalise: the edited decision letter becomes besluit.pdf, leak-checked and in the manifest."""

from __future__ import annotations

import hashlib
import json
import subprocess

import docx
import pytest
from pypdf import PdfReader

from exports.pdf import soffice
from tests.conftest import mail, woo

pytestmark = pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")

NAME = "Sanne de Vries"


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("finalise")
    ws = tmp / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    (tmp / "1.eml").write_bytes(mail("Windturbines Kraaiennest", f"Beste,\n\nDe turbines worden 135 meter hoog.\n\n{NAME}",
                                     "Tue, 11 Mar 2025 09:14:00 +0100", "<a@x>"))
    for args in (("import", str(tmp / "1.eml"), "--type", "eml", "--custodian", "Sanne"),
                 ("policy", "redact", NAME),
                 ("request", "create", "WOO-2025-7", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31"),
                 ("request", "collect", "WOO-2025-7"),
                 ("request", "export", "WOO-2025-7", "--out", str(tmp / "pakket"))):
        r = woo(ws, *args)
        assert r.exit_code == 0, r.output
    return ws, tmp / "pakket"


def edited(package, tmp_path, extra: str):
    d = docx.Document(str(package / "besluit-concept.docx"))
    d.add_paragraph(extra)
    d.core_properties.author = "Pieter van der Meulen"  # Word puts the handler's name here
    path = tmp_path / "besluit-definitief.docx"
    d.save(str(path))
    return path


def test_a_planted_name_is_refused_with_its_place(exported, tmp_path):
    ws, package = exported
    before = (package / "manifest.json").read_bytes()
    letter = edited(package, tmp_path, f"Wij hebben hierover gesproken met {NAME}.")
    r = woo(ws, "request", "finalise", "WOO-2025-7", "--letter", str(letter))
    assert r.exit_code == 4, r.output
    assert "besluit.docx: word/document.xml, alinea" in r.output and "lakking" in r.output
    assert NAME not in r.output  # the place is named, never the text
    assert not (package / "besluit.pdf").exists()
    assert (package / "manifest.json").read_bytes() == before


def test_the_letter_becomes_besluit_pdf_recorded_in_the_manifest(exported, tmp_path):
    ws, package = exported
    letter = edited(package, tmp_path, "Dit besluit is definitief vastgesteld.")
    r = woo(ws, "request", "finalise", "WOO-2025-7", "--letter", str(letter))
    assert r.exit_code == 0, r.output
    pdf = package / "besluit.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, check=True).stdout.decode()
    assert "Dit besluit is definitief vastgesteld." in text and "WOO-2025-7" in text
    assert NAME not in text
    reader = PdfReader(pdf)
    assert dict(reader.metadata) == {"/Author": "Gemeente Test", "/Creator": "Gemeente Test",
                                     "/Producer": "Gemeente Test", "/Title": "Besluit op Woo-verzoek WOO-2025-7"}
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data().decode()
    assert "Gemeente Test" in xmp and "Pieter" not in xmp and "LibreOffice" not in xmp
    man = json.loads((package / "manifest.json").read_text())
    sha = hashlib.sha256(pdf.read_bytes()).hexdigest()
    assert man["files"]["besluit.pdf"] == sha and man["letter"]["sha256"] == sha
    assert woo(ws, "doctor").exit_code == 0  # the package still matches its manifest
    r = woo(ws, "audit", "WOO-2025-7", "--format", "json")
    assert r.exit_code == 0, r.output
    rows = [row for row in json.loads(r.output) if row["action"] == "request finalise"]
    assert [row["outcome"].split(" sha256")[0] for row in rows] == ["refused: leak found in the letter", "besluit.pdf"]

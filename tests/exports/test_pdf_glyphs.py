"""Text the PDF font cannot show is not dropped without a word: the export names the document."""

import json

from tests.conftest import mail, woo

DATE = "Tue, 11 Mar 2025 09:14:00 +0100"


def export_json(ws, tmp_path, body: str) -> dict:
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(mail("Windturbines", body, DATE, "<g@voorbeeld.nl>"))
    assert woo(ws, "import", str(folder), "--type", "eml", "--custodian", "Sanne").exit_code == 0
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01",
               "--to", "2025-03-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    r = woo(ws, "request", "export", "R1", "--out", str(tmp_path / "pakket"), "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_characters_without_a_glyph_in_the_pdf_font_are_reported_per_document(tmp_path):
    result = export_json(tmp_path / "ws", tmp_path, "De windturbines: het verslag van 風力発電 volgt morgen.")
    said = [w for w in result["warnings"] if "lettertype van de PDF" in w]
    assert len(said) == 1 and said[0].startswith("document 1:") and "風力発電" in said[0]
    assert "R1D0001.pdf" in said[0]  # the PDF it concerns, by its name in the package


def test_dutch_and_accented_text_gives_no_such_warning(tmp_path):
    result = export_json(tmp_path / "ws", tmp_path, "De windturbines bij het café in Zuidbroek: één verslag, zo’n 12 €.")
    assert not [w for w in result["warnings"] if "lettertype van de PDF" in w]

"""Items without a date: a period cannot place them, so a request reports them and the handler decides."""

import json
import zipfile
from pathlib import Path

import pytest

from tests.conftest import mail, woo


@pytest.fixture
def ws(tmp_path, engine):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test", "--engine", engine).exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "dated.eml").write_bytes(mail("Windturbines Kraaiennest", "De ashoogte wordt 135 meter.", msgid="<d@voorbeeld.nl>",
                                            date="Tue, 11 Mar 2025 09:14:00 +0100"))
    (folder / "undated.eml").write_bytes(mail("Windturbines Kraaiennest geluid", "De geluidsnorm is 47 dB Lden.", msgid="<u@voorbeeld.nl>"))
    (folder / "other.eml").write_bytes(mail("Parkeren centrum", "Iets anders.", msgid="<o@voorbeeld.nl>"))
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne", "--source", "mail-sanne")
    assert r.exit_code == 0, r.output
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    return ws


def show(ws: Path) -> dict:
    r = woo(ws, "request", "show", "R1", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def letter_text(ws: Path, out: Path) -> str:
    r = woo(ws, "request", "export", "R1", "--out", str(out))
    assert r.exit_code == 0, r.output
    with zipfile.ZipFile(out / "besluit-concept.docx") as z:
        import re
        return re.sub(r"<[^>]+>", "", z.read("word/document.xml").decode())


def test_a_mail_without_date_is_included_marked_and_counted(ws, tmp_path):
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    assert "1 item(s) match the query but have no date" in r.stderr
    docs = show(ws)["documents"]
    assert [(d["title"], d["date"] is None, d["note"]) for d in docs] == [
        ("Windturbines Kraaiennest", False, ""), ("Windturbines Kraaiennest geluid", True, "datum onbekend")]
    sel = show(ws)["selection"]
    assert sel["counts"]["undated"] == 1 and sel["undated"] == "include"
    r = woo(ws, "request", "collect", "R1", "--format", "json")
    assert json.loads(r.stdout)["undated"] == {"items": 1, "handling": "include"}
    assert "1 document zonder datum is meegenomen" in letter_text(ws, tmp_path / "pakket")
    import openpyxl
    sheet = openpyxl.load_workbook(tmp_path / "pakket" / "inventarislijst.xlsx").worksheets[0]
    assert any("datum onbekend" in str(c.value or "") for row in sheet.iter_rows() for c in row)


def test_undated_exclude_leaves_it_out_and_the_letter_says_so(ws, tmp_path):
    r = woo(ws, "request", "collect", "R1", "--undated", "exclude")
    assert r.exit_code == 0, r.output
    assert "1 item(s) match the query but have no date" in r.stderr and "left out" in r.stderr
    assert [d["title"] for d in show(ws)["documents"]] == ["Windturbines Kraaiennest"]
    # the choice holds for the next collect
    r = woo(ws, "request", "collect", "R1")
    assert [d["title"] for d in show(ws)["documents"]] == ["Windturbines Kraaiennest"]
    assert show(ws)["selection"]["undated"] == "exclude"
    assert "1 document zonder datum is niet meegenomen" in letter_text(ws, tmp_path / "pakket")


def test_undated_is_a_per_request_default(ws, tmp_path):
    """`request create --undated exclude` is stored on the request: every collect uses it unless given
    another choice, which then becomes the request's; `request edit --undated` changes it (audited)."""
    r = woo(ws, "request", "create", "R2", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31",
            "--undated", "exclude")
    assert r.exit_code == 0, r.output

    def r2() -> dict:
        return json.loads(woo(ws, "request", "show", "R2", "--format", "json").stdout)

    assert r2()["undated"] == "exclude"
    r = woo(ws, "request", "collect", "R2")
    assert r.exit_code == 0, r.output
    assert "left out" in r.stderr
    assert [d["title"] for d in r2()["documents"]] == ["Windturbines Kraaiennest"]
    assert r2()["selection"]["undated"] == "exclude"
    r = woo(ws, "request", "collect", "R2", "--undated", "include")  # given: it wins, and becomes the request's
    assert len(r2()["documents"]) == 2 and r2()["undated"] == "include"
    woo(ws, "request", "collect", "R2")
    assert len(r2()["documents"]) == 2
    r = woo(ws, "request", "edit", "R2", "--undated", "exclude")
    assert r.exit_code == 0 and "undated: include -> exclude" in r.output
    woo(ws, "request", "collect", "R2")
    assert [d["title"] for d in r2()["documents"]] == ["Windturbines Kraaiennest"]
    audit = json.loads(woo(ws, "audit", "R2", "--format", "json").stdout)
    assert any(a["action"] == "request edit" and "undated" in a["args"] for a in audit)
    assert any(a["action"] == "request create" and '"exclude"' in a["args"] for a in audit)
    assert woo(ws, "request", "create", "R3", "--subject", "x y", "--from", "2025-03-01", "--to", "2025-03-31",
               "--undated", "misschien").exit_code == 2

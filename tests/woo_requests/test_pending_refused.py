"""Through the CLI: a package with a medium waiting for a handler's decision is a draft, not an upload.

The national platform's inventory reader takes no 'nog te beoordelen' row, so `request export`
writes the draft (and says how many wait), but `request export --zip` (the upload zips),
`request finalise` and `request publish --gpp` refuse, in one line saying how many wait and how to
decide them, with exit 1 (a refused action); once the handler decided and exported again they run.
"""

from __future__ import annotations

import docx
import pytest

from exports.pdf import soffice
from tests.conftest import woo
from tests.woo_requests.test_chat_media import decide, docs_of, whatsapp_zip

REQ = "R1"


@pytest.fixture
def drafted(ws, tmp_path):
    """A request with one photo waiting (nog te beoordelen), exported as a draft package."""
    assert woo(ws, "import", str(whatsapp_zip(tmp_path / "WhatsApp Chat - Windpark.zip")), "--type", "whatsapp",
               "--custodian", "Anne").exit_code == 0
    assert woo(ws, "request", "create", REQ, "--subject", "windturbines", "--from", "2025-03-11", "--to", "2025-03-11").exit_code == 0
    assert woo(ws, "request", "collect", REQ).exit_code == 0
    (photo,) = [d["nr"] for d in docs_of(ws, REQ).values() if d["needs_decision"]]
    out = tmp_path / "pakket"
    r = woo(ws, "request", "export", REQ, "--out", str(out))
    assert r.exit_code == 0, r.output  # the draft package is written
    assert "1 medium/media waiting for a handler's decision" in r.output
    letter = tmp_path / "besluit.docx"
    d = docx.Document(str(out / "besluit-concept.docx"))
    d.add_paragraph("Vastgesteld.")
    d.save(str(letter))
    return ws, out, photo, letter


def refused(r, photo: str) -> str:
    assert r.exit_code == 1, r.output
    (line,) = [x for x in r.output.splitlines() if x.strip()]  # one line
    assert "1 document" in line and photo in line and "nog te beoordelen" in line
    assert f"woo review {REQ}" in line and f"woo request review {REQ} --export" in line  # how to decide it
    return line


def test_export_zip_refuses_while_a_medium_waits(drafted, tmp_path):
    ws, _, photo, _ = drafted
    out = tmp_path / "upload"
    line = refused(woo(ws, "request", "export", REQ, "--out", str(out), "--zip"), photo)
    assert "--zip" in line
    assert not out.exists() and not (tmp_path / "upload.zip").exists()


def test_finalise_refuses_while_a_medium_waits(drafted):
    ws, out, photo, letter = drafted
    refused(woo(ws, "request", "finalise", REQ, "--letter", str(letter)), photo)
    assert not (out / "besluit.pdf").exists()


def test_publish_refuses_while_a_medium_waits(drafted, monkeypatch):
    ws, _, photo, _ = drafted
    monkeypatch.setenv("WOO_GPP_TOKEN", "token")
    refused(woo(ws, "request", "publish", REQ, "--gpp", "http://127.0.0.1:9"), photo)  # refused before any call


def test_a_package_exported_before_the_decision_is_refused_until_exported_again(drafted, tmp_path, monkeypatch):
    ws, out, photo, letter = drafted
    decide(ws, REQ, tmp_path, {photo: "openbaar"})
    for args in (("finalise", REQ, "--letter", str(letter)), ("publish", REQ, "--gpp", "http://127.0.0.1:9")):
        monkeypatch.setenv("WOO_GPP_TOKEN", "token")
        r = woo(ws, "request", *args)
        assert r.exit_code == 1, r.output
        (line,) = [x for x in r.output.splitlines() if x.strip()]
        assert "nog te beoordelen" in line and photo in line and f"woo request export {REQ} --out {out} --replace" in line
    assert not (out / "besluit.pdf").exists()
    r = woo(ws, "request", "export", REQ, "--out", str(out), "--replace", "--zip")
    assert r.exit_code == 0, r.output
    assert list((out / "upload").glob("*.zip"))
    if soffice() is None:
        pytest.skip("LibreOffice (soffice) is not installed: finalise after the decision not tried")
    d = docx.Document(str(out / "besluit-concept.docx"))
    d.add_paragraph("Vastgesteld.")
    d.save(str(letter))
    r = woo(ws, "request", "finalise", REQ, "--letter", str(letter))
    assert r.exit_code == 0, r.output
    assert (out / "besluit.pdf").is_file()

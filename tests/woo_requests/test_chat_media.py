"""Through the CLI: chat media are documents of a request (issue 12, "chat media are not documents").

A WhatsApp zip with a photo and a PDF: the PDF's text is searchable, both media are family members
of their chat day in the inventory (5 -> 5.1, 5.2 in message order), the photo gets no automatic
decision ('nog te beoordelen'), is withheld from the bundle until a handler decides it in the review
workbook, and `request export` says how many are waiting. The real sample exports with media
(../shared/samples/DSA-WhatsApp-merger) go the same way.
"""

import json
import zipfile
from pathlib import Path

import docx
import openpyxl
import pytest

from tests.conftest import decide, sample, woo
from tests.connectors.test_documents import build_pdf

PDF = build_pdf(["Verslag over de geluidsnormen bij het Kraaiennest"])
JPG = b"\xff\xd8\xff\xe0" + b"JFIF" + bytes(300)
PDF_NAME = "00000002-verslag.pdf"
PHOTO = "00000003-PHOTO-2025-03-11-09-03-00.jpg"


def whatsapp_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("_chat.txt", (
            "[10-03-2025 16:00:00] Anne: Morgen het overleg over de windturbines\r\n"
            "[11-03-2025 09:00:00] Anne: Hier het verslag over de windturbines\r\n"
            f"\u200e[11-03-2025 09:02:00] Anne: \u200e<bijgevoegd: {PDF_NAME}>\r\n"
            f"\u200e[11-03-2025 09:03:00] Bert: \u200e<bijgevoegd: {PHOTO}>\r\n"
            "[11-03-2025 09:04:00] Bert: Dit is de plek\r\n"))
        z.writestr(PDF_NAME, PDF)
        z.writestr(PHOTO, JPG)
    return path


def show(ws: Path, req: str) -> dict:
    r = woo(ws, "request", "show", req, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def export(ws: Path, req: str, out: Path) -> dict:
    again = ("--replace",) if out.exists() else ()  # an earlier package is moved aside, never overwritten
    r = woo(ws, "request", "export", req, "--out", str(out), "--format", "json", *again)
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def inventory(out: Path) -> dict[str, dict]:
    sheet = openpyxl.load_workbook(out / "inventarislijst.xlsx").worksheets[0]
    rows = [[c.value for c in row] for row in sheet.iter_rows()]
    header = rows[0]
    return {str(r[header.index("Documentnummer")]): dict(zip(header, r)) for r in rows[1:]}


def bundle_text(out: Path) -> str:
    return "\n".join(p.text for f in sorted((out / "documenten").glob("*.docx")) for p in docx.Document(str(f)).paragraphs)


def test_whatsapp_zip_photo_and_pdf_through_the_cli(ws, tmp_path):
    archive = whatsapp_zip(tmp_path / "WhatsApp Chat - Windpark.zip")
    r = woo(ws, "import", str(archive), "--type", "whatsapp", "--custodian", "Anne")
    assert r.exit_code == 0, r.output

    hits = json.loads(woo(ws, "search", "geluidsnormen", "--format", "json").stdout)
    assert [(h["kind"], h["title"]) for h in hits] == [("attachment", PDF_NAME)]  # the PDF's own text

    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-11", "--to", "2025-03-11").exit_code == 0
    r = woo(ws, "request", "collect", "R1", "--format", "json")
    assert r.exit_code == 0, r.output
    collected = json.loads(r.stdout)
    assert collected["awaiting_decision"] == 1
    docs = {d["nr"]: d for d in show(ws, "R1")["documents"]}
    (chat,) = [d for d in docs.values() if d["kind"] == "chat"]
    nr = chat["nr"]
    assert len(chat["items"]) == 4  # the chat day: two texts and the two media messages
    assert {k for k in docs if k.startswith(nr + ".")} == {f"{nr}.1", f"{nr}.2"}
    pdf, photo = docs[f"{nr}.1"], docs[f"{nr}.2"]  # in message order
    assert (pdf["title"], pdf["kind"], pdf["filetype"], pdf["needs_decision"]) == (PDF_NAME, "attachment", "pdf", False)
    assert pdf["decision"] in ("openbaar", "deels openbaar")  # a text medium: the normal rules
    assert (photo["title"], photo["filetype"], photo["needs_decision"], photo["decision"]) == (PHOTO, "image", True, "nog te beoordelen")
    assert collected["awaiting_decision_documents"] == [f"{nr}.2"]

    out = tmp_path / "pakket"
    result = export(ws, "R1", out)
    assert result["awaiting_decision"] == 1 and result["awaiting_decision_documents"] == [f"{nr}.2"]
    rows = inventory(out)
    assert str(rows[f"{nr}.1"]["Familie"]) == nr and str(rows[f"{nr}.2"]["Familie"]) == nr
    assert rows[f"{nr}.2"]["Beoordeling"] in (None, "", "nog te beoordelen")
    assert rows[f"{nr}.1"]["Beoordeling"] in ("openbaar", "deels openbaar")
    text = bundle_text(out)
    assert f"Document {nr}.1" in text and "geluidsnormen bij het Kraaiennest" in text
    assert f"Document {nr}.2" not in text and f"{nr}.2 (nog te beoordelen)" in text
    letter = "\n".join(p.text for p in docx.Document(str(out / "besluit-concept.docx")).paragraphs)
    assert "nog niet beoordeeld): 1]" in letter  # the draft letter's counts add up, the waiting photo included
    manifest = json.loads((out / "manifest.json").read_text())
    assert any(d["nr"] == f"{nr}.2" for d in manifest["documents"])  # listed, its original's SHA-256 with it

    r = woo(ws, "request", "export", "R1", "--out", str(out), "--replace")
    assert r.exit_code == 0, r.output
    assert "1 medium/media waiting for a handler's decision" in r.output and f"{nr}.2" in r.output

    decide(ws, "R1", tmp_path, {f"{nr}.2": "openbaar"})
    assert docs_of(ws, "R1")[f"{nr}.2"]["needs_decision"] is False
    result = export(ws, "R1", out)
    assert result["awaiting_decision"] == 0
    assert inventory(out)[f"{nr}.2"]["Beoordeling"] == "openbaar"
    assert f"Document {nr}.2" in bundle_text(out)
    r = woo(ws, "request", "collect", "R1", "--format", "json")  # the decision holds at a new collect
    assert json.loads(r.stdout)["awaiting_decision"] == 0 and docs_of(ws, "R1")[f"{nr}.2"]["decision"] == "openbaar"


def docs_of(ws: Path, req: str) -> dict[str, dict]:
    return {d["nr"]: d for d in show(ws, req)["documents"]}


def test_pending_stays_pending_when_the_handler_leaves_it(ws, tmp_path):
    archive = whatsapp_zip(tmp_path / "WhatsApp Chat - Windpark.zip")
    assert woo(ws, "import", str(archive), "--type", "whatsapp", "--custodian", "Anne").exit_code == 0
    woo(ws, "request", "create", "R2", "--subject", "windturbines", "--from", "2025-03-11", "--to", "2025-03-11")
    woo(ws, "request", "collect", "R2")
    (photo,) = [d for d in docs_of(ws, "R2").values() if d["needs_decision"]]
    decide(ws, "R2", tmp_path, {photo["nr"]: ""})  # left empty: still waiting, not an error
    assert docs_of(ws, "R2")[photo["nr"]]["decision"] == "nog te beoordelen"
    (other,) = [d for d in docs_of(ws, "R2").values() if d["kind"] == "chat"]
    book = tmp_path / "b.xlsx"
    woo(ws, "request", "review", "R2", "--export", str(book))
    wb = openpyxl.load_workbook(book)
    sheet = wb["Documenten"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        if str(sheet.cell(row, 1).value) == other["nr"]:
            sheet.cell(row, header.index("Beoordeling") + 1).value = "nog te beoordelen"
    wb.save(book)
    r = woo(ws, "request", "review", "R2", "--import", str(book))
    assert r.exit_code == 1 and "only for a medium still waiting" in r.output


def test_real_sample_exports_with_media(ws, tmp_path):
    chats = sample("DSA-WhatsApp-merger/Demo Data/Chats")
    folder = chats / "Alice Wonderland" / "Export 1"
    if not folder.is_dir():
        pytest.skip(f"real sample {folder} not present")
    r = woo(ws, "import", str(folder / "WhatsApp Chat with Test export.txt"), "--type", "whatsapp", "--custodian", "Alice")
    assert r.exit_code == 0, r.output
    hits = json.loads(woo(ws, "search", "Publicatieblad", "--format", "json").stdout)
    assert ("attachment", "Manifesto.pdf") in [(h["kind"], h["title"]) for h in hits]
    woo(ws, "request", "create", "R3", "--subject", "manifesto", "--query", "Publicatieblad", "--from", "2022-05-01", "--to", "2022-05-31")
    r = woo(ws, "request", "collect", "R3", "--format", "json")
    assert r.exit_code == 0, r.output
    docs = docs_of(ws, "R3")
    (chat,) = [d for d in docs.values() if d["kind"] == "chat"]  # the hit on the PDF brings its chat day
    media = [d for d in docs.values() if d["nr"].startswith(chat["nr"] + ".")]
    assert sorted(d["title"] for d in media) == ["IMG-20220502-WA0003.jpg", "IMG-20220502-WA0005.jpg",
                                                 "IMG-20220502-WA0006.jpg", "Manifesto.pdf"]
    assert [d["nr"] for d in media] == [f"{chat['nr']}.{k}" for k in range(1, 5)]
    assert {d["title"] for d in media if d["needs_decision"]} == {"IMG-20220502-WA0003.jpg", "IMG-20220502-WA0005.jpg",
                                                                  "IMG-20220502-WA0006.jpg"}
    assert json.loads(r.stdout)["awaiting_decision"] == 3
    result = export(ws, "R3", tmp_path / "pakket")
    assert result["awaiting_decision"] == 3
    text = bundle_text(tmp_path / "pakket")
    manifesto = next(d["nr"] for d in media if d["title"] == "Manifesto.pdf")
    assert f"Document {manifesto}" in text and "EUPL" in text  # the PDF and its text (redacted where the detectors say)
    assert not any(f"Document {d['nr']}\n" in text + "\n" for d in media if d["needs_decision"])


def test_one_chat_from_two_phones_brings_its_media_once(ws, tmp_path):
    for who in ("Anne", "Bert"):
        (tmp_path / who).mkdir()
        archive = whatsapp_zip(tmp_path / who / "WhatsApp Chat - Windpark.zip")
        r = woo(ws, "import", str(archive), "--type", "whatsapp", "--custodian", who)
        assert r.exit_code == 0, r.output
    woo(ws, "request", "create", "R4", "--subject", "windturbines", "--from", "2025-03-11", "--to", "2025-03-11")
    assert woo(ws, "request", "collect", "R4").exit_code == 0
    docs = docs_of(ws, "R4")
    (chat,) = [d for d in docs.values() if d["kind"] == "chat"]
    assert len(chat["places"]) == 2
    assert [(d["nr"], d["title"]) for d in docs.values() if d["kind"] == "attachment"] == [
        (f"{chat['nr']}.1", PDF_NAME), (f"{chat['nr']}.2", PHOTO)]

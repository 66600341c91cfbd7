"""Woo requests: selection, deduplication, families, chat days, stable numbering, the review round trip."""

import json
from pathlib import Path

import pytest

from tests.conftest import mail, woo

LONG = ("De gemeente onderzoekt de plaatsing van vier windturbines bij het Kraaiennest. De ashoogte wordt "
        "ongeveer 135 meter en de geluidsnorm is 47 dB Lden. Omwonenden worden uitgenodigd voor een "
        "informatieavond in het gemeentehuis, waar het adviesbureau de berekeningen voor slagschaduw en geluid "
        "toelicht. Daarna volgt een besluit van het college over de vergunning en de voorwaarden.")


@pytest.fixture
def ws(tmp_path, engine):
    assert woo(tmp_path / "ws", "init", "--organisation", "Gemeente Test", "--engine", engine).exit_code == 0
    return tmp_path / "ws"


def import_eml(ws: Path, folder: Path, custodian: str, mails: dict[str, bytes]):
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in mails.items():
        (folder / name).write_bytes(raw)
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", custodian, "--source", f"mail-{custodian}")
    assert r.exit_code == 0, r.output


def show(ws: Path, req: str) -> dict:
    r = woo(ws, "request", "show", req, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_one_mail_in_three_mailboxes_and_a_forward(ws, tmp_path):
    original = mail("Windturbines Kraaiennest", LONG, "Tue, 11 Mar 2025 09:14:00 +0100", "<orig@voorbeeld.nl>")
    forward = mail("FW: Windturbines Kraaiennest", "Ter info.\n\n" + LONG, "Wed, 12 Mar 2025 10:00:00 +0100", "<fw@voorbeeld.nl>")
    for who in ("sanne", "pieter", "fatima"):
        import_eml(ws, tmp_path / who, who, {"orig.eml": original} | ({"fw.eml": forward} if who == "pieter" else {}))
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    docs = show(ws, "R1")["documents"]
    assert [d["title"] for d in docs] == ["Windturbines Kraaiennest", "FW: Windturbines Kraaiennest"]
    first, fw = docs
    assert len(first["places"]) == 3 and {p.split(" / ")[0] for p in first["places"]} == {"sanne", "pieter", "fatima"}
    assert fw["remarks"].startswith("mogelijk duplicaat van nr 1")  # internal: the review workbook, not the inventory
    assert first["remarks"] == "gevonden op 3 plaatsen" and first["note"] == fw["note"] == ""
    assert show(ws, "R1")["selection"]["counts"]["duplicates"] == 2


def test_families_stay_whole_while_the_original_is_stored_once(ws, tmp_path):
    same = b"\x00\x01 identical attachment bytes \xff"
    a = mail("Windturbines: notitie", "Zie bijlage over windturbines.", "Tue, 11 Mar 2025 09:00:00 +0100", "<a@x>", [("tekening.dwg", same)])
    b = mail("Windturbines: nogmaals", "Nogmaals de bijlage, andere mail.", "Tue, 11 Mar 2025 10:00:00 +0100", "<b@x>", [("tekening.dwg", same)])
    import_eml(ws, tmp_path / "s", "sanne", {"a.eml": a, "b.eml": b})
    woo(ws, "request", "create", "R2", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    woo(ws, "request", "collect", "R2")
    docs = show(ws, "R2")["documents"]
    assert [(d["nr"], d["kind"]) for d in docs] == [("1", "email"), ("1.1", "attachment"), ("2", "email"), ("2.1", "attachment")]
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    atts = w.catalog.get_items([docs[1]["items"][0], docs[3]["items"][0]])
    assert atts[0].id != atts[1].id and atts[0].sha256 == atts[1].sha256
    assert w.store.path(atts[0].sha256).read_bytes() == same
    assert sum(1 for sha, _ in w.catalog.originals() if sha == atts[0].sha256) == 1


WHATSAPP = """11-03-2025 20:00 - Pieter van der Meulen: Morgen praten we over het budget
12-03-2025 08:02 - Pieter van der Meulen: Schouw bij de locatie van de windturbines om 10 uur
12-03-2025 08:15 - Sanne de Vries: Ik ben er
12-03-2025 21:40 - Fatima El Amrani: Pers belde, ik heb verwezen naar de wethouder
13-03-2025 09:00 - Sanne de Vries: Verslag volgt
"""


def test_a_chat_hit_brings_its_whole_day_and_nothing_else(ws, tmp_path):
    p = tmp_path / "WhatsApp-chat met Windpark.txt"
    p.write_text(WHATSAPP, encoding="utf-8")
    assert woo(ws, "import", str(p), "--custodian", "pieter").exit_code == 0
    woo(ws, "request", "create", "R3", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    woo(ws, "request", "collect", "R3")
    docs = show(ws, "R3")["documents"]
    assert len(docs) == 1 and docs[0]["kind"] == "chat"
    from woo_collector.workspace import Workspace

    items = Workspace.open(ws).catalog.get_items(docs[0]["items"])
    assert [i.body for i in items] == ["Schouw bij de locatie van de windturbines om 10 uur", "Ik ben er",
                                       "Pers belde, ik heb verwezen naar de wethouder"]
    assert docs[0]["title"] == "WhatsApp-gesprek Windpark, 12 maart 2025"


def test_collect_twice_gives_byte_equal_show_and_new_documents_get_new_numbers(ws, tmp_path):
    import_eml(ws, tmp_path / "s", "sanne", {
        "1.eml": mail("Windturbines eerst", "Over windturbines, eerste.", "Mon, 10 Mar 2025 09:00:00 +0100", "<1@x>"),
        "2.eml": mail("Windturbines later", "Over windturbines, later.", "Fri, 14 Mar 2025 09:00:00 +0100", "<2@x>")})
    woo(ws, "request", "create", "R4", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    woo(ws, "request", "collect", "R4")
    first = woo(ws, "request", "show", "R4", "--format", "json").stdout
    woo(ws, "request", "collect", "R4")
    assert woo(ws, "request", "show", "R4", "--format", "json").stdout == first
    import_eml(ws, tmp_path / "p", "pieter", {"3.eml": mail("Windturbines tussendoor", "Ook over windturbines.", "Wed, 12 Mar 2025 09:00:00 +0100", "<3@x>")})
    r = woo(ws, "request", "collect", "R4")
    assert "added 3" in r.output
    docs = show(ws, "R4")["documents"]
    assert [(d["nr"], d["title"]) for d in docs] == [("1", "Windturbines eerst"), ("2", "Windturbines later"), ("3", "Windturbines tussendoor")]


def test_review_round_trip(ws, tmp_path):
    import openpyxl

    import_eml(ws, tmp_path / "s", "sanne", {
        "1.eml": mail("Windturbines", "Bel Henk Jansen op 0612987654 over de windturbines.", "Mon, 10 Mar 2025 09:00:00 +0100", "<r1@x>"),
        "2.eml": mail("Windturbines planning", "Planning van de windturbines.", "Tue, 11 Mar 2025 09:00:00 +0100", "<r2@x>")})
    woo(ws, "request", "create", "R5", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    woo(ws, "request", "collect", "R5")
    book = tmp_path / "beoordeling.xlsx"
    r = woo(ws, "request", "review", "R5", "--export", str(book))
    assert r.exit_code == 0 and (book.stat().st_mode & 0o077) == 0
    wb = openpyxl.load_workbook(book)
    assert wb.sheetnames[:3] == ["Verzoek", "Lijsten", "Documenten"] or {"Verzoek", "Documenten", "Lakken"} <= set(wb.sheetnames)
    docs = wb["Documenten"]
    header = [c.value for c in docs[1]]
    assert header == ["Nr", "Datum", "Type", "Omschrijving", "Van", "Aan", "Bron", "Familie", "Thread ID",
                      "Beoordeling", "Beoordelingsgrond", "Toelichting", "Opmerkingen"]
    assert docs.freeze_panes == "A2" and docs.auto_filter.ref
    col = {h: i + 1 for i, h in enumerate(header)}
    before = show(ws, "R5")
    # three different errors
    bad = openpyxl.load_workbook(book)
    s = bad["Documenten"]
    s.cell(2, col["Beoordeling"]).value = "misschien"
    s.cell(3, col["Beoordeling"]).value = "niet openbaar"
    s.cell(3, col["Beoordelingsgrond"]).value = ""
    s.cell(2, col["Omschrijving"]).value = "andere omschrijving"
    bad.save(tmp_path / "bad.xlsx")
    r = woo(ws, "request", "review", "R5", "--import", str(tmp_path / "bad.xlsx"))
    assert r.exit_code == 1
    assert "row 2" in r.output and "misschien" in r.output
    assert "row 3" in r.output and "needs at least one ground" in r.output
    assert "Omschrijving is read-only" in r.output
    assert show(ws, "R5") == before
    # a valid one: exactly the edited rows change, each change audited
    good = openpyxl.load_workbook(book)
    s = good["Documenten"]
    s.cell(3, col["Beoordeling"]).value = "niet openbaar"
    s.cell(3, col["Beoordelingsgrond"]).value = "5.1.2.i"
    lak = good["Lakken"]
    lak_header = [c.value for c in lak[1]]
    assert lak_header == ["Tekst", "Categorie", "Grond", "Plaatsen", "Context", "Documenten", "Toepassen", "Sleutel"]
    lak.cell(2, lak_header.index("Toepassen") + 1).value = "nee"
    good.save(tmp_path / "good.xlsx")
    r = woo(ws, "request", "review", "R5", "--import", str(tmp_path / "good.xlsx"))
    assert r.exit_code == 0, r.output
    after = show(ws, "R5")
    changed = [(a["nr"], a["decision"], a["grounds"]) for a, b in zip(after["documents"], before["documents"]) if a != b]
    assert ("2", "niet openbaar", ["5.1.2i"]) in changed
    assert all(nr in ("1", "2") for nr, *_ in changed)
    audit = json.loads(woo(ws, "audit", "R5", "--format", "json").stdout)
    review = [json.loads(a["args"]) for a in audit if a["action"] == "request review"]
    assert {(x["sheet"], x["column"]) for x in review} == {("Documenten", "Beoordeling"), ("Documenten", "Beoordelingsgrond"), ("Lakken", "Toepassen")}


def test_a_name_redacted_once_is_redacted_in_every_form_across_the_request(ws, tmp_path):
    body = ("Beste collega's,\n\nVanmorgen belde Pieter van der Meulen over de windturbines bij het Kraaiennest. "
            "Hij wil een afspraak.\n\nGroet, Sanne")
    import_eml(ws, tmp_path / "s", "sanne", {
        "1.eml": mail("Windturbines", body, "Mon, 10 Mar 2025 09:00:00 +0100", "<p1@x>"),
        "2.eml": mail("Windturbines planning", "De planning van de windturbines volgt.", "Tue, 11 Mar 2025 09:00:00 +0100", "<p2@x>")})
    chat = tmp_path / "WhatsApp-chat met Wind.txt"
    chat.write_text("12-03-2025 10:00 - Fatima El Amrani: P. van der Meulen heeft weer gebeld over de windturbines\n", encoding="utf-8")
    assert woo(ws, "import", str(chat), "--custodian", "fatima").exit_code == 0
    woo(ws, "request", "create", "R6", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    woo(ws, "request", "collect", "R6")
    from woo_collector.workspace import Workspace

    reds = Workspace.open(ws).catalog.requests.redactions("R6")
    applied = {(r["nr"], r["field"], r["text"]) for r in reds if r["apply"]}
    assert ("1", "body", "Pieter van der Meulen") in applied
    assert ("3", "body", "P. van der Meulen") in applied  # the chat, two documents later, in its initials form
    assert any(nr == "1" and f == "recipients" and "p.vandermeulen@voorbeeld.nl" in t for nr, f, t in applied)  # the header address


def test_a_handler_adds_a_redaction_in_the_lakken_sheet_and_the_export_carries_it(ws, tmp_path):
    import openpyxl

    import_eml(ws, tmp_path / "s", "sanne", {
        "1.eml": mail("Windturbines", "Het project Zwaluw gaat over de windturbines; Zwaluw is nog geheim.", "Mon, 10 Mar 2025 09:00:00 +0100", "<h1@x>")})
    woo(ws, "request", "create", "R7", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    woo(ws, "request", "collect", "R7")
    book = tmp_path / "b.xlsx"
    woo(ws, "request", "review", "R7", "--export", str(book))
    wb = openpyxl.load_workbook(book)
    # Tekst, Categorie, Grond, Plaatsen, Context, Documenten, Toepassen, Sleutel
    wb["Lakken"].append(["project Zwaluw", "", "5.1.2i", "", "", "1", "ja", ""])
    wb["Lakken"].append(["bestaat niet", "", "5.1.2i", "", "", "1", "ja", ""])
    wb.save(book)
    r = woo(ws, "request", "review", "R7", "--import", str(book))
    assert r.exit_code == 1 and "'bestaat niet' does not occur in document 1" in r.output
    wb = openpyxl.load_workbook(book)
    wb["Lakken"].delete_rows(wb["Lakken"].max_row)
    wb.save(book)
    r = woo(ws, "request", "review", "R7", "--import", str(book))
    assert r.exit_code == 0, r.output
    doc = show(ws, "R7")["documents"][0]
    assert doc["decision"] == "deels openbaar" and "5.1.2i" in doc["grounds"]
    woo(ws, "request", "collect", "R7")  # a new collect keeps the handler's redaction
    out = tmp_path / "pakket"
    r = woo(ws, "request", "export", "R7", "--out", str(out))
    assert r.exit_code == 0, r.output
    from docx import Document

    text = "\n".join(p.text for f in (out / "documenten").glob("*.docx") for p in Document(f).paragraphs)
    assert "project Zwaluw" not in text and "5.1.2i" in text


def test_two_different_mails_with_one_message_id_are_two_documents_flagged(ws, tmp_path):
    first = mail("Windturbines Kraaiennest", LONG, "Tue, 11 Mar 2025 09:14:00 +0100", "<dubbel@voorbeeld.nl>")
    other = mail("Windturbines: geluidsnorm", "Over de windturbines: de geluidsnorm blijft 47 dB.", "Wed, 12 Mar 2025 10:00:00 +0100",
                 "<dubbel@voorbeeld.nl>")
    import_eml(ws, tmp_path / "sanne", "sanne", {"a.eml": first, "b.eml": other})
    import_eml(ws, tmp_path / "pieter", "pieter", {"a.eml": first})  # a true copy still collapses
    woo(ws, "request", "create", "R8", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    r = woo(ws, "request", "collect", "R8")
    assert r.exit_code == 0, r.output
    docs = show(ws, "R8")["documents"]
    assert sorted(d["title"] for d in docs) == ["Windturbines Kraaiennest", "Windturbines: geluidsnorm"]
    by_title = {d["title"]: d for d in docs}
    assert len(by_title["Windturbines Kraaiennest"]["places"]) == 2
    assert by_title["Windturbines: geluidsnorm"]["remarks"] == f"zelfde Message-ID als nr {by_title['Windturbines Kraaiennest']['nr']}, andere inhoud"
    out = tmp_path / "pakket"
    r = woo(ws, "request", "export", "R8", "--out", str(out))
    assert r.exit_code == 0, r.output
    from openpyxl import load_workbook

    book = next(out.rglob("*.xlsx"))
    cells = [str(c.value) for row in load_workbook(book).active.iter_rows() for c in row if c.value]
    assert "Windturbines: geluidsnorm" in cells and "Windturbines Kraaiennest" in cells


def test_one_message_id_same_text_other_attachments_are_two_documents_flagged(ws, tmp_path):
    """Same Message-ID and text, but another attachment: not a duplicate, or one attachment is lost."""
    date, mid = "Tue, 11 Mar 2025 09:14:00 +0100", "<bijlage@voorbeeld.nl>"
    with_plan = mail("Windturbines Kraaiennest", LONG, date, mid, [("situatie.dwg", b"\x00 situatietekening A")])
    with_other = mail("Windturbines Kraaiennest", LONG, date, mid, [("situatie.dwg", b"\x00 situatietekening B, herzien")])
    import_eml(ws, tmp_path / "sanne", "sanne", {"a.eml": with_plan})
    import_eml(ws, tmp_path / "pieter", "pieter", {"a.eml": with_other, "b.eml": with_plan})  # a true copy still collapses
    woo(ws, "request", "create", "R9", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    r = woo(ws, "request", "collect", "R9")
    assert r.exit_code == 0, r.output
    docs = show(ws, "R9")["documents"]
    assert [(d["nr"], d["kind"]) for d in docs] == [("1", "email"), ("1.1", "attachment"), ("2", "email"), ("2.1", "attachment")]
    first, second = docs[0], docs[2]
    places = sorted(sorted(p.split(" / ")[0] for p in d["places"]) for d in (first, second))
    assert places == [["pieter"], ["pieter", "sanne"]]  # the true copy in two mailboxes is one document
    assert second["remarks"].startswith("zelfde Message-ID als nr 1, andere inhoud")  # and a possible duplicate: same text
    assert "Message-ID" not in first["remarks"] and second["note"] == ""
    out = tmp_path / "pakket"
    assert woo(ws, "request", "export", "R9", "--out", str(out)).exit_code == 0
    from openpyxl import load_workbook

    book = next(out.rglob("*.xlsx"))
    numbers = {str(row[0].value) for row in load_workbook(book).active.iter_rows() if row[0].value}
    assert {"R9D0001", "R9D0001B01", "R9D0002", "R9D0002B01"} <= numbers  # both attachments are in the inventory

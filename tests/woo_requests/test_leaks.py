"""Leaks found in real Dutch mail and chat (issue 13), each through `request collect` and `request export`.

Every test imports what a handler would import, collects, exports, and reads the package back as
a reader would (docx paragraphs, xlsx cells, json, file names), in NFC: a name must not be
readable in any form, whole or in part.
"""

from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

import pytest

from tests.conftest import mail, woo

DATE = "Tue, 11 Mar 2025 09:14:00 +0100"


@pytest.fixture
def ws(tmp_path):
    assert woo(tmp_path / "ws", "init", "--organisation", "Gemeente Voorbeeld").exit_code == 0
    return tmp_path / "ws"


def import_mails(ws: Path, folder: Path, mails: dict[str, bytes], custodian: str = "sanne"):
    folder.mkdir(parents=True, exist_ok=True)
    for name, raw in mails.items():
        (folder / name).write_bytes(raw)
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", custodian, "--source", f"mail-{custodian}")
    assert r.exit_code == 0, r.output


def raw_mail(sender: str, subject: str, body: str, msgid: str = "", attachments=()) -> bytes:
    return mail(subject, body, DATE, msgid, attachments, sender=sender)


def collect_and_export(ws: Path, tmp_path: Path, req: str = "R1", subject: str = "windturbines") -> Path:
    assert woo(ws, "request", "create", req, "--subject", subject, "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    r = woo(ws, "request", "collect", req)
    assert r.exit_code == 0, r.output
    out = tmp_path / f"pakket-{req}"
    r = woo(ws, "request", "export", req, "--out", str(out))
    assert r.exit_code == 0, r.output
    return out


def package_text(out: Path) -> str:
    """Everything a reader of the package sees, NFC: file names, docx text, xlsx cells, json strings."""
    from docx import Document
    from openpyxl import load_workbook

    parts = [p.relative_to(out).as_posix() for p in out.rglob("*")]
    for f in out.rglob("*.docx"):
        doc = Document(f)
        parts += [p.text for p in doc.paragraphs]
        parts += [c.text for t in doc.tables for row in t.rows for c in row.cells]
        for s in doc.sections:
            parts += [p.text for p in s.header.paragraphs]
    for f in out.rglob("*.xlsx"):
        parts += [str(c.value) for ws in load_workbook(f).worksheets for row in ws.iter_rows() for c in row if c.value is not None]
    for f in out.rglob("*.json"):
        parts.append(json.dumps(json.loads(f.read_text(encoding="utf-8")), ensure_ascii=False))
    return unicodedata.normalize("NFC", "\n".join(parts))


def docx_bytes(text: str) -> bytes:
    import io

    from docx import Document

    doc = Document()
    doc.add_paragraph(text)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def readable(word: str, text: str) -> bool:
    """``word`` stands in ``text`` as a word of its own (not inside a longer word)."""
    return re.search(rf"(?<![\w]){re.escape(word)}(?![\w])", text) is not None


def redactions(ws: Path, req: str = "R1") -> list[dict]:
    """The proposed redactions of a request as the catalog holds them (text, category, ground, apply)."""
    from woo_collector.workspace import Workspace

    return Workspace.open(ws).catalog.requests.redactions(req)


# 1. Unicode ---------------------------------------------------------------------------------------

def test_a_name_written_in_nfd_is_boxed_whole(ws, tmp_path):
    body = unicodedata.normalize("NFD", "Beste José Pérez,\n\nDe windturbines komen er. Ik bel mevrouw Pérez morgen.")
    import_mails(ws, tmp_path / "m", {"1.eml": mail("Windturbines", body, DATE, "<nfd@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    assert "windturbines" in text
    for part in ("José", "Pérez", "rez", "Jos"):
        assert not readable(part, text), part


def test_a_name_hyphenated_over_a_line_end_or_with_a_soft_hyphen_is_boxed(ws, tmp_path):
    body = ("Over de windturbines sprak ik gisteren met mevrouw Korte-\nkaas uit de Dorpsstraat.\n"
            "Ook meneer Ver\u00adhoeven belde over de windturbines.")
    import_mails(ws, tmp_path / "m", {"1.eml": mail("Windturbines", body, DATE, "<hy@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    assert "Dorpsstraat" in text
    for part in ("Korte", "kaas", "Korte-", "Ver", "hoeven", "Verhoeven"):
        assert not readable(part, text), part


def test_the_leak_guard_reads_text_normalised_as_the_detector_reads_it():
    from exports.render import Needle, Needles, fold

    needles = Needles([Needle(fold("José Kortekaas"), "5.1.2e", "k1", "name", "1")])
    assert needles.scan(unicodedata.normalize("NFD", "Aan José Kortekaas"))
    assert needles.scan("Aan José Korte\u00adkaas") and needles.scan("Aan José Korte-\nkaas")


# 2. Phones ----------------------------------------------------------------------------------------

def test_phone_numbers_the_numbering_plan_does_not_know_are_boxed_by_shape_and_context(ws, tmp_path):
    body = ("Over de windturbines: bel me op 06 98765432 of 06-99887766.\n"
            "Vanuit Frankrijk ben ik bereikbaar op 06.29.38.47.56.\n"
            "Het dossiernummer is 2025-0311 en het zaaknummer 0123456789.")
    import_mails(ws, tmp_path / "m", {"1.eml": mail("Windturbines", body, DATE, "<tel@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    digits = re.sub(r"\D", "", text)
    for number in ("0698765432", "0699887766", "0629384756"):
        assert number not in digits, number
    assert "98765432" not in text and "99887766" not in text and "06.29.38" not in text
    assert "2025-0311" in text


# 3. Special categories ----------------------------------------------------------------------------

def test_health_data_is_proposed_applied_and_the_handler_may_lift_it(ws, tmp_path):
    body = "Over de windturbines: ik kan niet komen, ik ben hartpatiënt en lig in het ziekenhuis."
    import_mails(ws, tmp_path / "m", {"1.eml": mail("Windturbines", body, DATE, "<gez@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    assert not readable("hartpatiënt", text) and "5.1.1d" in text
    special = [r for r in redactions(ws) if r["ground"] == "5.1.1d"]
    assert special and all(r["apply"] for r in special)
    import openpyxl

    book = tmp_path / "beoordeling.xlsx"
    assert woo(ws, "request", "review", "R1", "--export", str(book)).exit_code == 0
    wb = openpyxl.load_workbook(book)
    lak = wb["Lakken"]
    col = {c.value: i for i, c in enumerate(lak[1])}
    rows = [row for row in lak.iter_rows(min_row=2) if row[col["Grond"]].value == "5.1.1d"]
    assert rows and all(row[col["Toepassen"]].value == "ja" for row in rows)
    for row in rows:
        row[col["Toepassen"]].value = "nee"
    wb.save(book)
    r = woo(ws, "request", "review", "R1", "--import", str(book))
    assert r.exit_code == 0, r.output
    out = tmp_path / "pakket-lifted"
    assert woo(ws, "request", "export", "R1", "--out", str(out)).exit_code == 0
    assert readable("hartpatiënt", package_text(out))


# 4. The organisation itself -----------------------------------------------------------------------

def test_the_organisation_its_departments_and_functional_mailboxes_are_never_persons(ws, tmp_path):
    body = ("Geachte heer Van der Meulen,\n\nNamens Gemeente Voorbeeld danken wij u voor uw vraag over de windturbines. "
            "Afdeling Vergunningen en Team Omgevingskwaliteit nemen contact op.\n\n"
            "Met vriendelijke groet,\n\nGemeente Voorbeeld\nAfdeling Vergunningen\n")
    import_mails(ws, tmp_path / "m", {
        "1.eml": raw_mail("Gemeente Voorbeeld <info@voorbeeld.nl>", "Windturbines", body, "<org@x>"),
        "2.eml": raw_mail('"Vergunningen | Gemeente Voorbeeld" <vergunningen@voorbeeld.nl>', "Windturbines: ontvangst",
                          "Wij hebben uw vraag over de windturbines ontvangen.", "<org2@x>"),
        "3.eml": raw_mail("Team Omgevingskwaliteit <omgevingskwaliteit@voorbeeld.nl>", "Windturbines: planning",
                          "De planning van de windturbines volgt.", "<org3@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    assert text.count("Gemeente Voorbeeld") >= 3 and "Afdeling Vergunningen" in text and "Team Omgevingskwaliteit" in text
    assert not readable("Meulen", text)
    names = [r["text"] for r in redactions(ws) if r["category"] == "name"]
    assert not [n for n in names if "Voorbeeld" in n or "Vergunningen" in n or "Omgevingskwaliteit" in n], names


# 5. Chat authors ----------------------------------------------------------------------------------

CHAT = """11-03-2025 20:00 - Carol Christmas Work: Morgen praten we over de windturbines
11-03-2025 20:01 - Dave Privé: Goed, Carol Christmas neemt de tekeningen mee
11-03-2025 20:02 - Carol Christmas Work: [10/3, 16:08] Coen Goedhart: Hoi, ik heb de chat over de windturbines gemaakt
[10/3, 16:09] Coen Goedhart: De taal is ingesteld op: Nederlands
11-03-2025 20:03 - Dave Privé: Christmas en Coen komen ook. carol zei dat het goed is
11-03-2025 20:04 - Carol Christmas Work: Dank je Dave
"""


def test_chat_authors_are_known_persons_boxed_whole_in_every_form(ws, tmp_path):
    p = tmp_path / "WhatsApp-chat met Windpark.txt"
    p.write_text(CHAT, encoding="utf-8")
    assert woo(ws, "import", str(p), "--custodian", "pieter").exit_code == 0
    text = package_text(collect_and_export(ws, tmp_path))
    assert "windturbines" in text and "tekeningen" in text
    for part in ("Carol", "carol", "Christmas", "Dave", "Privé", "Coen", "Goedhart"):
        assert not readable(part, text), part


# 6. Names in identifiers and file names -----------------------------------------------------------

def test_names_in_file_names_message_ids_and_encoded_words_are_boxed(ws, tmp_path):
    import base64

    encoded = "=?utf-8?B?" + base64.b64encode("Joris Kortekaas".encode()).decode() + "?="
    body = (f"Over de windturbines: zie de bijlagen CV_Jan_Jansen.docx en jan-jansen-zienswijze.docx.\n"
            f"Doorgestuurd van: {encoded} <jk@example.org>\n")
    import_mails(ws, tmp_path / "m", {"1.eml": raw_mail(
        "Sanne de Vries <s.devries@voorbeeld.nl>", "Windturbines", body, "<20250311091400.4711@LAPTOP-JAN-JANSEN>",
        attachments=[("CV_Jan_Jansen.docx", docx_bytes("Curriculum vitae")),
                     ("jan-jansen-zienswijze.docx", docx_bytes("Mijn zienswijze over de windturbines.")),
                     ("KortekaasJoris_brief.txt", b"Een brief over de windturbines.")])})
    text = package_text(collect_and_export(ws, tmp_path))
    assert "zienswijze" in text and "windturbines" in text
    low = text.lower()
    for part in ("jansen", "kortekaas", encoded.lower(), encoded[10:30].lower()):
        assert part not in low, part


# 7. Rules that do not depend on a list ------------------------------------------------------------

NEWS = """DOOR GUY VERHOFSTADT

BRUSSEL - Kamerlid Yves Leterme zei gisteren dat de windturbines er komen. Hoofdredacteur Dirk Veldeman
reageert niet. Volgens Alain Hubert is het plan geslaagd. Het voorstel van Luc Van den Bossche kreeg steun
van Vincent De Poortere. De minister van Financiën betaalt, net als bij de Spelen van Sydney.
De omzet en de winst van elke onderneming in het onderwijs stegen. Leterme en Veldeman waren tevreden.
"""


def test_names_in_name_position_are_boxed_whatever_the_given_name_and_word_van_x_is_no_name(ws, tmp_path):
    import_mails(ws, tmp_path / "m", {"1.eml": mail("Windturbines in het nieuws", NEWS, DATE, "<news@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    for part in ("GUY", "VERHOFSTADT", "Yves", "Leterme", "Dirk", "Veldeman", "Alain", "Hubert", "Luc", "Bossche",
                 "Vincent", "Poortere"):
        assert not readable(part, text), part
    for kept in ("Kamerlid", "Hoofdredacteur", "Volgens", "minister van Financiën", "Spelen van Sydney",
                 "omzet", "winst", "elke", "onderwijs"):
        assert readable(kept, text), kept


# 8. Wider name lists ------------------------------------------------------------------------------

def test_given_names_people_in_nl_and_flanders_have_are_known(ws, tmp_path):
    body = ("Over de windturbines spraken gisteren Yves Desmet, André Flahaut, Mustapha Benali, Magali Poncelet, "
            "Abdulkadir Aksu en Lajita Ramdin. Wilfried Martens stuurde een reactie.")
    import_mails(ws, tmp_path / "m", {"1.eml": mail("Windturbines", body, DATE, "<lists@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    for part in ("Yves", "Desmet", "André", "Flahaut", "Mustapha", "Benali", "Magali", "Poncelet", "Abdulkadir",
                 "Aksu", "Lajita", "Ramdin", "Wilfried", "Martens"):
        assert not readable(part, text), part
    assert "windturbines" in text and "reactie" in text


# 9. Name positions --------------------------------------------------------------------------------

def test_a_salutation_a_form_of_address_and_a_signature_are_name_positions_whatever_the_place_lists_say(ws, tmp_path):
    body = ("Beste Els Sydney,\n\nOver de windturbines: mevrouw Brussel uit Gent belde, en dhr. Lode Parijs kwam langs. "
            "Beste Sydney Jansen, kom je ook?\n\nMet vriendelijke groet,\n\nYanka Londen\nAdviseur\n")
    import_mails(ws, tmp_path / "m", {"1.eml": mail("Windturbines", body, DATE, "<pos@x>")})
    text = package_text(collect_and_export(ws, tmp_path))
    for part in ("Els", "Sydney", "Brussel", "Lode", "Parijs", "Jansen", "Yanka", "Londen"):
        assert not readable(part, text), part
    assert "windturbines" in text and readable("Gent", text) and readable("Adviseur", text)

"""The review workbook's Lakken sheet: one row per redacted text (with its places, a context snippet and
its documents), a workbook of another request refused in one line, every problem of a row listed, and
the whole change list printed."""

import json
from pathlib import Path

import openpyxl
import pytest

from tests.conftest import mail, woo
from woo_collector.workspace import Workspace

N = 11  # mails; mail n names Henk Jansen n times
PLACES = N * (N + 1) // 2
HEADER = ["Tekst", "Categorie", "Grond", "Plaatsen", "Context", "Documenten", "Toepassen", "Sleutel"]


@pytest.fixture
def ws(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    for n in range(1, N + 1):
        body = f"Overleg {n} over de windturbines. " + " ".join(f"Henk Jansen belde om {h} uur." for h in range(8, 8 + n))
        (folder / f"{n}.eml").write_bytes(mail(f"Windturbines {n}", body, f"Mon, {n + 2:02d} Mar 2025 09:00:00 +0100", f"<w{n}@x>"))
    assert woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne", "--source", "mail-sanne").exit_code == 0
    for req in ("R1", "R2"):
        assert woo(ws, "request", "create", req, "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
        assert woo(ws, "request", "collect", req).exit_code == 0
    return ws


def export(ws: Path, req: str, path: Path) -> openpyxl.Workbook:
    r = woo(ws, "request", "review", req, "--export", str(path))
    assert r.exit_code == 0, r.output
    return openpyxl.load_workbook(path)


def rows(sheet) -> list[dict]:
    head = [c.value for c in sheet[1]]
    return [dict(zip(head, [c.value for c in row])) for row in sheet.iter_rows(min_row=2)]


def test_one_lakken_row_per_text_with_its_places_context_and_documents(ws, tmp_path):
    book = tmp_path / "b.xlsx"
    wb = export(ws, "R1", book)
    assert [c.value for c in wb["Lakken"][1]] == HEADER
    henk = [r for r in rows(wb["Lakken"]) if r["Tekst"] == "Henk Jansen"]
    assert len(henk) == 1  # not one row per occurrence
    assert int(henk[0]["Plaatsen"]) == PLACES
    assert henk[0]["Documenten"] == ", ".join(str(n) for n in range(1, N + 1))
    assert "Henk Jansen belde om 8 uur" in henk[0]["Context"] and henk[0]["Toepassen"] == "ja"
    # one edit of that row changes every place, audited with the number of places
    wb["Lakken"].cell(2 + rows(wb["Lakken"]).index(henk[0]), HEADER.index("Toepassen") + 1).value = "nee"
    wb.save(book)
    r = woo(ws, "request", "review", "R1", "--import", str(book))
    assert r.exit_code == 0, r.output
    assert f"Lakken 'Henk Jansen' ({PLACES} places): Toepassen 'ja' -> 'nee'" in r.output
    reds = Workspace.open(ws).catalog.requests.redactions("R1")
    assert [x["apply"] for x in reds if x["text"] == "Henk Jansen"] == [0] * PLACES
    audit = [json.loads(a["args"]) for a in json.loads(woo(ws, "audit", "R1", "--format", "json").stdout)
             if a["action"] == "request review"]
    assert {"sheet": "Lakken", "row": "Henk Jansen", "column": "Toepassen", "old": "ja", "new": "nee", "places": PLACES} in audit


def test_a_workbook_of_another_request_is_refused_in_one_line(ws, tmp_path):
    book = tmp_path / "r2.xlsx"
    export(ws, "R2", book)
    before = woo(ws, "request", "show", "R1", "--format", "json").stdout
    r = woo(ws, "request", "review", "R1", "--import", str(book))
    assert r.exit_code == 1
    assert r.output.strip().splitlines() == [f"Error: {book} is the review workbook of request R2, not R1: nothing was imported"]
    assert woo(ws, "request", "show", "R1", "--format", "json").stdout == before


def test_every_problem_of_a_row_is_listed(ws, tmp_path):
    book = tmp_path / "b.xlsx"
    wb = export(ws, "R1", book)
    docs = wb["Documenten"]
    dh = [c.value for c in docs[1]]
    docs.cell(2, dh.index("Beoordeling") + 1).value = "misschien"
    docs.cell(2, dh.index("Beoordelingsgrond") + 1).value = "9.9.9"
    lak = wb["Lakken"]
    lak.cell(2, HEADER.index("Toepassen") + 1).value = "wellicht"
    lak.cell(2, HEADER.index("Grond") + 1).value = "5.1.9z"
    lak.cell(2, HEADER.index("Plaatsen") + 1).value = 999
    lak.append(["x", "", "onbekend", "", "", "77", "soms", ""])  # a new row with four problems
    wb.save(book)
    r = woo(ws, "request", "review", "R1", "--import", str(book))
    assert r.exit_code == 1
    out = r.output
    assert "Documenten row 2 (Nr 1): Beoordeling 'misschien'" in out and "Documenten row 2 (Nr 1): unknown ground code '9.9.9'" in out
    assert "Toepassen must be ja or nee, not 'wellicht'" in out and "unknown ground code '5.1.9z'" in out
    assert "column Plaatsen is read-only" in out
    last = f"Lakken row {lak.max_row}"
    for problem in ("Documenten must be numbers of documents (unknown: 77)", "needs the text to redact",
                    "unknown ground code 'onbekend'", "Toepassen must be ja or nee, not 'soms'"):
        assert f"{last}: a new redaction's {problem}" in out or f"{last}: {problem}" in out or \
            f"{last}: a new redaction {problem}" in out, problem
    assert "9 problem(s)" in out


def test_the_change_list_is_printed_whole(ws, tmp_path):
    book = tmp_path / "b.xlsx"
    wb = export(ws, "R1", book)
    docs = wb["Documenten"]
    dh = [c.value for c in docs[1]]
    n = docs.max_row - 1
    for row in range(2, docs.max_row + 1):
        docs.cell(row, dh.index("Toelichting") + 1).value = f"toelichting {row}"
        docs.cell(row, dh.index("Beoordeling") + 1).value = "niet openbaar"
        docs.cell(row, dh.index("Beoordelingsgrond") + 1).value = "5.1.2i"
    for row in range(2, wb["Lakken"].max_row + 1):
        wb["Lakken"].cell(row, HEADER.index("Grond") + 1).value = "5.1.2h"
    wb.save(book)
    r = woo(ws, "request", "review", "R1", "--import", str(book))
    assert r.exit_code == 0, r.output
    total = int(r.output.split(": ")[1].split(" change")[0])
    assert total >= 3 * n + 2 and total > 30
    assert len([line for line in r.output.splitlines() if line.startswith("  ")]) == total

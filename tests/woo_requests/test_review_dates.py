"""The review workbook's dates are real Excel dates (dd-mm-jjjj, local time), not text, and still round-trip."""

from datetime import date, datetime

import openpyxl
import pytest

from tests.conftest import mail, woo


@pytest.fixture
def book(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "winter.eml").write_bytes(mail("Windturbines winter", "De ashoogte.", "Tue, 11 Mar 2025 09:14:00 +0100", "<w@x>"))
    (folder / "summer.eml").write_bytes(mail("Windturbines zomer", "De geluidsnorm.", "Tue, 15 Apr 2025 08:30:00 +0000", "<z@x>"))
    assert woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne").exit_code == 0
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-04-30",
               "--received", "2025-05-02").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    path = tmp_path / "beoordeling.xlsx"
    r = woo(ws, "request", "review", "R1", "--export", str(path))
    assert r.exit_code == 0, r.output
    return ws, path


def column(sheet, name: str) -> int:
    return [c.value for c in sheet[1]].index(name) + 1


def test_document_dates_are_date_cells_in_local_time_shown_day_month_year(book):
    _ws, path = book
    docs = openpyxl.load_workbook(path)["Documenten"]
    cells = [docs.cell(r, column(docs, "Datum")) for r in (2, 3)]
    assert all(c.is_date and c.number_format == "dd-mm-yyyy hh:mm" for c in cells)
    assert [c.value for c in cells] == [datetime(2025, 3, 11, 9, 14), datetime(2025, 4, 15, 10, 30)]  # CET, CEST


def test_the_request_sheet_gives_its_days_as_date_cells(book):
    _ws, path = book
    cover = {r[0].value: r[1] for r in openpyxl.load_workbook(path)["Verzoek"].iter_rows()}
    for key, day in (("Periode van", date(2025, 3, 1)), ("Periode tot en met", date(2025, 4, 30)), ("Ontvangen", date(2025, 5, 2)),
                     ("Beslistermijn", date(2025, 5, 30))):
        cell = cover[key]
        assert cell.is_date and cell.number_format == "dd-mm-yyyy", key
        assert cell.value.date() == day if isinstance(cell.value, datetime) else cell.value == day


def test_the_workbook_with_date_cells_imports_back_and_a_changed_date_is_refused(book, tmp_path):
    ws, path = book
    wb = openpyxl.load_workbook(path)
    docs = wb["Documenten"]
    docs.cell(2, column(docs, "Beoordeling")).value = "niet openbaar"
    docs.cell(2, column(docs, "Beoordelingsgrond")).value = "5.1.2e"
    wb.save(tmp_path / "edited.xlsx")
    r = woo(ws, "request", "review", "R1", "--import", str(tmp_path / "edited.xlsx"))
    assert r.exit_code == 0, r.output
    docs.cell(3, column(docs, "Datum")).value = datetime(2025, 4, 16, 10, 30)
    wb.save(tmp_path / "moved.xlsx")
    r = woo(ws, "request", "review", "R1", "--import", str(tmp_path / "moved.xlsx"))
    assert r.exit_code == 1 and "column Datum is read-only" in r.output


def test_a_workbook_of_an_earlier_version_with_dates_as_text_still_imports(book, tmp_path):
    ws, path = book
    wb = openpyxl.load_workbook(path)
    docs = wb["Documenten"]
    for r, text in ((2, "2025-03-11 09:14"), (3, "2025-04-15 10:30")):
        docs.cell(r, column(docs, "Datum")).value = text
    wb.save(tmp_path / "old.xlsx")
    r = woo(ws, "request", "review", "R1", "--import", str(tmp_path / "old.xlsx"))
    assert r.exit_code == 0, r.output

"""The inventory list (inventarislijst) as xlsx and docx, in the national Woo platform's columns.

One row per document of the request, ``niet openbaar`` ones included, in number order. The
columns are those open.minvws.nl imports, so a handler can upload the xlsx unchanged::

    ID | Documentnummer | Datum | Omschrijving | File type | Familie | Thread ID | Beoordeling |
    Beoordelingsgrond | Toelichting | Publieke link

``Omschrijving`` (and Thread ID and Toelichting) are redacted like the documents: a redacted
span becomes a marker such as ``[5.1.2e]``. ``Beoordelingsgrond`` lists the codes separated by
``;``. ``Toelichting`` holds at most 1,000 characters. ``Publieke link`` stays empty until the
documents are published.
"""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Mapping, Sequence
from xml.sax.saxutils import escape

import pandas as pd
from docx.oxml import parse_xml
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exports.bundle import new_document, ordered
from exports.clean import prepare_workbook
from exports.render import W_NS, Redactor, clean_text, local, nl_date
from woo_collector.documents import Document

COLUMNS = ("ID", "Documentnummer", "Datum", "Omschrijving", "File type", "Familie", "Thread ID",
           "Beoordeling", "Beoordelingsgrond", "Toelichting", "Publieke link")
WIDTHS = (16, 16, 18, 60, 12, 10, 28, 16, 20, 60, 20)
NOTE_MAX = 1000
SHEET = "Inventarislijst"


def grounds_of(d: Document, extra: Mapping[str, set[str]] | None = None) -> list[str]:
    """The document's grounds, those of its applied redactions and of boxes added by the
    request-wide redaction (``extra``), in first-seen order. A document that is not released
    (niet openbaar, reeds openbaar) with grounds of its own has those only: its boxes are never
    shown, and the handler's grounds are the grounds."""
    if d.decision in ("niet openbaar", "reeds openbaar") and d.grounds:
        return list(dict.fromkeys(d.grounds))
    out: list[str] = []
    for g in list(d.grounds) + [r.ground for r in d.applied()] + sorted((extra or {}).get(d.nr, ())):
        if g and g not in out:
            out.append(g)
    return out


def rows(request_id: str, documents: Sequence[Document], redactor: Redactor,
         extra: Mapping[str, set[str]] | None = None) -> list[dict]:
    """The inventory rows, redacted, as dicts keyed by ``COLUMNS``."""
    out = []
    for d in ordered(documents):
        first = d.items[0].id if d.items else ""
        note = redactor.marked(d.note)
        if len(note) > NOTE_MAX:
            note = note[: NOTE_MAX - 1] + "…"
        when = local(d.date)
        out.append({
            "ID": f"{request_id}-{d.nr}",
            "Documentnummer": d.nr,
            "Datum": when.replace(tzinfo=None) if when else None,
            "Omschrijving": clean_text(redactor.marked(d.title, first, ("title", "subject", "filename"))),
            "File type": d.filetype,
            "Familie": d.family,
            "Thread ID": clean_text(redactor.marked(d.thread)),
            "Beoordeling": d.decision,
            "Beoordelingsgrond": ";".join(grounds_of(d, extra)),
            "Toelichting": clean_text(note),
            "Publieke link": "",
        })
    return out


def write_xlsx(path: Path, table: list[dict], organisation: str, request_id: str, now: datetime | None) -> Path:
    """inventarislijst.xlsx: frozen header, autofilter, column widths, clean properties."""
    frame = pd.DataFrame(table, columns=list(COLUMNS))
    with pd.ExcelWriter(path, engine="openpyxl", datetime_format="DD-MM-YYYY HH:MM") as writer:
        frame.to_excel(writer, sheet_name=SHEET, index=False)
        wb = writer.book
        ws = writer.sheets[SHEET]
        ws.freeze_panes = "A2"
        ws.auto_filter.ref = f"A1:{get_column_letter(len(COLUMNS))}{max(len(table) + 1, 1)}"
        for i, width in enumerate(WIDTHS, start=1):
            ws.column_dimensions[get_column_letter(i)].width = width
        for cell in ws[1]:
            cell.font = Font(bold=True)
        wrap = Alignment(wrap_text=True, vertical="top")
        for col in ("D", "J"):
            for cell in ws[col][1:]:
                cell.alignment = wrap
        prepare_workbook(wb, organisation, f"Inventarislijst {request_id}", now)
    return path


def write_docx(path: Path, table: list[dict], organisation: str, request_id: str, now: datetime | None) -> Path:
    """inventarislijst.docx: landscape, a real table with a repeating header row."""
    doc = new_document(organisation, f"Inventarislijst {request_id}", now,
                       footer=f"Inventarislijst Woo-verzoek {request_id}", landscape=True)
    doc.add_paragraph(f"Inventarislijst Woo-verzoek {request_id}", style="Title")
    doc.add_paragraph(
        "Een overzicht van alle documenten die onder het verzoek vallen, met de beoordeling en de "
        "weigeringsgronden. Gelakte tekst in de omschrijving staat als [grond], bijvoorbeeld [5.1.2e]."
    )
    widths = (1200, 900, 1300, 3200, 800, 700, 1400, 1100, 1100, 2300, 600)
    cols = COLUMNS
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)

    def cell(text: str, header: bool = False) -> str:
        rpr = '<w:rPr><w:b/><w:sz w:val="16"/></w:rPr>' if header else '<w:rPr><w:sz w:val="16"/></w:rPr>'
        return (f"<w:tc><w:p><w:pPr><w:spacing w:after=\"0\"/></w:pPr><w:r>{rpr}"
                f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>')

    head = '<w:tr><w:trPr><w:tblHeader/></w:trPr>' + "".join(cell(c, True) for c in cols) + "</w:tr>"
    body = []
    for row in table:
        values = dict(row)
        values["Datum"] = nl_date(row["Datum"]) if row["Datum"] is not None else ""
        body.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>" + "".join(cell(str(values[c] or "")) for c in cols) + "</w:tr>")
    xml = (f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
           f'<w:tblCaption w:val="Inventarislijst"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{head}{"".join(body)}</w:tbl>')
    doc.element.body.sectPr.addprevious(parse_xml(xml))
    doc.save(str(path))
    return path

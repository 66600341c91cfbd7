"""The inventory list (inventarislijst) as xlsx and docx, in the national Woo platform's columns.

One row per document of the request, ``niet openbaar`` ones included, in number order. The
columns are those open.minvws.nl imports (its reader's rules are in DOMAIN.md; the conformance
test ``tests/exports/test_inventory_conformance.py`` reads our xlsx the way it does), so a handler
can upload the xlsx unchanged::

    ID | Documentnummer | Datum | Omschrijving | File type | Familie | Thread ID | Beoordeling |
    Beoordelingsgrond | Toelichting | Publieke link | Publicatiecontext

- ``ID`` is the alphanumeric ``exports.ids.document_id`` (``WOO2025014D0012``): the platform
  links the released file ``<ID>.pdf`` to its row by it. ``Documentnummer`` keeps the human
  number (12, 12.1); the platform ignores that column.
- ``Datum`` is a date-only cell (``DD-MM-YYYY``): xlsx2csv prints a date-time cell in a form the
  platform cannot parse.
- ``Familie`` is the family's top number and ``Thread ID`` the number of the document's e-mail
  thread or chat conversation, counted within the request in document order: integers, as the
  platform requires (never a Message-ID or a phone number).
- ``File type`` is a word of the platform's list (``FILE_TYPES``), empty where none fits.
- ``Omschrijving`` and ``Toelichting`` are redacted like the documents: a redacted span becomes
  a marker such as ``[5.1.2e]``. ``Toelichting`` is public text only (the handler's); internal
  remarks stay in the review workbook. It holds at most 1,000 characters.
- ``Beoordelingsgrond`` lists the codes separated by ``;``. ``Publieke link`` stays empty until
  the documents are published. ``Publicatiecontext`` (``exports.ids.context_id``) is on every row.
"""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path, PurePath
from typing import Mapping, Sequence
from xml.sax.saxutils import escape

import pandas as pd
from docx.oxml import parse_xml
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from exports.bundle import new_document, ordered
from exports.clean import prepare_workbook
from exports.ids import context_id, document_id
from exports.render import W_NS, Redactor, clean_text, local, nl_date
from woo_collector.documents import PENDING, Document

COLUMNS = ("ID", "Documentnummer", "Datum", "Omschrijving", "File type", "Familie", "Thread ID",
           "Beoordeling", "Beoordelingsgrond", "Toelichting", "Publieke link", "Publicatiecontext")
WIDTHS = (22, 16, 12, 60, 12, 10, 10, 16, 20, 60, 20, 18)
DOCX_COLUMNS = COLUMNS[:-1]  # the docx names the publication context once, above the table
NOTE_MAX = 1000
SHEET = "Inventarislijst"
DATE_FORMAT = "DD-MM-YYYY"
# the platform's File type words (its SourceType); ours map onto them, the rest stays empty
FILE_TYPES = ("pdf", "doc", "image", "presentation", "spreadsheet", "email", "html", "note", "database",
              "xml", "video", "vcard", "chat", "audio", "multiple")
_OWN_TYPES = {"contact": "vcard", "archive": "multiple"}
_BY_SUFFIX = {".html": "html", ".htm": "html", ".xml": "xml", ".vcf": "vcard", ".txt": "note", ".md": "note"}


def file_type(d: Document) -> str:
    """The platform's File type of a document ('' when none of its words fits)."""
    if d.filetype in FILE_TYPES:
        return d.filetype
    if d.filetype in _OWN_TYPES:
        return _OWN_TYPES[d.filetype]
    by_name = _BY_SUFFIX.get(PurePath(d.items[0].subject if d.items and d.items[0].subject else d.title).suffix.lower())
    if by_name:
        return by_name
    return "doc" if d.filetype == "document" else ""


def thread_numbers(documents: Sequence[Document]) -> dict[str, int]:
    """Each e-mail thread / chat conversation of the request numbered 1, 2, ... in document order."""
    out: dict[str, int] = {}
    for d in ordered(documents):
        if d.thread and d.thread not in out:
            out[d.thread] = len(out) + 1
    return out


def _family(d: Document) -> int | None:
    top = (d.family or d.nr).split(".")[0]
    return int(top) if top.isdigit() and int(top) >= 1 else None


def grounds_of(d: Document, extra: Mapping[str, set[str]] | None = None) -> list[str]:
    """The document's grounds, those of its applied redactions and of boxes added by the
    request-wide redaction (``extra``), in first-seen order.

    A document that is not released shows no boxes, so nothing is added to the handler's grounds:
    ``reeds openbaar``, and ``niet openbaar`` or ``dubbel`` with the handler's grounds (a withheld
    document without any ground keeps those of its proposed redactions). A medium waiting for a
    handler's decision (``needs_decision``) has no ground yet: the boxes proposed on it are not a
    decision, so it gets none."""
    if d.needs_decision or d.decision == PENDING:
        return []
    handlers_own = d.decision == "reeds openbaar" or (bool(d.grounds) and (d.decision == "niet openbaar" or "dubbel" in d.grounds))
    found = [] if handlers_own else [r.ground for r in d.applied()] + sorted((extra or {}).get(d.nr, ()))
    out: list[str] = []
    for g in list(d.grounds) + found:
        if g and g not in out:
            out.append(g)
    return out


def rows(request_id: str, documents: Sequence[Document], redactor: Redactor,
         extra: Mapping[str, set[str]] | None = None) -> list[dict]:
    """The inventory rows, redacted, as dicts keyed by ``COLUMNS``."""
    out = []
    threads = thread_numbers(documents)
    context = context_id(request_id)
    for d in ordered(documents):
        first = d.items[0].id if d.items else ""
        note = redactor.marked(d.note)
        if len(note) > NOTE_MAX:
            note = note[: NOTE_MAX - 1] + "…"
        when = local(d.date)
        out.append({
            "ID": document_id(request_id, d.nr),
            "Documentnummer": d.nr,
            "Datum": date(when.year, when.month, when.day) if when else None,
            "Omschrijving": clean_text(redactor.marked(d.title, first, ("title", "subject", "filename"))),
            "File type": file_type(d),
            "Familie": _family(d),
            "Thread ID": threads.get(d.thread),
            "Beoordeling": d.decision,
            "Beoordelingsgrond": ";".join(grounds_of(d, extra)),
            "Toelichting": clean_text(note),
            "Publieke link": "",
            "Publicatiecontext": context,
        })
    return out


def write_xlsx(path: Path, table: list[dict], organisation: str, request_id: str, now: datetime | None) -> Path:
    """inventarislijst.xlsx: frozen header, autofilter, column widths, clean properties."""
    frame = pd.DataFrame(table, columns=list(COLUMNS)).astype({"Familie": "Int64", "Thread ID": "Int64"})
    with pd.ExcelWriter(path, engine="openpyxl", date_format=DATE_FORMAT, datetime_format=DATE_FORMAT) as writer:
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
        for cell in ws["C"][1:]:
            cell.number_format = DATE_FORMAT
        ws.page_setup.orientation = "landscape"  # printed: one page wide, as many long as it takes
        ws.sheet_properties.pageSetUpPr.fitToPage = True
        ws.page_setup.fitToWidth, ws.page_setup.fitToHeight = 1, 0
        prepare_workbook(wb, organisation, f"Inventarislijst {request_id}", now)
    return path


def write_docx(path: Path, table: list[dict], organisation: str, request_id: str, now: datetime | None) -> Path:
    """inventarislijst.docx: landscape, a real table with a repeating header row."""
    doc = new_document(organisation, f"Inventarislijst {request_id}", now,
                       footer=f"Inventarislijst Woo-verzoek {request_id}", landscape=True)
    doc.add_paragraph(f"Inventarislijst Woo-verzoek {request_id}", style="Title")
    doc.add_paragraph(
        "Een overzicht van alle documenten die onder het verzoek vallen, met de beoordeling en de "
        "weigeringsgronden. Gelakte tekst in de omschrijving staat als [grond], bijvoorbeeld [5.1.2e]. "
        f"Publicatiecontext: {context_id(request_id)}."
    )
    widths = (2400, 1300, 1100, 2750, 850, 750, 750, 1150, 1150, 1650, 700)  # 14,550 of landscape A4's 14,570 twips
    cols = DOCX_COLUMNS
    grid = "".join(f'<w:gridCol w:w="{w}"/>' for w in widths)

    def cell(text: str, header: bool = False) -> str:
        rpr = '<w:rPr><w:b/><w:sz w:val="16"/></w:rPr>' if header else '<w:rPr><w:sz w:val="16"/></w:rPr>'
        return (f"<w:tc><w:p><w:pPr><w:spacing w:after=\"0\"/></w:pPr><w:r>{rpr}"
                f'<w:t xml:space="preserve">{escape(text)}</w:t></w:r></w:p></w:tc>')

    head = '<w:tr><w:trPr><w:tblHeader/></w:trPr>' + "".join(cell(c, True) for c in cols) + "</w:tr>"
    body = []
    for row in table:
        values = dict(row)
        values["Datum"] = nl_date(row["Datum"], time=False) if row["Datum"] is not None else ""
        body.append("<w:tr><w:trPr><w:cantSplit/></w:trPr>"
                    + "".join(cell("" if values[c] is None else str(values[c])) for c in cols) + "</w:tr>")
    xml = (f'<w:tbl xmlns:w="{W_NS}"><w:tblPr><w:tblStyle w:val="TableGrid"/><w:tblW w:w="0" w:type="auto"/>'
           f'<w:tblCaption w:val="Inventarislijst"/></w:tblPr><w:tblGrid>{grid}</w:tblGrid>{head}{"".join(body)}</w:tbl>')
    doc.element.body.sectPr.addprevious(parse_xml(xml))
    doc.save(str(path))
    return path

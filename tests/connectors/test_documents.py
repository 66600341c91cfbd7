"""Text and metadata from documents built here with the libraries office tools use, from real
PDFs in ../shared/samples, and refusal of hostile ones (XML bombs, zip bombs, truncation)."""

from __future__ import annotations

import datetime as dt
import io
import re
import time
import zipfile

import pytest
from conftest import sample
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from woo_collector.errors import ConnectorError
from connectors.support.documents import (
    MAX_TEXT,
    PROTECTED,
    Extracted,
    clean,
    document_kind,
    extract_text,
    iso_time,
)
from woo_collector.text import filetype_of

# --- builders ---------------------------------------------------------------------------------


def replace_parts(data: bytes, parts: dict[str, bytes], drop: tuple[str, ...] = ()) -> bytes:
    """A copy of a zip package with some parts replaced or added."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            if info.filename in parts or info.filename in drop:
                continue
            dst.writestr(info, src.read(info.filename))
        for name, content in parts.items():
            dst.writestr(name, content)
    return out.getvalue()


def build_docx(comment: bool = False) -> bytes:
    import docx

    d = docx.Document()
    d.add_heading("Windturbines Kraaiennest", 0)
    p = d.add_paragraph("Beste Sanne, zie de ")
    run = p.add_run("notitie")
    p.add_run(" over de geluidsnormen.")
    table = d.add_table(rows=2, cols=3)
    for i, text in enumerate(("Naam", "Functie", "Telefoon")):
        table.cell(0, i).text = text
    for i, text in enumerate(("Pieter van der Meulen", "wethouder", "06-12345678")):
        table.cell(1, i).text = text
    d.sections[0].header.paragraphs[0].text = "Gemeente Voorbeeld - intern"
    d.sections[0].footer.paragraphs[0].text = "Pagina voettekst"
    if comment:
        d.add_comment(run, text="Dit commentaar is geen tekst van het document", author="Els")
    cp = d.core_properties
    cp.author = "Sanne de Vries"
    cp.last_modified_by = "Pieter van der Meulen"
    cp.title = "Notitie windturbines"
    cp.created = dt.datetime(2025, 3, 10, 8, 0)
    cp.modified = dt.datetime(2025, 3, 11, 9, 14, 30)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


W_NS = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"'


def docx_with_body(body_xml: str) -> bytes:
    """A docx whose word/document.xml body is ``body_xml``."""
    xml = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
           f'<w:document {W_NS} xmlns:mc="http://schemas.openxmlformats.org/markup-compatibility/2006" '
           f'xmlns:wps="http://schemas.microsoft.com/office/word/2010/wordprocessingShape">'
           f'<w:body>{body_xml}</w:body></w:document>')
    return replace_parts(build_docx(), {"word/document.xml": xml.encode()})


def build_xlsx() -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Begroting"
    ws.append(["Post", "Bedrag", "Besluit"])
    ws.append(["Turbine 1", 1250000, dt.date(2025, 3, 11)])
    ws.append(["Onderzoek", 12.5, dt.datetime(2025, 3, 11, 14, 30)])
    ws2 = wb.create_sheet("Planning")
    ws2["A1"] = "Vergunning aangevraagd"
    ws2["B3"] = True
    hidden = wb.create_sheet("Verborgen")
    hidden["A1"] = "geheime rij"
    hidden.sheet_state = "hidden"
    wb.properties.creator = "Jan Jansen"
    wb.properties.lastModifiedBy = "Els"
    wb.properties.created = dt.datetime(2025, 1, 2, 3, 4, 5)
    wb.properties.modified = dt.datetime(2025, 2, 3, 4, 5, 6)
    wb.properties.title = "Begroting windpark"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


P_NS = ('xmlns:a="http://schemas.openxmlformats.org/drawingml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" '
        'xmlns:p="http://schemas.openxmlformats.org/presentationml/2006/main"')
REL_NS = "http://schemas.openxmlformats.org/package/2006/relationships"
RT = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"


def _shape(*paragraphs: str) -> str:
    paras = "".join(f"<a:p><a:r><a:t>{t}</a:t></a:r></a:p>" for t in paragraphs)
    return f"<p:sp><p:txBody><a:bodyPr/>{paras}</p:txBody></p:sp>"


def build_pptx() -> bytes:
    """A minimal valid pptx by hand: two slides listed in reverse file order, notes on one."""
    slide = lambda body: f'<?xml version="1.0"?><p:sld {P_NS}><p:cSld><p:spTree>{body}</p:spTree></p:cSld></p:sld>'
    table = ('<p:graphicFrame><a:graphic><a:graphicData><a:tbl>'
             '<a:tr><a:tc><a:txBody><a:p><a:r><a:t>Locatie</a:t></a:r></a:p></a:txBody></a:tc>'
             '<a:tc><a:txBody><a:p><a:r><a:t>Hoogte</a:t></a:r></a:p></a:txBody></a:tc></a:tr>'
             '</a:tbl></a:graphicData></a:graphic></p:graphicFrame>')
    parts = {
        "[Content_Types].xml": '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="xml" ContentType="application/xml"/><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
        '<Override PartName="/ppt/presentation.xml" ContentType="application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"/></Types>',
        "_rels/.rels": f'<?xml version="1.0"?><Relationships xmlns="{REL_NS}"><Relationship Id="rId1" Type="{RT}/officeDocument" Target="ppt/presentation.xml"/></Relationships>',
        "ppt/presentation.xml": f'<?xml version="1.0"?><p:presentation {P_NS}><p:sldIdLst>'
        '<p:sldId id="256" r:id="rId3"/><p:sldId id="257" r:id="rId2"/></p:sldIdLst></p:presentation>',
        "ppt/_rels/presentation.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{REL_NS}">'
        f'<Relationship Id="rId2" Type="{RT}/slide" Target="slides/slide1.xml"/>'
        f'<Relationship Id="rId3" Type="{RT}/slide" Target="slides/slide2.xml"/></Relationships>',
        "ppt/slides/slide1.xml": slide(_shape("Tweede dia: geluid", "45 dB(A) 's nachts") + table),
        "ppt/slides/slide2.xml": slide(_shape("Eerste dia: bewonersavond") +
                                       '<p:sp><p:txBody><a:p><a:fld type="slidenum"><a:t>99</a:t></a:fld></a:p></p:txBody></p:sp>'),
        "ppt/slides/_rels/slide2.xml.rels": f'<?xml version="1.0"?><Relationships xmlns="{REL_NS}">'
        f'<Relationship Id="rId1" Type="{RT}/notesSlide" Target="../notesSlides/notesSlide7.xml"/></Relationships>',
        "ppt/notesSlides/notesSlide7.xml": f'<?xml version="1.0"?><p:notes {P_NS}><p:cSld><p:spTree>{_shape("Spreker: noem de klachten van De Vries")}</p:spTree></p:cSld></p:notes>',
        "docProps/core.xml": '<?xml version="1.0"?><cp:coreProperties xmlns:cp="http://schemas.openxmlformats.org/package/2006/metadata/core-properties" '
        'xmlns:dc="http://purl.org/dc/elements/1.1/" xmlns:dcterms="http://purl.org/dc/terms/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">'
        '<dc:creator>Karin Bakker</dc:creator><dcterms:modified xsi:type="dcterms:W3CDTF">2025-03-12T15:00:00Z</dcterms:modified></cp:coreProperties>',
    }
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, content in parts.items():
            zf.writestr(name, content)
    return buf.getvalue()


def _odf_bytes(doc) -> bytes:
    buf = io.BytesIO()
    doc.write(buf)
    return buf.getvalue()


def build_odt() -> bytes:
    from odf import dc, meta
    from odf.office import Annotation
    from odf.opendocument import OpenDocumentText
    from odf.text import H, LineBreak, P, S, Span, Tab

    doc = OpenDocumentText()
    doc.text.addElement(H(outlinelevel=1, text="Raadsvoorstel windpark"))
    p = P(text="De wethouder ")
    p.addElement(Span(text="Pieter"))
    p.addText(" stelt voor")
    p.addElement(S(c=3))
    p.addText("te")
    p.addElement(Tab())
    p.addText("besluiten.")
    p.addElement(LineBreak())
    p.addText("Tweede regel.")
    note = Annotation()
    note.addElement(P(text="interne opmerking van Els"))
    p.addElement(note)
    doc.text.addElement(p)
    doc.meta.addElement(meta.InitialCreator(text="Karel Smit"))
    doc.meta.addElement(dc.Creator(text="Els de Wit"))
    doc.meta.addElement(meta.CreationDate(text="2025-03-01T10:00:00"))
    doc.meta.addElement(dc.Date(text="2025-03-11T09:14:00.123456789"))
    doc.meta.addElement(dc.Title(text="Raadsvoorstel"))
    return _odf_bytes(doc)


def build_ods() -> bytes:
    from odf.opendocument import OpenDocumentSpreadsheet
    from odf.table import Table, TableCell, TableRow
    from odf.text import P

    doc = OpenDocumentSpreadsheet()
    table = Table(name="Klachten")
    for row in (("Datum", "Straat", "Klacht"), ("2025-03-01", "Kraaiennest", "slagschaduw")):
        tr = TableRow()
        for value in row:
            cell = TableCell()
            cell.addElement(P(text=value))
            tr.addElement(cell)
        table.addElement(tr)
    doc.spreadsheet.addElement(table)
    return _odf_bytes(doc)


def build_odp() -> bytes:
    from odf.draw import Frame, Page, TextBox
    from odf.opendocument import OpenDocumentPresentation
    from odf.style import MasterPage, PageLayout
    from odf.text import P

    doc = OpenDocumentPresentation()
    layout = PageLayout(name="pl")
    doc.automaticstyles.addElement(layout)
    master = MasterPage(name="m", pagelayoutname=layout)
    doc.masterstyles.addElement(master)
    page = Page(masterpagename=master)
    frame = Frame(width="20cm", height="3cm", x="1cm", y="1cm")
    box = TextBox()
    box.addElement(P(text="Dia over de participatie"))
    frame.addElement(box)
    page.addElement(frame)
    doc.presentation.addElement(page)
    return _odf_bytes(doc)


def _pdf_string(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def build_pdf(pages: list[str], info: dict[str, str] | None = None) -> bytes:
    """A minimal PDF written by hand: one Helvetica text line per page (an empty string gives a
    page without a text layer), with an Info dictionary."""
    objects: list[bytes] = [b"<< /Type /Catalog /Pages 2 0 R >>", b"", b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    kids = []
    for text in pages:
        content = f"BT /F1 12 Tf 72 720 Td ({_pdf_string(text)}) Tj ET".encode("latin-1") if text else b"0 0 m 10 10 l S"
        objects.append(b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream")
        objects.append(f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents {len(objects)} 0 R >>".encode())
        kids.append(f"{len(objects)} 0 R")
    objects[1] = f"<< /Type /Pages /Kids [{' '.join(kids)}] /Count {len(kids)} >>".encode()
    trailer_info = ""
    if info:
        objects.append(("<< " + " ".join(f"/{k} ({_pdf_string(v)})" for k, v in info.items()) + " >>").encode("latin-1"))
        trailer_info = f" /Info {len(objects)} 0 R"
    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for off in offsets:
        out += b"%010d 00000 n \n" % off
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R{trailer_info} >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return bytes(out)


BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"""


# --- Word -------------------------------------------------------------------------------------

def test_docx_body_tables_headers_footers_and_metadata():
    ex = extract_text("notitie.docx", build_docx())
    assert ex.filetype == "doc"
    lines = ex.text.splitlines()
    assert "Windturbines Kraaiennest" in lines
    assert "Beste Sanne, zie de notitie over de geluidsnormen." in lines
    assert "Pieter van der Meulen\twethouder\t06-12345678" in lines
    assert "Gemeente Voorbeeld - intern" in lines and "Pagina voettekst" in lines
    assert ex.meta["author"] == "Sanne de Vries"
    assert ex.meta["lastModifiedBy"] == "Pieter van der Meulen"
    assert ex.meta["title"] == "Notitie windturbines"
    assert ex.meta["created"] == "2025-03-10T08:00:00+00:00"
    assert ex.meta["modified"] == "2025-03-11T09:14:30+00:00"
    assert ex.meta["has_comments"] is False


def test_docx_comments_are_flagged_not_text():
    ex = extract_text("notitie.docx", build_docx(comment=True))
    assert ex.meta["has_comments"] is True
    assert "commentaar" not in ex.text
    assert "notitie over de geluidsnormen" in ex.text


def test_docx_footnotes_text_boxes_once_tracked_changes_and_breaks():
    body = (
        '<w:p><w:r><w:t xml:space="preserve">Naam:</w:t></w:r><w:r><w:tab/><w:t>Jan</w:t><w:br/><w:t>regel twee</w:t></w:r></w:p>'
        '<w:p><w:r><mc:AlternateContent><mc:Choice Requires="wps"><w:drawing><wps:txbx><w:txbxContent>'
        '<w:p><w:r><w:t>Tekstvak met BSN-vraag</w:t></w:r></w:p></w:txbxContent></wps:txbx></w:drawing></mc:Choice>'
        '<mc:Fallback><w:pict><w:txbxContent><w:p><w:r><w:t>Tekstvak met BSN-vraag</w:t></w:r></w:p></w:txbxContent></w:pict></mc:Fallback>'
        '</mc:AlternateContent></w:r></w:p>'
        '<w:p><w:ins w:id="1" w:author="Els"><w:r><w:t>ingevoegd</w:t></w:r></w:ins>'
        '<w:del w:id="2" w:author="Els"><w:r><w:delText>geschrapt</w:delText></w:r></w:del></w:p>'
        '<w:p><w:r><w:fldChar w:fldCharType="begin"/></w:r><w:r><w:instrText> PAGE </w:instrText></w:r></w:p>'
    )
    footnotes = (f'<?xml version="1.0"?><w:footnotes {W_NS}><w:footnote w:id="1"><w:p><w:r>'
                 '<w:t>Zie het besluit van 3 maart.</w:t></w:r></w:p></w:footnote></w:footnotes>').encode()
    data = replace_parts(docx_with_body(body), {"word/footnotes.xml": footnotes})
    ex = extract_text("x.docx", data)
    assert "Naam:\tJan\nregel twee" in ex.text
    assert ex.text.count("Tekstvak met BSN-vraag") == 1
    assert "ingevoegd" in ex.text and "geschrapt" not in ex.text and "PAGE" not in ex.text
    assert ex.meta["has_tracked_changes"] is True
    assert "Zie het besluit van 3 maart." in ex.text


def test_docx_xml_bomb_is_refused_quickly():
    data = replace_parts(build_docx(), {"word/document.xml": BILLION_LAUGHS})
    start = time.monotonic()
    with pytest.raises(ConnectorError) as e:
        extract_text("bom.docx", data)
    assert time.monotonic() - start < 2
    assert "XML bomb" in e.value.reason and "word/document.xml" in e.value.reason
    assert e.value.path == "bom.docx"


def test_docx_zip_bomb_part_is_refused():
    data = replace_parts(build_docx(), {"word/document.xml": b" " * (60 * 1024 * 1024)})
    with pytest.raises(ConnectorError) as e:
        extract_text("bom.docx", data)
    assert "zip bomb" in e.value.reason


@pytest.mark.parametrize("cut", [0.5, 0.9])
def test_truncated_docx_is_a_connector_error(cut):
    data = build_docx()
    with pytest.raises(ConnectorError) as e:
        extract_text("half.docx", data[: int(len(data) * cut)])
    assert "zip" in e.value.reason.lower()


def test_docx_without_document_part_or_broken_xml():
    with pytest.raises(ConnectorError, match="word/document.xml is missing"):
        extract_text("leeg.docx", replace_parts(build_docx(), {}, drop=("word/document.xml",)))
    with pytest.raises(ConnectorError, match="not well-formed"):
        extract_text("stuk.docx", replace_parts(build_docx(), {"word/document.xml": b"<w:document><w:body>"}))


def test_password_protected_office_file_is_refused():
    # Office writes a protected docx as an OLE2 file holding an "EncryptedPackage" stream
    data = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(1000) + "EncryptedPackage".encode("utf-16-le") + bytes(500)
    with pytest.raises(ConnectorError) as e:
        extract_text("geheim.docx", data)
    assert e.value.reason == PROTECTED


def test_legacy_doc_is_kept_without_text_and_doc_that_is_rtf_is_read():
    legacy = extract_text("oud.doc", b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(2000))
    assert legacy.text == "" and legacy.filetype == "doc" and "legacy" in legacy.meta["note"]
    rtf = extract_text("brief.doc", rb"{\rtf1\ansi Dit is RTF onder een .doc naam.\par}")
    assert rtf.text == "Dit is RTF onder een .doc naam."


# --- Excel ------------------------------------------------------------------------------------

def test_xlsx_all_sheets_dates_booleans_and_metadata():
    ex = extract_text("begroting.xlsx", build_xlsx())
    assert ex.filetype == "spreadsheet"
    assert ex.text.splitlines()[:4] == ["Begroting", "Post\tBedrag\tBesluit", "Turbine 1\t1250000\t2025-03-11", "Onderzoek\t12.5\t2025-03-11 14:30:00"]
    assert "Planning\nVergunning aangevraagd\nWAAR" in ex.text
    assert "geheime rij" in ex.text
    assert ex.meta["sheets"] == ["Begroting", "Planning", "Verborgen"]
    assert ex.meta["hidden_sheets"] == ["Verborgen"]
    assert ex.meta["author"] == "Jan Jansen" and ex.meta["lastModifiedBy"] == "Els"
    assert ex.meta["created"] == "2025-01-02T03:04:05+00:00"  # openpyxl sets "modified" to the time of saving


def test_xlsx_inline_strings_and_rich_shared_strings():
    data = build_xlsx()
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        sheet = zf.read("xl/worksheets/sheet1.xml").decode()
    sheet = sheet.replace("</sheetData>", '<row r="9"><c r="A9" t="inlineStr"><is><t>inline tekst</t></is></c>'
                          '<c r="B9" t="s"><v>0</v></c><c r="C9" t="s"><v>999</v></c></row></sheetData>')
    shared = ('<?xml version="1.0"?><sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
              '<si><r><t>vet</t></r><r><t xml:space="preserve"> en gewoon</t></r><rPh><t>FONETISCH</t></rPh></si></sst>')
    data = replace_parts(data, {"xl/worksheets/sheet1.xml": sheet.encode(), "xl/sharedStrings.xml": shared.encode()})
    ex = extract_text("x.xlsx", data)
    assert "inline tekst\tvet en gewoon" in ex.text.splitlines()
    assert "FONETISCH" not in ex.text


# --- PowerPoint -------------------------------------------------------------------------------

def test_pptx_slides_in_presentation_order_with_notes_and_tables():
    ex = extract_text("bewonersavond.pptx", build_pptx())
    assert ex.filetype == "presentation"
    assert ex.text.index("Eerste dia") < ex.text.index("Tweede dia")
    assert "Spreker: noem de klachten van De Vries" in ex.text
    assert ex.text.index("Spreker") < ex.text.index("Tweede dia")
    assert "Locatie\tHoogte" in ex.text.splitlines()
    assert "45 dB(A) 's nachts" in ex.text
    assert "99" not in ex.text  # the slide-number field is not text
    assert ex.meta["pages"] == 2 and ex.meta["author"] == "Karin Bakker"
    assert ex.meta["modified"] == "2025-03-12T15:00:00+00:00"


# --- OpenDocument -----------------------------------------------------------------------------

def test_odt_mixed_content_spaces_tabs_and_metadata():
    ex = extract_text("voorstel.odt", build_odt())
    assert ex.filetype == "doc"
    assert ex.text.splitlines() == ["Raadsvoorstel windpark", "De wethouder Pieter stelt voor   te\tbesluiten.", "Tweede regel."]
    assert ex.meta["has_comments"] is True
    assert ex.meta["author"] == "Karel Smit" and ex.meta["lastModifiedBy"] == "Els de Wit"
    assert ex.meta["title"] == "Raadsvoorstel"
    # LibreOffice writes local time without a zone: 09:14 in Amsterdam in March is 08:14 UTC
    assert ex.meta["modified"] == "2025-03-11T08:14:00.123456+00:00"
    assert ex.meta["created"] == "2025-03-01T09:00:00+00:00"


def test_ods_rows_and_odp_text():
    ods = extract_text("klachten.ods", build_ods())
    assert ods.filetype == "spreadsheet"
    assert ods.text.splitlines() == ["Datum\tStraat\tKlacht", "2025-03-01\tKraaiennest\tslagschaduw"]
    odp = extract_text("dia.odp", build_odp())
    assert odp.filetype == "presentation" and odp.text == "Dia over de participatie"


def test_protected_odf_is_refused():
    manifest = (b'<?xml version="1.0"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
                b'<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml">'
                b'<manifest:encryption-data manifest:checksum-type="SHA1" manifest:checksum="x"/></manifest:file-entry></manifest:manifest>')
    data = replace_parts(build_odt(), {"META-INF/manifest.xml": manifest})
    with pytest.raises(ConnectorError) as e:
        extract_text("geheim.odt", data)
    assert e.value.reason == PROTECTED


def test_odt_xml_bomb_is_refused():
    with pytest.raises(ConnectorError, match="XML bomb"):
        extract_text("bom.odt", replace_parts(build_odt(), {"content.xml": BILLION_LAUGHS}))


# --- PDF --------------------------------------------------------------------------------------

def test_pdf_text_pages_and_metadata():
    data = build_pdf(["Besluit op het Woo-verzoek", "Bijlage (inventaris)"],
                     {"Author": "Gemeente Voorbeeld", "Title": "Besluit", "CreationDate": "D:20250311091400+01'00'",
                      "ModDate": "D:20250312100000Z"})
    ex = extract_text("besluit.pdf", data)
    assert ex.filetype == "pdf"
    assert "Besluit op het Woo-verzoek" in ex.text and "Bijlage (inventaris)" in ex.text
    assert ex.meta["pages"] == 2 and ex.meta["no_text_layer"] is False
    assert ex.meta["author"] == "Gemeente Voorbeeld" and ex.meta["title"] == "Besluit"
    assert ex.meta["created"] == "2025-03-11T08:14:00+00:00"
    assert ex.meta["modified"] == "2025-03-12T10:00:00+00:00"


def test_pdf_without_text_layer_is_flagged():
    ex = extract_text("scan.pdf", build_pdf(["", ""]))
    assert ex.text == "" and ex.meta["no_text_layer"] is True and ex.meta["pages"] == 2
    partly = extract_text("deels.pdf", build_pdf(["tekst", ""]))
    assert partly.meta["no_text_layer"] is False and partly.meta["pages_without_text"] == 1


def test_pdf_with_password_is_refused_and_owner_only_is_read():
    from pypdf import PdfReader, PdfWriter

    base = build_pdf(["Vertrouwelijk memo"])
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base)))
    writer.encrypt(user_password="geheim", owner_password="eigenaar", algorithm="AES-128")
    locked = io.BytesIO()
    writer.write(locked)
    with pytest.raises(ConnectorError) as e:
        extract_text("memo.pdf", locked.getvalue())
    assert e.value.reason.startswith(PROTECTED)

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(base)))
    writer.encrypt(user_password="", owner_password="eigenaar", algorithm="AES-128")
    open_ = io.BytesIO()
    writer.write(open_)
    assert "Vertrouwelijk memo" in extract_text("memo.pdf", open_.getvalue()).text


@pytest.mark.parametrize("data", [b"%PDF-1.4\n", b"%PDF-1.7\n1 0 obj << /Type /Catalog", b"%PDF-" + bytes(5000)])
def test_broken_pdf_is_a_connector_error(data):
    with pytest.raises(ConnectorError, match="PDF"):
        extract_text("kapot.pdf", data)


def test_real_pdf_from_whatsapp_export():
    ex = extract_text("Manifesto.pdf", sample("DSA-WhatsApp-merger/Demo Data/Chats/Alice Wonderland/Export 1/Manifesto.pdf").read_bytes())
    assert ex.meta["pages"] == 6 and ex.meta["author"] == "Publications Office"
    assert ex.meta["created"] == "2017-05-18T14:12:56+00:00"
    assert ex.text.startswith("UITVOERINGSBESLUIT (EU) 2017/863 VAN DE COMMISSIE")
    assert "EUPL" in ex.text and ex.meta["no_text_layer"] is False


def test_real_pdf_without_extension_is_recognised_by_content():
    data = sample("DSA-WhatsApp-merger/Demo Data/Chats/Carol Christmas/Export Carol/DOC-20220502-WA0006.pdf").read_bytes()
    assert document_kind("DOC-20220502-WA0006", data) == "pdf"
    ex = extract_text("DOC-20220502-WA0006", data)
    assert ex.filetype == "pdf" and "UITVOERINGSBESLUIT" in ex.text


# --- RTF, HTML, text --------------------------------------------------------------------------

def test_rtf_text_and_info():
    data = (rb"{\rtf1\ansi\ansicpg1252{\fonttbl{\f0 Arial;}}{\info{\title Memo windpark}{\author Jan de Boer}"
            rb"{\operator Els}{\creatim\yr2025\mo3\dy11\hr9\min14}{\revtim\yr2025\mo3\dy12\hr10\min0}}"
            rb"\f0 Caf\'e9 de Kroon\par Tweede alinea met {\b vet} woord.\par}")
    ex = extract_text("memo.rtf", data)
    assert ex.text.splitlines() == ["Café de Kroon", "Tweede alinea met vet woord."]
    assert ex.meta == {"title": "Memo windpark", "author": "Jan de Boer", "lastModifiedBy": "Els",
                       "created": "2025-03-11T08:14:00+00:00", "modified": "2025-03-12T09:00:00+00:00"}
    with pytest.raises(ConnectorError, match="not an RTF"):
        extract_text("nep.rtf", b"gewone tekst")


def test_html_charset_title_and_scripts():
    data = (b"<html><head><meta charset='windows-1252'><title>Nieuwsbrief</title><meta name=\"author\" content=\"Team Communicatie\">"
            b"<style>p{}</style></head><body><p>Caf\xe9 &amp; terras</p><script>alert(1)</script><p>Tweede</p></body></html>")
    ex = extract_text("brief.html", data)
    assert [line for line in ex.text.splitlines() if line] == ["Café & terras", "Tweede"]
    assert ex.meta == {"title": "Nieuwsbrief", "author": "Team Communicatie"}
    assert ex.filetype == "document"


@pytest.mark.parametrize("data", [
    b"<script>" * 200_000,
    b"<title>" * 200_000,
    b"<div>" * 100_000 + b"diep",
    b"<p>" + b" " * 5_000_000 + b"x",
    b"<meta " * 100_000,
])
def test_hostile_html_in_bounded_time(data):
    start = time.monotonic()
    _assert_text_or_connector_error("aanval.html", data)
    assert time.monotonic() - start < 3


def test_xhtml_with_declaration_and_empty_html():
    data = (b'<?xml version="1.0" encoding="utf-8"?><html xmlns="http://www.w3.org/1999/xhtml"><body>'
            b"<table><tr><td>a</td><td>b</td></tr></table><p>x<br/>y</p></body></html>")
    assert extract_text("pagina.xhtml", data).text == "a\tb\n\nx\ny"
    assert extract_text("leeg.html", b"<!-- alleen commentaar -->").text == ""


@pytest.mark.parametrize("data", [
    "Geachte heer Müller,\r\n\r\n\r\nmet vriendelijke groet".encode(),
    "Geachte heer Müller,\r\n\r\n\r\nmet vriendelijke groet".encode("utf-8-sig"),
    "Geachte heer Müller,\r\n\r\n\r\nmet vriendelijke groet".encode("utf-16"),
    "Geachte heer Müller,\r\n\r\n\r\nmet vriendelijke groet".encode("cp1252"),
])
def test_text_in_any_charset(data):
    ex = extract_text("brief.txt", data)
    assert ex.text == "Geachte heer Müller,\n\nmet vriendelijke groet"


def test_csv_and_content_type_and_unknown_binary():
    csv = extract_text("lijst.csv", b"naam;straat\nJan;Dorpsstraat 1\n")
    assert csv.filetype == "spreadsheet" and csv.text == "naam;straat\nJan;Dorpsstraat 1"
    assert extract_text("bijlage", b"platte tekst", "text/plain; charset=utf-8").text == "platte tekst"
    assert extract_text("foto.jpg", b"\xff\xd8\xff\xe0" + bytes(100)) == Extracted("", "image", {})
    assert extract_text("data.bin", bytes(range(256))) == Extracted("", "other", {})
    assert extract_text("archief.zip", replace_parts(build_docx(), {}, drop=("word/document.xml", "[Content_Types].xml"))).filetype == "archive"


def test_office_file_without_extension_is_recognised_by_content():
    assert document_kind("DOC-20250311-WA0001", build_xlsx()) == "xlsx"
    assert "Vergunning aangevraagd" in extract_text("DOC-20250311-WA0001", build_xlsx()).text
    assert document_kind("bijlage", build_odt()) == "odf"


def test_long_text_is_truncated_and_flagged_in_linear_time():
    data = b" " * (MAX_TEXT + 1000) + b"x"
    start = time.monotonic()
    ex = extract_text("spaties.txt", data)
    assert time.monotonic() - start < 5
    assert ex.meta["truncated"] is True and ex.text == ""
    multibyte = "é".encode() * (MAX_TEXT // 2 + 10)
    ex = extract_text("lang.txt", multibyte)
    assert ex.meta["truncated"] is True and set(ex.text) == {"é"}


def test_helpers():
    assert filetype_of("x.DOCX") == "doc" and filetype_of("x.msg") == "email" and filetype_of("x") == "other"
    assert clean("a \t\r\n\r\n\r\n\u00a0\nb\u00a0c  \n") == "a\n\nb c"
    assert iso_time("2025-03-11T09:14:00Z") == "2025-03-11T09:14:00+00:00"
    assert iso_time("2025-07-01T12:00:00") == "2025-07-01T10:00:00+00:00"  # summer time in Amsterdam
    assert iso_time("gisteren") is None and iso_time("") is None


# --- arbitrary damage -------------------------------------------------------------------------

_BUILT: dict[str, bytes] = {}
_BUILDERS = {"a.docx": build_docx, "b.xlsx": build_xlsx, "c.pptx": build_pptx, "d.odt": build_odt, "e.ods": build_ods,
             "f.pdf": lambda: build_pdf(["Hallo wereld", ""], {"Author": "Jan", "CreationDate": "D:20250311"})}


def _built(name: str) -> bytes:
    if name not in _BUILT:
        _BUILT[name] = _BUILDERS[name]()
    return _BUILT[name]


def _assert_text_or_connector_error(name: str, data: bytes) -> None:
    try:
        ex = extract_text(name, data)
    except ConnectorError as e:
        assert e.reason and e.path == name
    else:
        assert isinstance(ex.text, str) and isinstance(ex.meta, dict)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(sorted(_BUILDERS)), st.data())
def test_damaged_documents_give_text_or_a_connector_error(name, data):
    """Mutate the XML inside a package (or the PDF bytes): never another exception."""
    doc = _built(name)
    if name.endswith(".pdf"):
        target = bytearray(doc)
    else:
        with zipfile.ZipFile(io.BytesIO(doc)) as zf:
            part = data.draw(st.sampled_from(sorted(n for n in zf.namelist() if n.endswith((".xml", ".rels")))))
            target = bytearray(zf.read(part))
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(target)))
        cut = data.draw(st.integers(0, 40))
        target[pos:pos + cut] = data.draw(st.binary(max_size=20) | st.sampled_from([b"<", b">", b"&", b'"', b"</w:p>", b"<a:p>", b"\xff\xfe"]))
    mutated = bytes(target) if name.endswith(".pdf") else replace_parts(doc, {part: bytes(target)})
    _assert_text_or_connector_error(name, mutated)


_UTF8_DECL = re.compile(rb"""encoding=(['"])UTF-8\1""", re.I)


def _bad_decl(raw: bytes) -> bytes:
    return _UTF8_DECL.sub(b"encoding='TF-8'", raw, count=1)


def test_a_part_declaring_an_unknown_encoding_is_a_connector_error():
    """Found by the property test above: an XML declaration naming an encoding Python does not know
    (``TF-8``: one byte cut) raised LookupError, which a chat medium would turn into the whole chat failing."""
    doc = _built("a.docx")
    with zipfile.ZipFile(io.BytesIO(doc)) as zf:
        app = zf.read("docProps/app.xml")
    broken = _bad_decl(app)
    assert broken != app
    _assert_text_or_connector_error("a.docx", replace_parts(doc, {"docProps/app.xml": broken}))
    for part in ("word/document.xml", "docProps/core.xml"):
        with zipfile.ZipFile(io.BytesIO(doc)) as zf:
            raw = zf.read(part)
        _assert_text_or_connector_error("a.docx", replace_parts(doc, {part: _bad_decl(raw)}))

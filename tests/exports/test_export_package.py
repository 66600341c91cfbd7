"""The disclosure package as a reader sees it: reopen every docx/xlsx and check what is shown."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import docx
import openpyxl
import pytest
from lxml import etree
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import KEPT, ORG, REDACTED, SECRET, documents, request_info  # noqa: E402

from exports import write_package  # noqa: E402
from exports.clean import audit  # noqa: E402
from woo_collector.errors import ExportError  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)
COLUMNS = ["ID", "Documentnummer", "Datum", "Omschrijving", "File type", "Familie", "Thread ID",
           "Beoordeling", "Beoordelingsgrond", "Toelichting", "Publieke link", "Publicatiecontext"]
DOCX_COLUMNS = COLUMNS[:-1]


@pytest.fixture(scope="module")
def package(tmp_path_factory):
    out = tmp_path_factory.mktemp("pkg") / "woo-2025-014"
    result = write_package(request_info(), documents(), out, organisation=ORG, tool_version="0.1.0", now=NOW)
    return out, result


def shown(run) -> str:
    """A run's text, with boxes as ⟦code⟧."""
    return f"⟦{run.text.strip()}⟧" if is_box(run) else run.text


def is_box(run) -> bool:
    shd = run._r.find(f"{W}rPr/{W}shd")
    color = run._r.find(f"{W}rPr/{W}color")
    return shd is not None and shd.get(f"{W}fill") == "000000" and color is not None and color.get(f"{W}val") == "FFFFFF"


def paragraphs(path: Path) -> list[tuple[str, str]]:
    d = docx.Document(str(path))
    return [(p.style.name, "".join(shown(r) for r in p.runs)) for p in d.paragraphs]


def bundle(out: Path) -> list[tuple[str, str]]:
    return paragraphs(out / "documenten" / "documenten-deel-01.docx")


def section(paras, nr: str) -> list[str]:
    """The paragraphs of one document in the bundle (after its heading, up to the next)."""
    start = paras.index(("Heading 1", f"Document {nr}"))
    out = []
    for style, text in paras[start + 1:]:
        if style == "Heading 1":
            break
        out.append(text)
    return out


def every_text(root: Path) -> list[tuple[str, str]]:
    """(file, text) of every file: Office XML parts with tags dropped, paragraphs joined without
    spaces between runs; independent of the leak guard's own reader."""
    out = []
    for path in sorted(root.rglob("*")):
        if not path.is_file():
            continue
        rel = path.relative_to(root).as_posix()
        out.append((rel, rel))
        if path.suffix in (".docx", ".xlsx"):
            with zipfile.ZipFile(path) as z:
                for name in z.namelist():
                    data = z.read(name)
                    if name.endswith((".xml", ".rels")):
                        root_el = etree.fromstring(data)
                        for p in root_el.iter(f"{W}p", "{*}si", "{*}c"):
                            out.append((f"{rel}:{name}", "".join(p.itertext())))
                        out.append((f"{rel}:{name}", " ".join(root_el.itertext())))
                        out.append((f"{rel}:{name}:raw", data.decode("utf-8")))
        elif path.suffix == ".pdf":  # poppler's text layer and the raw metadata, not the guard's pypdf text
            text = subprocess.run(["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True).stdout
            out.append((rel, text.decode("utf-8")))
            reader = PdfReader(path)
            out += [(f"{rel}:info {k}", str(v)) for k, v in (reader.metadata or {}).items()]
            xmp = reader.trailer["/Root"].get("/Metadata")
            if xmp is not None:
                out.append((f"{rel}:xmp", xmp.get_object().get_data().decode("utf-8")))
        else:
            out.append((rel, path.read_text(encoding="utf-8")))
    return out


# the bundle -------------------------------------------------------------------------------------

def test_documents_in_number_order_each_on_a_new_page(package):
    out, result = package
    assert sorted(p.name for p in (out / "documenten").iterdir() if p.suffix != ".pdf") == ["documenten-deel-01.docx"]
    d = docx.Document(str(out / "documenten" / "documenten-deel-01.docx"))
    headings = [p for p in d.paragraphs if p.style.name == "Heading 1"]
    assert [h.text for h in headings] == ["Document 1", "Document 1.1", "Document 2", "Document 3", "Document 5"]
    assert all(h.paragraph_format.page_break_before for h in headings)
    assert result.parts == 1


def test_mail_header_block_and_boxes(package):
    out, _ = package
    mail = section(bundle(out), "1")
    assert mail[:6] == [
        "Datum: 12 maart 2025 14:05",
        "Van: ⟦5.1.2e⟧",  # name and address: one box, no stray < > beside it
        "Aan: Karin Smit <k.smit@zaanstad.nl>",
        "CC: ⟦5.1.2e⟧",
        "Onderwerp: Windturbines Kraaiennest: gesprek met ⟦5.1.2e⟧",
        "Bijlagen: document 1.1",
    ]
    assert ("Ik sprak mevrouw ⟦5.1.2e⟧ (tel. ⟦5.1.2e⟧, BSN ⟦5.1.1e⟧) over de windturbines bij het "
            "Kraaiennest. Zij vraagt om een gesprek met burgemeester Jan Hamming.") in mail
    assert mail[-2:] == ["⟦5.1.2e⟧", "Tel. ⟦5.1.2e⟧"]


def test_box_is_real_text_of_fixed_length(package):
    out, _ = package
    d = docx.Document(str(out / "documenten" / "documenten-deel-01.docx"))
    boxes = [r for p in d.paragraphs for r in p.runs if is_box(r)]
    assert len(boxes) >= 15
    assert {r.text.strip() for r in boxes} == {"5.1.2e", "5.1.1e", "5.1.2e A", "5.1.2e B"}  # letters: chat authors
    # "Pieter van der Meulen" and "Anna de Boer" give boxes of the same length
    assert {len(r.text) for r in boxes} == {len("\u00a05.1.2e\u00a0"), len("\u00a05.1.2e A\u00a0")}
    assert all(r.bold for r in boxes)


def test_attachment_follows_its_mail(package):
    out, _ = package
    att = section(bundle(out), "1.1")
    assert att[:3] == ["Bestandsnaam: verslag-bewonersavond.pdf", "Datum: 12 maart 2025 14:05", "Bijlage bij: document 1"]
    assert "Aanwezig: ⟦5.1.2e⟧, ⟦5.1.2e⟧, burgemeester Jan Hamming." in att


def test_chat_reads_as_a_transcript(package):
    out, _ = package
    chat = section(bundle(out), "2")
    assert chat[:3] == ["Gesprek: Windpark overleg", "Deelnemers: ⟦5.1.2e A⟧, Karin Smit, ⟦5.1.2e B⟧", "Dag: vrijdag 14 maart 2025"]
    assert chat[-3:] == [  # redacted authors told apart: a letter per person
        "09:15  ⟦5.1.2e A⟧: Goedemorgen, de notitie over de turbines is klaar.",
        "09:17  Karin Smit: Dank! Kun je ⟦5.1.2e⟧ bellen op ⟦5.1.2e⟧?",
        "10:02  ⟦5.1.2e B⟧: Ik ben er vanmiddag.\nTot dan.",
    ]


def test_redacted_text_elsewhere_is_redacted_too(package):
    out, result = package
    planning = section(bundle(out), "3")
    # document 3 has no redactions of its own: the name and the phone in another notation go anyway
    assert "Fase 1: vergunning. Contactpersoon: ⟦5.1.2e⟧, ⟦5.1.2e⟧." in planning
    assert "Fase 2: bouw." in planning
    assert any("document 3" in w for w in result.warnings)


def test_withheld_absent_and_public_referenced(package):
    out, _ = package
    paras = bundle(out)
    text = "\n".join(t for _, t in paras)
    assert "Document 4" not in text and SECRET not in text and "grondaankoop" not in text
    assert section(paras, "5") == [
        "Document 5 is reeds openbaar en wordt daarom niet opnieuw verstrekt.",
        "Vindplaats: Gepubliceerd op https://www.zaanstad.nl/windturbines",
    ]
    assert "Deze brief staat al op de website." not in text


def test_no_redacted_text_in_any_file_and_kept_names_remain(package):
    out, _ = package
    texts = every_text(out)
    for needle in REDACTED:
        folded = needle.casefold()
        digits = re.sub(r"\D", "", needle)
        for where, text in texts:
            assert folded not in text.casefold(), f"{needle!r} found in {where}"
            if len(digits) >= 6 and not where.endswith(":raw"):
                assert digits not in re.sub(r"\D", "", text), f"digits of {needle!r} in {where}"
    bundle_text = "\n".join(t for _, t in bundle(out))
    for name in KEPT:
        assert name in bundle_text


# the inventory ----------------------------------------------------------------------------------

def test_inventory_xlsx(package):
    out, _ = package
    wb = openpyxl.load_workbook(out / "inventarislijst.xlsx")
    ws = wb["Inventarislijst"]
    rows = [[c.value for c in row] for row in ws.iter_rows()]
    assert rows[0] == COLUMNS
    assert [r[1] for r in rows[1:]] == ["1", "1.1", "2", "3", "4", "5"]
    by_nr = {r[1]: dict(zip(COLUMNS, r)) for r in rows[1:]}
    assert by_nr["1"]["Omschrijving"] == "Windturbines Kraaiennest: gesprek met [5.1.2e]"
    assert by_nr["1"]["Beoordelingsgrond"] == "5.1.2e;5.1.1e"
    assert by_nr["1"]["Datum"] == datetime(2025, 3, 12)  # a date-only cell, as the platform reads it
    assert ws["C2"].number_format == "DD-MM-YYYY"
    assert by_nr["1"]["ID"] == "2025014D0001" and by_nr["1.1"]["ID"] == "2025014D0001B01"
    assert by_nr["1.1"]["Familie"] == 1 and by_nr["1.1"]["Thread ID"] == 1  # threads numbered within the request
    assert by_nr["2"]["Thread ID"] == 2 and by_nr["3"]["Thread ID"] is None
    assert {r[11] for r in rows[1:]} == {"2025014"}
    assert by_nr["4"]["Beoordeling"] == "niet openbaar"
    assert by_nr["4"]["Omschrijving"] == "Vertrouwelijk: grondaankoop"
    assert by_nr["4"]["Toelichting"] == "Intern beraad over een lopende grondaankoop."
    assert by_nr["3"]["Beoordelingsgrond"] == "5.1.2e"  # boxed by the request-wide redaction
    assert by_nr["2"]["File type"] == "chat"
    assert all(r[10] in (None, "") for r in rows[1:])
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:L7"
    assert ws.column_dimensions["D"].width == 60
    assert wb.properties.creator == ORG and wb.properties.lastModifiedBy == ORG


def test_inventory_docx_table(package):
    out, _ = package
    d = docx.Document(str(out / "inventarislijst.docx"))
    table = d.tables[0]
    assert [c.text for c in table.rows[0].cells] == DOCX_COLUMNS
    assert [r.cells[1].text for r in table.rows[1:]] == ["1", "1.1", "2", "3", "4", "5"]
    assert table.rows[1].cells[3].text == "Windturbines Kraaiennest: gesprek met [5.1.2e]"
    assert table.rows[1].cells[2].text == "12 maart 2025"
    assert "Publicatiecontext: 2025014." in "\n".join(p.text for p in d.paragraphs)
    assert table.rows[0]._tr.find(f"{W}trPr/{W}tblHeader") is not None


# the letter ------------------------------------------------------------------------------------

def test_decision_letter(package):
    out, _ = package
    paras = paragraphs(out / "besluit-concept.docx")
    text = "\n".join(t for _, t in paras)
    headings = [t for s, t in paras if s == "Heading 1"]
    assert headings == ["1. Uw verzoek", "2. Procedure", "3. Besluit", "4. Zoekslag",
                        "5. Wettelijk kader en motivering", "6. Wijze van openbaarmaking", "7. Bezwaar", "Bijlagen"]
    assert "Aan: [naam verzoeker]" in text
    assert "Op 2 april 2025 hebben wij uw verzoek ontvangen" in text
    assert "eindigt op 30 april 2025" in text
    for line in ("geheel openbaar: 1", "gedeeltelijk openbaar (met gelakte passages): 3", "niet openbaar: 1",
                 "reeds openbaar (niet opnieuw verstrekt): 1"):
        assert line in text
    assert "Gezocht bij: Karin Smit en 1 medewerker" in text  # the redacted custodian counted, never boxed
    assert "Bronnen: e-mail van 1 medewerker; chatberichten van 1 medewerker; bestanden van 1 medewerker" in text
    assert "dubbele items verwijderd: 9" in text
    assert "5.1.2e: de eerbiediging van de persoonlijke levenssfeer" in text
    assert "artikel 5.1, eerste lid, aanhef en onder e, van de Woo" in text
    assert "Deze grond is toegepast in 4 documenten (1, 1.1, 2, 3)." in text
    assert "binnen zes weken" in text and "bezwaar maken bij het college van burgemeester en wethouders" in text
    d = docx.Document(str(out / "besluit-concept.docx"))
    terms = [[c.text for c in r.cells] for r in d.tables[0].rows]
    assert terms == [["Zoekterm", "Treffers vóór ontdubbeling", "Documenten na ontdubbeling"],
                     ["windturbine*", "14", "5"], ["Kraaiennest", "6", "3"]]


# clean files and the manifest -------------------------------------------------------------------

def test_office_files_are_clean(package):
    out, _ = package
    for path in [*out.glob("*.docx"), *out.glob("*.xlsx"), *(out / "documenten").glob("*.docx")]:
        assert audit(path, ORG) == []
        with zipfile.ZipFile(path) as z:
            names = z.namelist()
            assert not [n for n in names if n.startswith("customXml") or "comments" in n or "thumbnail" in n]
            core = z.read("docProps/core.xml").decode()
            assert "python-docx" not in core and "openpyxl" not in core
        if path.suffix == ".docx":
            cp = docx.Document(str(path)).core_properties
            assert (cp.author, cp.last_modified_by, cp.comments, cp.subject, cp.keywords) == (ORG, ORG, "", "", "")
            assert cp.title in ("Documenten 2025-014", "Woo-besluit 2025-014", "Inventarislijst 2025-014")


def test_manifest_hashes_match(package):
    out, result = package
    m = json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    assert m["request"]["id"] == "2025-014" and m["tool_version"] == "0.1.0"
    assert m["request"]["period"] == {"from": "2025-03-01", "to": "2025-03-31"}
    assert m["created"] == NOW.isoformat()
    files = sorted(p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file())
    assert sorted(m["files"]) == [f for f in files if f != "manifest.json"]
    for rel, digest in m["files"].items():
        assert hashlib.sha256((out / rel).read_bytes()).hexdigest() == digest
    assert result.files == {rel: hashlib.sha256((out / rel).read_bytes()).hexdigest() for rel in files}
    docs = {d["nr"]: d for d in m["documents"]}
    assert docs["2"]["items"][0] == {"id": "chat1", "sha256": f"{3:064x}", "locator": "regel 1"}
    assert docs["4"]["decision"] == "niet openbaar" and docs["1"]["grounds"] == ["5.1.2e", "5.1.1e"]


# options and the output folder ------------------------------------------------------------------

def test_parts_split_by_count_keep_families(tmp_path):
    out = tmp_path / "pkg"
    result = write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW, part_max_docs=2)
    names = sorted(p.name for p in (out / "documenten").iterdir() if p.suffix != ".pdf")
    assert names == ["documenten-deel-01.docx", "documenten-deel-02.docx", "documenten-deel-03.docx"]
    heads = [[t for s, t in paragraphs(out / "documenten" / n) if s == "Heading 1"] for n in names]
    assert heads == [["Document 1", "Document 1.1"], ["Document 2", "Document 3"], ["Document 5"]]
    assert result.parts == 3


def test_out_folder_rules(tmp_path):
    other = tmp_path / "other"
    other.mkdir()
    (other / "notes.txt").write_text("van iemand anders")
    with pytest.raises(ExportError, match="niet leeg"):
        write_package(request_info(), documents(), other, organisation=ORG, tool_version="t", now=NOW)
    assert (other / "notes.txt").exists()
    out = tmp_path / "pkg"
    write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW)
    (out / "oud.txt").write_text("van de vorige keer")
    with pytest.raises(ExportError, match="--replace"):  # the handler's work in it is never overwritten unasked
        write_package(request_info(), documents(), out, organisation=ORG, tool_version="t2", now=NOW)
    assert (out / "oud.txt").exists() and json.loads((out / "manifest.json").read_text())["tool_version"] == "t"
    result = write_package(request_info(), documents(), out, organisation=ORG, tool_version="t2", now=NOW, replace=True)
    assert not (out / "oud.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["tool_version"] == "t2"
    assert (result.previous / "oud.txt").read_text() == "van de vorige keer"  # moved aside, not deleted
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_diwoo_and_zip(tmp_path):
    out = tmp_path / "pkg"
    result = write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW,
                           diwoo=True, zip_=True)
    tree = etree.parse(str(out / "diwoo-metadata.xml"))
    ns = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "d": "https://standaarden.overheid.nl/diwoo/metadata/"}
    locs = tree.xpath("//s:url/s:loc/text()", namespaces=ns)
    assert "besluit-concept.docx" in locs and "documenten/2025014D0001.pdf" in locs  # a file per released document
    cats = tree.xpath("//d:informatiecategorie/@resource", namespaces=ns)
    assert set(cats) == {"https://identifier.overheid.nl/tooi/def/thes/kern/c_3baef532"}
    assert result.zip_path == tmp_path / "pkg.zip"
    with zipfile.ZipFile(result.zip_path) as z:
        assert "pkg/manifest.json" in z.namelist() and "pkg/diwoo-metadata.xml" in z.namelist()


def test_missing_originals_are_reported(tmp_path):
    store = tmp_path / "store"
    store.mkdir()
    for n in (1, 2, 3, 4, 5):  # the original of document 5 (sha 6) is missing
        (store / f"{n:064x}").write_bytes(b"x")
    result = write_package(request_info(), documents(), tmp_path / "pkg", organisation=ORG, tool_version="t",
                           now=NOW, original_path=lambda sha: store / sha)
    assert [w for w in result.warnings if "origineel" in w] == [f"origineel {6:064x}"[:22] + "… ontbreekt in de opslag"]

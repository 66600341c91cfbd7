"""The bundles as a reader pages through them: which document is this page, what is in this part,
who said what in a chat, and nothing odd beside a box."""

from __future__ import annotations

import re
import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, documents, item, request_info, utc  # noqa: E402

from exports import write_package  # noqa: E402
from exports.pdf import convert, soffice  # noqa: E402
from exports.render import Redactor, Run, tidy  # noqa: E402
from woo_collector.documents import Document, Redaction  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


def shown(p) -> str:
    out = []
    for r in p._p.iter(f"{W}r"):
        shd = r.find(f"{W}rPr/{W}shd")
        text = "".join(t.text or "" for t in r.iter(f"{W}t"))
        out.append(f"⟦{text.strip()}⟧" if shd is not None and shd.get(f"{W}fill") == "000000" else text)
    return "".join(out)


def write(tmp_path, docs=None, **kw):
    out = tmp_path / "pkg"
    write_package(request_info(), docs or documents(), out, organisation=ORG, tool_version="t", now=NOW, **kw)
    return out / "documenten" / "documenten-deel-01.docx"


def texts(path: Path) -> list[str]:
    return [shown(p) for p in docx.Document(str(path)).paragraphs]


def test_every_document_is_a_section_whose_header_names_it(tmp_path):
    d = docx.Document(str(write(tmp_path)))
    headers = [s.header.paragraphs[0].text for s in d.sections]
    assert headers == ["Woo-verzoek 2025-014 – documenten, deel 1"] + [
        f"Woo-verzoek 2025-014 – document {nr}" for nr in ("1", "1.1", "2", "3", "5")]
    assert not [p for p in d.paragraphs if p._p.xpath("./w:pPr/w:sectPr") and not p.text]  # no empty break lines


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_every_rendered_page_says_which_document_it_is(tmp_path):
    long_mail = replace(documents()[3], items=(replace(documents()[3].items[0], body="Regel van de planning.\n" * 160),))
    docs = documents()[:3] + [long_mail] + documents()[4:]
    pdf = convert([write(tmp_path, docs)])[0]
    pages = [p.extract_text() for p in PdfReader(pdf).pages]
    assert len(pages) >= 7  # the intro, five documents, document 3 over more than one page
    assert "documenten, deel 1" in pages[0]
    current = None
    for page in pages[1:]:
        m = re.search(r"Woo-verzoek 2025-014 – document ([\d.]+)", page)
        assert m, page[:200]
        heading = re.search(r"^Document ([\d.]+)$", page, re.M)
        if heading:
            current = heading.group(1)
        assert m.group(1) == current  # a page continuing document 3 still says document 3
    assert sum("document 3" in p for p in pages) >= 2


def test_each_part_opens_with_a_linked_table_of_contents(tmp_path):
    path = write(tmp_path)
    lines = texts(path)
    start = lines.index("Inhoud")
    assert lines[start + 1:start + 6] == [
        "Document 1  Windturbines Kraaiennest: gesprek met ⟦5.1.2e⟧",
        "Document 1.1  verslag-bewonersavond.pdf",
        "Document 2  Chat Windpark overleg, 14 maart 2025",
        "Document 3  planning-windturbines.docx",
        "Document 5  raadsinformatiebrief-windturbines.pdf",
    ]
    body = docx.Document(str(path)).element.body
    anchors = [h.get(f"{W}anchor") for h in body.iter(f"{W}hyperlink")]
    marks = [b.get(f"{W}name") for b in body.iter(f"{W}bookmarkStart")]
    assert anchors == marks == ["doc_1", "doc_1_1", "doc_2", "doc_3", "doc_5"]


def chat_day(nr: str, day: int, messages) -> Document:
    items = tuple(item(f"c{nr}-{i}", "chat", 30 + i, sent=utc(2025, 3, day, 8, i), sender=who, body=text,
                       subject="Windpark overleg", conversation="wa-windpark", meta=meta)
                  for i, (who, text, meta) in enumerate(messages))
    reds = tuple(Redaction(it.id, "sender", 0, len(it.sender), it.sender, "name", "5.1.2e", key=f"{it.id}-s")
                 for it in items if it.sender.startswith(("Pieter van der Meulen", "Jeroen Bakker")))
    return Document(nr, nr, "chat", "chat", items[0].sent, f"Chat Windpark overleg, {day} maart 2025", items,
                    thread="wa-windpark", decision="deels openbaar", grounds=("5.1.2e",), redactions=reds)


def test_redacted_chat_authors_keep_one_letter_per_person_in_the_whole_request(tmp_path):
    later = chat_day("6", 28, [("Jeroen Bakker", "Ik kom later.", {}), ("Pieter van der Meulen", "Prima.", {}),
                               ("Pieter van der Meulen <+31612345678>", "Per sms.", {})])
    lines = texts(write(tmp_path, documents() + [later]))
    assert "09:15  ⟦5.1.2e A⟧: Goedemorgen, de notitie over de turbines is klaar." in lines  # Pieter, document 2
    assert "09:00  ⟦5.1.2e B⟧: Ik kom later." in lines and "09:01  ⟦5.1.2e A⟧: Prima." in lines  # document 6
    assert "09:02  ⟦5.1.2e A⟧: Per sms." in lines  # the same person with a number beside the name
    assert "Deelnemers: ⟦5.1.2e B⟧, ⟦5.1.2e A⟧" in lines
    off = texts(write(tmp_path / "off", documents() + [later], author_letters=False))
    assert "09:00  ⟦5.1.2e⟧: Ik kom later." in off and not any("5.1.2e A" in t for t in off)


def test_system_lines_and_media_are_said_in_words(tmp_path):
    day = chat_day("6", 28, [
        ("", "Berichten en gesprekken worden end-to-end versleuteld.", {"event": "encryption"}),
        ("Karin Smit", "IMG-20250328-WA0001.jpg (bestand bijgevoegd)", {"media": [{"name": "IMG-20250328-WA0001.jpg"}],
                                                                    "media_referenced": ["IMG-20250328-WA0001.jpg"]}),
        ("Karin Smit", "<Media weggelaten>", {"media": [], "media_referenced": [], "media_omitted": True}),
    ])
    lines = texts(write(tmp_path, documents() + [day]))
    assert "09:00  systeembericht: Berichten en gesprekken worden end-to-end versleuteld." in lines
    assert "09:01  Karin Smit: [afbeelding, apart beoordeeld]" in lines
    assert "09:02  Karin Smit: [bijlage, niet in de chatexport]" in lines
    assert not any("onbekend:" in t or "<Media" in t for t in lines)


def test_no_stray_brackets_beside_a_box():
    assert tidy([Run("Van: "), Run("Pieter", "5.1.2e"), Run(" <"), Run("p@x.nl", "5.1.2e"), Run(">")]) == \
        [Run("Van: "), Run("Pieter p@x.nl", "5.1.2e")]
    assert tidy([Run("bel ("), Run("06-1", "5.1.2e"), Run(") nu")]) == [Run("bel "), Run("06-1", "5.1.2e"), Run(" nu")]
    assert tidy([Run("x "), Run("a", "5.1.1e"), Run(" "), Run("b", "5.1.2e")]) == [Run("x "), Run("a b", "5.1.1e; 5.1.2e")]
    # a line end between two boxes stays
    assert tidy([Run("a", "5.1.2e"), Run("\n"), Run("b", "5.1.2e")]) == [Run("a", "5.1.2e"), Run("\n"), Run("b", "5.1.2e")]
    lines = list(texts_for_corpus())
    assert not [t for t in lines if re.search(r"[<(\[]\s*⟦|⟧\s*[>)\]]", t)]


def texts_for_corpus():
    docs = documents()
    r = Redactor(docs)
    for d in docs:
        for it in d.items:
            for f, value in (("sender", it.sender), ("recipients", "; ".join(it.recipients)), ("cc", "; ".join(it.cc))):
                yield "".join(f"⟦{x.ground}⟧" if x.box else x.text for x in r.runs(value, it.id, (f,)))

"""The draft decision letter as a reader sees it: what a handler found wrong in the demo's draft."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, documents, request_info  # noqa: E402

from exports.decision import query_in_words, write_letter  # noqa: E402
from exports.inventory import grounds_of, rows  # noqa: E402
from exports.render import Redactor  # noqa: E402

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


def letter(tmp_path, info=None, docs=None):
    docs = documents() if docs is None else docs
    path = write_letter(tmp_path / "besluit-concept.docx", info or request_info(), docs, Redactor(docs), ORG, NOW, [])
    d = docx.Document(str(path))
    return d, "\n".join(p.text for p in d.paragraphs)


def test_the_title_never_breaks_inside_the_request_id(tmp_path):
    d, text = letter(tmp_path, replace(request_info(), id="WOO-2025-001"))
    title = next(p for p in d.paragraphs if p.style.name == "Title")
    shown = "".join(t.text for t in title._p.iter(f"{W}t"))
    assert "-" not in shown.replace("Woo-verzoek", "")  # the id's hyphens are not breakable text hyphens
    assert len(title._p.findall(f".//{W}noBreakHyphen")) == 2
    assert title.text == "Besluit op Woo-verzoek WOO-2025-001"
    assert "Ons kenmerk: WOO-2025-001" in text


def test_a_subject_that_says_documents_is_not_said_twice(tmp_path):
    _, text = letter(tmp_path, replace(request_info(), subject="alle documenten over de windturbines bij het Kraaiennest"))
    assert "U vraagt om openbaarmaking van alle documenten over de windturbines bij het Kraaiennest." in text
    assert "documenten over: alle documenten" not in text
    _, text = letter(tmp_path, replace(request_info(), subject="de windturbines"))
    assert "openbaarmaking van documenten over: de windturbines." in text


def test_sources_are_described_by_kind_and_role_never_by_name(tmp_path):
    info = replace(request_info(), sources=("mail-pieter", "whatsapp-pieter", "gedeelde-schijf"),
                   searched=(("email", "Pieter van der Meulen"), ("email", "Karin Smit"), ("whatsapp", "Pieter van der Meulen"),
                             ("file", "Afdeling Ruimte")))
    d, text = letter(tmp_path, info)
    line = next(p.text for p in d.paragraphs if p.text.startswith("Bronnen:"))
    assert line == "Bronnen: e-mail van Karin Smit en 1 medewerker; WhatsApp-berichten van 1 medewerker; bestanden van Afdeling Ruimte"
    assert "mail-" not in text and "whatsapp-pieter" not in text
    gezocht = next(p.text for p in d.paragraphs if p.text.startswith("Gezocht bij:"))
    assert gezocht == "Gezocht bij: Karin Smit en 1 medewerker"  # the redacted custodian is counted, not boxed


def test_without_a_recorded_search_the_sources_are_read_off_the_documents(tmp_path):
    d, _ = letter(tmp_path)
    line = next(p.text for p in d.paragraphs if p.text.startswith("Bronnen:"))
    assert "5.1.2e" not in line and line.startswith("Bronnen: e-mail van 1 medewerker")


def test_the_query_is_listed_in_words(tmp_path):
    _, text = letter(tmp_path)
    assert "Zoektermen: woorden die beginnen met “windturbine” of Kraaiennest" in text
    assert " OR " not in text
    assert query_in_words("windturbines OR windpark OR Kraaiennest OR geluidsonderzoek") == \
        "windturbines, windpark, Kraaiennest of geluidsonderzoek"
    assert query_in_words('"windpark kraaiennest" NOT geluid') == "“windpark kraaiennest” niet geluid"
    assert query_in_words("(a OR b) AND subject:c") == "(a of b) en c in het onderwerp"


def test_objection_goes_to_the_competent_body(tmp_path):
    _, text = letter(tmp_path)
    assert "bezwaar maken bij het college van burgemeester en wethouders." in text
    _, text = letter(tmp_path, replace(request_info(), competent_body="de minister van Infrastructuur en Waterstaat"))
    assert "bezwaar maken bij de minister van Infrastructuur en Waterstaat." in text


def test_an_empty_request_is_worded_as_one(tmp_path):
    _, text = letter(tmp_path, docs=[])
    assert "Wij hebben geen documenten gevonden die onder uw verzoek vallen." in text
    assert "0 documenten" not in text and ": 0" not in text and "Daarvan" not in text
    _, one = letter(tmp_path, docs=documents()[3:4])
    assert "Wij hebben 1 document gevonden dat onder uw verzoek valt." in one


def test_already_assessed_documents_in_good_dutch(tmp_path):
    docs = documents()
    dub = replace(docs[4], decision="niet openbaar", grounds=("dubbel",), note="")
    _, text = letter(tmp_path, docs=docs[:4] + [dub, docs[5]])
    assert "Document 4 is al beoordeeld als onderdeel van een ander document" in text
    second = replace(docs[5], nr="6", family="6", decision="niet openbaar", grounds=("dubbel",), note="")
    _, text = letter(tmp_path, docs=docs[:4] + [dub, docs[5], second])
    assert "De documenten 4 en 6 zijn al beoordeeld" in text


def test_a_handlers_withheld_or_double_document_keeps_the_handlers_grounds(tmp_path):
    docs = documents()
    withheld = replace(docs[0], decision="niet openbaar", grounds=("5.1.2i",))  # it still holds proposed 5.1.2e boxes
    double = replace(docs[2], decision="niet openbaar", grounds=("dubbel",))
    docs = [withheld, docs[1], double] + docs[3:]
    assert grounds_of(withheld) == ["5.1.2i"] and grounds_of(double) == ["dubbel"]
    by_nr = {r["Documentnummer"]: r for r in rows("2025-014", docs, Redactor(docs))}
    assert by_nr["1"]["Beoordelingsgrond"] == "5.1.2i" and by_nr["2"]["Beoordelingsgrond"] == "dubbel"
    _, text = letter(tmp_path, docs=docs)
    assert "Deze grond is toegepast in 1 document (1.1)." in text  # 5.1.2e: not in 1 or 2
    # a withheld document the handler gave no ground keeps those of its proposals: never a row without one
    bare = replace(documents()[0], decision="niet openbaar", grounds=())
    assert grounds_of(bare) == ["5.1.2e", "5.1.1e"]

"""Detector tables: text -> expected (category, text) findings, near misses included."""

from __future__ import annotations

import dataclasses

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.nl import bsn as stdnum_bsn

from woo_collector.redaction import Analyzer, Finding, Policy
from woo_collector.redaction.recognizers import (
    BsnRecognizer,
    Context,
    EmailRecognizer,
    IbanRecognizer,
    PhoneRecognizer,
)

ANALYZER = Analyzer(Policy(org_domains=("dijkstad.nl",), keep_numbers=("0299 450 000",)))


def found(text: str, category: str | None = None) -> list[tuple[str, str]]:
    return [(f.category, f.text) for f in ANALYZER.analyze(text) if category in (None, f.category)]


TABLE = [
    # e-mail
    ("Mail mij op jan.smit@gmail.com graag.", "email", ["jan.smit@gmail.com"]),
    ("Stuur het naar info@dijkstad.nl of woo@dijkstad.nl.", "email", []),
    ("Van noreply@bol.com en secretariaat@bedrijf.nl", "email", []),
    ("Cc: p.devries@dijkstad.nl, vergunningen@dijkstad.nl", "email", ["p.devries@dijkstad.nl"]),
    # phone
    ("Bel 06-12345678 of 06 1234 5678.", "phone", ["06-12345678", "06 1234 5678"]),
    ("Vast: 020-1234567, ook 0201234567.", "phone", ["020-1234567", "0201234567"]),
    ("Mobiel +31 6 12345678 of +31 (0)6 1234 5678.", "phone", ["+31 6 12345678", "+31 (0)6 1234 5678"]),
    ("Internationaal 0031 20 123 4567 en +44 7911 123456.", "phone", ["0031 20 123 4567", "+44 7911 123456"]),
    ("Tel. (020) 123 4567", "phone", ["(020) 123 4567"]),
    ("Algemeen nummer 0299 450 000, servicenummer 0800-1234 en 0900-8844.", "phone", []),
    ("Datum 12-03-2024 10:15, zaak Z-2024-004512, 12 minuten.", "phone", []),
    ("Ongeldig: 06-1234", "phone", []),
    # BSN
    ("BSN 111222333 van de aanvrager", "bsn", ["111222333"]),
    ("burgerservicenummer: 1112.22.333", "bsn", ["1112.22.333"]),
    ("BSN 111222334 (typefout)", "bsn", []),
    ("BSN 123456789", "bsn", []),
    ("Factuurnummer 111222333 betaald", "bsn", []),
    # IBAN
    ("Rekening NL91ABNA0417164300 t.n.v. de heer", "iban", ["NL91ABNA0417164300"]),
    ("IBAN NL91 ABNA 0417 1643 00.", "iban", ["NL91 ABNA 0417 1643 00"]),
    ("iban nl91abna0417164300", "iban", ["nl91abna0417164300"]),
    ("IBAN NL91ABNA0417164301 klopt niet", "iban", []),
    ("Duits: DE89 3704 0044 0532 0130 00", "iban", ["DE89 3704 0044 0532 0130 00"]),
    # postcode and address
    ("Zij woont op de Kerkstraat 12a, 1234 AB Utrecht.", None, [("address", "Kerkstraat 12a"), ("postcode", "1234 AB")]),
    ("Adres: Burgemeester de Withstraat 5-2", "address", ["Burgemeester de Withstraat 5-2"]),
    ("Het stadhuis staat op het Stadhuisplein 1, 1441 CM Dijkstad.", None, []),
    ("Ons kantoor is gevestigd aan de Industrieweg 45, 1521 ND Wormerveer.", None, []),
    ("De turbine levert 4200 KW aan de Kerkstraat.", None, []),
    ("postcode 1441 SA bestaat niet", "postcode", []),
    # plates
    ("Kenteken 34-KLB-7 en GF-276-J", "plate", ["34-KLB-7", "GF-276-J"]),
    ("Auto AB-12-34, code 12-34-56 en ABC-DEF", "plate", ["AB-12-34"]),
    ("Datum 12-03-24", "plate", []),
    # birthdate
    ("geboren op 7 maart 1979 in Zwolle", "birthdate", ["7 maart 1979"]),
    ("Geboortedatum: 23-09-1990", "birthdate", ["23-09-1990"]),
    ("De vergadering is op 23-09-1990 gehouden.", "birthdate", []),
    # ip
    ("Inlog vanaf 185.107.56.23 en 2a02:a45e:1c2:0:d8f1:a2ff:fe3b:6c1d", "ip",
     ["185.107.56.23", "2a02:a45e:1c2:0:d8f1:a2ff:fe3b:6c1d"]),
    ("Server 10.12.4.33 en versie 1.2.3.400", "ip", []),
    # url
    ("Profiel: https://www.linkedin.com/in/julia-nowak-3b8a21.", "url", ["https://www.linkedin.com/in/julia-nowak-3b8a21"]),
    ("Zie https://www.dijkstad.nl/windturbines voor meer.", "url", []),
    ("https://mijn.dijkstad.nl/dossier?bsn=111222333", "url", ["https://mijn.dijkstad.nl/dossier?bsn=111222333"]),
    # special categories
    ("Hij heeft een burn-out en zit in de ziektewet.", "special", ["burn-out", "ziektewet"]),
    ("Zij is lid van de moskeevereniging.", "special", ["moskeevereniging"]),
]


@pytest.mark.parametrize("text,category,expected", TABLE)
def test_detector_table(text, category, expected):
    got = found(text, category)
    if category is not None:
        got = [t for _, t in got]
    assert got == expected


NAME_TABLE = [
    ("Beste Sanne,\n\nDank voor je bericht.", ["Sanne"]),
    ("Hoi Pieter, kun je bellen?", ["Pieter"]),
    ("Met vriendelijke groet,\n\nPieter van der Meulen\nBeleidsadviseur", ["Pieter van der Meulen"]),
    ("Gisteren belde mevrouw Jansen over de overlast.", ["Jansen"]),
    ("Ik sprak dhr. R. Sewdien en mw. G. Verhagen-Smits.", ["R. Sewdien", "G. Verhagen-Smits"]),
    ("De heer Van der Linden en de familie Ter Horst.", ["Van der Linden", "Ter Horst"]),
    ("Overleg met Fatma Yılmaz en Mohamed El Amrani.", ["Fatma Yılmaz", "Mohamed El Amrani"]),
    ("Agnieszka Kowalski en Piotr Wiśniewski wonen daar.", ["Agnieszka Kowalski", "Piotr Wiśniewski"]),
    ("[12-03-2024 09:14:02] Sanne de Boer: goedemorgen", ["Sanne de Boer"]),
    ("12-03-2024 18:02 - Marco Jansen: hoe laat?", ["Marco Jansen"]),
    ("Wim de Groot (14:22): auto staat er weer", ["Wim de Groot"]),
    ("bram: heb je het gezien?\nkevin: nee", ["bram", "kevin"]),
    ("ik denk dat kevin zei dat het klopt", ["kevin"]),
    ("jessica van dam belde weer", ["jessica van dam"]),
    ("Den Haag. De Koning opende het gebouw.", []),
    ("Gemeente Dijkstad, Raad van State en de Omgevingsdienst.", []),
    ("Maandag overleg in Buurthuis De Boog en Dorpshuis De Kern.", []),
    ("De offerte van Groenbedrijf Van der Linden is binnen.", []),
    ("Een roos voor de wil van Storm.", []),
    ("Geachte heer, mevrouw,\n\nHierbij mijn klacht.", []),
    ("Medewerker Openbare Orde en Veiligheid", []),
    # issue 13: name position decides, not the list; particles in both cases; "Word van X" is no name
    ("Kamerlid Yves Leterme zei het.", ["Yves Leterme"]),
    ("Volgens Alain Hubert is het zo.", ["Alain Hubert"]),
    ("Het plan van Luc Van den Bossche en Vincent De Poortere.", ["Luc Van den Bossche", "Vincent De Poortere"]),
    ("DOOR GUY VERHOFSTADT\n\nBRUSSEL - Het kabinet valt.", ["GUY VERHOFSTADT"]),
    ("De minister van Financiën was bij de Spelen van Sydney.", []),
    ("Met vriendelijke groet,\n\nNadia Bouzid\nMedewerker Openbare Orde en Veiligheid", ["Nadia Bouzid"]),
    ("De omzet van elke onderneming steeg.", []),
    # a salutation, a form of address and a signature are name positions: a place there is a name
    ("Beste Els Sydney,\n\nHoe gaat het?", ["Els Sydney"]),
    ("Beste Sydney Jansen,", ["Sydney Jansen"]),
    ("Geachte mevrouw Sydney,", ["Sydney"]),
    ("Ik sprak dhr. Lode Parijs en mevr. Brussel.", ["Lode Parijs", "Brussel"]),
    ("Met vriendelijke groet,\n\nYanka Londen\nAdviseur", ["Yanka Londen"]),
    ("Beste Hotel Sydney,\n\nIk woon in Gent.", []),
    ("Met vriendelijke groet,\n\nGemeente Sydney", []),
    # news text: a function or a reporting word next to a lone surname makes it a name, whatever the lists
    ("De Servische premier Djindjic wil hervormingen.", ["Djindjic"]),
    ("De uitlevering van ex-president Milosevic is rond.", ["Milosevic"]),
    ("PvdA-fractievoorzitter Den Uyl heeft op de druk gehamerd.", ["Den Uyl"]),
    ("Hoewel bakker Darding toegeeft dat hij in spanning leefde.", ["Darding"]),
    ("Volgens Schiller moet het anders.", ["Schiller"]),
    ("Verkiezingen lossen niets op, vindt Djindjic.", ["Djindjic"]),
    ("Toen Kostunica zei dat het kon, was het stil.", ["Kostunica"]),
    ("Tegelijkertijd kreeg Ben Korsten een brief.", ["Ben Korsten"]),
    ("Hoe kwam Ayrton Senna om het leven?", ["Ayrton Senna"]),
    ("Gisteren spraken Pieter Jansen en Brongersma elkaar.", ["Pieter Jansen", "Brongersma"]),
    ("Coach Jan Bruin van Rotterdam-Zuid kon het niet verhelen.", ["Jan Bruin"]),
    ("De dood van haar vader bracht Sissy van Alebeek terug. Van Alebeek won de sprint.", ["Sissy van Alebeek", "Van Alebeek"]),
    ("Als Singelsma zou overstappen, is dat jammer.", ["Singelsma"]),
    ("Welk ballet van Tsjaikovski is dat?", ["Tsjaikovski"]),
    ("Schuitemaker en ik zijn het eens.", ["Schuitemaker"]),
    ("Jan, doe jij de deur dicht?", ["Jan"]),
    ("Het Orchestra speelde en Amsterdam en ik keken.", []),
    ("Hoe kwam Frederick West om het leven?", ["Frederick West"]),
    ("Ik ging met Peter Gemeente Dijkstad bellen.", []),
    ("Een artikel in Publik, schrijver: Victo Conzemius.", ["Victo Conzemius"]),
    ("Hoeveel pagina's telt Albert Einsteins oudste manuscript?", ["Albert Einsteins"]),
    ("Ik haal het bij de Albert Heijn.", []),
    # ... but not a department after a function, an agency after a reporting word, a weekday or a shop
    ("Beleidsadviseur Ruimte\nGemeente Dijkstad", []),
    ("Ik sprak gisteren de adviseur Bedrijfsvoering.", []),
    ("Volgens Reuters is het zo.", []),
    ("Thanks, Tuesday works for me.", []),
    ("Hoveniersbedrijf De Groene Vingers vraagt 52.000 euro.", []),
    ("Het kabinet zei dat het goed ging.", []),
    ("De kust van Kenia en Tanzania is lang.", []),
]


@pytest.mark.parametrize("text,expected", NAME_TABLE)
def test_name_table(text, expected):
    assert [t for _, t in found(text, "name")] == expected


def test_findings_explain_themselves():
    f = next(f for f in ANALYZER.analyze("BSN: 111222333") if f.category == "bsn")
    assert f.ground == "5.1.1e" and f.recognizer == "bsn"
    assert "validation passed" in f.explanation and "'BSN'" in f.explanation
    assert f.score == 1.0
    s = next(f for f in ANALYZER.analyze("Hij is overspannen.") if f.category == "special")
    assert not s.suggestion_only and s.ground == "5.1.1d"  # an absolute ground: applied by default (issue 13)


def test_recognizers_never_edit_text_and_findings_do_not_overlap():
    text = "Van: Pieter van der Meulen <p.vandermeulen@gmail.com>\nBSN 111222333, tel 06-12345678."
    findings = ANALYZER.analyze(text)
    assert all(text[f.start:f.end] == f.text for f in findings)
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))


def test_single_recognizers_direct():
    ctx = Context(policy=Policy())
    assert [f.text for f in BsnRecognizer().analyze("bsn 111222333 en 111222334", ctx)] == ["111222333"]
    assert IbanRecognizer().analyze("NL91ABNA0417164301", ctx) == []
    assert [f.text for f in PhoneRecognizer().analyze("tel 06-12345678", ctx)] == ["06-12345678"]
    assert EmailRecognizer().analyze("info@example.org", ctx) == []


def test_finding_is_frozen_and_checked():
    f = Finding(0, 3, "abc", "name", "5.1.2e", 0.9, "x")
    with pytest.raises(dataclasses.FrozenInstanceError):
        f.start = 1
    with pytest.raises(ValueError):
        Finding(0, 3, "abc", "nonsense", "5.1.2e", 0.9, "x")


bsn_numbers = st.integers(min_value=10_000_000, max_value=999_999_999).map(lambda n: f"{n:09d}")


def _with_check_digit(first8: int) -> str:
    """Complete eight digits to a number passing the elfproef (check digit 10 is impossible)."""
    digits = f"{first8:08d}"
    check = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True)) % 11
    return digits + str(check) if check < 10 else ""


valid_bsns = st.integers(min_value=1_000_000, max_value=99_999_999).map(_with_check_digit).filter(bool)


@settings(max_examples=200, deadline=None)
@given(number=valid_bsns,
       lead=st.sampled_from(["BSN", "bsn:", "Burgerservicenummer", "BSN-nummer", "sofinummer"]),
       before=st.sampled_from(["", "Gegevens van de klant. ", "Hallo,\n"]),
       after=st.sampled_from(["", ".", " graag controleren.", ", dank"]))
def test_generated_valid_bsn_is_always_found(number, lead, before, after):
    assert stdnum_bsn.is_valid(number)
    text = f"{before}{lead} {number}{after}"
    assert ("bsn", number) in found(text, "bsn")


@settings(max_examples=100, deadline=None)
@given(number=bsn_numbers.filter(lambda n: not stdnum_bsn.is_valid(n)))
def test_generated_invalid_bsn_is_never_a_bsn(number):
    assert found(f"BSN {number}", "bsn") == []


pieces = st.sampled_from(["Pieter", "van der", "Meulen", "mevrouw", "BSN", "111222333", "06-12345678", "@", ".",
                          "NL91ABNA0417164300", "Kerkstraat", "12", "1234 AB", "\n", " ", ":", "Beste", "sanne",
                          "[12-03-2024 09:14]", "geboren", "01-02-1990", "(", ")", "İ", "ß", "Öztürk", "-", "'s"])


@settings(max_examples=150, deadline=None)
@given(parts=st.lists(st.one_of(pieces, st.text(max_size=8)), max_size=40))
def test_analyzer_never_crashes_and_findings_are_consistent(parts):
    text = " ".join(parts)
    findings = ANALYZER.analyze(text)
    assert all(text[f.start:f.end] == f.text and f.start < f.end for f in findings)
    assert all(a.end <= b.start for a, b in zip(findings, findings[1:], strict=False))


def test_a_capital_dotted_i_keeps_lower_case_names_in_place():
    """"İ" lowers to two characters; in NFD it is two characters that NFC joins: spans stay right."""
    import unicodedata

    for text in ("İlknur belde, sanne zei ja.", unicodedata.normalize("NFD", "İlknur belde, sanne zei ja.")):
        names = [f for f in ANALYZER.analyze(text) if f.category == "name"]
        assert "sanne" in [text[f.start:f.end] for f in names]
        assert all(text[f.start:f.end] == f.text for f in names)

"""Propagation: a name redacted once is redacted in every form across the whole request."""

from __future__ import annotations

import pytest

from woo_collector.redaction import (
    Analyzer,
    Policy,
    Propagator,
    name_variants,
    split_name,
)

MAIL_BODY = """Van: Sanne de Boer <s.deboer@dijkstad.nl>
Aan: woo@dijkstad.nl
Onderwerp: Geluidsmeting

Beste collega's,

Gisteren belde de heer Pieter van der Meulen uit de Populierenlaan over de turbines.

Groet,
Sanne"""
OTHER_DOC = "Notitie: de geluidsmeting is verplaatst naar donderdag in het Dorpshuis De Kern."
CHAT = """[14-03-2024 10:02] Sanne de Boer: heb je p.j. van der meulen nog teruggebeld?
[14-03-2024 10:05] Bram Hendriks: ja, pieter was rustig. van der meulens buren klagen ook"""
HEADER = """Van: pvdmeulen@ziggo.nl
Aan: klachten@dijkstad.nl
Onderwerp: nogmaals de turbines"""


def test_name_variants_cover_the_usual_forms():
    v = name_variants("Pieter van der Meulen")
    for form in ("Pieter van der Meulen", "P. van der Meulen", "van der Meulen", "Van der Meulen", "Pieter",
                 "p.vandermeulen", "pieter.vandermeulen", "pvdmeulen", "pvandermeulen"):
        assert form in v, form
    assert "Meulen" not in v and "van" not in v


def test_split_name_handles_initials_nicknames_and_particles():
    p = split_name("J.A.M. (Johannes) Verhagen")
    assert (p.initials, p.given, p.tv, p.surname) == ("J.A.M.", ("Johannes",), "", "Verhagen")
    p = split_name("Tineke van 't Hof")
    assert (p.given, p.tv, p.surname) == (("Tineke",), "van 't", "Hof")
    p = split_name("Mohamed El Amrani")
    assert (p.given, p.tv, p.surname) == (("Mohamed",), "El", "Amrani")


def test_name_redacted_in_mail_is_redacted_two_documents_later():
    prop = Propagator()
    analyzer = Analyzer(Policy(org_domains=("dijkstad.nl",)), propagator=prop)
    first = analyzer.analyze(MAIL_BODY)
    assert any(f.text == "Pieter van der Meulen" and f.category == "name" for f in first)
    assert not [f for f in analyzer.analyze(OTHER_DOC) if f.category == "name"]
    chat = analyzer.analyze(CHAT)
    texts = {f.text for f in chat if f.category == "name"}
    assert "p.j. van der meulen" in texts
    assert "pieter" in texts
    assert "van der meulens" in texts
    header = analyzer.analyze(HEADER)
    mail = [f for f in header if f.text == "pvdmeulen@ziggo.nl"]
    assert mail and mail[0].category == "email"


def test_propagator_alone_finds_initials_form_and_mail_address():
    prop = Propagator()
    prop.learn(Analyzer().analyze(MAIL_BODY))
    found = {(f.category, f.text, f.recognizer) for f in prop.apply(CHAT + "\n" + HEADER)}
    assert ("name", "p.j. van der meulen", "propagation") in found
    assert ("email", "pvdmeulen@ziggo.nl", "propagation") in found
    assert all("redacted elsewhere" in f.explanation for f in prop.apply(HEADER))


def test_possessive_and_case():
    prop = Propagator()
    prop.add("Pieter van der Meulen")
    texts = [f.text for f in prop.apply("Pieters fiets en VAN DER MEULEN zelf; P. van der Meulen tekende.")]
    assert "Pieters" in texts and "VAN DER MEULEN" in texts and "P. van der Meulen" in texts


def test_words_that_are_also_names_only_match_capitalised():
    prop = Propagator()
    prop.add("Kees Roos")
    texts = [f.text for f in prop.apply("Een roos voor Roos, zei Kees.")]
    assert texts.count("Roos") == 1 and "roos" not in texts and "Kees" in texts


def test_kept_names_are_never_learned():
    prop = Propagator()
    analyzer = Analyzer(Policy(keep=("Marieke Hoogland",)), propagator=prop)
    analyzer.analyze("Beste Marieke,\n\nOverleg met burgemeester Marieke Hoogland en Henk Brouwer.")
    assert "henk brouwer" in prop.people
    assert not any("hoogland" in k or "marieke" in k for k in prop.people)
    assert not prop.apply("Hoogland zei het, Marieke ook.")


def test_analyze_many_finds_later_names_in_earlier_documents():
    docs = ["jullie hebben toch met vandijk gemaild?", "Groet,\nKees van Dijk"]
    results = Analyzer().analyze_many(docs)
    assert [f.text for f in results[0] if f.category == "name"] == ["vandijk"]
    assert [f.text for f in results[1] if f.category == "name"] == ["Kees van Dijk"]


def test_many_learned_names_use_the_automaton_and_still_match():
    people = [f"{f} {s}" for f, s in zip(["Anna", "Bram", "Cem", "Dewi", "Emre", "Fenna", "Gijs", "Hatice",
                                          "Ilse", "Jurgen", "Karim", "Lotte"],
                                         ["Aksoy", "Brink", "Celik", "Dekker", "Erdogan", "Feenstra", "Groen",
                                          "Hamdaoui", "Idrissi", "Jonker", "Kuipers", "Lammers"], strict=True)]
    prop = Propagator()
    for p in people:
        prop.add(p)
    text = " / ".join(f"{p.split()[0][0]}. {p.split()[1]}" for p in people) + " en lotte zei het"
    found = [f.text for f in prop.apply(text)]
    assert all(f"{p.split()[0][0]}. {p.split()[1]}" in found for p in people)
    assert "lotte" in found


def test_propagation_never_spreads_a_lower_case_common_word():
    """A wrong capitalised candidate ("Omzet Winst") must not box every "omzet" and "winst"; a listed
    given name or surname is still found in lower case (chat writing)."""
    prop = Propagator()
    prop.add("Omzet Winst")
    prop.add("Sanne Visser")
    texts = [f.text for f in prop.apply("De omzet en de winst stegen; Winst zelf niet. sanne en visser wel.")]
    assert "omzet" not in texts and "winst" not in texts
    assert "Winst" in texts and "sanne" in texts and "visser" in texts


@pytest.mark.parametrize("form, lenient, capital", [
    ("Windturbines", False, True),   # no name list has it: "de geplande windturbines" is the word
    ("Roos", False, True), ("Roos", True, True),   # an ordinary word in either case
    ("Jansen", False, False), ("Pieter", False, False),   # listed names: any case
    ("Windturbines", True, False),   # a person named by the source, written in lower case in a chat
])
def test_which_one_word_forms_count_only_capitalised(form, lenient, capital):
    from woo_collector.redaction.propagation import capital_only

    assert capital_only(form, lenient) is capital
    prop = Propagator(lenient=lenient)
    prop.add(form)
    text = f"Over {form.lower()} en {form}."
    assert [f.text for f in prop.apply(text)] == ([form] if capital else [form.lower(), form])

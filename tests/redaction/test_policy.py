"""The handler's policy: kept office holders, always-redacted terms, mailboxes, general numbers."""

from __future__ import annotations

import pytest

from woo_collector.redaction import Analyzer, Policy, normalise_ground


def names(analyzer: Analyzer, text: str) -> list[str]:
    return [f.text for f in analyzer.analyze(text) if f.category == "name"]


def test_kept_office_holder_never_redacted_in_any_form():
    a = Analyzer(Policy(keep=("Marieke Hoogland", "Jan van der Laan")))
    text = ("Burgemeester Marieke Hoogland opende. Mevrouw Hoogland sprak met M. Hoogland en "
            "wethouder Van der Laan; Jan van der Laan en ambtenaar Pieter Smit luisterden. "
            "burgemeester hoogland tekende.")
    assert names(a, text) == ["Pieter Smit"]


def test_known_participant_on_keep_list_is_not_redacted():
    a = Analyzer(Policy(keep=("Erik Staal",)), known_people=("Erik Staal <e.staal@dijkstad.nl>", "Sanne de Boer"))
    found = {(f.category, f.text) for f in a.analyze("Van: Erik Staal <e.staal@dijkstad.nl>\nAan: Sanne de Boer\n\nErik")}
    assert ("name", "Sanne de Boer") in found
    assert not any("Erik" in t or "staal" in t for _, t in found)


def test_always_redacted_terms_carry_their_ground():
    a = Analyzer(Policy(redact={"Project Zwaluw": "5.1.2 i", "Hotel De Gouden Leeuw": "5.1.2.e"}))
    found = [(f.text, f.ground, f.recognizer) for f in a.analyze("Over project zwaluw in Hotel De Gouden Leeuw.")]
    assert ("project zwaluw", "5.1.2i", "policy") in found
    assert ("Hotel De Gouden Leeuw", "5.1.2e", "policy") in found


def test_functional_and_personal_mailboxes():
    a = Analyzer(Policy(org_domains=("dijkstad.nl",), functional=("kraaiennest",)))
    text = ("info@dijkstad.nl woo@dijkstad.nl noreply@dijkstad.nl inkomen@dijkstad.nl kraaiennest@dijkstad.nl "
            "p.devries@dijkstad.nl sanne.jansen@gmail.com info@bakkerij.nl")
    assert [f.text for f in a.analyze(text) if f.category == "email"] == ["p.devries@dijkstad.nl", "sanne.jansen@gmail.com"]


def test_general_numbers_kept_in_any_notation():
    a = Analyzer(Policy(keep_numbers=("0299 450 000",)))
    text = "Bel 0299-450000 of +31 299 450 000, direct 0299 450 217."
    assert [f.text for f in a.analyze(text) if f.category == "phone"] == ["0299 450 217"]


@pytest.mark.parametrize("raw,code", [("5.1.2e", "5.1.2e"), ("5.1.2.e", "5.1.2e"), ("5.1.2 e", "5.1.2e"),
                                      ("5.1.1E", "5.1.1e"), ("5.2", "5.2")])
def test_ground_codes_normalised(raw, code):
    assert normalise_ground(raw) == code


def test_bad_ground_code_is_refused():
    with pytest.raises(ValueError, match="Woo ground"):
        Policy(redact={"x": "privacy"})


def test_special_categories_are_applied_by_default():
    """5.1.1d is an absolute ground: proposed applied, the handler may lift it (issue 13)."""
    f = [f for f in Analyzer().analyze("Zij is zwanger en heeft een strafblad.") if f.category == "special"]
    assert [x.text for x in f] == ["zwanger", "strafblad"]
    assert all(not x.suggestion_only and x.ground == "5.1.1d" for x in f)

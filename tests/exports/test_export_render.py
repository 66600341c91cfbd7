"""Redactions applied to text: spans, merging, whole-word and digit defence in depth, Dutch dates."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exports.bundle import nr_key, split_parts
from exports.render import Redactor, Run, merge, nl_date
from woo_collector.documents import Document, Redaction
from woo_collector.models import Item


def doc(nr: str, body: str, *reds: tuple, kind: str = "email", family: str = "") -> Document:
    item = Item(id=f"i{nr}", kind=kind if kind != "file" else "file", source="s", custodian="c", sha256="0" * 64, body=body)
    rs = tuple(Redaction(item.id, f, s, e, body[s:e] if f == "body" else t, cat, g, apply=a, key=f"k{nr}{s}")
               for f, s, e, t, cat, g, a in reds)
    return Document(nr, family or nr.split(".")[0], kind, "email", None, f"titel {nr}", (item,), redactions=rs)


def red(field, start, end, text="", cat="name", ground="5.1.2e", apply=True):
    return (field, start, end, text, cat, ground, apply)


def test_span_replaced_by_box_with_ground():
    d = doc("1", "Bel Pieter Jansen morgen.", red("body", 4, 17))
    runs = Redactor([d]).runs(d.items[0].body, "i1", ("body",))
    assert runs == [Run("Bel "), Run("Pieter Jansen", "5.1.2e"), Run(" morgen.")]
    assert [r.shown for r in runs] == ["Bel ", "\u00a05.1.2e\u00a0", " morgen."]


def test_not_applied_redaction_stays():
    d = doc("1", "Bel Pieter Jansen morgen.", red("body", 4, 17, apply=False))
    assert Redactor([d]).runs(d.items[0].body, "i1", ("body",)) == [Run("Bel Pieter Jansen morgen.")]


def test_overlapping_spans_merge_and_keep_both_grounds():
    body = "BSN 123456782 van Anna"
    d = doc("1", body, red("body", 4, 13, cat="bsn", ground="5.1.1e"), red("body", 0, 13))
    runs = Redactor([d]).runs(body, "i1", ("body",))
    assert runs == [Run("BSN 123456782", "5.1.1e; 5.1.2e"), Run(" van Anna")]
    assert merge([(0, 3, "a"), (3, 5, "b"), (7, 9, "a")]) == [(0, 5, ("a", "b")), (7, 9, ("a",))]


def test_every_occurrence_anywhere_in_the_request_whole_words_any_case():
    d1 = doc("1", "Pieter Jansen belde.", red("body", 0, 13))
    d2 = doc("2", "Overleg met PIETER  JANSEN en de Pieter Jansenstraat; Pieter Jansens fiets.")
    r = Redactor([d1, d2])
    assert r.marked(d2.items[0].body, "i2", ("body",)) == (
        "Overleg met [5.1.2e] en de Pieter Jansenstraat; Pieter Jansens fiets.")


def test_a_one_word_name_that_is_also_a_word_is_boxed_elsewhere_only_where_written_with_a_capital():
    # "Windturbines" of a subject once read as a person, "Roos" an ordinary word: their lower-case
    # uses elsewhere are the word; "Jansen" is a listed name, boxed in any case
    subject = "Windturbines Kraaiennest: planning. Groet, Roos Jansen en Jansen"
    d1 = doc("1", subject, red("body", 0, 12), red("body", subject.index("Roos"), subject.index("Roos") + 4),
             red("body", subject.rindex("Jansen"), len(subject)))
    body = "Van de geplande windturbines en een roos. WINDTURBINES, Windturbines en Roos; jansen belde."
    d7 = doc("7", body)
    r = Redactor([d1, d7])
    assert r.marked(body, "i7", ("body",)) == (
        "Van de geplande windturbines en een roos. [5.1.2e], [5.1.2e] en [5.1.2e]; [5.1.2e] belde.")
    assert r.needles.scan("de geplande windturbines, een roos") == []   # the leak guard agrees
    assert [n.text for n in r.needles.scan("Windturbines; jansen")] == ["windturbines", "jansen"]


def test_digits_in_other_punctuation_are_redacted():
    d1 = doc("1", "Mijn nummer: 06-12345678", red("body", 13, 24, cat="phone"))
    text = "Bel 06 1234 5678 of +31 0612345678.\nFase 2 is klaar."
    marked = Redactor([d1]).marked(text)
    assert marked == "Bel [5.1.2e] of +31 [5.1.2e].\nFase 2 is klaar."


def test_offsets_that_no_longer_match_are_not_trusted():
    body = "Hallo Karin, groet van Pieter"
    # a stale offset pointing at "Karin" with the text "Pieter": Karin stays, Pieter goes by search
    item = Item(id="i1", kind="email", source="s", custodian="c", sha256="0" * 64, body=body)
    stale = Redaction("i1", "body", 6, 11, "Pieter", "name", "5.1.2e")
    d = Document("1", "1", "email", "email", None, "t", (item,), redactions=(stale,))
    assert Redactor([d]).marked(body, "i1", ("body",)) == "Hallo Karin, groet van [5.1.2e]"


def test_other_fields_by_offset_and_search():
    item = Item(id="m", kind="email", source="s", custodian="c", sha256="0" * 64,
                sender="Anna de Boer <a.deboer@example.nl>", body="")
    rs = (Redaction("m", "sender", 0, 12, "Anna de Boer", "name", "5.1.2e"),
          Redaction("m", "sender", 14, 33, "a.deboer@example.nl", "email", "5.1.2e"))
    d = Document("1", "1", "email", "email", None, "t", (item,), redactions=rs)
    assert Redactor([d]).marked(item.sender, "m", ("sender",)) == "[5.1.2e]"  # one box: no stray < > beside it


@pytest.mark.parametrize("value, kwargs, expected", [
    (datetime(2025, 3, 12, 13, 5, tzinfo=timezone.utc), {}, "12 maart 2025 14:05"),
    (datetime(2025, 7, 1, 22, 30, tzinfo=timezone.utc), {}, "2 juli 2025 00:30"),  # summer time, next day
    (datetime(2025, 3, 14, 8, 15, tzinfo=timezone.utc), {"time": False, "weekday": True}, "vrijdag 14 maart 2025"),
    (date(2025, 12, 31), {}, "31 december 2025"),
])
def test_dutch_dates_in_amsterdam_time(value, kwargs, expected):
    assert nl_date(value, **kwargs) == expected


def test_number_order_and_parts_keep_families():
    assert sorted(["10", "2", "10.1", "1", "10.2", "11"], key=nr_key) == ["1", "2", "10", "10.1", "10.2", "11"]
    docs = [doc("1", "a"), doc("2", "b"), doc("2.1", "c", kind="attachment", family="2"),
            doc("2.2", "d", kind="attachment", family="2"), doc("3", "e")]
    parts = split_parts(docs, max_docs=3, max_bytes=10_000_000)
    assert [[d.nr for d in p.documents] for p in parts] == [["1"], ["2", "2.1", "2.2"], ["3"]]
    big = [doc(str(n), "x" * 1000) for n in range(1, 7)]
    parts = split_parts(big, max_docs=100, max_bytes=2500)
    assert [len(p.documents) for p in parts] == [2, 2, 2]
    assert [p.filename for p in parts] == ["documenten-deel-01.docx", "documenten-deel-02.docx", "documenten-deel-03.docx"]


NAMES = ["Pieter van der Meulen", "Anna de Boer", "Ömer Yılmaz", "Jeroen Bakker"]


@given(
    parts=st.lists(st.one_of(st.sampled_from(NAMES + ["06-12345678", "0612345678", "06 1234 5678"]),
                             st.text(alphabet=" .,;:\n-()abcdefghijklmnopqrstuvwxyzAB01", max_size=12)), max_size=12),
    upper=st.booleans(),
)
@settings(max_examples=150, deadline=None)
def test_marked_text_never_shows_a_redacted_name_or_number(parts, upper):
    """Whatever surrounds them, the applied names and the phone never survive redaction."""
    seed = "Contact: Pieter van der Meulen, Anna de Boer, Ömer Yılmaz, Jeroen Bakker, 06-12345678."
    reds = [("body", seed.index(n), seed.index(n) + len(n)) for n in NAMES + ["06-12345678"]]
    d = doc("1", seed, *[red(f, s, e, cat="phone" if seed[s].isdigit() else "name") for f, s, e in reds])
    r = Redactor([d])
    text = " ".join(parts)
    text = text.upper() if upper else text
    marked = r.marked(text)
    hits = r.needles.scan(marked)
    assert hits == [], (text, marked)


def test_inventory_rows_redact_title_and_cap_the_note():
    from dataclasses import replace

    from exports.inventory import NOTE_MAX, rows

    d1 = doc("1", "Pieter Jansen belde.", red("body", 0, 13))
    d2 = replace(doc("2", "tekst"), title="Overleg met Pieter Jansen", note="Toelichting. " * 200, decision="niet openbaar",
                 grounds=("5.1.2i", "5.1.2e"))
    table = rows("R-1", [d2, d1], Redactor([d1, d2]))
    assert [r["Documentnummer"] for r in table] == ["1", "2"]
    assert table[1]["Omschrijving"] == "Overleg met [5.1.2e]"
    assert table[1]["Beoordelingsgrond"] == "5.1.2i;5.1.2e"
    assert len(table[1]["Toelichting"]) == NOTE_MAX and table[1]["Toelichting"].endswith("…")
    assert table[0]["ID"] == "R1D0001" and table[0]["Publieke link"] == ""  # alphanumeric: a file can be linked
    assert table[0]["Publicatiecontext"] == table[1]["Publicatiecontext"] == "R1"

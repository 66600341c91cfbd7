"""A phrase within a period: the same documents as the phrase alone, then the period, in both engines;
in Whoosh the phrase's positions are read only on the documents of the period (the filter), not on
every document holding its words (a Woo request always has a period, and is often a phrase)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from woo_collector.index import open_index
from woo_collector.models import Item

START = datetime(2024, 1, 1, tzinfo=timezone.utc)
BODIES = ["Het gaat om slagschaduw en geluid bij de molen.",  # the phrase (en is a stop word)
          "Geluid eerst, dan slagschaduw: niet de zin.",  # both words, not the phrase
          "Slagschaduw en geluid, en nog eens slagschaduw en geluid.",
          "Alleen geluid.",
          "Bericht over parkeren."]


def build(tmp_path, engine, n=1200):
    ix = open_index(tmp_path / "index", engine)
    items = []
    for i in range(n):
        sent = None if i % 97 == 0 else START + timedelta(hours=7 * i)
        items.append(Item(id=f"i{i:05d}", kind="email", source="s", custodian="c", sha256="0" * 64, sent=sent,
                          subject="Windpark" if i % 3 else "Slagschaduw en geluid", body=BODIES[i % len(BODIES)]))
    for a in range(0, n, 300):  # several segments, as nightly runs make them
        ix.add(items[a:a + 300])
    return ix, items


def has_phrase(text: str) -> bool:
    return "slagschaduw en geluid" in text.lower()


PERIODS = [(START + timedelta(days=30), START + timedelta(days=60)),
           (START + timedelta(days=100), START + timedelta(days=101)),  # a day inside one segment
           (START + timedelta(days=80), START + timedelta(days=200)),  # across segments
           (None, START + timedelta(days=40)), (START + timedelta(days=300), None),
           (datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 2, 1, tzinfo=timezone.utc))]
QUERIES = [('"slagschaduw en geluid"', lambda it: has_phrase(it.subject + "\n" + it.body)),
           ('subject:"slagschaduw en geluid"', lambda it: has_phrase(it.subject)),
           ('"slagschaduw en geluid" OR parkeren', lambda it: has_phrase(it.subject + "\n" + it.body) or "parkeren" in it.body),
           ('geluid AND NOT "slagschaduw en geluid"',
            lambda it: "geluid" in (it.subject + it.body).lower() and not has_phrase(it.subject + "\n" + it.body)),
           ('"slagschaduw en geluid"^3 AND molen', lambda it: has_phrase(it.body) and "molen" in it.body)]


def test_a_phrase_in_a_period_finds_what_the_phrase_then_the_period_finds(tmp_path, engine):
    ix, items = build(tmp_path, engine)
    for query, match in QUERIES:
        for lo, hi in PERIODS:
            want = {it.id for it in items if match(it) and it.sent and (lo is None or lo <= it.sent)
                    and (hi is None or it.sent < hi)}
            assert set(ix.select_ids(query, date_from=lo, date_to=hi)) == want, (query, lo, hi)
            total, hits = ix.search(query, limit=7, date_from=lo, date_to=hi)
            assert total == len(want) and {h.id for h in hits} <= want and len(hits) == min(7, len(want)), (query, lo, hi)
            undated = {it.id for it in items if match(it) and it.sent is None}
            assert set(ix.select_undated_ids(query, date_from=lo, date_to=hi)) == undated, (query, lo, hi)
    ix.close()


def count_position_checks(monkeypatch) -> list:
    """The documents whose positions Whoosh's phrase matcher checks, one entry a check."""
    from whoosh.query import SpanNear2

    checked = []
    real = SpanNear2.SpanNear2Matcher._get_spans

    def counting(self):
        checked.append(self.child.id())
        return real(self)

    monkeypatch.setattr(SpanNear2.SpanNear2Matcher, "_get_spans", counting)
    return checked


def test_whoosh_reads_a_phrases_positions_only_in_the_period(tmp_path, monkeypatch):
    ix, items = build(tmp_path, "whoosh")
    checked = count_position_checks(monkeypatch)
    lo, hi = PERIODS[1]
    in_period = [it for it in items if it.sent and lo <= it.sent < hi]
    with_words = [it for it in in_period if "slagschaduw" in (it.subject + it.body).lower()
                  and "geluid" in (it.subject + it.body).lower()]
    assert 0 < len(with_words) < 10
    for call in (lambda: ix.select_ids('"slagschaduw en geluid"', date_from=lo, date_to=hi),
                 lambda: ix.search('"slagschaduw en geluid"', limit=20, date_from=lo, date_to=hi)):
        checked.clear()
        call()
        # the phrase's words are in most of the 1,200 documents; positions are read on the period's only
        assert 0 < len(checked) <= 2 * len(with_words), len(checked)
    ix.close()


@pytest.mark.parametrize("query", ['"slagschaduw en geluid"', 'windpark OR "slagschaduw en geluid"'])
def test_a_phrase_without_a_period_is_whooshs_own(tmp_path, query):
    """Without a period (no filter set) the query tree is Whoosh's own, unchanged."""
    from woo_collector.index import WhooshIndex

    ix, items = build(tmp_path, "whoosh", n=300)
    q = ix.parse(query)
    assert WhooshIndex._on_candidates(q, None) is q
    ix.close()


def test_a_phrase_in_a_period_has_the_snippet_of_the_phrase(tmp_path, engine):
    """The period changes which documents match, not what their snippets mark."""
    from woo_collector.index import make_snippet, parse_query

    ix = open_index(tmp_path / "index", engine)
    body = "Lange tekst over iets anders. " * 12 + "Het gaat om slagschaduw en geluid bij de molen."
    ix.add([Item(id="a", kind="email", source="s", custodian="c", sha256="0" * 64, subject="Brief", body=body,
                 sent=START + timedelta(days=3))])
    query = '"slagschaduw en geluid"'
    want = make_snippet(body, parse_query(query))
    assert "slagschaduw en geluid" in want and not want.startswith("Lange")
    for lo in (None, START):
        total, hits = ix.search(query, texts=lambda ids: {"a": body}, date_from=lo)
        assert total == 1 and hits[0].snippet == want, lo
    ix.close()


def test_without_a_period_counts_are_exact_and_the_top_hits_whooshs_own(tmp_path, engine):
    """No period, a limit: the exact number of matches (undated items too) and the best hits."""
    ix, items = build(tmp_path, engine)
    for query, match in QUERIES + [("geluid", lambda it: "geluid" in (it.subject + it.body).lower()),
                                   ("slagschad*", lambda it: "slagschaduw" in (it.subject + it.body).lower())]:
        want = {it.id for it in items if match(it)}
        total, hits = ix.search(query, limit=7)
        assert total == len(want) and {h.id for h in hits} <= want and len(hits) == min(7, len(want)), query
        if engine == "whoosh":
            with ix._searcher() as s:
                own = s.search(ix.parse(query), limit=7)
                assert [h.id for h in hits] == [r["id"] for r in own], query
    ix.close()


def test_whoosh_checks_a_phrases_positions_once_per_document_without_a_period(tmp_path, monkeypatch):
    """The top hits and the count come from one pass: Whoosh's top search skips by score and does
    not count, and len(results) ran the phrase again over every document holding its words."""
    ix, items = build(tmp_path, "whoosh")
    checked = count_position_checks(monkeypatch)
    with_words = [it for it in items if "slagschaduw" in (it.subject + it.body).lower()
                  and "geluid" in (it.subject + it.body).lower()]
    total, hits = ix.search('"slagschaduw en geluid"', limit=20)
    assert total == sum(1 for it in items if has_phrase(it.subject + "\n" + it.body)) and len(hits) == 20
    assert 0 < len(checked) <= len(with_words), (len(checked), len(with_words))
    ix.close()

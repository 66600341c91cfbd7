"""The two index engines find the same documents: one query language (parsed by Whoosh), one Dutch analysis.

Acceptance of the second engine: ``woo reindex --engine tantivy`` on the demo workspace, then every
search of the README's tour gives the same hits as with Whoosh, and a Woo request collects the same
documents. Beside the tour, queries of every kind the language has (fields, phrases, AND/OR/NOT,
wildcards, periods) on the same demo data.
"""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import ROOT, woo
from woo_collector.cli import cli
from woo_collector.index import pack_terms, unpack_terms

MORE_QUERIES = [
    ["windturbine"],
    ["windturbines AND geluid"],
    ['"geluid en slagschaduw"'],
    ['"slagschaduw en geluid"'],
    ['"geluidsberekening voor de windturbine"'],
    ['"geluidsnorm is 47 dB"'],
    ['subject:"bezwaar tegen windturbines"'],
    ["windturb*"],
    ["w?ndturbine*"],
    ["subject:windturbines OR subject:begroting"],
    ["windturbine NOT geluid"],
    ["NOT windturbine"],
    ["from:sanne"],
    ["custodian:sanne"],
    ["kind:chat"],
    ["*", "--kind", "attachment"],
    ["*", "--from", "2025-03-01", "--to", "2025-03-31"],
    ["windturbine", "--from", "2025-04-01", "--to", "2025-06-30", "--kind", "email"],
    ["gemeente"],
    ["menen"],
    ["auto's"],
    ["date:2025"],
]


def tour_searches() -> list[list[str]]:
    """The arguments of every ``woo search`` line of the README's tour."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## A tour of the commands"):]
    found = []
    for line in tour.splitlines():
        if line.strip().startswith("woo search "):
            found.append(shlex.split(line.strip(), comments=True)[2:])
    return found


def hits(ws: Path, args: list[str], snippets: bool = False):
    args = list(args)
    if "--format" in args:
        at = args.index("--format")
        del args[at:at + 2]
    r = woo(ws, "search", *args, "--format", "json", "--limit", "100000")
    assert r.exit_code == 0, (args, r.output)
    found = json.loads(r.stdout)
    total = int(r.stderr.split()[0])
    if snippets:
        return {h["id"]: h["snippet"] for h in found}
    return total, sorted(h["id"] for h in found)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo")
    r = CliRunner().invoke(cli, ["--quiet", "demo", str(root)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return root / "workspace"


def test_the_readme_tour_has_searches():
    assert len(tour_searches()) >= 2


def test_reindex_with_tantivy_gives_the_same_hits_as_whoosh_on_the_demo(demo):
    queries = tour_searches() + MORE_QUERIES
    assert "engine: whoosh" in woo(demo, "doctor").stdout
    before = {i: hits(demo, q) for i, q in enumerate(queries)}
    whoosh_snippets = {tuple(q): hits(demo, q, snippets=True) for q in tour_searches()}
    collect_before = json.loads(woo(demo, "request", "show", "WOO-2025-001", "--format", "json").stdout)

    r = woo(demo, "reindex", "--engine", "tantivy")
    assert r.exit_code == 0, r.output
    assert "tantivy" in r.output
    assert 'engine = "tantivy"' in (demo / "woo.toml").read_text()
    doctor = woo(demo, "doctor")
    assert doctor.exit_code == 0, doctor.output
    assert "engine: tantivy" in doctor.stdout
    for i, q in enumerate(queries):
        assert hits(demo, q) == before[i], q
    assert all(before[i][0] for i in range(len(tour_searches()))), "every search of the tour finds something in the demo"
    assert all(before[i][0] for i, q in enumerate(queries) if q[0].startswith('"s')), "the phrases find something"
    for q in tour_searches():  # snippets as Whoosh makes them
        assert hits(demo, q, snippets=True) == whoosh_snippets[tuple(q)], q

    assert woo(demo, "request", "collect", "WOO-2025-001").exit_code == 0
    collect_after = json.loads(woo(demo, "request", "show", "WOO-2025-001", "--format", "json").stdout)
    assert [(d["nr"], d["items"]) for d in collect_after["documents"]] == \
        [(d["nr"], d["items"]) for d in collect_before["documents"]]

    r = woo(demo, "reindex", "--engine", "whoosh")  # and back: the index is derived data
    assert r.exit_code == 0, r.output
    assert not (demo / "index" / "tantivy").exists()
    for i, q in enumerate(queries):
        assert hits(demo, q) == before[i], q


def whoosh_tokens(field: str, text: str) -> list[tuple[str, int, int, int]]:
    from woo_collector.index import whoosh_schema

    analyzer = whoosh_schema()[field].analyzer
    return [(t.text, t.pos, t.startchar, t.endchar) for t in analyzer(text, positions=True, chars=True, mode="index")]


WORDS = st.sampled_from(["de", "het", "Windturbines", "gemeente", "menen", "auto's", "zon-panelen", "Één", "İstanbul",
                         "ﬁets", "straße", "ÆØÅ", "s.devries@voorbeeld.nl", "Carol", "’s", "-", "'", "a.b.c", "X_Y",
                         "geïnformeerd", "coördinatie", "een", "van", "1.234,50", "\n", "  "])


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(WORDS, st.text(max_size=12)), max_size=40).map(" ".join))
def test_tantivy_is_handed_the_tokens_whoosh_indexes(text):
    from woo_collector.index_tantivy import TOKENIZED, _analyzers

    analyzers = _analyzers()
    for field in TOKENIZED:
        expected = whoosh_tokens(field, text)
        assert analyzers[field].tokens(text) == expected, field
        assert analyzers[field].terms(text) == [(t, p) for t, p, _, _ in expected], field
        ascii_text = text.encode("ascii", "replace").decode()
        assert analyzers[field].terms(ascii_text) == [(t, p) for t, p, _, _ in whoosh_tokens(field, ascii_text)], field
        words, positions = unpack_terms(pack_terms(*analyzers[field].words(text)))  # as they cross from a worker
        assert list(zip(words, positions)) == [(t, p) for t, p, _, _ in expected], field


@pytest.mark.parametrize("words, positions", [([], 0), (["a"], 3), (["a b", "c"], 0), (["", "c"], 1), (["x", "y"], [0, 5])])
def test_terms_that_cannot_be_joined_cross_as_they_are(words, positions):
    packed = pack_terms(words, positions)
    assert isinstance(packed[0], str) == (isinstance(positions, int) and all(words) and not any(" " in w for w in words))
    back, where = unpack_terms(packed)
    expected = range(positions, positions + len(words)) if isinstance(positions, int) else positions
    assert (list(back), list(where)) == (words, list(expected))


def test_periods_deletions_and_undated_items_count_exactly(tmp_path, engine):
    import random
    from datetime import datetime, timedelta, timezone

    from woo_collector.index import open_index
    from woo_collector.models import Item

    rnd = random.Random(3)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    items = [Item(id=f"i{n}", kind="chat" if n % 7 == 0 else "email", source="s", custodian="c", sha256="0" * 64,
                  sent=None if n % 50 == 0 else start + timedelta(hours=rnd.randrange(20000)), subject=f"Bericht {n}",
                  body="windturbines" if n % 3 else "anders") for n in range(3000)]
    ix = open_index(tmp_path / "index", engine)
    ix.add(items[:1500])
    ix.add(items[1500:])  # two segments
    gone = {"i3", "i4", "i1600"}
    assert ix.delete(sorted(gone)) == 3
    live = [i for i in items if i.id not in gone]
    lo, hi = datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 7, 1, tzinfo=timezone.utc)
    for query, match in (("windturbine", lambda i: i.body == "windturbines"), ("*", lambda i: True)):
        nothing = (datetime(2030, 1, 1, tzinfo=timezone.utc), datetime(2030, 2, 1, tzinfo=timezone.utc))
        for a, b in ((lo, hi), (lo, None), (None, hi), nothing):
            for kinds in ((), ("chat",), ("file",)):
                want = {i.id for i in live if match(i) and i.sent and (a is None or a <= i.sent) and (b is None or i.sent < b)
                        and (not kinds or i.kind in kinds)}
                assert set(ix.select_ids(query, date_from=a, date_to=b, kinds=kinds)) == want
                total, hits = ix.search(query, limit=5, date_from=a, date_to=b, kinds=kinds)
                assert total == len(want) and len(hits) == min(5, len(want))
        assert set(ix.select_undated_ids(query, date_from=lo, date_to=hi)) == {i.id for i in live if match(i) and i.sent is None}
    ix.close()


@settings(max_examples=200, deadline=None)
@given(st.lists(st.one_of(WORDS, st.sampled_from(["windturbines", "geluid", "slagschaduw", "men", "Menen", "parkeren"]),
                          st.text(max_size=12)), max_size=60).map(" ".join),
       st.sampled_from(["windturbine", "geluid OR slagschaduw", '"slagschaduw en geluid"', "windturb*", "p?rkeren",
                        "menen", "NOT geluid", "subject:geluid", "geluid AND NOT windturbines"]))
def test_snippets_are_whooshs_highlights(text, query):
    from woo_collector.index import highlight, parse_query

    q = parse_query(query)
    assert highlight(text, q) == highlight(text, q, fast=False)


SENTENCE = st.lists(st.one_of(WORDS, st.sampled_from(["windturbines", "geluid", "slagschaduw", "parkeren", "Géluid", "de", "en",
                                                     "Windturbine.", "geluid!", "geluid?", "&", "<b>", "x&y", "\n", "..."]),
                             st.text(max_size=12)), max_size=120).map(" ".join)


@settings(max_examples=300, deadline=None)
@given(st.lists(SENTENCE, min_size=1, max_size=4).map("".join), st.integers(0, 40_000),
       st.sampled_from(["windturbine", "geluid OR slagschaduw", '"slagschaduw en geluid"', "windturb*", "p?rkeren",
                        "NOT geluid", "subject:geluid", "geluid AND NOT windturbines", "de", "geluid windturbine parkeren"]))
def test_a_snippet_is_whooshs_highlight_made_in_one_loop(text, pad, query):
    """make_snippet's own fragmenter gives what Whoosh's highlighter chain gives, plain: the same
    fragments, scores, order and escaping, past 200 characters and past Whoosh's 32 KB limit."""
    from woo_collector.index import _plain, highlight, make_snippet, parse_query

    text = "woord " * (pad // 6) + text if pad > 30_000 else text
    q = parse_query(query)
    assert make_snippet(text, q) == (_plain(highlight(text, q, fast=False) or " ".join(text.split())[:200]) if text else "")


def test_snippets_equal_a_whoosh_hits_highlights(tmp_path):
    """The snippet both engines show is what Whoosh's own hit.highlights() made before."""
    from woo_collector.demo import generate
    from woo_collector.index import WhooshIndex, _plain, make_snippet
    from woo_collector.models import Item

    texts = []
    for path in sorted(p for p in generate(tmp_path / "data") and (tmp_path / "data").rglob("*") if p.is_file()):
        raw = path.read_bytes().decode("utf-8", "replace")
        texts += [raw[i:i + 3000] for i in range(0, min(len(raw), 30000), 3000)]
    ix = WhooshIndex(tmp_path / "index")
    ix.add([Item(id=f"t{n}", kind="file", source="s", custodian="c", sha256="0" * 64, body=t) for n, t in enumerate(texts)])
    compared = 0
    with ix._searcher() as s:
        for query in ["windturbine", "geluid OR slagschaduw", '"slagschaduw en geluid"', "windturb*", "gemeente", "bezwaar"]:
            q = ix.parse(query)
            for h in s.search(q, limit=50):
                text = texts[int(h["id"][1:])]
                theirs = h.highlights("body", text=text, top=2)
                if theirs:
                    assert make_snippet(text, q) == _plain(theirs), (query, h["id"])
                    compared += 1
    assert compared >= 30


def test_an_empty_index_finds_nothing_in_a_period(tmp_path, engine):
    from datetime import datetime, timezone

    from woo_collector.index import open_index

    ix = open_index(tmp_path / "index", engine)
    lo, hi = datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 7, 1, tzinfo=timezone.utc)
    assert ix.search("windturbine", date_from=lo, date_to=hi) == (0, [])
    assert ix.select_ids("*", date_from=lo) == [] and ix.select_undated_ids("*", date_from=lo) == []
    ix.close()


def test_terms_handed_joined_find_what_pre_tokenized_terms_and_whoosh_find(tmp_path):
    # a new tantivy index is handed each field's terms joined by spaces (its 'whitespace' tokenizer);
    # one made before (its fields tokenized 'raw') goes on with pre-tokenized text: both as Whoosh
    import tantivy

    from woo_collector.index import open_index
    from woo_collector.index_tantivy import TantivyIndex, _schema
    from woo_collector.models import Item

    texts = ["De windturbines en het geluid van de slagschaduw", "Het geluid, de windturbines: geïnformeerd over Één plan",
             "van de gemeente Menen aan de raad", "slagschaduw en geluid bij de windturbine", "de het een", ""]
    items = [Item(id=f"i{n}", kind="email", source="s", custodian="c", sha256="0" * 64, subject=f"Onderwerp {n % 3}",
                  sender="Jan de Vries <jan@voorbeeld.nl>", body=t) for n, t in enumerate(texts * 3)]
    (tmp_path / "legacy").mkdir()
    tantivy.Index(_schema("raw"), path=str(tmp_path / "legacy"))
    engines = {"joined": TantivyIndex(tmp_path / "joined"), "legacy": TantivyIndex(tmp_path / "legacy"),
               "whoosh": open_index(tmp_path / "whoosh", "whoosh")}
    assert (engines["joined"].joined, engines["legacy"].joined) == (True, False)
    for ix in engines.values():
        ix.add(items)
    for q in ("windturbine", '"geluid van de slagschaduw"', '"slagschaduw en geluid"', '"windturbines geïnformeerd"', "menen",
              "gemeente AND raad", "een", "Één", "geinformeerd", "from:jan", "subject:onderwerp", "windturb*", '"de het"'):
        found = {name: set(ix.select_ids(q)) for name, ix in engines.items()}
        assert found["joined"] == found["legacy"] == found["whoosh"], q
    assert set(engines["joined"].select_ids('"geluid van de slagschaduw"')) == {"i0", "i6", "i12"}
    for ix in engines.values():
        ix.close()


def test_an_ingest_worker_analyses_without_loading_the_query_parser():
    import subprocess
    import sys
    from pathlib import Path

    # the fork server imports the analysis once for every worker: the query parser is not part of it
    script = ("import sys, woo_collector.worker_preload as p; from woo_collector.index import _fast_analyzers; "
              "print(sorted(_fast_analyzers), 'whoosh.qparser' in sys.modules)")
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parents[2], timeout=120)
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ["['body',", "'custodian',", "'from',", "'source',", "'subject',", "'to']", "False"]


@settings(max_examples=200, deadline=None)
@given(st.lists(st.sampled_from(["windturbin", "geluid", "a", "één", "x y", ""]), max_size=30),
       st.sampled_from(["subject", "body", "from", "to", "source"]))
def test_whoosh_is_handed_a_fields_terms_as_its_own_code_counts_them(terms, field):
    from whoosh import formats

    from woo_collector.index import tune_whoosh, whoosh_schema

    tune_whoosh()
    fmt = whoosh_schema()[field].format
    assert type(fmt) in (formats.Positions, formats.Frequency)
    own = type(fmt)._whoosh_word_values
    assert list(fmt.word_values(terms, None, mode="index")) == list(own(fmt, terms, None, mode="index"))


def test_a_whoosh_segment_looks_for_a_missing_column_once(tmp_path, monkeypatch):
    from whoosh.codec import whoosh3

    from woo_collector.index import WhooshIndex
    from woo_collector.models import Item

    ix = WhooshIndex(tmp_path / "index")
    ix.add([Item(id=f"i{n}", kind="email", source="s", custodian="c", sha256="0" * 64, subject=f"Bericht {n}", body="windturbines")
            for n in range(20)])
    asked: list[str] = []
    real = whoosh3.W3PerDocReader.has_column
    monkeypatch.setattr(whoosh3.W3PerDocReader, "has_column", lambda self, f: asked.append(f) or real(self, f))
    with ix.ix.searcher() as s:
        per_doc = s.reader().per_document_reader() if hasattr(s.reader(), "per_document_reader") else s.reader()._perdoc
        lengths = [per_doc.doc_field_length(n, "kind") for n in range(20)]  # an ID field: no length column
    assert lengths == [0] * 20 and len(asked) == 1
    ix.close()

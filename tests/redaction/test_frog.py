"""The Frog NER layer: offsets mapped back to the original text, deduplication, failures that say
so, and the merge with the rule layer (person spans added, LOC/ORG vetoing weaker candidates).

Tests marked ``frog`` run the real Frog (one start a session, ``frog_layer``) and skip, saying why,
only where ``frog`` is not installed."""

from __future__ import annotations

import sys
import textwrap
from functools import partial

import pytest

from woo_collector.redaction import Analyzer, Finding
from woo_collector.redaction.frog import _plausible_person  # noqa: E402 (a private rule, tested as a table)
from woo_collector.redaction.frog import (SEPARATOR, Entity, FrogLayer, FrogPool, align, entities,
                                          frog_input, frog_path, lower_case_nouns, needs_ner, paragraphs,
                                          parse_rows, parse_table, split_entities)

needs_frog = pytest.mark.skipif(frog_path() is None, reason="Frog is not installed (apt-get install frog frogdata uctodata)")


def table(*rows: tuple[str, str]) -> str:
    """A Frog tab table as the server writes it with --skip=mpcla (empty lemma and morphology)."""
    return "".join(f"{n}\t{w}\t\t\t\tSPEC(deeleigen)\t1.000000\t{tag}\t\t\t\t\t\t\n" for n, (w, tag) in enumerate(rows, 1)) + "\n"


# --- offsets, without Frog ------------------------------------------------------------------

@pytest.mark.parametrize("text, words, spans", [
    ("Jan Jansen.", ["Jan", "Jansen", "."], [(0, 3), (4, 10), (10, 11)]),
    # NFD in the text, NFC in Frog's tokens: the span covers the combining accents
    ("Jose\u0301 Pe\u0301rez", ["José", "Pérez"], [(0, 5), (6, 12)]),
    ("José Pérez", ["José", "Pérez"], [(0, 4), (5, 10)]),
    # an emoji is one code point in Python and one token in Frog
    ("Hoi 😀 Jan", ["Hoi", "😀", "Jan"], [(0, 3), (4, 5), (6, 9)]),
    # line ends (CRLF, LF) and tabs are only whitespace between tokens
    ("Piet\r\nde\tVries\n\nKlaas", ["Piet", "de", "Vries", "Klaas"], [(0, 4), (6, 8), (9, 14), (16, 21)]),
    # Frog drops a soft hyphen; the span keeps it
    ("Kort\u00adkaas", ["Kortkaas"], [(0, 9)]),
    # a word Frog changed beyond recognition is left out, and the words after it still land
    ("a ﬁets b", ["a", "fiets", "b"], [(0, 1), None, (7, 8)]),
])
def test_align_maps_frogs_tokens_to_offsets_in_the_original_text(text, words, spans):
    assert align(text, words) == spans


def test_entities_decode_bio_tags_and_leave_out_the_stop_frog_keeps():
    text = "Regel van Jan. Yves Leterme en Luc\nVan den Bossche in Gent"
    tab = table(("Regel", "O"), ("van", "O"), ("Jan.", "B-PER"), ("Yves", "B-PER"), ("Leterme", "I-PER"),
                ("en", "O"), ("Luc", "B-PER"), ("Van", "I-PER"), ("den", "I-PER"), ("Bossche", "I-PER"),
                ("in", "O"), ("Gent", "B-LOC"))
    got = entities(text, tab)
    assert [(e.label, e.text) for e in got] == [("PER", "Jan"), ("PER", "Yves Leterme"),
                                                ("PER", "Luc\nVan den Bossche"), ("LOC", "Gent")]
    assert all(text[e.start:e.end] == e.text for e in got)


def test_the_ner_column_is_found_whatever_modules_ran():
    assert parse_table("1\tJan\tjan\t[jan]\tSPEC(deeleigen)\t0.990000\tB-PER\tB-NP\n") == [("Jan", "B-PER")]


def test_the_pos_column_comes_with_each_token_and_the_lower_case_nouns_are_known():
    tab = ("1\tWindturbines\t\t\t\tSPEC(deeleigen)\t1.000000\tB-PER\t\n"
           "2\tKraaiennest\t\t\t\tSPEC(deeleigen)\t1.000000\tO\t\n\n"
           "1\tde\t\t\t\tLID(bep,stan,rest)\t0.999665\tO\t\n"
           "2\twindturbines\t\t\t\tN(soort,mv,basis)\t0.998020\tO\t\n"
           "3\tbakker\t\t\t\tADJ(prenom,basis)\t0.6\tO\t\n\n")
    assert parse_rows(tab)[:2] == [("Windturbines", "SPEC(deeleigen)", "B-PER"), ("Kraaiennest", "SPEC(deeleigen)", "O")]
    assert lower_case_nouns(tab) == {"windturbines"}
    [per] = entities("Windturbines Kraaiennest\n\nde windturbines bakker", tab)
    assert per.text == "Windturbines" and per.tokens == ((0, 12, "SPEC(deeleigen)"),)


def test_entities_of_a_batch_are_split_back_per_text():
    texts = ["Jan Jansen belde.", "Gent", "Met Piet."]
    joined = SEPARATOR.join(texts)
    found = [Entity(joined.index(w), joined.index(w) + len(w), label, w)
             for w, label in (("Jan Jansen", "PER"), ("Gent", "LOC"), ("Piet", "PER"))]
    assert split_entities(found, [len(t) for t in texts]) == [
        [Entity(0, 10, "PER", "Jan Jansen")], [Entity(0, 4, "LOC", "Gent")], [Entity(4, 8, "PER", "Piet")]]


def test_paragraphs_are_the_units_deduplicated_with_their_offsets():
    text = "Beste Jan,\n\nDe vergunning.\n \n\nMet vriendelijke groet,\nKees\n\n"
    assert paragraphs(text) == [(0, "Beste Jan,"), (12, "De vergunning."), (30, "Met vriendelijke groet,\nKees")]


@pytest.mark.parametrize("text, ner", [
    ("Pieter van der Meulen <p.vandermeulen@dijkstad.nl>", False),
    ('"Boer, Sanne de" <s.deboer@dijkstad.nl>, woo@dijkstad.nl; Kees <k@x.nl>', False),
    ("Overleg met Pieter van der Meulen <p.vandermeulen@dijkstad.nl> over de vergunning", True),
    ("Windturbines Kraaiennest", True),
    (" \n", False),
])
def test_address_fields_do_not_go_to_frog(text, ner):
    assert needs_ner(text) is ner


def test_input_never_ends_a_request_early_or_hangs_frog():
    assert frog_input("a\nEOT\nb") == "a\n   \nb"
    assert frog_input("Korte-\nkaas") == "Korte- \nkaas"


# --- failures, with stand-ins for the frog executable ----------------------------------------

def fake_frog(tmp_path, body: str) -> str:
    exe = tmp_path / "frog"
    exe.write_text(f"#!{sys.executable}\n" + textwrap.dedent(body))
    exe.chmod(0o755)
    return str(exe)


CRASHES = """
    import sys
    print("frog: cannot load the NER model", file=sys.stderr)
    sys.exit(3)
"""
STARTS = """
    import sys, time
    for line in sys.stdin:          # the layer's first paragraph says whether Frog is up: answer it
        if line.strip():
            print(f"1\\t{line.strip()}\\t\\t\\t\\tSPEC(deeleigen)\\t1.000000\\tO\\n", flush=True)
            break
"""
HANGS = STARTS + """
    time.sleep(60)
"""
DIES = STARTS + """
    while not sys.stdin.readline().strip():   # dies on the first text
        pass
    print("frog: std::bad_alloc", file=sys.stderr)
    sys.exit(6)
"""


@pytest.mark.parametrize("body, message", [
    (CRASHES, "Frog exited with code 3 while starting: frog: cannot load the NER model"),
    (HANGS, "Frog did not answer within "),
    (DIES, "Frog exited with code 6 while analysing (it may have crashed): frog: std::bad_alloc"),
], ids=["crashes", "hangs", "dies"])
def test_a_frog_that_crashes_or_hangs_is_an_error_and_the_rules_still_run(tmp_path, body, message):
    layer = FrogLayer(workers=2, server_factory=partial(FrogPool, exe=fake_frog(tmp_path, body), text_timeout=1,
                                                        start_timeout=20))
    analyzer = Analyzer(layers=[layer])
    texts = ["Gesprek met Jan Jansen over de aanvraag.", "Bel 06-12345678."]
    results = analyzer.analyze_many(texts)
    assert message in layer.error
    assert not layer.ran and analyzer.layers_ran() == ["rules"]
    assert "Jan Jansen" in [f.text for f in results[0]]
    assert [f.category for f in results[1]] == ["phone"]


# --- the merge, with a stand-in layer ---------------------------------------------------------

class Layer:
    """A layer that answers from a table: the analyzer's side of the hook, without Frog."""

    name = "stand-in"
    ran = True

    def __init__(self, persons=(), places=()):
        self.persons, self.places = persons, places

    def prepare(self, texts):
        pass

    def analyze(self, text):
        found = [Finding(text.index(p), text.index(p) + len(p), p, "name", "5.1.2e", 0.9, "frog", "PER",
                         "frog NER: person (PER) -> 0.90") for p in self.persons if p in text]
        return found, [Entity(text.index(p), text.index(p) + len(p), "LOC", p) for p in self.places if p in text]


def names(findings):
    return [f.text for f in findings if f.category == "name"]


def test_a_person_only_the_layer_finds_is_a_finding_explained_as_frog_ner():
    text = "Gisteren sprak Leterme in Gent met de pers."  # a surname alone: no cue for the rule layer
    assert names(Analyzer().analyze(text)) == []
    got = Analyzer(layers=[Layer(persons=["Leterme"])]).analyze(text)
    assert [(f.text, f.ground) for f in got] == [("Leterme", "5.1.2e")]
    assert "frog NER" in got[0].explanation


def test_the_layers_person_span_and_the_rules_become_one_box():
    text = "Gesprek met Jan de Vries-Bakker over de vergunning."
    got = Analyzer(layers=[Layer(persons=["Jan de Vries-Bakker"])]).analyze(text)
    assert names(got) == ["Jan de Vries-Bakker"]


def test_a_one_word_person_of_the_layer_is_boxed_where_found_and_not_spread():
    texts = ["Windturbines (12)", "Over de windturbines: de Windturbines zijn hoog.", "Leterme en Yves Leterme."]
    layer = Layer(persons=["Windturbines", "Yves Leterme"])
    got = Analyzer(layers=[layer]).analyze_many(texts)
    assert [names(g) for g in got] == [["Windturbines"], ["Windturbines"], ["Leterme", "Yves Leterme"]]


def test_a_layers_name_never_cuts_into_an_address():
    text = "Aan: Esther van Leeuwen <e.vanleeuwen@dijkstad.nl>"
    got = Analyzer(layers=[Layer(persons=["Esther van Leeuwen <e"])]).analyze(text)
    assert [(f.text, f.category) for f in got] == [("Esther van Leeuwen", "name"), ("e.vanleeuwen@dijkstad.nl", "email")]


@pytest.mark.parametrize("span, after, person", [
    ("Yves Leterme", "", True), ("Leterme", ".", True), ("Rekeningnummer", ":", False), ("De", " ", False),
    ("KW", "", False), ("Griffier", "", False), ("elke", " ", False),
])
def test_frogs_one_word_persons_that_are_ordinary_words_are_left_out(span, after, person):
    assert _plausible_person(span, after) is person


def test_a_place_vetoes_a_weak_rule_candidate_not_a_strong_one():
    weak = "Daarna gingen we naar Den Bosch."  # a particle and a listed surname: a weak rule candidate
    assert names(Analyzer().analyze(weak)) == ["Den Bosch"]
    assert names(Analyzer(layers=[Layer(places=["Den Bosch"])]).analyze(weak)) == []
    header = "Van: Els Sydney\nAan: team\n\nHierbij de stukken."
    assert "Els Sydney" in names(Analyzer(layers=[Layer(places=["Sydney"])]).analyze(header))
    chat = "Kim Sydney schreef dat het goed was."
    got = Analyzer(known_people=("Kim Sydney",), layers=[Layer(places=["Kim Sydney"])]).analyze(chat)
    assert names(got) == ["Kim Sydney"]


# --- the real Frog --------------------------------------------------------------------------

@needs_frog
def test_frog_finds_names_the_lists_lack_with_exact_offsets_in_nfd_text_and_emoji(frog_session):
    texts = ["Kamerlid Yves Leterme sprak met Jose\u0301 Pe\u0301rez 😀 in Gent.\r\nGroet, Luc Van den Bossche",
             "Kamerlid Yves Leterme sprak met Jose\u0301 Pe\u0301rez 😀 in Gent.\r\nGroet, Luc Van den Bossche",
             "De ashoogte is met Rijkswaterstaat besproken."]
    layer = frog_session(workers=1)                     # one connection: the texts go in one batch
    layer.prepare(texts)
    assert layer.ran and layer.paragraphs_sent == 2     # the same text twice goes to Frog once
    ents = layer.entities(texts[0])
    assert [(e.label, e.text) for e in ents if e.label in ("PER", "LOC")] == [
        ("PER", "Yves Leterme"), ("PER", "Jose\u0301 Pe\u0301rez"), ("LOC", "Gent"), ("PER", "Luc Van den Bossche")]
    assert all(texts[0][e.start:e.end] == e.text for e in ents)
    assert [(e.label, e.text) for e in layer.entities(texts[2])] == [("ORG", "Rijkswaterstaat")]


@needs_frog
@pytest.mark.parametrize("others", [(), ("Bezwaar tegen de windturbines bij Kraaiennest",)])
def test_a_subjects_first_word_frog_calls_a_person_is_no_name_when_it_is_a_common_noun(frog_session, others):
    # Frog tags "Windturbines" of this subject SPEC(deeleigen) and B-PER; on its own it is
    # N(soort,mv,basis) and no entity, and "Bezwaar tegen de windturbines" writes it in lower case
    subject = "Windturbines Kraaiennest: planning"
    layer = frog_session(workers=1)
    layer.prepare([subject, *others])
    assert layer.ran and [e.text for e in layer.entities(subject) if e.label == "PER"] == ["Windturbines"]
    assert layer.analyze(subject)[0] == []
    assert Analyzer(layers=[layer]).analyze(subject) == []


@needs_frog
def test_surnames_that_are_also_words_stay_names_with_frog(frog_session):
    # "Bakker" on its own is N(soort) to Frog's tagger but still a person; "Beleidsmedewerker" under a
    # signature's name is a common noun to both, and goes
    texts = ["Gisteren belde Bakker over de molen.", "Beste Kraai,\n\nde heer Bakker belde. Jan Visser ook.",
             "Mevrouw De Vries is akkoord.", "Met vriendelijke groet,\nPieter\nBeleidsmedewerker",
             "De bakker op de hoek verkoopt brood."]
    layer = frog_session(workers=1)
    layer.prepare(texts)
    assert [f.text for f in layer.analyze(texts[0])[0]] == ["Bakker"]
    assert "Beleidsmedewerker" not in [f.text for f in layer.analyze(texts[3])[0]]
    got = Analyzer(layers=[layer]).analyze_many(texts)
    assert [names(g) for g in got] == [["Bakker"], ["Kraai", "Bakker", "Jan Visser"], ["De Vries"], ["Pieter"], []]


@needs_frog
def test_a_person_span_across_a_tables_cells_keeps_only_the_name(frog_session):
    # Frog tags "Jan Bakker\nInformatieavond\t2025-04-15\tFatima El Amrani" one person (I-PER throughout);
    # cut into cells, the date is no name and "Informatieavond" a word the request writes in lower case
    sheet = ("Planning\nMijlpaal\tDatum\tEigenaar\nCollegebesluit windturbines\t2025-04-01\tJan Bakker\n"
             "Informatieavond\t2025-04-15\tFatima El Amrani\n")
    layer = frog_session(workers=1)
    layer.prepare([sheet, "Kan ik mij aanmelden voor de informatieavond over het windpark?"])
    assert [f.text for f in layer.analyze(sheet)[0]] == ["Jan Bakker", "Fatima El Amrani"]


def _frog_pids() -> list[int]:
    """Every running ``frog`` descended from this process (found through /proc, whatever runs it)."""
    from woo_collector.children import descendants

    return [pid for pid, name in descendants() if name == "frog"]


def _listening(pids: list[int]) -> list[str]:
    """The TCP sockets in LISTEN state that these processes hold, as "address:port" (from /proc/net/tcp{,6})."""
    import os

    inodes = set()
    for pid in pids:
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    inodes.add(link[8:-1])
        except OSError:
            continue
    out = []
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in open(table).read().splitlines()[1:]:
            cols = line.split()
            if cols[3] == "0A" and cols[9] in inodes:
                out.append(cols[1])
    return out


@needs_frog
def test_frog_listens_on_no_address_while_it_analyses(frog_session, monkeypatch):
    from woo_collector.redaction import frog

    seen = []
    real = frog.split_entities

    def split(found, lengths):   # runs after each of Frog's answers, while Frog is up
        pids = _frog_pids()
        seen.append((pids, _listening(pids)))
        return real(found, lengths)

    monkeypatch.setattr(frog, "split_entities", split)
    layer = frog_session(workers=1)
    layer.prepare(["Wethouder Yves Leterme sprak in Gent met Marieke Dijkgraaf over de windturbines."])
    assert layer.ran and seen
    assert all(pids for pids, _ in seen)                  # Frog was running when we looked
    assert [listen for _, listen in seen if listen] == []  # and it listened on no address at all


def test_the_workspace_says_how_many_frog_processes_a_run_may_use(monkeypatch):
    from woo_collector.errors import ConfigError
    from woo_collector.redaction import frog, layers

    monkeypatch.delenv("WOO_REDACTION_LAYERS", raising=False)
    monkeypatch.setattr(frog, "frog_path", lambda: "/usr/bin/frog")   # built, never started
    one = {"redaction": {"layers": ["rules", "frog"], "frog_processes": 1}}
    assert [x.workers for x in layers.build(one)[0]] == [1]
    assert layers.build({"redaction": {"layers": ["rules", "frog"]}})[0][0].workers >= 1
    for wrong in (0, "2", True):
        with pytest.raises(ConfigError, match="frog_processes"):
            layers.build({"redaction": {"layers": ["rules", "frog"], "frog_processes": wrong}})

"""The development set (tests/redaction/dev_set.jsonl): public Dutch text from the UD treebanks with
the person names the project annotated (dev_source.txt). For measuring, not gating: the scores are
reported (bench/eval_ner.py), never asserted against a threshold."""

from __future__ import annotations

import re

import pytest

from . import build_dev_set as bd
from . import eval_metrics as em
from .test_eval import predict

RECORDS = em.load(bd.DEV_SET)
# A name starts with a capital, or with lower-case particles when the given name is written apart
# ("mr. M.C. (Medy) van der Laan", "Sophie in 't Veld").
PARTICLES = r"(?:van|von|de|der|den|het|in|'t|te|ten|ter|la|le|du|des|da|di|zu|el|al|d')"
NAME = re.compile(rf"^(?:{PARTICLES} )*[A-ZÀ-Þ][\w'’.\-]*(?:[ \-][\w'’.\-]+)*$")


def test_dev_set_is_built_from_its_annotations():
    """dev_set.jsonl is exactly what build_dev_set.py makes from dev_annotations.jsonl and the
    sentence texts (taken here from dev_set.jsonl itself, so the test runs offline)."""
    texts = bd.texts_from_records(RECORDS)
    assert bd.render(bd.build(bd.load_annotations(), texts)) == bd.DEV_SET.read_text(encoding="utf-8")


def test_dev_set_records_are_consistent():
    names = 0
    for rec in RECORDS:
        text = rec["text"]
        assert rec["source"]["treebank"] in {s.pinned for s in bd.SOURCES.values()}
        assert len(text.split("\n")) == len(rec["source"]["sent_ids"])
        last_end = -1
        for s, e, cat in rec["spans"]:
            assert cat == "name" and 0 <= s < e <= len(text), (rec["id"], s, e)
            assert s >= last_end, (rec["id"], "overlapping or unsorted", s, e)
            last_end = e
            span = text[s:e]
            assert "\n" not in span and span.strip() == span, (rec["id"], span)
            assert NAME.match(span) and not re.search(r"\d", span), (rec["id"], span)
            names += 1
    assert names == sum(len(a["names"]) for a in bd.load_annotations())
    assert names >= 100


def test_build_checks_the_treebank_text():
    anns = [{"source": "lassysmall-test", "sent_id": "wiki-1.p.1.s.1", "names": [[0, 12, "Jan van Eyck"]]}]
    assert bd.build(anns, {("lassysmall-test", "wiki-1.p.1.s.1"): "Jan van Eyck schilderde."})[0]["spans"] == \
        [[0, 12, "name"]]
    with pytest.raises(bd.Mismatch, match="expected 'Jan van Eyck'"):
        bd.build(anns, {("lassysmall-test", "wiki-1.p.1.s.1"): "Jan van Dyck schilderde."})
    with pytest.raises(bd.Mismatch, match="not in the treebank"):
        bd.build(anns, {})
    stored = {("lassysmall-test", "wiki-1.p.1.s.1"): "Jan van Eyck schilderde"}
    assert bd.compare_with_stored({("lassysmall-test", "wiki-1.p.1.s.1"): "Jan van Eyck schilderde."}, stored)
    assert not bd.compare_with_stored(stored, stored)


def test_read_conllu_both_formats():
    new = ("# sent_id = WR-P-P-H-1\\WR-P-P-H-1.p.1.s.1\n# text = ,,Ja'', zei De Vries.\n"
           "1\t,,\t,,\tPUNCT\tLET\t_\t3\tpunct\t3:punct\tSpaceAfter=No\n\n")
    old = ("# wiki-9.p.2.s.1.xml\n1\tHet\thet\tDET\t_\t_\t2\tdet\t_\t_\n2\tidee\tidee\tNOUN\t_\t_\t0\troot\t_\t_\n"
           "3\t(\t(\tPUNCT\t_\t_\t2\tpunct\t_\t_\n4\tCD&amp;V\tCD&amp;V\tPROPN\t_\t_\t2\tnmod\t_\t_\n"
           "5\t)\t)\tPUNCT\t_\t_\t2\tpunct\t_\t_\n6\t:\t:\tPUNCT\t_\t_\t2\tpunct\t_\t_\n"
           "7\t\"\t\"\tPUNCT\t_\t_\t2\tpunct\t_\t_\n8\tJa\tja\tINTJ\t_\t_\t2\tdep\t_\t_\n"
           "9\t\"\t\"\tPUNCT\t_\t_\t2\tpunct\t_\t_\n10\t.\t.\tPUNCT\t_\t_\t2\tpunct\t_\t_\n\n")
    assert bd.read_conllu(new + old) == {"WR-P-P-H-1\\WR-P-P-H-1.p.1.s.1": ",,Ja'', zei De Vries.",
                                         "wiki-9.p.2.s.1": 'Het idee (CD&V): "Ja".'}


def test_scoring_runs_on_the_dev_set(capsys):
    """The eval_set scoring runs on the dev set (numbers go to bench/RESULTS.md, no threshold)."""
    result = em.score(RECORDS, predict)
    gold = sum(len(r["spans"]) for r in RECORDS)
    assert result["name"]["gold"] == gold
    assert 0 <= result["name"]["precision"] <= 1 and 0 <= result["name"]["recall"] <= 1
    with capsys.disabled():
        print("\ndev set, rule layer:\n" + em.table(result))

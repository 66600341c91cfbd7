"""`woo request edit` and `woo request withdraw`: a request can be corrected and withdrawn, audited, keeping its record."""

import json

import pytest

from tests.conftest import mail, woo


@pytest.fixture
def ws(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "march.eml").write_bytes(mail("Windturbines Kraaiennest", "De ashoogte wordt 135 meter.", msgid="<m@voorbeeld.nl>",
                                            date="Tue, 11 Mar 2025 09:14:00 +0100"))
    (folder / "april.eml").write_bytes(mail("Windturbines geluid", "De geluidsnorm is 47 dB Lden.", msgid="<a@voorbeeld.nl>",
                                            date="Tue, 15 Apr 2025 10:00:00 +0200"))
    (folder / "other.eml").write_bytes(mail("Parkeren centrum", "Iets anders.", msgid="<o@voorbeeld.nl>", date="Wed, 12 Mar 2025 10:00:00 +0100"))
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne", "--source", "mail-sanne")
    assert r.exit_code == 0, r.output
    r = woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31",
            "--received", "2025-07-01")
    assert r.exit_code == 0, r.output
    return ws


def show(ws) -> dict:
    r = woo(ws, "request", "show", "R1", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def audit(ws) -> list[dict]:
    r = woo(ws, "audit", "--format", "json")
    assert r.exit_code == 0, r.output
    return [{**a, "args": json.loads(a["args"]) if isinstance(a["args"], str) else a["args"]} for a in json.loads(r.stdout)]


def titles(ws) -> list[str]:
    return [d["title"] for d in show(ws)["documents"]]


def test_edit_subject_and_period_before_collect(ws):
    r = woo(ws, "request", "edit", "R1", "--subject", "windturbines en geluid", "--to", "2025-04-30")
    assert r.exit_code == 0, r.output
    assert "out of date" not in r.output  # never collected: nothing to redo
    doc = show(ws)
    assert doc["subject"] == "windturbines en geluid"
    assert doc["period"] == {"from": "2025-03-01", "to": "2025-04-30"}
    assert doc["query"] == "windturbines OR geluid"  # taken from the new subject, as create would
    assert doc["collect_out_of_date"] == []
    rows = [a for a in audit(ws) if a["action"] == "request edit"]
    assert len(rows) == 1 and rows[0]["request"] == "R1"
    assert rows[0]["args"]["changes"]["to"] == ["2025-03-31", "2025-04-30"]
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    assert sorted(titles(ws)) == ["Windturbines Kraaiennest", "Windturbines geluid"]


def test_received_moves_the_deadline(ws):
    assert show(ws)["deadline"] == "2025-07-29"
    assert woo(ws, "request", "extend", "R1", "--reason", "omvang").exit_code == 0
    r = woo(ws, "request", "edit", "R1", "--received", "2025-07-03")
    assert r.exit_code == 0, r.output
    assert show(ws)["deadline"] == "2025-08-14"  # 3 July + 4 weeks + the 2 weeks' extension
    assert "deadline: 2025-08-12 -> 2025-08-14" in r.output


def test_edit_period_after_collect_needs_a_new_collect(ws):
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    assert titles(ws) == ["Windturbines Kraaiennest"]
    first = show(ws)["selection"]
    r = woo(ws, "request", "edit", "R1", "--to", "2025-04-30")
    assert r.exit_code == 0, r.output
    assert "woo request collect R1" in r.output
    doc = show(ws)
    assert doc["collect_out_of_date"] == ["period"]
    assert doc["selection"] == first  # the earlier selection is kept as it was
    table = woo(ws, "request", "show", "R1")
    assert "collect out of date: period changed" in table.output and "woo request collect R1" in table.output
    export = woo(ws, "request", "export", "R1", "--out", str(ws.parent / "pakket"))
    assert export.exit_code != 0 and "changed since its last collect" in export.output
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    doc = show(ws)
    assert doc["collect_out_of_date"] == []
    assert sorted(d["title"] for d in doc["documents"]) == ["Windturbines Kraaiennest", "Windturbines geluid"]
    assert doc["selection"]["items"] == 2


def test_bad_period_refused_nothing_changed(ws):
    before = show(ws)
    n_audit = len(audit(ws))
    r = woo(ws, "request", "edit", "R1", "--from", "2025-05-01")  # after the period's end (2025-03-31)
    assert r.exit_code != 0
    assert "before it starts" in r.output
    r = woo(ws, "request", "edit", "R1", "--subject", "anders", "--from", "2025-04-02", "--to", "2025-04-01")
    assert r.exit_code != 0
    assert show(ws) == before
    assert len(audit(ws)) == n_audit
    assert woo(ws, "request", "edit", "R1").exit_code != 0  # nothing given


def test_withdraw_keeps_the_record_and_refuses_further_work(ws, tmp_path):
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    docs = show(ws)["documents"]
    r = woo(ws, "request", "withdraw", "R1", "--reason", "ingetrokken door verzoeker per mail")
    assert r.exit_code == 0, r.output
    doc = show(ws)
    assert doc["status"] == "ingetrokken"
    assert doc["withdrawn"]["reason"] == "ingetrokken door verzoeker per mail"
    assert doc["documents"] == docs and doc["selection"] is not None
    for args, word in ((("collect", "R1"), "collected"), (("export", "R1", "--out", str(tmp_path / "p")), "exported"),
                       (("review", "R1", "--export", str(tmp_path / "b.xlsx")), "reviewed"),
                       (("edit", "R1", "--subject", "x y z"), "edited"), (("withdraw", "R1", "--reason", "again"), "withdrawn again")):
        r = woo(ws, "request", *args)
        assert r.exit_code != 0, args
        assert "R1 was withdrawn" in r.output and f"cannot be {word}" in r.output, r.output
    assert not (tmp_path / "p").exists() and not (tmp_path / "b.xlsx").exists()
    listed = json.loads(woo(ws, "request", "list", "--format", "json").stdout)
    assert [(x["id"], x["status"]) for x in listed] == [("R1", "ingetrokken")]
    rows = [a for a in audit(ws) if a["action"] == "request withdraw"]
    assert len(rows) == 1 and rows[0]["args"]["reason"] == "ingetrokken door verzoeker per mail"
    assert rows[0]["args"]["status_before"] == "verzameld"
    check = woo(ws, "audit")
    assert check.exit_code == 0 and "BROKEN" not in check.output


def test_a_given_query_is_kept_when_subject_or_terms_change(ws, tmp_path):
    assert woo(ws, "request", "create", "R2", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-04-30",
               "--query", "ashoogte").exit_code == 0
    terms = tmp_path / "zoektermen.txt"
    terms.write_text("geluidsnorm\n47 dB\n", encoding="utf-8")
    r = woo(ws, "request", "edit", "R2", "--terms-file", str(terms))
    assert r.exit_code == 0, r.output
    r = woo(ws, "request", "edit", "R2", "--subject", "windmolens")
    assert r.exit_code == 0, r.output
    doc = json.loads(woo(ws, "request", "show", "R2", "--format", "json").stdout)
    assert doc["subject"] == "windmolens"
    assert doc["query"] == '(ashoogte) OR geluidsnorm OR "47 dB"'  # the handler's query, with the new terms, not the subject's
    r = woo(ws, "request", "edit", "R2", "--query", "slagschaduw")
    doc = json.loads(woo(ws, "request", "show", "R2", "--format", "json").stdout)
    assert doc["query"] == '(slagschaduw) OR geluidsnorm OR "47 dB"'

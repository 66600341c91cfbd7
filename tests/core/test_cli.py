"""The `woo` command as users and cron drive it."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector.cli import cli
from woo_collector.synth import write_mbox

MBOX = """From a@x Tue Mar 11 09:14:00 2025
From: Sanne de Vries <s.devries@voorbeeld.nl>
To: team@voorbeeld.nl
Subject: Windturbines Kraaiennest
Date: Tue, 11 Mar 2025 09:14:00 +0100
Message-ID: <in@x>

De windturbines bij het Kraaiennest worden 135 meter hoog.

From a@x Tue Feb 11 09:14:00 2025
From: Sanne de Vries <s.devries@voorbeeld.nl>
Subject: Eerder overleg
Date: Tue, 11 Feb 2025 09:14:00 +0100
Message-ID: <out@x>

Ook in februari ging het over windturbines.

From a@x Tue Mar 12 09:14:00 2025
From: Pieter <p@voorbeeld.nl>
Subject: Begroting
Date: Wed, 12 Mar 2025 09:14:00 +0100
Message-ID: <other@x>

Niets over wind.
"""


def woo(ws: Path, *args: str):
    r = CliRunner().invoke(cli, ["--workspace", str(ws), "--quiet", *args], catch_exceptions=False)
    return r


@pytest.fixture
def ws(tmp_path):
    r = woo(tmp_path / "ws", "init", "--organisation", "Gemeente Test")
    assert r.exit_code == 0, r.output
    return tmp_path / "ws"


def test_init_twice_changes_nothing(ws):
    before = (ws / "woo.toml").read_text()
    r = woo(ws, "init")
    assert r.exit_code == 0 and "nothing was changed" in r.output
    assert (ws / "woo.toml").read_text() == before
    assert oct(os.stat(ws).st_mode & 0o777) == "0o700"


def test_search_period_and_stemming_on_an_mbox(ws, tmp_path):
    box = tmp_path / "inbox.mbox"
    box.write_text(MBOX)
    r = woo(ws, "import", str(box), "--custodian", "Sanne de Vries")
    assert r.exit_code == 0, r.output
    r = woo(ws, "search", "windturbine", "--from", "2025-03-01", "--to", "2025-06-30", "--format", "json")
    assert r.exit_code == 0
    hits = json.loads(r.stdout)
    assert [h["title"] for h in hits] == ["Windturbines Kraaiennest"]
    h = hits[0]
    assert set(h) >= {"id", "kind", "source", "custodian", "date", "title", "sender", "snippet", "score"}
    assert h["date"] == "2025-03-11T09:14:00+01:00" and h["kind"] == "email" and h["custodian"] == "Sanne de Vries"
    everything = json.loads(woo(ws, "search", "windturbine", "--format", "json").stdout)
    assert len(everything) == 2
    sub = json.loads(woo(ws, "search", "subject:begroting", "--format", "json").stdout)
    assert [s["title"] for s in sub] == ["Begroting"]
    show = json.loads(woo(ws, "show", h["id"], "--format", "json").stdout)
    assert show["original"]["present"] and "135 meter" in show["body"]


def test_importing_twice_adds_nothing(ws, tmp_path):
    box = tmp_path / "inbox.mbox"
    box.write_text(MBOX)
    assert woo(ws, "import", str(box), "--custodian", "S").exit_code == 0
    first = woo(ws, "search", "windturbine", "--format", "json").stdout
    assert woo(ws, "import", str(box), "--custodian", "S").exit_code == 0
    assert woo(ws, "search", "windturbine", "--format", "json").stdout == first
    runs = json.loads(woo(ws, "runs", "--format", "json").stdout)
    assert [r["new"] for r in runs] == [0, 3]
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    assert w.catalog.count_items() == 3 and w.index.doc_count() == 3


def test_bad_inputs_are_named_and_the_run_goes_on(ws, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "good.eml").write_text("From: a@x\nSubject: Goed bericht\n\nwindturbines\n")
    (folder / "notmail.eml").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 image data")
    (folder / "kapot.eml").write_bytes(b"From: a@x\nSubject: Kapotte body\nContent-Transfer-Encoding: base64\n\n%%% geen base64 !!!\n")
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", "S")
    assert r.exit_code == 3, r.output
    assert "notmail.eml" in r.output and "not an e-mail message" in r.output
    assert "kapot.eml" in r.output and "base64" in r.output
    trunc = tmp_path / "trunc.mbox"
    trunc.write_text(MBOX[: MBOX.index("Niets over")] + "Nie")
    r = woo(ws, "import", str(trunc), "--custodian", "S")
    assert r.exit_code == 3 and "trunc.mbox" in r.output and "truncated" in r.output
    fails = json.loads(woo(ws, "failures", "--format", "json").stdout)
    assert {Path(f["path"]).name for f in fails} >= {"notmail.eml", "kapot.eml", "trunc.mbox"}
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    for f in fails:  # every unreadable original is kept bit for bit
        assert w.store.verify(f["sha256"])
    titles = [h["title"] for h in json.loads(woo(ws, "search", "*", "--format", "json", "--limit", "50").stdout)]
    assert "Goed bericht" in titles and "Windturbines Kraaiennest" in titles


def test_ingest_exit_codes_and_lock(ws, tmp_path):
    box = tmp_path / "inbox.mbox"
    box.write_text(MBOX)
    assert woo(ws, "source", "add", "sanne", "--type", "mbox", "--path", str(box), "--custodian", "Sanne").exit_code == 0
    r = woo(ws, "source", "add", "x", "--type", "imap", "--set", "password=geheim")
    assert r.exit_code == 1 and "password_env" in r.output
    from woo_collector.workspace import Workspace

    holder = Workspace.open(ws).lock("woo ingest (test)").acquire()
    try:
        r = woo(ws, "ingest")
        assert r.exit_code == 1 and "woo ingest (test)" in r.output and str(os.getpid()) in r.output
    finally:
        holder.release()
    r = woo(ws, "ingest")
    assert r.exit_code == 0
    listing = json.loads(woo(ws, "source", "list", "--format", "json").stdout)
    assert listing[0]["name"] == "sanne" and listing[0]["items"] == 3
    r = woo(ws, "ingest", "nope")
    assert r.exit_code == 1 and "unknown source" in r.output


def test_doctor_and_reindex_mend_a_damaged_index(ws, tmp_path):
    box = tmp_path / "inbox.mbox"
    box.write_text(MBOX)
    woo(ws, "import", str(box), "--custodian", "S")
    assert woo(ws, "doctor").exit_code == 0
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    victim = next(iter(w.index.ids()))
    w.index.delete([victim])
    w.close()
    r = woo(ws, "doctor")
    assert r.exit_code == 1 and "woo reindex" in r.output
    assert woo(ws, "reindex").exit_code == 0
    assert woo(ws, "doctor").exit_code == 0


def test_audit_chain_shows_tampering(ws, tmp_path):
    woo(ws, "policy", "keep", "Jan Bakker")
    assert woo(ws, "audit").exit_code == 0
    import sqlite3

    db = sqlite3.connect(ws / "catalog.sqlite")
    db.execute("UPDATE audit SET user='iemand-anders' WHERE action='policy keep'")
    db.commit()
    db.close()
    r = woo(ws, "audit", "--format", "json")
    assert r.exit_code == 1
    rows = json.loads(r.stdout)
    assert [x["check"] for x in rows if x["action"] == "policy keep"] == ["BROKEN"]


def test_cron_run_prints_plain_lines(ws, tmp_path):
    box = tmp_path / "big.mbox"
    write_mbox(box, 50)
    woo(ws, "source", "add", "big", "--type", "mbox", "--path", str(box), "--custodian", "S")
    p = subprocess.run([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "ingest"], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "\x1b[" not in p.stderr and "big: ok, 50 new" in p.stderr
    runs = json.loads(woo(ws, "runs", "--format", "json").stdout)
    assert runs[0]["source"] == "big" and runs[0]["new"] == 50 and runs[0]["status"] == "ok"


def test_help_of_every_command_has_an_example():
    from woo_collector.cli import main  # noqa: F401

    def walk(group, prefix=""):
        for name, cmd in group.commands.items():
            if hasattr(cmd, "commands"):
                yield from walk(cmd, prefix + name + " ")
            else:
                yield prefix + name, cmd

    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    for name, cmd in walk(cli):
        assert cmd.help and "Example" in cmd.help, name
        assert f"woo {name}" in readme, f"README tour misses 'woo {name}'"

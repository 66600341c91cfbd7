"""A collect interrupted between writing the documents and recording the selection leaves the
previous collect whole: documents, numbers, redaction proposals and selection are one transaction."""

import json
import sqlite3
from pathlib import Path

import pytest

from woo_collector.catalog.sqlite_requests import SQLiteRequestStore
from woo_requests.test_requests import mail
from tests.conftest import woo


def import_mails(ws: Path, folder: Path, custodian: str, n: int, first: int = 0) -> None:
    folder.mkdir(parents=True)
    for k in range(first, first + n):
        raw = mail(f"Windturbines overleg {k}", f"Overleg {k} over windturbines; bel Jan Bakker op 06-12345678.",
                   f"Tue, 11 Mar 2025 {9 + k % 8:02d}:{k % 60:02d}:00 +0100", f"<m{k}@voorbeeld.nl>")
        (folder / f"{k}.eml").write_bytes(raw)
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", custodian, "--source", f"mail-{custodian}")
    assert r.exit_code == 0, r.output


def state(ws: Path) -> dict:
    db = sqlite3.connect(ws / "catalog.sqlite")
    sel = db.execute("SELECT id, items FROM selections WHERE request='R1' ORDER BY id DESC LIMIT 1").fetchone()
    out = {
        "selection": sel,
        "selected": sorted(r[0] for r in db.execute("SELECT item_id FROM selection_items WHERE selection=?", (sel[0],))),
        "documents": db.execute("SELECT nr, key, items, status FROM documents WHERE request='R1' ORDER BY nr").fetchall(),
        "redactions": db.execute("SELECT key, nr FROM redactions WHERE request='R1' ORDER BY key").fetchall(),
        "audit": db.execute("SELECT count(*) FROM audit WHERE action='request collect'").fetchone()[0],
    }
    db.close()
    return out


def test_collect_failing_before_the_selection_leaves_the_previous_collect_whole(tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    import_mails(ws, tmp_path / "a", "sanne", 4)
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    before = state(ws)
    assert len(before["documents"]) == 4 and before["redactions"]
    import_mails(ws, tmp_path / "b", "pieter", 3, first=10)  # the next collect would find 7 documents

    def broken(self, *args, **kwargs):
        raise RuntimeError("interrupted between the documents and the selection")

    with monkeypatch.context() as m:
        m.setattr(SQLiteRequestStore, "add_selection", broken)
        with pytest.raises(RuntimeError):
            woo(ws, "request", "collect", "R1")
    after = state(ws)
    assert after == before  # not 7 documents bound to a selection of 4 mails
    selected = set(after["selected"])
    assert all(set(json.loads(items)) <= selected for _nr, _key, items, _status in after["documents"])

    r = woo(ws, "request", "collect", "R1")  # the rerun completes
    assert r.exit_code == 0, r.output
    done = state(ws)
    assert len(done["documents"]) == 7 and done["audit"] == 2 and done["selection"][1] == 7
    selected = set(done["selected"])
    assert all(set(json.loads(items)) <= selected for _nr, _key, items, _status in done["documents"])


def test_collect_killed_between_the_documents_and_the_selection(tmp_path):
    import os
    import subprocess
    import sys

    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    import_mails(ws, tmp_path / "a", "sanne", 3)
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    before = state(ws)
    import_mails(ws, tmp_path / "b", "pieter", 2, first=10)
    p = subprocess.run([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", "request", "collect", "R1"],
                       capture_output=True, text=True, timeout=120, env={**os.environ, "WOO_KILL_AT": "collect-documents:1"})
    assert p.returncode == -9, p.stderr
    assert state(ws) == before
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    assert len(state(ws)["documents"]) == 5
    assert woo(ws, "doctor").exit_code == 0

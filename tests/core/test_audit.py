"""The audit log cannot be cut or rewritten unseen, and no change is made without its audit row."""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
from pathlib import Path

import pytest

from woo_collector.catalog.audit import chain_hash
from tests.conftest import woo


@pytest.fixture
def ws(tmp_path):
    assert woo(tmp_path / "ws", "init", "--organisation", "Gemeente Test").exit_code == 0
    ws = tmp_path / "ws"
    for name in ("Jan Bakker", "Piet Jansen", "Klaas Vaak"):
        assert woo(ws, "policy", "keep", name).exit_code == 0
    assert woo(ws, "reindex").exit_code == 0  # so doctor is clean but for the audit log
    assert woo(ws, "doctor").exit_code == 0
    return ws


def sql(ws: Path, *statements: str) -> None:
    db = sqlite3.connect(ws / "catalog.sqlite")
    for s in statements:
        db.execute(s)
    db.commit()
    db.close()


def assert_broken(ws: Path, *words: str) -> None:
    r = woo(ws, "audit")
    assert r.exit_code == 1
    assert "BROKEN" in r.output
    d = woo(ws, "doctor", "--format", "json")
    assert d.exit_code == 1
    problems = " ".join(json.loads(d.stdout)["problems"])
    assert "the audit log was altered" in problems and "keep this workspace as evidence" in problems.lower()
    for w in words:
        assert w in problems


def test_key_and_anchor_beside_the_catalog_owner_only(ws):
    for name in ("audit.key", "audit.anchor"):
        assert stat.S_IMODE(os.stat(ws / name).st_mode) == 0o600
    lines = (ws / "audit.anchor").read_text().splitlines()
    assert len(lines) == 5  # init, three policy changes and the reindex, one line each


def test_deleting_the_last_rows_is_detected(ws):
    sql(ws, "DELETE FROM audit WHERE id > 2")
    assert_broken(ws, "the last 3 rows were deleted", "at row 3")


def test_deleting_every_row_is_detected(ws):
    sql(ws, "DELETE FROM audit")
    assert_broken(ws, "all rows were deleted")


def test_editing_and_recomputing_the_chain_is_detected(ws):
    db = sqlite3.connect(ws / "catalog.sqlite")
    db.row_factory = sqlite3.Row
    db.execute("UPDATE audit SET user='iemand-anders' WHERE id=2")
    prev = ""
    for r in db.execute("SELECT * FROM audit ORDER BY id").fetchall():  # what an attacker without the key can do
        h = chain_hash(prev, r["ts"], r["user"], r["action"], r["request"] or "", r["args"], r["outcome"])
        db.execute("UPDATE audit SET prev_hash=?, hash=? WHERE id=?", (prev, h, r["id"]))
        prev = h
    db.commit()
    db.close()
    r = woo(ws, "audit", "--format", "json")
    checks = {x["id"]: (x["check"], x["why"]) for x in json.loads(r.stdout)}
    assert checks[1] == ("ok", "") and checks[2][0] == "BROKEN" and "signed" in checks[2][1]
    assert_broken(ws, "at row 2")


def test_deleting_the_anchor_or_the_key_is_detected(ws):
    (ws / "audit.anchor").unlink()
    assert woo(ws, "policy", "keep", "Nog Iemand").exit_code == 0  # the next row does not re-create the anchor
    assert not (ws / "audit.anchor").exists()
    assert_broken(ws, "audit.anchor is missing")


def test_without_the_key_nothing_changes(ws):
    (ws / "audit.key").unlink()
    r = woo(ws, "policy", "keep", "Nog Iemand")
    assert r.exit_code == 1 and "audit.key is missing" in r.output and "nothing was changed" in r.output
    assert "Nog Iemand" not in (ws / "woo.toml").read_text()
    assert_broken(ws, "audit.key is missing")


def test_drop_table_audit_refuses_changes_with_a_message(ws):
    sql(ws, "DROP TABLE audit")
    toml = (ws / "woo.toml").read_text()
    r = woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-01-01", "--to", "2025-12-31")
    assert r.exit_code == 1
    assert "audit log cannot be written" in r.output and "nothing was changed" in r.output
    assert "Traceback" not in r.output
    r = woo(ws, "request", "list", "--format", "json")
    assert json.loads(r.stdout) == []
    r = woo(ws, "policy", "keep", "Nieuwe Naam")
    assert r.exit_code == 1 and "audit log cannot be written" in r.output
    assert (ws / "woo.toml").read_text() == toml
    assert woo(ws, "doctor").exit_code == 1


def test_an_older_workspace_is_sealed_on_first_open(ws):
    (ws / "audit.key").unlink()
    (ws / "audit.anchor").unlink()
    sql(ws, "UPDATE audit SET mac=NULL")
    r = woo(ws, "audit", "--format", "json")
    assert r.exit_code == 0
    rows = json.loads(r.stdout)
    assert rows[-1]["action"] == "audit sealed" and json.loads(rows[-1]["args"])["rows"] == 5
    assert len((ws / "audit.anchor").read_text().splitlines()) == 6
    assert woo(ws, "doctor").exit_code == 0
    sql(ws, "DELETE FROM audit WHERE id = 6")
    assert_broken(ws, "the last 1 rows were deleted")


def test_an_export_that_cannot_be_audited_is_not_written(ws, tmp_path):
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-01-01", "--to", "2025-12-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    sql(ws, "DROP TABLE audit")
    out = tmp_path / "pakket"
    r = woo(ws, "request", "export", "R1", "--out", str(out))
    assert r.exit_code == 1 and "audit log cannot be written" in r.output and "Traceback" not in r.output
    assert not out.exists() and not list(tmp_path.glob(".pakket*"))  # no package, no leftovers


def test_doctor_names_wider_permissions_and_the_chmod_that_mends_them(ws):
    os.chmod(ws / "audit.key", 0o644)
    os.chmod(ws / "woo.toml", 0o664)
    r = woo(ws, "doctor")
    assert r.exit_code == 1
    assert "audit.key is accessible to other users (mode 0o644)" in r.output and f"chmod -R go-rwx {ws}" in r.output
    assert "woo.toml is accessible to other users" in r.output
    subprocess.run(["chmod", "-R", "go-rwx", str(ws)], check=True)
    assert woo(ws, "doctor").exit_code == 0

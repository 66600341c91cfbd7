"""The Item fields the core reads (folder, filetype, platform, seq, identity, message_id_derived):
written by connectors, kept by the catalog in columns, moved out of meta for older workspaces."""

import hashlib
import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector.catalog.sqlite import FIELD_COLUMNS
from woo_collector.cli import cli
from woo_collector.workspace import Workspace

MBOX = """From a@x Tue Mar 11 09:14:00 2025
From: Sanne de Vries <s.devries@voorbeeld.nl>
To: team@voorbeeld.nl
Subject: Windturbines Kraaiennest
Date: Tue, 11 Mar 2025 09:14:00 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="grens"

--grens
Content-Type: text/plain; charset=utf-8

Zie de notitie.
--grens
Content-Type: text/plain; name="notitie.txt"
Content-Disposition: attachment; filename="notitie.txt"

De turbines worden 135 meter hoog.
--grens--
"""

CHAT = ("11-03-2025 09:14 - Sanne de Vries: De windturbines komen er\n"
        "11-03-2025 09:15 - Pieter Jansen: Goed bericht\n")


def woo(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), "--quiet", *args], catch_exceptions=False)


@pytest.fixture
def imported(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    inputs = tmp_path / "in"
    inputs.mkdir()
    (inputs / "Archief.mbox").write_text(MBOX)
    (inputs / "WhatsApp-chat met Team Wind.txt").write_text(CHAT)
    for name in ("Archief.mbox", "WhatsApp-chat met Team Wind.txt"):
        r = woo(ws, "import", str(inputs / name), "--custodian", "Sanne")
        assert r.exit_code == 0, r.output
    return ws, inputs


def items(ws: Path) -> dict[str, object]:
    w = Workspace.open(ws)
    try:
        return {i.subject + (f" {i.seq}" if i.seq else ""): i for i in w.catalog.iter_items()}
    finally:
        w.close()


def reimport(ws: Path, inputs: Path) -> list[dict]:
    """Import again with the sync state forgotten, so every item is read and compared by fingerprint
    (as a server re-sync does), not skipped as a file already taken in."""
    db = sqlite3.connect(ws / "catalog.sqlite")
    db.execute("DELETE FROM sync_state")
    db.commit()
    db.close()
    for name in ("Archief.mbox", "WhatsApp-chat met Team Wind.txt"):
        assert woo(ws, "import", str(inputs / name), "--custodian", "Sanne").exit_code == 0
    return json.loads(woo(ws, "runs", "--format", "json").stdout)[:2]


def test_connectors_write_fields_and_the_catalog_keeps_them(imported):
    ws, _ = imported
    got = items(ws)
    mail, note = got["Windturbines Kraaiennest"], got["notitie.txt"]
    assert mail.folder == "Archief" and mail.message_id_derived and mail.message_id.endswith("@woo-collector.derived>")
    assert note.kind == "attachment" and note.filetype == "document"
    first, second = got["Team Wind 1"], got["Team Wind 2"]
    assert (first.platform, first.seq, second.seq) == ("whatsapp", 1, 2) and first.identity and first.identity != second.identity
    for item in got.values():
        assert not set(FIELD_COLUMNS) & set(item.meta), item.meta  # meta holds display-only extras


def old_fingerprint(row: sqlite3.Row, meta: dict) -> str:
    """catalog.base.item_fingerprint as it was before schema 3 (the fields were keys of meta)."""
    payload = json.dumps(
        [row["kind"], row["sha256"], row["sent"], row["sender"] or "", json.loads(row["recipients"]), json.loads(row["cc"]),
         json.loads(row["bcc"]), row["subject"] or "", row["body"] or "", row["locator"] or "", row["conversation"] or "",
         row["parent"] or "", row["message_id"] or "", meta],
        sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def make_schema_2(ws: Path) -> None:
    """Turn the catalog back into what woo-collector before schema 3 wrote: the fields as meta keys."""
    db = sqlite3.connect(ws / "catalog.sqlite")
    db.row_factory = sqlite3.Row
    for row in db.execute("SELECT * FROM items").fetchall():
        meta = json.loads(row["meta"])
        if row["kind"] == "email":
            meta.update(folder=row["folder"], message_id_derived=bool(row["message_id_derived"]))
        if row["filetype"]:
            meta["filetype"] = row["filetype"]
        if row["platform"]:
            meta["platform"] = row["platform"]
        if row["seq"]:
            meta.update(seq=row["seq"], identity=row["identity"])
        db.execute("UPDATE items SET meta=?, fingerprint=? WHERE id=?",
                   (json.dumps(meta, ensure_ascii=False), old_fingerprint(row, meta), row["id"]))
    for column in FIELD_COLUMNS:
        db.execute(f"ALTER TABLE items DROP COLUMN {column}")
    db.execute("PRAGMA user_version = 2")
    db.commit()
    db.close()


def test_an_older_workspace_is_migrated_and_an_unchanged_import_changes_nothing(imported):
    ws, inputs = imported
    before = items(ws)
    make_schema_2(ws)

    after = items(ws)  # opening the workspace migrates it
    assert after == before  # every field back out of meta, into its own column
    db = sqlite3.connect(ws / "catalog.sqlite")
    assert db.execute("PRAGMA user_version").fetchone()[0] == 8  # 3: these fields; 4: the audit rows' HMAC; 5: withdrawn requests; 6: undated default; 7: remarks; 8: out of scope, redaction indexes
    assert not any(k in json.loads(m) for (m,) in db.execute("SELECT meta FROM items") for k in FIELD_COLUMNS)
    db.close()

    for run in reimport(ws, inputs):
        assert (run["status"], run["new"], run["changed"]) == ("ok", 0, 0) and run["unchanged"] >= 2, run


def test_an_unchanged_import_changes_nothing(imported):
    ws, inputs = imported
    for run in reimport(ws, inputs):
        assert (run["status"], run["new"], run["changed"]) == ("ok", 0, 0) and run["unchanged"] >= 2, run

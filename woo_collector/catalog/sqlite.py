"""The embedded catalog: SQLite in WAL mode, with versioned migrations (``PRAGMA user_version``).

A migration step is a SQL script, or a function of the connection where SQL alone cannot do it
(step 3 moves the ``Item`` fields the core reads out of the ``meta`` JSON into their own columns and
recomputes the fingerprints, so an unchanged re-run after the upgrade still changes nothing).
"""

from __future__ import annotations

import json
import os
import sqlite3
from datetime import datetime, timezone
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Iterable, Iterator, Sequence

from woo_collector import faults
from woo_collector.catalog.audit import ANCHOR_FILE, KEY_FILE, AuditCheck, Seal, chain_hash
from woo_collector.catalog.base import AuditEntry, Catalog, RunReport, UpsertResult, content_hash, item_fingerprint
from woo_collector.errors import AuditError, storage_error
from woo_collector.models import Deletion, Failure, Item, file_key

MIGRATIONS: list[str] = [
    # 1: the foundation
    """
    CREATE TABLE runs(
        id INTEGER PRIMARY KEY, source TEXT NOT NULL, kind TEXT NOT NULL, started TEXT NOT NULL,
        finished TEXT, status TEXT NOT NULL, new INTEGER DEFAULT 0, changed INTEGER DEFAULT 0,
        unchanged INTEGER DEFAULT 0, failed INTEGER DEFAULT 0, deleted INTEGER DEFAULT 0,
        message TEXT DEFAULT '', pid INTEGER, user TEXT);
    CREATE TABLE items(
        id TEXT PRIMARY KEY, kind TEXT NOT NULL, source TEXT NOT NULL, custodian TEXT NOT NULL,
        sent TEXT, sender TEXT, recipients TEXT, cc TEXT, bcc TEXT, subject TEXT, body TEXT,
        sha256 TEXT NOT NULL, locator TEXT, conversation TEXT, parent TEXT, message_id TEXT,
        meta TEXT, fingerprint TEXT NOT NULL, content_hash TEXT, indexed INTEGER NOT NULL DEFAULT 0,
        run_id INTEGER, first_seen TEXT NOT NULL, updated TEXT NOT NULL, deleted_at TEXT);
    CREATE INDEX items_source ON items(source);
    CREATE INDEX items_sha ON items(sha256);
    CREATE INDEX items_parent ON items(parent);
    CREATE INDEX items_conversation ON items(conversation);
    CREATE INDEX items_message_id ON items(message_id);
    CREATE INDEX items_unindexed ON items(indexed) WHERE indexed = 0;
    CREATE TABLE originals(sha256 TEXT PRIMARY KEY, size INTEGER, name TEXT, first_seen TEXT);
    CREATE TABLE sync_state(source TEXT NOT NULL, key TEXT NOT NULL, value TEXT, updated TEXT,
        PRIMARY KEY(source, key));
    CREATE TABLE failures(
        id INTEGER PRIMARY KEY, source TEXT NOT NULL, path TEXT, locator TEXT, sha256 TEXT,
        reason TEXT NOT NULL, first_run INTEGER, last_run INTEGER, first_seen TEXT, last_seen TEXT,
        attempts INTEGER DEFAULT 1, resolved TEXT, UNIQUE(source, path, locator, reason));
    CREATE TABLE deletions(source TEXT NOT NULL, key TEXT NOT NULL, locator TEXT, run_id INTEGER,
        seen TEXT, PRIMARY KEY(source, key));
    CREATE TABLE audit(
        id INTEGER PRIMARY KEY, ts TEXT NOT NULL, user TEXT, action TEXT NOT NULL, request TEXT,
        args TEXT, outcome TEXT, prev_hash TEXT, hash TEXT NOT NULL);
    """,
]

# Item fields with a column of their own since schema 3 (before: keys of the meta JSON)
FIELD_COLUMNS = ("message_id_derived", "folder", "filetype", "platform", "seq", "identity")
ITEM_COLUMNS = ("id", "kind", "source", "custodian", "sent", "sender", "recipients", "cc", "bcc",
                "subject", "body", "sha256", "locator", "conversation", "parent", "message_id", "meta") + FIELD_COLUMNS


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def field_values(row: sqlite3.Row, meta: dict) -> dict[str, Any]:
    """The FIELD_COLUMNS of a row; from its meta (taking them out) when the catalog predates them
    (a read-only catalog of an older version, which is never migrated, or migration step 3 itself)."""
    if "identity" in row.keys():
        values = {k: row[k] for k in FIELD_COLUMNS}
    else:
        values = {k: meta.pop(k) for k in FIELD_COLUMNS if k in meta}
    return {"message_id_derived": bool(values.get("message_id_derived")), "folder": str(values.get("folder") or ""),
            "filetype": str(values.get("filetype") or ""), "platform": str(values.get("platform") or ""),
            "seq": int(values.get("seq") or 0), "identity": str(values.get("identity") or "")}


def _row_to_item(row: sqlite3.Row) -> Item:
    meta = json.loads(row["meta"] or "{}")
    return Item(
        id=row["id"], kind=row["kind"], source=row["source"], custodian=row["custodian"],
        sha256=row["sha256"], sent=datetime.fromisoformat(row["sent"]) if row["sent"] else None,
        sender=row["sender"] or "", recipients=tuple(json.loads(row["recipients"] or "[]")),
        cc=tuple(json.loads(row["cc"] or "[]")), bcc=tuple(json.loads(row["bcc"] or "[]")),
        subject=row["subject"] or "", body=row["body"] or "", locator=row["locator"] or "",
        conversation=row["conversation"] or "", parent=row["parent"] or "",
        message_id=row["message_id"] or "", **field_values(row, meta), meta=meta,
    )


def item_values(item: Item) -> tuple:
    """The ``items`` row of ``item`` (its ``ITEM_COLUMNS``), kept with it (``Item.memo``): an ingest
    worker makes it for what it parsed, so the ingesting process does not encode the lists and the
    metadata as JSON itself."""
    return item.memo("catalog row", _item_values)


def _item_values(item: Item) -> tuple:
    return (item.id, item.kind, item.source, item.custodian, item.sent.isoformat() if item.sent else None,
            item.sender, json.dumps(list(item.recipients), ensure_ascii=False), json.dumps(list(item.cc), ensure_ascii=False),
            json.dumps(list(item.bcc), ensure_ascii=False), item.subject, item.body, item.sha256, item.locator,
            item.conversation, item.parent, item.message_id, json.dumps(dict(item.meta), ensure_ascii=False, default=str),
            int(item.message_id_derived), item.folder, item.filetype, item.platform, item.seq, item.identity)


class SQLiteCatalog(Catalog):
    def __init__(self, path: Path):
        self.path = Path(path)
        self.readonly = False
        try:
            self.db = sqlite3.connect(self.path, timeout=30.0, isolation_level=None)
            self.db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError:
            if not self.path.exists() or os.access(self.path.parent, os.W_OK):
                raise
            # a read-only workspace (a mounted copy, a full disk made read-only): search and show still work
            self.db = sqlite3.connect(f"file:{self.path}?immutable=1", uri=True, isolation_level=None)
            self.readonly = True
        self.db.row_factory = sqlite3.Row
        self.db.execute("PRAGMA synchronous=NORMAL")
        self.db.execute("PRAGMA foreign_keys=ON")
        if not self.readonly:
            self.migrate()
            self._seal_if_new()

    # schema -------------------------------------------------------------------------------------
    def migrate(self) -> None:
        from woo_collector.catalog import migrations_extra

        steps = MIGRATIONS + migrations_extra.MIGRATIONS
        version = self.db.execute("PRAGMA user_version").fetchone()[0]
        for n, script in enumerate(steps[version:], start=version + 1):
            self.db.execute("BEGIN IMMEDIATE")
            try:
                if callable(script):
                    script(self.db)
                else:
                    for stmt in filter(str.strip, script.split(";")):
                        self.db.execute(stmt)
                self.db.execute(f"PRAGMA user_version = {n}")
                self.db.execute("COMMIT")
            except BaseException:
                self.db.execute("ROLLBACK")
                raise

    @property
    def schema_version(self) -> int:
        return self.db.execute("PRAGMA user_version").fetchone()[0]

    def close(self) -> None:
        self.db.close()

    @cached_property
    def requests(self):
        """Woo requests, selections, documents and redactions, in the same database."""
        from woo_collector.catalog.sqlite_requests import SQLiteRequestStore

        return SQLiteRequestStore(self.db)

    # runs ---------------------------------------------------------------------------------------
    def start_run(self, source: str, kind: str, user: str, pid: int) -> RunReport:
        started = now_iso()
        cur = self.db.execute("INSERT INTO runs(source, kind, started, status, pid, user) VALUES(?,?,?,?,?,?)",
                              (source, kind, started, "running", pid, user))
        return RunReport(id=cur.lastrowid, source=source, kind=kind, started=started)

    def finish_run(self, report: RunReport) -> None:
        report.finished = report.finished or now_iso()
        self.db.execute(
            "UPDATE runs SET finished=?, status=?, new=?, changed=?, unchanged=?, failed=?, deleted=?, message=? WHERE id=?",
            (report.finished, report.status, report.new, report.changed, report.unchanged, report.failed,
             report.deleted, report.message, report.id))

    def runs(self, source: str | None = None, limit: int = 50) -> list[RunReport]:
        q = "SELECT * FROM runs" + (" WHERE source=?" if source else "") + " ORDER BY id DESC LIMIT ?"
        rows = self.db.execute(q, ((source, limit) if source else (limit,))).fetchall()
        return [RunReport(id=r["id"], source=r["source"], kind=r["kind"], started=r["started"], finished=r["finished"] or "",
                          status=r["status"], new=r["new"], changed=r["changed"], unchanged=r["unchanged"],
                          failed=r["failed"], deleted=r["deleted"], message=r["message"] or "") for r in rows]

    def mark_interrupted_runs(self) -> int:
        cur = self.db.execute("UPDATE runs SET status='interrupted', finished=? WHERE status='running'", (now_iso(),))
        return cur.rowcount

    # items --------------------------------------------------------------------------------------
    def apply_batch(self, source: str, run_id: int, items: Sequence[Item], failures: Sequence[Failure],
                    deletions: Sequence[Deletion], checkpoints: Sequence[tuple[str, str]],
                    originals: Sequence[tuple[str, int, str]]) -> UpsertResult:
        result = UpsertResult()
        ts = now_iso()
        db = self.db
        db.execute("BEGIN IMMEDIATE")
        try:
            if originals:
                db.executemany("INSERT OR IGNORE INTO originals(sha256, size, name, first_seen) VALUES(?,?,?,?)",
                               [(s, n, name, ts) for s, n, name in originals])
            existing: dict[str, str] = {}
            ids = [i.id for i in items]
            for k in range(0, len(ids), 500):
                chunk = ids[k:k + 500]
                for row in db.execute(f"SELECT id, fingerprint FROM items WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                    existing[row[0]] = row[1]
            seen_in_batch: set[str] = set()
            inserts, updates = [], []
            for item in items:
                fp = item_fingerprint(item)
                if item.id in seen_in_batch:
                    continue
                seen_in_batch.add(item.id)
                old = existing.get(item.id)
                if old == fp:
                    result.unchanged += 1
                    continue
                values = item_values(item) + (fp, content_hash(item), run_id)
                if old is None:
                    inserts.append(values + (ts, ts))
                    result.new.append(item)
                else:
                    updates.append(values[1:] + (ts, item.id))
                    result.changed.append(item)
            db.executemany(f"INSERT INTO items({','.join(ITEM_COLUMNS)}, fingerprint, content_hash, run_id, indexed, first_seen, updated) "
                           f"VALUES({','.join('?' * (len(ITEM_COLUMNS) + 3))}, 0, ?, ?)", inserts)
            sets = ", ".join(f"{c}=?" for c in ITEM_COLUMNS[1:])
            db.executemany(f"UPDATE items SET {sets}, fingerprint=?, content_hash=?, run_id=?, indexed=0, updated=? WHERE id=?", updates)
            # one statement a list, not one a row: a maildir's batch holds a checkpoint a mail
            db.executemany(
                "INSERT INTO failures(source, path, locator, sha256, reason, first_run, last_run, first_seen, last_seen) "
                "VALUES(?,?,?,?,?,?,?,?,?) ON CONFLICT(source, path, locator, reason) DO UPDATE SET "
                "last_run=excluded.last_run, last_seen=excluded.last_seen, attempts=attempts+1, resolved=NULL, sha256=excluded.sha256",
                [(source, f.path, f.locator, f.sha256, f.reason, run_id, run_id, ts, ts) for f in failures])
            db.executemany("INSERT OR IGNORE INTO deletions(source, key, locator, run_id, seen) VALUES(?,?,?,?,?)",
                           [(source, d.key, d.locator, run_id, ts) for d in deletions])
            db.executemany("INSERT INTO sync_state(source, key, value, updated) VALUES(?,?,?,?) "
                           "ON CONFLICT(source, key) DO UPDATE SET value=excluded.value, updated=excluded.updated",
                           [(source, key, value, ts) for key, value in checkpoints])
            faults.point("catalog-commit")
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return result

    def mark_indexed(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        if not ids:
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("UPDATE items SET indexed=1 WHERE id=?", [(i,) for i in ids])
            faults.point("mark-indexed")
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise

    def mark_all_unindexed(self) -> None:
        self.db.execute("UPDATE items SET indexed=0")

    def unindexed(self, limit: int = 1000) -> list[Item]:
        rows = self.db.execute("SELECT * FROM items WHERE indexed=0 LIMIT ?", (limit,)).fetchall()
        return [_row_to_item(r) for r in rows]

    def count_unindexed(self) -> int:
        return self.db.execute("SELECT count(*) FROM items WHERE indexed=0").fetchone()[0]

    def get_item(self, item_id: str) -> Item | None:
        row = self.db.execute("SELECT * FROM items WHERE id=?", (item_id,)).fetchone()
        return _row_to_item(row) if row else None

    def get_items(self, ids: Sequence[str]) -> list[Item]:
        out: dict[str, Item] = {}
        ids = list(ids)
        for k in range(0, len(ids), 500):
            chunk = ids[k:k + 500]
            for r in self.db.execute(f"SELECT * FROM items WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                out[r["id"]] = _row_to_item(r)
        return [out[i] for i in ids if i in out]

    def get_bodies(self, ids: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        ids = list(ids)
        for k in range(0, len(ids), 500):
            chunk = ids[k:k + 500]
            for r in self.db.execute(f"SELECT id, subject, body FROM items WHERE id IN ({','.join('?' * len(chunk))})", chunk):
                out[r[0]] = f"{r[1] or ''}\n{r[2] or ''}"
        return out

    def children(self, item_id: str) -> list[Item]:
        rows = self.db.execute("SELECT * FROM items WHERE parent=? ORDER BY locator, id", (item_id,)).fetchall()
        return [_row_to_item(r) for r in rows]

    def conversation(self, key: str) -> list[Item]:
        rows = self.db.execute("SELECT * FROM items WHERE conversation=? ORDER BY sent, locator, id", (key,)).fetchall()
        return [_row_to_item(r) for r in rows]

    def iter_items(self, batch: int = 1000) -> Iterator[Item]:
        last = ""
        while True:
            rows = self.db.execute("SELECT * FROM items WHERE id > ? ORDER BY id LIMIT ?", (last, batch)).fetchall()
            if not rows:
                return
            for r in rows:
                yield _row_to_item(r)
            last = rows[-1]["id"]

    def item_ids(self) -> set[str]:
        return {r[0] for r in self.db.execute("SELECT id FROM items")}

    def item_hashes(self) -> dict[str, str]:
        return {r[0]: r[1] for r in self.db.execute("SELECT id, content_hash FROM items")}

    def count_items(self, source: str | None = None) -> int:
        if source:
            return self.db.execute("SELECT count(*) FROM items WHERE source=?", (source,)).fetchone()[0]
        return self.db.execute("SELECT count(*) FROM items").fetchone()[0]

    def items_state(self) -> str:
        n, last = self.db.execute("SELECT count(*), max(updated) FROM items").fetchone()
        return f"items={n};last_update={last}"

    def originals(self) -> Iterator[tuple[str, int]]:
        for r in self.db.execute("SELECT sha256, size FROM originals ORDER BY sha256"):
            yield r[0], r[1]

    def referenced_shas(self) -> set[str]:
        shas = {r[0] for r in self.db.execute("SELECT DISTINCT sha256 FROM items")}
        shas |= {r[0] for r in self.db.execute("SELECT DISTINCT sha256 FROM failures WHERE sha256 != ''")}
        return shas

    # sync state and failures --------------------------------------------------------------------
    def get_state(self, source: str, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM sync_state WHERE source=? AND key=?", (source, key)).fetchone()
        return row[0] if row else None

    def get_states(self, source: str, keys: Sequence[str]) -> dict[str, str]:
        out: dict[str, str] = {}
        keys = list(keys)
        for k in range(0, len(keys), 500):
            chunk = keys[k:k + 500]
            out.update(self.db.execute(f"SELECT key, value FROM sync_state WHERE source=? AND key IN ({','.join('?' * len(chunk))})",
                                       [source, *chunk]))
        return out

    def open_failures(self, source: str | None = None) -> list[dict[str, Any]]:
        q = "SELECT * FROM failures WHERE resolved IS NULL" + (" AND source=?" if source else "") + " ORDER BY id"
        return [dict(r) for r in self.db.execute(q, (source,) if source else ())]

    def resolve_failures(self, source: str, run_id: int, source_level_only: bool = False) -> int:
        cur = self.db.execute("UPDATE failures SET resolved=? WHERE source=? AND resolved IS NULL AND last_run < ?"
                              + (" AND locator = ''" if source_level_only else ""), (now_iso(), source, run_id))
        return cur.rowcount

    def open_failure(self, failure_id: int) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM failures WHERE id=? AND resolved IS NULL", (failure_id,)).fetchone()
        return dict(row) if row is not None else None

    def dismiss_failure(self, failure_id: int, note: str, skip_file: bool = False) -> dict[str, Any] | None:
        # in the caller's transaction (Catalog.change), with its audit row
        row = self.db.execute("SELECT * FROM failures WHERE id=? AND resolved IS NULL", (failure_id,)).fetchone()
        if row is None:
            return None
        ts = now_iso()
        self.db.execute("UPDATE failures SET resolved=? WHERE id=?", (f"{ts} {note}", failure_id))
        if skip_file and row["sha256"]:
            self.db.execute("INSERT INTO sync_state(source, key, value, updated) VALUES(?,?,?,?) "
                            "ON CONFLICT(source, key) DO UPDATE SET value=excluded.value, updated=excluded.updated",
                            (row["source"], file_key(row["sha256"]), "dismissed", ts))
        return dict(row)

    def source_stats(self) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for r in self.db.execute("SELECT source, custodian, count(*) AS n FROM items GROUP BY source, custodian"):
            st = out.setdefault(r["source"], {})
            st["items"] = st.get("items", 0) + r["n"]
            if r["custodian"]:
                st.setdefault("custodians", []).append(r["custodian"])
        for r in self.db.execute("SELECT source, count(*) FROM failures WHERE resolved IS NULL GROUP BY source"):
            out.setdefault(r[0], {})["open_failures"] = r[1]
        for r in self.db.execute("SELECT source, max(id) AS id FROM runs GROUP BY source"):
            run = self.db.execute("SELECT * FROM runs WHERE id=?", (r["id"],)).fetchone()
            out.setdefault(r["source"], {})["last_run"] = {"id": run["id"], "started": run["started"], "status": run["status"],
                                                          "new": run["new"], "failed": run["failed"]}
        for r in self.db.execute("SELECT source, count(*) FROM sync_state GROUP BY source"):
            out.setdefault(r[0], {})["sync_keys"] = r[1]
        return out

    # audit (append-only, hash-chained, sealed by a key and an anchor outside the catalog) ----------
    @cached_property
    def seal(self) -> Seal:
        return Seal(self.path.parent)

    def _seal_if_new(self) -> None:
        """An older workspace (no key, no anchor): create the key, sign and anchor the rows as they stand."""
        seal = self.seal
        if seal.exists():
            return
        try:
            seal.create_key()
        except FileExistsError:  # another process sealed it just now
            return
        try:
            rows = [(r[0], r[1]) for r in self.db.execute("SELECT id, hash FROM audit ORDER BY id")]
        except sqlite3.OperationalError:  # no audit table: doctor says so
            return
        self.db.execute("BEGIN IMMEDIATE")
        try:
            self.db.executemany("UPDATE audit SET mac=? WHERE id=?", [(seal.mac(h), i) for i, h in rows])
            self.db.execute("COMMIT")
        except BaseException:
            self.db.execute("ROLLBACK")
            raise
        seal.append(rows)
        if rows:
            self.append_audit(_os_user(), "audit sealed", {"rows": len(rows), "head": rows[-1][1], "key": KEY_FILE, "anchor": ANCHOR_FILE},
                              "the existing rows were signed and anchored as they stood")

    @contextmanager
    def change(self, user: str, action: str, args: dict[str, Any], request: str = "") -> Iterator[AuditEntry]:
        """One transaction for a change and its audit row(s): both are committed, or neither.

        The audit log is read first: when it cannot be written, ``AuditError`` is raised before
        anything changes. The body sets ``entry.outcome`` (and may add rows with ``entry.also``).
        """
        entry = AuditEntry(action=action, args=dict(args), request=request)
        db = self.db
        if db.in_transaction:
            raise RuntimeError("catalog.change() cannot be nested in another transaction")
        if self.seal.key is None:
            raise AuditError(f"{self.seal.key_path} is missing, so no audit row can be signed; nothing was changed. "
                             "Restore audit.key from backup (run 'woo doctor' to check the audit log)")
        db.execute("BEGIN IMMEDIATE")
        try:
            prev = self._audit_sql("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()
            prev = prev[0] if prev else ""
            yield entry
            for e in [entry, *entry.more]:
                ts = datetime.now(timezone.utc).isoformat(timespec="microseconds")
                args_json = json.dumps(e.args, sort_keys=True, ensure_ascii=False, default=str)
                h = chain_hash(prev, ts, user, e.action, e.request, args_json, e.outcome)
                self._audit_sql("INSERT INTO audit(ts, user, action, request, args, outcome, prev_hash, hash, mac) VALUES(?,?,?,?,?,?,?,?,?)",
                                (ts, user, e.action, e.request, args_json, e.outcome, prev, h, self.seal.mac(h)))
                prev = h
            faults.point("audit-commit")
            db.execute("COMMIT")
        except BaseException:
            if db.in_transaction:
                db.execute("ROLLBACK")
            raise
        self._anchor_new()

    def _audit_sql(self, sql: str, params: Sequence[Any] = ()) -> sqlite3.Cursor:
        try:
            return self.db.execute(sql, params)
        except sqlite3.Error as e:
            if storage_error(e, self.path.parent) is not None:
                raise
            raise AuditError(f"the audit log cannot be written ({e}); nothing was changed. Every change needs its audit "
                             f"row: run 'woo doctor', keep this workspace ({self.path.parent.resolve()}) as it is and restore "
                             "catalog.sqlite from backup") from e

    def _anchor_new(self) -> None:
        """Append the committed rows the anchor does not have yet (under a file lock; fsynced)."""
        import fcntl

        seal = self.seal
        if seal.key is None:
            return
        try:
            with open(seal.anchor_path, "r") as lockf:  # not "a": a deleted anchor is not re-created, doctor reports it
                fcntl.flock(lockf, fcntl.LOCK_EX)
                last = seal.last_anchored()
                rows = []
                for i, h, mac in self.db.execute("SELECT id, hash, mac FROM audit WHERE id > ? ORDER BY id", (last,)):
                    if mac != seal.mac(h):
                        break  # not ours: doctor reports it, the anchor does not vouch for it
                    rows.append((i, h))
                seal.append(rows)
        except (OSError, sqlite3.Error):
            pass  # the change and its row are committed; the next audit row anchors them, doctor counts them meanwhile

    def check_audit(self) -> None:
        self._audit_sql("SELECT hash FROM audit ORDER BY id DESC LIMIT 1").fetchone()

    def append_audit(self, user: str, action: str, args: dict[str, Any], outcome: str, request: str = "") -> None:
        with self.change(user, action, args, request) as entry:
            entry.outcome = outcome

    def audit_check(self) -> AuditCheck:
        try:
            rows = [dict(r) for r in self.db.execute("SELECT * FROM audit ORDER BY id")]
        except sqlite3.OperationalError as e:
            out = self.seal.check([])
            out.problems.insert(0, f"the audit table cannot be read ({e})")
            return out
        return self.seal.check(rows)

    def audit_since(self, after: int, request: str = "") -> list[tuple[int, str]]:
        q = "SELECT id, action FROM audit WHERE id > ?" + (" AND (request = ? OR request = '')" if request else "") + " ORDER BY id"
        return [(i, a) for i, a in self._audit_sql(q, (after, request) if request else (after,))]

    def audit_rows(self, request: str | None = None) -> list[dict[str, Any]]:
        rows = self.audit_check().rows
        if request:
            rows = [r for r in rows if r["request"] == request]
        return rows


def _os_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())

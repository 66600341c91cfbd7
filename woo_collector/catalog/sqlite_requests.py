"""Woo requests, selections, documents and redaction decisions in the catalog's SQLite database."""

from __future__ import annotations

import json
import sqlite3
from datetime import datetime, timezone
from typing import Any, Iterable

from woo_collector.catalog.base import RequestStore
from woo_collector.documents import Document, Redaction
from woo_collector.errors import ConfigError
from woo_collector.requests.model import Request


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class SQLiteRequestStore(RequestStore):
    """``RequestStore`` on the catalog's SQLite connection (tables requests, selections,
    selection_items, documents, redactions)."""

    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def _tx(self):
        """A transaction of its own, or, inside ``Catalog.change``, a part of that one (committed with its audit row)."""
        repo = self

        class Tx:
            def __enter__(self):
                self.outer = repo.db.in_transaction
                if not self.outer:
                    repo.db.execute("BEGIN IMMEDIATE")

            def __exit__(self, exc_type, *rest):
                if not self.outer:
                    repo.db.execute("ROLLBACK" if exc_type else "COMMIT")

        return Tx()

    # requests -----------------------------------------------------------------------------------
    def create(self, req: Request, user: str) -> None:
        if self.get(req.id, missing_ok=True):
            raise ConfigError(f"request {req.id} exists already; see 'woo request show {req.id}'")
        row = req.to_row()
        cols = list(row) + ["created", "created_by", "updated"]
        with self._tx():
            self.db.execute(f"INSERT INTO requests({','.join(cols)}) VALUES({','.join('?' * len(cols))})",
                            list(row.values()) + [now_iso(), user, now_iso()])

    def save(self, req: Request) -> None:
        row = req.to_row()
        sets = ", ".join(f"{k}=?" for k in row if k != "id")
        with self._tx():
            self.db.execute(f"UPDATE requests SET {sets}, updated=? WHERE id=?", [v for k, v in row.items() if k != "id"] + [now_iso(), req.id])

    def get(self, req_id: str, missing_ok: bool = False) -> Request | None:
        row = self.db.execute("SELECT * FROM requests WHERE id=?", (req_id,)).fetchone()
        if row is None:
            if missing_ok:
                return None
            raise ConfigError(f"no request {req_id!r}; see 'woo request list'")
        return Request.from_row(row)

    def all(self) -> list[Request]:
        return [Request.from_row(r) for r in self.db.execute("SELECT * FROM requests ORDER BY received, id")]

    # selections ---------------------------------------------------------------------------------
    def add_selection(self, req_id: str, user: str, query: str, filters: dict, index_state: str,
                      items: list[tuple[str, str]], items_hash: str, term_hits: list, counts: dict, changes: dict) -> int:
        with self._tx():
            cur = self.db.execute(
                "INSERT INTO selections(request, created, user, query, filters, index_state, items, items_hash, term_hits, counts, changes) "
                "VALUES(?,?,?,?,?,?,?,?,?,?,?)",
                (req_id, now_iso(), user, query, json.dumps(filters, sort_keys=True), index_state, len(items), items_hash,
                 json.dumps(term_hits, ensure_ascii=False), json.dumps(counts, sort_keys=True), json.dumps(changes, sort_keys=True)))
            sel = cur.lastrowid
            self.db.executemany("INSERT INTO selection_items(selection, item_id, sha256) VALUES(?,?,?)", [(sel, i, s) for i, s in items])
        return sel

    def last_selection(self, req_id: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM selections WHERE request=? ORDER BY id DESC LIMIT 1", (req_id,)).fetchone()
        if row is None:
            return None
        d = dict(row)
        for k in ("filters", "term_hits", "counts", "changes"):
            d[k] = json.loads(d[k])
        return d

    def selection_sources(self, selection: int) -> list[str]:
        return self._selected("source", selection)

    def selection_custodians(self, selection: int) -> list[str]:
        return self._selected("custodian", selection)

    def selection_media(self, selection: int) -> list[tuple[str, str, str, str]]:
        return sorted(tuple(r) for r in self.db.execute(
            "SELECT DISTINCT i.source, i.custodian, i.kind, i.platform FROM selection_items si "
            "JOIN items i ON i.id = si.item_id WHERE si.selection=?", (selection,)))

    def _selected(self, column: str, selection: int) -> list[str]:
        return sorted({v for (v,) in self.db.execute(
            f"SELECT DISTINCT i.{column} FROM selection_items si JOIN items i ON i.id = si.item_id WHERE si.selection=?", (selection,))})

    # documents ----------------------------------------------------------------------------------
    def documents(self, req_id: str, include_dropped: bool = False) -> list[dict[str, Any]]:
        q = "SELECT * FROM documents WHERE request=?" + ("" if include_dropped else " AND status='active'")
        rows = [dict(r) for r in self.db.execute(q, (req_id,))]
        for r in rows:
            for k in ("items", "places", "grounds"):
                r[k] = json.loads(r[k])
        rows.sort(key=lambda r: _nr_key(r["nr"]))
        return rows

    def replace_documents(self, req_id: str, docs: list[Document], keys: dict[str, str], sort_keys: dict[str, str],
                          dropped: Iterable[str], redactions: list[tuple[str, Redaction]]) -> None:
        """Write the collected documents; keep handler decisions of documents already reviewed."""
        reviewed = {r["key"]: r for r in self.documents(req_id, include_dropped=True) if r["reviewed"]}
        decided = {r["key"]: r for r in self.db.execute("SELECT key, apply, decided_by, decided_at FROM redactions WHERE request=? AND decided_by != ''", (req_id,))}
        with self._tx():
            for d in docs:
                key = keys[d.nr]
                prev = reviewed.get(key)
                decision, grounds, note = (prev["decision"], prev["grounds"], prev["note"]) if prev else (d.decision, list(d.grounds), d.note)
                self.db.execute(
                    "INSERT INTO documents(request, nr, key, family, sort_key, kind, filetype, date, title, items, places, thread, decision, grounds, note, remarks, status, reviewed) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?, 'active', ?) ON CONFLICT(request, nr) DO UPDATE SET key=excluded.key, family=excluded.family, "
                    "sort_key=excluded.sort_key, kind=excluded.kind, filetype=excluded.filetype, date=excluded.date, title=excluded.title, "
                    "items=excluded.items, places=excluded.places, thread=excluded.thread, decision=excluded.decision, grounds=excluded.grounds, "
                    "note=excluded.note, remarks=excluded.remarks, status=CASE WHEN documents.status='buiten' THEN 'buiten' ELSE 'active' END",
                    (req_id, d.nr, key, d.family, sort_keys[d.nr], d.kind, d.filetype, d.date.isoformat() if d.date else None, d.title,
                     json.dumps([i.id for i in d.items]), json.dumps(list(d.places), ensure_ascii=False), d.thread, decision,
                     json.dumps(list(grounds)), note, d.remarks, 1 if prev else 0))
            for nr in dropped:
                self.db.execute("UPDATE documents SET status='dropped' WHERE request=? AND nr=?", (req_id, nr))
            self.db.execute("DELETE FROM redactions WHERE request=? AND decided_by = ''", (req_id,))
            for nr, r in redactions:
                if r.key in decided:
                    self.db.execute("UPDATE redactions SET nr=? WHERE request=? AND key=?", (nr, req_id, r.key))
                    continue
                self.db.execute(
                    "INSERT OR REPLACE INTO redactions(request, key, nr, item_id, field, start, end, text, category, ground, apply, explanation) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?)",
                    (req_id, r.key, nr, r.item_id, r.field, r.start, r.end, r.text, r.category, r.ground, int(r.apply), r.explanation))

    def redactions(self, req_id: str, nrs: Iterable[str] | None = None) -> list[dict[str, Any]]:
        if nrs is None:
            rows = [dict(r) for r in self.db.execute("SELECT * FROM redactions WHERE request=?", (req_id,))]
        else:
            nrs = list(nrs)
            rows = [dict(r) for r in self.db.execute(
                f"SELECT * FROM redactions WHERE request=? AND nr IN ({','.join('?' * len(nrs))})", (req_id, *nrs))]
        rows.sort(key=lambda r: (_nr_key(r["nr"]), r["item_id"], r["field"], r["start"], r["key"]))
        return rows

    def redaction(self, req_id: str, key: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM redactions WHERE request=? AND key=?", (req_id, key)).fetchone()
        return dict(row) if row else None

    def redactions_of_text(self, req_id: str, text: str) -> list[dict[str, Any]]:
        """(Of documents in the selection or not: the caller looks at ``nr``.) SQLite's lower() folds ASCII only, so
        the index is asked for the usual case forms of ``text`` (as written, lower, upper, capitalised) and the answer
        compared folded: "ÖZTÜRK" for "Öztürk" is found, an odd mix of cases in a non-ASCII name may not be."""
        want = " ".join(text.casefold().split())
        one = " ".join(text.split())
        forms = sorted({text, one, one.lower(), one.upper(), one.title(), one.capitalize(), want})
        rows = self.db.execute(f"SELECT * FROM redactions WHERE request=? AND lower(text) IN ({','.join(['lower(?)'] * len(forms))})",
                               (req_id, *forms))
        return [dict(r) for r in rows if " ".join(r["text"].casefold().split()) == want]

    def document(self, req_id: str, nr: str) -> dict[str, Any] | None:
        row = self.db.execute("SELECT * FROM documents WHERE request=? AND nr=?", (req_id, nr)).fetchone()
        if row is None:
            return None
        r = dict(row)
        for k in ("items", "places", "grounds"):
            r[k] = json.loads(r[k])
        return r

    def set_scope(self, req_id: str, nr: str, reason: str) -> None:
        with self._tx():
            self.db.execute("UPDATE documents SET status=?, scope_reason=?, reviewed=1 WHERE request=? AND nr=?",
                            ("buiten" if reason else "active", reason, req_id, nr))

    def out_of_scope(self, req_id: str) -> list[dict[str, Any]]:
        rows = [dict(r) for r in self.db.execute("SELECT nr, title, scope_reason FROM documents WHERE request=? AND status='buiten'",
                                                 (req_id,))]
        rows.sort(key=lambda r: _nr_key(r["nr"]))
        return rows

    def mark_reviewed(self, req_id: str, nr: str, reviewed: bool = True) -> None:
        with self._tx():
            self.db.execute("UPDATE documents SET reviewed=? WHERE request=? AND nr=?", (int(reviewed), req_id, nr))

    def redaction_stats(self, req_id: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute(
            "SELECT category, ground, decided_by != '' AS decided, apply, count(*) AS n FROM redactions WHERE request=? "
            "GROUP BY category, ground, decided_by != '', apply", (req_id,))]

    def applied_counts(self, req_id: str) -> dict[str, int]:
        return dict(self.db.execute("SELECT nr, count(*) FROM redactions WHERE request=? AND apply=1 GROUP BY nr", (req_id,)).fetchall())

    def documents_with_redactions(self, req_id: str, *, special: bool = False, text: str = "") -> set[str]:
        out: set[str] = set()
        if special:
            out |= {nr for (nr,) in self.db.execute(
                "SELECT DISTINCT nr FROM redactions WHERE request=? AND (category='special' OR ground='5.1.1d')", (req_id,))}
        if text:
            want = text.casefold()
            if text.isascii():
                rows = self.db.execute("SELECT nr, text FROM redactions WHERE request=? AND instr(lower(text), lower(?)) > 0", (req_id, text))
            else:
                rows = self.db.execute("SELECT nr, text FROM redactions WHERE request=?", (req_id,))
            out |= {nr for nr, t in rows if want in t.casefold()}
        return out

    def document_rows(self, req_id: str) -> list[dict[str, Any]]:
        rows = [dict(r) for r in self.db.execute(
            "SELECT nr, family, kind, filetype, date, title, places, grounds, decision, note, reviewed FROM documents "
            "WHERE request=? AND status='active'", (req_id,))]
        rows.sort(key=lambda r: _nr_key(r["nr"]))
        return rows

    def document_marks(self, req_id: str) -> list[tuple[str, bool]]:
        rows = [(nr, bool(rev)) for nr, rev in self.db.execute(
            "SELECT nr, reviewed FROM documents WHERE request=? AND status='active'", (req_id,))]
        rows.sort(key=lambda r: _nr_key(r[0]))
        return rows

    def family_members(self, req_id: str, family: str) -> list[dict[str, Any]]:
        rows = [dict(r) for r in self.db.execute(
            "SELECT nr, title FROM documents WHERE request=? AND family=? AND status='active'", (req_id, family))]
        rows.sort(key=lambda r: _nr_key(r["nr"]))
        return rows

    def redactions_containing(self, req_id: str, part: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.db.execute("SELECT * FROM redactions WHERE request=? AND instr(lower(text), lower(?)) > 0",
                                                 (req_id, part))]

    def applied_of_text(self, req_id: str, text: str) -> list[dict[str, Any]]:
        rows = [r for r in self.redactions_of_text(req_id, text) if r["apply"]]
        nrs = sorted({r["nr"] for r in rows})
        active = {nr for (nr,) in self.db.execute(
            f"SELECT nr FROM documents WHERE request=? AND status='active' AND nr IN ({','.join('?' * len(nrs))})", (req_id, *nrs))}
        return [r for r in rows if r["nr"] in active]

    def applied_texts(self, req_id: str) -> list[dict[str, Any]]:
        seen: set[str] = set()
        out = []
        for r in self.db.execute("SELECT r.* FROM redactions r JOIN documents d ON d.request = r.request AND d.nr = r.nr "
                                 "WHERE r.request=? AND r.apply=1 AND d.status='active'", (req_id,)):
            folded = " ".join(r["text"].casefold().split())
            if (folded, r["ground"]) not in seen:
                seen.add((folded, r["ground"]))
                out.append(dict(r))
        return out

    def apply_review(self, req_id: str, user: str, documents: dict[str, tuple[str, list[str], str]],
                     redactions: dict[str, tuple[bool, str]], added: list[tuple[str, Redaction]]) -> None:
        with self._tx():
            for nr, (decision, grounds, note) in documents.items():
                self.db.execute("UPDATE documents SET decision=?, grounds=?, note=?, reviewed=1 WHERE request=? AND nr=?",
                                (decision, json.dumps(grounds), note, req_id, nr))
            for key, (apply, ground) in redactions.items():
                self.db.execute("UPDATE redactions SET apply=?, ground=?, decided_by=?, decided_at=? WHERE request=? AND key=?",
                                (int(apply), ground, user, now_iso(), req_id, key))
            for nr, r in added:  # decided from the start, so a new collect keeps it
                self.db.execute(
                    "INSERT OR REPLACE INTO redactions(request, key, nr, item_id, field, start, end, text, category, ground, apply, explanation, decided_by, decided_at) "
                    "VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (req_id, r.key, nr, r.item_id, r.field, r.start, r.end, r.text, r.category, r.ground, int(r.apply), r.explanation, user, now_iso()))


def _nr_key(nr: str) -> tuple[int, ...]:
    return tuple(int(p) for p in nr.split("."))

"""Schema steps after the foundation, in order; appended, never edited once released.

A step is a SQL script, or a function of the connection (run in the same transaction) where SQL alone
cannot do it.
"""

MIGRATIONS: list[str] = [
    # 2: Woo requests, frozen selections, documents and redaction proposals
    """
    CREATE TABLE requests(
        id TEXT PRIMARY KEY, subject TEXT NOT NULL, query TEXT NOT NULL, terms TEXT NOT NULL DEFAULT '[]',
        period_from TEXT NOT NULL, period_to TEXT NOT NULL, custodians TEXT NOT NULL DEFAULT '[]',
        sources TEXT NOT NULL DEFAULT '[]', received TEXT NOT NULL, requester TEXT DEFAULT '',
        status TEXT NOT NULL, deadline TEXT NOT NULL, extension_reason TEXT DEFAULT '',
        suspensions TEXT NOT NULL DEFAULT '[]', created TEXT NOT NULL, created_by TEXT, updated TEXT);
    CREATE TABLE selections(
        id INTEGER PRIMARY KEY, request TEXT NOT NULL, created TEXT NOT NULL, user TEXT, query TEXT NOT NULL,
        filters TEXT NOT NULL, index_state TEXT NOT NULL, items INTEGER NOT NULL, items_hash TEXT NOT NULL,
        term_hits TEXT NOT NULL DEFAULT '[]', counts TEXT NOT NULL DEFAULT '{}', changes TEXT NOT NULL DEFAULT '{}');
    CREATE TABLE selection_items(selection INTEGER NOT NULL, item_id TEXT NOT NULL, sha256 TEXT NOT NULL,
        PRIMARY KEY(selection, item_id));
    CREATE TABLE documents(
        request TEXT NOT NULL, nr TEXT NOT NULL, key TEXT NOT NULL, family TEXT NOT NULL, sort_key TEXT NOT NULL,
        kind TEXT NOT NULL, filetype TEXT NOT NULL, date TEXT, title TEXT NOT NULL, items TEXT NOT NULL,
        places TEXT NOT NULL DEFAULT '[]', thread TEXT DEFAULT '', decision TEXT NOT NULL, grounds TEXT NOT NULL DEFAULT '[]',
        note TEXT DEFAULT '', near_duplicate_of TEXT DEFAULT '', status TEXT NOT NULL DEFAULT 'active',
        reviewed INTEGER NOT NULL DEFAULT 0, PRIMARY KEY(request, nr), UNIQUE(request, key));
    CREATE TABLE redactions(
        request TEXT NOT NULL, key TEXT NOT NULL, nr TEXT NOT NULL, item_id TEXT NOT NULL, field TEXT NOT NULL,
        start INTEGER NOT NULL, end INTEGER NOT NULL, text TEXT NOT NULL, category TEXT NOT NULL, ground TEXT NOT NULL,
        apply INTEGER NOT NULL, explanation TEXT DEFAULT '', decided_by TEXT DEFAULT '', decided_at TEXT DEFAULT '',
        PRIMARY KEY(request, key))
    """,
]


def _item_fields(db) -> None:
    """3: the Item fields the core reads (folder, filetype, platform, seq, identity, message_id_derived)
    get columns of their own, moved out of the meta JSON; fingerprints are recomputed over the new
    shape, so that re-running an unchanged import after the upgrade reports nothing changed."""
    from woo_collector.catalog.base import item_fingerprint
    from woo_collector.catalog.sqlite import FIELD_COLUMNS, ITEM_COLUMNS, _item_values, _row_to_item

    for column, decl in (("message_id_derived", "INTEGER NOT NULL DEFAULT 0"), ("folder", "TEXT NOT NULL DEFAULT ''"),
                         ("filetype", "TEXT NOT NULL DEFAULT ''"), ("platform", "TEXT NOT NULL DEFAULT ''"),
                         ("seq", "INTEGER NOT NULL DEFAULT 0"), ("identity", "TEXT NOT NULL DEFAULT ''")):
        db.execute(f"ALTER TABLE items ADD COLUMN {column} {decl}")
    old_columns = ", ".join(c for c in ITEM_COLUMNS if c not in FIELD_COLUMNS)
    sets = ", ".join(f"{c}=?" for c in ITEM_COLUMNS[1:])
    last = ""
    while True:
        # without the new columns, _row_to_item takes the fields out of meta
        rows = db.execute(f"SELECT {old_columns} FROM items WHERE id > ? ORDER BY id LIMIT 1000", (last,)).fetchall()
        if not rows:
            return
        last = rows[-1]["id"]
        for item in map(_row_to_item, rows):
            db.execute(f"UPDATE items SET {sets}, fingerprint=? WHERE id=?", _item_values(item)[1:] + (item_fingerprint(item), item.id))


MIGRATIONS.append(_item_fields)


# 4: each audit row's HMAC under the workspace's audit key (catalog/audit.py); filled in when the
# catalog is first opened by this version (the key lives beside the catalog, not in it)
def _audit_mac(db) -> None:
    if "mac" not in {r[1] for r in db.execute("PRAGMA table_info(audit)")}:
        db.execute("ALTER TABLE audit ADD COLUMN mac TEXT")


MIGRATIONS.append(_audit_mac)



# 5: a withdrawn request (woo request withdraw) keeps its record, with the day and the reason
def _request_withdrawal(db) -> None:
    have = {r[1] for r in db.execute("PRAGMA table_info(requests)")}
    for column in ("withdrawn", "withdrawal_reason"):
        if column not in have:
            db.execute(f"ALTER TABLE requests ADD COLUMN {column} TEXT NOT NULL DEFAULT ''")


MIGRATIONS.append(_request_withdrawal)


# 6: what a request does with matching items that have no date (woo request create/edit --undated):
# '' (not chosen: include), 'include' or 'exclude'; request collect uses it unless given --undated
def _request_undated(db) -> None:
    if "undated" not in {r[1] for r in db.execute("PRAGMA table_info(requests)")}:
        db.execute("ALTER TABLE requests ADD COLUMN undated TEXT NOT NULL DEFAULT ''")


MIGRATIONS.append(_request_undated)
# 7: a document's internal remarks ("mogelijk duplicaat van nr 7", "gevonden op 3 plaatsen") get a
# column of their own: the Toelichting (note) is public and goes into the inventory. Notes written by
# earlier collects are split: the phrases the tool wrote move to remarks, the rest stays.
INTERNAL_NOTE = ("mogelijk duplicaat van nr ", "zelfde Message-ID als nr ", "gevonden op ")


def _document_remarks(db) -> None:
    if "remarks" not in {r[1] for r in db.execute("PRAGMA table_info(documents)")}:
        db.execute("ALTER TABLE documents ADD COLUMN remarks TEXT NOT NULL DEFAULT ''")
    for request, nr, note in db.execute("SELECT request, nr, note FROM documents WHERE note != ''").fetchall():
        parts = [p.strip() for p in note.split(";")]
        # "zelfde Message-ID als nr 3, andere inhoud" holds a comma, not a ';': split on ';' only
        internal = [p for p in parts if p.startswith(INTERNAL_NOTE)]
        if internal:
            public = [p for p in parts if p and not p.startswith(INTERNAL_NOTE)]
            db.execute("UPDATE documents SET note=?, remarks=? WHERE request=? AND nr=?",
                       ("; ".join(public), "; ".join(internal), request, nr))


MIGRATIONS.append(_document_remarks)
# 8: a handler can take a document out of scope ("buiten de reikwijdte", status 'buiten') with a reason;
# indexes of the redactions by document and by text
def _scope_reason(db) -> None:
    if "scope_reason" not in {r[1] for r in db.execute("PRAGMA table_info(documents)")}:
        db.execute("ALTER TABLE documents ADD COLUMN scope_reason TEXT NOT NULL DEFAULT ''")
    db.execute("CREATE INDEX IF NOT EXISTS redactions_nr ON redactions(request, nr)")  # one document's boxes, for the review page
    db.execute("CREATE INDEX IF NOT EXISTS redactions_text ON redactions(request, lower(text))")  # every place of one text


MIGRATIONS.append(_scope_reason)

"""Schema steps after the foundation, in order; appended, never edited once released."""

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

"""The request store by its old name: ``RequestRepo(db)`` is the SQLite ``RequestStore``.

Library code reaches it as ``ws.catalog.requests`` (declared in ``woo_collector.catalog.base``);
this name stays for callers that hold a SQLite connection.
"""

from woo_collector.catalog.sqlite_requests import SQLiteRequestStore as RequestRepo

__all__ = ["RequestRepo"]

"""The catalog: what was collected, from where, in which run, what failed, and the Woo requests.

``Catalog`` (with ``Catalog.requests``, a ``RequestStore``) is the small interface connectors
never see and the rest of woo-collector uses; it is the only place with SQL. The SQLite
implementation (stdlib, WAL) is the embedded default. A PostgreSQL catalog for multi-user servers
can implement the same methods without touching connectors, requests or exports.
"""

from woo_collector.catalog.base import Catalog, ItemRow, RequestStore, RunReport, UpsertResult
from woo_collector.catalog.sqlite import SQLiteCatalog

__all__ = ["Catalog", "ItemRow", "RequestStore", "RunReport", "SQLiteCatalog", "UpsertResult"]

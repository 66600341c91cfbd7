"""The catalog: what was collected, from where, in which run, and what failed.

``Catalog`` is the small interface connectors never see and the rest of woo-collector uses; the
SQLite implementation (stdlib, WAL) is the embedded default. A PostgreSQL catalog for multi-user
servers can implement the same methods without touching connectors or exports.
"""

from woo_collector.catalog.base import Catalog, ItemRow, RunReport, UpsertResult
from woo_collector.catalog.sqlite import SQLiteCatalog

__all__ = ["Catalog", "ItemRow", "RunReport", "SQLiteCatalog", "UpsertResult"]

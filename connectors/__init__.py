"""The built-in connectors, one module each: they read a source and yield items, nothing more.

Which module reads which TYPE is kept in the core's registry (``woo_collector.registry``); the
names below are re-exported from it so ``connectors.get("eml")`` and ``connectors.detect(path)``
keep working. Connectors import the core's models, errors and helpers, never the index, the
requests, the CLI or ``exports``.
"""

from __future__ import annotations

from woo_collector.registry import BUILT_IN as CONNECTORS
from woo_collector.registry import available, detect, get

__all__ = ["CONNECTORS", "available", "detect", "get"]

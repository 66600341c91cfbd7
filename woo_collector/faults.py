"""Fault injection for the crash tests: ``WOO_KILL_AT=name:n`` kills the process at the n-th
time it passes the named point (store-write, catalog-commit, index-commit, mark-indexed,
audit-commit: before a change and its audit row commit, collect-documents-written: inside collect's
transaction, between the documents and the selection).

Unset (always, outside the tests) it costs one dictionary lookup.
"""

from __future__ import annotations

import os
import signal

_target = os.environ.get("WOO_KILL_AT", "")
_counts: dict[str, int] = {}


def point(name: str) -> None:
    if not _target:
        return
    _counts[name] = _counts.get(name, 0) + 1
    want, _, n = _target.partition(":")
    if want == name and str(_counts[name]) == (n or "1"):
        os.kill(os.getpid(), signal.SIGKILL)

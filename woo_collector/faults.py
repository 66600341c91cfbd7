"""Fault injection for the crash tests: ``WOO_KILL_AT=name:n`` kills the process at the n-th
time it passes the named point: ingest (store-write, catalog-commit, index-commit, index-committed,
mark-indexed), changes with their audit row (audit-commit: before a change and its audit row
commit), collect (collect-documents: inside collect's transaction, documents written, selection not
yet; collect-selection: selection written, not yet committed) and export (export-guarded: package
through the leak guard; export-commit: package and zip complete, journal not yet written;
export-rename: before each step of putting them in place, see exports/place.py).

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


def off() -> None:
    """No fault point fires in this process (an ingest worker: the ingesting process counts the
    originals a worker keeps as its own ``store-write`` points when it records them)."""
    global _target
    _target = ""

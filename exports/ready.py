"""Is the package an upload? Not while a document waits for a handler's decision.

A chat medium without text (``Document.needs_decision``) has Beoordeling 'nog te beoordelen' until a
handler decides it, and the national platform's inventory reader takes no such row. So
``request export`` may write a draft package with such rows (it says how many wait), but what
hands the package on refuses while any document waits: the upload zips (``export --zip``),
``finalise`` (the letter would be fixed on an undecided package) and ``publish --gpp``. Each refuses
with an ``ExportError`` (exit 1 on the CLI) in one line that says how many wait and how to decide
them; a package exported while some waited is refused the same way until it is exported again.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from exports import manifest
from exports.bundle import nr_key
from woo_collector.documents import PENDING, Document
from woo_collector.errors import ExportError

SHOWN = 10  # document numbers named in the message; the rest are counted


def _numbers(nrs: Sequence[str]) -> str:
    nrs = sorted(nrs, key=nr_key)
    more = f" and {len(nrs) - SHOWN} more" if len(nrs) > SHOWN else ""
    return ", ".join(nrs[:SHOWN]) + more


def _documents(n: int) -> str:
    return "1 document" if n == 1 else f"{n} documents"


def waiting(documents: Sequence[Document]) -> list[str]:
    """The numbers of the documents still waiting for a handler's decision."""
    return [d.nr for d in documents if d.needs_decision or d.decision == PENDING]


def require_decided(req_id: str, documents: Sequence[Document], action: str, then: str) -> None:
    """Raise ExportError when a document of ``req_id`` waits for a handler's decision; ``action`` is what
    is refused ('cannot finalise request R1'), ``then`` what to do after deciding ('export again and
    finalise')."""
    nrs = waiting(documents)
    if nrs:
        raise ExportError(
            f"{action}: {_documents(len(nrs))} {'waits' if len(nrs) == 1 else 'wait'} for a handler's decision (nog te beoordelen: {_numbers(nrs)}), and the "
            f"national platform takes no such row; decide them in the review workbook (woo request review {req_id} "
            f"--export beoordeling.xlsx, then --import) or in woo review {req_id}, then {then}")


def require_current(folder: Path, req_id: str, action: str) -> None:
    """Raise ExportError when the package in ``folder`` was exported while documents waited for a decision."""
    try:
        docs = json.loads((Path(folder) / manifest.NAME).read_text(encoding="utf-8")).get("documents", [])
    except (OSError, ValueError):
        return  # no package: the caller says so
    nrs = [str(d.get("nr")) for d in docs if isinstance(d, dict) and d.get("decision") == PENDING]
    if nrs:
        raise ExportError(
            f"{action}: the package in {folder} was exported while {_documents(len(nrs))} waited for a handler's decision (nog te beoordelen: {_numbers(nrs)}); export it again "
            f"(woo request export {req_id} --out {folder} --replace), then run this again")

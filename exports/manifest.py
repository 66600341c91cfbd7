"""manifest.json: what the package holds and how each page ties to the evidence store.

    {"request": {"id", "subject", "query", "period": {"from", "to"}, "received", "deadline",
                 "selection_id"},
     "organisation", "tool_version", "created", "redaction_layers": ["rules", "frog"],
     "documents": [{"nr", "family", "kind", "decision", "grounds",
                    "items": [{"id", "sha256", "locator"}]}],
     "files": {"documenten/documenten-deel-01.docx": "<sha256>", ...}}

The subject and query are redacted like the letter ("[5.1.2e]" markers): the manifest leaves the
building with the package. The SHA-256 of each original is the key of the evidence store, so a
court can check any released page against the original. ``files`` lists every file of the
package except ``manifest.json`` itself.
"""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path
from typing import Sequence

from exports.bundle import ordered
from exports.inventory import grounds_of
from exports.render import Redactor
from woo_collector.documents import Document, RequestInfo
from woo_collector.outputs import sha256_file

NAME = "manifest.json"




def package_files(root: Path) -> dict[str, str]:
    """Relative path -> SHA-256 of every file under ``root`` except the manifest."""
    return {p.relative_to(root).as_posix(): sha256_file(p)
            for p in sorted(root.rglob("*")) if p.is_file() and p.relative_to(root).as_posix() != NAME}


def build(info: RequestInfo, documents: Sequence[Document], redactor: Redactor, organisation: str,
          tool_version: str, now: datetime, files: dict[str, str], extra=None) -> dict:
    return {
        "request": {
            "id": info.id,
            "subject": redactor.marked(info.subject),
            "query": redactor.marked(info.query),
            "period": {"from": info.period_from.isoformat(), "to": info.period_to.isoformat()},
            "received": info.received.isoformat() if info.received else None,
            "deadline": info.deadline.isoformat() if info.deadline else None,
            "selection_id": info.selection_id,
        },
        "organisation": organisation,
        "tool_version": tool_version,
        "created": now.isoformat(),
        # the detection layers whose proposals this package rests on (collects before layers: rules)
        "redaction_layers": list(info.counts.get("redaction_layers", ["rules"])),
        "documents": [
            {
                "nr": d.nr,
                "family": d.family,
                "kind": d.kind,
                "decision": d.decision,
                "grounds": grounds_of(d, extra),
                "items": [{"id": i.id, "sha256": i.sha256, "locator": redactor.marked(i.locator)} for i in d.items],
            }
            for d in ordered(documents)
        ],
        "files": files,
    }


def request_of(root: Path) -> str | None:
    """The id of the request whose package ``root`` holds (its manifest.json), or None: no package."""
    try:
        return json.loads((root / NAME).read_text(encoding="utf-8"))["request"]["id"]
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write(root: Path, manifest: dict) -> Path:
    path = root / NAME
    path.write_text(json.dumps(manifest, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path

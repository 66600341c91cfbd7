"""The workspace's redaction policy in ``woo.toml`` (section ``[policy]``), changed and audited here
(each change and its audit row together: ``Workspace.config_change``).

``keep``: names never redacted (public office holders); ``redact``: terms always redacted, each
with its Woo ground; ``org_domains``: the organisation's own mail domains (functional mailboxes
there stay). ``woo policy ...`` calls these; the redaction analyser reads the section as it is.
"""

from __future__ import annotations

from woo_collector.workspace import Workspace


def _policy(ws: Workspace) -> dict:
    return ws.config.setdefault("policy", {})


def keep(ws: Workspace, names: list[str]) -> tuple[list[str], int]:
    """Add names to the keep list; returns (the names added, how many there are in all)."""
    with ws.config_change("policy keep", {"names": list(names)}) as entry:
        have = _policy(ws).setdefault("keep", [])
        added = [n for n in names if n not in have]
        have.extend(added)
        entry.outcome = f"{len(added)} added"
    return added, len(have)


def redact(ws: Workspace, terms: list[str], ground: str) -> None:
    """Terms always redacted under ``ground`` (an already normalised ground code)."""
    with ws.config_change("policy redact", {"terms": len(terms), "ground": ground}):
        rules = _policy(ws).setdefault("redact", {})
        for t in terms:
            rules[t] = ground


def add_domains(ws: Workspace, domains: list[str]) -> tuple[list[str], list[str]]:
    """Add the organisation's own mail domains; returns (the domains added, all of them)."""
    with ws.config_change("policy domain", {"domains": list(domains)}) as entry:
        have = _policy(ws).setdefault("org_domains", [])
        added = [d.lower().lstrip("@") for d in domains if d.lower().lstrip("@") not in have]
        have.extend(added)
        entry.outcome = f"{len(added)} added"
    return added, have

"""The workspace's redaction policy in ``woo.toml`` (section ``[policy]``), changed and audited here.

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
    have = _policy(ws).setdefault("keep", [])
    added = [n for n in names if n not in have]
    have.extend(added)
    ws.save_config()
    ws.audit("policy keep", {"names": list(names)}, f"{len(added)} added")
    return added, len(have)


def redact(ws: Workspace, terms: list[str], ground: str) -> None:
    """Terms always redacted under ``ground`` (an already normalised ground code)."""
    rules = _policy(ws).setdefault("redact", {})
    for t in terms:
        rules[t] = ground
    ws.save_config()
    ws.audit("policy redact", {"terms": len(terms), "ground": ground}, "ok")


def add_domains(ws: Workspace, domains: list[str]) -> tuple[list[str], list[str]]:
    """Add the organisation's own mail domains; returns (the domains added, all of them)."""
    have = _policy(ws).setdefault("org_domains", [])
    added = [d.lower().lstrip("@") for d in domains if d.lower().lstrip("@") not in have]
    have.extend(added)
    ws.save_config()
    ws.audit("policy domain", {"domains": list(domains)}, f"{len(added)} added")
    return added, have

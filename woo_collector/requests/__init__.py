"""Woo requests: record, collect (select, deduplicate, group, number, propose redactions), show,
review in Excel, and export the disclosure package."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from woo_collector.documents import Document, Redaction, RequestInfo, TermHits
from woo_collector.errors import ConfigError
from woo_collector.requests.model import Request, query_from, subject_terms
from woo_collector.workspace import Workspace

LOCAL = ZoneInfo("Europe/Amsterdam")

__all__ = ["Request", "create", "load_documents", "request_info", "show_doc", "subject_terms"]


def create(ws: Workspace, req_id: str, subject: str, period_from: date, period_to: date, *, query: str | None = None,
           terms: list[str] = (), custodians: list[str] = (), sources: list[str] = (), received: date | None = None,
           requester: str = "") -> Request:
    if period_to < period_from:
        raise ConfigError(f"the period ends ({period_to}) before it starts ({period_from})")
    q = query_from(subject, query, list(terms))
    if not q:
        raise ConfigError("no search terms: the subject has no words to search for; give --query or --terms-file")
    unknown = [s for s in sources if s not in ws.sources() and not s.startswith("import:")]
    if unknown:
        raise ConfigError(f"unknown source(s) {', '.join(unknown)}; see 'woo source list'")
    ws.index.parse(q)  # a query that cannot be read is refused now, not at collect time
    req = Request(id=req_id, subject=subject, query=q, period_from=period_from, period_to=period_to,
                  received=received or date.today(), terms=list(terms), custodians=list(custodians),
                  sources=list(sources), requester=requester)
    ws.catalog.requests.create(req, ws.user)
    return req


def load_documents(ws: Workspace, req_id: str) -> list[Document]:
    """The request's current documents with their items and redaction decisions."""
    repo = ws.catalog.requests
    rows = repo.documents(req_id)
    reds: dict[str, list[Redaction]] = {}
    for r in repo.redactions(req_id):
        reds.setdefault(r["nr"], []).append(Redaction(item_id=r["item_id"], field=r["field"], start=r["start"], end=r["end"],
                                                      text=r["text"], category=r["category"], ground=r["ground"],
                                                      apply=bool(r["apply"]), key=r["key"], explanation=r["explanation"] or ""))
    all_ids = [i for r in rows for i in r["items"]]
    items = {i.id: i for i in ws.catalog.get_items(all_ids)}
    docs = []
    for r in rows:
        docs.append(Document(nr=r["nr"], family=r["family"], kind=r["kind"], filetype=r["filetype"],
                             date=datetime.fromisoformat(r["date"]) if r["date"] else None, title=r["title"],
                             items=tuple(items[i] for i in r["items"] if i in items), thread=r["thread"] or "",
                             places=tuple(r["places"]), decision=r["decision"], grounds=tuple(r["grounds"]), note=r["note"] or "",
                             redactions=tuple(reds.get(r["nr"], []))))
    return docs


def show_doc(ws: Workspace, req_id: str) -> dict[str, Any]:
    """The JSON of `woo request show` (stable: byte-equal on an unchanged index)."""
    repo = ws.catalog.requests
    req = repo.get(req_id)
    docs = load_documents(ws, req_id)
    sel = repo.last_selection(req_id)
    return {
        "id": req.id, "subject": req.subject, "period": {"from": req.period_from.isoformat(), "to": req.period_to.isoformat()},
        "query": req.query, "status": req.status, "received": req.received.isoformat(), "deadline": req.deadline.isoformat(),
        "selection": {"items": sel["items"], "items_hash": sel["items_hash"], "counts": sel["counts"], "terms": sel["term_hits"]} if sel else None,
        "documents": [{"nr": d.nr, "date": d.date.astimezone(LOCAL).isoformat() if d.date else None, "kind": d.kind,
                       "filetype": d.filetype, "title": d.title, "items": [i.id for i in d.items], "places": list(d.places),
                       "thread": d.thread, "decision": d.decision, "grounds": list(d.grounds), "note": d.note,
                       "redactions": sum(1 for r in d.redactions if r.apply)} for d in docs],
    }


def request_info(ws: Workspace, req_id: str) -> RequestInfo:
    repo = ws.catalog.requests
    req = repo.get(req_id)
    sel = repo.last_selection(req_id)
    if sel is None:
        raise ConfigError(f"request {req_id} has not been collected yet: run 'woo request collect {req_id}'")
    sources = req.sources or repo.selection_sources(sel["id"])
    custodians = req.custodians or repo.selection_custodians(sel["id"])
    return RequestInfo(
        id=req.id, subject=req.subject, query=req.query, period_from=req.period_from, period_to=req.period_to,
        received=req.received, deadline=req.deadline, extended=bool(req.extension_reason), organisation=ws.settings.organisation,
        sources=tuple(sources), custodians=tuple(custodians),
        terms=tuple(TermHits(t["term"], t["before"], t["after"]) for t in sel["term_hits"]),
        counts=dict(sel["counts"]), selection_id=f"{sel['id']}:{sel['items_hash'][:16]}",
        collected_at=datetime.fromisoformat(sel["created"]))


def demo_request(ws: Workspace, root: Path, echo: Callable[[str], None]) -> None:
    """The demo's sample request: created once, collected, and exported to root/pakket."""
    from woo_collector.requests.collect import collect

    req_id = "WOO-2025-001"
    repo = ws.catalog.requests
    if repo.get(req_id, missing_ok=True) is None:
        create(ws, req_id, "alle documenten over de windturbines bij het Kraaiennest", date(2025, 3, 1), date(2025, 6, 30),
               terms=["windturbines", "windpark", "Kraaiennest", "geluidsonderzoek"], received=date.today(),
               requester="Stichting Windalarm")
        ws.audit("request create", {"id": req_id}, "ok", request=req_id)
    res = collect(ws, req_id, ws.user)
    ws.audit("request collect", {"id": req_id}, f"{res.documents} documents", request=req_id)
    echo(f"\nwoo request collect {req_id}: {res.items_hit} hits, {res.items_selected} items with their families, "
         f"{res.duplicates} duplicates removed, {res.documents} documents, {res.near_duplicates} possible near-duplicates, "
         f"{res.redactions} redactions proposed")
    docs = load_documents(ws, req_id)
    cats: dict[str, int] = {}
    for d in docs:
        for r in d.redactions:
            cats[r.category] = cats.get(r.category, 0) + 1
    echo("  proposed redactions by category: " + ", ".join(f"{k} {v}" for k, v in sorted(cats.items())))
    for d in docs[:8]:
        echo(f"  {d.nr:>5}  {d.date.astimezone(LOCAL):%Y-%m-%d} {d.kind:<10} {d.decision:<15} {';'.join(d.grounds):<14} {d.title[:50]}"
             if d.date else f"  {d.nr:>5}  {d.kind:<10} {d.title[:50]}")
    if len(docs) > 8:
        echo(f"  ... {len(docs) - 8} more: woo --workspace {ws.root} request show {req_id}")
    try:
        from woo_collector.requests.export import export
    except ImportError:
        echo("\nThe disclosure package writer is not part of this version yet.")
        return
    out = root / "pakket"
    result = export(ws, req_id, out)
    ws.audit("request export", {"id": req_id, "out": str(out)}, f"{len(result.files)} files", request=req_id)
    echo(f"\nDisclosure package written to {out}:")
    for f in sorted(result.files):
        echo(f"  {f}")

"""Woo requests: record, extend, suspend, collect (select, deduplicate, group, number, propose
redactions), show and review in Excel.

These are the library functions behind ``woo request ...``: each writes its change and its audit
row in one catalog transaction (``ws.change``) and keeps its data through ``ws.catalog.requests``
(no SQL here). The disclosure package is written
by ``exports.package.export``, which reads the request through ``request_info`` and
``load_documents``.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

from woo_collector.dates import local
from woo_collector.documents import Document, Redaction, RequestInfo, TermHits
from woo_collector.errors import ConfigError
from woo_collector.requests.model import Request, query_from, subject_terms
from woo_collector.workspace import Workspace

__all__ = ["Request", "create", "extend", "suspend", "load_documents", "request_info", "show_doc", "subject_terms"]


REQUEST_ID_RULE = "letters, digits, '-', '_' and '.', not starting with '.', at most 64 characters"


def check_request_id(req_id: str) -> None:
    """Refuse a request id the national Woo platform's ids would not allow (and a path such as ``../x``)."""
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", req_id):
        raise ConfigError(f"request id {req_id!r} is not allowed: use {REQUEST_ID_RULE} (for example WOO-2025-014)")


def create(ws: Workspace, req_id: str, subject: str, period_from: date, period_to: date, *, query: str | None = None,
           terms: list[str] = (), custodians: list[str] = (), sources: list[str] = (), received: date | None = None,
           requester: str = "") -> Request:
    check_request_id(req_id)
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
    with ws.change("request create", {"id": req_id, "subject": subject, "from": period_from.isoformat(), "to": period_to.isoformat(),
                                      "query": req.query, "terms": list(terms), "custodians": list(custodians), "sources": list(sources)},
                   request=req_id):
        ws.catalog.requests.create(req, ws.user)
    return req


def extend(ws: Workspace, req_id: str, reason: str) -> tuple[date, Request]:
    """Extend the deadline once by two weeks; returns (the old deadline, the request)."""
    repo = ws.catalog.requests
    req = repo.get(req_id)
    if req.extension_reason:
        raise ConfigError(f"request {req_id} was already extended ({req.extension_reason}); the Woo allows it once")
    old = req.deadline
    req.extension_reason = reason
    with ws.change("request extend", {"id": req_id, "reason": reason, "old": old.isoformat(), "new": req.deadline.isoformat()}, request=req_id):
        repo.save(req)
    return old, req


def suspend(ws: Workspace, req_id: str, start: date, end: date | None, reason: str) -> tuple[date, Request]:
    """Stop the clock from ``start`` (to ``end``, or open until a later call gives it); returns (old deadline, request)."""
    repo = ws.catalog.requests
    req = repo.get(req_id)
    if end and end < start:
        raise ConfigError(f"the suspension ends ({end}) before it starts ({start})")
    old = req.deadline
    open_ = [s for s in req.suspensions if not s.get("to") and s["from"] == start.isoformat()]
    if open_:
        open_[0]["to"] = end.isoformat() if end else ""
    else:
        req.suspensions.append({"from": start.isoformat(), "to": end.isoformat() if end else "", "reason": reason})
    with ws.change("request suspend", {"id": req_id, "from": start.isoformat(), "to": end.isoformat() if end else None,
                                       "reason": reason}, request=req_id) as entry:
        repo.save(req)
        entry.outcome = f"deadline {old.isoformat()} -> {req.deadline.isoformat()}"
    return old, req


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
        "selection": {"items": sel["items"], "items_hash": sel["items_hash"], "counts": sel["counts"], "terms": sel["term_hits"],
                      "undated": sel["filters"].get("undated", "include")} if sel else None,
        "documents": [{"nr": d.nr, "date": local(d.date).isoformat() if d.date else None, "kind": d.kind,
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
        collected_at=datetime.fromisoformat(sel["created"]), undated_handling=sel["filters"].get("undated", "include"))

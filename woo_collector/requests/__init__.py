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
from woo_collector.documents import MEDIUM_OF_TYPE, PENDING, Document, Redaction, RequestInfo, TermHits, medium_of
from woo_collector.errors import ConfigError
from woo_collector.requests.model import WITHDRAWN, Request, query_from, subject_terms
from woo_collector.workspace import Workspace

__all__ = ["Request", "create", "edit", "extend", "suspend", "withdraw", "load_documents", "request_info", "show_doc",
           "subject_terms", "refuse_withdrawn", "out_of_date"]


REQUEST_ID_RULE = "letters, digits, '-', '_' and '.', not starting with '.', at most 64 characters"


def check_request_id(req_id: str) -> None:
    """Refuse a request id the national Woo platform's ids would not allow (and a path such as ``../x``)."""
    if not re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}", req_id):
        raise ConfigError(f"request id {req_id!r} is not allowed: use {REQUEST_ID_RULE} (for example WOO-2025-014)")


def create(ws: Workspace, req_id: str, subject: str, period_from: date, period_to: date, *, query: str | None = None,
           terms: list[str] = (), custodians: list[str] = (), sources: list[str] = (), received: date | None = None,
           requester: str = "", undated: str = "") -> Request:
    """Record a request (audited). ``undated`` ("include" or "exclude", "" for not chosen: include) is what its
    collects do with matching items that have no date, unless a collect is given another choice."""
    check_request_id(req_id)
    check_undated(undated)
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
                  sources=list(sources), requester=requester, undated=undated)
    args = {"id": req_id, "subject": subject, "from": period_from.isoformat(), "to": period_to.isoformat(),
            "query": req.query, "terms": list(terms), "custodians": list(custodians), "sources": list(sources)}
    if undated:
        args["undated"] = undated
    with ws.change("request create", args, request=req_id):
        ws.catalog.requests.create(req, ws.user)
    return req


UNDATED_MODES = ("include", "exclude")


def check_undated(undated: str | None) -> None:
    if undated and undated not in UNDATED_MODES:
        raise ConfigError(f"undated must be one of {', '.join(UNDATED_MODES)}, not {undated!r}")


def refuse_withdrawn(req: Request, action: str) -> None:
    """ConfigError when ``req`` was withdrawn: nothing more is done with it (it keeps its record)."""
    if req.status == WITHDRAWN:
        raise ConfigError(f"request {req.id} was withdrawn on {req.withdrawn} ({req.withdrawal_reason}); "
                          f"it keeps its record, but cannot be {action}")


def _explicit_base(req: Request) -> str | None:
    """The query the handler gave (--query) for ``req``, or None when its query was taken from the subject."""
    if req.query == query_from(req.subject, None, req.terms):
        return None
    tail = query_from("", '"x"', req.terms)[len('("x")'):]  # " OR term ..." as query_from adds the terms
    if req.terms and req.query.startswith("(") and req.query.endswith(")" + tail):
        return req.query[1:-len(")" + tail)]
    return req.query


def out_of_date(ws: Workspace, req: Request) -> list[str]:
    """What changed in ``req`` since its last collect ("query", "period", "terms", ...); [] when current or never collected."""
    from woo_collector.requests.collect import period_filters

    sel = ws.catalog.requests.last_selection(req.id)
    if sel is None:
        return []
    flt = {k: (v.isoformat() if hasattr(v, "isoformat") else list(v)) for k, v in period_filters(req).items()}
    out = []
    if sel["query"] != req.query:
        out.append("query")
    if (sel["filters"].get("date_from"), sel["filters"].get("date_to")) != (flt["date_from"], flt["date_to"]):
        out.append("period")
    if [t["term"] for t in sel["term_hits"]] != list(req.terms or subject_terms(req.subject)):
        out.append("terms")
    for k in ("sources", "custodians"):
        if list(sel["filters"].get(k, [])) != flt[k]:
            out.append(k)
    return out


def edit(ws: Workspace, req_id: str, *, subject: str | None = None, period_from: date | None = None,
         period_to: date | None = None, terms: list[str] | None = None, query: str | None = None,
         received: date | None = None, undated: str | None = None) -> tuple[Request, dict[str, list], list[str]]:
    """Change what is given (audited, one transaction); returns (the request, {field: [old, new]}, what a new collect must
    take in). A change of period, terms or query after a collect is allowed: the earlier selection stays as history and
    ``woo request collect`` must run again (``out_of_date`` says so until it has)."""
    repo = ws.catalog.requests
    req = repo.get(req_id)
    refuse_withdrawn(req, "edited")
    if all(v is None for v in (subject, period_from, period_to, terms, query, received, undated)):
        raise ConfigError("nothing to change: give --subject, --from, --to, --terms-file, --query, --received or --undated")
    check_undated(undated)
    new_from = period_from or req.period_from
    new_to = period_to or req.period_to
    if new_to < new_from:
        raise ConfigError(f"the period ends ({new_to}) before it starts ({new_from})")
    if subject is not None and not subject.strip():
        raise ConfigError("the subject cannot be empty")
    new_subject = req.subject if subject is None else subject
    new_terms = list(req.terms if terms is None else terms)
    base = query if query is not None else _explicit_base(req)
    q = query_from(new_subject, base, new_terms)
    if not q:
        raise ConfigError("no search terms: the subject has no words to search for; give --query or --terms-file")
    ws.index.parse(q)
    old_deadline = req.deadline
    before = {"subject": req.subject, "from": req.period_from.isoformat(), "to": req.period_to.isoformat(), "terms": list(req.terms),
              "query": req.query, "received": req.received.isoformat(), "undated": req.undated}
    req.subject, req.period_from, req.period_to, req.terms, req.query = new_subject, new_from, new_to, new_terms, q
    req.received = received or req.received
    req.undated = req.undated if undated is None else undated
    after = {"subject": req.subject, "from": req.period_from.isoformat(), "to": req.period_to.isoformat(), "terms": list(req.terms),
             "query": req.query, "received": req.received.isoformat(), "undated": req.undated}
    changes = {k: [before[k], after[k]] for k in before if before[k] != after[k]}
    if not changes:
        return req, {}, out_of_date(ws, req)
    if req.deadline != old_deadline:
        changes["deadline"] = [old_deadline.isoformat(), req.deadline.isoformat()]
    with ws.change("request edit", {"id": req_id, "changes": changes}, request=req_id) as entry:
        repo.save(req)
        stale = out_of_date(ws, req)
        entry.outcome = f"changed {', '.join(changes)}" + (f"; collect out of date ({', '.join(stale)})" if stale else "")
    return req, changes, stale


def withdraw(ws: Workspace, req_id: str, reason: str, on: date | None = None) -> Request:
    """The requester withdrew the request: status "ingetrokken"; documents, selections and audit are kept (audited)."""
    repo = ws.catalog.requests
    req = repo.get(req_id)
    refuse_withdrawn(req, "withdrawn again")
    if not reason.strip():
        raise ConfigError("give the reason the request was withdrawn (--reason)")
    before = req.status
    req.status, req.withdrawn, req.withdrawal_reason = WITHDRAWN, (on or date.today()).isoformat(), reason.strip()
    with ws.change("request withdraw", {"id": req_id, "reason": req.withdrawal_reason, "on": req.withdrawn, "status_before": before},
                   request=req_id) as entry:
        repo.save(req)
        entry.outcome = f"status {before} -> {WITHDRAWN}"
    return req


def extend(ws: Workspace, req_id: str, reason: str) -> tuple[date, Request]:
    """Extend the deadline once by two weeks; returns (the old deadline, the request)."""
    repo = ws.catalog.requests
    req = repo.get(req_id)
    refuse_withdrawn(req, "extended")
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
    refuse_withdrawn(req, "suspended")
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
                             redactions=tuple(reds.get(r["nr"], [])), needs_decision=r["decision"] == PENDING,
                             remarks=r.get("remarks") or ""))
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
        "undated": req.undated or None,
        "withdrawn": {"on": req.withdrawn, "reason": req.withdrawal_reason} if req.status == WITHDRAWN else None,
        "collect_out_of_date": out_of_date(ws, req),
        "selection": {"items": sel["items"], "items_hash": sel["items_hash"], "counts": sel["counts"], "terms": sel["term_hits"],
                      "undated": sel["filters"].get("undated", "include")} if sel else None,
        "documents": [{"nr": d.nr, "date": local(d.date).isoformat() if d.date else None, "kind": d.kind,
                       "filetype": d.filetype, "title": d.title, "items": [i.id for i in d.items], "places": list(d.places),
                       "thread": d.thread, "decision": d.decision, "needs_decision": d.needs_decision,
                       "grounds": list(d.grounds), "note": d.note, "remarks": d.remarks,
                       "redactions": sum(1 for r in d.redactions if r.apply)} for d in docs],
    }


def request_info(ws: Workspace, req_id: str) -> RequestInfo:
    repo = ws.catalog.requests
    req = repo.get(req_id)
    refuse_withdrawn(req, "exported")
    sel = repo.last_selection(req_id)
    if sel is None:
        raise ConfigError(f"request {req_id} has not been collected yet: run 'woo request collect {req_id}'")
    stale = out_of_date(ws, req)
    if stale:
        raise ConfigError(f"request {req_id} was changed since its last collect ({', '.join(stale)}): "
                          f"run 'woo request collect {req_id}' first")
    sources = req.sources or repo.selection_sources(sel["id"])
    custodians = req.custodians or repo.selection_custodians(sel["id"])
    searched = {(medium_of(kind, platform), custodian) for _, custodian, kind, platform in repo.selection_media(sel["id"])
                if kind != "attachment"}
    found = {source for source, *_ in repo.selection_media(sel["id"])}
    configured = ws.config.get("sources", {})
    for name in sources:  # a source named in the request that gave nothing was searched all the same
        if name not in found and name in configured:
            searched.add((MEDIUM_OF_TYPE.get(configured[name].get("type", ""), "overig"), configured[name].get("custodian", "")))
    return RequestInfo(
        id=req.id, subject=req.subject, query=req.query, period_from=req.period_from, period_to=req.period_to,
        received=req.received, deadline=req.deadline, extended=bool(req.extension_reason), organisation=ws.settings.organisation,
        sources=tuple(sources), custodians=tuple(custodians),
        terms=tuple(TermHits(t["term"], t["before"], t["after"]) for t in sel["term_hits"]),
        counts=_with_out_of_scope(dict(sel["counts"]), len(repo.out_of_scope(req_id))), selection_id=f"{sel['id']}:{sel['items_hash'][:16]}",
        collected_at=datetime.fromisoformat(sel["created"]), undated_handling=sel["filters"].get("undated", "include"),
        competent_body=ws.settings.competent_body, searched=tuple(sorted(searched)))


def _with_out_of_scope(counts: dict, n: int) -> dict:
    """The selection's counts, with the documents a handler took out of scope (when any) after 'documents'."""
    return {**counts, "out_of_scope": n} if n else counts

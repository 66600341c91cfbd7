"""``woo request collect``: search, freeze the selection, deduplicate, group, number, propose redactions."""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field

from woo_collector import faults
from woo_collector.dates import day_bounds, local
from woo_collector.documents import PENDING, Document, Redaction
from woo_collector.errors import ConfigError
from woo_collector.models import Item
from woo_collector.redaction import layers
from woo_collector.requests import UNDATED_MODES, grouping, neardup, redact, refuse_withdrawn
from woo_collector.requests.model import Request, subject_terms
from woo_collector.workspace import Workspace

@dataclass
class CollectResult:
    selection: int
    items_hit: int
    items_selected: int
    documents: int
    duplicates: int
    near_duplicates: int
    redactions: int
    added: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    term_hits: list[dict] = field(default_factory=list)
    undated: int = 0  # items that match the query but have no date, so no period can place them
    undated_mode: str = "include"  # "include" (taken in and marked "datum onbekend") or "exclude"
    awaiting_decision: list[str] = field(default_factory=list)  # numbers of the documents without an automatic decision
    layers: list[str] = field(default_factory=lambda: ["rules"])  # the detection layers that ran
    warnings: list[str] = field(default_factory=list)  # one line each: a layer missing or failed


UNDATED_NOTE = "datum onbekend"


def period_filters(req: Request) -> dict:
    lo, hi = day_bounds(req.period_from, req.period_to)
    return {"date_from": lo, "date_to": hi, "sources": tuple(req.sources), "custodians": tuple(req.custodians)}


def complete_families(ws: Workspace, hits: list[Item]) -> list[Item]:
    """Add what belongs with each hit: an attachment's mail and siblings, a mail's attachments,
    the other messages of a chat conversation on the same day and the media sent in them (a hit on
    a medium, such as a PDF's text, brings its message and so its chat day)."""
    cat = ws.catalog
    by_id = {i.id: i for i in hits}
    todo_parents = {i.parent for i in hits if i.kind == "attachment" and i.parent and i.parent not in by_id}
    for p in cat.get_items(sorted(todo_parents)):
        by_id[p.id] = p
    for it in list(by_id.values()):
        if it.kind == "email":
            for c in cat.children(it.id):
                by_id.setdefault(c.id, c)
    days: dict[str, set[str]] = defaultdict(set)
    for it in by_id.values():
        if it.kind == "chat" and it.conversation and it.sent:
            days[it.conversation].add(local(it.sent).date().isoformat())
    for conv, wanted in days.items():
        for m in cat.conversation(conv):
            if m.sent and local(m.sent).date().isoformat() in wanted:
                by_id.setdefault(m.id, m)
    return sorted(by_id.values(), key=lambda i: i.id)


def index_state(ws: Workspace) -> str:
    return f"{ws.catalog.items_state()};indexed={ws.index.doc_count()}"


def collect(ws: Workspace, req_id: str, user: str | None = None, undated: str | None = None) -> CollectResult:
    """Select, freeze, deduplicate, group, number and propose redactions; audited. Same index, same result.

    Items that match the query but have no date are reported; ``undated`` says what happens to them:
    "include" (taken in, their documents marked "datum onbekend") or "exclude". Without it, the
    request's own choice holds (``request create/edit --undated``, or the one given to an earlier
    collect, which becomes the request's), else the last collect's, else "include"."""
    user = user or ws.user
    repo = ws.catalog.requests
    req = repo.get(req_id)
    refuse_withdrawn(req, "collected")
    set_default = undated is not None and undated != req.undated  # a choice given to collect becomes the request's
    if undated is None:
        last = repo.last_selection(req_id)
        undated = req.undated or (last["filters"].get("undated") if last else None) or "include"
    if undated not in UNDATED_MODES:
        raise ConfigError(f"undated must be one of {', '.join(UNDATED_MODES)}, not {undated!r}")
    flt = period_filters(req)
    hit_ids = set(ws.index.select_ids(req.query, **flt))
    hits = ws.catalog.get_items(sorted(hit_ids))
    items = complete_families(ws, hits)
    in_families = {i.id for i in items}
    undated_ids = set(ws.index.select_undated_ids(req.query, **flt)) - in_families
    if undated == "include" and undated_ids:
        hits = ws.catalog.get_items(sorted(hit_ids | undated_ids))
        items = complete_families(ws, hits)
    children: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if it.kind == "attachment" and it.parent:
            children[it.parent].append(it)
    for v in children.values():
        v.sort(key=lambda a: (a.locator, a.id))
    drafts = grouping.group(items, lambda pid: children.get(pid, []))
    previous_rows = repo.documents(req_id, include_dropped=True)
    previous = {r["key"]: r["nr"] for r in previous_rows}
    decided = {r["key"] for r in previous_rows if r["reviewed"] and r["decision"] != PENDING}  # a handler's decision holds
    numbered, new_keys = grouping.number(drafts, previous)
    present = {d.key for _, d in numbered}
    dropped = [r["nr"] for r in previous_rows if r["status"] == "active" and r["key"] not in present]

    near = neardup.flag([(nr, d.text()) for nr, d in numbered if d.kind in ("email", "file", "attachment")])
    doc_items = [i for _, d in numbered for i in d.items]
    extra_layers, warnings = layers.build(ws.config)
    ws.index.release()  # the selection is made: its searcher's copy of the index is not held through the redaction
    proposals = redact.propose(req_id, doc_items, ws.config.get("policy", {}), organisation=ws.settings.organisation,
                               layers=extra_layers)
    warnings += [layers.failed_note(x.error) for x in extra_layers if x.error]
    ran = ["rules"] + [x.name for x in extra_layers if x.ran]
    by_item: dict[str, list[Redaction]] = defaultdict(list)
    for r in proposals:
        by_item[r.item_id].append(r)

    documents: list[Document] = []
    keys, sort_keys, red_rows = {}, {}, []
    nr_of_key = {d.key: nr for nr, d in numbered}
    for nr, d in numbered:
        if d.needs_decision and d.key in decided:
            d.needs_decision = False
        reds = tuple(r for i in d.items for r in by_item.get(i.id, []))
        applied = [r for r in reds if r.apply]
        remarks = [f"mogelijk duplicaat van nr {near[nr]}"] if nr in near else []
        if d.same_id_as in nr_of_key:
            remarks.insert(0, f"zelfde Message-ID als nr {nr_of_key[d.same_id_as]}, andere inhoud")
        if len(d.places) > 1:
            remarks.append(f"gevonden op {len(d.places)} plaatsen")
        # the Toelichting is public (it goes into the inventory); what only the handler needs is a remark
        note = UNDATED_NOTE if d.date is None and any(i.id in undated_ids for i in d.items) else ""
        documents.append(Document(
            nr=nr, family=nr.split(".")[0], kind=d.kind, filetype=d.filetype, date=d.date, title=d.title,
            items=tuple(d.items), thread=d.thread, places=tuple(d.places),
            decision=PENDING if d.needs_decision else "deels openbaar" if applied else "openbaar",
            grounds=() if d.needs_decision else tuple(sorted({r.ground for r in applied})),
            note=note, redactions=reds, needs_decision=d.needs_decision, remarks="; ".join(remarks)))
        keys[nr], sort_keys[nr] = d.key, d.sort_key
        red_rows += [(nr, r) for r in reds]

    doc_of_item = {i.id: nr for nr, d in numbered for i in d.items}
    term_hits = []
    for term in (req.terms or subject_terms(req.subject)):
        ids = set(ws.index.select_ids(term if " " not in term or term.startswith('"') else f'"{term}"', **flt))
        term_hits.append({"term": term, "before": len(ids), "after": len({doc_of_item[i] for i in ids if i in doc_of_item})})
    selected = [(i.id, i.sha256) for i in items]
    items_hash = hashlib.sha256(json.dumps(selected).encode()).hexdigest()
    n_dupes = sum(1 for i in items if i.kind in ("email", "file", "chat")) - sum(
        len(d.items) for _, d in numbered if d.kind in ("email", "file", "chat"))
    counts = {"items_hit": len(hits), "items_selected": len(items), "duplicates": n_dupes, "documents": len(documents),
              "near_duplicates": len(near), "redactions": len(proposals), "undated": len(undated_ids),
              "awaiting_decision": sum(1 for d in documents if d.needs_decision), "redaction_layers": ran}
    added = [nr for nr, d in numbered if d.key in new_keys] if previous else []
    changes = {"added": added, "dropped": dropped} if previous else {}
    filters = {k: (v.isoformat() if hasattr(v, "isoformat") else list(v)) for k, v in flt.items()} | {"undated": undated}
    state = index_state(ws)
    ws.index.release()  # searched for the last time in this collect
    # documents, numbers, redaction proposals, the frozen selection, the status and the audit row:
    # one transaction, so an interrupted collect leaves the previous collect whole
    with ws.change("request collect", {"id": req_id, "undated": undated}, request=req_id) as entry:
        repo.replace_documents(req_id, documents, keys, sort_keys, dropped, red_rows)
        faults.point("collect-documents")
        sel = repo.add_selection(req_id, user, req.query, filters, state, selected, items_hash, term_hits, counts, changes)
        if req.status == "ontvangen" or set_default:
            req.status = "verzameld" if req.status == "ontvangen" else req.status
            req.undated = undated  # the request's choice from now on
            repo.save(req)
        faults.point("collect-selection")
        entry.args["selection"] = sel
        entry.args["layers"] = ran
        entry.outcome = (f"{len(documents)} documents, {len(proposals)} redactions proposed"
                         + (f", {len(undated_ids)} undated items {undated}d" if undated_ids else ""))
    return CollectResult(selection=sel, items_hit=len(hits), items_selected=len(items), documents=len(documents),
                         duplicates=n_dupes, near_duplicates=len(near), redactions=len(proposals), added=added,
                         dropped=dropped, term_hits=term_hits, undated=len(undated_ids), undated_mode=undated,
                         awaiting_decision=[d.nr for d in documents if d.needs_decision], layers=ran, warnings=warnings)

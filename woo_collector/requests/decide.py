"""A handler's review decisions one at a time (the web review, ``woo review``), in the same store as
the Excel round trip (``requests.review``) and audited the same way: each change and its audit row
(who, when, old, new) commit together (``ws.change``).

- ``set_box``: accept or reject one proposed box.
- ``set_person``: accept or reject every box of a person (every form of the name, their mail
  addresses) or of a text, request-wide; returns how many places changed.
- ``add_box``: box a text the handler selected, under a ground, in every place of the request where it
  occurs (whole words, any case, any white space: as ``woo policy redact`` matches a term).
- ``decide``: the decision of one document (openbaar, deels openbaar, niet openbaar, reeds openbaar)
  with its grounds; it marks the document reviewed.
- ``mark_reviewed``, and ``set_out_of_scope``: "buiten de reikwijdte" with a reason (the document
  leaves the selection; the decision letter counts it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from woo_collector.documents import DECISIONS, Redaction, normalise_ground
from woo_collector.errors import ConfigError
from woo_collector.models import stable_id
from woo_collector.requests import refuse_withdrawn
from woo_collector.workspace import Workspace

NEED_GROUND = ("deels openbaar", "niet openbaar")


def fold(text: str) -> str:
    """Case and runs of white space do not matter when texts are compared (as the package's leak guard folds)."""
    return " ".join(text.casefold().split())


@dataclass(frozen=True)
class Outcome:
    """What a change did: how many places changed, in which documents, and a sentence saying so."""

    changed: int
    documents: tuple[str, ...]
    message: str
    texts: tuple[str, ...] = ()  # the redacted texts whose boxes changed (what the package boxes may differ for them)


def _open(ws: Workspace, req_id: str):
    repo = ws.catalog.requests
    refuse_withdrawn(repo.get(req_id), "reviewed")
    return repo


def _doc(repo, req_id: str, nr: str) -> dict:
    row = repo.document(req_id, nr)
    if row is None or row["status"] == "dropped":
        raise ConfigError(f"request {req_id} has no document {nr!r}")
    return row


def set_box(ws: Workspace, req_id: str, key: str, apply: bool) -> Outcome:
    """Accept (``apply``) or reject one box; the text stays boxed where another accepted box has it."""
    repo = _open(ws, req_id)
    row = repo.redaction(req_id, key)
    if row is None:
        raise ConfigError(f"request {req_id} has no redaction {key!r}")
    same = [r for r in repo.redactions_of_text(req_id, row["text"]) if r["key"] != key and r["apply"]]
    if bool(row["apply"]) != apply or not row.get("decided_by"):  # a proposal confirmed is a decision too
        with ws.change("review box", {"key": key, "document": row["nr"], "field": row["field"], "column": "Toepassen",
                                      "old": "ja" if row["apply"] else "nee", "new": "ja" if apply else "nee"},
                       request=req_id) as entry:
            entry.outcome = "changed"
            repo.apply_review(req_id, ws.user, {}, {key: (apply, row["ground"])}, [])
        changed = 1
    else:
        changed = 0
    msg = f"box {'accepted' if apply else 'rejected'} in document {row['nr']}" if changed else "nothing changed"
    if not apply and same:
        msg += (f"; the same text is accepted in {len(same)} other place(s), so the package still boxes it there and here: "
                "reject it everywhere to release it")
    return Outcome(changed, (row["nr"],), msg, (row["text"],) if changed else ())


def person_forms(text: str) -> tuple[set[str], set[str]]:
    """(folded forms of the name, folded mail local parts of the person) for a name; just the text otherwise."""
    from woo_collector.redaction.propagation import email_locals, name_variants, split_name

    forms = {fold(text)}
    locals_: set[str] = set()
    if re.fullmatch(r"[^\W\d_][\w.'’ -]*", text.strip()) and " " in text.strip():
        forms |= {fold(v) for v in name_variants(text.strip())}
        locals_ = {fold(x) for x in email_locals(split_name(text.strip()))}
    return forms, locals_


def set_person(ws: Workspace, req_id: str, text: str, apply: bool) -> Outcome:
    """Accept or reject every box of ``text`` in the request: for a person's name every form of it
    ("P. van der Meulen", "Van der Meulen") and their mail addresses. Says how many places changed."""
    repo = _open(ws, req_id)
    if not text.strip():
        raise ConfigError("give the name or text to accept or reject")
    forms, locals_ = person_forms(text)
    found = {r["key"]: r for f in forms for r in repo.redactions_of_text(req_id, f)}
    if locals_:
        found.update({r["key"]: r for r in repo.redactions_containing(req_id, "@") if fold(r["text"].split("@")[0]) in locals_})
    rows = sorted(found.values(), key=lambda r: (tuple(int(x) for x in r["nr"].split(".")), r["key"]))
    todo = [r for r in rows if bool(r["apply"]) != apply]
    docs = tuple(dict.fromkeys(r["nr"] for r in todo))
    if todo:
        with ws.change("review person", {"text": text, "column": "Toepassen", "old": "nee" if apply else "ja",
                                         "new": "ja" if apply else "nee", "places": len(todo), "documents": list(docs)},
                       request=req_id) as entry:
            entry.outcome = f"{len(todo)} places changed"
            repo.apply_review(req_id, ws.user, {}, {r["key"]: (apply, r["ground"]) for r in todo}, [])
    word = "accepted" if apply else "rejected"
    return Outcome(len(todo), docs, f"{text!r} {word} in {len(todo)} place(s) in {len(docs)} document(s)"
                   + (f" ({len(rows) - len(todo)} already {word})" if len(rows) > len(todo) else ""),
                   tuple(dict.fromkeys(r["text"] for r in todo)))


def term_pattern(text: str) -> re.Pattern:
    """Whole words, any case, any white space between them: how ``woo policy redact`` matches a term."""
    words = text.split()
    return re.compile(r"(?<![\w])" + r"\s+".join(map(re.escape, words)) + r"(?![\w])", re.I)


def add_box(ws: Workspace, req_id: str, text: str, ground: str) -> Outcome:
    """Box ``text`` under ``ground`` wherever it occurs in the request (every field of every item);
    an open document it lands in becomes 'deels openbaar' under that ground."""
    from woo_collector.requests import load_documents
    from woo_collector.requests.redact import FIELDS, field_text

    repo = _open(ws, req_id)
    text = " ".join(text.split())
    if len(text) < 2:
        raise ConfigError("select at least two characters to box")
    try:
        ground = normalise_ground(ground)
    except ValueError as e:
        raise ConfigError(str(e)) from None
    rx = term_pattern(text)
    existing = {(r["item_id"], r["field"], r["start"], r["end"]): r for r in repo.redactions(req_id)}
    existing_text = {r["key"]: r["text"] for r in existing.values()}
    updates: dict[str, tuple[bool, str]] = {}
    added: list[tuple[str, Redaction]] = []
    doc_updates: dict[str, tuple[str, list[str], str]] = {}
    docs: list[str] = []
    boxed_already = 0
    for d in load_documents(ws, req_id):
        changed = False
        for item in d.items:
            for f in FIELDS:
                for m in rx.finditer(field_text(item, f)):
                    old = existing.get((item.id, f, m.start(), m.end()))
                    if old is not None:
                        if not old["apply"] or old["ground"] != ground:
                            updates[old["key"]] = (True, ground)
                            changed = True
                        else:
                            boxed_already += 1
                        continue
                    changed = True
                    added.append((d.nr, Redaction(item_id=item.id, field=f, start=m.start(), end=m.end(), text=m.group(0),
                                                  category="handmatig", ground=ground, apply=True,
                                                  key=stable_id(req_id, "handmatig", item.id, f, m.start(), m.end()),
                                                  explanation="toegevoegd door de behandelaar in de webbeoordeling")))
        if changed:
            docs.append(d.nr)
            if d.decision in ("openbaar", "deels openbaar") and ground not in d.grounds:
                doc_updates[d.nr] = ("deels openbaar", sorted(set(d.grounds) | {ground}), d.note)
    places = len(added) + len(updates)
    if not places:
        return Outcome(0, (), f"{text!r} is boxed under {ground} in all {boxed_already} place(s) already" if boxed_already
                       else f"{text!r} does not occur in request {req_id}")
    with ws.change("review add", {"text": text, "ground": ground, "places": places, "documents": list(docs),
                                  "decisions": {nr: v[0] for nr, v in doc_updates.items()}}, request=req_id) as entry:
        entry.outcome = f"{places} places boxed"
        # apply_review marks a document it decides reviewed; a box added here decides only the grounds
        repo.apply_review(req_id, ws.user, {}, updates, added)
        for nr, (decision, grounds, note) in doc_updates.items():
            row = repo.document(req_id, nr)
            repo.apply_review(req_id, ws.user, {nr: (decision, grounds, note)}, {}, [])
            if not row["reviewed"]:
                repo.mark_reviewed(req_id, nr, False)
    docs = tuple(docs)
    return Outcome(places, docs, f"{text!r} boxed under {ground} in {places} place(s) in {len(docs)} document(s): "
                   + ", ".join(docs[:20]) + (f" and {len(docs) - 20} more" if len(docs) > 20 else ""),
                   tuple(dict.fromkeys([r.text for _, r in added] + [existing_text[k] for k in updates])))


def decide(ws: Workspace, req_id: str, nr: str, decision: str, grounds: list[str], note: str | None = None) -> Outcome:
    """The handler's decision on one document (and its grounds, which are then the document's grounds)."""
    repo = _open(ws, req_id)
    row = _doc(repo, req_id, nr)
    decision = decision.strip().lower()
    if decision not in DECISIONS:
        raise ConfigError(f"decision {decision!r} is not one of {', '.join(DECISIONS)}")
    codes = []
    for g in grounds:
        if g.strip():
            try:
                codes.append(normalise_ground(g))
            except ValueError as e:
                raise ConfigError(str(e)) from None
    codes = sorted(set(codes))
    if decision in NEED_GROUND and not codes:
        raise ConfigError(f"'{decision}' needs at least one ground")
    boxes = sum(1 for r in repo.redactions(req_id, [nr]) if r["apply"])
    if decision == "openbaar" and boxes:
        raise ConfigError(f"document {nr} still has {boxes} accepted box(es): reject them first, or choose 'deels openbaar'")
    note = row["note"] if note is None else note
    if len(note) > 1000:
        raise ConfigError("the Toelichting is longer than 1,000 characters")
    old = (row["decision"], sorted(row["grounds"]), row["note"] or "")
    if (decision, codes, note) == old and row["reviewed"]:
        return Outcome(0, (nr,), "nothing changed")
    with ws.change("review decision", {"document": nr, "old": {"decision": old[0], "grounds": old[1], "note": old[2]},
                                       "new": {"decision": decision, "grounds": codes, "note": note}}, request=req_id) as entry:
        entry.outcome = "changed"
        repo.apply_review(req_id, ws.user, {nr: (decision, codes, note)}, {}, [])
    return Outcome(1, (nr,), f"document {nr}: {decision}" + (f" ({', '.join(codes)})" if codes else ""))


def mark_reviewed(ws: Workspace, req_id: str, nr: str, reviewed: bool = True) -> Outcome:
    repo = _open(ws, req_id)
    row = _doc(repo, req_id, nr)
    if bool(row["reviewed"]) == reviewed:
        return Outcome(0, (nr,), "nothing changed")
    with ws.change("review reviewed", {"document": nr, "old": bool(row["reviewed"]), "new": reviewed}, request=req_id) as entry:
        entry.outcome = "changed"
        repo.mark_reviewed(req_id, nr, reviewed)
    return Outcome(1, (nr,), f"document {nr} marked {'reviewed' if reviewed else 'not reviewed'}")


def set_out_of_scope(ws: Workspace, req_id: str, nr: str, reason: str) -> Outcome:
    """Take a document out of scope ("buiten de reikwijdte") with a reason; '' brings it back in."""
    repo = _open(ws, req_id)
    row = _doc(repo, req_id, nr)
    reason = " ".join(reason.split())
    old = row.get("scope_reason") or "" if row["status"] == "buiten" else ""
    if reason == old:
        return Outcome(0, (nr,), "nothing changed")
    with ws.change("review scope", {"document": nr, "old": old, "new": reason}, request=req_id) as entry:
        entry.outcome = "out of scope" if reason else "back in scope"
        repo.set_scope(req_id, nr, reason)
    texts = tuple(dict.fromkeys(r["text"] for r in repo.redactions(req_id, [nr]) if r["apply"]))
    return Outcome(1, (nr,), f"document {nr} " + (f"is out of scope ({reason})" if reason else "is back in scope"), texts)

"""Redaction proposals for a request: detection on every field of every item, then propagation.

Detection itself lives in ``woo_collector.redaction``; this module decides what is analysed
(subject, body, sender, recipients, cc and file names), who the known people are (everyone who
wrote or received a message in the request, minus the keep list), and turns findings into
``Redaction`` records with stable keys.
"""

from __future__ import annotations

import email.utils
from contextlib import ExitStack
from dataclasses import replace
from typing import Iterable, Sequence

from woo_collector.documents import Redaction
from woo_collector.models import Item, stable_id

FIELDS = ("subject", "body", "sender", "recipients", "cc")
ID_FIELDS = ("conversation", "message_id", "locator")  # shown in the package (Thread ID, manifest), not analysed as prose


def field_text(item: Item, field: str) -> str:
    if field in ("recipients", "cc"):
        return ", ".join(getattr(item, field))
    return getattr(item, field) or ""


def parse_who(who: str) -> list[tuple[str, str]]:
    """(name, address) pairs of a sender or recipient field: a mail header ("Name <addr>, ...") or a
    chat author as the export names it ("Carol Christmas Work", kept whole)."""
    if "@" in who or "<" in who:
        return email.utils.getaddresses([who])
    return [(who.strip(), "")]


def known_people(items: Iterable[Item]) -> list[str]:
    """Names and addresses of everyone who wrote or received a message (the strongest signal)."""
    people: list[str] = []
    seen = set()
    for it in items:
        for who in (it.sender, *it.recipients, *it.cc, *it.bcc):
            if not who:
                continue
            for name, addr in parse_who(who):
                for v in (name.strip().strip('"'), addr.strip()):
                    if v and v.lower() not in seen and not v.startswith("+") and not v[:1].isdigit():
                        seen.add(v.lower())
                        people.append(v)
    return people


def addressees(items: Iterable[Item]) -> list[tuple[str, str]]:
    """(display name, address) of everyone who wrote or received a message."""
    return [(n, a) for it in items for who in (it.sender, *it.recipients, *it.cc, *it.bcc) if who
            for n, a in parse_who(who)]


def propose(request_id: str, items: list[Item], policy_cfg: dict, organisation: str = "",
            layers: Sequence = ()) -> list[Redaction]:
    """Every redaction a careful handler would make, with its ground (suggestions not applied).
    The ``organisation`` (the workspace's setting), its departments and functional mailboxes are no persons.
    ``layers``: detection layers beside the rules (``redaction.layers.build``); each says afterwards
    whether it ran."""
    from woo_collector.redaction import Analyzer, Policy
    from woo_collector.redaction.organisation import organisation_names

    policy = Policy(keep=tuple(policy_cfg.get("keep", ())), redact=dict(policy_cfg.get("redact", {})),
                    org_domains=tuple(policy_cfg.get("org_domains", ())), keep_numbers=tuple(policy_cfg.get("keep_numbers", ())))
    org = organisation_names(addressees(items), organisation, policy)
    if org:
        policy = replace(policy, keep=policy.keep + tuple(o for o in org if o not in policy.keep))
    org_low = {o.lower() for o in org}
    analyzer = Analyzer(policy, known_people=[p for p in known_people(items) if p.lower() not in org_low], layers=layers)
    texts = [(it, f, field_text(it, f)) for it in items for f in FIELDS]
    texts = [(it, f, t) for it, f, t in texts if t.strip()]
    with ExitStack() as run:   # each layer's run scope: Frog starts at most once, and goes at the end
        for layer in layers:
            if hasattr(layer, "run"):
                run.enter_context(layer.run())
        # the layers see every text of the run in one batch: the fields, and the id fields, file
        # names, ids and encoded-words that are analysed after them
        analyzer.prepare_layers([t for _, _, t in texts] + _later_texts(items, texts))
        # one pass learns every name in the request, a second finds all its forms everywhere
        results = analyzer.analyze_many([t for _, _, t in texts])
        results = [_with_identifiers(analyzer, it, f, t, fs) for (it, f, t), fs in zip(texts, results)]
        texts, results = _id_fields(analyzer, items, texts, results)
    out: list[Redaction] = []
    for (it, f, _t), fs in zip(texts, results):
        for fnd in sorted(fs, key=lambda x: (x.start, x.end)):
            out.append(Redaction(item_id=it.id, field=f, start=fnd.start, end=fnd.end, text=fnd.text, category=fnd.category,
                                 ground=fnd.ground, apply=not fnd.suggestion_only,
                                 key=stable_id(request_id, it.id, f, fnd.start, fnd.end, fnd.text),
                                 explanation=fnd.explanation or fnd.recognizer))
    return out



class _Recorder:
    """Stands in for the analyzer to learn which texts ``identifiers`` will analyse (which depends
    on the text only, never on what is found in it)."""

    def __init__(self) -> None:
        self.texts: list[str] = []

    def analyze(self, text: str, known_people=None) -> list:
        self.texts.append(text)
        return []


def _later_texts(items: list[Item], texts: list) -> list[str]:
    """The texts analysed after the fields' ``analyze_many``: the identifiers, ids and encoded-words
    inside the fields (``_with_identifiers``) and the id fields (``_id_fields``), in order."""
    from woo_collector.redaction.identifiers import embedded, identifier_findings

    rec = _Recorder()
    for it, f, t in texts:
        embedded(rec, t)
        if f == "subject" and it.kind in ("attachment", "file"):
            identifier_findings(rec, t)
    seen: set[str] = set()
    for it in items:
        for f in ID_FIELDS:
            t = getattr(it, f) or ""
            if t.strip() and t not in seen:
                seen.add(t)
                rec.analyze(t)
                identifier_findings(rec, t)
    return rec.texts


def _with_identifiers(analyzer, it: Item, field: str, text: str, found: list) -> list:
    """``found`` plus the names inside identifiers of ``text``: a whole file or attachment name, the
    file names, ids and encoded-words inside a body (``woo_collector.redaction.identifiers``)."""
    from woo_collector.redaction import Analyzer
    from woo_collector.redaction.identifiers import embedded, identifier_findings

    extra = embedded(analyzer, text)
    if field == "subject" and it.kind in ("attachment", "file"):
        extra += identifier_findings(analyzer, text)
    if not extra:
        return found
    return Analyzer.resolve(Analyzer.merge_names(list(found) + extra, text))


def _id_fields(analyzer, items: list[Item], texts: list, results: list) -> tuple[list, list]:
    """Thread and conversation ids, Message-IDs and locators, each distinct string analysed once (as
    text and as an identifier) and its findings put on the first item that has it."""
    from woo_collector.redaction import Analyzer
    from woo_collector.redaction.identifiers import identifier_findings

    texts, results = list(texts), list(results)
    seen: set[str] = set()
    for it in items:
        for f in ID_FIELDS:
            t = getattr(it, f) or ""
            if not t.strip() or t in seen:
                continue
            seen.add(t)
            found = Analyzer.resolve(Analyzer.merge_names(analyzer.analyze(t) + identifier_findings(analyzer, t), t))
            if found:
                texts.append((it, f, t))
                results.append(found)
    return texts, results

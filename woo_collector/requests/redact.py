"""Redaction proposals for a request: detection on every field of every item, then propagation.

Detection itself lives in ``woo_collector.redaction``; this module decides what is analysed
(subject, body, sender, recipients, cc and file names), who the known people are (everyone who
wrote or received a message in the request, minus the keep list), and turns findings into
``Redaction`` records with stable keys.
"""

from __future__ import annotations

import email.utils
from typing import Iterable, Sequence

from woo_collector.documents import Redaction
from woo_collector.models import Item, stable_id

FIELDS = ("subject", "body", "sender", "recipients", "cc")


def field_text(item: Item, field: str) -> str:
    if field in ("recipients", "cc"):
        return ", ".join(getattr(item, field))
    return getattr(item, field) or ""


def known_people(items: Iterable[Item]) -> list[str]:
    """Names and addresses of everyone who wrote or received a message (the strongest signal)."""
    people: list[str] = []
    seen = set()
    for it in items:
        for who in (it.sender, *it.recipients, *it.cc, *it.bcc):
            if not who:
                continue
            for name, addr in email.utils.getaddresses([who]):
                for v in (name.strip().strip('"'), addr.strip()):
                    if v and v.lower() not in seen and not v.startswith("+") and not v[:1].isdigit():
                        seen.add(v.lower())
                        people.append(v)
    return people


def propose(request_id: str, items: list[Item], policy_cfg: dict, layers: Sequence = ()) -> list[Redaction]:
    """Every redaction a careful handler would make, with its ground (suggestions not applied).
    ``layers``: detection layers beside the rules (``redaction.layers.build``); each says afterwards
    whether it ran."""
    from woo_collector.redaction import Analyzer, Policy

    policy = Policy(keep=tuple(policy_cfg.get("keep", ())), redact=dict(policy_cfg.get("redact", {})),
                    org_domains=tuple(policy_cfg.get("org_domains", ())), keep_numbers=tuple(policy_cfg.get("keep_numbers", ())))
    analyzer = Analyzer(policy, known_people=known_people(items), layers=layers)
    texts = [(it, f, field_text(it, f)) for it in items for f in FIELDS]
    texts = [(it, f, t) for it, f, t in texts if t.strip()]
    # one pass learns every name in the request, a second finds all its forms everywhere
    results = analyzer.analyze_many([t for _, _, t in texts])
    out: list[Redaction] = []
    for (it, f, _t), fs in zip(texts, results):
        for fnd in sorted(fs, key=lambda x: (x.start, x.end)):
            out.append(Redaction(item_id=it.id, field=f, start=fnd.start, end=fnd.end, text=fnd.text, category=fnd.category,
                                 ground=fnd.ground, apply=not fnd.suggestion_only,
                                 key=stable_id(request_id, it.id, f, fnd.start, fnd.end, fnd.text),
                                 explanation=fnd.explanation or fnd.recognizer))
    return out


"""The organisation itself is no person: its name, its departments and its functional mailboxes.

``organisation_names(people, organisation, policy)`` picks, from the (display name, address) pairs
of a request's senders and recipients, the names that belong to the organisation:

- the workspace's ``organisation`` setting ("Gemeente Voorbeeld") and every display name that
  contains it ("Vergunningen | Gemeente Voorbeeld");
- the display name of a functional mailbox (``info@``, ``vergunningen@``: ``data/functional_mailboxes.txt``
  and the policy's ``functional``);
- a display name that opens with an organisation word ("Afdeling ...", "Team ...":
  ``data/organisation_words.txt``) or that is the name of a mail domain of the organisation
  ("Voorbeeld" for voorbeeld.nl).

These names are kept (never boxed as a person) and are not known people.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from .lexicon import words
from .model import Policy

_SPLIT = re.compile(r"\s*[|/,;:()\[\]]\s*|\s+-\s+")


def is_functional(address: str, policy: Policy) -> bool:
    """True when ``address`` is a functional mailbox (its local part names a function)."""
    local = address.split("@", 1)[0].lower()
    functional = words("functional_mailboxes") | set(policy.functional)
    return local in functional or re.sub(r"[\d._-]+$", "", local) in functional


def _labels(addresses: Iterable[str], policy: Policy) -> set[str]:
    """The distinctive labels of the organisation's domains ("voorbeeld" of voorbeeld.nl)."""
    out = set()
    for d in (*policy.org_domains, *addresses):
        host = d.rsplit("@", 1)[-1].lower()
        parts = host.split(".")
        if len(parts) >= 2 and len(parts[-2]) >= 3:
            out.add(parts[-2])
    return out


def is_organisational(name: str, organisation: str = "", labels: Iterable[str] = ()) -> bool:
    """True when the display name ``name`` names the organisation or a part of it."""
    low = " ".join(name.lower().split())
    if not low:
        return False
    if organisation and " ".join(organisation.lower().split()) in low:
        return True
    tokens = re.findall(r"\w+", low)
    if not tokens:
        return False
    if tokens[0] in words("organisation_words"):
        return True
    labels = set(labels)
    return "".join(tokens) in labels or any(t in labels for t in tokens if len(tokens) <= 2 and t not in words("surnames"))


def organisation_names(people: Iterable[tuple[str, str]], organisation: str, policy: Policy) -> tuple[str, ...]:
    """The display names among ``people`` (name, address) that belong to the organisation, and the
    organisation's own name; split at separators ("Vergunningen | Gemeente Voorbeeld" gives both parts)."""
    people = [(n.strip().strip('"'), a.strip()) for n, a in people]
    functional_domains = [a for n, a in people if a and is_functional(a, policy)]
    labels = _labels([a for a in functional_domains], policy)
    found: list[str] = [organisation] if organisation else []
    for name, addr in people:
        if not name or "@" in name:
            continue
        if (addr and is_functional(addr, policy)) or is_organisational(name, organisation, labels):
            for part in [name, *_SPLIT.split(name)]:
                part = part.strip()
                if part and part not in found:
                    found.append(part)
    return tuple(found)

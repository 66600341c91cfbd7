"""Dutch personal-data detection for Woo redaction.

Stable API (used by the request and export code)::

    from woo_collector.redaction import Analyzer, Finding, Policy, Propagator, name_variants

    policy = Policy(keep=("Marieke Hoogland",),                 # public office holders: never redacted
                    redact={"Project Zwaluw": "5.1.2i"},         # always redacted, with a ground
                    org_domains=("dijkstad.nl",),                # the organisation's mail domains
                    keep_numbers=("0299 450 000",))              # general numbers of the organisation
    propagator = Propagator()                                    # one per Woo request
    analyzer = Analyzer(policy, known_people=("Pieter van der Meulen <p.vandermeulen@dijkstad.nl>",),
                        propagator=propagator)
    for finding in analyzer.analyze(text):                       # non-overlapping, sorted
        finding.start, finding.end, finding.text, finding.category, finding.ground,
        finding.score, finding.explanation, finding.suggestion_only

    analyzer.analyze_many(texts)   # a whole request: learns every name first, then finds all forms

- ``Finding`` (frozen): ``start``, ``end``, ``text``, ``category`` (one of ``CATEGORIES``: name,
  email, phone, bsn, iban, postcode, address, plate, birthdate, ip, url, special), ``ground``
  (``5.1.2e`` privacy, ``5.1.1e`` BSN, ``5.1.1d`` special categories, or the policy's ground),
  ``score`` (0..1), ``recognizer``, ``pattern``, ``explanation`` and ``suggestion_only`` (shown to the
  handler, not applied by default; special categories, 5.1.1d, are applied by default). Policy terms come as
  category ``name`` with recognizer ``policy``.
- ``Policy(keep=(...), redact={term: ground}, org_domains=(...), keep_numbers=(...))``.
- ``Analyzer(policy, known_people=(), propagator=None, threshold=0.5).analyze(text)``;
  ``known_people`` are the names and addresses of everyone who wrote or received a message
  (``"Name <addr>"``, ``(name, addr)``, a name or an address).
- ``Propagator()`` with ``learn(findings)`` and ``apply(text) -> list[Finding]``;
  ``name_variants(full_name) -> set[str]``.

Detection never edits text. Recognizers live in ``recognizers/``, one file per detector.
"""

from __future__ import annotations

from .analyzer import Analyzer, parse_person
from .model import (
           CATEGORIES,
           GROUND_BSN,
           GROUND_PRIVACY,
           GROUND_SPECIAL,
           Finding,
           Policy,
           normalise_ground,
)
from .propagation import Propagator, name_variants, split_name

__all__ = ["Analyzer", "CATEGORIES", "Finding", "GROUND_BSN", "GROUND_PRIVACY", "GROUND_SPECIAL",
           "Policy", "Propagator", "name_variants", "normalise_ground", "parse_person", "split_name"]

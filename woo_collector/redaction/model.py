"""The things detection produces and consumes: ``Finding`` and the handler's ``Policy``.

A ``Finding`` is one proposed redaction: a span of the analysed text, its category, the Woo
ground that would justify redacting it, a confidence and a human-readable explanation. Findings
never carry edited text; redaction itself happens later, in the export.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

CATEGORIES = ("name", "email", "phone", "bsn", "iban", "postcode", "address", "plate",
              "birthdate", "ip", "url", "special")

GROUND_PRIVACY = "5.1.2e"
GROUND_BSN = "5.1.1e"
GROUND_SPECIAL = "5.1.1d"

DEFAULT_GROUNDS = {c: GROUND_PRIVACY for c in CATEGORIES}
DEFAULT_GROUNDS["bsn"] = GROUND_BSN
DEFAULT_GROUNDS["special"] = GROUND_SPECIAL

_GROUND_RE = re.compile(r"^\s*(\d)\s*\.\s*(\d)\s*(?:\.\s*(\d))?\s*\.?\s*([a-i])?\s*$", re.I)


def normalise_ground(code: str) -> str:
    """Write a ground code the canonical way: ``5.1.2.e`` and ``5.1.2 e`` become ``5.1.2e``."""
    m = _GROUND_RE.match(code)
    if not m:
        raise ValueError(f"not a Woo ground code: {code!r} (expected e.g. 5.1.2e)")
    parts = ".".join(p for p in m.group(1, 2, 3) if p)
    return parts + (m.group(4) or "").lower()


@dataclass(frozen=True)
class Finding:
    """One proposed redaction: ``text[start:end]`` of the analysed text.

    ``score`` is the confidence (0..1) after context and validation; ``explanation`` says which
    recognizer and pattern found it, the base score, the validation outcome and the context word
    that raised it. ``suggestion_only`` findings are shown to the handler but not applied
    unless the handler accepts them (no built-in recognizer makes them: special categories, an
    absolute ground, are applied by default).
    """

    start: int
    end: int
    text: str
    category: str
    ground: str
    score: float
    recognizer: str
    pattern: str = ""
    explanation: str = ""
    suggestion_only: bool = False

    def __post_init__(self) -> None:
        if self.category not in CATEGORIES:
            raise ValueError(f"unknown category {self.category!r}")
        if not 0 <= self.start < self.end:
            raise ValueError(f"bad span {self.start}..{self.end}")

    def overlaps(self, other: Finding) -> bool:
        return self.start < other.end and other.start < self.end


def _digits(number: str) -> str:
    d = re.sub(r"\D", "", number)
    if number.strip().startswith("+"):
        return d
    if d.startswith("00"):
        return d[2:]
    if d.startswith("0"):
        return "31" + d[1:]
    return d


@dataclass(frozen=True)
class Policy:
    """The handler's standing decisions, applied after detection.

    - ``keep``: names never redacted however they appear (public office holders, a spokesperson):
      full name, surname with its tussenvoegsel, initials form, "burgemeester X".
    - ``redact``: terms always redacted, each with its Woo ground (``{"Project Zwaluw": "5.1.2i"}``).
    - ``org_domains``: the organisation's own mail domains; functional mailboxes (``info@``,
      ``woo@``, ``functional``) stay everywhere, personal addresses at these domains go.
    - ``keep_numbers``: general phone numbers of the organisation (any notation).
    - ``functional``: extra local parts that count as functional mailboxes.
    """

    keep: tuple[str, ...] = ()
    redact: dict[str, str] = field(default_factory=dict)
    org_domains: tuple[str, ...] = ()
    keep_numbers: tuple[str, ...] = ()
    functional: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "keep", tuple(self.keep))
        object.__setattr__(self, "org_domains", tuple(d.lower().lstrip("@") for d in self.org_domains))
        object.__setattr__(self, "keep_numbers", tuple(self.keep_numbers))
        object.__setattr__(self, "functional", tuple(f.lower() for f in self.functional))
        object.__setattr__(self, "redact", {t: normalise_ground(g) for t, g in dict(self.redact).items()})

    def keeps_number(self, number: str) -> bool:
        """True when ``number`` is one of the organisation's general numbers, in any notation."""
        d = _digits(number)
        return any(d == _digits(k) for k in self.keep_numbers)

    def is_org_domain(self, domain: str) -> bool:
        domain = domain.lower()
        return any(domain == d or domain.endswith("." + d) for d in self.org_domains)

    def __hash__(self) -> int:
        return hash((self.keep, tuple(sorted(self.redact.items())), self.org_domains, self.keep_numbers))

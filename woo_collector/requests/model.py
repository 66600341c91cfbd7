"""A Woo request as recorded: subject, search, period, dates and status."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

WITHDRAWN = "ingetrokken"  # the requester withdrew the request: it keeps its record, nothing more is done with it
STATUSES = ("ontvangen", "verzameld", "in beoordeling", "besloten", WITHDRAWN)

# words of the subject that say nothing about the subject itself
_BOILERPLATE = set("""alle alles documenten document informatie stukken correspondentie over betreffende inzake
omtrent rond rondom aangaande met betrekking tot verzoek woo wob van de het een en in op bij voor naar aan of om
ook die dat deze dit zijn is wordt worden mail mails e-mail e-mails berichten bericht sinds vanaf tot periode""".split())


def subject_terms(subject: str) -> list[str]:
    """The search terms in a request's subject: its words minus Woo boilerplate and stop words."""
    words = re.findall(r"[\w'’-]+", subject.lower())
    out = []
    for w in words:
        if len(w) > 2 and w not in _BOILERPLATE and w not in out:
            out.append(w)
    return out


def query_from(subject: str, query: str | None, terms: list[str]) -> str:
    """The query a request searches with: --query, else the subject's terms, OR-ed with the terms file."""
    base = query.strip() if query else " OR ".join(t for t in subject_terms(subject) if t not in {x.lower() for x in terms})
    extra = [t if " " not in t or t.startswith('"') else f'"{t}"' for t in dict.fromkeys(terms)]
    parts = ([f"({base})"] if base and extra else [base] if base else []) + extra
    return " OR ".join(p for p in parts if p)


@dataclass
class Request:
    id: str
    subject: str
    query: str
    period_from: date
    period_to: date
    received: date
    terms: list[str] = field(default_factory=list)
    custodians: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    requester: str = ""  # internal only: never exported
    status: str = "ontvangen"
    extension_reason: str = ""
    suspensions: list[dict] = field(default_factory=list)  # [{"from": "...", "to": "..." or "", "reason": ""}]
    withdrawn: str = ""  # the day it was withdrawn (ISO), "" while it stands
    withdrawal_reason: str = ""
    undated: str = ""  # matching items without a date: "include", "exclude", or "" (not chosen: include)

    @property
    def deadline(self) -> date:
        """Received + 4 weeks, + 2 weeks when extended, + the days the clock was suspended."""
        d = self.received + timedelta(weeks=4)
        if self.extension_reason:
            d += timedelta(weeks=2)
        for s in self.suspensions:
            start = date.fromisoformat(s["from"])
            end = date.fromisoformat(s["to"]) if s.get("to") else date.today()
            d += timedelta(days=max(0, (end - start).days))
        return d

    def days_left(self, today: date | None = None) -> int:
        return (self.deadline - (today or date.today())).days

    def to_row(self) -> dict:
        return {"id": self.id, "subject": self.subject, "query": self.query, "terms": json.dumps(self.terms, ensure_ascii=False),
                "period_from": self.period_from.isoformat(), "period_to": self.period_to.isoformat(),
                "custodians": json.dumps(self.custodians, ensure_ascii=False), "sources": json.dumps(self.sources, ensure_ascii=False),
                "received": self.received.isoformat(), "requester": self.requester, "status": self.status,
                "deadline": self.deadline.isoformat(), "extension_reason": self.extension_reason,
                "suspensions": json.dumps(self.suspensions, ensure_ascii=False), "withdrawn": self.withdrawn,
                "withdrawal_reason": self.withdrawal_reason, "undated": self.undated}

    @classmethod
    def from_row(cls, r) -> "Request":
        return cls(id=r["id"], subject=r["subject"], query=r["query"], terms=json.loads(r["terms"]),
                   period_from=date.fromisoformat(r["period_from"]), period_to=date.fromisoformat(r["period_to"]),
                   received=date.fromisoformat(r["received"]), custodians=json.loads(r["custodians"]),
                   sources=json.loads(r["sources"]), requester=r["requester"] or "", status=r["status"],
                   extension_reason=r["extension_reason"] or "", suspensions=json.loads(r["suspensions"]),
                   withdrawn=r["withdrawn"] or "", withdrawal_reason=r["withdrawal_reason"] or "",
                   undated=(r["undated"] if "undated" in r.keys() else "") or "")

"""Documents of a Woo request: what the request code produces and the export writers consume.

A ``Document`` is the unit of the inventory and of the decision: an e-mail, one of its attachments
(same family: nr 12, 12.1, 12.2), a chat conversation on one local calendar day with the media sent
in it that day (chat day 5, media 5.1, 5.2 in message order), or a file. A medium without text (a
photo, a video, a voice note) can show what no text detector sees: it gets no automatic decision
(``needs_decision``, Beoordeling ``PENDING``) and stays out of the package's bundles until a handler
decides it. ``Redaction`` marks a span of one item's field to be replaced by a box carrying its ground.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Mapping

from woo_collector.models import Item

DECISIONS = ("openbaar", "deels openbaar", "niet openbaar", "reeds openbaar")
PENDING = "nog te beoordelen"  # the Beoordeling of a document no automatic decision can be made for (needs_decision)

GROUNDS = {
    "5.1.1a": "de eenheid van de Kroon",
    "5.1.1b": "de veiligheid van de Staat",
    "5.1.1c": "bedrijfs- en fabricagegegevens die vertrouwelijk aan de overheid zijn meegedeeld",
    "5.1.1d": "bijzondere persoonsgegevens",
    "5.1.1e": "identificatienummers als bedoeld in artikel 87 van de Algemene verordening gegevensbescherming (BSN)",
    "5.1.2a": "de betrekkingen van Nederland met andere staten en internationale organisaties",
    "5.1.2b": "de economische of financiële belangen van de Staat",
    "5.1.2c": "de opsporing en vervolging van strafbare feiten",
    "5.1.2d": "inspectie, controle en toezicht door bestuursorganen",
    "5.1.2e": "de eerbiediging van de persoonlijke levenssfeer",
    "5.1.2f": "concurrentiegevoelige bedrijfs- en fabricagegegevens",
    "5.1.2g": "de bescherming van het milieu",
    "5.1.2h": "de beveiliging van personen en bedrijven",
    "5.1.2i": "het goed functioneren van de Staat en andere publiekrechtelijke lichamen",
    "5.1.5": "onevenredige benadeling",
    "5.2": "persoonlijke beleidsopvattingen in documenten voor intern beraad",
    "5.4": "kabinetsformatie",
    "dubbel": "reeds beoordeeld in een ander document",
}


def normalise_ground(code: str) -> str:
    """'5.1.2.e', '5.1.2 e', ' 5.1.2E ' -> '5.1.2e'; raises ValueError for an unknown code."""
    c = "".join(str(code).split()).lower()
    if c.count(".") == 3 and c[-2] == ".":  # 5.1.2.e
        c = c[:-2] + c[-1]
    if c not in GROUNDS:
        raise ValueError(f"unknown Woo ground {code!r}; known: {', '.join(GROUNDS)}")
    return c


@dataclass(frozen=True)
class Redaction:
    """A proposed (or decided) replacement of ``text`` at [start, end) of one item's field."""

    item_id: str
    field: str  # body | subject | sender | recipients | cc | filename
    start: int
    end: int
    text: str
    category: str  # name, email, phone, bsn, iban, postcode, address, plate, birthdate, ip, url, special, policy
    ground: str  # e.g. 5.1.2e
    apply: bool = True  # the handler's choice (Lakken sheet: Toepassen ja/nee)
    key: str = ""  # stable id of this proposal
    explanation: str = ""


@dataclass(frozen=True)
class Document:
    nr: str  # "12", or "12.1" for an attachment of document 12
    family: str  # the family's top number, "12"
    kind: str  # email | attachment | chat | file
    filetype: str  # the inventory's File type: email, chat, pdf, doc, spreadsheet, presentation, image, other
    date: datetime | None  # UTC
    title: str  # description before redaction (subject, file name, "Chat X, 12 maart 2025")
    items: tuple[Item, ...]  # one item, or a conversation day's messages in order
    thread: str = ""  # Thread ID (e-mail) or conversation key
    places: tuple[str, ...] = ()  # every place this document was found ("custodian / source / folder")
    decision: str = "openbaar"
    grounds: tuple[str, ...] = ()
    note: str = ""  # Toelichting: public, it goes into the inventory
    redactions: tuple[Redaction, ...] = ()
    needs_decision: bool = False  # no automatic decision (a chat photo, video, voice note): decision is PENDING
    # until a handler decides; listed in the inventory, left out of the bundles until then
    remarks: str = ""  # internal notes for the handler ("gevonden op 3 plaatsen"): review workbook only, never a package

    def applied(self) -> tuple[Redaction, ...]:
        return tuple(r for r in self.redactions if r.apply)


@dataclass(frozen=True)
class TermHits:
    term: str
    before: int  # items hit before deduplication
    after: int  # documents hit after deduplication


@dataclass(frozen=True)
class RequestInfo:
    """What an export needs to know of the request (never the requester's identity)."""

    id: str
    subject: str
    query: str
    period_from: date
    period_to: date
    received: date | None = None
    deadline: date | None = None
    extended: bool = False
    organisation: str = "Gemeente"
    sources: tuple[str, ...] = ()
    custodians: tuple[str, ...] = ()
    terms: tuple[TermHits, ...] = ()
    counts: Mapping[str, int] = field(default_factory=dict)  # items_selected, duplicates, documents, ...
    selection_id: str = ""
    collected_at: datetime | None = None
    undated_handling: str = "include"  # what the selection did with matching items without a date (counts["undated"])
    competent_body: str = "het college van burgemeester en wethouders"  # where an objection goes (the competent body)
    # what was searched, by kind and by whom: (medium, custodian) per source; the letter describes
    # sources by these, never by their names (a source's name often holds a person's name)
    searched: tuple[tuple[str, str], ...] = ()


# what a source holds, as the decision letter names it: by connector TYPE, and by item
MEDIUM_OF_TYPE = {"exchange": "email", "graph": "email", "imap": "email", "eml": "email", "mbox": "email", "maildir": "email",
                  "msg": "email", "pst": "email", "teams": "teams", "whatsapp": "whatsapp", "sms": "sms", "signal": "signal",
                  "telegram": "telegram", "files": "file"}


def medium_of(kind: str, platform: str) -> str:
    """'email', 'file', 'whatsapp', 'sms', 'teams', 'signal', 'telegram', 'chat' or 'overig' for an item."""
    if kind == "chat":
        p = (platform or "").lower()
        return "sms" if p in ("sms", "mms") else p if p in ("whatsapp", "teams", "signal", "telegram") else "chat"
    return kind if kind in ("email", "file") else "overig"

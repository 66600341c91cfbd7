"""A small Woo request built in code: a mail with an attachment, a chat day, a file, one document
withheld, one already public, and personal data (names, phone, BSN, e-mail) to redact.

Kept (public office holders): wethouder Karin Smit, burgemeester Jan Hamming.
Redacted: Pieter van der Meulen (civil servant), Anna de Boer and Jeroen Bakker (citizens), their
e-mail addresses and phone numbers, a BSN.
"""

from __future__ import annotations

from datetime import date, datetime, timezone

from woo_collector.documents import Document, Redaction, RequestInfo, TermHits
from woo_collector.models import Item

ORG = "Gemeente Zaanstad"
SECRET = "GEHEIMWOORD-ALFA"
REDACTED = (
    "Pieter van der Meulen",
    "p.vandermeulen@zaanstad.nl",
    "Anna de Boer",
    "anna.deboer@gmail.com",
    "06-12345678",
    "123456782",
    "Jeroen Bakker",
    "075-6812345",
)
KEPT = ("Karin Smit", "Jan Hamming", "k.smit@zaanstad.nl")
GROUND = {"bsn": "5.1.1e"}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def sha(n: int) -> str:
    return f"{n:064x}"


def redactions_for(item: Item, field: str, text: str) -> list[Redaction]:
    """A redaction for every occurrence of every REDACTED string in one field."""
    out = []
    for target in REDACTED:
        start = text.find(target)
        while start >= 0:
            category = "bsn" if target == "123456782" else "phone" if target[:1].isdigit() else (
                "email" if "@" in target else "name")
            out.append(Redaction(item.id, field, start, start + len(target), target, category,
                                 GROUND.get(category, "5.1.2e"), key=f"{item.id}-{field}-{start}"))
            start = text.find(target, start + 1)
    return out


def redact_all(item: Item) -> list[Redaction]:
    fields = {"body": item.body, "subject": item.subject, "sender": item.sender,
              "recipients": "; ".join(item.recipients), "cc": "; ".join(item.cc)}
    return [r for f, text in fields.items() for r in redactions_for(item, f, text)]


def item(id_: str, kind: str, n: int, **kw) -> Item:
    return Item(id=id_, kind=kind, source="test", custodian="Pieter van der Meulen", sha256=sha(n), **kw)


MAIL = item(
    "mail1", "email", 1, sent=utc(2025, 3, 12, 13, 5),
    sender="Pieter van der Meulen <p.vandermeulen@zaanstad.nl>",
    recipients=("Karin Smit <k.smit@zaanstad.nl>",), cc=("Anna de Boer <anna.deboer@gmail.com>",),
    subject="Windturbines Kraaiennest: gesprek met Anna de Boer",
    body=("Beste Karin,\n\nIk sprak mevrouw Anna de Boer (tel. 06-12345678, BSN 123456782) over de "
          "windturbines bij het Kraaiennest. Zij vraagt om een gesprek met burgemeester Jan Hamming.\n\n"
          "Groet,\nPieter van der Meulen\nTel. 075-6812345"),
    message_id="<abc123@zaanstad.nl>", conversation="thread-windturbines",
)
ATTACHMENT = item(
    "att1", "attachment", 2, sent=utc(2025, 3, 12, 13, 5), parent="mail1",
    subject="verslag-bewonersavond.pdf",
    body=("Verslag bewonersavond\nAanwezig: Anna de Boer, Jeroen Bakker, burgemeester Jan Hamming.\n"
          "Geluid is het grootste zorgpunt."),
)
CHAT = tuple(
    item(f"chat{i}", "chat", 3, sent=when, sender=who, body=text, subject="Windpark overleg",
         conversation="wa-windpark", locator=f"regel {i}")
    for i, (when, who, text) in enumerate([
        (utc(2025, 3, 14, 8, 15), "Pieter van der Meulen", "Goedemorgen, de notitie over de turbines is klaar."),
        (utc(2025, 3, 14, 8, 17), "Karin Smit", "Dank! Kun je Jeroen Bakker bellen op 06-12345678?"),
        (utc(2025, 3, 14, 9, 2), "Jeroen Bakker", "Ik ben er vanmiddag.\nTot dan."),
    ], start=1)
)
FILE = item(
    "file1", "file", 4, sent=utc(2025, 3, 20, 10, 0), subject="planning-windturbines.docx",
    body="Planning windturbines\nFase 1: vergunning. Contactpersoon: Pieter van der Meulen, 0612345678.\nFase 2: bouw.",
)
WITHHELD = item(
    "mail2", "email", 5, sent=utc(2025, 3, 21, 9, 30), sender="Karin Smit <k.smit@zaanstad.nl>",
    recipients=("Jan Hamming <j.hamming@zaanstad.nl>",), subject="Vertrouwelijk: grondaankoop",
    body=f"Het codewoord is {SECRET}.",
)
PUBLIC = item(
    "file2", "file", 6, sent=utc(2025, 3, 25, 11, 0), subject="raadsinformatiebrief-windturbines.pdf",
    body="Deze brief staat al op de website.",
)


def documents() -> list[Document]:
    return [
        Document("1", "1", "email", "email", MAIL.sent, MAIL.subject, (MAIL,), thread="thread-windturbines",
                 decision="deels openbaar", grounds=("5.1.2e", "5.1.1e"), redactions=tuple(redact_all(MAIL))),
        Document("1.1", "1", "attachment", "pdf", ATTACHMENT.sent, ATTACHMENT.subject, (ATTACHMENT,),
                 thread="thread-windturbines", decision="deels openbaar", grounds=("5.1.2e",),
                 redactions=tuple(redact_all(ATTACHMENT))),
        Document("2", "2", "chat", "chat", CHAT[0].sent, "Chat Windpark overleg, 14 maart 2025", CHAT,
                 thread="wa-windpark", decision="deels openbaar", grounds=("5.1.2e",),
                 redactions=tuple(r for m in CHAT for r in redact_all(m))),
        Document("3", "3", "file", "doc", FILE.sent, FILE.subject, (FILE,), decision="openbaar"),
        Document("4", "4", "email", "email", WITHHELD.sent, WITHHELD.subject, (WITHHELD,), decision="niet openbaar",
                 grounds=("5.1.2i",), note="Intern beraad over een lopende grondaankoop."),
        Document("5", "5", "file", "pdf", PUBLIC.sent, PUBLIC.subject, (PUBLIC,), decision="reeds openbaar",
                 note="Gepubliceerd op https://www.zaanstad.nl/windturbines"),
    ]


def request_info() -> RequestInfo:
    return RequestInfo(
        id="2025-014", subject="windturbines bij het Kraaiennest", query="windturbine* OR Kraaiennest",
        period_from=date(2025, 3, 1), period_to=date(2025, 3, 31), received=date(2025, 4, 2),
        deadline=date(2025, 4, 30), organisation=ORG, sources=("mail-gemeente", "whatsapp-import"),
        custodians=("Pieter van der Meulen", "Karin Smit"),
        terms=(TermHits("windturbine*", 14, 5), TermHits("Kraaiennest", 6, 3)),
        counts={"items_selected": 20, "duplicates": 9, "documents": 6},
        selection_id="sel-7f3a", collected_at=utc(2025, 4, 3, 8, 0),
    )

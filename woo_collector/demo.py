"""The demo: a fictional municipality's mail, chats and files, generated on the spot.

Gemeente Voorbeeld is building a wind farm near het Kraaiennest. Three officials' mailboxes (a
Maildir, an mbox and a folder of .eml), a WhatsApp group, a phone's SMS backup, a Teams chat and a
shared folder hold what a Woo request about it would find: threads, the same mail in the sender's
and the recipients' mailboxes, a forward with a line added, attachments, and the personal data of
citizens and officials (names, phone numbers, addresses, a BSN, an IBAN) that must be redacted,
next to public office holders (the wethouder, the burgemeester) whose names stay.
Everything is deterministic: the same files every time.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import mailbox
import zipfile
import zlib
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import format_datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from woo_collector.dates import DEFAULT_TIMEZONE

TZ = ZoneInfo(DEFAULT_TIMEZONE)  # the fictional municipality is Dutch, whatever the workspace says
DOMAIN = "voorbeeld.nl"
ORGANISATION = "Gemeente Voorbeeld"


@dataclass(frozen=True)
class Person:
    name: str
    email: str
    phone: str
    role: str

    @property
    def addr(self) -> str:
        return f"{self.name} <{self.email}>"


SANNE = Person("Sanne de Vries", f"s.devries@{DOMAIN}", "06-12345678", "beleidsmedewerker duurzaamheid")
PIETER = Person("Pieter van der Meulen", f"p.vandermeulen@{DOMAIN}", "06 2345 6789", "projectleider windpark")
FATIMA = Person("Fatima El Amrani", f"f.elamrani@{DOMAIN}", "+31 6 34567890", "adviseur communicatie")
WETHOUDER = Person("Jan Bakker", f"j.bakker@{DOMAIN}", "", "wethouder")
BURGEMEESTER = Person("Marieke Hoekstra", f"burgemeester@{DOMAIN}", "", "burgemeester")
HENK = Person("Henk Jansen", "henk.jansen1958@gmail.com", "0612987654", "omwonende")
AYSE = Person("Ayşe Yılmaz", "ayse.yilmaz@hotmail.com", "020-6234567", "omwonende")
KEEP = [WETHOUDER.name, BURGEMEESTER.name]


def signature(p: Person) -> str:
    lines = ["", "Met vriendelijke groet,", "", p.name, p.role.capitalize(), ORGANISATION]
    if p.phone:
        lines.append(f"T {p.phone}")
    lines.append(f"E {p.email}")
    return "\n".join(lines)


def at(day: str, hm: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{hm}:00").replace(tzinfo=TZ)


FIXED = datetime(2025, 3, 10, 9, 0)


def _repack(data: bytes) -> bytes:
    """The same zip with fixed member times, so an Office file is the same bytes every run."""
    src = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED.timetuple()[:6])
            fixed.compress_type = zipfile.ZIP_DEFLATED
            data = src.read(info)
            if info.filename == "docProps/core.xml":  # openpyxl stamps the time of saving here
                data = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + FIXED.strftime("%Y-%m-%dT%H:%M:%SZ").encode(), data)
            dst.writestr(fixed, data)
    return out.getvalue()


def _docx(title: str, paragraphs: list[str], author: str) -> bytes:
    from docx import Document

    d = Document()
    d.core_properties.author = author
    d.core_properties.title = title
    d.core_properties.created = d.core_properties.modified = FIXED
    d.add_heading(title, level=1)
    for p in paragraphs:
        d.add_paragraph(p)
    buf = io.BytesIO()
    d.save(buf)
    return _repack(buf.getvalue())


MEMO = _docx  # the attachment builder, named for what it makes in the demo


def mail(sender: Person, to: list[Person], subject: str, body: str, when: datetime, *, cc: list[Person] = (),
         reply_to: EmailMessage | None = None, attachments: list[tuple[str, bytes, str]] = (), html: bool = False) -> EmailMessage:
    m = EmailMessage()
    m["From"] = sender.addr
    m["To"] = ", ".join(p.addr for p in to)
    if cc:
        m["Cc"] = ", ".join(p.addr for p in cc)
    m["Subject"] = subject
    m["Date"] = format_datetime(when)
    m["Message-ID"] = f"<{when:%Y%m%d%H%M%S}.{zlib.crc32(subject.encode()):08x}@{DOMAIN}>"
    if reply_to is not None:
        m["In-Reply-To"] = reply_to["Message-ID"]
        m["References"] = (reply_to.get("References", "") + " " + reply_to["Message-ID"]).strip()
    text = body + "\n" + signature(sender)
    m.set_content(text)
    if html:
        m.add_alternative("<html><body>" + "".join(f"<p>{line}</p>" for line in text.split("\n")) + "</body></html>", subtype="html")
    for name, data, ctype in attachments:
        maintype, subtype = ctype.split("/")
        m.add_attachment(data, maintype=maintype, subtype=subtype, filename=name)
    for k, part in enumerate(p for p in m.walk() if p.is_multipart()):
        part.set_boundary(f"=_demo_{zlib.crc32(subject.encode()):08x}_{k}")  # the same bytes every run
    return m


def build_mail() -> list[tuple[EmailMessage, list[Person]]]:
    """The mails, each with the mailboxes (custodians) it lies in."""
    out: list[tuple[EmailMessage, list[Person]]] = []
    memo = MEMO("Notitie windpark Kraaiennest", [
        "Het college wil vier windturbines plaatsen bij het Kraaiennest.",
        f"Contactpersoon bij de gemeente is {PIETER.name} ({PIETER.phone}).",
        "De ashoogte wordt 135 meter; de geluidsnorm is 47 dB Lden.",
    ], PIETER.name)
    m1 = mail(PIETER, [SANNE, FATIMA], "Windturbines Kraaiennest: planning", (
        "Beste Sanne en Fatima,\n\nIn de bijlage de notitie over de windturbines bij het Kraaiennest. "
        f"Wethouder {WETHOUDER.name} wil die voor 1 april in het college bespreken.\n"
        "Kunnen jullie er voor vrijdag naar kijken?"), at("2025-03-10", "09:12"),
        attachments=[("notitie-windpark.docx", memo, "application/vnd.openxmlformats-officedocument.wordprocessingml.document")])
    out.append((m1, [PIETER, SANNE, FATIMA]))
    m2 = mail(SANNE, [PIETER], "RE: Windturbines Kraaiennest: planning", (
        "Hoi Pieter,\n\nDank je. De geluidsberekening voor de windturbine bij de Zandweg ontbreekt nog. "
        "Ik bel vanmiddag met het adviesbureau."), at("2025-03-10", "11:40"), reply_to=m1)
    out.append((m2, [SANNE, PIETER]))
    m3 = mail(HENK, [SANNE], "Bezwaar tegen windturbines", (
        "Geachte mevrouw De Vries,\n\nIk woon aan de Wilgenlaan 12, 1234 AB Voorbeeld, op 400 meter van de geplande windturbines. "
        "Mijn BSN is 123456782, voor uw administratie; ik ben geboren op 14-02-1958. Ik maak mij grote zorgen over slagschaduw en geluid; "
        "ik ben hartpatiënt en slaap nu al slecht. Mijn foto's van de slagschaduw staan op https://www.facebook.com/henk.jansen.1958 "
        "en mijn auto met kenteken GZ-123-B staat er elke middag in de schaduw.\n\nU kunt mij bellen op 0612987654."
        "\n\nMet vriendelijke groet,\nHenk Jansen"),
        at("2025-03-12", "20:05"))
    out.append((m3, [SANNE]))
    m4 = mail(SANNE, [PIETER], "FW: Bezwaar tegen windturbines", (
        "Pieter, zie hieronder de reactie van een omwonende. Wil jij dit meenemen in de zienswijzennota?\n\n"
        "---------- Doorgestuurd bericht ----------\n" + m3.get_content()), at("2025-03-13", "08:30"))
    out.append((m4, [SANNE, PIETER]))
    m5 = mail(FATIMA, [SANNE, PIETER], "Persbericht windpark", (
        "Beste collega's,\n\nHierbij het concept-persbericht over de windturbines. Wethouder Jan Bakker staat erin met een quote. "
        "Graag reactie voor donderdag.\n"), at("2025-03-18", "14:22"), cc=[WETHOUDER], html=True)
    out.append((m5, [FATIMA, SANNE, PIETER]))
    m6 = mail(AYSE, [FATIMA], "Vraag over informatieavond windpark", (
        "Goedendag,\n\nKan ik mij aanmelden voor de informatieavond over het windpark? Mijn telefoonnummer is 020-6234567 "
        "en mijn rekeningnummer voor de vergoeding is NL91ABNA0417164300.\n\nGroet, Ayşe Yılmaz"), at("2025-04-02", "10:01"))
    out.append((m6, [FATIMA]))
    m7 = mail(FATIMA, [AYSE], "RE: Vraag over informatieavond windpark", (
        "Beste mevrouw Yılmaz,\n\nU bent aangemeld voor de informatieavond op 15 april in het gemeentehuis. "
        "Burgemeester Marieke Hoekstra opent de avond."), at("2025-04-02", "15:47"), reply_to=m6)
    out.append((m7, [FATIMA]))
    m8 = mail(PIETER, [SANNE], "Begroting 2026", "Sanne,\n\nDe begroting voor 2026 moet vrijdag binnen zijn. Heb jij de cijfers van de afdeling?",
              at("2025-03-20", "09:00"))
    out.append((m8, [PIETER, SANNE]))
    m9 = mail(SANNE, [PIETER, FATIMA], "Windturbines: uitslag geluidsonderzoek", (
        "Beste Pieter, beste Fatima,\n\nHet adviesbureau heeft de geluidsberekening voor de windturbines opgeleverd "
        "(de bezwaarmelding van gisteren kwam binnen vanaf IP-adres 84.241.196.12, volgens de webmaster): "
        "alle woningen blijven onder de 47 dB Lden. De heer Jansen van de Wilgenlaan krijgt een persoonlijke toelichting."),
        at("2025-05-06", "16:15"))
    out.append((m9, [SANNE, PIETER, FATIMA]))
    m10 = mail(PIETER, [SANNE], "Windturbines in januari", "Alvast een eerste verkenning van locaties voor windturbines.",
               at("2025-01-15", "10:00"))
    out.append((m10, [PIETER, SANNE]))
    return out


def write_mailboxes(data: Path) -> dict[str, tuple[str, Path]]:
    """Sanne: Maildir; Pieter: mbox; Fatima: a folder of .eml. Returns custodian -> (type, path)."""
    (data / "mail").mkdir(parents=True, exist_ok=True)
    sanne_md = mailbox.Maildir(str(data / "mail" / "sanne"), create=True)
    sanne_md.add_folder("Verzonden")
    pieter_mbox = mailbox.mbox(str(data / "mail" / "pieter.mbox"))
    fatima_dir = data / "mail" / "fatima"
    fatima_dir.mkdir(parents=True, exist_ok=True)
    for n, (m, boxes) in enumerate(build_mail(), 1):
        raw = m.as_bytes()
        for p in boxes:
            if p is SANNE:
                box = sanne_md.get_folder("Verzonden") if m["From"].startswith(SANNE.name) else sanne_md
                box.add(mailbox.MaildirMessage(raw))
            elif p is PIETER:
                pieter_mbox.add(mailbox.mboxMessage(raw))
            elif p is FATIMA:
                (fatima_dir / f"{n:03d}.eml").write_bytes(raw)
    pieter_mbox.flush()
    pieter_mbox.close()
    return {SANNE.name: ("maildir", data / "mail" / "sanne"), PIETER.name: ("mbox", data / "mail" / "pieter.mbox"),
            FATIMA.name: ("eml", fatima_dir)}


def write_whatsapp(data: Path) -> Path:
    """An Android (Dutch) export of the group 'Windpark Kraaiennest' from Pieter's phone."""
    lines = [
        "12-03-2025 08:01 - Berichten en gesprekken worden end-to-end versleuteld. Niemand buiten deze chat, zelfs WhatsApp niet, kan ze lezen of beluisteren.",
        f"12-03-2025 08:01 - {PIETER.name} heeft de groep 'Windpark Kraaiennest' gemaakt",
        f"12-03-2025 08:02 - {PIETER.name}: Morgen om 10 uur schouw bij de locatie van de windturbines",
        f"12-03-2025 08:15 - {SANNE.name}: Ik ben er. Henk Jansen van de Wilgenlaan wil ook komen, hij belde net vanaf 0612987654",
        f"12-03-2025 08:16 - {PIETER.name}: Prima, maar geen toezeggingen doen",
        f"12-03-2025 21:40 - {FATIMA.name}: Pers belde over de windturbines. Ik heb verwezen naar de wethouder",
        f"13-03-2025 10:05 - {SANNE.name}: Staan bij het hek. Waar blijven jullie?",
        f"13-03-2025 10:07 - {PIETER.name}: 5 min",
        f"14-03-2025 09:30 - {PIETER.name}: Verslag van de schouw staat op de gedeelde schijf",
        f"14-03-2025 09:31 - {SANNE.name}: <Media weggelaten>",
        f"14-03-2025 09:33 - {SANNE.name}: foto van de Zandweg,",
        "waar turbine 3 moet komen",
    ]
    path = data / "whatsapp" / "WhatsApp-chat met Windpark Kraaiennest.txt"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _ms(day: str, hm: str) -> int:
    return int(at(day, hm).timestamp() * 1000)


def write_sms(data: Path) -> Path:
    """Sanne's work phone, backed up with 'SMS Backup & Restore'."""
    from xml.sax.saxutils import quoteattr

    msgs = [
        ("0612987654", "Henk Jansen", 1, "2025-03-12", "19:55", "Mevrouw De Vries, ik stuur u vanavond een mail over de windturbines. Henk"),
        ("0612987654", "Henk Jansen", 2, "2025-03-13", "08:05", "Dank u, ik heb uw mail ontvangen en doorgestuurd naar de projectleider."),
        ("+31623456789", PIETER.name, 1, "2025-05-06", "16:20", "Geluidsrapport windturbines is binnen, alles onder de norm!"),
        ("+31623456789", PIETER.name, 2, "2025-05-06", "16:22", "Top, ik informeer de wethouder."),
    ]
    rows = [f'<sms protocol="0" address={quoteattr(a)} date="{_ms(d, t)}" type="{ty}" subject="null" body={quoteattr(b)} '
            f'toa="null" sc_toa="null" service_center="null" read="1" status="-1" locked="0" date_sent="0" sub_id="1" '
            f'readable_date="{d}" contact_name={quoteattr(n)} />' for a, n, ty, d, t, b in msgs]
    xml = ("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
           "<!--File Created By SMS Backup & Restore v10.20.002 on 15/06/2025 10:00:00-->\n"
           f'<smses count="{len(rows)}" backup_set="demo" backup_date="{_ms("2025-06-15", "10:00")}" type="full">\n  '
           + "\n  ".join(rows) + "\n</smses>\n")
    path = data / "sms" / "sms-20250615100000.xml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(xml, encoding="utf-8")
    return path


def write_teams(data: Path) -> Path:
    """A Teams group chat as Microsoft Graph returns it (GET /chats/{id}/messages)."""
    chat_id = "19:windpark-kraaiennest@thread.v2"

    def msg(n: int, who: Person, day: str, hm: str, html: str) -> dict:
        ts = at(day, hm).astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%S.000Z")
        return {"id": f"17{n:011d}", "replyToId": None, "etag": f"17{n:011d}", "messageType": "message",
                "createdDateTime": ts, "lastModifiedDateTime": ts, "lastEditedDateTime": None, "deletedDateTime": None,
                "subject": None, "summary": None, "chatId": chat_id, "importance": "normal", "locale": "en-us", "webUrl": None,
                "channelIdentity": None, "policyViolation": None, "eventDetail": None,
                "from": {"application": None, "device": None, "user": {"@odata.type": "#microsoft.graph.teamworkUserIdentity",
                         "id": f"user-{zlib.crc32(who.name.encode()):08x}", "displayName": who.name, "userIdentityType": "aadUser"}},
                "body": {"contentType": "html", "content": html}, "attachments": [], "mentions": [], "reactions": []}

    page = {"@odata.context": f"https://graph.microsoft.com/v1.0/$metadata#chats('{chat_id}')/messages", "@odata.count": 4, "value": [
        msg(1, PIETER, "2025-03-17", "09:00", "<p>Wie schrijft de raadsinformatiebrief over de windturbines?</p>"),
        msg(2, SANNE, "2025-03-17", "09:05", "<p>Ik, concept volgt vandaag. Henk Jansen heeft trouwens weer gebeld.</p>"),
        msg(3, FATIMA, "2025-03-17", "09:20", "<p>Laat de quote van <at id=\"0\">Jan Bakker</at> even checken door de wethouder zelf.</p>"),
        msg(4, PIETER, "2025-04-22", "13:00", "<p>Informatieavond was druk: 80 bezoekers, veel vragen over slagschaduw.</p>"),
    ]}
    path = data / "teams" / "chat-windpark.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(page, indent=2, ensure_ascii=False), encoding="utf-8")
    return path


def write_files(data: Path) -> Path:
    """A shared folder: the site visit report and a planning sheet."""
    from openpyxl import Workbook

    folder = data / "gedeeld"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "verslag-schouw-windturbines.docx").write_bytes(_docx("Verslag schouw windturbines 13 maart 2025", [
        f"Aanwezig: {PIETER.name}, {SANNE.name}, de heer H. Jansen (omwonende).",
        "Besproken: de locatie van turbine 3 aan de Zandweg en de afstand tot de woningen aan de Wilgenlaan.",
        "De heer Jansen is bereikbaar op 06-12987654.",
    ], SANNE.name))
    wb = Workbook()
    ws = wb.active
    ws.title = "Planning"
    ws.append(["Mijlpaal", "Datum", "Eigenaar"])
    ws.append(["Collegebesluit windturbines", "2025-04-01", "Jan Bakker"])
    ws.append(["Informatieavond", "2025-04-15", FATIMA.name])
    wb.properties.creator = PIETER.name
    wb.properties.created = wb.properties.modified = FIXED
    buf = io.BytesIO()
    wb.save(buf)
    (folder / "planning-windpark.xlsx").write_bytes(_repack(buf.getvalue()))
    return folder


def generate(data: Path) -> list[tuple[str, str, Path, str]]:
    """Write every demo input under ``data``; return (source name, type, path, custodian)."""
    if data.exists():
        shutil.rmtree(data)  # the demo's own files, written anew: the same bytes every time
    data.mkdir(parents=True)
    sources = []
    for custodian, (type_, path) in write_mailboxes(data).items():
        sources.append((f"mail-{custodian.split()[0].lower()}", type_, path, custodian))
    sources.append(("whatsapp-pieter", "whatsapp", write_whatsapp(data), PIETER.name))
    sources.append(("sms-sanne", "sms", write_sms(data), SANNE.name))
    sources.append(("teams-windpark", "teams", write_teams(data), PIETER.name))
    sources.append(("gedeelde-schijf", "files", write_files(data), "Afdeling Ruimte"))
    return sources


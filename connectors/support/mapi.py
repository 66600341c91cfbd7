"""Outlook messages in plain values, shared by the ``msg`` and ``pst`` connectors.

Each connector reads MAPI properties with its own library (extract-msg for a .msg, libpff for a
PST) into a ``Parsed`` message with ``Attachment``s; from there this module does the rest the same
way for both: the best body (plain, HTML, the HTML or text encapsulated in RTF), addresses, MAPI
times as UTC, the thread key from the conversation index, and the mail and attachment ``Item``s
(``build_items``). Nothing here opens a file.
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from typing import Any, Iterator

from connectors.base import Connector
from connectors.support.documents import extract_text
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item, stable_id
from woo_collector.text import decode_bytes, filetype_of, html_to_text, tidy

log = logging.getLogger("woo.connectors.mapi")

SMIME_NOTE_SIGNED = "[Ondertekend bericht (S/MIME): de handtekening is niet gecontroleerd; het origineel is ongewijzigd bewaard.]"
SMIME_NOTE_ENCRYPTED = (
    "[Versleuteld of ondoorzichtig ondertekend bericht (S/MIME): de inhoud is niet leesbaar zonder de sleutel van de ontvanger. "
    + "Het origineel is ongewijzigd bewaard; vraag de ontvanger om een onversleutelde kopie.]"
)


# What a message holds, read once from whatever parser opened it (extract-msg, libpff) ---------
@dataclass
class Attachment:
    name: str
    content_type: str = ""
    data: bytes = b""
    inline: bool = False
    embedded: "Parsed | None" = None  # an attached Outlook item, already parsed
    problem: str = ""  # why its content could not be read
    sha256: str = ""  # set when the bytes were already kept (streamed), ``data`` then stays empty
    size: int = 0


@dataclass
class Parsed:
    """One Outlook message in plain values."""

    message_class: str = ""
    subject: str = ""
    sender: str = ""
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    sent: datetime | None = None
    received: datetime | None = None
    message_id: str = ""
    in_reply_to: str = ""
    conversation: str = ""
    body: str = ""
    body_format: str = ""  # plain, html, rtf-html, rtf-text, rtf
    attachments: list[Attachment] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)


def conversation_key(index: bytes | None, headers: Message | None, message_id: str) -> str:
    """Thread key as connectors.support.mime makes it: 'ti:' + the first 22 bytes of the conversation index."""
    if index and len(index) >= 22:
        return "ti:" + base64.b64encode(index[:22]).decode()
    if headers is not None:
        for name in ("Thread-Index",):
            ti = headers.get(name)
            if ti:
                try:
                    return "ti:" + base64.b64encode(base64.b64decode(str(ti).strip() + "==")[:22]).decode()
                except ValueError:
                    pass
        for name in ("References", "In-Reply-To"):
            refs = re.findall(r"<[^>]+>", str(headers.get(name, "") or ""))
            if refs:
                return refs[0]
    return message_id


def address(name: str | None, email_addr: str | None) -> str:
    """'Name <addr>', the bare address, or the bare name."""
    name, email_addr = (name or "").strip(), (email_addr or "").strip()
    if email_addr and "@" not in email_addr and email_addr.upper().startswith("/O="):
        email_addr = ""  # an Exchange X.500 address says nothing to a reader
    if name and email_addr and name.lower() != email_addr.lower():
        return f"{name} <{email_addr}>"
    return email_addr or name


_CODE_PAGES = {65001: "utf-8", 20127: "ascii", 28591: "latin-1", 1200: "utf-16-le", 1201: "utf-16-be", 50220: "iso2022_jp",
               50221: "iso2022_jp", 50222: "iso2022_jp", 51932: "euc_jp", 20932: "euc_jp", 936: "gbk", 54936: "gb18030",
               52936: "hz", 51949: "euc_kr", 20866: "koi8_r", 21866: "koi8_u", 10000: "mac_roman"}


def code_page_codec(code_page: object) -> str:
    """The Python codec of a Windows code page number (``PidTagMessageCodepage``,
    ``PidTagInternetCodepage``), or "" when there is none. Windows' own pages (932, 1252, ...) are
    their ``cpNNN`` codecs: CP932 is Shift-JIS with Microsoft's extensions, which plain Shift-JIS
    refuses."""
    if not isinstance(code_page, int) or code_page <= 0:
        return ""
    import codecs

    if 28591 <= code_page <= 28606:
        name = f"iso8859-{code_page - 28590}"
    else:
        name = _CODE_PAGES.get(code_page, f"cp{code_page}")
    try:
        return codecs.lookup(name).name
    except LookupError:
        return ""


def utc(dt: datetime | None) -> datetime | None:
    """A datetime from a parser as aware UTC; naive values are UTC (MAPI times are UTC)."""
    if dt is None or not isinstance(dt, datetime):
        return None
    if dt.year < 1971 or dt.year > 2200:  # FILETIME zero or garbage
        return None
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def rtf_body_text(rtf: bytes) -> tuple[str, str]:
    """Text of an RTF body: the HTML or text Outlook encapsulated in it, else the RTF stripped."""
    if not rtf:
        return "", ""
    end = rtf.rfind(b"}")
    rtf = rtf[: end + 1] if end >= 0 else rtf
    try:
        import RTFDE

        de = RTFDE.DeEncapsulator(rtf)
        de.deencapsulate()
        kind, html, text = de.content_type, getattr(de, "html", None), getattr(de, "text", None)
    except Exception as e:  # RTFDE (and lark under it) raise many kinds on odd RTF; striprtf below reads what it can
        log.debug("RTF de-encapsulation failed: %s", e)
    else:
        if kind == "html" and html:
            return html_to_text(html if isinstance(html, str) else decode_bytes(html)[0]), "rtf-html"
        if kind == "text" and text:
            return tidy(text if isinstance(text, str) else decode_bytes(text)[0]), "rtf-text"
    from striprtf.striprtf import rtf_to_text

    return tidy(rtf_to_text(decode_bytes(rtf, "cp1252")[0], errors="ignore")), "rtf"


_META_CHARSET = re.compile(rb"<meta[^>]{0,200}?charset\s*=\s*[\"']?([A-Za-z0-9_.:-]{1,40})", re.I)


def choose_body(plain: str | None, html: bytes | str | None, rtf: bytes | None, html_charset: str = "") -> tuple[str, str]:
    """The best readable body: plain text, else HTML as text (bytes in ``html_charset`` when the
    message names one), else what the RTF body holds."""
    if plain and plain.strip():
        return tidy(plain), "plain"
    if html:
        if isinstance(html, str):
            text = html
        else:
            meta = _META_CHARSET.search(html[:8192])
            text = decode_bytes(html, (meta.group(1).decode("ascii") if meta else "") or html_charset or None)[0]
        if text.strip():
            return html_to_text(text), "html"
    if rtf:
        return rtf_body_text(rtf)
    return "", ""


def render(p: Parsed) -> str:
    """An attached message as readable text for its attachment item."""
    head = [f"Van: {p.sender}", f"Aan: {', '.join(p.to)}"]
    if p.cc:
        head.append(f"CC: {', '.join(p.cc)}")
    if p.sent:
        head.append(f"Datum: {p.sent.isoformat()}")
    head.append(f"Onderwerp: {p.subject}")
    parts = ["\n".join(head), p.body]
    for a in p.attachments:
        parts.append(f"[bijlage: {a.name}]")
        if a.embedded is not None:
            parts.append(render(a.embedded))
        elif a.data and not a.problem:
            try:
                parts.append(extract_text(a.name, a.data, a.content_type).text)
            except ConnectorError:
                pass
    return tidy("\n\n".join(x for x in parts if x))


# From Parsed to items -----------------------------------------------------------------------
def build_items(conn: Connector, p: Parsed, sha: str, path: str, locator: str, mail_key: tuple, *, kind: str = "email",
                folder: str = "", platform: str = "", extra: dict | None = None) -> Iterator[Item | Failure]:
    """The mail item of ``p``, then one attachment item per attachment (their bytes kept), then failures."""
    message_id = p.message_id
    derived = not message_id
    if derived:
        message_id = f"<{stable_key(sha, locator)}@woo-collector.derived>"
    meta: dict[str, Any] = {
        "message_id": message_id,
        "message_class": p.message_class,
        "in_reply_to": p.in_reply_to,
        "path": path,
        "body_format": p.body_format,
        "html": p.body_format in ("html", "rtf-html"),
        "attachments": [a.name for a in p.attachments],
        **p.meta,
        **(extra or {}),
    }
    if p.received:
        meta["received"] = p.received.isoformat()
    if p.sent is None:
        meta["date_unknown"] = True
    if p.notes:
        meta["problems"] = list(p.notes)
    mail_id = conn.item_id(*mail_key)
    body = p.body
    mail = Item(
        id=mail_id, kind=kind, source=conn.spec.name, custodian=conn.spec.custodian, sha256=sha,
        sent=p.sent, sender=p.sender, recipients=p.to, cc=p.cc, bcc=p.bcc, subject=p.subject,
        body=body, locator=locator, conversation=p.conversation or message_id, message_id=message_id,
        message_id_derived=derived, folder=folder, platform=platform, meta=meta,
    )
    yield mail
    failures: list[Failure] = []
    for n, a in enumerate(p.attachments, 1):
        yield attachment_item(conn, mail, n, a, path, failures)
    yield from failures
    for note in p.notes:
        if not note.startswith("S/MIME"):
            yield Failure(path, note, locator, sha)


def stable_key(sha: str, locator: str) -> str:
    return stable_id(sha, locator)[:32]


def attachment_item(conn: Connector, mail: Item, n: int, a: Attachment, path: str, failures: list[Failure]) -> Item:
    """One attachment as an item; its bytes are kept (an attached message falls back to the mail's original)."""
    sha = a.sha256 or (conn.sink.keep(a.data, a.name) if a.data else mail.sha256)
    meta: dict[str, Any] = {"filename": a.name, "content_type": a.content_type, "size": a.size or len(a.data),
                            "inline": a.inline}
    filetype = filetype_of(a.name)
    locator = f"{mail.locator}#bijlage {n}".lstrip("#")
    text = ""
    if not a.data and not a.sha256 and a.embedded is None:
        meta["original"] = "the mail's original (the attachment has no bytes of its own)"
    if a.problem:
        meta["problems"] = [a.problem]
        failures.append(Failure(path, f"attachment {a.name}: {a.problem}", locator, sha))
    elif a.embedded is not None:
        filetype = "email"
        meta["embedded_message_class"] = a.embedded.message_class
        if not a.data:
            meta["original"] = "inside the mail's original"
        text = render(a.embedded)
    elif a.data:
        try:
            ex = extract_text(a.name, a.data, a.content_type)
            text, filetype = ex.text, ex.filetype
            meta.update({f"doc_{k}": v for k, v in ex.meta.items()})
        except ConnectorError as e:
            meta["problems"] = [e.reason]
            failures.append(Failure(path, f"attachment {a.name}: {e.reason}", locator, sha))
    return Item(
        id=conn.item_id("att", mail.id, n, sha), kind="attachment", source=mail.source, custodian=mail.custodian,
        sha256=sha, sent=mail.sent, sender=mail.sender, recipients=mail.recipients, cc=mail.cc, subject=a.name,
        body=text, locator=locator, conversation=mail.conversation, parent=mail.id, filetype=filetype, meta=meta,
    )

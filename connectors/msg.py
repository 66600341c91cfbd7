"""``msg``: Outlook .msg files, one message per file, or a folder tree of them.

What it is: a single Outlook item saved as an OLE2 compound file (magic ``D0 CF 11 E0 A1 B1 1A
E1``) whose streams are MAPI properties named ``__substg1.0_<tag>`` (subject ``0037``, plain body
``1000``, HTML body ``1013``, compressed RTF body ``1009``, transport headers ``007D``), with one
``__recip_version1.0_#n`` storage per recipient and one ``__attach_version1.0_#n`` per attachment
(an attached Outlook item is itself a whole message inside the attachment storage). How a user
gets one: drag a mail from Outlook to the desktop or a folder, or "Bestand > Opslaan als >
Outlook-bericht (.msg)". Some tools write plain MIME text under a .msg name; such a file is
recognised by its content and parsed as an RFC 5322 message.

A tiny sample, as ``olefile`` lists it::

    __properties_version1.0
    __substg1.0_001A001F        IPM.Note
    __substg1.0_0037001F        Windturbines Kraaiennest
    __substg1.0_1000001F        Beste collega's, ...
    __recip_version1.0_#00000000/__substg1.0_3001001F   Sanne de Vries
    __attach_version1.0_#00000000/__substg1.0_3707001F  notitie.docx

What comes out: one ``email`` item per message (plain body, else HTML, else the HTML or text
encapsulated in the RTF body, else the RTF stripped to text), its recipients split into To, CC and
BCC from the recipient table, and one ``attachment`` item per attachment (its bytes kept, its text
extracted; an attached .msg is parsed into readable text). Signed or encrypted messages
(``IPM.Note.SMIME*``) are kept with a note saying what could and could not be read.

Safety: extract-msg is only asked to read properties and streams; nothing is saved to disk and no
attachment is opened or run (real mail contains malware).
"""

from __future__ import annotations

import base64
import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from pathlib import Path
from typing import Any, Iterator

from connectors.base import Checkpoint, Connector, Yield
from woo_collector.errors import ConnectorError
from woo_collector.extract import extract_text, filetype_of
from woo_collector.mail import MailContext, decode_header, looks_like_mail, parse_addresses, parse_date, parse_mail
from woo_collector.models import Failure, Item
from woo_collector.text import decode_bytes, html_to_text, tidy

log = logging.getLogger("woo.connectors.msg")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_MESSAGE = 512 * 1024 * 1024  # a single .msg larger than this is kept, not parsed
MAX_DEPTH = 8  # attached messages inside attached messages
_SUBSTG = "__substg1.0_".encode("utf-16-le")
_RECIP_TYPES = {1: "to", 2: "cc", 3: "bcc"}

SMIME_NOTE_SIGNED = "[Ondertekend bericht (S/MIME): de handtekening is niet gecontroleerd; het origineel is ongewijzigd bewaard.]"
SMIME_NOTE_ENCRYPTED = (
    "[Versleuteld of ondoorzichtig ondertekend bericht (S/MIME): de inhoud is niet leesbaar zonder de sleutel van de ontvanger. "
    + "Het origineel is ongewijzigd bewaard; vraag de ontvanger om een onversleutelde kopie.]"
)


# ---------------------------------------------------------------------------------------------
# What a message holds, read once from whatever parser opened it (extract-msg here, pypff in pst)
# ---------------------------------------------------------------------------------------------
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
    """Thread key as woo_collector.mail makes it: 'ti:' + the first 22 bytes of the conversation index."""
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
        if de.content_type == "html" and de.html:
            html = de.html if isinstance(de.html, str) else decode_bytes(de.html)[0]
            return html_to_text(html), "rtf-html"
        if de.content_type == "text" and de.text:
            return tidy(de.text if isinstance(de.text, str) else decode_bytes(de.text)[0]), "rtf-text"
    except Exception as e:  # RTFDE raises many kinds on odd RTF; striprtf below reads what it can
        log.debug("RTF de-encapsulation failed: %s", e)
    from striprtf.striprtf import rtf_to_text

    return tidy(rtf_to_text(decode_bytes(rtf, "cp1252")[0], errors="ignore")), "rtf"


def choose_body(plain: str | None, html: bytes | str | None, rtf: bytes | None) -> tuple[str, str]:
    """The best readable body: plain text, else HTML as text, else what the RTF body holds."""
    if plain and plain.strip():
        return tidy(plain), "plain"
    if html:
        text = html if isinstance(html, str) else decode_bytes(html)[0]
        if text.strip():
            return html_to_text(text), "html"
    if rtf:
        return rtf_body_text(rtf)
    return "", ""


# ---------------------------------------------------------------------------------------------
# Reading a .msg with extract-msg
# ---------------------------------------------------------------------------------------------
def open_msg(path: Path | bytes):
    import extract_msg
    from extract_msg.enums import ErrorBehavior, InsecureFeatures

    return extract_msg.openMsg(
        path if isinstance(path, bytes) else str(path),
        strict=False,
        delayAttachments=True,
        insecureFeatures=InsecureFeatures.NONE,
        errorBehavior=ErrorBehavior.ATTACH_SUPPRESS_ALL | ErrorBehavior.RTFDE | ErrorBehavior.STANDARDS_VIOLATION,
    )


def read_msg(msg, depth: int = 0) -> Parsed:
    """Everything we index from an opened extract-msg object (a message or another Outlook item)."""
    cls = (msg.classType or "").strip()
    p = Parsed(message_class=cls)
    headers: Message | None = None
    header_text = msg.getStringStream("__substg1.0_007D")
    if header_text:
        from email.parser import HeaderParser
        from email.policy import compat32

        if header_text.startswith("Microsoft Mail Internet Headers Version 2.0"):
            header_text = header_text[43:].lstrip()
        headers = HeaderParser(policy=compat32).parsestr(header_text)

    p.subject = tidy(msg.getStringStream("__substg1.0_0037") or "")
    if not p.subject and headers is not None:
        p.subject = decode_header(headers.get("Subject"))
    p.sender = _sender(msg, headers)
    p.to, p.cc, p.bcc = _recipients(msg, headers)

    submit = utc(msg.getPropertyVal("00390040"))
    delivery = utc(msg.getPropertyVal("0E060040"))
    header_date = parse_date(decode_header(headers.get("Date"))) if headers is not None else None
    p.sent = submit or header_date or delivery
    p.received = delivery
    created = utc(msg.getPropertyVal("30070040"))
    if created:
        p.meta["created"] = created.isoformat()

    mid = (headers.get("Message-ID") if headers is not None else None) or msg.getStringStream("__substg1.0_1035") or ""
    p.message_id = " ".join(str(mid).split())
    p.in_reply_to = " ".join(str(msg.getStringStream("__substg1.0_1042") or (headers.get("In-Reply-To", "") if headers is not None else "")).split())
    p.conversation = conversation_key(msg.getStream("__substg1.0_00710102"), headers, p.message_id)
    topic = msg.getStringStream("__substg1.0_0070")
    if topic:
        p.meta["conversation_topic"] = topic

    if cls.lower().startswith("ipm.note.smime"):
        _read_smime(msg, p, depth)
    else:
        _read_content(msg, p, depth)
    return p


def _sender(msg, headers: Message | None) -> str:
    if headers is not None and headers.get("From"):
        found = parse_addresses(headers.get_all("From", []))
        if found:
            return found[0]
    name = msg.getStringStream("__substg1.0_0C1A") or msg.getStringStream("__substg1.0_0042")
    smtp = msg.getStringStream("__substg1.0_5D01") or msg.getStringStream("__substg1.0_0C1F")
    return address(name, smtp)


def _recipients(msg, headers: Message | None) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    out: dict[str, list[str]] = {"to": [], "cc": [], "bcc": []}
    for r in getattr(msg, "recipients", None) or []:
        kind = _RECIP_TYPES.get(int(getattr(r, "type", 1) or 1) & 0x0F, "to")
        smtp = r.getStringStream("__substg1.0_39FE") or r.email
        a = address(r.name, smtp)
        if a:
            out[kind].append(a)
    if headers is not None:  # recipients Outlook did not store in the table (rare) come from the headers
        for kind, name in (("to", "To"), ("cc", "Cc"), ("bcc", "Bcc")):
            if not out[kind]:
                out[kind] = list(parse_addresses(headers.get_all(name, []) or []))
    return tuple(out["to"]), tuple(out["cc"]), tuple(out["bcc"])


def _rtf(msg) -> bytes | None:
    compressed = msg.getStream("__substg1.0_10090102")
    if not compressed:
        return None
    try:
        import compressed_rtf

        return compressed_rtf.decompress(compressed)
    except Exception as e:  # a broken compressed stream: the other bodies still count
        log.debug("compressed RTF unreadable: %s", e)
        return None


def _attachments(msg, p: Parsed) -> list:
    try:
        return list(msg.attachments)
    except Exception as e:  # one broken attachment table must not lose the message
        p.notes.append(f"attachments unreadable: {e.__class__.__name__}: {e}")
        return []


def _attachment(att, depth: int) -> Attachment:
    from extract_msg.attachments import BrokenAttachment, UnsupportedAttachment

    name = (getattr(att, "longFilename", None) or getattr(att, "shortFilename", None)
            or getattr(att, "displayName", None) or getattr(att, "name", None) or "")
    ctype = getattr(att, "mimetype", None) or ""
    inline = bool(getattr(att, "hidden", False))
    if isinstance(att, (BrokenAttachment, UnsupportedAttachment)):
        return Attachment(name or "bijlage", ctype, b"", inline, problem=f"attachment cannot be read ({att.__class__.__name__})")
    try:
        data = att.data
    except Exception as e:  # a broken attachment is reported, the message goes on
        return Attachment(name or "bijlage", ctype, b"", inline, problem=f"attachment cannot be read: {e.__class__.__name__}: {e}")
    if isinstance(data, (bytes, bytearray)):
        return Attachment(name or "bijlage", ctype, bytes(data), inline)
    if data is not None and hasattr(data, "classType"):  # an attached Outlook item
        inner_name = name or (tidy(data.getStringStream("__substg1.0_0037") or "") or "bijlage") + ".msg"
        if not inner_name.lower().endswith(".msg"):
            inner_name += ".msg"
        raw = b""
        try:
            raw = data.exportBytes(allowBadEmbed=True)
        except Exception as e:  # the parent .msg is the original; this copy is a convenience
            log.debug("embedded message could not be exported: %s", e)
        if depth >= MAX_DEPTH:
            return Attachment(inner_name, "application/vnd.ms-outlook", raw, inline, problem="attached messages nested too deep")
        try:
            inner = read_msg(data, depth + 1)
        except Exception as e:  # an unreadable attached message is reported, the parent goes on
            return Attachment(inner_name, "application/vnd.ms-outlook", raw, inline, problem=f"attached message cannot be read: {e.__class__.__name__}: {e}")
        return Attachment(inner_name, "application/vnd.ms-outlook", raw, inline, embedded=inner)
    return Attachment(name or "bijlage", ctype, b"", inline, problem="attachment has no data (a link or an OLE object)")


def _read_content(msg, p: Parsed, depth: int, atts: list | None = None) -> None:
    html = msg.getStream("__substg1.0_10130102")
    if html is None:
        html_str = msg.getStringStream("__substg1.0_1013")
        html = html_str.encode("utf-8") if html_str else None
    p.body, p.body_format = choose_body(msg.getStringStream("__substg1.0_1000"), html, _rtf(msg))
    p.attachments = [_attachment(a, depth) for a in (_attachments(msg, p) if atts is None else atts)]


def _is_pkcs7(att) -> bool:
    name = (getattr(att, "longFilename", None) or getattr(att, "name", None) or "").lower()
    mime = (getattr(att, "mimetype", None) or "").lower()
    return name.endswith((".p7m", ".p7s")) or "pkcs7" in mime or mime == "multipart/signed"


def _read_smime(msg, p: Parsed, depth: int) -> None:
    """IPM.Note.SMIME.MultipartSigned (clear-signed MIME) is readable; IPM.Note.SMIME is encrypted or
    opaque-signed (a DER .p7m) and cannot be read without the recipient's key."""
    try:
        raw = list(msg.rawAttachments) if hasattr(msg, "rawAttachments") else list(msg.attachments)
    except Exception as e:  # the envelope's attachment table is damaged: keep what the envelope says
        p.notes.append(f"attachments unreadable: {e.__class__.__name__}: {e}")
        raw = []
    if not any(_is_pkcs7(a) for a in raw):
        p.meta["smime"] = "labelled only"  # the class says S/MIME, the content is an ordinary message
        _read_content(msg, p, depth, raw)
        return
    if p.message_class.lower().endswith("multipartsigned") and hasattr(msg, "signedBody"):
        try:
            signed_atts = list(msg.attachments)
            signed_body, signed_html = msg.signedBody, msg.signedHtmlBody
        except Exception as e:  # a damaged signed part: fall through to the note below
            log.debug("signed content not unwrapped: %s", e)
        else:
            plain = msg.getStringStream("__substg1.0_1000") or signed_body
            if isinstance(plain, bytes):
                plain = decode_bytes(plain)[0]
            body, fmt = choose_body(plain, signed_html, None)
            p.body, p.body_format = (SMIME_NOTE_SIGNED + "\n\n" + body).strip(), fmt
            p.meta["smime"] = "signed"
            p.attachments = [_attachment(a, depth) for a in signed_atts]
            return
    p.meta["smime"] = "encrypted or opaque-signed"
    p.body, p.body_format = SMIME_NOTE_ENCRYPTED, "note"
    p.attachments = [_attachment(a, depth) for a in raw]  # the .p7m itself, kept as it is


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


# ---------------------------------------------------------------------------------------------
# From Parsed to items (shared with the pst connector)
# ---------------------------------------------------------------------------------------------
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
    from woo_collector.models import stable_id

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


def is_ole_msg(path: Path, head: bytes) -> bool:
    """OLE2 file whose directory holds MAPI property streams (``__substg1.0_``)."""
    if not head.startswith(OLE_MAGIC):
        return False
    if _SUBSTG in head:
        return True
    try:
        import olefile

        with olefile.OleFileIO(str(path)) as ole:
            return any(e[0].startswith("__substg1.0_") or e[0] == "__properties_version1.0" for e in ole.listdir())
    except Exception:  # not a readable OLE file: then it is not a .msg we can claim
        return False


class MsgConnector(Connector):
    name = "msg"
    description = "Outlook .msg files, a file or a folder tree"
    extensions = (".msg",)

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return 0.3 if any(p.suffix.lower() == ".msg" for p in path.rglob("*")) else 0.0
        suffix = path.suffix.lower()
        if head.startswith(OLE_MAGIC):
            if is_ole_msg(path, head):
                return 0.95
            return 0.5 if suffix == ".msg" else 0.0
        if suffix == ".msg":
            return 0.7 if looks_like_mail(head) else 0.2
        return 0.0

    def collect(self) -> Iterator[Yield]:
        for path in self.input_files(self.extensions):
            yield from self._one(path)

    def _one(self, path: Path) -> Iterator[Yield]:
        size = path.stat().st_size
        sha = self.sink.keep(path, path.name)
        done_key = f"file:{sha}"
        if self.sink.state(done_key):
            return
        if size > MAX_MESSAGE:
            yield Failure(str(path), f"message of {size} bytes is larger than {MAX_MESSAGE}; kept, not parsed", "", sha)
            return
        with open(path, "rb") as f:
            head = f.read(65536)
        if not head.startswith(OLE_MAGIC):
            if looks_like_mail(head):
                ctx = MailContext(self.spec.name, self.spec.custodian, self.sink, str(path), "", "", {"msg_is_mime": True})
                try:
                    yield from parse_mail(path.read_bytes(), ctx, sha)
                except ConnectorError as e:
                    yield Failure(str(path), e.reason, "", sha)
                    return
                yield Checkpoint(done_key, "done")
                return
            yield Failure(str(path), "not an Outlook .msg: the file is neither an OLE2 compound file nor MIME mail text; kept, not parsed", "", sha)
            return
        try:
            msg = open_msg(path)
        except Exception as e:  # extract-msg/olefile raise many kinds on a damaged file
            yield Failure(str(path), f"damaged Outlook .msg (truncated or corrupt OLE2 file: {e.__class__.__name__}: {e}); "
                          + "the file is kept as it is; ask the sender for a fresh copy", "", sha)
            return
        try:
            parsed = read_msg(msg)
        except Exception as e:  # a damaged property stream: kept and reported, the run goes on
            yield Failure(str(path), f"damaged Outlook .msg (cannot read its properties: {e.__class__.__name__}: {e}); kept as it is", "", sha)
            return
        finally:
            msg.close()
        yield from build_items(self, parsed, sha, str(path), "", ("mail", sha), extra={"msg_is_mime": False})
        yield Checkpoint(done_key, "done")

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

import logging
import struct
from functools import cache
from email.message import Message
from pathlib import Path
from typing import Iterator

from connectors.base import FileConnector, Yield
from connectors.support.mapi import (
    SMIME_NOTE_ENCRYPTED, SMIME_NOTE_SIGNED, Attachment, Parsed, address, build_items, choose_body, code_page_codec, conversation_key,
    utc,
)
from connectors.support.mime import MailContext, decode_header, looks_like_mail, parse_addresses, parse_date, parse_mail
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure
from woo_collector.text import decode_bytes, tidy

log = logging.getLogger("woo.connectors.msg")

OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MAX_MESSAGE = 512 * 1024 * 1024  # a single .msg larger than this is kept, not parsed
MAX_DEPTH = 8  # attached messages inside attached messages
_SUBSTG = "__substg1.0_".encode("utf-16-le")
_RECIP_TYPES = {1: "to", 2: "cc", 3: "bcc"}


@cache
def msg_errors() -> tuple[type[BaseException], ...]:
    """What extract-msg and olefile raise on a damaged file (OSError covers olefile's OleFileError,
    ValueError UnicodeDecodeError); anything else is our own bug and stays loud. A function, so
    extract-msg is imported only when a .msg is read."""
    from extract_msg.exceptions import ExMsgBaseException

    return (ExMsgBaseException, OSError, EOFError, ValueError, IndexError, struct.error)

# ---------------------------------------------------------------------------------------------
# Reading a .msg with extract-msg
# ---------------------------------------------------------------------------------------------
def open_msg(path: Path | bytes):
    """Open a .msg; one whose strings are not Unicode is opened again with its own code page.

    extract-msg reads 8-bit strings in ``PidTagMessageCodepage`` (0x3FFD) and, without it, in
    ISO-8859-15; it ignores ``PidTagInternetCodepage`` (0x3FDE) and maps 932 to plain Shift-JIS.
    We take 0x3FFD, else 0x3FDE, else windows-1252 (what Western Outlook writes), as Windows code
    pages (CP932, not Shift-JIS).
    """
    import extract_msg
    from extract_msg.enums import ErrorBehavior, InsecureFeatures

    def opened(**kw):
        return extract_msg.openMsg(
            path if isinstance(path, bytes) else str(path),
            strict=False,
            delayAttachments=True,
            insecureFeatures=InsecureFeatures.NONE,
            errorBehavior=ErrorBehavior.ATTACH_SUPPRESS_ALL | ErrorBehavior.RTFDE | ErrorBehavior.STANDARDS_VIOLATION,
            **kw,
        )

    msg = opened()
    if getattr(msg, "areStringsUnicode", True):
        return msg
    codec = strings_codec(msg)
    if codec == msg.stringEncoding:
        return msg
    msg.close()
    return opened(overrideEncoding=codec)


def strings_codec(msg) -> str:
    """The codec of a non-Unicode .msg's 8-bit strings (see ``open_msg``)."""
    return (code_page_codec(msg.getPropertyVal("3FFD0003")) or code_page_codec(msg.getPropertyVal("3FDE0003"))
            or "cp1252")


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
    except Exception as e:  # compressed_rtf raises bare Exception on a broken stream: the other bodies still count
        log.debug("compressed RTF unreadable: %s", e)
        return None


def _attachments(msg, p: Parsed) -> list:
    try:
        return list(msg.attachments)
    except msg_errors() as e:  # one broken attachment table must not lose the message
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
    except msg_errors() as e:  # a broken attachment is reported, the message goes on
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
        except msg_errors() as e:  # the parent .msg is the original; this copy is a convenience
            log.debug("embedded message could not be exported: %s", e)
        if depth >= MAX_DEPTH:
            return Attachment(inner_name, "application/vnd.ms-outlook", raw, inline, problem="attached messages nested too deep")
        try:
            inner = read_msg(data, depth + 1)
        except msg_errors() as e:  # an unreadable attached message is reported, the parent goes on
            return Attachment(inner_name, "application/vnd.ms-outlook", raw, inline, problem=f"attached message cannot be read: {e.__class__.__name__}: {e}")
        return Attachment(inner_name, "application/vnd.ms-outlook", raw, inline, embedded=inner)
    return Attachment(name or "bijlage", ctype, b"", inline, problem="attachment has no data (a link or an OLE object)")


def _read_content(msg, p: Parsed, depth: int, atts: list | None = None) -> None:
    html = msg.getStream("__substg1.0_10130102")
    if html is None:
        html_str = msg.getStringStream("__substg1.0_1013")
        html = html_str.encode("utf-8") if html_str else None
    html_charset = code_page_codec(msg.getPropertyVal("3FDE0003")) or code_page_codec(msg.getPropertyVal("3FFD0003"))
    p.body, p.body_format = choose_body(msg.getStringStream("__substg1.0_1000"), html, _rtf(msg), html_charset)
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
    except msg_errors() as e:  # the envelope's attachment table is damaged: keep what the envelope says
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
        except msg_errors() as e:  # a damaged signed part: fall through to the note below
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
    except (OSError, EOFError, ValueError, IndexError, struct.error):  # not a readable OLE file: not a .msg we can claim
        return False


class MsgConnector(FileConnector):
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

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        size = path.stat().st_size
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
            yield Failure(str(path), "not an Outlook .msg: the file is neither an OLE2 compound file nor MIME mail text; kept, not parsed", "", sha)
            return
        try:
            msg = open_msg(path)
        except msg_errors() as e:
            yield Failure(str(path), f"damaged Outlook .msg (truncated or corrupt OLE2 file: {e.__class__.__name__}: {e}); "
                          + "the file is kept as it is; ask the sender for a fresh copy", "", sha)
            return
        try:
            parsed = read_msg(msg)
        except msg_errors() as e:
            yield Failure(str(path), f"damaged Outlook .msg (cannot read its properties: {e.__class__.__name__}: {e}); kept as it is", "", sha)
            return
        finally:
            msg.close()
        yield from build_items(self, parsed, sha, str(path), "", ("mail", sha), extra={"msg_is_mime": False})

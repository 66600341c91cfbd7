"""RFC 5322 / MIME mail to items: one e-mail item and an attachment item per attachment.

Every mail connector (eml, mbox, maildir, imap, exchange, graph, and .msg files that are really
MIME) hands the raw bytes of one message to ``parse_mail``. Mail is parsed as it really is:
the fast ``compat32`` parser, headers decoded by hand (RFC 2047, wrong or missing charsets),
multipart/alternative, HTML-only bodies, quoted-printable and base64, dates in odd formats, and a
stable derived Message-ID where the mail has none.

Nothing is dropped without a word: every inline text part of a mixed message is body text, every
other leaf (also inside the alternative that does not give the text) is an attachment, uuencoded
files in a plain body are attachments, and a boundary that does not match as written is
recovered (``repair_boundaries``) or reported. A message that breaks a limit (``MAX_NESTING``,
``MAX_PARTS``) raises ConnectorError: one Failure of that message, the mailbox goes on.
"""

from __future__ import annotations

import base64
import binascii
import email
import email.header
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.message import Message
from email.policy import compat32
from typing import Iterator

from connectors.support.documents import extract_text
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item, stable_id
from woo_collector.text import decode_bytes, filetype_of, html_to_text, known_charset, tidy

MAIL_HEADERS = frozenset((
    "from", "to", "subject", "date", "message-id", "received", "cc", "bcc", "mime-version",
    "return-path", "delivered-to", "x-mailer", "reply-to", "sender", "content-type", "in-reply-to",
    "references", "thread-index", "x-ms-exchange-organization-authas",
))
MAX_DEPTH = 8  # nested message/rfc822 levels parsed into text (deeper ones: a Failure, kept)
MAX_NESTING = 40  # multipart and message/rfc822 levels in one message; deeper: refused, kept
MAX_PARTS = 10_000  # MIME parts in one message; more: refused, kept


class IndexedMessage(Message):
    """compat32's ``Message`` that finds a header by name in an index of its headers, made on the
    first lookup: ``Message.get`` lowers and compares every header's name on each call, and reading
    one mail asks for some twenty-five headers. Any change to the headers makes the index anew: the
    list replaced or its length changed (``__setitem__``, ``__delitem__``, ``set_boundary``), or
    ``replace_header``, the one change made in place."""

    _index: tuple | None = None  # (the headers list indexed, its length, {lowered name: [(name, value)]})

    def _by_name(self) -> dict[str, list[tuple[str, object]]]:
        headers = self._headers
        index = self._index
        if index is None or index[0] is not headers or index[1] != len(headers):
            by_name: dict[str, list[tuple[str, object]]] = {}
            for k, v in headers:
                by_name.setdefault(k.lower(), []).append((k, v))
            index = self._index = (headers, len(headers), by_name)
        return index[2]

    def get(self, name, failobj=None):
        found = self._by_name().get(name.lower())
        return self.policy.header_fetch_parse(*found[0]) if found else failobj

    def get_all(self, name, failobj=None):
        found = self._by_name().get(name.lower())
        return [self.policy.header_fetch_parse(k, v) for k, v in found] if found else failobj

    def __contains__(self, name) -> bool:
        return name.lower() in self._by_name()

    def replace_header(self, _name, _value) -> None:
        super().replace_header(_name, _value)
        self._index = None


def message_from_bytes(raw: bytes) -> Message:
    """Python's compat32 parse of ``raw``, its parts ``IndexedMessage``s."""
    return email.message_from_bytes(raw, IndexedMessage, policy=compat32)


@dataclass
class MailContext:
    """Where a message comes from: its source, custodian, how to keep originals, and its place."""

    source: str
    custodian: str
    keep: "object"  # a Sink-like object with keep(data, name) -> sha256
    path: str = ""
    locator: str = ""
    folder: str = ""
    extra_meta: dict = field(default_factory=dict)


_ENCODED_WORD = re.compile(rb"=\?([^?\s]+)\?([QqBb])\?([^?]*)\?=")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def decode_header(value: object) -> str:
    """Decode an RFC 2047 header value; wrong charsets and raw 8-bit bytes never raise.

    Encoded words are decoded by hand, so raw 8-bit bytes inside one (``=?iso-8859-1?Q?Fr\xf6sche?=``)
    are decoded with the word's charset; adjacent words of one charset are joined first (a UTF-8
    character split across two words). Bytes outside encoded words, and words whose charset does
    not fit, are read as UTF-8, else windows-1252: never a detector's guess, which on a short header
    picks exotic code pages (``hp_roman8``).
    """
    if value is None:
        return ""
    if isinstance(value, email.header.Header):  # compat32 hands raw 8-bit headers over as Header objects
        raw = b"".join(c if isinstance(c, bytes) else c.encode("utf-8", "surrogateescape") for c, _ in email.header.decode_header(value))
    else:
        raw = str(value).encode("utf-8", "surrogateescape")
    out: list[str] = []
    pos = 0
    run_cs, run = "", b""  # consecutive encoded words of one charset
    for m in _ENCODED_WORD.finditer(raw):
        gap = raw[pos:m.start()]
        if run and gap.strip():
            out.append(header_text(run, run_cs))
            run_cs, run = "", b""
        if gap.strip() or not out and not run:
            out.append(header_text(gap))
        cs = m.group(1).decode("ascii", "replace").split("*")[0]
        data = _encoded_word_bytes(m.group(2), m.group(3))
        if data is None:  # not decodable as declared: keep it as written
            if run:
                out.append(header_text(run, run_cs))
                run_cs, run = "", b""
            out.append(header_text(m.group(0)))
        elif run and cs.lower() != run_cs.lower():
            out.append(header_text(run, run_cs))
            run_cs, run = cs, data
        else:
            run_cs, run = cs, run + data
        pos = m.end()
    if run:
        out.append(header_text(run, run_cs))
    out.append(header_text(raw[pos:]))
    return _unfold("".join(out))


def _encoded_word_bytes(encoding: bytes, text: bytes) -> bytes | None:
    if encoding in (b"Q", b"q"):
        return _QP_ESCAPE.sub(lambda m: bytes((int(m.group(1), 16),)), text.replace(b"_", b" "))
    compact = re.sub(rb"\s+", b"", text)
    try:
        return base64.b64decode(compact + b"=" * (-len(compact) % 4), validate=True)
    except (binascii.Error, ValueError):
        return None


def header_text(data: bytes, declared: str = "") -> str:
    """Header bytes as text: the declared charset, then UTF-8, then windows-1252 (its five unused
    bytes as Latin-1)."""
    if data.isascii():
        return data.decode("ascii")
    for cs in (known_charset(declared), "utf-8"):
        if cs:
            try:
                return data.decode(cs)
            except (UnicodeDecodeError, LookupError):
                pass
    try:
        return data.decode("cp1252")
    except UnicodeDecodeError:
        return "".join(bytes((b,)).decode("cp1252", "ignore") or chr(b) for b in data)


def _unfold(s: str) -> str:
    return " ".join(s.split())


_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_ADDR_SPEC = rf"{_ATOM}(?:\.{_ATOM})*@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*"
_NAME_WORD = r"[^()<>@,:;\"\[\]\\\s]+"
# one address as most mail writes it: 'Name <local@domain>', '<local@domain>' or 'local@domain', the
# name plain words (no quotes, comments, commas or groups), the address plain ASCII
_SIMPLE_ADDRESS = re.compile(rf"(?:({_NAME_WORD}(?: {_NAME_WORD})*) ?)?<({_ADDR_SPEC})>|({_ADDR_SPEC})")


def parse_addresses(values: list[str]) -> tuple[str, ...]:
    """Addresses as 'Name <addr>' (or the bare address), decoded. A header value that is one plain
    address is read by a regular expression, with the result ``email.utils.getaddresses`` gives (five
    times faster); anything else by ``getaddresses``."""
    decoded = [decode_header(v) for v in values if v]
    simple = [_SIMPLE_ADDRESS.fullmatch(v) for v in decoded]
    if all(simple):
        return tuple(f"{m[1]} <{m[2]}>" if m[1] else (m[2] or m[3]) for m in simple)
    out = []
    for name, addr in email.utils.getaddresses(decoded):
        name, addr = name.strip(), addr.strip()
        if not name and not addr:
            continue
        out.append(f"{name} <{addr}>" if name and addr else (addr or name))
    return tuple(out)


_RECEIVED_DATE = re.compile(r";\s*([^;]+)$")


def parse_date(value: str) -> datetime | None:
    """A mail date in any of the forms mail software writes; None when nothing can be read."""
    value = _unfold(value or "")
    if not value:
        return None
    try:
        dt = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        dt = None
    if dt is None:
        try:
            from dateutil import parser as dparser

            dt = dparser.parse(value, fuzzy=True)
        except (ValueError, OverflowError, TypeError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc)
    except (OverflowError, ValueError):
        return None


_HEADER_NAME = re.compile(rb"([!-9;-~]+)[ \t]*:")  # 'Subject :' too: some software writes a space before the colon
_STRONG_HEADERS = frozenset(("from", "to", "subject", "date", "message-id", "received", "mime-version", "sender"))


def looks_like_mail(raw: bytes) -> bool:
    """True when the first lines are RFC 5322 headers that mail has.

    Lenient as mail software is: a space before a header's colon, a header/body separator that
    holds only spaces, a stray line after real headers (the body starts there). A MIME entity
    with no address headers but a multipart Content-Type is mail too (saved by some clients).
    """
    head = raw[:8192].lstrip()
    if head.startswith(b"From "):
        head = head.split(b"\n", 1)[-1]
    lines = head.split(b"\n")
    if len(raw.lstrip()) > 8192 and len(lines) > 1:
        lines = lines[:-1]  # the last line may be cut off by the sniffing window
    names: set[str] = set()
    multipart = False
    for line in lines:
        line = line.rstrip(b"\r")
        if not line.strip():
            break
        if line[:1] in (b" ", b"\t"):
            if not names:
                return False
            continue
        m = _HEADER_NAME.match(line)
        if not m:
            if len(names & MAIL_HEADERS) >= 2 and names & _STRONG_HEADERS:
                break  # the body begins without a blank line
            return False
        name = m.group(1).decode("ascii").lower()
        names.add(name)
        if name == "content-type" and re.match(rb"\s*(multipart|message)/", line[m.end():], re.I):
            multipart = True
    return bool(names & MAIL_HEADERS) and (bool(names & _STRONG_HEADERS) or multipart)


def normalise_head(raw: bytes) -> bytes:
    """The message with its header block written so Python's parser reads it as mail clients do:
    ``Name :`` becomes ``Name:``, and a separator line of only spaces becomes empty (the parser
    would take it for a folded header and the body's first lines for headers). Blank lines and
    spaces before the first header are dropped, as ``looks_like_mail`` skips them."""
    stripped = raw.lstrip()
    changed = len(stripped) != len(raw)
    raw = stripped
    pos = 0
    if raw.startswith(b"From "):
        pos = raw.find(b"\n") + 1 or len(raw)
    out: list[bytes] = []
    start = pos
    while pos < len(raw):
        end = raw.find(b"\n", pos)
        end = len(raw) if end < 0 else end + 1
        line = raw[pos:end]
        content = line.rstrip(b"\r\n")
        if not content:
            break
        if not content.strip():
            out.append(line[len(content):] or b"\n")
            changed = True
            pos = end
            break
        if content[:1] not in (b" ", b"\t"):
            m = _HEADER_NAME.match(content)
            if not m:
                break
            if m.end() != len(m.group(1)) + 1:
                line = m.group(1) + b":" + line[m.end():]
                changed = True
        out.append(line)
        pos = end
    if not changed:
        return raw
    return raw[:start] + b"".join(out) + raw[pos:]


def thread_key(msg: Message, message_id: str) -> str:
    ti = msg.get("Thread-Index")
    if ti:
        try:
            return "ti:" + base64.b64encode(base64.b64decode(str(ti).strip() + "==")[:22]).decode()
        except (binascii.Error, ValueError):
            pass
    refs = re.findall(r"<[^>]+>", str(msg.get("References", "") or ""))
    if refs:
        return refs[0]
    irt = re.findall(r"<[^>]+>", str(msg.get("In-Reply-To", "") or ""))
    return irt[0] if irt else message_id


def _payload(part: Message, problems: list[str]) -> bytes:
    """Decoded payload bytes of a leaf part; records a problem where the transfer encoding fails."""
    cte = str(part.get("Content-Transfer-Encoding", "")).strip().lower()
    raw = part.get_payload(decode=False)
    if isinstance(raw, list):
        return b""
    if cte == "base64":
        # 8-bit bytes in the part come back as U+FFFD (get_payload decodes them with the part's charset)
        data = raw.encode("utf-8", "surrogateescape") if isinstance(raw, str) else raw
        compact = re.sub(rb"\s+", b"", data)
        if compact and not re.fullmatch(rb"[A-Za-z0-9+/=_-]*", compact):
            problems.append(f"body part {part.get_content_type()} is declared base64 but is not base64")
            return b""
        try:
            return base64.b64decode(compact + b"=" * (-len(compact) % 4))
        except (binascii.Error, ValueError) as e:
            problems.append(f"body part {part.get_content_type()} has broken base64: {e}")
            return b""
    payload = part.get_payload(decode=True)
    return payload if isinstance(payload, bytes) else b""


def _filename(part: Message) -> str:
    if part.get("Content-Disposition") is None and "name" not in str(part.get("Content-Type", "")).lower():
        return ""  # where get_filename would look, no name can be (it parses both headers' parameters)
    name = part.get_filename()
    if name:
        if isinstance(name, tuple):  # RFC 2231 with an odd charset
            name = email.utils.collapse_rfc2231_value(name)
        return decode_header(name)
    return ""


def parse_mail(raw: bytes, ctx: MailContext, sha256: str, depth: int = 0) -> list[Item | Failure]:
    """Parse one message: the e-mail item first, then its attachments (and a Failure per problem).

    Raises ConnectorError when the bytes are not a mail message at all.
    """
    if not looks_like_mail(raw):
        raise ConnectorError("not an e-mail message: the file does not start with mail headers", ctx.path, ctx.locator)
    try:
        msg = message_from_bytes(normalise_head(raw))
        if reason := broken_limit(msg):
            raise ConnectorError(reason, ctx.path, ctx.locator)
        return _parse_message(msg, ctx, sha256, depth)
    except RecursionError:  # Python's email package recurses per level; never let one message stop a mailbox
        raise ConnectorError(f"message is nested too deeply to parse (more than {MAX_NESTING} levels); kept, not parsed",
                             ctx.path, ctx.locator) from None


def iter_parts(msg: Message) -> Iterator[tuple[Message, int]]:
    """Every part of a parsed message with its level (1 for the message), depth first, without
    recursion: ``Message.walk`` recurses once per level and fails on a hostile message."""
    stack = [(msg, 1)]
    while stack:
        part, level = stack.pop()
        yield part, level
        payload = part.get_payload()
        if isinstance(payload, list):
            stack.extend((p, level + 1) for p in reversed(payload) if isinstance(p, Message))


def broken_limit(msg: Message) -> str:
    """Why a parsed message breaks a limit (nesting depth, number of parts), or "" when it does not.

    Walks the tree without recursion, so it answers for any depth the parser produced.
    """
    for parts, (part, level) in enumerate(iter_parts(msg), 1):
        if level > MAX_NESTING:
            return f"message is nested more than {MAX_NESTING} levels deep (multipart or attached mail); kept, not parsed"
        if parts > MAX_PARTS:
            return f"message has more than {MAX_PARTS} MIME parts; kept, not parsed"
    return ""


_MULTIPART = re.compile(r"\s*multipart/([A-Za-z0-9.+_-]+)", re.I)
_BOUNDARY_PARAM = re.compile(r"boundary\s*=\s*(\"[^\"]*\"|[^\s;]+)", re.I)
_DASH_LINE = re.compile(rb"^--([ -~]{1,200}?)[ \t]*\r?$", re.M)


def repair_boundaries(msg: Message) -> tuple[list[str], list[str]]:
    """Re-split multiparts the parser left whole because their boundary did not match the body.

    Senders fold a long ``boundary="..."`` inside its quotes, or leave out the ``;`` before it: the
    declared boundary then never occurs and the whole message would come out empty. Tried in
    turn: the declared boundary unfolded (folding removed, or kept as one space), then the first
    ``--`` line of the body. Returns (repairs made, problems: multiparts whose boundary cannot be
    found in a body that holds text); both name the part.
    """
    repairs: list[str] = []
    problems: list[str] = []
    for part, _level in iter_parts(msg):  # a repaired part's new children are walked too
        header = str(part.get("Content-Type", "") or "")
        m = _MULTIPART.match(header)
        payload = part.get_payload()
        if not m or isinstance(payload, list) or not isinstance(payload, str):
            continue
        body = payload.encode("utf-8", "surrogateescape")  # the bytes as read (compat32 keeps 8-bit ones as surrogates)
        declared = part.get_boundary() or ""
        if p := _BOUNDARY_PARAM.search(header):
            declared = declared or p.group(1).strip('"')
        candidates = [re.sub(r"\r?\n[ \t]+", "", declared), re.sub(r"\r?\n([ \t])[ \t]*", r"\1", declared), declared.strip()]
        if first := _DASH_LINE.search(body):
            line = first.group(1).decode("ascii")
            candidates += [line, line[:-2] if line.endswith("--") else line]
        lines = b"\n" + body
        found = next((c for c in candidates if c and "\"" not in c and b"\n--" + c.encode("ascii", "replace") in lines), "")
        subtype = m.group(1).lower()
        if found:
            inner = message_from_bytes(f'Content-Type: multipart/{subtype}; boundary="{found}"\r\n\r\n'.encode() + body)
            if isinstance(inner.get_payload(), list):
                part.set_payload(inner.get_payload())
                part.replace_header("Content-Type", f'multipart/{subtype}; boundary="{found}"')
                repairs.append(f"multipart/{subtype}: boundary {declared!r} not usable as written; split on {found!r}")
                continue
        if body.strip():
            problems.append(f"multipart/{subtype}: its boundary {declared!r} never occurs in the body; the body is kept as plain text")
            part.replace_header("Content-Type", "text/plain")
            part.set_payload(payload)
    return repairs, problems


def _parse_message(msg: Message, ctx: MailContext, sha256: str, depth: int) -> list[Item | Failure]:
    problems: list[str] = []
    repairs, problems = repair_boundaries(msg)

    message_id = _unfold(str(msg.get("Message-ID", "") or ""))
    derived = not message_id
    if derived:
        message_id = f"<{sha256[:32]}@woo-collector.derived>"
    date_raw = decode_header(msg.get("Date"))
    sent = parse_date(date_raw)
    if sent is None:
        for rec in msg.get_all("Received", []) or []:
            m = _RECEIVED_DATE.search(_unfold(str(rec)))
            if m and (sent := parse_date(m.group(1))):
                break
    subject = decode_header(msg.get("Subject"))
    sender = parse_addresses(msg.get_all("From", []) or [])
    thread = thread_key(msg, message_id)
    mail_id = stable_id(ctx.source, ctx.custodian, "mail", sha256)

    bodies: list[tuple[str, str]] = []  # (content type, text) of the inline text parts, in order
    attachments: list[tuple[str, str, bytes, Message]] = []
    _walk(msg, bodies, attachments, problems)
    body = "\n\n".join(html_to_text(t) if ct == "text/html" else t for ct, t in bodies)
    meta = {
        "message_id": message_id,
        "date_header": date_raw,
        "in_reply_to": _unfold(str(msg.get("In-Reply-To", "") or "")),
        "path": ctx.path,
        "html": any(ct == "text/html" for ct, _ in bodies),
        "attachments": [a[0] for a in attachments],
        **ctx.extra_meta,
    }
    if sent is None:
        meta["date_unknown"] = True
    if problems:
        meta["problems"] = problems
    if repairs:
        meta["mime_repairs"] = repairs
    mail = Item(
        id=mail_id, kind="email", source=ctx.source, custodian=ctx.custodian, sha256=sha256,
        sent=sent, sender=sender[0] if sender else "",
        recipients=parse_addresses(msg.get_all("To", []) or []),
        cc=parse_addresses(msg.get_all("Cc", []) or []),
        bcc=parse_addresses(msg.get_all("Bcc", []) or []),
        subject=subject, body=tidy(body), locator=ctx.locator, conversation=thread,
        message_id=message_id, message_id_derived=derived, folder=ctx.folder, meta=meta,
    )
    out: list[Item | Failure] = [mail]
    for n, (name, ctype, data, part) in enumerate(attachments, 1):
        out.extend(_attachment(mail, n, name, ctype, data, ctx, depth))
    for p in problems:
        out.append(Failure(ctx.path, p, ctx.locator or f"Message-ID {message_id}", sha256))
    return out


def parse_mail_file(path, ctx: MailContext, sha: str, max_size: int, unwrap=None, data: bytes | None = None) -> list[Item | Failure]:
    """One message file, already kept under ``sha``: its items, or a Failure when it is over
    ``max_size`` (not read) or is not mail. ``data``: its bytes, when they were read already."""
    size = path.stat().st_size if data is None else len(data)
    if size > max_size:
        return [Failure(str(path), f"message of {size} bytes is larger than {max_size}; kept, not parsed", "", sha)]
    if data is None:
        data = path.read_bytes()
    try:
        return parse_mail(unwrap(data) if unwrap else data, ctx, sha)
    except ConnectorError as e:
        return [Failure(str(path), e.reason, "", sha)]


_ALTERNATIVE_TEXT = frozenset(("text/plain", "text/html", "text/enriched", "text/richtext", "text/watch-html", "text/x-amp-html"))


_UU_BEGIN = re.compile(r"^begin[ \t]+([0-7]{3,4})[ \t]+(\S[^\r\n]*?)[ \t]*\r?$", re.M)


def split_uuencoded(text: str, problems: list[str]) -> tuple[str, list[tuple[str, bytes]]]:
    """uuencoded files in a plain-text body (``begin 644 name`` ... ``end``): the body without
    their lines, and the files. A block without its ``end`` line stays in the body, noted."""
    files: list[tuple[str, bytes]] = []
    out: list[str] = []
    pos = 0
    for m in _UU_BEGIN.finditer(text):
        if m.start() < pos:
            continue
        end = re.compile(r"^end[ \t]*\r?$", re.M).search(text, m.end())
        if not end:
            problems.append(f"uuencoded file {m.group(2)!r} in the body has no 'end' line; left in the body")
            break
        data = bytearray()
        damaged = False
        for line in text[m.end():end.start()].splitlines():
            if not line.strip():
                continue
            raw = line.encode("latin-1", "replace")
            n = (((raw[0] - 32) & 63) * 4 + 5) // 3  # the line's own length: some encoders pad with garbage
            try:
                data += binascii.a2b_uu(raw[:n])
            except binascii.Error:
                damaged = True
                break
        if damaged:
            problems.append(f"uuencoded file {m.group(2)!r} in the body is damaged; left in the body")
            continue
        out.append(text[pos:m.start()])
        files.append((m.group(2), bytes(data)))
        pos = end.end()
    out.append(text[pos:])
    return ("".join(out), files) if files else (text, [])


def _walk(part: Message, bodies: list[tuple[str, str]], atts: list, problems: list[str], text: bool = True) -> None:
    """Inline text parts into ``bodies`` (all of them, in order: a mixed message's HTML part and its
    plain-text footer both belong to the body), everything else into ``atts``. Of a
    multipart/alternative one branch gives the text; the others still give their attachments
    (the inline images of a multipart/related, an invitation's text/calendar). ``text`` False:
    attachments only."""
    ctype = part.get_content_type()
    disp = str(part.get("Content-Disposition", "")).split(";")[0].strip().lower()
    name = _filename(part)
    if ctype == "message/delivery-status" and part.is_multipart():
        # a bounce's report: the parser reads its field blocks as header-only parts; keep them as text
        blocks = [p for p in part.get_payload() if isinstance(p, Message)]
        report = "\n\n".join("\n".join(f"{k}: {decode_header(v)}" for k, v in b.items()) for b in blocks)
        atts.append((name or f"bijlage-{len(atts) + 1}.txt", "text/plain", report.encode("utf-8"), part))
        return
    if part.is_multipart() and ctype != "message/rfc822":
        subparts = [p for p in part.get_payload() if isinstance(p, Message)]
        if ctype == "multipart/alternative":
            # the richest readable alternative: plain text preferred for the index, else HTML
            texts = [p for p in subparts if p.get_content_type() == "text/plain" and not _filename(p)]
            htmls = [p for p in subparts if p.get_content_type() == "text/html" and not _filename(p)]
            others = [p for p in subparts if p.is_multipart()]
            chosen = None
            if texts and _payload(texts[-1], []).strip():
                chosen = texts[-1]
            elif htmls:
                chosen = htmls[-1]
            elif others:
                chosen = others[-1]
            for sub in subparts:
                if sub is not chosen and sub.get_content_type() in _ALTERNATIVE_TEXT and not _filename(sub):
                    continue  # the same text in another form
                _walk(sub, bodies, atts, problems, text and sub is chosen)
            return
        for sub in subparts:
            _walk(sub, bodies, atts, problems, text)
        return
    if ctype == "message/rfc822":
        inner = part.get_payload()
        data = inner[0].as_bytes() if isinstance(inner, list) and inner else _payload(part, problems)
        atts.append((name or "doorgestuurd-bericht.eml", ctype, data, part))
        return
    if disp != "attachment" and not name and ctype in ("text/plain", "text/html"):
        if text:
            data = _payload(part, problems)
            body = decode_bytes(data, part.get_content_charset())[0]
            if ctype == "text/plain" and "begin " in body:
                body, files = split_uuencoded(body, problems)
                for fname, fdata in files:
                    atts.append((fname, mimetypes.guess_type(fname)[0] or "application/octet-stream", fdata, part))
            bodies.append((ctype, body))
        return
    if ctype.startswith("multipart/"):
        return
    data = _payload(part, problems)
    if not name:
        ext = {"text/plain": ".txt", "text/html": ".html", "text/calendar": ".ics", "image/png": ".png", "image/jpeg": ".jpg",
               "image/gif": ".gif", "application/pdf": ".pdf"}.get(ctype, ".bin")
        name = f"bijlage-{len(atts) + 1}{ext}"
    atts.append((name, ctype, data, part))


def _attachment(mail: Item, n: int, name: str, ctype: str, data: bytes, ctx: MailContext, depth: int) -> Iterator[Item | Failure]:
    sha = ctx.keep.keep(data, name)
    att_id = stable_id(mail.id, "att", n, sha)
    meta: dict = {"filename": name, "content_type": ctype, "size": len(data)}
    filetype = filetype_of(name)
    text = ""
    failure = None
    inner_failures: list[Failure] = []
    if ctype == "message/rfc822" or name.lower().endswith(".eml"):
        filetype = "email"
        if depth >= MAX_DEPTH:
            failure = Failure(ctx.path, f"attachment {name}: mail nested more than {MAX_DEPTH} levels deep; kept, its text not read",
                              ctx.locator, sha)
        elif looks_like_mail(data):
            inner_ctx = MailContext(ctx.source, ctx.custodian, ctx.keep, ctx.path, f"{ctx.locator}/bijlage {n}".lstrip("/"), ctx.folder)
            try:
                inner = parse_mail(data, inner_ctx, sha, depth + 1)
                first = inner[0]
                if isinstance(first, Item):
                    # the attached mail's own attachments, with their text: searchable through this one
                    text = _render_inner(first) + "".join(f"\n\n[bijlage: {i.subject}]" + (f"\n{i.body}" if i.body else "")
                                                          for i in inner[1:] if isinstance(i, Item))
                inner_failures = [f for f in inner if isinstance(f, Failure)]
            except ConnectorError as e:
                failure = Failure(ctx.path, f"attachment {name}: {e.reason}", ctx.locator, sha)
    else:
        try:
            ex = extract_text(name, data, ctype)
            text, filetype = ex.text, ex.filetype
            meta.update({f"doc_{k}": v for k, v in ex.meta.items()})
        except ConnectorError as e:
            failure = Failure(ctx.path, f"attachment {name}: {e.reason}", ctx.locator, sha)
            meta["problems"] = [e.reason]
    yield Item(
        id=att_id, kind="attachment", source=ctx.source, custodian=ctx.custodian, sha256=sha,
        sent=mail.sent, sender=mail.sender, recipients=mail.recipients, cc=mail.cc,
        subject=name, body=text, locator=f"{mail.locator}#bijlage {n}".lstrip("#"),
        conversation=mail.conversation, parent=mail.id, filetype=filetype, meta=meta,
    )
    if failure:
        yield failure
    yield from inner_failures


def _render_inner(m: Item) -> str:
    head = [f"Van: {m.sender}", f"Aan: {', '.join(m.recipients)}", f"Onderwerp: {m.subject}"]
    if m.sent:
        head.insert(1, f"Datum: {m.sent.isoformat()}")
    return "\n".join(head) + "\n\n" + m.body

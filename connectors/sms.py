"""``sms``: text messages from an Android phone, as the app "SMS Backup & Restore" writes them.

What it is: one XML file (``sms-20250311093000.xml``) holding every SMS and MMS of the phone. An
official makes it with the free app SMS Backup & Restore (SyncTech): "Back up now", choose the
messages, and save to the phone, Google Drive or a PC; the file is then handed in. With MMS
pictures included the file easily reaches gigabytes: images are base64 inside the XML.

    <?xml version='1.0' encoding='UTF-8' standalone='yes' ?>
    <smses count="2" backup_set="97e66a20-..." backup_date="1721556032311" type="full">
      <sms protocol="0" address="+31612345678" date="1741681800000" type="1" subject="null"
           body="Is het raadsvoorstel al klaar?&#10;Groet, Sanne" read="1" contact_name="Sanne" />
      <mms date="1741681900000" msg_box="2" address="+31612345678~+31687654321" m_id="null" ...>
        <parts>
          <part seq="-1" ct="application/smil" text="&lt;smil&gt;..." />
          <part seq="0" ct="image/jpeg" name="IMG_0042.jpg" data="/9j/4AAQ..." />
          <part seq="0" ct="text/plain" text="Kijk, de locatie" />
        </parts>
        <addrs>
          <addr address="+31687654321" type="137" />  <!-- 137 from, 151 to, 130 cc, 129 bcc -->
        </addrs>
      </mms>
    </smses>

How it is read: ``date`` is milliseconds since 1970 (UTC). SMS ``type`` 1 is received, 2 sent (3
draft, 4 outbox, 5 failed, 6 queued); MMS ``msg_box`` uses the same numbers. ``address`` is the
other party, several joined with ``~`` for a group MMS, or an RCS group id
(``group_8@rcs.google.com``). The app writes the literal string ``null`` for empty fields and
``(Unknown)`` for a number without contact. Older versions write emoji as two numeric references
to UTF-16 surrogates (``&#55357;&#56832;``), which is not valid XML; they are mended while reading.

Each message is one chat item; the conversation is the set of other parties' numbers
(normalised, so ``06-1234 5678`` and ``+31612345678`` meet). MMS text parts form the body; pictures
and other parts are decoded and kept in the store, listed in ``meta["media"]`` and yielded as
``attachment`` items of their message with their text (``connectors.support.chat.media_items``). The XML is read as
a stream (lxml ``iterparse``, elements cleared as they are done); a DTD with entity declarations
or an external DTD (XML bombs, external entities) is refused.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import re
from functools import lru_cache
from pathlib import Path
from typing import BinaryIO, Iterator

from lxml import etree

from connectors.base import FileConnector, Yield, walk_files
from connectors.support.chat import Medium, from_epoch_ms, media_items, medium_failure, phone_key, read_medium
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item

DIRECTIONS = {"1": "received", "2": "sent", "3": "draft", "4": "outbox", "5": "failed", "6": "queued"}
MMS_FROM, MMS_TO, MMS_CC, MMS_BCC = "137", "151", "130", "129"
MAX_PROLOG = 1024 * 1024  # bytes before the root element; real backups have ~150
_CHUNK = 1024 * 1024
_ROOT_START = re.compile(rb"<[A-Za-z_]")
_COMMENT = re.compile(rb"<!--.*?-->|<\?.*?\?>", re.S)
_DTD_WITH_DECLS = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s*(\[|SYSTEM\b|PUBLIC\b)", re.I)
_SURROGATES = re.compile(rb"&#(5[5-6]\d{3});&#(5[6-7]\d{3});")
_PARTIAL_REF = re.compile(rb"&(?:#\d*;?)?(?:&(?:#\d*)?)?$")


def _null(value: str | None) -> str:
    """The app writes the word 'null' for an empty field."""
    return "" if value is None or value == "null" else value


class _MendedXml:
    """A binary reader over the backup that checks the prolog and mends surrogate-pair references.

    The prolog (everything before the root element) is checked before lxml sees a byte: a DTD that
    declares entities or names an external subset is refused, so no entity can be expanded.
    """

    def __init__(self, f: BinaryIO, path: Path):
        self.f = f
        self.path = path
        self.carry = b""
        self.checked = False

    def _check_prolog(self) -> None:
        buf = self.f.read(_CHUNK)
        while len(buf) <= MAX_PROLOG and not _ROOT_START.search(_strip_markup(buf)):
            more = self.f.read(_CHUNK)
            if not more:
                break
            buf += more
        if buf[:2] in (b"\xff\xfe", b"\xfe\xff", b"\x00<", b"<\x00"):
            raise ConnectorError("XML in UTF-16 is not an SMS Backup & Restore file (those are UTF-8)", self.path)
        scan = _strip_markup(buf)
        m = _ROOT_START.search(scan)
        if not m and len(buf) > MAX_PROLOG:
            raise ConnectorError(f"no XML root element in the first {MAX_PROLOG} bytes", self.path)
        prolog = scan[: m.start()] if m else scan
        if re.search(rb"<!ENTITY", prolog, re.I):
            raise ConnectorError(
                "refused: the XML declares entities in a DTD (an XML bomb or external-entity attack); "
                "SMS Backup & Restore never writes a DTD", self.path)
        if _DTD_WITH_DECLS.search(prolog):
            raise ConnectorError(
                "refused: the XML carries a DTD with declarations or an external DTD; "
                "SMS Backup & Restore never writes one", self.path)
        self.carry = buf
        self.checked = True

    def read(self, n: int = -1) -> bytes:
        if not self.checked:
            self._check_prolog()
        data = self.carry + self.f.read(_CHUNK if n is None or n < 0 else max(n, 4096))
        self.carry = b""
        if not data:
            return b""
        m = _PARTIAL_REF.search(data[-24:])
        if m and len(data) > 24:
            cut = len(data) - 24 + m.start()
            data, self.carry = data[:cut], data[cut:]
        if b"&#5" in data:
            data = _SURROGATES.sub(_join_surrogates, data)
        return data


def _strip_markup(buf: bytes) -> bytes:
    """The bytes without comments and processing instructions (which may hold anything)."""
    return _COMMENT.sub(b"", buf)


def _join_surrogates(m: re.Match) -> bytes:
    hi, lo = int(m.group(1)), int(m.group(2))
    if 0xD800 <= hi <= 0xDBFF and 0xDC00 <= lo <= 0xDFFF:
        return b"&#%d;" % (0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00))
    return m.group(0)


class SmsConnector(FileConnector):
    name = "sms"
    description = "SMS Backup & Restore XML (Android SMS and MMS), a file or a folder of backups"
    extensions = (".xml",)

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            for p in walk_files(path, cls.extensions):
                with open(p, "rb") as f:
                    if b"<smses" in f.read(4096):
                        return 0.7
            return 0.0
        if b"<smses" in head[:4096] or (b"<allsms" in head[:4096]):
            return 0.95
        if b"<sms " in head and b"address=" in head and b"date=" in head:
            return 0.8
        return 0.05 if path.suffix.lower() == ".xml" else 0.0

    # one backup file ---------------------------------------------------------------------------
    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        counts = {"sms": 0, "mms": 0}
        seen: dict[str, int] = {}  # natural keys at the current millisecond, for exact twins
        last_date = [""]
        found_root = False
        try:
            f = open(path, "rb")
        except OSError as e:
            raise ConnectorError(f"cannot open: {e.strerror}", path) from None
        with f:
            events = etree.iterparse(
                _MendedXml(f, path), events=("start", "end"), resolve_entities=False, no_network=True,
                load_dtd=False, huge_tree=True,  # huge_tree: one MMS video is a base64 attribute > 10 MB
                remove_comments=True, remove_pis=True)
            depth = 0
            try:
                for event, el in events:
                    if event == "start":
                        depth += 1
                        if depth == 1:
                            self._check_root(el, path)
                            found_root = True
                        elif depth > 6:
                            raise ConnectorError("XML nested deeper than a backup ever is", path)
                        continue
                    depth -= 1
                    if depth != 1:
                        continue
                    tag = el.tag if isinstance(el.tag, str) else ""
                    if tag in ("sms", "mms"):
                        counts[tag] += 1
                        locator = f"{tag} {counts[tag]}"
                        if tag == "sms":
                            yield from self._sms(el, path, sha, locator, seen, last_date)
                        else:
                            yield from self._mms(el, path, sha, locator, seen, last_date)
                    el.clear()
                    while el.getprevious() is not None:
                        del el.getparent()[0]
            except etree.XMLSyntaxError as e:
                done = counts["sms"] + counts["mms"]
                if not found_root:
                    raise ConnectorError(f"not readable as XML: {_xml_reason(e)}", path) from None
                yield Failure(str(path), f"the XML breaks off or is damaged ({_xml_reason(e)}); "
                              f"the {done} messages before the break were read, the rest could not be",
                              f"after sms {counts['sms']}, mms {counts['mms']}", sha)
                return
        if not found_root:
            raise ConnectorError("the file is empty, not an SMS Backup & Restore XML", path)
        if counts["sms"] + counts["mms"] == 0:
            raise ConnectorError("the backup holds no messages (count=0): choose messages in the app and back up again",
                                 path)

    @staticmethod
    def _check_root(el, path: Path) -> None:
        docinfo = el.getroottree().docinfo
        dtd = docinfo.internalDTD
        if dtd is not None and any(True for _ in dtd.iterentities()):
            raise ConnectorError("refused: the XML declares entities in a DTD (an XML bomb?)", path)
        if el.tag == "calls":
            raise ConnectorError("this is a call log backup (<calls>), not messages: import the sms-*.xml file", path)
        if el.tag not in ("smses", "allsms"):
            raise ConnectorError(f"root element is <{el.tag}>, not <smses>: not an SMS Backup & Restore file", path)

    # messages -----------------------------------------------------------------------------------
    def _sms(self, el, path: Path, sha: str, locator: str, seen: dict, last_date: list) -> Iterator[Yield]:
        a = el.attrib
        address = _null(a.get("address"))
        numbers = _numbers(address)
        direction = DIRECTIONS.get(a.get("type", ""), "unknown")
        contact = _contact(a.get("contact_name"))
        body = _null(a.get("body"))
        sent = from_epoch_ms(a.get("date"))
        party = _party(contact, address)
        me = self.spec.custodian
        meta = {
            "direction": direction, "type": a.get("type", ""), "contact_name": contact,
            "number": address, "read": a.get("read", ""),
        }
        if _null(a.get("subject")):
            meta["subject"] = a.get("subject")
        date_sent = from_epoch_ms(a.get("date_sent"))
        if date_sent:
            meta["date_sent"] = date_sent.isoformat()
        if _null(a.get("service_center")):
            meta["service_center"] = a.get("service_center")
        key = _twin_key(seen, last_date, a.get("date", ""), "sms", direction, address, body)
        conversation = "sms:" + ",".join(numbers)
        yield Item(
            id=self.item_id("sms", conversation, key), kind="chat", source=self.spec.name,
            custodian=me, sha256=sha, sent=sent,
            sender=party if direction == "received" else (me if direction != "unknown" else ""),
            recipients=tuple(x for x in ((me,) if direction == "received" else (party,)) if x),
            subject=contact or address, body=body, locator=locator, conversation=conversation,
            message_id=key, platform="sms", meta=meta,
        )
        if sent is None:
            yield Failure(str(path), f"unreadable date {a.get('date')!r}; the message was kept without a time",
                          locator, sha)

    def _mms(self, el, path: Path, sha: str, locator: str, seen: dict, last_date: list) -> Iterator[Yield]:
        a = el.attrib
        address = _null(a.get("address"))
        numbers = _numbers(address)
        box = a.get("msg_box", "")
        direction = DIRECTIONS.get(box, "unknown")
        contact = _contact(a.get("contact_name"))
        sent = from_epoch_ms(a.get("date"))
        me = self.spec.custodian
        addrs: dict[str, list[str]] = {}
        for addr in el.iter("addr"):
            number = _null(addr.get("address"))
            if number and number != "insert-address-token":
                addrs.setdefault(addr.get("type", ""), []).append(number)
        texts: list[str] = []
        media: list[dict] = []
        parts: list[Medium] = []
        problems: list[Failure] = []
        for n, part in enumerate(el.iter("part")):
            ct = (_null(part.get("ct")) or "application/octet-stream").lower()
            if ct == "application/smil":
                continue
            text = _null(part.get("text"))
            data = part.get("data")
            name = _null(part.get("name")) or _null(part.get("cl")) or _null(part.get("fn")) or f"part{n}"
            if ct.startswith("text/plain") and data is None:
                if text:
                    texts.append(text)
                continue
            if data is None:
                if text:
                    texts.append(text)
                continue
            entry = {"name": name, "content_type": ct}
            try:
                raw = _b64(data)
            except (binascii.Error, ValueError) as e:
                entry["error"] = f"base64 cannot be decoded: {e}"
                problems.append(Failure(str(path), f"{name}: {entry['error']}; the part stays in the kept XML",
                                        f"{locator} part {n}", sha))
                media.append(entry)
                continue
            if ct.startswith("text/"):
                texts.append(raw.decode("utf-8", errors="replace"))
                continue
            entry["sha256"] = self.sink.keep(raw, name)
            entry["size"] = len(raw)
            media.append(entry)
            parts.append(read_medium(name, entry["sha256"], raw, len(raw), locator=f"{locator} part {n}", content_type=ct))
        body = "\n".join(t for t in texts if t)
        frm = addrs.get(MMS_FROM, [])
        if direction == "received":
            sender_number = frm[0] if frm else (numbers[0] if len(numbers) == 1 else "")
            sender = _party(contact if len(numbers) == 1 else "", sender_number)
            others = [x for x in addrs.get(MMS_TO, []) + addrs.get(MMS_CC, []) if x != sender_number]
            recipients = tuple(dict.fromkeys(others)) or ((me,) if me else ())
        else:
            sender = me
            to = addrs.get(MMS_TO, []) + addrs.get(MMS_CC, []) or [p for p in address.split("~") if p]
            recipients = tuple(dict.fromkeys(_party(contact, x) if len(to) == 1 else x for x in to))
        meta = {
            "direction": direction, "msg_box": box, "contact_name": contact, "number": address,
            "read": a.get("read", ""), "media": media,
        }
        if _null(a.get("sub")):
            meta["subject"] = a.get("sub")
        m_id = _null(a.get("m_id"))
        if m_id:
            meta["m_id"] = m_id
        if addrs.get(MMS_CC) and "@" in address:
            meta["group_members"] = addrs[MMS_CC]
        key = m_id or _twin_key(seen, last_date, a.get("date", ""), "mms", direction, address, body)
        conversation = "sms:" + ",".join(numbers)
        message = Item(
            id=self.item_id("mms", conversation, key), kind="chat", source=self.spec.name,
            custodian=me, sha256=sha, sent=sent, sender=sender, recipients=recipients,
            subject=contact or address, body=body, locator=locator, conversation=conversation,
            message_id=key, platform="mms", meta=meta,
        )
        yield message
        yield from media_items(self, message, parts)
        yield from problems
        for medium in parts:
            problem = medium_failure(medium, str(path), medium.locator, sha)
            if problem:
                yield problem
        if sent is None:
            yield Failure(str(path), f"unreadable date {a.get('date')!r}; the message was kept without a time",
                          locator, sha)


def _b64(data: str) -> bytes:
    """Strict base64 (line breaks allowed); binascii.Error when it is not."""
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        return base64.b64decode("".join(data.split()), validate=True)


@lru_cache(maxsize=65536)
def _numbers(address: str) -> tuple[str, ...]:
    """The other parties of a conversation as sorted, normalised keys."""
    parts = [p for p in re.split(r"[~,;]", address) if p.strip()] if address else []
    return tuple(sorted({phone_key(p) for p in parts})) or ("unknown",)


def _contact(name: str | None) -> str:
    name = _null(name)
    return "" if name in ("(Unknown)", "(Onbekend)") else name


def _party(contact: str, number: str) -> str:
    if contact and number:
        return f"{contact} <{number}>"
    return contact or number


def _twin_key(seen: dict, last_date: list, date: str, *parts: str) -> str:
    """A natural key for a message without an id: its time, box, parties and text.

    The same message in two backups of one phone gets the same key; exact twins within one
    millisecond are told apart by their order.
    """
    digest = hashlib.sha256("\x1f".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]
    key = f"{date}:{digest}"
    if date != last_date[0]:
        seen.clear()
        last_date[0] = date
    n = seen.get(key, 0)
    seen[key] = n + 1
    return key if n == 0 else f"{key}:{n}"


def _xml_reason(e: etree.XMLSyntaxError) -> str:
    msg = str(getattr(e, "msg", "") or e)
    return msg[:200] if "line" in msg else f"{msg[:200]} (line {e.lineno})"


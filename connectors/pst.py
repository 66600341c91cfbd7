"""``pst``: Outlook data files (.pst, and offline .ost), read folder by folder with libpff.

What it is: Outlook's personal storage file, a database of folders and MAPI items (header magic
``!BDN`` at offset 0, then ``SM`` for a PST or ``SO`` for an OST at offset 8). How a user gets
one: IT exports a mailbox from Microsoft Purview eDiscovery ("Export > PST"), or an official uses
Outlook's "Bestand > Openen en exporteren > Importeren/exporteren > Exporteren naar een bestand >
Outlook-gegevensbestand (.pst)". A tiny sample, as ``readpst`` or ``pffexport`` lists it::

    Top of Personal Folders/
        Inbox/            IPM.Note  "Windturbines Kraaiennest"  from Sanne de Vries
        Inbox/Projecten/  IPM.Note  "Re: planning"
        Contacts/         IPM.Contact "Sanne de Vries"
    TeamsMessagesData/    IPM.SkypeTeams.Message (Teams chats written by eDiscovery)

What comes out: an ``email`` item per mail (``IPM.Note*``, meeting mail ``IPM.Schedule.Meeting*``,
reports, posts), a ``chat`` item per Teams message (``IPM.SkypeTeams.Message``, platform
"teams"), and an ``attachment`` item per attachment with its bytes kept. The folder path below the
top of the mailbox (e.g. "Inbox/Projecten") is in ``Item.folder``.

The original: a PST holds no bit-for-bit MIME of a message, only its transport headers, bodies
(plain, HTML, RTF) and properties. So the PST file itself is the original: it is kept whole
(streamed, never read into memory) and every item carries its SHA-256 with the locator
``<folder path>/<message identifier>`` (the libpff node id of the message inside that PST).
Attachments are kept as their own originals.

Not indexed, but counted, never silently dropped: calendar items, contacts, distribution lists,
notes, tasks, journal entries and any other item class. After each PST the counts per message
class are saved as ``Checkpoint("pst-skipped:<sha>", {class: count})`` and logged at warning
level on ``woo.connectors.pst``. They are not Failures: a healthy PST with a calendar must not end
the run with exit code 3.

Streaming: messages are read one at a time and attachments in chunks; each folder is checkpointed
(``pst:<sha>:<folder path>``) so an interrupted import of a large PST resumes at the next folder,
and ``file:<sha>`` marks a PST read to its end. A password-protected PST is refused with a clear
message (the password is only a flag that Outlook honours; we honour it too).
"""

from __future__ import annotations

import io
import json
import logging
from dataclasses import dataclass
from datetime import datetime
from email.message import Message
from email.parser import HeaderParser
from email.policy import compat32
from pathlib import Path
from typing import Any, Iterator

from connectors.base import Checkpoint, FileConnector, Yield
from connectors.support.mapi import Attachment, Parsed, address, build_items, choose_body, conversation_key, utc
from woo_collector.errors import ConnectorError
from connectors.support.mime import decode_header, parse_addresses, parse_date
from woo_collector.models import Failure
from woo_collector.text import tidy

log = logging.getLogger("woo.connectors.pst")

PST_MAGIC = b"!BDN"
MAX_ATTACHMENT_TEXT = 64 * 1024 * 1024  # larger attachments are kept (streamed) but not text-extracted
CHUNK = 1024 * 1024
MAX_DEPTH = 8

# message classes taken as mail; everything else is counted as not indexed
_MAIL_CLASSES = ("ipm.note", "ipm.schedule.meeting", "report.", "ipm.post", "ipm.outlook.recall", "ipm.recall")
_TEAMS_CLASS = "ipm.skypeteams.message"

# MAPI property tags (id only; the value type is read from the entry)
P_MESSAGE_CLASS = 0x001A
P_SUBJECT = 0x0037
P_CLIENT_SUBMIT = 0x0039
P_SENT_REPR_NAME = 0x0042
P_SENT_REPR_EMAIL = 0x0065
P_CONVERSATION_TOPIC = 0x0070
P_CONVERSATION_INDEX = 0x0071
P_TRANSPORT_HEADERS = 0x007D
P_RECIPIENT_TYPE = 0x0C15
P_SENDER_NAME = 0x0C1A
P_SENDER_EMAIL = 0x0C1F
P_DELIVERY = 0x0E06
P_INTERNET_MESSAGE_ID = 0x1035
P_IN_REPLY_TO = 0x1042
P_DISPLAY_NAME = 0x3001
P_EMAIL_ADDRESS = 0x3003
P_CREATION = 0x3007
P_CONVERSATION_ID = 0x3013
P_ATTACH_FILENAME = 0x3704
P_ATTACH_METHOD = 0x3705
P_ATTACH_LONG_FILENAME = 0x3707
P_ATTACH_MIME = 0x370E
P_ATTACH_FLAGS = 0x3714
P_ATTACH_HIDDEN = 0x7FFE
P_SMTP_ADDRESS = 0x39FE
P_SENDER_SMTP = 0x5D01
P_IPM_SUBTREE_ENTRYID = 0x35E0
P_PST_PASSWORD = 0x67FF

_STRING_TYPES = (0x1E, 0x1F)


def props(obj: Any) -> dict[int, Any]:
    """The entries of the first record set of a libpff object, by property id."""
    out: dict[int, Any] = {}
    try:
        if obj.number_of_record_sets < 1:
            return out
        for e in obj.get_record_set(0).entries:
            out.setdefault(e.entry_type, e)
    except OSError:
        pass
    return out


def pval(entries: dict[int, Any], tag: int) -> Any:
    """A property value as Python: str for strings, int, datetime (naive UTC), bool or bytes."""
    e = entries.get(tag)
    if e is None:
        return None
    try:
        vt = e.value_type
        if vt in _STRING_TYPES:
            return e.data_as_string
        if vt in (0x02, 0x03, 0x14):
            return e.data_as_integer
        if vt == 0x40:
            return e.data_as_datetime
        if vt == 0x0B:
            return e.data_as_boolean
        return e.data
    except (OSError, ValueError, TypeError):
        return None


def pstr(entries: dict[int, Any], tag: int) -> str:
    v = pval(entries, tag)
    return v.strip() if isinstance(v, str) else ""


@dataclass
class Counts:
    read: int = 0
    failed: int = 0
    skipped: dict[str, int] | None = None

    def skip(self, cls: str) -> None:
        self.skipped = self.skipped or {}
        self.skipped[cls or "(no class)"] = self.skipped.get(cls or "(no class)", 0) + 1


class _AttachmentStream(io.RawIOBase):
    """A libpff attachment as a binary stream, read in chunks (for Sink.keep)."""

    def __init__(self, att: Any, size: int):
        self.att, self.size, self.pos = att, size, 0
        att.seek_offset(0)

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        n = min(len(b), self.size - self.pos)
        if n <= 0:
            return 0
        chunk = self.att.read_buffer(n)
        b[: len(chunk)] = chunk
        self.pos += len(chunk)
        return len(chunk)


def _decode_body(data: Any) -> str:
    if not data:
        return ""
    if isinstance(data, str):
        return data
    from woo_collector.text import decode_bytes

    return decode_bytes(bytes(data), "utf-8")[0]


class PstConnector(FileConnector):
    name = "pst"
    description = "Outlook .pst/.ost data files (e.g. eDiscovery exports), folder by folder"
    extensions = (".pst", ".ost")

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return 0.3 if any(p.suffix.lower() in cls.extensions for p in path.rglob("*")) else 0.0
        if head[:4] == PST_MAGIC and head[8:10] in (b"SM", b"SO"):
            return 0.95
        return 0.3 if path.suffix.lower() in cls.extensions else 0.0

    # one PST ----------------------------------------------------------------------------------
    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        import pypff

        with open(path, "rb") as f:
            head = f.read(16)
        if head[:4] != PST_MAGIC:
            raise _error("this is not an Outlook data file (.pst/.ost): it does not start with '!BDN'; the file is kept", path, sha)
        pst = pypff.file()
        try:
            pst.open(str(path))
        except (OSError, IOError, ValueError) as e:
            raise _error(f"this PST is damaged or truncated and cannot be opened ({_short(e)}); the file is kept as it is. "
                         + "Ask IT for a fresh export, or repair a copy with Outlook's scanpst.exe and import that", path, sha) from e
        try:
            store = props(pst.message_store) if pst.message_store is not None else {}
            if pval(store, P_PST_PASSWORD):
                raise _error("this PST is protected with a password; woo-collector does not read protected PSTs. "
                             + "Open it in Outlook, remove the password (Data File Settings > Change Password, "
                             + "leave the new password empty) and import it again, or ask IT for an export without a password", path, sha)
            subtree = _nid(pval(store, P_IPM_SUBTREE_ENTRYID))
            counts = Counts()
            try:
                root = pst.root_folder
            except OSError as e:
                raise _error(f"this PST is damaged: its folder tree cannot be read ({_short(e)}); the file is kept as it is", path, sha) from e
            yield from self.read_tree(root, subtree, path, sha, counts)
        finally:
            pst.close()
        skipped = counts.skipped or {}
        if skipped:
            log.warning("%s: items not indexed (kept in the PST): %s",
                        path, ", ".join(f"{n} x {c}" for c, n in sorted(skipped.items())))
        yield Checkpoint(f"pst-skipped:{sha}", json.dumps(skipped, sort_keys=True))

    def read_tree(self, root: Any, subtree: int | None, path: Path, sha: str, counts: "Counts") -> Iterator[Yield]:
        """Every folder below ``root`` (a libpff folder, or anything shaped like one), depth first."""
        yield from self._folder(root, [], [], subtree, False, path, sha, counts)

    def _folder(self, folder: Any, names: list[str], raw: list[str], subtree: int | None, in_ipm: bool, path: Path,
                sha: str, counts: Counts) -> Iterator[Yield]:
        """One folder's messages (checkpointed), then its subfolders; ``names`` is the path shown, ``raw`` the full one."""
        try:
            ident = folder.identifier
        except OSError:
            ident = None
        if subtree is not None and ident == subtree:
            in_ipm, names = True, []  # "Top of Personal Folders" / "Top of Information Store" is not part of the path
        folder_path = "/".join(names)
        if not folder_path and in_ipm and ident == subtree:  # mail kept in the top folder itself
            folder_path = (_safe(lambda: folder.name) or "").replace("/", "\u2215")
        key = f"pst:{sha}:{'/'.join(raw)}"
        saved = self.sink.state(key)
        if saved is not None:
            for cls, n in json.loads(saved or "{}").items():
                for _ in range(n):
                    counts.skip(cls)
        else:
            mine = Counts()
            for y in self._messages(folder, folder_path, in_ipm, path, sha, mine):
                if isinstance(y, Failure):
                    mine.failed += 1
                yield y
            for cls, n in (mine.skipped or {}).items():
                for _ in range(n):
                    counts.skip(cls)
            counts.failed += mine.failed
            if not mine.failed:  # a folder with failures is read again by the next run
                yield Checkpoint(key, json.dumps(mine.skipped or {}, sort_keys=True))
        try:
            n_sub = folder.number_of_sub_folders
        except OSError as e:
            counts.failed += 1
            yield Failure(str(path), f"the subfolders of folder '{folder_path or '/'}' cannot be read: {_short(e)}", folder_path, sha)
            return
        for i in range(n_sub):
            try:
                sub = folder.get_sub_folder(i)
                name = (sub.name or f"map {i + 1}").replace("/", "\u2215")
            except OSError as e:
                counts.failed += 1
                yield Failure(str(path), f"subfolder {i + 1} of '{folder_path or '/'}' cannot be read: {_short(e)}", folder_path, sha)
                continue
            yield from self._folder(sub, names + [name], raw + [name], subtree, in_ipm, path, sha, counts)

    def _messages(self, folder: Any, folder_path: str, in_ipm: bool, path: Path, sha: str, counts: Counts) -> Iterator[Yield]:
        try:
            n = folder.number_of_sub_messages
        except OSError as e:
            yield Failure(str(path), f"the messages of folder '{folder_path or '/'}' cannot be listed: {_short(e)}", folder_path, sha)
            return
        for i in range(n):
            locator = f"{folder_path}/{i + 1}"
            try:
                m = folder.get_sub_message(i)
                ident = m.identifier
                locator = f"{folder_path}/{ident}"
                entries = props(m)
                cls = pstr(entries, P_MESSAGE_CLASS)
            except OSError as e:
                yield Failure(str(path), f"message {i + 1} of folder '{folder_path or '/'}' cannot be read (damaged or truncated PST): {_short(e)}", locator, sha)
                continue
            lower = cls.lower()
            is_teams = lower.startswith(_TEAMS_CLASS)
            if not hasattr(m, "plain_text_body") or not (is_teams or lower.startswith(_MAIL_CLASSES)):
                counts.skip(cls)
                continue
            try:
                parsed = self._parse(m, entries, path, 0)
            except OSError as e:
                yield Failure(str(path), f"message '{pstr(entries, P_SUBJECT)}' cannot be read (damaged or truncated PST): {_short(e)}", locator, sha)
                continue
            counts.read += 1
            extra: dict[str, Any] = {"pst_identifier": ident, "in_ipm_subtree": in_ipm}
            kind = "email"
            if is_teams:
                kind = "chat"
                conv_id = pval(entries, P_CONVERSATION_ID)
                topic = pstr(entries, P_CONVERSATION_TOPIC)
                if isinstance(conv_id, bytes) and conv_id:
                    parsed.conversation = "teams:" + conv_id.hex()
                elif topic:
                    parsed.conversation = "teams:topic:" + topic
                if not parsed.subject and topic:
                    parsed.subject = topic
            yield from build_items(self, parsed, sha, str(path), locator, ("pst", sha, ident), kind=kind,
                                   folder=folder_path, platform="teams" if is_teams else "", extra=extra)

    # one message ------------------------------------------------------------------------------
    def _parse(self, m: Any, entries: dict[int, Any], path: Path, depth: int) -> Parsed:
        p = Parsed(message_class=pstr(entries, P_MESSAGE_CLASS))
        headers: Message | None = None
        raw_headers = pstr(entries, P_TRANSPORT_HEADERS)
        if raw_headers:
            headers = HeaderParser(policy=compat32).parsestr(raw_headers)
        p.subject = tidy(_safe(lambda: m.subject) or "") or (decode_header(headers.get("Subject")) if headers is not None else "")
        p.sender = ""
        if headers is not None and headers.get("From"):
            found = parse_addresses(headers.get_all("From", []))
            p.sender = found[0] if found else ""
        if not p.sender:
            p.sender = address(pstr(entries, P_SENDER_NAME) or pstr(entries, P_SENT_REPR_NAME),
                               pstr(entries, P_SENDER_SMTP) or pstr(entries, P_SENDER_EMAIL) or pstr(entries, P_SENT_REPR_EMAIL))
        p.to, p.cc, p.bcc = _recipients(m, headers)
        submit = utc(_as_dt(pval(entries, P_CLIENT_SUBMIT)))
        delivery = utc(_as_dt(pval(entries, P_DELIVERY)))
        header_date = parse_date(decode_header(headers.get("Date"))) if headers is not None else None
        p.sent = submit or header_date or delivery
        p.received = delivery
        created = utc(_as_dt(pval(entries, P_CREATION)))
        if created:
            p.meta["created"] = created.isoformat()
        mid = (headers.get("Message-ID") if headers is not None else None) or pstr(entries, P_INTERNET_MESSAGE_ID)
        p.message_id = " ".join(str(mid or "").split())
        p.in_reply_to = pstr(entries, P_IN_REPLY_TO)
        index = pval(entries, P_CONVERSATION_INDEX)
        p.conversation = conversation_key(index if isinstance(index, bytes) else None, headers, p.message_id)
        topic = pstr(entries, P_CONVERSATION_TOPIC)
        if topic:
            p.meta["conversation_topic"] = topic
        p.meta["transport_headers"] = bool(raw_headers)

        plain = _decode_body(_safe(lambda: m.plain_text_body))
        html = _safe(lambda: m.html_body)
        rtf = _safe(lambda: m.rtf_body)
        p.body, p.body_format = choose_body(plain, html, rtf)
        if p.message_class.lower().startswith("ipm.note.smime"):
            from connectors.support.mapi import SMIME_NOTE_ENCRYPTED, SMIME_NOTE_SIGNED

            signed = p.message_class.lower().endswith("multipartsigned")
            p.meta["smime"] = "signed" if signed else "encrypted-or-opaque"
            note = SMIME_NOTE_SIGNED if signed else SMIME_NOTE_ENCRYPTED
            p.body = (note + "\n\n" + p.body).strip()
        n_att = _safe(lambda: m.number_of_attachments) or 0
        for i in range(n_att):
            p.attachments.append(self._attachment(m, i, path, depth))
        return p

    def _attachment(self, m: Any, i: int, path: Path, depth: int) -> Attachment:
        try:
            att = m.get_attachment(i)
        except OSError as e:
            return Attachment(f"bijlage-{i + 1}", problem=f"attachment cannot be read: {e}")
        entries = props(att)
        name = pstr(entries, P_ATTACH_LONG_FILENAME) or pstr(entries, P_ATTACH_FILENAME) or pstr(entries, P_DISPLAY_NAME) or f"bijlage-{i + 1}"
        ctype = pstr(entries, P_ATTACH_MIME)
        inline = bool(pval(entries, P_ATTACH_HIDDEN)) or bool((pval(entries, P_ATTACH_FLAGS) or 0) & 0x4)
        method = pval(entries, P_ATTACH_METHOD) or 1
        if method == 5:  # an attached Outlook item
            inner = None
            try:
                if att.number_of_sub_items:
                    inner = att.get_sub_item(0)
            except OSError:
                inner = None
            name = name if name.lower().endswith(".msg") else name + ".msg"
            if not hasattr(inner, "plain_text_body"):
                return Attachment(name, "application/vnd.ms-outlook", inline=inline,
                                  problem="attached Outlook item cannot be read from the PST")
            if depth >= MAX_DEPTH:
                return Attachment(name, "application/vnd.ms-outlook", inline=inline, problem="attached messages nested too deep")
            try:
                parsed = self._parse(inner, props(inner), path, depth + 1)
            except OSError as e:
                return Attachment(name, "application/vnd.ms-outlook", inline=inline, problem=f"attached message cannot be read: {e}")
            return Attachment(name, "application/vnd.ms-outlook", inline=inline, embedded=parsed)
        try:
            size = att.size
        except OSError as e:
            return Attachment(name, ctype, inline=inline, problem=f"attachment has no readable data (method {method}): {e}")
        if not size:
            return Attachment(name, ctype, inline=inline, problem=f"attachment has no data (method {method}: a link or an OLE object)")
        try:
            if size > MAX_ATTACHMENT_TEXT:
                sha = self.sink.keep(_AttachmentStream(att, size), name)
                return Attachment(name, ctype, inline=inline, sha256=sha, size=size,
                                  problem=f"attachment of {size} bytes kept but not text-extracted (larger than {MAX_ATTACHMENT_TEXT})")
            att.seek_offset(0)
            chunks, got = [], 0
            while got < size:
                chunk = att.read_buffer(min(CHUNK, size - got))
                if not chunk:
                    break
                chunks.append(chunk)
                got += len(chunk)
            data = b"".join(chunks)
        except OSError as e:
            return Attachment(name, ctype, inline=inline, problem=f"attachment cannot be read (damaged PST): {e}")
        return Attachment(name, ctype, data, inline)


def _recipients(m: Any, headers: Message | None) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    out: dict[int, list[str]] = {1: [], 2: [], 3: []}
    rc = _safe(lambda: m.recipients)
    if rc is not None:
        for i in range(_safe(lambda: rc.number_of_record_sets) or 0):
            try:
                rs = rc.get_record_set(i)
                entries = {e.entry_type: e for e in rs.entries}
            except OSError:
                continue
            kind = (pval(entries, P_RECIPIENT_TYPE) or 1) & 0x0F
            a = address(pstr(entries, P_DISPLAY_NAME), pstr(entries, P_SMTP_ADDRESS) or pstr(entries, P_EMAIL_ADDRESS))
            if a:
                out.setdefault(kind, []).append(a)
    if headers is not None:
        for kind, hname in ((1, "To"), (2, "Cc"), (3, "Bcc")):
            if not out[kind]:
                out[kind] = list(parse_addresses(headers.get_all(hname, []) or []))
    return tuple(out[1]), tuple(out[2]), tuple(out[3])


def _nid(entry_id: Any) -> int | None:
    """The node id at the end of a PST entry id (4 flag bytes, 16 provider bytes, 4 NID bytes)."""
    if isinstance(entry_id, bytes) and len(entry_id) >= 24:
        return int.from_bytes(entry_id[20:24], "little")
    return None


def _as_dt(v: Any) -> datetime | None:
    return v if isinstance(v, datetime) else None


def _safe(fn):
    """A libpff getter that raises OSError on a damaged item gives None instead."""
    try:
        return fn()
    except OSError:
        return None


def _short(e: BaseException) -> str:
    """libpff chains every layer's message; the first two say what went wrong."""
    parts = [x.strip() for x in str(e).split(". ") if x.strip()]
    return ". ".join(parts[:2])[:300]


def _error(reason: str, path: Path, sha: str) -> ConnectorError:
    e = ConnectorError(reason, str(path))
    e.sha256 = sha  # the original is kept; a folder import reports it as a Failure with this sha
    return e

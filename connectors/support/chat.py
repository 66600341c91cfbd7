"""Helpers shared by the chat connectors (whatsapp, sms, teams, signal, telegram).

Plain functions: reading untrusted JSON without crashing (whole, salvaged, streamed array by array,
or line by line), times from epochs and local clocks, phone numbers as comparable keys, and chat
media: every file sent in a chat message (a photo, a PDF, a voice note, an MMS part) is read once
with ``read_medium`` (its text through ``connectors.support.documents``, where it has any) and
becomes an ``attachment`` item of its message and conversation through ``media_items``, the one way
all chat connectors do it. The loop over files (keep, skip, checkpoint, retry) is
``connectors.base.FileConnector``'s.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from dataclasses import dataclass, field
from typing import Any, Iterable, Iterator, Mapping
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from woo_collector.dates import DEFAULT_TIMEZONE
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item
from woo_collector.text import filetype_of

DEFAULT_TZ = DEFAULT_TIMEZONE
MAX_JSON = 512 * 1024 * 1024  # a JSON document larger than this is kept, not parsed
_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)


# untrusted values ---------------------------------------------------------------------------------
def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def as_list(value: Any) -> list:
    return value if isinstance(value, list) else []


def as_str(value: Any) -> str:
    """A string field: None and non-strings (numbers excepted) become ''."""
    if isinstance(value, str):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(value)
    return ""


def load_json(data: bytes, path: Path | str) -> Any:
    """Parse a JSON document; ConnectorError naming the file and the place when it is broken."""
    text = data.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(text)
    except json.JSONDecodeError as e:
        raise ConnectorError(f"not valid JSON: {e.msg} at line {e.lineno} column {e.colno}", path) from None
    except (ValueError, RecursionError) as e:  # absurd numbers, absurd nesting
        raise ConnectorError(f"JSON cannot be read: {type(e).__name__}: {str(e)[:200]}", path) from None


def salvage_array(text: str, start: int) -> tuple[list, int]:
    """Elements of a JSON array read one by one from ``text[start]`` (just after its '[').

    Returns (elements read, position of the first damage or -1 when the array is whole): a
    truncated or damaged document still gives every element before the damage.
    """
    decoder = json.JSONDecoder()
    out: list = []
    i, n = start, len(text)
    while True:
        i = _skip_ws(text, i)
        if i < n and text[i] == "]":
            return out, -1
        try:
            value, i = decoder.raw_decode(text, i)
        except (ValueError, RecursionError):
            return out, i
        out.append(value)
        i = _skip_ws(text, i)
        if i < n and text[i] == ",":
            i += 1
        elif i < n and text[i] == "]":
            return out, -1
        else:
            return out, i


def _skip_ws(text: str, i: int) -> int:
    while i < len(text) and text[i] in " \t\r\n":
        i += 1
    return i


def line_of(text: str, pos: int) -> int:
    return text.count("\n", 0, max(pos, 0)) + 1


def load_json_line(line: bytes | str) -> tuple[Any, str]:
    """One JSON Lines record: (value, '') or (None, reason)."""
    if isinstance(line, bytes):
        line = line.decode("utf-8-sig", errors="replace")
    try:
        return json.loads(line), ""
    except json.JSONDecodeError as e:
        return None, f"not valid JSON: {e.msg} at column {e.colno}"
    except (ValueError, RecursionError) as e:
        return None, f"JSON cannot be read: {type(e).__name__}"


# times --------------------------------------------------------------------------------------------
def zone(name: str) -> ZoneInfo:
    """The time zone a device clock was set to: the source's ``timezone`` setting, by default the
    workspace's (``SourceSpec.timezone``)."""
    try:
        return ZoneInfo(name or DEFAULT_TZ)
    except (ZoneInfoNotFoundError, ValueError):
        raise ConnectorError(f"unknown time zone {name!r} in setting 'timezone' (use e.g. {DEFAULT_TZ})") from None


def from_epoch_ms(value: Any) -> datetime | None:
    """UTC time from milliseconds since 1970 (int or digit string); None when it cannot be one."""
    try:
        ms = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return _from_ms(ms)


def from_epoch_s(value: Any) -> datetime | None:
    """UTC time from seconds since 1970 (int or digit string); None when it cannot be one."""
    try:
        s = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return _from_ms(s * 1000) if abs(s) < 10**13 else None


def _from_ms(ms: int) -> datetime | None:
    if ms <= 0 or ms > 253_402_300_799_000:  # after 1970, before the year 10000
        return None
    return _EPOCH + timedelta(milliseconds=ms)


def local_to_utc(naive: datetime, tz: ZoneInfo) -> datetime:
    """A wall-clock time as a device showed it, in UTC (the first of two readings in the autumn hour)."""
    return naive.replace(tzinfo=tz).astimezone(timezone.utc)


_MISSING_T = re.compile(r"^(\d{4}-\d{2}-\d{2})(\d{2}:\d{2})")


def parse_iso(value: Any, tz: ZoneInfo | None = None) -> tuple[datetime | None, bool]:
    """An ISO 8601 time as (UTC datetime, repaired); (None, False) when it cannot be read.

    Repairs the one known defect that is unambiguous: a missing 'T' between date and clock
    (``2021-03-1706:47:05.123Z``, in Microsoft's own Graph documentation). A time without offset
    is read in ``tz`` (UTC when None).
    """
    s = as_str(value).strip()
    if not s or len(s) > 64:
        return None, False
    repaired = False
    m = _MISSING_T.match(s)
    if m:
        s = f"{m.group(1)}T{s[m.end(1):]}"
        repaired = True
    if s.endswith(("Z", "z")):
        s = s[:-1] + "+00:00"
    try:
        dt = datetime.fromisoformat(s)
    except ValueError:
        return None, False
    if dt.tzinfo is None:
        dt = local_to_utc(dt, tz) if tz is not None else dt.replace(tzinfo=timezone.utc)
    try:
        return dt.astimezone(timezone.utc), repaired
    except (OverflowError, ValueError):
        return None, False


# phone numbers ------------------------------------------------------------------------------------
@lru_cache(maxsize=65536)
def phone_key(number: str, region: str = "NL") -> str:
    """A phone number as a comparable key (E.164 where it is a valid number: '06-1234 5678' -> '+31612345678').

    A number written with its country code (``+1 555 000 0001``) is written E.164 as it stands; one
    without that is not valid in ``region`` (``4115555555``, a foreign number without ``+``) keeps
    its digits as written: no country code is invented for it. Anything that is not a phone number
    (an e-mail address, an RCS group id, a short code) is returned trimmed and lower-cased.
    """
    raw = "".join(ch for ch in number if ch not in "\u200e\u200f\u202a\u202c\u00a0").strip()
    digits = re.sub(r"[\s\-().]", "", raw)
    if not re.fullmatch(r"\+?\d{6,17}", digits):
        return raw.lower()
    try:
        import phonenumbers

        parsed = phonenumbers.parse(digits, region)
        if phonenumbers.is_valid_number(parsed) or (digits.startswith("+") and phonenumbers.is_possible_number(parsed)):
            return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)
    except Exception:  # phonenumbers raises its own NumberParseException and more on odd input
        pass
    return digits


# streaming JSON arrays ------------------------------------------------------------------------------
class JsonStreamError(Exception):
    """A streamed JSON document is damaged or cut off at byte ``offset``."""

    def __init__(self, reason: str, offset: int):
        super().__init__(reason)
        self.reason = reason
        self.offset = offset


_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]', re.S)
_READ = 256 * 1024
MAX_ELEMENT = 64 * 1024 * 1024  # one array element (a message) larger than this is damage


def stream_arrays(f, key: str) -> Iterator[tuple[str, Any]]:
    """Stream the elements of every array under ``"<key>": [`` in a JSON document, holding one at a time.

    Yields ``("open", text before the array since the previous one)`` (for headers such as a
    chat's name and id), then ``("item", element)`` per element, ``("close", None)``, and at the
    end ``("end", text after the last array)``. Raises
    JsonStreamError at the first damage (elements before it have been yielded), or when the
    document does not end where its brackets say it ends (a cut-off file).
    """
    import codecs

    opener = re.compile(r'"%s"\s*:\s*\[' % re.escape(key))
    decoder = json.JSONDecoder()
    text = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buf, base, eof, depth, first = "", 0, False, 0, True  # base: characters consumed before buf

    def more() -> bool:
        nonlocal buf, eof, first
        if eof:
            return False
        chunk = f.read(_READ)
        piece = text.decode(chunk, final=not chunk)
        if first:
            piece, first = piece.lstrip("\ufeff"), False
        buf += piece
        eof = not chunk
        return True

    def count(segment: str) -> None:
        nonlocal depth
        for tok in _TOKEN.findall(segment):
            if tok in ("{", "["):
                depth += 1
            elif tok in ("}", "]"):
                depth -= 1
                if depth < 0:
                    raise JsonStreamError("a closing bracket without an opening one", base)

    more()
    while True:
        m = opener.search(buf)
        if not m:
            if len(buf) > MAX_ELEMENT:
                raise JsonStreamError(f"no '{key}' array in {MAX_ELEMENT} characters", base)
            if more():
                continue
            count(buf)
            yield "end", buf
            if depth != 0 or not buf.strip():
                raise JsonStreamError("the document breaks off (brackets left open)" if buf.strip() else
                                      "the document is empty", base + len(buf))
            return
        segment = buf[: m.start()]
        count(segment)
        yield "open", segment
        base, buf, i = base + m.end(), buf[m.end():], 0
        while True:
            i = _skip_ws(buf, i)
            while i >= len(buf) and more():
                i = _skip_ws(buf, i)
            if i < len(buf) and buf[i] == "]":
                i += 1
                break
            try:
                value, end = decoder.raw_decode(buf, i)
            except (ValueError, RecursionError) as e:
                pos = getattr(e, "pos", i)
                near_end = pos >= len(buf) - 8 or "Unterminated" in str(e)
                if near_end and len(buf) - i < MAX_ELEMENT and more():
                    continue
                raise JsonStreamError(f"{getattr(e, 'msg', type(e).__name__)}", base + pos) from None
            yield "item", value
            i = _skip_ws(buf, end)
            while i >= len(buf) and more():
                i = _skip_ws(buf, i)
            if i < len(buf) and buf[i] == ",":
                i += 1
            elif i < len(buf) and buf[i] == "]":
                i += 1
                break
            else:
                raise JsonStreamError("expected ',' or ']' between array elements", base + i)
            if i > _READ:
                base, buf, i = base + i, buf[i:], 0
        base, buf = base + i, buf[i:]
        yield "close", None


MAX_LINE = 64 * 1024 * 1024  # a JSON Lines record longer than this is damage, not a message


def iter_lines(f, limit: int = MAX_LINE) -> Iterator[tuple[int, bytes | None]]:
    """(line number, line) of a binary file; line is None for a line over ``limit`` bytes (skipped unread)."""
    lineno = 0
    while True:
        line = f.readline(limit + 1)
        if not line:
            return
        lineno += 1
        if len(line) > limit and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):
                line = f.readline(1 << 20)
            yield lineno, None
            continue
        yield lineno, line


# media ----------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Medium:
    """One file sent in a chat message, kept in the store bit for bit under ``sha256``, with its text."""

    name: str
    sha256: str
    size: int
    locator: str = ""  # where inside the export it was (a zip member, an MMS part); the name when ""
    content_type: str = ""
    text: str = ""  # what document extraction read from it ("" for a photo, a voice note, a video)
    filetype: str = "other"  # the inventory's word: pdf, doc, image, audio, video, ...
    meta: Mapping[str, Any] = field(default_factory=dict)  # the document's own metadata (doc_author, ...)
    problem: str = ""  # why its text could not be read (a protected or broken document)


def read_medium(name: str, sha256: str, data: bytes | Path, size: int = -1, *, locator: str = "",
                content_type: str = "") -> Medium:
    """A kept medium with the text ``connectors.support.documents.extract_text`` reads from it.

    ``data`` is its bytes or the path of its file. Only a medium that is a document by its content or
    name (PDF, Office, OpenDocument, RTF, HTML, text) is read whole; a photo or a video is not read
    again. A document that cannot be read gives ``problem`` (the medium stays an item, without text).
    """
    from connectors.support.documents import MAX_DOCUMENT, document_kind, extract_text

    if size < 0:
        size = len(data) if isinstance(data, bytes) else _size(data)
    if isinstance(data, Path):
        try:
            with open(data, "rb") as f:
                head = f.read(1024)
        except OSError as e:
            return Medium(name, sha256, size, locator, content_type, filetype=filetype_of(name),
                          problem=f"cannot be read: {e.strerror or e}")
    else:
        head = data[:1024]
    if not document_kind(name, head, content_type):  # a zip is read whole: it may be an Office document without its extension
        ft = filetype_of(name)
        if ft == "other" and content_type:
            ft = _content_filetype(content_type)
        return Medium(name, sha256, size, locator, content_type, filetype=ft)
    if size > MAX_DOCUMENT:
        return Medium(name, sha256, size, locator, content_type, filetype=filetype_of(name),
                      problem=f"document of {size} bytes is larger than {MAX_DOCUMENT} bytes; kept, text not extracted")
    try:
        raw = data.read_bytes() if isinstance(data, Path) else data
        ex = extract_text(name, raw, content_type)
    except ConnectorError as e:
        return Medium(name, sha256, size, locator, content_type, filetype=filetype_of(name), problem=e.reason)
    except OSError as e:
        return Medium(name, sha256, size, locator, content_type, filetype=filetype_of(name),
                      problem=f"cannot be read: {e.strerror or e}")
    return Medium(name, sha256, size, locator, content_type, ex.text, ex.filetype,
                  {f"doc_{k}": v for k, v in ex.meta.items()})


def _size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _content_filetype(content_type: str) -> str:
    major = content_type.split("/", 1)[0].lower()
    return {"image": "image", "audio": "audio", "video": "video"}.get(major, "other")


def media_items(conn: Any, message: Item, media: Iterable[Medium]) -> Iterator[Item]:
    """The ``attachment`` items of the media sent with ``message``, in the order sent.

    Each is an item of the message's conversation (same ``conversation``, ``sent``, sender,
    recipients, ``platform`` and ``seq``; ``parent`` is the message), so a request makes it a family
    member of its chat-day document. Its id is stable: the connector's ``item_id`` of
    ``<platform>-media``, the message's id and the medium's sha256 (and its place when one message
    sends the same file twice).
    """
    seen: dict[str, int] = {}
    for m in media:
        n = seen.get(m.sha256, 0)
        seen[m.sha256] = n + 1
        keys = (f"{message.platform}-media", message.id, m.sha256) + ((n,) if n else ())
        meta: dict[str, Any] = {"size": m.size, "conversation": str(message.meta.get("conversation") or message.subject)}
        if m.content_type:
            meta["content_type"] = m.content_type
        if m.problem:
            meta["problems"] = [m.problem]
        meta.update(m.meta)
        yield Item(
            id=conn.item_id(*keys), kind="attachment", source=message.source, custodian=message.custodian,
            sha256=m.sha256, sent=message.sent, sender=message.sender, recipients=message.recipients,
            subject=m.name, body=m.text, locator=m.locator or m.name, conversation=message.conversation,
            parent=message.id, filetype=m.filetype, platform=message.platform, seq=message.seq, meta=meta,
        )


def medium_failure(m: Medium, where: str, locator: str = "", sha: str = "") -> Failure | None:
    """The Failure listing a medium whose text could not be read (it is kept, and an item without text)."""
    if not m.problem:
        return None
    return Failure(where, f"medium {m.name}: {m.problem}", locator, sha)

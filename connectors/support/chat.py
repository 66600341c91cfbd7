"""Helpers shared by the chat connectors (sms, teams, signal, telegram).

Plain functions: reading untrusted JSON without crashing (whole, salvaged, streamed array by array,
or line by line), times from epochs and local clocks, phone numbers as comparable keys. The loop
over files (keep, skip, checkpoint, retry) is ``connectors.base.FileConnector``'s.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterator
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from woo_collector.dates import DEFAULT_TIMEZONE
from woo_collector.errors import ConnectorError

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

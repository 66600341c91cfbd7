"""``chattable``: chat messages exported as a table: a CSV, a JSON Lines file, or a zip of them.

What it is. Several chat tools hand their history over as a table with one row per message: a
time, an author, a text and (often) a conversation. The one Woo handlers meet most is Microsoft
Kaizala, the "governed WhatsApp" many Dutch municipalities used for field staff and crisis teams.
What public sources tell of its export (Microsoft's support article "Export or delete a user's
organizational data in Kaizala", and the retirement notices):

- an admin (global admin role) signed in to the Kaizala management portal (manage.kaiza.la),
  chose Reports > "Export tenant data", and got one archive file (a zip) holding several CSV files
  with all the data of the organisation's groups, telemetry of the use of the service included;
  Microsoft's advice was to filter those CSVs in Excel to find one user's data;
- users signed in with their mobile phone number, so authors may appear as phone numbers;
- a user could also export his own, private data from the mobile app;
- Kaizala was retired on 31 August 2023 (no new users from August 2022); its users moved to Teams,
  so what reaches a handler now is such an archive, kept since.

What is not known: Microsoft never published the CSVs' file names, columns, time format or
encoding, and no sample is public. This connector therefore does not rely on one layout: it reads
any chat table, recognises its columns by their header names (Dutch and English) or takes them
from settings, and reads times in the common notations. Tested on tables built the way such
exports are written (a zip of CSVs, one per group, UTF-8 with BOM, an ISO time with offset,
authors by name or phone number). A member of the zip that is not a chat table (a user list, a
telemetry table) is left out and named in the run's notes; the zip is kept whole in the store.

A tiny sample (``Team Wind.csv`` in the zip)::

    Date,Sender Name,Sender Phone,Message
    2025-03-11T09:14:00+01:00,Sanne de Vries,+31611111111,Staat de windturbine op de agenda?

How it is read:

- the file: ``.csv``/``.tsv``/``.txt`` (comma, semicolon or tab, sniffed from the header; UTF-8
  with or without BOM, UTF-16 with BOM, otherwise Windows-1252), ``.jsonl``/``.ndjson``/``.json``
  (one JSON object a line; its keys are the columns), or a ``.zip`` of them (each member checked
  by ``woo_collector.safezip``: a member with a hostile name, a link or a bomb fails alone);
- the columns: ``time_column``, ``author_column``, ``text_column``, ``conversation_column`` when
  set, otherwise recognised from the header (case, spaces and punctuation ignored): time
  ``time``/``tijd``/``datum``/``date``/``timestamp``/``sent``/``verzonden``/... (a separate date and
  clock column, ``Datum`` and ``Tijd``, are joined), author ``author``/``sender``/``afzender``/
  ``naam``/``name``/``from``/``van``/``user``/..., text ``text``/``message``/``bericht``/``body``/
  ``tekst``/``inhoud``/..., conversation ``conversation``/``chat``/``group``/``groep``/
  ``groepsnaam``/``channel``/``kanaal``/...; without a conversation column the file's (or
  member's) name is the conversation (``Team Wind.csv`` -> ``Team Wind``);
- times: ISO 8601 with or without offset (``2025-03-11T09:14:00+01:00``, ``2025-03-11 09:14``),
  seconds or milliseconds since 1970, ``11-03-2025 09:14``, ``11.03.2025 09:14:05``,
  ``3/11/2025 9:14 AM``, ``2025/03/11 09:14``, or ``time_format`` (a ``strftime`` pattern). A time
  without offset is read in the ``timezone`` setting (by default the workspace's). Whether
  ``03/04/2025`` is 3 April or 4 March is decided per file: ``date_order`` when set, else a day
  above 12 in the file, else month first when the times carry AM/PM (the US notation) and day
  first otherwise;
- a bad row (a time that cannot be read, no text and no author, a broken line of JSON, a row the
  CSV reader cannot split) is one Failure naming the file and its row (the header is row 1, as in
  a spreadsheet); a message whose time cannot be read is still taken in, without a time; the other
  columns of a row go into ``meta["columns"]``.

Settings (``--set KEY=VALUE``): ``timezone``, ``time_column``, ``author_column``, ``text_column``,
``conversation_column``, ``time_format``, ``date_order`` (``dmy``/``mdy``), ``platform`` (the
chat tool's name, e.g. ``kaizala``, shown in document titles).
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Any, BinaryIO, Callable, Iterator
from zoneinfo import ZoneInfo

from connectors.base import FileConnector, Yield
from connectors.support.chat import as_str, from_epoch_ms, from_epoch_s, iter_lines, load_json_line, local_to_utc, parse_iso, zone
from woo_collector.connector_settings import ConnectorSettings, setting
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item, stable_id
from woo_collector.safezip import Member, Refused, is_zip, open_member, open_zip
from woo_collector.text import identity

TABLE_SUFFIXES = (".csv", ".tsv", ".txt")
JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
MAX_TABLE = 4 * 1024**3  # bytes of one member streamed
MAX_FIELD = 16 * 1024 * 1024  # characters of one cell
SNIFF = 64 * 1024

# Header names per role, compared without case, spaces or punctuation ("Sender Name" = "sendername").
TIMESTAMP_NAMES = ("timestamp", "datetime", "datumtijd", "tijdstempel", "time", "tijd", "sent", "senttime", "sentat",
                   "verzonden", "verzondenop", "createdat", "created", "createdon", "createddatetime", "aangemaakt",
                   "messagetime", "berichttijd", "when", "posted", "postedat", "datumentijd", "datetimeutc", "timeutc")
DATE_NAMES = ("date", "datum", "day", "dag", "messagedate", "sentdate", "berichtdatum")
CLOCK_NAMES = ("time", "tijd", "tijdstip", "clock", "hour", "uur")
AUTHOR_NAMES = ("author", "auteur", "sender", "sendername", "afzender", "naam", "name", "from", "van", "user",
                "username", "gebruiker", "gebruikersnaam", "displayname", "weergavenaam", "postedby", "createdby",
                "sentby", "verzondendoor", "member", "lid", "contact", "participant", "senderphone", "phone",
                "telefoon", "telefoonnummer", "mobile", "mobiel", "mobilenumber")
TEXT_NAMES = ("text", "message", "bericht", "body", "content", "inhoud", "tekst", "messagetext", "berichttekst",
              "messagebody", "messagecontent", "msg", "chatmessage", "comment", "opmerking")
CONVERSATION_NAMES = ("conversation", "conversationname", "gesprek", "chat", "chatname", "chatnaam", "group",
                      "groupname", "groep", "groepsnaam", "groepnaam", "channel", "channelname", "kanaal", "thread",
                      "room", "ruimte", "topic", "onderwerp", "conversationtitle", "chattitle", "grouptitle")
ID_NAMES = ("messageid", "id", "berichtid", "msgid", "uid")


@dataclass(frozen=True)
class ChatTableSettings(ConnectorSettings):
    """The settings of a chat table: which column is which, and how its times are written."""

    timezone: str = setting("", "the time zone of times written without offset (default: the workspace's), e.g. UTC")
    time_column: str = setting("", "header of the column with the message's time (default: recognised, e.g. Datum, Time)")
    author_column: str = setting("", "header of the column with the author (default: recognised, e.g. Afzender, Sender)")
    text_column: str = setting("", "header of the column with the text (default: recognised, e.g. Bericht, Message)")
    conversation_column: str = setting("", "header of the column with the conversation (default: recognised, e.g. "
                                           "Groep, Chat; without one the file name is the conversation)")
    time_format: str = setting("", "how times are written, as a strftime pattern (e.g. %d-%m-%Y %H:%M); default: recognised")
    date_order: str = setting("", "day or month first in dates such as 03/04/2025 (default: decided from the file)",
                              choices=("dmy", "mdy"))
    platform: str = setting("", "the chat tool's name (e.g. kaizala), shown in document titles")


def _norm(name: str) -> str:
    return re.sub(r"[\W_]+", "", identity(name).casefold())


@dataclass
class Columns:
    """Which header field plays which role (None: absent)."""

    time: str | None
    author: str | None
    text: str | None
    conversation: str | None = None
    clock: str | None = None  # a separate clock column joined to a date column
    ids: str | None = None

    def roles(self) -> set[str]:
        return {c for c in (self.time, self.author, self.text, self.conversation, self.clock, self.ids) if c}


def _pick(header: list[str], names: tuple[str, ...], taken: set[str]) -> str | None:
    normed = {h: _norm(h) for h in header if h not in taken}
    for want in names:  # the order of ``names`` is the preference
        for h, n in normed.items():
            if n == want:
                return h
    return None


def recognise(header: list[str], s: ChatTableSettings) -> tuple[Columns | None, str]:
    """The columns of a table (or None) and, when it is not a chat table, why (naming what is missing)."""
    present = {_norm(h): h for h in header}

    def given(value: str) -> str | None:
        if not value:
            return None
        return value if value in header else present.get(_norm(value), "")

    taken: set[str] = set()
    text = given(s.text_column)
    if text is None:
        text = _pick(header, TEXT_NAMES, taken)
    taken |= {text} if text else set()
    conv = given(s.conversation_column)
    if conv is None:
        conv = _pick(header, CONVERSATION_NAMES, taken)
    taken |= {conv} if conv else set()
    time = given(s.time_column)
    clock = None
    if time is None:
        time = _pick(header, tuple(n for n in TIMESTAMP_NAMES if n not in CLOCK_NAMES), taken)
        if time is None:
            day = _pick(header, DATE_NAMES, taken)
            clock = _pick(header, CLOCK_NAMES, taken | ({day} if day else set()))
            time = day or clock
            clock = clock if day else None
    taken |= {c for c in (time, clock) if c}
    author = given(s.author_column)
    if author is None:
        author = _pick(header, AUTHOR_NAMES, taken)
    taken |= {author} if author else set()
    ids = _pick(header, ID_NAMES, taken)
    missing = []
    for role, col, key in (("time", time, "time_column"), ("author", author, "author_column"),
                           ("text", text, "text_column")):
        if not col:
            missing.append(f"no {role} column ({'not in the header: ' + repr(getattr(s, key)) if col == '' else 'none recognised'};"
                           f" --set {key}=HEADER)")
    if s.conversation_column and conv == "":
        missing.append(f"no conversation column {s.conversation_column!r} in the header")
    if missing:
        shown = ", ".join(repr(h) for h in header[:20]) or "none"
        return None, "not a chat table: " + "; ".join(missing) + f"; its columns: {shown}"
    return Columns(time, author, text, conv or None, clock, ids), ""


# times ----------------------------------------------------------------------------------------------
_AMPM = r"(?P<ap>[AaPp]\.?\s?[Mm]\.?)"
_ZONE = r"(?P<z>Z|UTC|GMT|[+-]\d{2}:?\d{2})"
_DMY = re.compile(r"^(?P<a>\d{1,2})(?P<sep>[-./])(?P<b>\d{1,2})(?P=sep)(?P<y>\d{4}|\d{2})"
                  r"(?:[,T]?\s*(?:om\s+|at\s+)?(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2})(?:[.,]\d+)?)?\s*"
                  rf"{_AMPM}?\s*{_ZONE}?)?$")
_YMD = re.compile(r"^(?P<y>\d{4})(?P<sep>[/.])(?P<a>\d{1,2})(?P=sep)(?P<b>\d{1,2})"
                  r"(?:[,T]?\s*(?P<h>\d{1,2})[:.](?P<mi>\d{2})(?:[:.](?P<s>\d{2}))?\s*"
                  rf"{_AMPM}?\s*{_ZONE}?)?$")
_EPOCH = re.compile(r"^\d{9,13}(?:\.\d+)?$")


def order_evidence(value: str) -> tuple[str, bool]:
    """What one time says of the file's date order: ('dmy'|'mdy'|'', it carries AM/PM)."""
    m = _DMY.match(value.strip())
    if not m:
        return "", False
    a, b = int(m.group("a")), int(m.group("b"))
    return ("dmy" if a > 12 >= b else "mdy" if b > 12 >= a else ""), bool(m.group("ap"))


def decide_order(dmy: int, mdy: int, ampm: bool) -> str:
    if dmy and not mdy:
        return "dmy"
    if mdy and not dmy:
        return "mdy"
    return "mdy" if ampm and not dmy else "dmy"


def parse_time(value: str, tz: ZoneInfo, order: str = "dmy", fmt: str = "") -> datetime | None:
    """A table's time as UTC; None when it cannot be read. Naive times are read in ``tz``."""
    v = value.strip()
    if not v or len(v) > 64:
        return None
    if fmt:
        try:
            dt = datetime.strptime(v, fmt)
        except ValueError:
            return None
        return _utc(dt, tz)
    if _EPOCH.match(v):
        whole = v.split(".")[0]
        return from_epoch_ms(whole) if len(whole) >= 12 else from_epoch_s(whole)
    m = _DMY.match(v)
    ymd = m is None and (m := _YMD.match(v)) is not None
    if m:
        a, b, y = int(m.group("a")), int(m.group("b")), int(m.group("y"))
        y += 2000 if y < 100 else 0
        mo, d = (a, b) if ymd or order == "mdy" else (b, a)
        h = int(m.group("h") or 0)
        if m.group("ap"):
            if not 1 <= h <= 12:
                return None
            h = h % 12 + (12 if m.group("ap")[0] in "pP" else 0)
        try:
            dt = datetime(y, mo, d, h, int(m.group("mi") or 0), int(m.group("s") or 0))
        except ValueError:
            return None
        z = m.group("z")
        if z:
            z = "+00:00" if z in ("Z", "UTC", "GMT") else z
            try:
                dt = dt.replace(tzinfo=datetime.strptime(z.replace(":", ""), "%z").tzinfo)
            except ValueError:
                return None
        return _utc(dt, tz)
    dt, _ = parse_iso(v.replace(" UTC", "Z"), tz)
    return dt


def _utc(dt: datetime, tz: ZoneInfo) -> datetime | None:
    try:
        return (local_to_utc(dt, tz) if dt.tzinfo is None else dt.astimezone(timezone.utc))
    except (OverflowError, ValueError):
        return None


# tables ---------------------------------------------------------------------------------------------
@dataclass
class Table:
    """One table to read: a file, or a member of a zip."""

    label: str  # the file (and member) in Failures
    name: str  # its file name, for the conversation when no column names it
    opener: Callable[[], BinaryIO]
    jsonl: bool
    where: str = ""  # the member's name in locators ("" for a loose file)


@dataclass
class _State:
    seen: dict[str, dict[str, int]] = field(default_factory=dict)  # per conversation: keys of its current moment
    messages: int = 0


def _decoded(raw: BinaryIO) -> io.TextIOWrapper:
    head = raw.read(SNIFF)
    encoding = "utf-8-sig"
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        encoding = "utf-16"
    else:
        try:
            head[: len(head) - 4 if len(head) == SNIFF else len(head)].decode("utf-8")
        except UnicodeDecodeError:
            encoding = "cp1252"  # Excel's "CSV" on Windows
    return io.TextIOWrapper(io.BufferedReader(_Prefixed(head, raw)), encoding=encoding, errors="replace", newline="")


class _Prefixed(io.RawIOBase):
    """A stream whose first bytes were already read."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self.head, self.rest = head, rest

    def close(self) -> None:
        self.rest.close()
        super().close()

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self.head:
            n = min(len(b), len(self.head))
            b[:n], self.head = self.head[:n], self.head[n:]
            return n
        data = self.rest.read(len(b))
        b[: len(data)] = data
        return len(data)


def _dialect(sample: str) -> type[csv.Dialect] | csv.Dialect:
    first = sample.split("\n", 1)[0]
    counts = {d: first.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=counts.get)
    if not counts[best]:
        return csv.excel
    try:
        return csv.Sniffer().sniff(sample[:SNIFF], delimiters=best)
    except csv.Error:
        d = csv.excel()
        d.delimiter = best
        return d


def _csv_rows(table: Table) -> Iterator[tuple[int, list[str] | None, str]]:
    """(row number, cells, problem) of a CSV; row 1 is the header. A row the reader cannot split has
    cells None and the reason."""
    csv.field_size_limit(max(csv.field_size_limit(), MAX_FIELD))
    with _decoded(table.opener()) as text:
        yield from _split(table, text)


def _split(table: Table, text: io.TextIOWrapper) -> Iterator[tuple[int, list[str] | None, str]]:
    sample = text.read(SNIFF)
    rest = io.StringIO(sample)
    reader = csv.reader(_Chain(rest, text), _dialect(sample))
    row = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            row += 1
            yield row, None, f"the row cannot be split into cells: {e}"
            continue
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
            raise ConnectorError(f"cannot be read to the end: {e}", table.label, f"row {row + 1}") from e
        row += 1
        yield row, cells, ""


class _Chain:
    """Lines of the sniffed sample, then of the rest of the stream (csv.reader wants an iterator)."""

    def __init__(self, first: io.StringIO, rest: io.TextIOWrapper):
        self.parts = [first, rest]
        self.carry = ""

    def __iter__(self):
        return self

    def __next__(self) -> str:
        while self.parts:
            line = self.parts[0].readline(MAX_FIELD)
            if not line:
                self.parts.pop(0)
                continue
            if not line.endswith("\n") and len(self.parts) > 1:  # the sample ended mid-line
                self.carry += line
                continue
            line, self.carry = self.carry + line, ""
            return line
        if self.carry:
            line, self.carry = self.carry, ""
            return line
        raise StopIteration


class ChatTableConnector(FileConnector):
    name = "chattable"
    description = "chat messages as a table: CSV or JSON Lines, or a zip of them (a Kaizala admin export)"
    extensions = TABLE_SUFFIXES + JSONL_SUFFIXES + (".zip",)
    settings_class = ChatTableSettings

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return 0.0
        s = ChatTableSettings()
        suffix = path.suffix.lower()
        try:
            if is_zip(head):
                with zipfile.ZipFile(path) as zf:
                    names = [i for i in zf.infolist() if not i.is_dir()]
                    tables = [i for i in names if PurePosixPath(i.filename).suffix.lower() in TABLE_SUFFIXES + JSONL_SUFFIXES]
                    if not tables or len(tables) < len(names) / 2:
                        return 0.0
                    for info in tables[:5]:
                        with zf.open(info) as f:
                            if _header_of(f.read(SNIFF), PurePosixPath(info.filename).suffix.lower(), s):
                                return 0.65
                return 0.0
        except (OSError, zipfile.BadZipFile, EOFError, ValueError, NotImplementedError, RuntimeError, zlib.error):
            return 0.0  # a damaged or encrypted zip: not recognised here
        if suffix in TABLE_SUFFIXES + JSONL_SUFFIXES and _header_of(head, suffix, s):
            return 0.5 if suffix in JSONL_SUFFIXES else 0.7  # JSON lines: below signal's own data.json
        return 0.0

    def collect(self) -> Iterator[Yield]:
        if Path(self.spec.path).exists():
            self.tz = zone(self.settings.timezone or self.spec.timezone)
        yield from super().collect()

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        state = _State()
        with open(path, "rb") as f:
            zipped = is_zip(f.read(4))
        if not zipped:
            table = Table(str(path), path.name, lambda: open(path, "rb"), path.suffix.lower() in JSONL_SUFFIXES)
            reason = yield from self._table(table, sha, state)
            if reason:
                raise ConnectorError(reason, path)
            return
        refused: list[Refused] = []
        zf, members = open_zip(path, str(path), refused)
        with zf:
            for bad in refused:
                yield Failure(str(path), bad.reason, bad.name, sha)
            skipped: list[str] = []
            for m in members:
                suffix = PurePosixPath(m.name).suffix.lower()
                if suffix not in TABLE_SUFFIXES + JSONL_SUFFIXES:
                    skipped.append(m.name)
                    continue
                table = Table(str(path), PurePosixPath(m.name).name, _member_opener(zf, m, str(path)), suffix in JSONL_SUFFIXES,
                              where=m.name)
                try:
                    reason = yield from self._table(table, sha, state)
                except ConnectorError as e:  # this member cannot be read (corrupt, encrypted): it fails alone
                    yield Failure(str(path), e.reason, " ".join(p for p in (m.name, e.locator) if p), sha)
                    continue
                if reason:
                    skipped.append(m.name)
        if skipped:
            self.notes.append(f"{path.name}: left out as no chat tables (no time, author and text columns recognised; "
                              "--set time_column=, author_column=, text_column= name them): " + ", ".join(skipped[:20])
                              + (f" and {len(skipped) - 20} more" if len(skipped) > 20 else ""))
        if not state.messages and not refused:
            raise ConnectorError("no chat table in the zip (a table with a time, an author and a text column); "
                                 "name the columns with --set time_column=, author_column=, text_column=", path)

    # one table ------------------------------------------------------------------------------------
    def _table(self, table: Table, sha: str, state: _State):
        """Yield the items and Failures of one table; return why it is not a chat table ("" when it is)."""
        rows = self._json_rows(table) if table.jsonl else _csv_rows(table)
        header: list[str] | None = None
        cols: Columns | None = None
        order = self.settings.date_order
        if not order:
            order = self._order(table)
        for row, cells, problem in rows:
            if header is None:
                if problem or cells is None:
                    return f"its first row cannot be read ({problem})"
                if table.jsonl:
                    header = list(cells[0].keys()) if cells else []
                else:
                    header = [identity(c) for c in cells]
                cols, reason = recognise(header, self.settings)
                if cols is None:
                    return reason
                if not table.jsonl:
                    continue  # row 1 of a CSV is its header
            where = f"{table.where} row {row}" if table.where else f"row {row}"
            if problem:
                yield Failure(table.label, problem, where, sha)
                continue
            record = cells[0] if table.jsonl else dict(zip(header, cells))
            if not table.jsonl and len(cells) != len(header) and not (len(cells) == 1 and not cells[0].strip()):
                if not any(c.strip() for c in cells):
                    continue
                yield Failure(table.label, f"the row has {len(cells)} cells, the header {len(header)}; the row was left out",
                              where, sha)
                continue
            if not any(as_str(v).strip() for v in record.values()):
                continue  # an empty line
            yield from self._message(record, cols, table, where, order, sha, state)
        if header is None:
            return "it is empty"
        return ""

    def _json_rows(self, table: Table) -> Iterator[tuple[int, list | None, str]]:
        try:
            with table.opener() as raw:
                yield from self._json_lines(raw)
        except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
            raise ConnectorError(f"cannot be read to the end: {e}", table.label) from e

    @staticmethod
    def _json_lines(raw: BinaryIO) -> Iterator[tuple[int, list | None, str]]:
        for lineno, line in iter_lines(raw):
            if line is not None and not line.strip():
                continue
            if line is None:
                yield lineno, None, "a line too long to be a message"
                continue
            value, reason = load_json_line(line)
            if not reason and not isinstance(value, dict):
                reason = "a line that is not an object"
            yield lineno, (None if reason else [value]), reason

    def _order(self, table: Table) -> str:
        """Day or month first, from the table's own times (a first pass over its time column)."""
        if self.settings.time_format:
            return "dmy"
        dmy = mdy = 0
        ampm = False
        header: list[str] | None = None
        cols: Columns | None = None
        try:
            rows = self._json_rows(table) if table.jsonl else _csv_rows(table)
            for _row, cells, problem in rows:
                if problem or cells is None:
                    continue
                if header is None:
                    header = list(cells[0].keys()) if table.jsonl else [identity(c) for c in cells]
                    cols, _ = recognise(header, self.settings)
                    if cols is None:
                        return "dmy"
                    if not table.jsonl:
                        continue
                record = cells[0] if table.jsonl else dict(zip(header, cells))
                said, ap = order_evidence(as_str(record.get(cols.time)))
                dmy += said == "dmy"
                mdy += said == "mdy"
                ampm = ampm or ap or bool(cols.clock and re.search(r"[AaPp]\.?[Mm]", as_str(record.get(cols.clock))))
                if dmy and mdy:
                    break
        except ConnectorError:
            pass  # the reading pass reports it
        return decide_order(dmy, mdy, ampm)

    def _message(self, record: dict[str, Any], cols: Columns, table: Table, where: str, order: str, sha: str,
                 state: _State) -> Iterator[Yield]:
        written = as_str(record.get(cols.time)).strip()
        if cols.clock:
            written = f"{written} {as_str(record.get(cols.clock)).strip()}".strip()
        author = identity(as_str(record.get(cols.author)))
        text = as_str(record.get(cols.text)).replace("\r\n", "\n").strip()
        if not author and not text:
            yield Failure(table.label, "a row with neither an author nor a text; left out", where, sha)
            return
        conv_name = identity(as_str(record.get(cols.conversation))) if cols.conversation else ""
        conv_name = conv_name or _conversation_of(table.name)
        conv = "chattable:" + conv_name.casefold()
        sent = parse_time(written, self.tz, order, self.settings.time_format)
        extra = {k: as_str(v) for k, v in record.items() if k not in cols.roles() and as_str(v).strip()}
        meta: dict[str, Any] = {"conversation": conv_name, "time_as_written": written, "table": table.where or table.name}
        if extra:
            meta["columns"] = extra
        message_id = as_str(record.get(cols.ids)).strip() if cols.ids else ""
        key = message_id or self._key(state, conv, sent.isoformat() if sent else written, author, text)
        ident = stable_id("chattable", conv, sent.isoformat() if sent else written, author, text)
        state.messages += 1
        yield Item(
            id=self.item_id("chattable", conv, key), kind="chat", source=self.spec.name, custodian=self.spec.custodian,
            sha256=sha, sent=sent, sender=author, subject=conv_name, body=text, locator=where, conversation=conv,
            message_id=message_id, platform=self.settings.platform.lower() or "chattable", seq=state.messages,
            identity=ident, meta=meta,
        )
        if sent is None:
            yield Failure(table.label, f"unreadable time {written[:80]!r}; the message was kept without a time", where, sha)

    @staticmethod
    def _key(state: _State, conv: str, when: str, author: str, text: str) -> str:
        """Time, author and text; exact twins at one moment in one conversation are told apart by their order."""
        digest = hashlib.sha256(f"{author}\x1f{text}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
        key = f"{when}:{digest}"
        seen = state.seen.setdefault(conv, {})
        if not next(iter(seen), "").startswith(f"{when}:"):
            seen.clear()
        n = seen.get(key, 0)
        seen[key] = n + 1
        return key if n == 0 else f"{key}:{n}"


def _conversation_of(file_name: str) -> str:
    stem = PurePosixPath(file_name).stem
    return identity(stem.replace("_", " ")) or file_name


def _member_opener(zf: zipfile.ZipFile, m: Member, label: str) -> Callable[[], BinaryIO]:
    return lambda: _Guarded(open_member(zf, m, label, MAX_TABLE), m.name, label)


class _Guarded(io.RawIOBase):
    """A zip member's stream whose damage (a broken deflate stream, a bad CRC) is a ConnectorError of that member."""

    def __init__(self, raw: BinaryIO, name: str, label: str):
        self.raw, self.name, self.label = raw, name, label

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        try:
            data = self.raw.read(len(b))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, RuntimeError, zlib.error) as e:
            raise ConnectorError(f"zip member {self.name} cannot be read: {e}", self.label) from e
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


def _header_of(head: bytes, suffix: str, s: ChatTableSettings) -> bool:
    """Whether the first bytes of a file are a chat table's header (or first JSON line)."""
    if suffix in JSONL_SUFFIXES:
        value, reason = load_json_line(head.split(b"\n", 1)[0])
        return not reason and isinstance(value, dict) and recognise(list(value), s)[0] is not None
    try:
        text = head.decode("utf-16") if head[:2] in (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE) else head.decode("utf-8-sig", errors="replace")
        first = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), _dialect(text)))
    except (csv.Error, StopIteration, UnicodeDecodeError):
        return False
    return recognise([identity(c) for c in first], s)[0] is not None

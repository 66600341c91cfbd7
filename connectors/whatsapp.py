"""``whatsapp``: WhatsApp "Export chat" text, loose (``.txt``), zipped with media (``.zip``), or a folder.

How an official makes one: in the chat, Android "⋮ > Meer > Chat exporteren" (More > Export chat),
iOS "contact or group name > Exporteer chat"; "Zonder media" gives a ``.txt`` named
``WhatsApp-chat met X.txt`` / ``WhatsApp Chat with X.txt``, "Media toevoegen" a ``.zip`` holding
``_chat.txt`` (iOS) or ``WhatsApp Chat with X.txt`` (Android) with the photos and documents beside
it. ``spec.path`` is such a file or a folder; in a folder every ``.txt``/``.zip`` whose content is an
export is one export, and the other files beside it are its media.

What it looks like. One message starts on a line with a header in the phone's locale; the lines
that follow (blank ones included) belong to it until the next header::

    02-05-2022 16:08 - Alice: Hoi, ik heb de chat gemaakt               Android, Dutch
    5/2/22, 4:08 PM - Alice: Hi                                         Android, English (U+202F before PM)
    18.03.22 14:56 - Dmitry S: Hello                                    Android, Czech
    [02-05-2022 16:12:20] Dave: Ik heb een iPhone                       iOS, Dutch
    [3/18/22, 14:56:01] Elon Musk: Hello                                iOS, English
    [14:56:01, 3/18/22] Musk Elon: Xin chào                             iOS, Vietnamese
    ‎[02-05-2022 16:17:01] ‪+31 6 11111111‬: ‎<bijgevoegd: 00000014-PHOTO-2022-05-02-16-17-01.jpg>
    12/07/2017 à 22:35 - Amélie: Bonjour                                Android, French
    13.6.2018 klo 21.25.15 - Matti: Moi                                 Android, Finnish
    12.07.2017, 22:35:22: Jan: ...  /  12.07.2017 - 22:35:22; Jan: ...  older Android builds
    13. 6. 2018. 21:25:15 Ivana: Bok                                    Croatian, Serbian
    [04-08-15 10:00:05] Jan: 2015-08-04-PHOTO-00004762.jpg <attached>   old iOS media line

Android writes system events without an author (``Alice heeft de groep X gemaakt``); iOS starts
them with U+200E after the bracket, and writes the encryption notice as if the chat (the group's
name at export time) had said it. iOS prefixes media lines with U+200E before ``[`` in every
locale; phone numbers come wrapped in U+202A/U+202C with no-break spaces.

How it is read:

- The header pattern (bracket or dash, separators, seconds, AM/PM, year length, time first) is
  learnt from the first header line; after that only lines of exactly that shape start a message,
  so a pasted block of old messages (``[5/2, 16:08] Alice: ...``, no year) stays inside the message
  it was pasted in. Day-first or month-first is decided from the whole file (a field above 12; if
  none, a reading in which dates never go backwards; if still undecided, the language of the file's
  own system lines (not English: day first), then the reading that goes backwards least, then
  ``M/D/YY`` for slashes with a two-digit year, day-first otherwise). When the dates themselves
  cannot tell, every item carries ``meta["date_order"]`` (order, ``ambiguous``, what it rests on) and
  the run's summary says so.
- Times are local wall-clock times as written, read in the workspace's time zone (the
  ``timezone`` setting; daylight saving time handled) and converted to UTC in ``Item.sent``; file
  order is kept in ``Item.seq`` even where iOS times go backwards after airplane mode.
- Each message is an ``Item`` of kind ``chat``; system lines (encryption notice, group created,
  joins, leaves, adds, subject/icon changes, missed calls, ...) are ``chat`` items with
  ``meta["event"]`` and the actor (or "") as sender, never someone's words. Deleted messages carry
  ``meta["deleted"]``, edited ones ``meta["edited"]`` (the marker is taken out of the body), media
  ``meta["media"]`` (files found in the zip or beside the text are kept in the store and also
  yielded as ``attachment`` items whose parent is the message, with the text of a PDF or Office
  document read through ``connectors.support.chat.read_medium``, as every chat connector does). A medium
  that cannot be kept (a member refused by ``safezip``, a corrupt or unreadable one, a zip sent in the
  chat that is itself a bomb) is one ``Failure`` naming it, listed once; its message goes in.
- The file is read line by line (a line longer than ``MAX_LINE`` characters is refused before the
  first header and skipped with a ``Failure`` after it), twice: once to learn the layout, the
  participants and the date order, once to yield (a third time, for fingerprints, when a folder
  holds several exports). Memory stays bounded whatever the file's size.

The conversation and the merge rule. The conversation's name comes from the file name
(``WhatsApp-chat met X``, ``WhatsApp Chat with X``, ``WhatsApp Chat - X``, the Czech and Russian
forms); ``_chat.txt`` takes the zip's name, or when loose the chat name of the iOS encryption notice
(else its folder's name). The same group exported from several phones names the same person
differently on each phone (the ministry's four sample exports show Bob as "Bob", "Bob Bobsen Work"
and "+31 6 11111111"; the exporter's own deletions read "You deleted this message" where the others
read "This message was deleted"; media names differ per phone; Android has no seconds). So a
message's identity is: the conversation key, the local minute as written, the text normalised
(``woo_collector.text.identity``; every deletion is ``<deleted>`` and every media message ``<media>``
in any locale; events their kind or their text), and its occurrence number among identical
(minute, text) in its export. The author is deliberately not part of it. ``Item.identity`` is
``stable_id`` of those keys (no source, no custodian: it collapses copies handed in by several
custodians at request level) and ``Item.id`` is ``item_id("whatsapp", identity)``, so within one
source the copies from several phones are the same item.
Exports read in one run whose messages overlap (at least 10% of the messages of 10 or more
characters, as in the ministry's merger) form one conversation named after the name most of them
carry. What cannot merge: a message whose minute differs between phones (received after airplane
mode) or whose text differs (a pasted block showing other contact names).
"""

from __future__ import annotations

import codecs
import hashlib
import io
import os
import re
import zipfile
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Callable, Iterator

from connectors.base import FileUnitConnector, Yield, walk_files
from connectors.support.chat import Medium, media_items, medium_failure, read_medium
from woo_collector import dates
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item, stable_id
from woo_collector.safezip import Member, Refused, is_zip, open_zip, read_member
from woo_collector.text import drop_invisible, identity

MAX_LINE = 256 * 1024  # characters; WhatsApp caps one message at 65,536
MAX_BODY = 1024 * 1024  # characters kept of one message (a pasted block included)
SNIFF_LINES = 20  # non-empty lines in which the first header must appear
MAX_AUTHORS = 5000
SKETCH = 4096  # fingerprints kept per export to tell whether two exports are one conversation
MERGE_OVERLAP = 0.10

# ---------------------------------------------------------------------------------------------
# the header patterns
_MARK_CHARS = "\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff"
_M = f"[{_MARK_CHARS}]*"
_SP = "[ \u00a0\u202f]"
_AMPM = r"(?:[AaPp]\.?\s?[Mm]\.?|ص|م|vorm\.|nachm\.)"


_JOIN_WORDS = r"(?:à|klo|kl\.|um|às|alle|a las|в)"  # between date and time: French, Finnish, ...
_JOIN = {"": "[,،]?" + _SP, "-": f"{_SP}[-–]{_SP}"}
_TRAIL = {"-": f"{_SP}{{1,2}}[-–]{_SP}", ":": f":{_SP}", ";": f";{_SP}", " ": f"(?(dot){_SP}|(?!))"}


def _header_regex(layout: str, time_first: bool, ds: str = "[./-]", ts: str = "[:.]", seconds: bool | None = None,
                  ampm: bool | None = None, year: str = "", joiner: str | None = None,
                  trail: str | None = None) -> re.Pattern[str]:
    """The header regex of a layout; with the shape's details filled in, only that shape matches.

    Between date and time: a comma or a space (``12.07.17, 22:35``), a word (``12/07/2017 à 22:35``,
    ``13.6.2018 klo 21.25.15``) or a dash (``12.07.2017 - 22:35:22;``). After an Android header's time:
    a dash (one or two spaces before it), a colon, a semicolon, or, after a date ending in a dot
    (``13. 6. 2018. 21:25:15 Name:``), a space alone.
    """
    d1, d3 = r"\d{1,4}", r"\d{1,4}"
    if year.startswith("Y"):
        d1, d3 = rf"\d{{{year[1:]}}}", r"\d{1,2}"
    elif year:
        d1, d3 = r"\d{1,2}", rf"\d{{{year}}}"
    ds = ds if ds.startswith("[") else re.escape(ds)
    ts = ts if ts.startswith("[") else re.escape(ts)
    sec = {None: r"(?:(?P=ts)(?P<s>\d{2}))?", True: r"(?P=ts)(?P<s>\d{2})", False: "(?P<s>)"}[seconds]
    ap = {None: rf"(?:{_SP}?{_M}(?P<ap>{_AMPM}))?", True: rf"{_SP}?{_M}(?P<ap>{_AMPM})", False: "(?P<ap>)"}[ampm]
    if joiner is None:
        join = rf"(?P<j>[,،]?{_SP}|{_SP}{_JOIN_WORDS}{_SP}|{_SP}[-–]{_SP})"
    else:
        join = "(?P<j>" + _JOIN.get(joiner, f"{_SP}{re.escape(joiner)}{_SP}") + ")"
    date = rf"(?P<d1>{d1}){_M}(?P<ds>{ds}) ?{_M}(?P<d2>\d{{1,2}}){_M}(?P=ds) ?{_M}(?P<d3>{d3})(?P<dot>\.)?"
    time = rf"(?P<h>\d{{1,2}})(?P<ts>{ts})(?P<mi>\d{{2}}){sec}{ap}"
    dt = rf"{time}{_M},?{_SP}{_M}{date}" if time_first else rf"{date}{_M}{join}{_M}{time}"
    if layout == "android":
        tr = "|".join(_TRAIL.values()) if trail is None else _TRAIL[trail]
        return re.compile(rf"^{_M}(?P<dt>{dt}){_M}(?P<tr>{tr})(?P<rest>.*)$")
    return re.compile(rf"^{_M}\[{_M}(?P<dt>{dt}){_M}\]{_SP}?(?P<rest>.*)$")


_LAYOUTS: dict[tuple[str, bool], re.Pattern[str]] = {
    (layout, tf): _header_regex(layout, tf) for layout in ("android", "ios") for tf in (False, True)
}
_MARK_START = re.compile("^[\u200e\u200f]")  # iOS: a system text, a notice, or (before '[') media
_NAME_OK = re.compile(r'^[^"“”<>\n]{1,100}$')

# ---------------------------------------------------------------------------------------------
# what a body says
_DELETED = {
    "dit bericht is verwijderd", "u hebt dit bericht verwijderd", "je hebt dit bericht verwijderd",
    "this message was deleted", "you deleted this message",
    "diese nachricht wurde gelöscht", "du hast diese nachricht gelöscht",
    "ce message a été supprimé", "vous avez supprimé ce message",
    "tato zpráva byla odstraněna", "tuto zprávu jste odstranil/a", "tato zpráva byla smazána",
    "tuto zprávu jste smazal/a", "данное сообщение удалено", "вы удалили данное сообщение",
    "це повідомлення було видалено", "ви видалили це повідомлення", "pesan ini dihapus",
    "anda menghapus pesan ini", "tin nhắn này đã bị xóa", "bạn đã xoá tin nhắn này",
    "تم حذف هذه الرسالة", "لقد حذفت هذه الرسالة", "لقد حذَفت هذه الرسالة", "أنت حذفت هذه الرسالة",
    "このメッセージは削除されました", "このメッセージを削除しました", "ข้อความนี้ถูกลบแล้ว", "คุณได้ลบข้อความนี้",
    "यह मैसेज डिलीट कर दिया गया है", "आपने यह मैसेज डिलीट किया",
}
_MISSED = re.compile(
    r"^(?:missed (?:voice |video |group )?call|gemiste? (?:spraak|video|groeps|groepsspraak|groepsvideo)?-?"
    r"(?:oproep|gesprek)|zmeškaný (?:hlasový |video)?hovor|пропущенный (?:аудио|видео)?звонок)", re.I,
)
_EDITED = re.compile(
    r"\s*<(?:dit bericht is bewerkt|this message was edited|diese nachricht wurde bearbeitet|"
    r"ce message a été modifié|este mensaje fue editado|esta mensagem foi editada)>\s*$", re.I,
)
_ANDROID_ATTACHED = re.compile(
    r"^(?P<name>.+?) \((?:file attached|bestand bijgevoegd|datei angehängt|fichier joint|archivo adjunto|"
    r"arquivo anexado|file allegato|файл прикреплен|файл добавлен|файл прикріплено|soubor připojen|"
    r"soubor byl přiložen|dosya ekli)\)$", re.I,
)
_OLD_ATTACHED = re.compile(  # old iOS: "2015-08-04-PHOTO-00004762.jpg <attached>"
    r"^(?P<name>[^<>]*?\.\w{2,5})\s*<(?:attached|bijgevoegd|angehängt|joint|adjunto|anexado|allegato)>$", re.I,
)
_ANDROID_OMITTED = re.compile(r"^<[^<>\d:/@]{3,40}>$")
_IOS_ATTACHED = re.compile(r"<(?:[^<>:]{2,30}):\s*(?P<name>[^<>]+?)\s*>")
_IOS_OMITTED = re.compile(
    r"^(?:image|video|audio|sticker|gif|document|contact card|afbeelding|foto|contactkaart|"
    r"bild|vidéo)\s+(?:omitted|weggelaten|weggelassen|absente?)$", re.I,
)
_EVENTS = [
    ("encryption", re.compile(r"end-to-end|ende-zu-ende|de bout en bout|koncov|сквозн|наскрізн|terenkripsi")),
    ("created", re.compile(r"created (?:the )?(?:group|this group)|\bhe(?:eft|bt) (?:de |deze )?groep\b.*\b(?:aan)?gemaakt")),
    ("subject", re.compile(r"changed the (?:group )?(?:subject|name)|\bonderwerp\b|\bgroepsnaam\b")),
    ("settings", re.compile(r"settings|instellingen")),
    ("timer", re.compile(r"message timer|disappearing|verdwijnende|berichttimer")),
    ("icon", re.compile(r"\bicon\b|group (?:photo|picture|image)|groepsafbeelding|groepsfoto")),
    ("description", re.compile(r"description|beschrijving")),
    ("admin", re.compile(r"\badmin\b|beheerder")),
    ("security", re.compile(r"security code|beveiligingscode")),
    ("number", re.compile(r"phone number|changed to \+|telefoonnummer|nummer gewijzigd")),
    ("missed_call", re.compile(r"missed (?:voice |video |group )?call|gemiste? .{0,12}(?:oproep|gesprek)")),
    ("joined", re.compile(r"\bjoined\b|neemt deel|lid geworden|via (?:uw|je|de) uitnodiging")),
    ("added", re.compile(r"\badded\b|toegevoegd")),
    ("removed", re.compile(r"\bremoved\b|verwijderd")),
    ("left", re.compile(r"\bleft\b|verlaten")),
]
_ACTOR = re.compile(
    r"^(?P<a>.{1,100}?) (?:created|added|removed|left|joined|changed|deleted|updated|turned|"
    r"heeft|hebt|neemt|is toegevoegd|is verwijderd|bent)\b"
)
_MERGED_EVENTS = {"encryption", "created"}
# the language of a file's system lines, to read dates whose day and month cannot be told apart
_LOCALES = [
    ("English", re.compile(r"\b(?:messages and calls|messages to this group|encrypted|created group|added|removed|left|"
                           r"changed|joined)\b")),
    ("Dutch", re.compile(r"\b(?:berichten|versleuteld|heeft|hebt|groep|toegevoegd|verwijderd|aangemaakt|verlaten)\b")),
    ("German", re.compile(r"\b(?:nachrichten|verschlüsselt|gruppe|hinzugefügt|entfernt|verlassen|erstellt)\b")),
    ("French", re.compile(r"\b(?:chiffrés|groupe|ajouté|retiré|créé|quitté)\b")),
    ("Finnish", re.compile(r"\b(?:viestit|salattu|salattuja|ryhmän|lisäsi|poisti|poistui)\b")),
    ("Spanish/Portuguese", re.compile(r"\b(?:mensajes|mensagens|cifrados|criptografadas|grupo|añadió|adicionou|creó|criou)\b")),
    ("Czech", re.compile(r"\b(?:zprávy|šifrovány|skupinu|přidal|odstranil)\b")),
    ("Russian", re.compile(r"(?:сообщения|защищены|группу|добавил|удалил)")),
]
_ORDER_WORDS = {"dmy": "day-month-year", "mdy": "month-day-year"}

# ---------------------------------------------------------------------------------------------
# conversation names from file names
_NAME_PATTERNS = [
    re.compile(r"^WhatsApp[ _-]?[Cc]hat\s+(?:with|met|mit|avec|con|com|z|ze)\s+(?P<n>.+)$"),
    re.compile(r"^WhatsApp[ _-]?[Cc]hat\s*[-–]\s*(?P<n>.+)$"),
    re.compile(r"^Chat (?:WhatsApp|de WhatsApp|di WhatsApp|do WhatsApp)\s+(?:s uživatelem|se skupinou|s|con|com|avec|mit|with)\s+(?P<n>.+)$"),
    re.compile(r"^Чат WhatsApp с\s+(?:контактом\s+|группой\s+|пользователем\s+)?(?P<n>.+)$"),
]
_COPY_SUFFIX = re.compile(r"\s*\(\d{1,3}\)$")


def conversation_name(file_name: str) -> str:
    """The chat's name from an export's file name (``WhatsApp-chat met X.txt`` -> ``X``)."""
    stem = file_name
    for ext in (".txt", ".zip"):
        if stem.lower().endswith(ext):
            stem = stem[: -len(ext)]
    stem = _COPY_SUFFIX.sub("", identity(stem))
    for pat in _NAME_PATTERNS:
        m = pat.match(stem)
        if m:
            return m.group("n").strip()
    return stem


def conversation_key(name: str) -> str:
    return "whatsapp:" + identity(name).casefold()


# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Shape:
    """What a header of one export looks like; only lines of this shape start a message."""

    layout: str  # "android" or "ios"
    time_first: bool
    date_sep: str
    time_sep: str
    seconds: bool
    ampm: bool
    year: str  # "2" / "4" (year last) or "Y4" (year first)
    joiner: str = ""  # between date and time: "" (a comma or a space), a word ("à", "klo") or "-"
    trail: str = "-"  # after an Android header's time: "-", ":", ";" or " "

    @property
    def regex(self) -> re.Pattern[str]:
        return _header_regex(self.layout, self.time_first, self.date_sep, self.time_sep, self.seconds,
                             self.ampm, self.year, self.joiner, self.trail if self.layout == "android" else None)


def _shape_of(layout: str, time_first: bool, m: re.Match[str]) -> Shape:
    d1, d3 = m.group("d1"), m.group("d3")
    year = f"Y{len(d1)}" if len(d1) > 2 else str(len(d3))
    joiner = "" if time_first else m.group("j").strip(" \u00a0\u202f,،")
    trail = "-"
    if layout == "android":
        trail = m.group("tr").strip(" \u00a0\u202f") or " "
        trail = "-" if trail in "-–" else trail
    return Shape(layout, time_first, m.group("ds"), m.group("ts"), bool(m.group("s")), bool(m.group("ap")), year,
                 joiner, trail)


def _clean(text: str) -> str:
    """``identity`` with a fast path for plain ASCII."""
    if text.isascii():
        return " ".join(text.split())
    return identity(text)


def _unmark(text: str) -> str:
    return text if text.isascii() else drop_invisible(text)


def _local_time(m: re.Match[str], order: str) -> datetime | None:
    """The wall-clock time of a header match under a date order ('dmy', 'mdy' or 'ymd')."""
    try:
        a, b, c = int(m.group("d1")), int(m.group("d2")), int(m.group("d3"))
        if order == "ymd":
            y, mo, d = a, b, c
        elif order == "mdy":
            mo, d, y = a, b, c
        else:
            d, mo, y = a, b, c
        if y < 100:
            y += 2000
        h, mi = int(m.group("h")), int(m.group("mi"))
        s = int(m.group("s")) if m.group("s") else 0
        ap = m.group("ap")
        if ap:
            if h > 12:
                return None
            pm = ap[0] in "pPم" or ap.startswith("nachm")
            h = h % 12 + (12 if pm else 0)
        return datetime(y, mo, d, h, mi, s)
    except (ValueError, OverflowError):
        return None


def _to_utc(local: datetime) -> datetime:
    return local.replace(tzinfo=dates.zone()).astimezone(timezone.utc)  # the workspace's timezone setting


# ---------------------------------------------------------------------------------------------
@dataclass
class Export:
    """One export: where its text is, what is kept as its original, and its media."""

    label: str  # shown in errors and Failures
    file_name: str  # of the text (the member name inside a zip)
    kept: Path  # the file kept in the store (the .txt or the .zip)
    name: str  # conversation name from the file name
    loose_chat: bool  # a loose _chat.txt: its iOS notice may name it
    opener: Callable[[], BinaryIO]
    media: dict[str, Callable[[], tuple[bytes | Path, int]]] = field(default_factory=dict)
    member: str = ""  # the text's member name in a zip
    shared: bool = False  # the zip holds more than one chat: each is checkpointed apart
    refused: tuple[Refused, ...] = ()  # members of its zip left out (a bad name, a link, a bomb): Failures

    def where(self, line_no: int) -> str:
        return f"{self.member} regel {line_no}" if self.member else f"regel {line_no}"


@dataclass
class Scan:
    """What the first pass learnt of an export."""

    shape: Shape
    order: str
    authors: list[str]
    notice_author: str
    messages: int
    order_basis: str = ""  # set when day and month cannot be told apart from the dates: what the order rests on
    sketch: list[int] = field(default_factory=list)
    fingerprints: int = 0


@dataclass
class Message:
    seq: int
    line_no: int
    raw: str
    written: str
    local: datetime
    author: str
    body: str
    event: str = ""
    deleted: bool = False
    edited: bool = False
    media_names: tuple[str, ...] = ()
    media_omitted: bool = False
    truncated: bool = False
    ident: str = ""


def _text_lines(opener: Callable[[], BinaryIO], label: str) -> Iterator[tuple[int, str | None]]:
    """(line number, text) of a binary stream, decoded; None for a line longer than MAX_LINE."""
    raw = opener()
    try:
        head = raw.read(4)
        encoding = "utf-8-sig"
        if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
            encoding = "utf-16"
        rest = io.BufferedReader(_Prefixed(head, raw)) if head else raw
        text = io.TextIOWrapper(rest, encoding=encoding, errors="replace", newline=None)
        n = 0
        while True:
            try:
                line = text.readline(MAX_LINE)
            except (OSError, EOFError, zipfile.BadZipFile, ValueError) as e:
                raise ConnectorError(f"cannot be read to the end: {e}", label, f"regel {n + 1}") from e
            if not line:
                return
            n += 1
            if line.endswith("\n"):
                yield n, line[:-1]
                continue
            if len(line) < MAX_LINE:  # the last line, without a line end
                yield n, line
                return
            while True:  # an overlong line: skip the rest of it in bounded chunks
                more = text.readline(MAX_LINE)
                if not more or more.endswith("\n"):
                    break
            yield n, None
    finally:
        raw.close()


class _Prefixed(io.RawIOBase):
    """A stream with bytes already read put back in front."""

    def __init__(self, head: bytes, rest: BinaryIO):
        self._head = head
        self._rest = rest

    def readable(self) -> bool:
        return True

    def readinto(self, b) -> int:
        if self._head:
            n = min(len(b), len(self._head))
            b[:n] = self._head[:n]
            self._head = self._head[n:]
            return n
        data = self._rest.read(len(b))
        b[: len(data)] = data
        return len(data)


def _sniff_lines(lines: Iterator[tuple[int, str | None]], label: str) -> tuple[Shape, re.Match[str]]:
    """The shape of the first header among the first non-empty lines; ConnectorError if none."""
    seen = 0
    for n, line in lines:
        if line is None:
            raise ConnectorError(
                f"line {n} is longer than {MAX_LINE} characters before any message header: "
                "not a WhatsApp chat export; refused", label)
        if not line.strip():
            continue
        seen += 1
        for (layout, tf), rx in _LAYOUTS.items():
            m = rx.match(line)
            if m and any(_local_time(m, order) is not None for order in ("dmy", "mdy", "ymd")):
                return _shape_of(layout, tf, m), m
        if seen >= SNIFF_LINES:
            break
    if seen == 0:
        raise ConnectorError("empty file: no WhatsApp messages in it", label)
    raise ConnectorError(
        f"not a WhatsApp chat export: none of the first {seen} non-empty lines starts with a date and "
        "time like '02-05-2022 16:08 - Naam:' (Android) or '[02-05-2022 16:12:20] Naam:' (iOS)", label)


def _split_author(rest: str, layout: str) -> tuple[str, str] | None:
    """(author as written, text) of a header's rest, or None for a system line."""
    if layout == "ios" and _MARK_START.match(rest):
        return None
    i = rest.find(": ")
    if i <= 0:
        if rest.endswith(":") and _NAME_OK.match(rest[:-1]):
            return rest[:-1], ""
        return None
    name = rest[:i]
    if not _NAME_OK.match(name):
        return None
    return name, rest[i + 2:]


def _event_kind(text: str) -> str:
    low = text.casefold()
    for kind, rx in _EVENTS:
        if rx.search(low):
            return kind
    return "system"


class WhatsAppConnector(FileUnitConnector):
    name = "whatsapp"
    description = "WhatsApp 'Export chat' (.txt, .zip with media, or a folder of exports), Android and iOS"
    extensions = (".txt", ".zip")

    # -- recognising -----------------------------------------------------------------------
    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        try:
            if path.is_dir():
                for i, p in enumerate(walk_files(path, cls.extensions)):
                    if i >= 50:
                        break
                    if cls.score(p, _head(p)) >= 0.9:
                        return 0.7
                return 0.0
            if zipfile.is_zipfile(path):
                with zipfile.ZipFile(path) as zf:
                    names = [PurePosixPath(n).name for n in zf.namelist()]
                if any(_is_chat_member(n) for n in names):
                    return 0.95
                return 0.0
        except (OSError, zipfile.BadZipFile, ValueError):
            return 0.0
        text = head.decode("utf-8", errors="replace")
        lines = [ln for ln in text.splitlines()[:SNIFF_LINES] if ln.strip()]
        hits = sum(1 for ln in lines[:10] if any(rx.match(ln) for rx in _LAYOUTS.values()))
        if hits and lines and any(rx.match(lines[0]) for rx in _LAYOUTS.values()):
            return 0.95
        return 0.6 if hits >= 2 else 0.0

    # -- collecting --------------------------------------------------------------------------
    def collect(self) -> Iterator[Yield]:
        """Every export is scanned first (exports of one chat from several phones merge into one
        conversation), then each is read as a unit of the base's rule: a .txt or a zip of one chat
        is ``file:<sha>``, each chat of a zip holding several is ``file:<sha>:<member>``."""
        root = Path(self.spec.path)
        single = root.is_file()
        found: list[tuple[Export, Scan]] = []
        failed = 0
        for path in self.input_files():
            try:
                exports = self._exports_of(path)
                if single and not exports:
                    raise ConnectorError("the zip holds no WhatsApp chat text (_chat.txt or WhatsApp*.txt)", str(path))
                for export in exports:
                    scan = self._scan(export)
                    found.append((export, scan))
                    if scan.order_basis:
                        self.notes.append(f"{export.file_name}: day and month cannot be told apart from the dates; "
                                          f"read as {_ORDER_WORDS[scan.order]} ({scan.order_basis})")
            except ConnectorError as e:
                failed += 1
                yield self.failed_whole(e, str(path), single, self.sink.keep(path, path.name) if not single else "")
        if not found:
            if not failed:
                raise ConnectorError("no WhatsApp chat export (.txt or .zip) in this folder", str(root))
            return
        groups = self._conversations(found)
        for (export, scan), conv_name in zip(found, groups):
            yield from self.read_unit(export.kept, export.kept.name,
                                      lambda sha, export=export, scan=scan, conv_name=conv_name: self._items(export, scan, conv_name, sha),
                                      where=export.label, single=len(found) == 1, member=export.member if export.shared else "")

    def accept(self, path: Path) -> bool:
        return path.suffix.lower() != ".txt" or _looks_like_export(path)  # other .txt: documents sent in the chat

    def _exports_of(self, path: Path) -> list[Export]:
        label = str(path)
        if path.suffix.lower() == ".zip" or zipfile.is_zipfile(path):
            if not zipfile.is_zipfile(path):
                raise ConnectorError("not a readable zip file", label)
            return _zip_exports(path, label)
        name = conversation_name(path.name)
        loose = path.name.lower() == "_chat.txt"
        if loose:
            name = path.parent.name or "_chat"
        media = _folder_media(path.parent, path.name)
        return [Export(label, path.name, path, name, loose, lambda p=path: open(p, "rb"), media)]

    # -- pass 1: layout, date order, participants ---------------------------------------------
    def _scan(self, export: Export) -> Scan:
        lines = _text_lines(export.opener, export.label)
        shape, first = _sniff_lines(lines, export.label)
        rx = shape.regex
        max_a = max_b = big_a = big_b = 0
        back = {"dmy": 0, "mdy": 0}
        prev: dict[str, tuple[int, int, int] | None] = {"dmy": None, "mdy": None}
        authors: dict[str, None] = {}
        notice = ""
        count = 0
        langs: Counter = Counter()

        def header(m: re.Match[str]) -> None:
            nonlocal max_a, max_b, big_a, big_b, notice, count
            a, b, c = int(m.group("d1")), int(m.group("d2")), int(m.group("d3"))
            if not shape.year.startswith("Y"):
                max_a, max_b = max(max_a, a), max(max_b, b)
                big_a += a > 12
                big_b += b > 12
                for order, date in (("dmy", (c, b, a)), ("mdy", (c, a, b))):
                    p = prev[order]
                    if p is not None and date < p:
                        back[order] += 1
                    prev[order] = date
            split = _split_author(m.group("rest"), shape.layout)
            system = split is None or (shape.layout == "ios" and bool(_MARK_START.match(split[1])))
            if system and sum(langs.values()) < 50:
                low = _clean(m.group("rest") if split is None else split[1]).casefold()
                for lang, rx in _LOCALES:
                    if rx.search(low):
                        langs[lang] += 1
            if split is not None:
                who = _clean(split[0])
                if count == 0 and shape.layout == "ios" and _MARK_START.match(split[1]):
                    notice = who  # iOS writes the encryption notice as the chat itself
                elif who and len(authors) < MAX_AUTHORS:
                    authors.setdefault(who, None)
            count += 1

        header(first)
        for _, line in lines:
            if line is None:
                continue
            m = rx.match(line)
            if m:
                header(m)
        lang = langs.most_common(1)[0][0] if langs else ""
        basis = ""
        if shape.year.startswith("Y"):
            order = "ymd"
        elif max_a > 12 and max_b <= 12:
            order = "dmy"
        elif max_b > 12 and max_a <= 12:
            order = "mdy"
        elif max_a > 12 and max_b > 12:
            order = "dmy" if big_a >= big_b else "mdy"
        elif min(back.values()) == 0 and max(back.values()) > 0:  # one reading never goes backwards
            order = "dmy" if back["dmy"] == 0 else "mdy"
        elif lang and lang != "English":  # day and month cannot be told apart: the phone's language
            order, basis = "dmy", f"system lines in {lang}"
        elif back["dmy"] != back["mdy"]:
            order = "dmy" if back["dmy"] < back["mdy"] else "mdy"
            basis = "the reading in which dates go backwards least"
        else:
            order = "mdy" if shape.date_sep == "/" and shape.year == "2" else "dmy"
            basis = f"system lines in {lang}, " if lang else ""
            basis += "usual order of dates written like " + ("M/D/YY" if order == "mdy" else "D-M-Y")
        return Scan(shape, order, list(authors), notice, count, basis)

    # -- pass 2: the messages ----------------------------------------------------------------
    def _messages(self, export: Export, scan: Scan, problems: list[Failure]) -> Iterator[Message]:
        shape, rx = scan.shape, scan.shape.regex
        cur: dict | None = None
        seq = 0

        def finish(c: dict) -> Message:
            return self._parse(c, shape, scan)

        for n, line in _text_lines(export.opener, export.label):
            if line is None:
                problems.append(Failure(export.label, f"line longer than {MAX_LINE} characters skipped; "
                                        "it stays in the original", export.where(n)))
                continue
            m = rx.match(line)
            local = None
            if m:
                local = _local_time(m, scan.order)
            if local is not None:
                if cur is not None:
                    yield finish(cur)
                seq += 1
                cur = {"seq": seq, "line": n, "raw": line, "m": m, "local": local, "more": [], "size": 0,
                       "truncated": False, "first": seq == 1}
            elif cur is not None:
                if cur["size"] + len(line) > MAX_BODY:
                    if not cur["truncated"]:
                        problems.append(Failure(export.label, f"message longer than {MAX_BODY} characters "
                                                "cut short; the whole text stays in the original",
                                                export.where(cur["line"])))
                    cur["truncated"] = True
                    continue
                cur["more"].append(line)
                cur["size"] += len(line) + 1
        if cur is not None:
            yield finish(cur)

    def _parse(self, c: dict, shape: Shape, scan: Scan) -> Message:
        m: re.Match[str] = c["m"]
        raw: str = c["raw"]
        rest = m.group("rest")
        msg = Message(c["seq"], c["line"], raw, _clean(m.group("dt")), c["local"], "", "",
                      truncated=c["truncated"])
        more = c["more"]
        split = _split_author(rest, shape.layout)
        if split is None:
            text = _unmark("\n".join([rest, *more])).rstrip()
            msg.body = text
            clean = _clean(text)
            msg.event = _event_kind(clean)
            if msg.event != "encryption":
                a = _ACTOR.match(clean)
                msg.author = a.group("a") if a else ""
            return _identify(msg)
        author, first = split
        author = _clean(author)
        media_line = shape.layout == "ios" and bool(_MARK_START.match(raw))
        body_mark = bool(_MARK_START.match(first))
        text = _unmark("\n".join([first, *more]) if more else first).rstrip()
        msg.author, msg.body = author, text
        first_clean = _clean(first)
        simple = first_clean.casefold().rstrip(".。").strip()
        if not more and simple in _DELETED:
            msg.deleted = True
            return _identify(msg)
        if not more and _MISSED.match(first_clean):
            msg.event = "missed_call"
            return _identify(msg)
        edited = _EDITED.search(text)
        if edited:
            msg.edited = True
            msg.body = text = text[: edited.start()].rstrip()
            first_clean = _clean(text.split("\n", 1)[0])
        att = _ANDROID_ATTACHED.match(first_clean)
        if att:
            msg.media_names = (att.group("name"),)
            return _identify(msg)
        old = _OLD_ATTACHED.match(first_clean)
        if old:
            msg.media_names = (old.group("name"),)
            return _identify(msg)
        ios_att = _IOS_ATTACHED.search(first_clean) if shape.layout == "ios" else None
        if ios_att:
            msg.media_names = (ios_att.group("name"),)
            return _identify(msg)
        if media_line or _ANDROID_OMITTED.match(first_clean) or _IOS_OMITTED.match(first_clean):
            msg.media_omitted = True
            return _identify(msg)
        if shape.layout == "ios" and body_mark and "://" not in first_clean:
            kind = _event_kind(first_clean)
            if c["first"] and kind == "system":
                kind = "encryption"
            msg.event = kind
            if kind == "encryption" or author == scan.notice_author:
                msg.author = ""
        return _identify(msg)

    # -- yielding ----------------------------------------------------------------------------
    def _items(self, export: Export, scan: Scan, conv_name: str, sha: str) -> Iterator[Yield]:
        key = conversation_key(conv_name)
        participants = scan.authors
        problems: list[Failure] = []
        counts: OrderedDict[datetime, Counter] = OrderedDict()
        kept_media: dict[str, dict] = {}
        utc_cache: dict[datetime, tuple[datetime, str]] = {}
        others: dict[str, tuple[str, ...]] = {}
        for bad in export.refused:
            yield Failure(str(export.kept), bad.reason, bad.name, sha)
        for msg in self._messages(export, scan, problems):
            while problems:
                f = problems.pop(0)
                yield Failure(f.path, f.reason, f.locator, sha)
            minute = msg.local.replace(second=0)
            per = counts.get(minute)
            if per is None:
                per = counts[minute] = Counter()
                if len(counts) > 256:
                    counts.popitem(last=False)
            else:
                counts.move_to_end(minute)
            per[msg.ident] += 1
            occ = per[msg.ident]
            cached = utc_cache.get(minute)
            if cached is None:
                if len(utc_cache) > 4096:
                    utc_cache.clear()
                cached = utc_cache[minute] = (_to_utc(minute), minute.isoformat(timespec="minutes"))
            base, when = cached
            ident = stable_id("whatsapp", key, when, msg.ident, occ)
            item_id = self.item_id("whatsapp", ident)
            sent = base + timedelta(seconds=msg.local.second) if msg.local.second else base
            media: list[Medium] = []
            for name in msg.media_names:
                info = kept_media.get(name)
                if info is None:
                    info = self._keep_media(export, name, sha)
                    if info is not None:
                        kept_media[name] = info
                        if isinstance(info, Failure):  # this medium failed (listed once); the message goes in
                            yield info
                        else:
                            where, inner, fsha = self._medium_place(export, info.name, sha)
                            problem = medium_failure(info, where, inner, fsha or info.sha256)
                            if problem:  # kept and an item, without its text (listed once)
                                yield problem
                if isinstance(info, Medium):
                    media.append(info)
            media_meta = [{"name": m.name, "sha256": m.sha256, "size": m.size} for m in media]
            meta: dict = {
                "conversation": conv_name,
                "participants": participants,
                "raw": msg.raw,
                "time_as_written": msg.written,
                "layout": scan.shape.layout,
                "export": export.file_name,
            }
            if scan.order_basis:
                meta["date_order"] = {"order": scan.order, "ambiguous": True, "basis": scan.order_basis}
            if msg.event:
                meta["event"] = msg.event
            if msg.deleted:
                meta["deleted"] = True
            if msg.edited:
                meta["edited"] = True
            if msg.media_names or msg.media_omitted:
                meta["media"] = media_meta
                meta["media_referenced"] = list(msg.media_names)
                if msg.media_omitted:
                    meta["media_omitted"] = True
            if msg.truncated:
                meta["truncated"] = True
            recipients: tuple[str, ...] = ()
            if not msg.event:
                recipients = others.get(msg.author) or others.setdefault(
                    msg.author, tuple(p for p in participants if p != msg.author))
            message = Item(
                id=item_id, kind="chat", source=self.spec.name, custodian=self.spec.custodian, sha256=sha,
                sent=sent, sender=msg.author, recipients=recipients, subject=conv_name, body=msg.body,
                locator=export.where(msg.line_no), conversation=key, platform="whatsapp", seq=msg.seq, identity=ident,
                meta=meta,
            )
            yield message
            yield from media_items(self, message, media)
        for f in problems:
            yield Failure(f.path, f.reason, f.locator, sha)

    @staticmethod
    def _medium_place(export: Export, found_name: str, export_sha: str) -> tuple[str, str, str]:
        """(path, locator, sha) a Failure of a medium names: the zip and its member, or the medium's own file."""
        if not export.member:
            return str(export.kept.parent / found_name), "", ""
        folder = str(PurePosixPath(export.member).parent)
        return str(export.kept), found_name if folder in ("", ".") else f"{folder}/{found_name}", export_sha

    def _keep_media(self, export: Export, name: str, export_sha: str) -> Medium | Failure | None:
        """Keep the medium a message refers to: the medium with its text (``chat.read_medium``), None
        when the export does not hold it, or the Failure of that medium alone (unreadable, corrupt,
        lying about its size, a zip that is a bomb).

        A medium that is a zip is checked as one (``safezip.open_zip``), not opened further: a zip bomb
        sent in a chat is kept as evidence and listed, never expanded and never an attachment.
        """
        opener = _find_media(export.media, name)
        if opener is None:
            return None
        found_name, get = opener
        where, inner, sha = self._medium_place(export, found_name, export_sha)
        kept = ""
        try:
            data, size = get()
            kept = self.sink.keep(data, found_name)
            _check_zip_medium(data, f"{export.label}!{found_name}")
        except ConnectorError as e:
            return Failure(where, e.reason, inner, sha or kept)
        except OSError as e:
            return Failure(where, f"medium {found_name} cannot be read: {e.strerror or e}", inner, sha or kept)
        return read_medium(found_name, kept, data, size, locator=found_name)

    # -- which exports are one conversation --------------------------------------------------
    def _conversations(self, found: list[tuple[Export, Scan]]) -> list[str]:
        names = []
        for export, scan in found:
            name = export.name
            if export.loose_chat and scan.notice_author:
                name = scan.notice_author
            names.append(name)
        n = len(found)
        if n < 2:
            return names
        for export, scan in found:
            self._fingerprint(export, scan)
        parent = list(range(n))

        def root(i: int) -> int:
            while parent[i] != i:
                parent[i] = parent[parent[i]]
                i = parent[i]
            return i

        for i in range(n):
            for j in range(i + 1, n):
                if _overlap(found[i][1], found[j][1]) >= MERGE_OVERLAP:
                    parent[root(i)] = root(j)
        clusters: dict[int, list[int]] = {}
        for i in range(n):
            clusters.setdefault(root(i), []).append(i)
        out = list(names)
        for members in clusters.values():
            tally = Counter(conversation_key(names[i]) for i in members)
            best = min(members, key=lambda i: (-tally[conversation_key(names[i])], names[i].casefold(), names[i]))
            for i in members:
                out[i] = names[best]
        return out

    def _fingerprint(self, export: Export, scan: Scan) -> None:
        heap: set[int] = set()
        count = 0
        try:
            for msg in self._messages(export, scan, []):
                if msg.event or msg.deleted or msg.media_names or msg.media_omitted or len(msg.ident) < 10:
                    continue
                key = f"{msg.local.replace(second=0).isoformat()}\x1f{msg.ident}".encode("utf-8", "surrogatepass")
                h = int.from_bytes(hashlib.blake2b(key, digest_size=8).digest(), "big")
                count += 1
                heap.add(h)
                if len(heap) > 2 * SKETCH:
                    heap = set(sorted(heap)[:SKETCH])
        except ConnectorError:
            pass
        scan.sketch = sorted(heap)[:SKETCH]
        scan.fingerprints = count


def _identify(msg: Message) -> Message:
    if msg.deleted:
        msg.ident = "<deleted>"
    elif msg.media_names or msg.media_omitted:
        msg.ident = "<media>"
    elif msg.event in _MERGED_EVENTS:
        msg.ident = f"<event:{msg.event}>"
    elif msg.event:
        msg.ident = "<event>" + _clean(msg.body).casefold()
    else:
        msg.ident = _clean(msg.body)
    return msg


def _overlap(a: Scan, b: Scan) -> float:
    """Overlap coefficient |A∩B| / min(|A|,|B|) estimated from two bottom-k sketches."""
    if not a.sketch or not b.sketch:
        return 0.0
    union = sorted(set(a.sketch) | set(b.sketch))[:SKETCH]
    sa, sb = set(a.sketch), set(b.sketch)
    both = sum(1 for h in union if h in sa and h in sb)
    if a.fingerprints <= SKETCH and b.fingerprints <= SKETCH:
        return both / min(len(sa), len(sb))
    jaccard = both / len(union)
    inter = jaccard * (a.fingerprints + b.fingerprints) / (1 + jaccard)
    return inter / max(1, min(a.fingerprints, b.fingerprints))


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(65536)
    except OSError:
        return b""


def _looks_like_export(path: Path) -> bool:
    try:
        _sniff_lines(_text_lines(lambda: open(path, "rb"), str(path)), str(path))
        return True
    except ConnectorError:
        return False


def _is_chat_member(name: str) -> bool:
    low = name.lower()
    return low == "_chat.txt" or (low.startswith(("whatsapp", "chat whatsapp", "чат whatsapp")) and low.endswith(".txt"))


def _folder_media(folder: Path, text_name: str) -> dict[str, Callable[[], tuple[bytes | Path, int]]]:
    out: dict[str, Callable[[], tuple[bytes | Path, int]]] = {}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except OSError:
        return out
    for e in entries:
        if e.name == text_name or e.name.startswith(".") or not e.is_file(follow_symlinks=False):
            continue
        p = Path(e.path)
        out[e.name] = lambda p=p: (p, p.stat().st_size)
    return out


def _check_zip_medium(data: bytes | Path, label: str) -> None:
    """ConnectorError when a medium is a zip that safezip would refuse (a bomb, a bad member name); not opened further."""
    if isinstance(data, Path):
        head = _head(data)[:4]
        source: Path | BinaryIO = data
    else:
        head, source = data[:4], io.BytesIO(data)
    if not is_zip(head):
        return
    zf, _ = open_zip(source, label)  # no refused list: any bad member refuses the medium
    zf.close()


def _zip_exports(path: Path, label: str) -> list[Export]:
    refused: list[Refused] = []  # a bad member costs itself, not the chat
    zf, members = open_zip(path, label, refused)
    zf.close()
    chats = [m for m in members if _is_chat_member(PurePosixPath(m.name).name)]
    if not chats and refused:  # the chat text itself was refused: the export cannot be read
        raise ConnectorError("; ".join(r.reason for r in refused), label)
    exports = []
    for chat in chats:
        folder = str(PurePosixPath(chat.name).parent)
        media: dict[str, Callable[[], tuple[bytes | Path, int]]] = {}
        for other in members:
            if other is chat or str(PurePosixPath(other.name).parent) != folder:
                continue
            media[PurePosixPath(other.name).name] = _member_reader(path, other, label)
        base = PurePosixPath(chat.name).name
        name = conversation_name(path.name if base.lower() == "_chat.txt" else base)
        exports.append(Export(f"{label}!{chat.name}", chat.name, path, name, False,
                              _member_opener(path, chat, label), media, chat.name, len(chats) > 1))
    for bad in refused:  # listed once, with the chat of its folder (or the first)
        folder = str(PurePosixPath(bad.name.replace("\\", "/")).parent)
        i = next((n for n, x in enumerate(exports) if str(PurePosixPath(x.member).parent) == folder), 0)
        exports[i].refused += (bad,)
    return exports


def _member_opener(path: Path, member: Member, label: str) -> Callable[[], BinaryIO]:
    def opener() -> BinaryIO:
        try:
            zf = zipfile.ZipFile(path)
            return _ZipStream(zf, zf.open(member.info))
        except (zipfile.BadZipFile, OSError, RuntimeError, NotImplementedError, EOFError) as e:
            raise ConnectorError(f"zip member {member.name} cannot be read: {e}", label) from e
    return opener


def _member_reader(path: Path, member: Member, label: str) -> Callable[[], tuple[bytes | Path, int]]:
    def read() -> tuple[bytes | Path, int]:
        with zipfile.ZipFile(path) as zf:
            data = read_member(zf, member, label)
        return data, len(data)
    return read


class _ZipStream(io.RawIOBase):
    """A zip member's stream that also closes its zip; it never yields more than the declared size."""

    def __init__(self, zf: zipfile.ZipFile, f):
        self._zf, self._f = zf, f

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        try:
            return self._f.read(n)
        except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as e:
            raise ConnectorError(f"zip member cannot be read: {e}") from e

    def readinto(self, b) -> int:
        data = self.read(len(b))
        b[: len(data)] = data
        return len(data)

    def close(self) -> None:
        try:
            self._f.close()
        finally:
            self._zf.close()
        super().close()


def _find_media(media: dict, name: str):
    """The media file a message refers to: exact name, without a trailing dot, or by stem."""
    if not name or not media:
        return None
    name = name.strip()
    for candidate in (name, name.rstrip(".")):
        if candidate in media:
            return candidate, media[candidate]
    stem = name.rstrip(".")
    if "." not in stem:
        for other in sorted(media):
            if other.rsplit(".", 1)[0] == stem:
                return other, media[other]
    return None

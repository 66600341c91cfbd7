"""The national Woo platform's inventory reader, mirrored: what its upload accepts of our xlsx.

open.minvws.nl (github minvws/nl-rdo-woo-web) converts an uploaded xlsx to CSV with Debian's
``/usr/bin/xlsx2csv FILE OUT`` (no options: the first sheet), reads row 1 as headers and maps
them, lower-cased, trimmed and with leading digits stripped, onto fixed aliases
(``InventoryReaderFactory``, ``HeaderMappingTrait``); then reads every row that is not all empty
(``CsvReader``) and maps it (``InventoryReader::mapRow``, ``InventoryDataHelper``,
``DocumentId``). The rules, as DOMAIN.md sums them up, are checked here per row; a row with any
problem is rejected, as the platform rejects it. Where the platform is lenient in a way that
would lose data silently (an unknown Beoordeling becomes ``niet openbaar``; ``intval`` turns
"thread-x" into 0), this reader is strict: our inventory must never rely on that.

    result = read(path)          # Result(accepted=[...], rejected=[(row, [why, ...])], header_problems)
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

XLSX2CSV = shutil.which("xlsx2csv") or "/usr/bin/xlsx2csv"
MAX_DOCUMENTS = 50_000

ALIASES = {  # the platform's column mappings: name -> (required, aliases)
    "date": (False, ("date", "datum")),
    "document": (True, ("document", "document id", "documentnr", "document nr", "documentnr.", "document nr.",
                        "nr.", "omschrijving", "name")),
    "family": (False, ("family", "familie", "family id")),
    "sourcetype": (False, ("file type", "filetype")),
    "ground": (True, ("beoordelingsgrond", "grond", "tagmulti006", "beoordelingsgrond (; gescheiden)")),
    "id": (True, ("id",)),
    "judgement": (True, ("beoordeling", "openbaarmaking")),
    "threadid": (False, ("thread id", "email thread id", "email thread")),
    "casenr": (False, ("zaaknr", "casenr", "zaak", "case", "zaaknummer")),
    "suspended": (False, ("opgeschort", "suspended", "tag015")),
    "link": (False, ("publiekelinktag", "publieke link", "publiekelink", "publicatielink", "publicatie link",
                     "publiekelink ( | gescheiden)")),
    "remark": (False, ("toelichting", "opmerking")),
    "matter": (False, ("matter", "matter / marjoleinnummer")),
    "context": (False, ("publicatiecontext",)),
    "refers_to": (False, ("gerelateerd id",)),
}
JUDGEMENTS = ("openbaar", "deels openbaar", "reeds openbaar", "niet openbaar")
FILE_TYPES = ("pdf", "doc", "image", "presentation", "spreadsheet", "email", "html", "note", "database", "xml",
              "video", "vcard", "chat", "audio", "multiple")
GROUNDS = ("5.1.1a", "5.1.1b", "5.1.1c", "5.1.1d", "5.1.1e", "5.1.2a", "5.1.2b", "5.1.2c", "5.1.2d", "5.1.2e",
           "5.1.2f", "5.1.2g", "5.1.2h", "5.1.2i", "5.1.5", "5.2", "5.4", "dubbel")
DOCUMENT_ID = re.compile(r"[A-Za-z0-9.\-]{1,170}")
CONTEXT = re.compile(r"[A-Za-z0-9\-._~]{1,255}")
LINKABLE = re.compile(r"[A-Za-z0-9]+")  # the leading run of a file name that links it to its row
# InventoryDataHelper::toDateTimeImmutable, in order, as full matches of what xlsx2csv printed
DATE_FORMATS = (
    (re.compile(r"\d{1,4}-\d{1,2}-\d{1,2}"), "%Y-%m-%d"),
    (re.compile(r"\d{1,2}-\d{1,2}-\d{1,4}"), "%d-%m-%Y"),
    (re.compile(r"\d{1,4}/\d{1,2}/\d{1,2}"), "%Y/%m/%d"),
    (re.compile(r"\d{1,2}/\d{1,2}/\d{1,4}"), "%d/%m/%Y"),
    (re.compile(r"\d{1,2}/\d{1,2}/\d{1,4} \d{1,2}:\d{2}"), "%d/%m/%Y %H:%M"),
)


@dataclass
class Result:
    headers: dict[str, int] = field(default_factory=dict)
    header_problems: list[str] = field(default_factory=list)
    accepted: list[dict[str, str]] = field(default_factory=list)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)

    @property
    def total(self) -> int:
        return len(self.accepted) + len(self.rejected)


def to_csv(path: Path) -> str:
    """The CSV text the platform reads: ``xlsx2csv FILE OUT``, exactly as it calls it."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "inventory.csv"
        subprocess.run([XLSX2CSV, str(path), str(out)], check=True, capture_output=True, timeout=600)
        return out.read_text(encoding="utf-8")


def map_headers(headers: list[str]) -> tuple[dict[str, int], list[str]]:
    """HeaderMappingTrait::resolveHeaderMapping: the first header matching a mapping's alias wins."""
    mapping: dict[str, int] = {}
    for idx, name in enumerate(headers):
        name = name.strip().lower().lstrip("0123456789").strip()
        if not name:
            continue
        for key, (_, aliases) in ALIASES.items():
            if key not in mapping and name in aliases:
                mapping[key] = idx
    missing = [k for k, (required, _) in ALIASES.items() if required and k not in mapping]
    return mapping, [f"missing required column(s): {', '.join(missing)}"] if missing else []


def parse_date(value: str) -> datetime | None:
    for rx, fmt in DATE_FORMATS:
        if rx.fullmatch(value):
            try:
                return datetime.strptime(value, fmt)
            except ValueError:
                continue
    return None


def _int_at_least_1(value: str) -> bool:
    return bool(re.fullmatch(r"[1-9][0-9]*", value))


def check_row(row: dict[str, str]) -> list[str]:
    """Why the platform (or our strict reading of it) refuses this row; empty when it is accepted."""
    why = []
    doc_id = row.get("id", "")
    if not doc_id:
        why.append("ID is empty")
    elif not DOCUMENT_ID.fullmatch(doc_id):
        why.append(f"ID {doc_id!r} is not 1-170 of [A-Za-z0-9.-]")
    elif LINKABLE.match(doc_id).group(0) != doc_id:
        why.append(f"ID {doc_id!r} holds a separator: no file can ever be linked to it")
    matter, context = row.get("matter", ""), row.get("context", "")
    if bool(matter) == bool(context):
        why.append("needs exactly one of Matter or Publicatiecontext")
    elif context and not CONTEXT.fullmatch(context):
        why.append(f"Publicatiecontext {context!r} is not 1-255 of [A-Za-z0-9-._~]")
    elif matter and len(matter) < 2:
        why.append("Matter is shorter than 2 characters")
    if len(row.get("document", "").encode("utf-8")) > 1024:
        why.append("Document is longer than 1,024 bytes")
    if row.get("date") and parse_date(row["date"]) is None:
        why.append(f"Datum {row['date']!r} cannot be parsed")
    for key, label in (("family", "Familie"), ("threadid", "Thread ID")):
        if row.get(key) and not _int_at_least_1(row[key]):
            why.append(f"{label} {row[key]!r} is not an integer of at least 1")
    if row.get("sourcetype") and row["sourcetype"].lower() not in FILE_TYPES:
        why.append(f"File type {row['sourcetype']!r} is not one of the platform's")
    if row.get("judgement", "").strip().lower() not in JUDGEMENTS:
        why.append(f"Beoordeling {row.get('judgement', '')!r} would silently become 'niet openbaar'")
    grounds = [g.strip() for g in row.get("ground", "").split(";") if g.strip()]
    grounds = [re.sub(r"^(5\.1\.[12])\.([a-i])$", r"\1\2", g) for g in grounds]
    unknown = [g for g in grounds if g not in GROUNDS]
    if unknown:
        why.append(f"unknown ground(s) {', '.join(unknown)}")
    if len(row.get("remark", "")) > 1000:
        why.append("Toelichting is longer than 1,000 characters")
    for link in filter(None, (x.strip() for x in row.get("link", "").split("|"))):
        if len(link) > 2048:
            why.append("a Publieke link is longer than 2,048 characters")
    return why


def read(path: Path) -> Result:
    """Read an inventory xlsx the platform's way; every row accepted or rejected with its reasons."""
    text = to_csv(path)
    reader = csv.reader(text.splitlines(keepends=True), escapechar="\\", doublequote=True)
    result = Result()
    try:
        headers = next(reader)
    except StopIteration:
        headers = []
    result.headers, result.header_problems = map_headers(headers)
    if result.header_problems:
        return result
    for n, data in enumerate(reader, start=1):
        if not any(data):
            continue  # CsvReader skips rows that are all empty
        row = {key: (data[idx] if idx < len(data) else "") for key, idx in result.headers.items()}
        why = check_row(row)
        if why:
            result.rejected.append((n, why))
        else:
            result.accepted.append(row)
    if result.total > MAX_DOCUMENTS:
        result.header_problems.append(f"more than {MAX_DOCUMENTS} documents")
    return result

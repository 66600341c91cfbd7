"""Which connector reads which TYPE: a table of ``module:Class`` names, imported only when used.

The core reaches connectors only through here, never by importing the ``connectors`` package, so
a built-in connector and one installed from elsewhere (entry point group
``woo_collector.connectors`` in its ``setup.cfg``) are found, listed and recognised the same way.
Classes are imported on first use, which keeps ``woo --help`` fast.
"""

from __future__ import annotations

import functools
import importlib
import importlib.util
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from woo_collector.errors import ConfigError

ENTRY_POINT_GROUP = "woo_collector.connectors"

# One line per TYPE of the command-line contract. The order is the order detect() asks them in
# (the first of equal scorers wins) and the order the --type help lists them.
BUILT_IN: dict[str, str] = {
    "eml": "connectors.eml:EmlConnector",
    "mbox": "connectors.mbox:MboxConnector",
    "maildir": "connectors.maildir:MaildirConnector",
    "msg": "connectors.msg:MsgConnector",
    "pst": "connectors.pst:PstConnector",
    "imap": "connectors.imap:ImapConnector",
    "exchange": "connectors.exchange:ExchangeConnector",
    "graph": "connectors.graph:GraphConnector",
    "whatsapp": "connectors.whatsapp:WhatsAppConnector",
    "sms": "connectors.sms:SmsConnector",
    "teams": "connectors.teams:TeamsConnector",
    "signal": "connectors.signal:SignalConnector",
    "telegram": "connectors.telegram:TelegramConnector",
    "chattable": "connectors.chattable:ChatTableConnector",
    "files": "connectors.files:FilesConnector",
}


def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


def available() -> dict[str, str]:
    """TYPE -> 'module:Class' for every connector whose module is installed (a new dict each call)."""
    return dict(_available())


@functools.cache
def _available() -> dict[str, str]:
    # Looked up once a process: scanning the installed packages' entry points costs milliseconds, and
    # recognising a folder asks for every connector of every file.
    return {name: target for name, target in {**BUILT_IN, **_entry_points()}.items() if _installed(target.split(":")[0])}


def types_help() -> str:
    """The connector TYPEs as a comma-separated list (built-in ones in the contract's order)."""
    return ", ".join(available())


def get(name: str):
    """The connector class for a TYPE; ConfigError naming the valid types otherwise."""
    target = _available().get(name)
    if target is None:
        raise ConfigError(f"unknown source type {name!r}; choose one of: {', '.join(sorted(available()))}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


# Formats that are a folder, not a set of files: such a folder is read whole, never file by file.
WHOLE_FOLDER_TYPES = ("maildir", "telegram", "signal")
MAX_CHAT_SCAN = 64 * 1024 * 1024  # bytes of a chat text searched for the names of its media


@dataclass
class Part:
    """One connector's share of an import: ``files`` None is the path as a whole."""

    type: str
    files: list[Path] | None = None
    unreadable: list[Path] = field(default_factory=list)  # files whose content could not be read to recognise


def plan(path: Path) -> list[Part]:
    """What ``woo import PATH`` without ``--type`` reads, and with which connector.

    A file is recognised by its content. A folder that is one export (a maildir, a Telegram folder
    with result.json, a signal-export folder) is read whole; any other folder is recognised file by
    file: each connector gets the files it scores best on. A WhatsApp chat text keeps the files
    beside it that it names (its media); the files it does not name are recognised on their own. A
    file that cannot be read goes to ``files``, whose run lists it as a failure of that file.
    """
    path = Path(path)
    if not path.is_dir():
        return [Part(detect(path)[0])]
    for name in WHOLE_FOLDER_TYPES:
        cls = get(name) if name in available() else None
        if cls is not None and cls.score(path, b"") >= 0.8:
            return [Part(name)]
    found: dict[str, list[Path]] = {}
    unreadable: list[Path] = []
    for p in walk_files(path):
        try:
            kind = detect(p)[0]
        except OSError:
            unreadable.append(p)
            kind = "files"
        except ConfigError:
            kind = "files"
        found.setdefault(kind, []).append(p)
    media = _chat_media(found.get("whatsapp", []))
    if media and "files" in found:
        found["files"] = [p for p in found["files"] if p not in media or p in unreadable]
        if not found["files"]:
            del found["files"]
    if not found:
        return [Part(detect(path)[0])]
    if len(found) == 1 and not unreadable:
        return [Part(next(iter(found)))]
    order = list(available())
    return [Part(kind, found[kind], [p for p in unreadable if kind == "files"])
            for kind in sorted(found, key=lambda k: order.index(k) if k in order else len(order))]


def walk_files(root: Path, suffixes: tuple[str, ...] = ()) -> Iterator[Path]:
    """Files below ``root`` in a stable order (or ``root`` itself), skipping hidden ones and links:
    how every file connector, and the recognition of a folder, see a folder."""
    if root.is_file():
        yield root
        return
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
        for fn in sorted(filenames):
            if fn.startswith("."):
                continue
            p = Path(dirpath) / fn
            if p.is_symlink():
                continue
            if not suffixes or p.suffix.lower() in suffixes:
                yield p


def _chat_media(chats: list[Path]) -> set[Path]:
    """The files beside WhatsApp chat texts whose names the texts mention (their media)."""
    out: set[Path] = set()
    for chat in chats:
        if chat.suffix.lower() != ".txt":
            continue
        try:
            with open(chat, "rb") as f:
                raw = f.read(MAX_CHAT_SCAN)
            siblings = [Path(e.path) for e in os.scandir(chat.parent) if e.is_file(follow_symlinks=False)]
        except OSError:
            continue
        text = raw.decode("utf-16" if raw[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8", errors="replace")
        for p in siblings:
            stem = p.name.rsplit(".", 1)[0]
            if p != chat and (p.name in text or (len(stem) >= 8 and stem in text)):
                out.add(p)
    return out


def detect(path: Path) -> tuple[str, float]:
    """Recognise the format of ``path`` from its content (and name): (TYPE, score); the highest scorer wins."""
    path = Path(path)
    head = b""
    if path.is_file():
        with open(path, "rb") as f:
            head = f.read(65536)
    best, score = "", 0.0
    for name in available():
        cls = get(name)
        if cls.network:
            continue
        s = cls.score(path, head)
        if s > score:
            best, score = name, s
    if not best:
        raise ConfigError(f"cannot tell what kind of file {path} is; give --type (one of: {', '.join(sorted(available()))})")
    return best, score

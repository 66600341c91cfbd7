"""``signal``: Signal Desktop chats as the common ``signal-export`` tool writes them (github carderne/signal-export).

What it is: Signal keeps its messages in an encrypted database on the phone and on linked
computers. An official (or IT) links Signal Desktop to the phone, installs ``signal-export``
(``pipx install signal-export``) and runs ``sigexport ~/signal-chats``. The tool writes one folder
per chat, named after the contact or group (letters and digits only), each with ``chat.md``,
``index.html``, ``data.json`` and a ``media/`` folder of attachments:

    signal-chats/
      SannedeVries/
        data.json         one JSON object per line (JSON Lines), one line per message
        chat.md
        index.html
        media/2025-03-11T09-14-00.000_00_IMG_0042.jpg

A line of ``data.json`` is ``json.dumps(dataclasses.asdict(Message))`` of the tool's
``models.Message``:

    {"date": "2025-03-11T09:14:00.123000", "sender": "Sanne de Vries", "body": "Is het klaar?  ",
     "quote": "", "sticker": "", "reactions": [["Me", "👍"]],
     "attachments": [{"name": "2025-03-11T09-14-00.000_00_IMG_0042.jpg",
                      "path": "media/2025-03-11T09-14-00.000_00_IMG_0042.jpg"}],
     "deleted": false, "call": false, "missed": false}

How it is read: ``date`` is the exporting computer's local time without offset
(``datetime.fromtimestamp``); it is read in the source's ``timezone`` setting (by default the
workspace's). ``sender`` is ``Me`` for the phone's owner (recorded as the custodian) and ``No-Sender``
when the tool did not know. The tool appends two spaces to every body (for Markdown) and writes a
reply's quoted text as ``\\n\\n> text\\n\\n``; both are undone. Attachments found in the chat folder
are kept in the store, listed in ``meta["media"]`` and yielded as ``attachment`` items of their
message with their text (``connectors.support.chat.media_items``); calls, deletions, stickers, reactions and
earlier versions of edited messages (``edits``, newer versions of the tool) go into meta. Lines
carry no message id, so an item's id comes from chat, time, sender and text.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any, Iterator

from connectors.base import FileConnector, Yield, walk_files
from connectors.support.chat import (
    Medium, as_dict, as_list, as_str, iter_lines, load_json_line, media_items, medium_failure, parse_iso, read_medium, zone,
)
from woo_collector.connector_settings import DeviceClockSettings
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item

DATA = "data.json"


def _looks_like_export_line(line: bytes) -> bool:
    value, reason = load_json_line(line)
    return not reason and isinstance(value, dict) and {"date", "sender", "body"} <= set(value)


def _first_line(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.readline(1024 * 1024)
    except OSError:
        return b""


def _unquote(quote: str) -> str:
    """'\\n\\n> line one\\n> line two\\n\\n' (as create.py writes it) -> 'line one\\nline two'."""
    lines = [ln[2:] if ln.startswith("> ") else ln.lstrip(">") for ln in quote.strip("\n").split("\n")]
    return "\n".join(lines).strip()


class SignalConnector(FileConnector):
    name = "signal"
    settings_class = DeviceClockSettings
    description = "Signal chats exported with signal-export (a folder of chat folders with data.json)"
    extensions = (".json",)

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            candidates = [path / DATA] + sorted(path.glob(f"*/{DATA}"))[:3]
            for p in candidates:
                if p.is_file() and _looks_like_export_line(_first_line(p)):
                    return 0.9
            return 0.0
        first = head.split(b"\n", 1)[0]
        if _looks_like_export_line(first):
            return 0.9 if path.name == DATA else 0.6
        return 0.0

    def collect(self) -> Iterator[Yield]:
        if Path(self.spec.path).exists():
            self.tz = zone(self.spec.setting("timezone", self.spec.timezone))
        yield from super().collect()

    def accept(self, path: Path) -> bool:
        return path.name == DATA

    def none_found(self, root: Path) -> str:
        hint = " (the chats were exported with --no-json: run sigexport again without it)" if any(
            p.name == "chat.md" for p in walk_files(root)) else ""
        return f"no {DATA} found: not a signal-export folder{hint}"

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        chat_dir = path.parent
        chat = chat_dir.name
        conversation = f"signal:{chat}"
        seen: dict[str, int] = {}
        good = 0
        with open(path, "rb") as f:
            for lineno, line in iter_lines(f):
                if line is not None and not line.strip():
                    continue
                locator = f"{chat}/{DATA} line {lineno}"
                value, reason = load_json_line(line) if line is not None else (None, "a line too long to be a message")
                if not reason and not isinstance(value, dict):
                    reason = "a line that is not a message object"
                if reason:
                    if good == 0 and lineno == 1:
                        raise ConnectorError(f"line 1: {reason}; not a signal-export data.json", path)
                    yield Failure(str(path), reason, locator, sha)
                    continue
                good += 1
                yield from self._message(value, chat_dir, chat, conversation, path, sha, locator, seen)
        if good == 0:
            raise ConnectorError("no messages in data.json", path)

    def _message(self, m: dict, chat_dir: Path, chat: str, conversation: str, path: Path, sha: str,
                 locator: str, seen: dict[str, int]) -> Iterator[Yield]:
        raw_date = as_str(m.get("date"))
        sent, _ = parse_iso(raw_date, self.tz)
        raw_sender = as_str(m.get("sender"))
        mine = raw_sender == "Me"
        sender = self.spec.custodian if mine else ("" if raw_sender == "No-Sender" else raw_sender)
        body = as_str(m.get("body"))
        if body.endswith("  "):
            body = body[:-2]
        meta: dict[str, Any] = {"chat": chat, "direction": "sent" if mine else "received"}
        if mine:
            meta["sender_as_exported"] = raw_sender
        quote = _unquote(as_str(m.get("quote")))
        if quote:
            meta["quote"] = quote
        sticker = m.get("sticker")
        if isinstance(sticker, dict):
            sticker = as_str(sticker.get("emoji")) or "sticker"
        if as_str(sticker):
            meta["sticker"] = as_str(sticker)
        reactions = []
        for r in as_list(m.get("reactions")):
            if isinstance(r, list) and len(r) == 2:
                reactions.append({"by": as_str(r[0]), "emoji": as_str(r[1])})
            elif isinstance(r, dict):
                reactions.append({"by": as_str(r.get("name")), "emoji": as_str(r.get("emoji"))})
        if reactions:
            meta["reactions"] = reactions
        if m.get("deleted") is True:
            meta["deleted"] = True
        if m.get("call") is True:
            meta["event"] = "missed call" if m.get("missed") is True else "call"
        edits = [{"date": as_str(as_dict(e).get("date")), "body": as_str(as_dict(e).get("body"))}
                 for e in as_list(m.get("edits"))]
        if edits:
            meta["edits"] = edits
        found = [self._attachment(a, chat_dir) for a in as_list(m.get("attachments"))]
        if found:
            meta["media"] = [entry for entry, _ in found if entry]
        media = [medium for _, medium in found if medium is not None]
        key = self._key(seen, raw_date, raw_sender, body)
        message = Item(
            id=self.item_id("signal", conversation, key), kind="chat", source=self.spec.name,
            custodian=self.spec.custodian, sha256=sha, sent=sent, sender=sender, subject=chat, body=body,
            locator=locator, conversation=conversation, message_id=key, platform="signal", meta=meta,
        )
        yield message
        yield from media_items(self, message, media)
        for medium in media:
            problem = medium_failure(medium, str(chat_dir / medium.locator), "", medium.sha256)
            if problem:
                yield problem
        if sent is None:
            yield Failure(str(path), f"unreadable date {raw_date!r}; the message was kept without a time", locator, sha)

    def _attachment(self, att: Any, chat_dir: Path) -> tuple[dict, Medium | None]:
        """(what meta["media"] lists of an attachment, the medium when the chat folder holds its file)."""
        att = as_dict(att)
        name, rel = as_str(att.get("name")), as_str(att.get("path")).replace("%20", " ")
        entry: dict[str, Any] = {"name": name, "path": rel}
        if as_str(att.get("missing_kind")):
            entry["missing"] = as_str(att["missing_kind"])
            return entry, None
        try:
            target = (chat_dir / rel).resolve() if rel else None
            inside = target is not None and chat_dir.resolve() in target.parents
            found = inside and target.is_file() and not (chat_dir / rel).is_symlink()
        except (OSError, ValueError):  # a name the file system cannot hold
            target, inside, found = None, False, False
        if not found:
            entry["missing"] = "not in the export folder" if inside or not rel else "path outside the chat folder"
            return entry, None
        entry["sha256"] = self.sink.keep(target, target.name)
        entry["size"] = target.stat().st_size
        return entry, read_medium(name or target.name, entry["sha256"], target, entry["size"], locator=rel,
                                  content_type=as_str(att.get("contentType") or att.get("content_type")))

    @staticmethod
    def _key(seen: dict[str, int], date: str, sender: str, body: str) -> str:
        """Chat time, sender and text; exact twins at one moment are told apart by their order.

        Lines come in time order, so only the keys of the current moment are remembered.
        """
        digest = hashlib.sha256(f"{sender}\x1f{body}".encode("utf-8", "surrogatepass")).hexdigest()[:16]
        key = f"{date}:{digest}"
        if not next(iter(seen), "").startswith(f"{date}:"):
            seen.clear()
        n = seen.get(key, 0)
        seen[key] = n + 1
        return key if n == 0 else f"{key}:{n}"

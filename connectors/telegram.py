"""``telegram``: Telegram chats as Telegram Desktop exports them (``result.json``).

What it is: in Telegram Desktop, a chat's menu "Export chat history" (one chat), or Settings >
Advanced > "Export Telegram data" (everything), with format "Machine-readable JSON". The export is
a folder with ``result.json`` and subfolders of media (``photos/``, ``files/``, ``voice_messages/``)
when media were included.

One chat:

    {"name": "Bob", "type": "personal_chat", "id": 700000000,
     "messages": [
       {"id": 3644, "type": "message", "date": "2019-07-12T16:55:32", "date_unixtime": "1562943332",
        "from": "Bob", "from_id": "user700000000", "reply_to_message_id": 3643,
        "edited": "2019-07-12T17:00:01", "edited_unixtime": "1562943601",
        "text": [{"type": "link", "text": "https://google.com"}, " 👀"],
        "photo": "photos/photo_1@12-07-2019_16-55-32.jpg", "width": 960, "height": 1280},
       {"id": 3674, "type": "service", "date": "2023-08-10T23:11:02", "actor": "Alice",
        "actor_id": "user300000000", "action": "phone_call", "duration_seconds": 56, "text": ""}]}

A full export wraps the chats: ``{"about": ..., "chats": {"about": ..., "list": [chat, ...]},
"left_chats": {"list": [...]}}``.

How it is read: ``text`` is a string or a list of strings and entity objects
(``{"type": "bold", "text": ...}``); their texts are joined. ``date_unixtime`` (UTC) is used when
present; otherwise ``date``, the exporting computer's local clock, is read in the source's
``timezone`` setting (by default the workspace's). Service messages (``type: "service"``: joins,
calls, pins, title changes) are kept as events (``meta["event"]`` is the ``action``, no sender).
Photos, files, stickers, voice and video messages are listed in ``meta["media"]``; those present
in the export folder are kept in the store, and a photo or file (voice note, video, document) is
also an ``attachment`` item of its message with its text (``connectors.support.chat.media_items``).
The conversation is the chat's ``id``.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Iterator

from connectors.base import FileConnector, Yield
from connectors.support.chat import (
    JsonStreamError, Medium, as_dict, as_list, as_str, from_epoch_s, load_json_line, media_items, medium_failure, parse_iso,
    read_medium, stream_arrays, zone,
)
from woo_collector.connector_settings import DeviceClockSettings
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item

MEDIA_FIELDS = ("photo", "file", "thumbnail", "sticker_emoji", "media_type", "mime_type", "file_name",
                "duration_seconds", "width", "height", "poll", "contact_information", "location_information",
                "place_name", "address", "game_title", "invoice_information")
_FILE_FIELDS = ("photo", "file", "thumbnail")
_EVENT_FIELDS = ("title", "members", "duration_seconds", "discard_reason", "message_id", "inviter",
                 "new_title", "game_message_id", "score", "amount", "currency", "reason_domain", "period_seconds")
_NOT_INCLUDED = "(File not included"
_NOT_A_LIST = re.compile(r'"messages"\s*:(?!\s*\[)')
_TOKEN = re.compile(r'"(?:[^"\\]|\\.)*"|[{}\[\]]', re.S)


def entity_text(text: Any) -> str:
    """A Telegram ``text``: a string, or a list of strings and ``{"type", "text"}`` entities."""
    if isinstance(text, str):
        return text
    out = []
    for part in as_list(text):
        if isinstance(part, str):
            out.append(part)
        elif isinstance(part, dict):
            out.append(as_str(part.get("text")))
    return "".join(out)


class TelegramConnector(FileConnector):
    name = "telegram"
    settings_class = DeviceClockSettings
    description = "Telegram Desktop JSON export (result.json): one chat or the full export"
    extensions = (".json",)

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return 0.8 if (path / "result.json").is_file() and cls.score(
                path / "result.json", _head(path / "result.json")) >= 0.8 else 0.0
        if b'"messages"' in head and (b'"date_unixtime"' in head or b'"from_id"' in head
                                      or b'"text_entities"' in head or b'"actor_id"' in head):
            return 0.9
        if b'"chats"' in head and b'"personal_information"' in head:
            return 0.9
        return 0.1 if path.name == "result.json" else 0.0

    def collect(self) -> Iterator[Yield]:
        if Path(self.spec.path).exists():
            self.tz = zone(self.spec.setting("timezone", self.spec.timezone))
        yield from super().collect()

    def accept(self, path: Path) -> bool:
        return path.name == "result.json"

    def none_found(self, root: Path) -> str:
        return "no result.json found: export with Telegram Desktop, format JSON"

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        """Stream the file: one message in memory at a time, however large the export."""
        chats = read = k = 0
        chat: dict = {}
        chat_id = ""
        try:
            with open(path, "rb") as f:
                for event, value in stream_arrays(f, "messages"):
                    if event in ("open", "end"):
                        for bad in _NOT_A_LIST.finditer(value):
                            other = as_str(chat_header(value[: bad.start()]).get("id")) or "unknown"
                            yield Failure(str(path), f"chat {other} has no 'messages' list", f"chat {other}", sha)
                    if event == "open":
                        chats += 1
                        chat = chat_header(value)
                        chat_id = as_str(chat.get("id")) or f"chat{chats}"
                        k = 0
                    elif event == "item":
                        k += 1
                        read += 1
                        yield from self._message(as_dict(value), chat, chat_id, path, sha, f"chat {chat_id} message {k}")
        except JsonStreamError as e:
            if read == 0:
                raise ConnectorError(f"not readable as a Telegram export: {e.reason} (character {e.offset})",
                                     path) from None
            where = f"chat {chat_id} after message {k}"
            yield Failure(str(path), f"the JSON is damaged or cut off at character {e.offset} ({e.reason}); "
                          f"the {read} messages before it were read, the rest could not be", where, sha)
            return
        if chats == 0:
            raise ConnectorError("not a Telegram export: no 'messages' list and no 'chats'", path)

    def _message(self, m: dict, chat: dict, chat_id: str, path: Path, sha: str, locator: str) -> Iterator[Yield]:
        mid = as_str(m.get("id"))
        if not mid:
            yield Failure(str(path), "a message without an id", locator, sha)
            return
        sent = from_epoch_s(m.get("date_unixtime"))
        meta: dict[str, Any] = {"chat_name": as_str(chat.get("name")),
                                "chat_type": as_str(chat.get("type"))}
        if sent is None and m.get("date") is not None:
            sent, _ = parse_iso(m.get("date"), self.tz)
            if sent is not None:
                meta["time_basis"] = f"local clock read as {self.tz.key}"
        is_service = as_str(m.get("type")) == "service"
        body = entity_text(m.get("text"))
        if is_service:
            sender = ""
            action = as_str(m.get("action")) or "service"
            meta["event"] = action
            actor = as_str(m.get("actor"))
            if actor:
                meta["actor"] = actor
            if as_str(m.get("actor_id")):
                meta["actor_id"] = as_str(m["actor_id"])
            details = {k: m[k] for k in _EVENT_FIELDS if k in m}
            if details:
                meta["event_detail"] = details
            if not body:
                extra = ", ".join(f"{k} {_plain(v)}" for k, v in details.items())
                body = f"{actor + ': ' if actor else ''}{action.replace('_', ' ')}{' (' + extra + ')' if extra else ''}"
        else:
            sender = as_str(m.get("from"))
            if as_str(m.get("from_id")):
                meta["from_id"] = as_str(m["from_id"])
        for key in ("reply_to_message_id", "forwarded_from", "via_bot", "saved_from"):
            if m.get(key) is not None and as_str(m.get(key)):
                meta[key] = as_str(m[key])
        if m.get("edited") is not None or m.get("edited_unixtime") is not None:
            when = from_epoch_s(m.get("edited_unixtime")) or parse_iso(m.get("edited"), self.tz)[0]
            meta["edited"] = when.isoformat() if when else as_str(m.get("edited")) or True
        media = {} if is_service else self._media(m, path.parent)
        if media:
            meta["media"] = media
        conversation = f"telegram:{chat_id}"
        message = Item(
            id=self.item_id("telegram", conversation, mid), kind="chat", source=self.spec.name,
            custodian=self.spec.custodian, sha256=sha, sent=sent, sender=sender,
            subject=as_str(chat.get("name")), body=body, locator=locator, conversation=conversation,
            message_id=mid, platform="telegram", meta=meta,
        )
        yield message
        sent_files = self._sent_files(media, m, path.parent)
        yield from media_items(self, message, sent_files)
        for medium in sent_files:
            problem = medium_failure(medium, str(path.parent / medium.locator), "", medium.sha256)
            if problem:
                yield problem
        if sent is None:
            yield Failure(str(path), f"no readable date ({as_str(m.get('date')) or 'missing'}); "
                          "the message was kept without a time", locator, sha)

    def _media(self, m: dict, folder: Path) -> dict:
        media: dict[str, Any] = {}
        for key in MEDIA_FIELDS:
            if key not in m or m[key] is None:
                continue
            value = m[key]
            if key in _FILE_FIELDS and isinstance(value, str):
                entry: dict[str, Any] = {"path": value}
                if value.startswith(_NOT_INCLUDED):
                    entry = {"included": False}
                else:
                    kept = self._keep(folder, value)
                    entry.update(kept)
                media[key] = entry
            else:
                media[key] = value if isinstance(value, (str, int, float, bool)) else _plain(value)
        return media

    @staticmethod
    def _sent_files(media: dict, m: dict, folder: Path) -> list[Medium]:
        """The photo and the file (voice note, video, document) of a message that the export holds, with their text.

        A thumbnail is a preview the export made of a video or a file: kept and listed, not a medium of its own.
        """
        out = []
        for key in ("photo", "file"):
            entry = media.get(key)
            if not isinstance(entry, dict) or not entry.get("sha256"):
                continue
            rel = entry["path"]
            name = as_str(m.get("file_name")) if key == "file" and as_str(m.get("file_name")) else Path(rel).name
            out.append(read_medium(name, entry["sha256"], folder / rel, entry.get("size", -1), locator=rel,
                                   content_type=as_str(m.get("mime_type")) if key == "file" else ""))
        return out

    def _keep(self, folder: Path, rel: str) -> dict:
        try:
            target = (folder / rel).resolve()
            if folder.resolve() in target.parents and target.is_file() and not (folder / rel).is_symlink():
                return {"sha256": self.sink.keep(target, target.name), "size": target.stat().st_size}
        except (OSError, ValueError):  # a name the file system cannot hold
            pass
        return {"included": False}


def _plain(value: Any) -> Any:
    """A JSON value as it is (already JSON-serialisable), scalars shown as text."""
    return value if isinstance(value, (dict, list)) else as_str(value)


def chat_header(segment: str) -> dict:
    """The fields of the chat object whose 'messages' list follows ``segment`` (name, type, id).

    Telegram Desktop writes them before the messages: the innermost object still open at the end
    of the segment is the chat; closing it after its last field makes it readable JSON.
    """
    stack: list[int] = []
    for m in _TOKEN.finditer(segment):
        tok = m.group()
        if tok in ("{", "["):
            stack.append(m.start())
        elif tok in ("}", "]") and stack:
            stack.pop()
    head = segment[stack[-1]:] if stack else ""
    if not head.startswith("{"):
        return {}
    head = head.rstrip().rstrip(",")
    value, reason = load_json_line(head + "}")
    return value if isinstance(value, dict) and not reason else {}


def _head(path: Path) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(65536)
    except OSError:
        return b""

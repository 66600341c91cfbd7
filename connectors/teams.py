"""``teams``: Microsoft Teams chat and channel messages as Microsoft Graph returns them (chatMessage JSON).

What it is: the JSON pages of the Graph API (``GET /chats/{id}/messages``,
``/teams/{id}/channels/{id}/messages`` with ``/replies``, or the export API
``/users/{id}/chats/getAllMessages``), saved as they came: one page per file, a folder of pages,
or JSON Lines with one chatMessage per line (what most export scripts write). IT makes them with
Graph Explorer, PowerShell (``Invoke-MgGraphRequest``) or an eDiscovery tool.

    {"@odata.context": "https://graph.microsoft.com/v1.0/$metadata#chats('19%3A...')/messages",
     "@odata.nextLink": "https://graph.microsoft.com/v1.0/chats/19:...@thread.v2/messages?$skiptoken=...",
     "value": [
       {"id": "1616964509832", "replyToId": null, "messageType": "message",
        "createdDateTime": "2021-03-28T20:48:29.832Z", "lastEditedDateTime": null, "deletedDateTime": null,
        "chatId": "19:2da4c29f6d7041eca70b638b43d45437@thread.v2", "channelIdentity": null,
        "from": {"user": {"id": "8ea0e38b-...", "displayName": "Robin Kline"}},
        "body": {"contentType": "html", "content": "<p>Hallo <at id=\\"0\\">Sanne</at></p>"},
        "attachments": [], "mentions": [...], "reactions": []}]}

How it is read: each chatMessage is one chat item. The conversation is the ``chatId`` (one-to-one,
group and meeting chats) or ``teamId/channelId`` for channel messages; a reply (``replyToId``)
stays in its channel's conversation with ``meta["reply_to"]``. HTML bodies become text: mentions
as ``@Name``, emoji by their character, quoted replies as ``> `` lines, code kept, inline images
(hosted contents) as ``[afbeelding]`` and listed in ``meta["hosted_contents"]``. Attachments are
listed in ``meta["attachments"]``; an attachment whose file the export holds beside the JSON (by its
name, in the same folder or its ``attachments/`` folder) is kept and yielded as an ``attachment``
item of its message with its text (``connectors.support.chat.media_items``). System events (``systemEventMessage``, or ``unknownFutureValue``
when the request lacked ``Prefer: include-unknown-enum-members``) are kept as events with
``meta["event"]`` and no sender. Edited and deleted messages are marked in meta. A timestamp
missing its 'T' (``2021-03-1706:47:05.123Z``, in Microsoft's own documentation) is repaired; one
that cannot be read leaves the message without a time and is reported as a Failure.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any, Iterator

import lxml.html
from lxml import etree

from connectors.base import FileConnector, Yield, walk_files
from connectors.support.chat import (
    MAX_JSON, Medium, as_dict, as_list, as_str, iter_lines, line_of, load_json, load_json_line, media_items,
    medium_failure, parse_iso, read_medium, salvage_array,
)
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item
from woo_collector.text import html_to_text, tidy

EVENT_TYPES = ("systemEventMessage", "unknownFutureValue")
_SUFFIXES = (".json", ".jsonl", ".ndjson")
_VALUE_ARRAY = re.compile(r'"value"\s*:\s*\[')
_SNIFF = re.compile(rb'"(messageType|chatId|channelIdentity|replyToId)"\s*:')

_HOSTED = re.compile(r"/hostedContents/([^/\"'\s]+)/\$value", re.I)
_SYSTEM_BODY = re.compile(r"^\s*<systemEventMessage\s*/>\s*$", re.I)
_BLOCKS = frozenset(("p", "div", "li", "tr", "table", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "hr",
                     "blockquote", "pre", "codeblock"))
_CODE = frozenset(("pre", "codeblock"))
_SPACE = re.compile(r"[ \t\r\n\f]+")


def body_text(content: str, content_type: str, attachments: dict[str, str] | None = None) -> str:
    """A Teams message body as readable text.

    Teams HTML is read as a tree (linear time on any input): ``<at>`` mentions become ``@Name``,
    ``<emoji alt>`` its character, ``<img>`` (hosted contents) ``[afbeelding]``, ``<attachment id>``
    ``[bijlage: name]``, quoted replies (``<blockquote>``) ``> `` lines, and code keeps its lines.
    """
    if content_type.lower() != "html":
        return tidy(content)
    if not content.strip() or _SYSTEM_BODY.match(content):
        return ""
    try:
        root = lxml.html.fragment_fromstring(content, create_parent="div")
    except (etree.ParserError, ValueError):  # nothing a tree can be made of: plain tag stripping
        return html_to_text(content)
    etree.strip_elements(root, etree.Comment, etree.ProcessingInstruction, "script", "style", with_tail=False)
    names = attachments or {}
    out: list[str] = []
    quotes: list[int] = []  # where each open blockquote's text starts in out
    code = 0
    walker = etree.iterwalk(root, events=("start", "end"))
    for event, el in walker:
        tag = el.tag.lower() if isinstance(el.tag, str) else ""
        if event == "start":
            if tag in _BLOCKS:
                out.append("\n")
            if tag == "blockquote":
                quotes.append(len(out))
            code += tag in _CODE
            if tag == "br":
                out.append("\n")
            elif tag == "emoji":
                out.append(el.get("alt") or el.text or "")
                walker.skip_subtree()
                continue
            elif tag == "img":
                alt = (el.get("alt") or "").strip()
                out.append(f"[afbeelding: {alt}]" if alt else "[afbeelding]")
            elif tag == "attachment":
                ident = el.get("id") or ""
                out.append(f"[bijlage: {names.get(ident) or ident}]")
                walker.skip_subtree()
                continue
            elif tag == "at":
                out.append("@")
            if el.text:
                out.append(el.text if code else _SPACE.sub(" ", el.text))
            continue
        if tag in _BLOCKS:
            out.append("\n")
        if tag == "blockquote" and quotes:
            start = quotes.pop()
            inner = tidy("".join(out[start:]))
            del out[start:]
            out.append("\n".join("> " + line for line in inner.split("\n") if line.strip()) + "\n")
        code -= tag in _CODE
        if el.tail and el is not root:
            out.append(el.tail if code else _SPACE.sub(" ", el.tail))
    text = "".join(out)
    return tidy(re.sub(r"\n (?=\S)", "\n", re.sub(r"(?<=\S) \n", "\n", text)))


def _identity_name(ident: Any) -> tuple[str, str, str]:
    """(display name, id, kind) of a Graph identitySet: user, else application, else device."""
    ident = as_dict(ident)
    for kind in ("user", "application", "device"):
        who = as_dict(ident.get(kind))
        if who:
            return as_str(who.get("displayName")), as_str(who.get("id")), kind
    return "", "", ""


def _event_name(detail: dict, message_type: str) -> str:
    kind = as_str(detail.get("@odata.type"))
    kind = kind.rsplit(".", 1)[-1]
    for suffix in ("EventMessageDetail", "MessageDetail"):
        if kind.endswith(suffix):
            kind = kind[: -len(suffix)]
    return kind or message_type


def _event_text(event: str, detail: dict) -> str:
    who, _, _ = _identity_name(detail.get("initiator"))
    words = re.sub(r"(?<!^)(?=[A-Z])", " ", event).lower()
    parts = [f"{who}: {words}" if who else words]
    for key in ("chatDisplayName", "channelDisplayName", "teamDisplayName", "callEventType", "callDuration"):
        if as_str(detail.get(key)):
            parts.append(f"{key}={as_str(detail[key])}")
    members = [n for n, _, _ in (_identity_name({"user": m}) for m in as_list(detail.get("members"))) if n]
    if members:
        parts.append("members=" + ", ".join(members))
    return "; ".join(parts)


class TeamsConnector(FileConnector):
    name = "teams"
    description = "Microsoft Teams messages as Graph chatMessage JSON: pages, a folder of pages, or JSON Lines"
    extensions = _SUFFIXES

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            for p in walk_files(path, _SUFFIXES):
                with open(p, "rb") as f:
                    if len(set(_SNIFF.findall(f.read(65536)))) >= 2:
                        return 0.7
                break
            return 0.0
        hits = set(_SNIFF.findall(head))
        if len(hits) >= 2 or b"#microsoft.graph.chatMessage" in head:
            return 0.9
        return 0.1 if path.suffix.lower() in _SUFFIXES and hits else 0.0

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            yield from self._lines(path, sha)
            return
        with open(path, "rb") as f:
            first = f.read(MAX_JSON + 1)
        if len(first) > MAX_JSON:
            raise ConnectorError(f"a single JSON document over {MAX_JSON} bytes; save the export as JSON Lines", path)
        try:
            doc = load_json(first, path)
        except ConnectorError as e:
            if "Extra data" not in e.reason:
                yield from self._salvage(first, path, sha, e)
                return
            text = first.decode("utf-8-sig", errors="replace")
            doc, end = json.JSONDecoder().raw_decode(text, len(text) - len(text.lstrip()))
            if text[end:].lstrip()[:1] in ("{", "["):  # JSON Lines: one value per line
                yield from self._lines(path, sha)
                return
            yield Failure(str(path), f"bytes after the JSON document at line {line_of(text, end)} were ignored",
                          f"line {line_of(text, end)}", sha)
        messages = self._messages_of(doc, path)
        n = 0
        for n, msg in enumerate(messages, 1):
            yield from self._message(msg, path, sha, f"message {n}")
        if n == 0 and not isinstance(as_dict(doc).get("value"), list):
            raise ConnectorError("no Teams chatMessage in this JSON (expected Graph's {\"value\": [...]})", path)

    def _salvage(self, data: bytes, path: Path, sha: str, error: ConnectorError) -> Iterator[Yield]:
        """A damaged or truncated page: the messages before the damage, then a Failure."""
        text = data.decode("utf-8-sig", errors="replace")
        m = _VALUE_ARRAY.search(text)
        messages, broken = salvage_array(text, m.end()) if m else ([], 0)
        if not messages:
            raise error
        for n, msg in enumerate(messages, 1):
            yield from self._message(msg, path, sha, f"message {n}")
        yield Failure(str(path), f"{error.reason}; the {len(messages)} messages before line "
                      f"{line_of(text, broken)} were read, the rest could not be", f"after message {len(messages)}", sha)

    @staticmethod
    def _messages_of(doc: Any, path: Path) -> list:
        if isinstance(doc, list):
            return doc
        doc = as_dict(doc)
        if "value" in doc:
            if not isinstance(doc["value"], list):
                raise ConnectorError("'value' is not a list of chatMessages", path)
            return doc["value"]
        if "messageType" in doc or "body" in doc:
            return [doc]
        raise ConnectorError("not a Graph chatMessage page: no 'value' list and no chatMessage fields", path)

    def _lines(self, path: Path, sha: str) -> Iterator[Yield]:
        good = 0
        with open(path, "rb") as f:
            for lineno, line in iter_lines(f):
                if line is not None and not line.strip():
                    continue
                value, reason = load_json_line(line) if line is not None else (None, "a line too long to be a message")
                if reason:
                    if good == 0 and lineno == 1:
                        raise ConnectorError(f"line 1: {reason}", path)
                    yield Failure(str(path), reason, f"line {lineno}", sha)
                    continue
                value = as_dict(value)
                msgs = as_list(value.get("value")) if "value" in value else [value]
                for k, msg in enumerate(msgs, 1):
                    good += 1
                    yield from self._message(msg, path, sha, f"line {lineno}" + (f" message {k}" if len(msgs) > 1 else ""))

    def _message(self, msg: Any, path: Path, sha: str, locator: str) -> Iterator[Yield]:
        msg = as_dict(msg)
        mid = as_str(msg.get("id"))
        if not mid:
            yield Failure(str(path), "a message without an id (not a chatMessage)", locator, sha)
            return
        channel = as_dict(msg.get("channelIdentity"))
        team_id, channel_id = as_str(channel.get("teamId")), as_str(channel.get("channelId"))
        chat_id = as_str(msg.get("chatId"))
        conversation = chat_id or (f"{team_id}/{channel_id}" if channel_id else "teams:unknown")
        message_type = as_str(msg.get("messageType")) or "message"
        body = as_dict(msg.get("body"))
        content, content_type = as_str(body.get("content")), as_str(body.get("contentType")) or "text"
        attachments = []
        names = {}
        for att in as_list(msg.get("attachments")):
            att = as_dict(att)
            entry = {k: as_str(att.get(k)) for k in ("id", "name", "contentType", "contentUrl") if as_str(att.get(k))}
            if entry:
                attachments.append(entry)
                names[entry.get("id", "")] = entry.get("name") or entry.get("contentUrl") or entry.get("id", "")
        text = body_text(content, content_type, names)
        detail = as_dict(msg.get("eventDetail"))
        is_event = message_type in EVENT_TYPES or bool(detail) or bool(_SYSTEM_BODY.match(content))
        sender, sender_id, sender_kind = _identity_name(msg.get("from"))
        meta: dict[str, Any] = {"message_type": message_type}
        if chat_id:
            meta["chat_id"] = chat_id
        if channel_id:
            meta.update(team_id=team_id, channel_id=channel_id)
        if sender_id:
            meta.update(sender_id=sender_id, sender_kind=sender_kind)
        reply_to = as_str(msg.get("replyToId"))
        if reply_to:
            meta["reply_to"] = reply_to
        if attachments:
            meta["attachments"] = attachments
        hosted = sorted(set(_HOSTED.findall(content)))
        if hosted:
            meta["hosted_contents"] = hosted
        mentions = [as_str(as_dict(m).get("mentionText")) for m in as_list(msg.get("mentions"))]
        if any(mentions):
            meta["mentions"] = [m for m in mentions if m]
        reactions = []
        for r in as_list(msg.get("reactions")):
            r = as_dict(r)
            who, _, _ = _identity_name(r.get("user"))
            reactions.append({"type": as_str(r.get("reactionType")), "by": who})
        if reactions:
            meta["reactions"] = reactions
        for key in ("importance", "subject", "webUrl", "locale"):
            if as_str(msg.get(key)) and not (key == "importance" and msg[key] == "normal"):
                meta[key] = as_str(msg[key])
        problems = []
        sent, repaired = parse_iso(msg.get("createdDateTime"))
        if repaired:
            meta["time_repaired"] = as_str(msg.get("createdDateTime"))
        if sent is None:
            raw = msg.get("createdDateTime")
            meta["time_unreadable"] = as_str(raw)
            problems.append(Failure(str(path), f"unreadable createdDateTime {raw!r}; the message was kept without a time",
                                    locator, sha))
        for key, flag in (("lastEditedDateTime", "edited"), ("deletedDateTime", "deleted")):
            if msg.get(key):
                when, _ = parse_iso(msg.get(key))
                meta[flag] = when.isoformat() if when else as_str(msg.get(key)) or True
        if is_event:
            event = _event_name(detail, message_type)
            meta["event"] = event
            if detail:
                meta["event_detail"] = detail
            text = text or _event_text(event, detail)
            sender = ""
        media = [m for m in (self._attached_file(path.parent, entry) for entry in attachments) if m is not None]
        message = Item(
            id=self.item_id("teams", conversation, mid), kind="chat", source=self.spec.name,
            custodian=self.spec.custodian, sha256=sha, sent=sent, sender=sender,
            subject=as_str(msg.get("subject")), body=text, locator=locator, conversation=conversation,
            message_id=mid, platform="teams", meta=meta,
        )
        yield message
        yield from media_items(self, message, media)
        yield from problems
        for medium in media:
            problem = medium_failure(medium, str(path.parent / medium.locator), "", medium.sha256)
            if problem:
                yield problem

    def _attached_file(self, folder: Path, entry: dict) -> Medium | None:
        """The file of an attachment when the export holds it beside the JSON (in its folder or its
        ``attachments/`` folder, by the attachment's name): kept, with its text. Graph itself gives only
        a link (``contentUrl``) to the file in SharePoint or OneDrive; that stays in ``meta["attachments"]``."""
        name = entry.get("name", "")
        if not name or "/" in name or "\\" in name or name in (".", ".."):
            return None
        for rel in (name, f"attachments/{name}"):
            candidate = folder / rel
            try:
                if candidate.is_file() and not candidate.is_symlink():
                    entry["sha256"] = self.sink.keep(candidate, name)
                    entry["size"] = candidate.stat().st_size
                    return read_medium(name, entry["sha256"], candidate, entry["size"], locator=rel)
            except (OSError, ValueError):  # a name the file system cannot hold
                return None
        return None

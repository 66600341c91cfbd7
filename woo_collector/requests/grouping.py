"""From selected items to documents: families kept whole, exact duplicates collapsed, chats per day.

- An e-mail is a document; its attachments are documents of the same family (12, 12.1, 12.2).
  The same mail in several mailboxes (same Message-ID, the same normalised text and the same
  attachments by sha256, or no Message-ID and the same text) is one document that records every
  place it was found. Two mails that share a Message-ID but not their text or their attachments
  (broken clients, forged ids, a resent mail with another file) are two documents, the second
  flagged for the handler (``Draft.same_id_as``). Two different mails carrying the same
  attachment each keep it as their own family member.
- Chat messages are grouped per conversation per local calendar day; the same message
  exported from two phones counts once. The media sent in them (attachment items whose parent is a
  message of that day) are documents of the chat day's family, in message order (5, 5.1, 5.2); a
  medium without text (a photo, a video, a voice note) is marked ``needs_decision``.
- Files are documents; the same bytes in two folders are one document with two places.

It reads only ``Item`` fields (``folder``, ``filetype``, ``platform``, ``seq``, ``identity``,
``message_id_derived``), never ``Item.meta``.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime

from woo_collector.catalog.base import content_hash
from woo_collector.dates import local, zone
from woo_collector.text import filetype_of
from woo_collector.models import Item

MONTHS = ["januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus", "september", "oktober", "november", "december"]
PLATFORMS = {"whatsapp": "WhatsApp", "sms": "Sms", "mms": "Sms", "teams": "Teams", "signal": "Signal", "telegram": "Telegram",
             "kaizala": "Kaizala"}


def dutch_day(dt: datetime) -> str:
    d = local(dt)
    return f"{d.day} {MONTHS[d.month - 1]} {d.year}"


def place_of(item: Item) -> str:
    return " / ".join(p for p in (item.custodian, item.source, item.folder) if p)


@dataclass
class Draft:
    key: str
    kind: str
    items: list[Item]
    title: str
    date: datetime | None
    thread: str = ""
    filetype: str = "other"
    places: list[str] = field(default_factory=list)
    children: list["Draft"] = field(default_factory=list)
    same_id_as: str = ""  # key of the document with this one's Message-ID and other content
    needs_decision: bool = False  # a chat medium without text: no automatic decision

    @property
    def sort_key(self) -> str:
        return f"{self.date.isoformat() if self.date else '9999'}|{self.key}"

    def text(self) -> str:
        return "\n".join(f"{i.subject}\n{i.body}" for i in self.items)


def mail_key(item: Item) -> str:
    mid = item.message_id
    if mid and not item.message_id_derived:
        return "mail:" + mid.strip().lower()
    return "mail:c:" + content_hash(item)


def chat_identity(item: Item) -> str:
    if item.identity:
        return item.identity
    payload = f"{item.conversation}|{item.sender}|{item.sent.isoformat() if item.sent else ''}|{item.body}"
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def is_medium(item: Item) -> bool:
    """A file sent in a chat (a chat connector's attachment item: it has the platform of its message)."""
    return item.kind == "attachment" and bool(item.platform)


def needs_decision(item: Item) -> bool:
    """A chat medium with no text to read (a photo, a video, a voice note, a scan): a handler decides it."""
    return is_medium(item) and not item.body.strip()


def canonical(items: list[Item]) -> Item:
    return min(items, key=lambda i: (i.custodian, i.source, i.id))


def group(items: list[Item], children_of) -> list[Draft]:
    """Documents (top level, with attachment children) from the selected items."""
    mails: dict[str, list[Item]] = defaultdict(list)
    files: dict[str, list[Item]] = defaultdict(list)
    chats: dict[tuple[str, str], dict[str, list[Item]]] = defaultdict(lambda: defaultdict(list))
    orphans: list[Item] = []
    ids = {i.id for i in items}
    for it in items:
        if it.kind == "email":
            mails[mail_key(it)].append(it)
        elif it.kind == "file":
            files["file:" + it.sha256].append(it)
        elif it.kind == "chat":
            day = local(it.sent).date().isoformat() if it.sent else "onbekend"
            chats[(it.conversation or it.source, day)][chat_identity(it)].append(it)
        elif it.kind == "attachment" and it.parent not in ids:
            orphans.append(it)  # its mail is not in the catalog: the attachment stands alone
    drafts: list[Draft] = []
    for key, group_items, same_id_as in _split_by_content(mails, children_of):
        head = canonical(group_items)
        d = Draft(key=key, kind="email", items=[head], title=head.subject or "(geen onderwerp)", date=head.sent,
                  thread=head.conversation, filetype="email", places=sorted({place_of(i) for i in group_items}),
                  same_id_as=same_id_as)
        for n, att in enumerate(children_of(head.id), 1):
            d.children.append(Draft(key=f"att:{key}:{n}", kind="attachment", items=[att], title=att.subject, date=head.sent,
                                    thread=head.conversation, filetype=att.filetype or filetype_of(att.subject),
                                    places=d.places))
        drafts.append(d)
    for key, group_items in files.items():
        head = canonical(group_items)
        drafts.append(Draft(key=key, kind="file", items=[head], title=head.subject, date=head.sent,
                            filetype=head.filetype or filetype_of(head.subject), places=sorted({place_of(i) for i in group_items})))
    for (conv, day), by_identity in chats.items():
        msgs = [canonical(v) for v in by_identity.values()]
        msgs.sort(key=lambda m: (m.sent or datetime.max.replace(tzinfo=zone()), m.seq, m.id))
        first = msgs[0]
        platform = PLATFORMS.get(first.platform.lower(), "Chat")
        name = first.subject or conv
        if name == conv and ("@thread" in conv or conv.startswith("19:")):  # a Teams chat id says nothing to a reader
            people = sorted({m.sender for m in msgs if m.sender})
            name = "met " + ", ".join(people[:4]) + (" e.a." if len(people) > 4 else "")
        title = f"{platform}-gesprek {name}, {dutch_day(first.sent) if first.sent else 'datum onbekend'}"
        places = sorted({place_of(i) for v in by_identity.values() for i in v})
        d = Draft(key=f"chat:{conv}:{day}", kind="chat", items=msgs, title=title, date=first.sent,
                  thread=conv, filetype="chat", places=places)
        d.children = _media_drafts(d.key, msgs, by_identity, children_of, conv, places)
        drafts.append(d)
    for att in orphans:
        drafts.append(Draft(key=f"att:orphan:{att.id}", kind="attachment", items=[att], title=att.subject, date=att.sent,
                            filetype=att.filetype or filetype_of(att.subject), places=[place_of(att)],
                            needs_decision=needs_decision(att)))
    drafts.sort(key=lambda d: d.sort_key)
    return drafts


def _media_drafts(key: str, msgs: list[Item], by_identity: dict[str, list[Item]], children_of, conv: str,
                  places: list[str]) -> list[Draft]:
    """The media sent in a chat day's messages, in message order, as the day's family members.

    A message exported from two phones brings its media once (the copies' media, by sha256). A
    medium's key is its message's identity and its sha256, so its number stays when other messages
    or media come into the day at a later collect."""
    out: list[Draft] = []
    for msg in msgs:
        ident = chat_identity(msg)
        media = list(children_of(msg.id))
        have = {a.sha256 for a in media}
        for copy in sorted((c for c in by_identity.get(ident, []) if c.id != msg.id), key=lambda i: (i.custodian, i.source, i.id)):
            for att in children_of(copy.id):
                if att.sha256 not in have:
                    have.add(att.sha256)
                    media.append(att)
        seen: dict[str, int] = {}
        for att in media:
            n = seen.get(att.sha256, 0)
            seen[att.sha256] = n + 1
            out.append(Draft(key=f"media:{key}:{ident}:{att.sha256[:32]}" + (f":{n}" if n else ""), kind="attachment",
                             items=[att], title=att.subject, date=att.sent or msg.sent, thread=conv,
                             filetype=att.filetype or filetype_of(att.subject), places=places,
                             needs_decision=needs_decision(att)))
    return out


def _split_by_content(mails: dict[str, list[Item]], children_of):
    """(key, items, key of the first document of that Message-ID or "") per mail document: one
    Message-ID whose copies differ in text or in their attachments (the set of their sha256) gives
    one document per content. The copy ``canonical`` picks keeps the plain key, so numbers stay where
    they were; the others get the key with their text's hash (and their attachments' when those differ
    from the first's)."""
    for key, group_items in mails.items():
        if len(group_items) == 1:
            yield key, group_items, ""
            continue
        by_content: dict[tuple[str, str], list[Item]] = defaultdict(list)
        for it in group_items:
            by_content[(content_hash(it), _attachments_hash(children_of(it.id)))].append(it)
        if len(by_content) == 1:
            yield key, group_items, ""
            continue
        head = canonical(group_items)
        first = next(c for c, members in by_content.items() if head in members)
        yield key, by_content[first], ""
        for text_h, att_h in sorted(by_content):
            if (text_h, att_h) != first:
                suffix = f"#c:{text_h[:16]}" + (f".a:{att_h[:16]}" if att_h != first[1] else "")
                yield key + suffix, by_content[(text_h, att_h)], key


def _attachments_hash(attachments) -> str:
    """One hash of a mail's attachments as a set of originals (their order and names aside)."""
    shas = sorted({a.sha256 for a in attachments})
    return hashlib.sha256("\n".join(shas).encode()).hexdigest()


def number(drafts: list[Draft], previous: dict[str, str]) -> tuple[list[tuple[str, Draft]], list[str]]:
    """Numbers: earlier numbers are kept by key; new documents follow the highest number, by date.

    Returns ([(nr, draft)] for top-level and children in order, [keys that are new]).
    """
    used = {int(nr.split(".")[0]) for nr in previous.values()}
    nxt = max(used, default=0) + 1
    out: list[tuple[str, Draft]] = []
    new_keys = []
    for d in drafts:
        nr = previous.get(d.key)
        if nr is None:
            nr = str(nxt)
            nxt += 1
            new_keys.append(d.key)
        out.append((nr, d))
        for k, c in enumerate(d.children, 1):
            cnr = previous.get(c.key) or f"{nr}.{k}"
            if c.key not in previous:
                new_keys.append(c.key)
            out.append((cnr, c))
    out.sort(key=lambda p: tuple(int(x) for x in p[0].split(".")))
    return out, new_keys

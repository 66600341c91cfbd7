"""``mbox``: a Unix mailbox, many messages in one file, each starting with a ``From `` line.

What it looks like: Thunderbird's local folders (``Inbox``, ``Sent`` without extension), Google
Takeout's ``All mail Including Spam and Trash.mbox``, ``mutt`` and Unix mail spools. Body lines
that begin with ``From `` are escaped as ``>From `` (mboxrd). How to get one: Google Takeout, or
Thunderbird's ImportExportTools "export folder".

    From sanne@gemeente.example Tue Mar 11 09:14:00 2025
    From: Sanne de Vries <sanne@gemeente.example>
    Subject: Windturbines

    Beste collega's, ...

The file is read as a stream, message by message. Each message's bytes (between its ``From ``
line and the next) are kept as its own original. A checkpoint records how far the file has been
taken in, with a fingerprint of its beginning, so a killed import resumes where it stopped and a
mailbox that has grown at the end is read from where the last run stopped. It never passes a message
that could not be read: the next run reads from there again, until the file reads whole.
"""

from __future__ import annotations

import email
import hashlib
import json
import os
import re
from email.policy import compat32
from pathlib import Path
from typing import BinaryIO, Iterator

from connectors.base import Checkpoint, FileConnector, Yield
from woo_collector.errors import ConnectorError
from connectors.support.mime import MailContext, iter_parts, looks_like_mail, parse_mail
from woo_collector.models import Failure

MAX_MESSAGE = 256 * 1024 * 1024
CHECKPOINT_EVERY = 200  # messages
_FROM = re.compile(rb"^From \S*.*\d{4}\s*$|^From \S+ ")
_ESCAPED = re.compile(rb"^>+From ")
HEAD = 1024 * 1024
LINE_CHUNK = 1024 * 1024


def head_fingerprint(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.sha256(f.read(HEAD)).hexdigest()


def split_mbox(f: BinaryIO, start: int = 0) -> Iterator[tuple[int, int, bytes, bool]]:
    """Yield (offset, end offset, message bytes without the From_ line, complete) from ``start``.

    A message is complete when another ``From `` line follows it, or the file ends in a newline.
    Lines are read one at a time: memory is bounded by the largest message.
    """
    f.seek(start)
    offset = start
    current: list[bytes] = []
    msg_start = None
    size = 0
    prev_blank = True
    pos = start
    for line in iter(lambda: f.readline(LINE_CHUNK), b""):  # bounded: a file without newlines is read in chunks
        if line.startswith(b"From ") and prev_blank and _FROM.match(line.rstrip(b"\r\n")):
            if msg_start is not None:
                yield msg_start, pos, b"".join(current), True
            msg_start = pos
            current = []
            size = 0
        elif msg_start is None:
            if line.strip():
                raise ConnectorError("not an mbox file: it does not start with a 'From ' line")
        else:
            size += len(line)
            if size <= MAX_MESSAGE:
                current.append(line)
        prev_blank = line in (b"\n", b"\r\n")
        pos += len(line)
    if msg_start is not None:
        data = b"".join(current)
        yield msg_start, pos, data, data.endswith(b"\n")
    del offset


def unescape(raw: bytes) -> bytes:
    """mboxrd: one '>' is removed from body lines '>From ', '>>From ', ..."""
    if b"\n>" not in raw:
        return raw
    return b"".join(line[1:] if _ESCAPED.match(line) else line for line in raw.splitlines(keepends=True))


def truncated_reason(raw: bytes) -> str:
    """Why the last message of a file looks cut off, or '' when it looks whole."""
    if not raw.endswith(b"\n"):
        return "the file ends in the middle of a line (truncated?)"
    try:
        msg = email.message_from_bytes(raw, policy=compat32)
    except RecursionError:
        return ""  # parse_mail says what is wrong with it
    for part, _level in iter_parts(msg):
        for d in part.defects:
            if d.__class__.__name__ in ("CloseBoundaryNotFoundDefect", "StartBoundaryNotFoundDefect"):
                return "the last message ends before its MIME parts are closed (truncated file?)"
    return ""


class MboxConnector(FileConnector):
    name = "mbox"
    description = "Unix mbox files (Thunderbird, Google Takeout), a file or a folder of them"
    extensions = (".mbox", ".mbx")
    suffixes = ()  # in a folder every file is sniffed: Thunderbird's mailboxes have no extension
    keep_whole = False  # each message is kept as its own original

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return 0.25 if any(p.suffix.lower() in cls.extensions for p in path.iterdir()) else 0.0
        first = head.split(b"\n", 1)[0]
        if first.startswith(b"From ") and _FROM.match(first.rstrip(b"\r")) and looks_like_mail(head):
            return 0.95
        return 0.3 if path.suffix.lower() in cls.extensions else 0.0

    def accept(self, path: Path) -> bool:
        with open(path, "rb") as f:
            return self.score(path, f.read(65536)) >= 0.9

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        """Resume where the checkpoint says; it never moves past a message that failed, so the next
        run reads that message again (the mbox form of the rule that a file is retried until it
        reads whole)."""
        st = path.stat()
        if st.st_size == 0:
            raise ConnectorError("the file is empty: no messages to take in", path)
        key = f"mbox:{path.resolve()}"
        head = head_fingerprint(path)
        start, number = 0, 0
        saved = self.sink.state(key)
        if saved:
            s = json.loads(saved)
            if s.get("head") == head and s.get("offset", 0) <= st.st_size:
                start, number = s["offset"], s.get("number", 0)
                if start == st.st_size:
                    return  # nothing new since the last run
        folder = path.stem
        since_checkpoint = 0
        reason = ""
        failed = False
        with open(path, "rb") as f:
            try:
                for msg_start, msg_end, raw, complete in split_mbox(f, start):
                    number += 1
                    locator = f"bericht {number} (byte {msg_start})"
                    sha = self.sink.keep(raw, f"{path.name}#{number}")
                    if len(raw) >= MAX_MESSAGE:
                        failed = True
                        yield Failure(str(path), f"message larger than {MAX_MESSAGE} bytes; its beginning is kept, not parsed", locator, sha)
                        continue
                    reason = "" if complete and msg_end < st.st_size else truncated_reason(raw) if msg_end >= st.st_size else ""
                    if reason:
                        yield Failure(str(path), f"{reason}: message {number} is kept but may be incomplete", locator, sha)
                    ctx = MailContext(self.spec.name, self.spec.custodian, self.sink, str(path), locator, folder)
                    try:
                        found = parse_mail(unescape(raw), ctx, sha)
                    except ConnectorError as e:
                        found = [Failure(str(path), e.reason, locator, sha)]
                    for y in found:
                        failed = failed or isinstance(y, Failure)
                        yield y
                    since_checkpoint += 1
                    if since_checkpoint >= CHECKPOINT_EVERY and not (reason or failed):
                        since_checkpoint = 0
                        yield Checkpoint(key, json.dumps({"head": head, "offset": msg_end, "number": number}))
            except ConnectorError as e:
                raise ConnectorError(e.reason, path) from None
        if not (reason or failed):
            yield Checkpoint(key, json.dumps({"head": head, "offset": os.path.getsize(path), "number": number}))

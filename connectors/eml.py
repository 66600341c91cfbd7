"""``eml``: single RFC 5322 messages, one per file (``.eml``, Apple Mail ``.emlx``), or a folder tree of them.

What it looks like: a mail client's "Save as" (Thunderbird, Outlook's "Opslaan als" .eml, Apple
Mail's .emlx, which prefixes the message with its byte count and appends a plist). How to get
one: drag a mail out of the client onto the desktop, or ask IT for an eDiscovery export as EML.

    From: Sanne de Vries <s.devries@gemeente.example>
    To: team@gemeente.example
    Subject: Windturbines Kraaiennest
    Date: Tue, 11 Mar 2025 09:14:00 +0100

    Beste collega's, ...
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Iterator

from connectors.base import FileConnector, Yield
from connectors.support.mime import MailContext, looks_like_mail, parse_mail_file

MAX_MESSAGE = 512 * 1024 * 1024  # a single message larger than this is kept, not parsed

_EMLX_HEAD = re.compile(rb"^\s*(\d+)\s*\n")


def unwrap_emlx(data: bytes) -> bytes:
    """An Apple Mail .emlx: '<length>\\n<message><plist>'; return the message (other mail as it is)."""
    m = _EMLX_HEAD.match(data)
    if not m or not looks_like_mail(data[m.end(): m.end() + 8192]):
        return data
    n = int(m.group(1))
    return data[m.end(): m.end() + n]


class EmlConnector(FileConnector):
    name = "eml"
    description = "single .eml/.emlx messages, a file or a folder tree"
    extensions = (".eml", ".emlx")
    parallel = True  # read_file needs only the file: messages are parsed in worker processes

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return 0.3 if any(p.suffix.lower() in cls.extensions for p in path.rglob("*")) else 0.0
        suffix = path.suffix.lower()
        m = _EMLX_HEAD.match(head)
        if m and looks_like_mail(head[m.end():]):
            return 0.9
        if looks_like_mail(head) and not head.startswith(b"From "):
            return 0.9 if suffix == ".eml" else 0.6
        return 0.2 if suffix == ".eml" else 0.0

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        return self.read_data(path, None, sha)

    def read_data(self, path: Path, data: bytes | None, sha: str) -> Iterator[Yield]:
        root = Path(self.spec.path)
        rel = Path(path.relative_to(root)) if root.is_dir() else Path(path.name)
        folder = str(rel.parent) if rel.parent != Path(".") else ""
        ctx = MailContext(self.spec.name, self.spec.custodian, self.sink, str(path), "", folder)
        return parse_mail_file(path, ctx, sha, MAX_MESSAGE, unwrap_emlx, data)

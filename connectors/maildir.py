"""``maildir``: one file per message in ``cur/`` and ``new/`` (Maildir and Maildir++ folders).

What it looks like: Dovecot, Postfix/Courier and ``offlineimap``/``mbsync`` mail stores::

    Maildir/cur/1741680840.M1P2.host:2,S      <- one message, flags after ':2,'
    Maildir/.Sent/cur/...                      <- Maildir++ subfolder "Sent"
    Maildir/.Projecten.Windpark/new/...        <- "Projecten/Windpark"

How to get one: it is what the mail server keeps on disk; or ``mbsync``/``offlineimap`` pull an
IMAP account into it. Each file is one original. The unique part of a file name (before
``:2,``) is stable while flags change, so a file already taken in is skipped without reading it.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Iterator

from connectors.base import FileConnector, Yield
from connectors.support.mime import MailContext, parse_mail_file
from woo_collector.errors import ConnectorError

MAX_MESSAGE = 512 * 1024 * 1024


def maildir_folders(root: Path) -> Iterator[tuple[str, Path]]:
    """(folder name, path) of the root maildir and every Maildir++ or nested maildir below it."""
    if (root / "cur").is_dir() or (root / "new").is_dir():
        yield "INBOX", root
    for dirpath, dirnames, _ in os.walk(root):
        dirnames.sort()
        for d in list(dirnames):
            if d in ("cur", "new", "tmp"):
                dirnames.remove(d)
                continue
            p = Path(dirpath) / d
            if (p / "cur").is_dir() or (p / "new").is_dir():
                yield folder_name(root, p), p


def folder_name(root: Path, maildir: Path) -> str:
    """'INBOX' for the root maildir, 'Projecten/Windpark' for ``root/.Projecten.Windpark``."""
    rel = maildir.relative_to(root)
    return "/".join(part.lstrip(".").replace(".", "/") for part in rel.parts) if rel.parts else "INBOX"


class MaildirConnector(FileConnector):
    name = "maildir"
    description = "Maildir / Maildir++ folders (Dovecot, Postfix, mbsync)"
    parallel = True  # read_file needs only the file: messages are parsed in worker processes

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir() and ((path / "cur").is_dir() or (path / "new").is_dir()):
            return 0.95
        if path.is_dir() and any((p / "cur").is_dir() for p in path.iterdir() if p.is_dir()):
            return 0.8
        return 0.0

    def collect(self) -> Iterator[Yield]:
        root = Path(self.spec.path)
        if not root.is_dir():
            raise ConnectorError("not a folder: a maildir is a folder with cur/ and new/ inside", root)
        found = []
        yield from self.read_files(self._messages(root, found), single=False)
        if not found:
            raise ConnectorError("no maildir found: expected cur/ and new/ folders", root)

    def _messages(self, root: Path, found: list) -> Iterator[tuple[Path, str]]:
        """(message file, checkpoint key) of every message: the key is the unique part of its name
        (flags after ':2,' change)."""
        for folder, path in maildir_folders(root):
            found.append(folder)
            for sub in ("cur", "new"):
                d = path / sub
                if not d.is_dir():
                    continue
                for entry in sorted(os.scandir(d), key=lambda e: e.name):
                    if entry.is_file(follow_symlinks=False):
                        yield Path(entry.path), f"md:{folder}/{_unique(entry.path)}"

    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        """One message file of ``<maildir>/cur`` or ``<maildir>/new``."""
        return self.read_data(path, None, sha)

    def read_data(self, path: Path, data: bytes | None, sha: str) -> Iterator[Yield]:
        folder = folder_name(Path(self.spec.path), path.parent.parent)
        ctx = MailContext(self.spec.name, self.spec.custodian, self.sink, str(path), f"{folder}/{_unique(path)}", folder)
        return parse_mail_file(path, ctx, sha, MAX_MESSAGE, data=data)


def _unique(path: Path | str) -> str:
    return Path(path).name.split(":2,")[0].split("!2,")[0]

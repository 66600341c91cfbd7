"""The things that flow through woo-collector.

Everything a connector collects (an e-mail, an attachment, a chat message, a Teams message, a
file) is one ``Item``. Its original bytes live in the evidence store under ``sha256``; ``locator``
says where inside that original the item sits when one original holds many items (a line of a
WhatsApp export, a message in a PST folder). What the core reads (grouping into documents, the
inventory) is a field of ``Item``: ``folder``, ``filetype``, ``platform``, ``seq``, ``identity``,
``message_id_derived``. ``meta`` holds display-only extras (``woo show``), which no core code reads.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO, Callable, Mapping, Protocol, Union

from woo_collector.dates import DEFAULT_TIMEZONE

KINDS = ("email", "attachment", "chat", "file")


def stable_id(*parts: object) -> str:
    """A short, stable id derived from source keys: the same inputs always give the same id."""
    h = hashlib.sha256()
    for part in parts:
        h.update(str(part).encode("utf-8", "surrogatepass"))
        h.update(b"\x1f")
    return h.hexdigest()[:24]


@dataclass(frozen=True)
class Item:
    """One collected thing. Times are timezone-aware UTC (``sent`` is None when unknown)."""

    id: str
    kind: str  # one of KINDS
    source: str  # the source name (or "import:<custodian>:<file name>" for one-off uploads)
    custodian: str
    sha256: str  # of the original in the evidence store
    sent: datetime | None = None
    sender: str = ""
    recipients: tuple[str, ...] = ()  # To
    cc: tuple[str, ...] = ()
    bcc: tuple[str, ...] = ()
    subject: str = ""  # subject of a mail, name of a file or attachment, chat title
    body: str = ""  # the readable text
    locator: str = ""  # place inside the original ("" when the original is the item itself)
    conversation: str = ""  # chat conversation / e-mail thread key
    parent: str = ""  # id of the parent item (attachments)
    message_id: str = ""  # RFC 5322 Message-ID, or the platform's message id
    message_id_derived: bool = False  # message_id was made from the content (the mail had none)
    folder: str = ""  # mail folder path inside the mailbox ("Inbox/Projecten"), "" when none
    filetype: str = ""  # of a file or attachment: pdf, doc, sheet, image, email, ... ("" when not known)
    platform: str = ""  # of a chat message: whatsapp, sms, mms, teams, signal, telegram
    seq: int = 0  # order of a chat message in its export, where times alone do not order them
    identity: str = ""  # the same chat message exported from two phones has the same identity
    meta: Mapping[str, Any] = field(default_factory=dict)  # display-only extras

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown item kind {self.kind!r}")
        if self.sent is not None:
            if self.sent.tzinfo is None:
                raise ValueError("Item.sent must be timezone-aware")
            if self.sent.utcoffset():
                object.__setattr__(self, "sent", self.sent.astimezone(timezone.utc))

    def with_(self, **changes: Any) -> "Item":
        return replace(self, **changes)

    def memo(self, key: str, compute: Callable[["Item"], Any]) -> Any:
        """``compute(self)``, computed once per item and kept with it (not a field: ``with_`` makes an
        item without it; it travels with a pickled item). A worker process that parsed the item
        computes its fingerprint and index terms this way, so the ingesting process only writes."""
        memo = self.__dict__.setdefault("_memo", {})
        if key not in memo:
            memo[key] = compute(self)
        return memo[key]


@dataclass(frozen=True)
class Failure:
    """A part of an input that could not be read. The original is kept under ``sha256``."""

    path: str
    reason: str
    locator: str = ""
    sha256: str = ""

    def __str__(self) -> str:
        where = self.path + (f" ({self.locator})" if self.locator else "")
        return f"{where}: {self.reason}"


@dataclass(frozen=True)
class Deletion:
    """A server told us an item is gone. Recorded; the evidence stays."""

    key: str
    locator: str = ""


@dataclass(frozen=True)
class Checkpoint:
    """A sync state to save once everything yielded before it is committed."""

    key: str
    value: str


def file_key(sha: str, member: str = "") -> str:
    """The sync-state key of a file read whole (or of one ``member`` of it): a file connector skips
    a file whose key has a value ("done", or "dismissed" by a handler)."""
    return f"file:{sha}:{member}" if member else f"file:{sha}"


@dataclass(frozen=True)
class SourceSpec:
    """What a connector is asked to read: a registered source or a one-off import."""

    name: str
    type: str
    path: str = ""
    custodian: str = ""
    settings: Mapping[str, str] = field(default_factory=dict)
    timezone: str = DEFAULT_TIMEZONE  # the workspace's timezone setting: the default of a connector's own 'timezone'

    def setting(self, key: str, default: str = "") -> str:
        return str(self.settings.get(key, default))

    def secret(self, key: str) -> str:
        """A secret named by ``<key>_env`` in the settings, read from the environment only."""
        var = self.settings.get(f"{key}_env", "")
        return os.environ.get(var, "") if var else ""


class Sink(Protocol):
    """Where a connector keeps originals and reads its sync state."""

    def keep(self, data: bytes | Path | BinaryIO, name: str = "") -> str:
        """Store an original bit for bit (bytes, a file path, or a binary stream); return its SHA-256."""

    def state(self, key: str) -> str | None:
        """The value of a ``Checkpoint`` saved by an earlier run of this source, or None."""


Yield = Union[Item, Failure, Deletion, Checkpoint]


@dataclass(frozen=True)
class WorkerPlan:
    """What the pipeline hands a ``parallel`` connector (``connectors.base.FileConnector.workers``).

    ``pool()`` returns the executor of worker processes, started on first use. ``sink()`` makes the
    sink of a worker process (picklable, as ``prepare`` is): it keeps originals where the pipeline's
    sink keeps them and lists each as (sha256, size, name) in ``kept``, which this process then
    ``record``s. ``prepare(items)``, when given, is run in the worker on what a file yielded (the
    pipeline's own per-item work, so that this process only writes).
    """

    pool: Callable[[], object]
    sink: Callable[[], object]
    prepare: Callable[[list], None] | None = None

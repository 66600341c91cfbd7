"""The catalog interface and the records it returns."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator, Sequence

from woo_collector.models import Deletion, Failure, Item


@dataclass
class RunReport:
    id: int
    source: str
    kind: str  # ingest | import
    started: str
    finished: str = ""
    status: str = "running"  # running | ok | partial | error | interrupted
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    failed: int = 0
    deleted: int = 0
    message: str = ""
    failures: list[str] = field(default_factory=list)

    @property
    def seconds(self) -> float:
        if not self.finished:
            return 0.0
        return (datetime.fromisoformat(self.finished) - datetime.fromisoformat(self.started)).total_seconds()


@dataclass
class UpsertResult:
    new: list[Item] = field(default_factory=list)
    changed: list[Item] = field(default_factory=list)
    unchanged: int = 0


ItemRow = Item


def item_fingerprint(item: Item) -> str:
    """A hash of everything an item says: a re-run that yields the same fingerprint changes nothing."""
    import hashlib

    payload = json.dumps(
        [item.kind, item.sha256, item.sent.isoformat() if item.sent else None, item.sender,
         list(item.recipients), list(item.cc), list(item.bcc), item.subject, item.body, item.locator,
         item.conversation, item.parent, item.message_id, item.meta,
         [item.message_id_derived, item.folder, item.filetype, item.platform, item.seq, item.identity]],
        sort_keys=True, default=str, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


class Catalog(ABC):
    """Everything woo-collector records, behind one interface."""

    # runs ---------------------------------------------------------------------------------------
    @abstractmethod
    def start_run(self, source: str, kind: str, user: str, pid: int) -> RunReport: ...

    @abstractmethod
    def finish_run(self, report: RunReport) -> None: ...

    @abstractmethod
    def runs(self, source: str | None = None, limit: int = 50) -> list[RunReport]: ...

    @abstractmethod
    def mark_interrupted_runs(self) -> int:
        """Runs left 'running' by a dead process become 'interrupted'; returns how many."""

    # items --------------------------------------------------------------------------------------
    @abstractmethod
    def apply_batch(self, source: str, run_id: int, items: Sequence[Item], failures: Sequence[Failure],
                    deletions: Sequence[Deletion], checkpoints: Sequence[tuple[str, str]],
                    originals: Sequence[tuple[str, int, str]]) -> UpsertResult:
        """Store one batch in one transaction: items (new/changed/unchanged), failures, deletions,
        sync checkpoints and the originals they refer to."""

    @abstractmethod
    def mark_indexed(self, ids: Iterable[str]) -> None: ...

    @abstractmethod
    def unindexed(self, limit: int = 1000) -> list[Item]: ...

    @abstractmethod
    def get_item(self, item_id: str) -> Item | None: ...

    @abstractmethod
    def get_items(self, ids: Sequence[str]) -> list[Item]: ...

    @abstractmethod
    def children(self, item_id: str) -> list[Item]: ...

    @abstractmethod
    def conversation(self, key: str) -> list[Item]: ...

    @abstractmethod
    def iter_items(self, batch: int = 1000) -> Iterator[Item]: ...

    @abstractmethod
    def item_ids(self) -> set[str]: ...

    @abstractmethod
    def count_items(self, source: str | None = None) -> int: ...

    @abstractmethod
    def originals(self) -> Iterator[tuple[str, int]]: ...

    # sync state and failures --------------------------------------------------------------------
    @abstractmethod
    def get_state(self, source: str, key: str) -> str | None: ...

    @abstractmethod
    def open_failures(self, source: str | None = None) -> list[dict[str, Any]]: ...

    @abstractmethod
    def resolve_failures(self, source: str, run_id: int, source_level_only: bool = False) -> int:
        """Failures of ``source`` not seen again in run ``run_id`` are resolved (only those without a
        locator when ``source_level_only``); returns how many."""

    @abstractmethod
    def source_stats(self) -> dict[str, dict[str, Any]]: ...

    # audit --------------------------------------------------------------------------------------
    @abstractmethod
    def append_audit(self, user: str, action: str, args: dict[str, Any], outcome: str, request: str = "") -> None: ...

    @abstractmethod
    def audit_rows(self, request: str | None = None) -> list[dict[str, Any]]: ...

    @abstractmethod
    def close(self) -> None: ...

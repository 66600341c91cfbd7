"""The catalog interface and the records it returns.

``Catalog`` is everything woo-collector records about items, runs, failures and the audit log;
``Catalog.requests`` (a ``RequestStore``) is where Woo requests, their frozen selections, their
documents and redaction decisions are kept. These two abstract classes are the only way the rest
of woo-collector reaches stored data: SQL lives in their implementations (``catalog/sqlite.py``,
``catalog/sqlite_requests.py``), so a PostgreSQL catalog can implement the same methods.
"""

from __future__ import annotations

import hashlib
import json
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, ContextManager, Iterable, Iterator, Sequence

from woo_collector.models import Deletion, Failure, Item
from woo_collector.text import normalise_for_hash

if TYPE_CHECKING:
    from woo_collector.documents import Document, Redaction
    from woo_collector.requests.model import Request


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
    notes: list[str] = field(default_factory=list)  # the connector's notes for the summary (not stored)

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


@dataclass
class AuditEntry:
    """The audit row of a change being made (``Catalog.change``): the body sets ``outcome``, may add
    to ``args`` and may record further rows of the same change with ``also``."""

    action: str
    args: dict[str, Any]
    request: str = ""
    outcome: str = "ok"
    more: list["AuditEntry"] = field(default_factory=list)

    def also(self, action: str, args: dict[str, Any], outcome: str, request: str | None = None) -> None:
        self.more.append(AuditEntry(action=action, args=dict(args), request=self.request if request is None else request,
                                    outcome=outcome))


def item_fingerprint(item: Item) -> str:
    """A hash of everything an item says: a re-run that yields the same fingerprint changes nothing."""
    return item.memo("fingerprint", _fingerprint)


def _fingerprint(item: Item) -> str:
    payload = json.dumps(
        [item.kind, item.sha256, item.sent.isoformat() if item.sent else None, item.sender,
         list(item.recipients), list(item.cc), list(item.bcc), item.subject, item.body, item.locator,
         item.conversation, item.parent, item.message_id, item.meta,
         [item.message_id_derived, item.folder, item.filetype, item.platform, item.seq, item.identity]],
        sort_keys=True, default=str, ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8", "surrogatepass")).hexdigest()


def content_hash(item: Item) -> str:
    """Exact-duplicate key: the original's hash for files and attachments, normalised text for the rest."""
    return item.memo("content_hash", _content_hash)


def _content_hash(item: Item) -> str:
    if item.kind in ("attachment", "file"):
        return item.sha256
    text = normalise_for_hash(f"{item.subject}\n{item.body}")
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


class RequestStore(ABC):
    """Woo requests, their selections, documents and redactions (``Catalog.requests``)."""

    # requests -----------------------------------------------------------------------------------
    @abstractmethod
    def create(self, req: Request, user: str) -> None:
        """Record a new request; ConfigError when the id exists."""

    @abstractmethod
    def save(self, req: Request) -> None: ...

    @abstractmethod
    def get(self, req_id: str, missing_ok: bool = False) -> Request | None:
        """The request; ConfigError (or None with ``missing_ok``) when there is none."""

    @abstractmethod
    def all(self) -> list[Request]: ...

    # selections ---------------------------------------------------------------------------------
    @abstractmethod
    def add_selection(self, req_id: str, user: str, query: str, filters: dict, index_state: str,
                      items: list[tuple[str, str]], items_hash: str, term_hits: list, counts: dict, changes: dict) -> int:
        """Freeze a selection (query, filters, index state, item ids with their SHA-256); returns its id."""

    @abstractmethod
    def last_selection(self, req_id: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def selection_sources(self, selection: int) -> list[str]:
        """The sources of the selected items, sorted."""

    @abstractmethod
    def selection_custodians(self, selection: int) -> list[str]:
        """The custodians of the selected items, sorted."""

    @abstractmethod
    def selection_media(self, selection: int) -> list[tuple[str, str, str, str]]:
        """(source, custodian, kind, platform) of the selected items, each combination once, sorted."""

    # documents and redactions -------------------------------------------------------------------
    @abstractmethod
    def documents(self, req_id: str, include_dropped: bool = False) -> list[dict[str, Any]]: ...

    @abstractmethod
    def replace_documents(self, req_id: str, docs: list[Document], keys: dict[str, str], sort_keys: dict[str, str],
                          dropped: Iterable[str], redactions: list[tuple[str, Redaction]]) -> None:
        """Write the collected documents in one transaction; keep handler decisions of documents already reviewed."""

    @abstractmethod
    def redactions(self, req_id: str, nrs: Iterable[str] | None = None) -> list[dict[str, Any]]:
        """The request's redactions (of the documents ``nrs`` only, when given), in document order."""

    @abstractmethod
    def redaction(self, req_id: str, key: str) -> dict[str, Any] | None: ...

    @abstractmethod
    def redactions_of_text(self, req_id: str, text: str) -> list[dict[str, Any]]:
        """The redactions whose text is ``text`` (case and runs of white space aside)."""

    @abstractmethod
    def document(self, req_id: str, nr: str) -> dict[str, Any] | None:
        """One document row, whatever its status (active, dropped, buiten), or None."""

    @abstractmethod
    def set_scope(self, req_id: str, nr: str, reason: str) -> None:
        """Take a document out of scope (status 'buiten', with ``reason``), or back in when ``reason`` is ''."""

    @abstractmethod
    def out_of_scope(self, req_id: str) -> list[dict[str, Any]]:
        """The documents a handler took out of scope, with their ``scope_reason``."""

    @abstractmethod
    def mark_reviewed(self, req_id: str, nr: str, reviewed: bool = True) -> None: ...

    # what the review pages count, without reading every row ------------------------------------------
    @abstractmethod
    def redaction_stats(self, req_id: str) -> list[dict[str, Any]]:
        """Counts of redactions per category, ground, decided (by a handler) and apply: [{..., "n"}]."""

    @abstractmethod
    def applied_counts(self, req_id: str) -> dict[str, int]:
        """Applied redactions per document number."""

    @abstractmethod
    def documents_with_redactions(self, req_id: str, *, special: bool = False, text: str = "") -> set[str]:
        """Numbers of documents with special-category redactions (``special``) or with a redaction containing ``text``."""

    @abstractmethod
    def document_rows(self, req_id: str) -> list[dict[str, Any]]:
        """The active documents in number order, as stored: ``places`` and ``grounds`` are JSON text (not decoded,
        so a page of 10,000 documents is listed fast), ``items`` is left out."""

    @abstractmethod
    def document_marks(self, req_id: str) -> list[tuple[str, bool]]:
        """(nr, reviewed) of every active document, in number order."""

    @abstractmethod
    def family_members(self, req_id: str, family: str) -> list[dict[str, Any]]:
        """nr and title of the active documents of a family, in number order."""

    @abstractmethod
    def redactions_containing(self, req_id: str, part: str) -> list[dict[str, Any]]:
        """The redactions whose text contains ``part`` (an ASCII string, case aside)."""

    @abstractmethod
    def applied_of_text(self, req_id: str, text: str) -> list[dict[str, Any]]:
        """The applied redactions of ``text`` (case and white space aside) in documents of the selection."""

    @abstractmethod
    def applied_texts(self, req_id: str) -> list[dict[str, Any]]:
        """One applied redaction per distinct text (case aside): what the package boxes wherever it occurs."""

    @abstractmethod
    def apply_review(self, req_id: str, user: str, documents: dict[str, tuple[str, list[str], str]],
                     redactions: dict[str, tuple[bool, str]], added: list[tuple[str, Redaction]]) -> None:
        """A handler's review in one transaction: document decisions (nr -> decision, grounds, note),
        redaction decisions (key -> apply, ground) and redactions the handler added (nr, redaction)."""


class Catalog(ABC):
    """Everything woo-collector records, behind one interface."""

    @property
    @abstractmethod
    def schema_version(self) -> int: ...

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
    def mark_all_unindexed(self) -> None:
        """Every item needs indexing again (``woo reindex``)."""

    @abstractmethod
    def count_unindexed(self) -> int: ...

    @abstractmethod
    def unindexed(self, limit: int = 1000) -> list[Item]: ...

    @abstractmethod
    def get_item(self, item_id: str) -> Item | None: ...

    @abstractmethod
    def get_items(self, ids: Sequence[str]) -> list[Item]: ...

    @abstractmethod
    def get_bodies(self, ids: Sequence[str]) -> dict[str, str]:
        """Item id -> body text, for search snippets."""

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
    def items_state(self) -> str:
        """How many items there are and when the last changed: part of a selection's recorded index state."""

    @abstractmethod
    def originals(self) -> Iterator[tuple[str, int]]: ...

    @abstractmethod
    def referenced_shas(self) -> set[str]:
        """The SHA-256 of every original an item or a failure points to."""

    # sync state and failures --------------------------------------------------------------------
    @abstractmethod
    def get_state(self, source: str, key: str) -> str | None: ...

    @abstractmethod
    def get_states(self, source: str, keys: Sequence[str]) -> dict[str, str]:
        """The saved values of those of ``keys`` that have one (one query for many)."""

    @abstractmethod
    def open_failures(self, source: str | None = None) -> list[dict[str, Any]]: ...

    @abstractmethod
    def open_failure(self, failure_id: int) -> dict[str, Any] | None:
        """One open failure by id, or None."""

    @abstractmethod
    def dismiss_failure(self, failure_id: int, note: str, skip_file: bool = False) -> dict[str, Any] | None:
        """A handler marks an open failure as handled: the failure's row, or None when there is no such
        open failure. ``skip_file`` also sets the checkpoint of the file it came from (``file_key`` of
        its sha256, value "dismissed"), so a file connector stops reading that file again. Runs in the
        caller's transaction (``change``), with its audit row."""

    @abstractmethod
    def resolve_failures(self, source: str, run_id: int, source_level_only: bool = False) -> int:
        """Failures of ``source`` not seen again in run ``run_id`` are resolved (only those without a
        locator when ``source_level_only``); returns how many."""

    @abstractmethod
    def source_stats(self) -> dict[str, dict[str, Any]]: ...

    # requests ---------------------------------------------------------------------------------------
    @property
    @abstractmethod
    def requests(self) -> RequestStore: ...

    # audit --------------------------------------------------------------------------------------
    @abstractmethod
    def change(self, user: str, action: str, args: dict[str, Any], request: str = "") -> ContextManager[AuditEntry]:
        """A context manager: the catalog writes made in its body (``requests`` included) and their
        audit row(s) commit together, or not at all; ``AuditError`` before anything changes when the
        audit log cannot be written."""

    @abstractmethod
    def check_audit(self) -> None:
        """``AuditError`` when an audit row cannot be written now (so a long run does not start)."""

    @abstractmethod
    def append_audit(self, user: str, action: str, args: dict[str, Any], outcome: str, request: str = "") -> None: ...

    @abstractmethod
    def audit_check(self) -> Any:
        """The verdict on the whole audit log (chain, key, anchor): ``catalog.audit.AuditCheck``."""

    @abstractmethod
    def audit_rows(self, request: str | None = None) -> list[dict[str, Any]]: ...

    @abstractmethod
    def audit_since(self, after: int, request: str = "") -> list[tuple[int, str]]:
        """(id, action) of the audit rows after row ``after`` (of ``request`` and of no request, when given), unchecked:
        how a long-running reader (the review page) learns that someone else changed something."""

    @abstractmethod
    def close(self) -> None: ...

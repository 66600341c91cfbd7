"""Ingestion: run a connector and take what it yields into store, catalog and index.

Order of writes, so that a run killed at any moment leaves nothing the next run does not mend:

1. originals go to the store first (atomic rename; an orphan original is harmless);
2. a batch of items, failures, deletions and sync checkpoints is committed to the catalog in one
   transaction, with the items marked "not yet indexed";
3. the index commits the batch; then the catalog marks those items indexed.

Every run starts by indexing whatever the catalog still marks unindexed (a crash between 2 and 3),
and re-running is idempotent: items are keyed by stable ids and compared by fingerprint.
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import connectors
from woo_collector.models import Checkpoint, SourceSpec
from woo_collector.catalog import RunReport
from woo_collector.errors import ConfigError, ConnectorError, SourceUnavailable, storage_error
from woo_collector.models import Deletion, Failure, Item
from woo_collector.progress import Progress
from woo_collector.workspace import Workspace

log = logging.getLogger("woo.ingest")

class WorkspaceSink:
    """The Sink connectors write to: the evidence store plus the catalog's sync state."""

    def __init__(self, ws: Workspace, source: str):
        self.ws = ws
        self.source = source
        self.originals: list[tuple[str, int, str]] = []
        self.pending_state: dict[str, str] = {}

    def keep(self, data: bytes | Path | BinaryIO, name: str = "") -> str:
        sha, size = self.ws.store.put(data)
        self.originals.append((sha, size, name[:500]))
        return sha

    def state(self, key: str) -> str | None:
        if key in self.pending_state:
            return self.pending_state[key]
        return self.ws.catalog.get_state(self.source, key)


@dataclass
class Batch:
    items: list[Item] = field(default_factory=list)
    failures: list[Failure] = field(default_factory=list)
    deletions: list[Deletion] = field(default_factory=list)
    checkpoints: list[tuple[str, str]] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.items) + len(self.failures) + len(self.deletions) + len(self.checkpoints)


def mend_index(ws: Workspace, progress: Progress | None = None) -> int:
    """Index every item the catalog still marks unindexed (after a crash). Returns how many."""
    total = 0
    while True:
        items = ws.catalog.unindexed(limit=2000)
        if not items:
            return total
        ws.index.upsert(items)
        ws.catalog.mark_indexed(i.id for i in items)
        total += len(items)
        if progress:
            progress.update(len(items))


def run_source(ws: Workspace, spec: SourceSpec, kind: str = "ingest", quiet: bool = False) -> RunReport:
    """Run one source to the end. Bad settings, an unreachable server and bad input are recorded in the
    report (see ``woo_collector.errors``); bugs propagate."""
    catalog = ws.catalog
    report = catalog.start_run(spec.name, kind, ws.user, os.getpid())
    sink = WorkspaceSink(ws, spec.name)
    batch = Batch()
    batch_size = max(1, ws.settings.batch_size)
    last_flush = time.monotonic()

    def flush() -> None:
        nonlocal batch, last_flush
        if not len(batch) and not sink.originals:
            return
        ws.store.sync()
        result = catalog.apply_batch(spec.name, report.id, batch.items, batch.failures, batch.deletions,
                                     batch.checkpoints, sink.originals)
        ws.index.add(result.new, result.changed, procs=ws.settings.index_procs)
        catalog.mark_indexed([i.id for i in result.new] + [i.id for i in result.changed])
        report.new += len(result.new)
        report.changed += len(result.changed)
        report.unchanged += result.unchanged
        report.failed += len(batch.failures)
        report.deleted += len(batch.deletions)
        report.failures.extend(str(f) for f in batch.failures)
        batch = Batch()
        sink.originals = []
        sink.pending_state.clear()
        last_flush = time.monotonic()

    with Progress(f"{spec.name}", quiet=quiet) as progress:
        try:
            cls = connectors.get(spec.type)
            cls.check_settings(spec)  # woo.toml may have been edited by hand since 'woo source add'
            connector = cls(spec, sink)
            for y in connector.collect():
                if isinstance(y, Item):
                    batch.items.append(y)
                    progress.update(1)
                elif isinstance(y, Failure):
                    batch.failures.append(y)
                    log.warning("%s", y)
                elif isinstance(y, Checkpoint):
                    batch.checkpoints.append((y.key, y.value))
                    sink.pending_state[y.key] = y.value
                elif isinstance(y, Deletion):
                    batch.deletions.append(y)
                if len(batch.items) >= batch_size or time.monotonic() - last_flush > 30:
                    flush()
            flush()
            report.status = "partial" if report.failed else "ok"
        except ConnectorError as e:
            where = Path(e.path or spec.path or spec.name)
            sha = e.sha256
            if not sha and where.is_file():  # what cannot be read is still kept bit for bit
                sha = sink.keep(where, where.name)
            batch.failures.append(Failure(str(where), e.reason, e.locator, sha))
            flush()
            report.status = "partial"
        except (ConfigError, SourceUnavailable) as e:  # this source cannot run: recorded, the next one runs
            flush()
            report.status = "error"
            report.message = str(e)
        except BaseException as e:
            report.status = "error"
            report.message = f"{e.__class__.__name__}: {e}"
            try:  # keep what was read; on a full or read-only disk this fails too, and the next run mends it
                flush()
                catalog.finish_run(report)
            except Exception:  # the original error is the one to report
                pass
            storage = storage_error(e, ws.root)
            if storage is not None:
                raise storage from e
            raise
    if report.status in ("ok", "partial"):
        # A file connector re-reads what failed: what it did not report again has been mended. A server
        # connector moves on past a message it could not read, so only its source-level failures (a lost
        # connection, a mailbox out of reach: no locator) are mended by a run; the rest stay listed until
        # a handler dismisses them ('woo failures --dismiss').
        catalog.resolve_failures(spec.name, report.id, source_level_only=connectors.get(spec.type).network)
    catalog.finish_run(report)
    write_run_log(ws, report)
    return report


def write_run_log(ws: Workspace, report: RunReport) -> Path:
    """One log file per run in logs/, the oldest removed beyond the configured number."""
    logs = ws.root / "logs"
    logs.mkdir(exist_ok=True)
    safe = "".join(c if c.isalnum() or c in "-_." else "_" for c in report.source)[:60]
    path = logs / f"run-{report.id:06d}-{safe}.log"
    lines = [f"run {report.id} {report.kind} {report.source}", f"started {report.started}", f"finished {report.finished}",
             f"status {report.status}", f"new {report.new} changed {report.changed} unchanged {report.unchanged} "
             f"failed {report.failed} deleted {report.deleted}"]
    if report.message:
        lines.append(f"message {report.message}")
    lines += [f"failed: {f}" for f in report.failures]
    path.write_text("\n".join(lines) + "\n")
    os.chmod(path, 0o600)
    keep = max(1, ws.settings.log_keep)
    old = sorted(logs.glob("run-*.log"))[:-keep]
    for p in old:
        p.unlink(missing_ok=True)
    return path

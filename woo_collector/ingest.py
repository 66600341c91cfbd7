"""Ingestion: run a connector and take what it yields into store, catalog and index.

Order of writes, so that a run killed at any moment leaves nothing the next run does not mend:

1. originals go to the store first (atomic rename; an orphan original is harmless);
2. a batch of items, failures, deletions and sync checkpoints is committed to the catalog in one
   transaction, with the items marked "not yet indexed";
3. the index commits the batch; then the catalog marks those items indexed.

Every run starts by indexing whatever the catalog still marks unindexed (a crash between 2 and 3),
and re-running is idempotent: items are keyed by stable ids and compared by fingerprint.

The workflow a caller uses is ``ingest_sources(ws, names)`` and ``import_path(ws, path, ...)``: each
takes the workspace lock (``LockHeld`` when another run holds it), marks runs a dead process left
"running" as interrupted, mends the index, runs the source(s) with ``run_source`` and writes the
audit row; it returns an ``IngestResult``. The CLI only prints it. Connector classes come from
``woo_collector.registry``; the core never imports the ``connectors`` package.
"""

from __future__ import annotations

import logging
import os
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import BinaryIO, Callable, Iterator, Mapping, Sequence

from woo_collector import faults, registry
from woo_collector.catalog import RunReport
from woo_collector.catalog.base import content_hash, item_fingerprint
from woo_collector.catalog.sqlite import item_values
from woo_collector.children import die_with_parent
from woo_collector.errors import ConfigError, ConnectorError, SourceUnavailable, storage_error
from woo_collector.index import prepare as index_prepare
from woo_collector.models import Checkpoint, Deletion, Failure, Item, SourceSpec, WorkerPlan
from woo_collector.progress import Progress
from woo_collector.store import EvidenceStore
from woo_collector.text import printable
from woo_collector.workspace import Workspace

log = logging.getLogger("woo.ingest")

class WorkspaceSink:
    """The Sink connectors write to: the evidence store plus the catalog's sync state."""

    def __init__(self, ws: Workspace, source: str):
        self.ws = ws
        self.source = source
        self.originals: list[tuple[str, int, str]] = []
        self.pending_state: dict[str, str] = {}
        self.looked_up: dict[str, str | None] = {}  # sync state of keys asked ahead (``look_up``)

    def keep(self, data: bytes | Path | BinaryIO, name: str = "") -> str:
        sha, size = self.ws.store.put(data)
        self.originals.append((sha, size, name[:500]))
        return sha

    def record(self, sha: str, size: int, name: str) -> None:
        """An original an ingest worker kept in the store: it goes into the catalog with the batch."""
        faults.point("store-write")
        self.ws.store.written_elsewhere()
        self.originals.append((sha, size, name[:500]))

    def look_up(self, keys: Sequence[str]) -> None:
        """Read the sync state of ``keys`` in one query; ``state`` answers them from it."""
        found = self.ws.catalog.get_states(self.source, keys)
        self.looked_up = {k: found.get(k) for k in keys}

    def state(self, key: str) -> str | None:
        if key in self.pending_state:
            return self.pending_state[key]
        if key in self.looked_up:
            return self.looked_up[key]
        return self.ws.catalog.get_state(self.source, key)

    def committed(self) -> None:
        """The batch's checkpoints are in the catalog now."""
        for key in self.looked_up.keys() & self.pending_state.keys():
            self.looked_up[key] = self.pending_state[key]
        self.pending_state.clear()
        self.originals = []


class WorkerSink:
    """The sink of an ingest worker process: it keeps originals in the workspace's store itself and
    lists them (``kept``) for the ingesting process to record. It reads no sync state."""

    _stores: dict[str, EvidenceStore] = {}  # one per store root in a worker process

    def __init__(self, root: str):
        if root not in self._stores:
            self._stores[root] = EvidenceStore(Path(root))
        self.store = self._stores[root]
        self.kept: list[tuple[str, int, str]] = []

    def keep(self, data: bytes | Path | BinaryIO, name: str = "") -> str:
        sha, size = self.store.put(data)
        self.kept.append((sha, size, name[:500]))
        return sha

    def state(self, key: str) -> str | None:
        return None


def prepare_items(engine: str, items: list[Item]) -> None:
    """In an ingest worker: the catalog's keys and row and the index's analysis of each item, kept with it."""
    for item in items:
        item_fingerprint(item)
        content_hash(item)
        item_values(item)
        index_prepare(engine, item)


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


def run_source(ws: Workspace, spec: SourceSpec, kind: str = "ingest", quiet: bool = False,
               files: Sequence[Path] | None = None) -> RunReport:
    """Run one source to the end. Bad settings, an unreachable server and bad input are recorded in the
    report (see ``woo_collector.errors``); bugs propagate. ``files``: only these files of the source's
    folder are read (an import that recognised them for this connector)."""
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
        sink.committed()
        last_flush = time.monotonic()

    workers = Workers(parse_procs(ws))
    with Progress(f"{spec.name}", quiet=quiet) as progress, workers:
        try:
            cls = registry.get(spec.type)
            cls.check_settings(spec)  # woo.toml may have been edited by hand since 'woo source add'
            connector = cls(spec, sink)
            if files is not None:
                connector.only = tuple(files)
            if getattr(cls, "parallel", False) and parse_procs(ws) > 1:
                connector.workers = workers.plan(ws, cls, warm=files is None)  # a retry of a few files: no fork server yet
            for y in connector.collect():
                if isinstance(y, Item):
                    batch.items.append(y)
                    progress.update(1)
                elif isinstance(y, Failure):
                    batch.failures.append(y)
                    log.warning("%s", printable(y))
                elif isinstance(y, Checkpoint):
                    batch.checkpoints.append((y.key, y.value))
                    sink.pending_state[y.key] = y.value
                elif isinstance(y, Deletion):
                    batch.deletions.append(y)
                if len(batch.items) >= batch_size or time.monotonic() - last_flush > 30:
                    flush()
            flush()
            report.notes.extend(connector.notes)
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
        catalog.resolve_failures(spec.name, report.id, source_level_only=registry.get(spec.type).network)
    catalog.finish_run(report)
    write_run_log(ws, report)
    return report


def parse_procs(ws: Workspace) -> int:
    """How many processes parse files: the ``parse_procs`` setting, 0 meaning one per core."""
    return ws.settings.parse_procs or os.cpu_count() or 1


class Workers:
    """The worker processes a parallel connector parses in, started on first use (``start``) and
    stopped at the end of the run. They are started by a fork server (a fresh process), not forked
    from this one, which holds an open index with its threads."""

    def __init__(self, procs: int):
        self.procs = procs
        self.pool = None
        self.preload: list[str] = []

    def _context(self):
        import multiprocessing

        # each worker dies with the fork server, which ends with us: a killed ingest leaves no orphan
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(self.preload)  # imported once, by the fork server, not by each worker
        return context

    def start(self):
        if self.pool is None:
            from concurrent.futures import ProcessPoolExecutor

            self.pool = ProcessPoolExecutor(self.procs, mp_context=self._context(), initializer=_worker_started)
        return self.pool

    def warm(self) -> None:
        """Start the fork server now: it imports the preload on the other core while this process
        walks the source and reads its first files, so the first workers start without a wait (it
        was 0.4 s of one core idle at the start of a 10,000-mail import). Unused when the source
        turns out to be small, it costs that core a fraction of a second."""
        from multiprocessing import forkserver

        self._context()
        forkserver.ensure_running()

    def plan(self, ws: Workspace, cls: type, warm: bool = True):
        """What a parallel connector (``cls``) is handed: these workers, a sink writing to the
        workspace's store, and the per-item work of the catalog and the index done in the worker.
        ``warm``: start the fork server at once (``Workers.warm``), to import while the source is walked."""
        self.preload = [cls.__module__, __name__, "woo_collector.worker_preload"]
        if warm:
            self.warm()
        return WorkerPlan(self.start, partial(WorkerSink, str(ws.store.root)), partial(prepare_items, ws.settings.engine))

    def __enter__(self) -> "Workers":
        return self

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _worker_started() -> None:
    die_with_parent()
    faults.off()


@dataclass
class IngestResult:
    """What ``ingest_sources`` or ``import_path`` did: one report per source run."""

    reports: list[RunReport] = field(default_factory=list)
    mended: int = 0  # items indexed that an interrupted run had left unindexed
    took_over: dict | None = None  # lock info of a dead run whose lock was taken over

    @property
    def exit_code(self) -> int:
        """0 all taken in; 3 some items could not be read (or a source could not run); 1 nothing could run."""
        if self.reports and all(r.status == "error" for r in self.reports):
            return 1
        if any(r.status in ("partial", "error") for r in self.reports):
            return 3
        return 0


@contextmanager
def _locked(ws: Workspace, what: str, result: IngestResult) -> Iterator[None]:
    """Lock, then mend what an interrupted run left behind; LockHeld when another run holds the lock."""
    lock = ws.lock(what).acquire()
    try:
        ws.catalog.check_audit()  # a run whose audit row cannot be written does not start
        result.took_over = lock.previous
        ws.catalog.mark_interrupted_runs()
        result.mended = mend_index(ws)
        yield
    finally:
        lock.release()


def _sources(ws: Workspace, names: Sequence[str]) -> list[SourceSpec]:
    sources = ws.sources()
    if names:
        unknown = [n for n in names if n not in sources]
        if unknown:
            raise ConfigError(f"unknown source(s): {', '.join(unknown)}; see 'woo source list'")
        selected = [sources[n] for n in names]
    else:
        selected = list(sources.values())
    if not selected:
        raise ConfigError("no sources registered; add one with 'woo source add' or use 'woo import'")
    return selected


def ingest_sources(ws: Workspace, names: Sequence[str] = (), *, what: str = "woo ingest", quiet: bool = False,
                   on_start: Callable[[IngestResult], None] | None = None,
                   on_report: Callable[[RunReport], None] | None = None) -> IngestResult:
    """Pull the named registered sources (all when ``names`` is empty) under the workspace lock.

    ``what`` names the run in the lock and, when it is not ``woo ingest``, in the audit row.
    ``on_start`` is called once the lock is held and the index mended, ``on_report`` after each source.
    """
    selected = _sources(ws, names)
    result = IngestResult()
    with _locked(ws, what, result):
        if on_start:
            on_start(result)
        for spec in selected:
            report = run_source(ws, spec, "ingest", quiet=quiet)
            result.reports.append(report)
            if on_report:
                on_report(report)
        args: dict = {"sources": [s.name for s in selected]}
        if what != "woo ingest":
            args["by"] = what
        ws.audit("ingest", args, "; ".join(f"{r.source}: {r.status} (+{r.new}, {r.failed} failed)" for r in result.reports))
    return result


def import_path(ws: Workspace, path: Path, type_: str | None, custodian: str, source_name: str | None = None, *,
                quiet: bool = False, on_start: Callable[[IngestResult], None] | None = None,
                parts: list[registry.Part] | None = None, settings: Mapping[str, str] | None = None) -> IngestResult:
    """A one-off upload under the workspace lock; ``type_`` None recognises the format from the content.

    Without ``type_`` a folder is recognised file by file (``registry.plan``; ``parts`` is a plan
    already made): each connector reads its own files. The items are filed under ``source_name``
    (default ``import:<custodian>:<file name>``, so two people's ``_chat.txt`` stay apart); a folder
    holding several formats gets one source per format, ``<name>:<type>``: a source's run mends
    (resolves) the failures it no longer sees, so two connectors must not share one, and item ids
    derive from the source name, so the same folder imported again gives the same ids and adds
    nothing. Importing the same file twice adds nothing.

    ``settings`` are the connector's settings for this import (``woo import --set``), checked as a
    source's are (``check_settings``: unknown keys, missing required ones, bad values) before anything
    runs; for a folder of several formats each connector checks them.
    """
    path = Path(path)
    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    if type_:
        registry.get(type_)
        parts = [registry.Part(type_)]
    elif parts is None:
        parts = registry.plan(path)
    base = source_name or default_source_name(path, custodian)
    specs = [(SourceSpec(name=base if len(parts) == 1 else f"{base}:{part.type}", type=part.type, path=str(path.resolve()),
                         custodian=custodian, timezone=ws.settings.timezone, settings=dict(settings or {})), part)
             for part in parts]
    for spec, _part in specs:  # refused before the lock and the run, as 'woo source add' refuses them
        registry.get(spec.type).check_settings(spec)
    result = IngestResult()
    with _locked(ws, f"woo import {path.name}", result):
        if on_start:
            on_start(result)
        for spec, part in specs:
            report = run_source(ws, spec, "import", quiet=quiet, files=part.files)
            result.reports.append(report)
            args = {"path": str(path.resolve()), "type": spec.type, "custodian": custodian, "source": spec.name}
            if part.files is not None:
                args["files"] = len(part.files)
            if spec.settings:
                args["settings"] = dict(spec.settings)
            ws.audit("import", args, f"{report.status}: {report.new} new, {report.failed} failed")
    return result


def default_source_name(path: Path, custodian: str) -> str:
    """``import:<custodian>:<file name>``: unique per person and file (two ``_chat.txt`` from two people differ)."""
    who = " ".join(custodian.split()).replace(":", "_")
    return f"import:{who}:{Path(path).resolve().name}" if who else f"import:{Path(path).resolve().name}"


def add_source(ws: Workspace, spec: SourceSpec) -> None:
    """Register a source in woo.toml (audited); ``woo ingest`` pulls it from then on."""
    with ws.config_change("source add", {"name": spec.name, "type": spec.type, "path": spec.path, "custodian": spec.custodian,
                                         "settings": dict(spec.settings)}):
        ws.add_source(spec)


def reindex(ws: Workspace, quiet: bool = False, engine: str | None = None) -> int:
    """Rebuild the index from the catalog under the workspace lock (audited); returns how many items.

    ``engine`` (``whoosh`` or ``tantivy``) other than the workspace's switches it: the setting is
    recorded in woo.toml first (with its audit row), then the new engine's index is built, then the
    old engine's files are removed. A crash in between leaves items marked unindexed, which the
    next run indexes into the new engine."""
    with ws.lock("woo reindex"):
        ws.catalog.check_audit()
        old = ws.settings.engine
        if engine and engine != old:
            if os.environ.get("WOO_ENGINE", engine) != engine:  # the environment overrides woo.toml
                raise ConfigError(f"WOO_ENGINE={os.environ['WOO_ENGINE']} is set in the environment and would override "
                                  f"the engine {engine!r} written to woo.toml; unset it first")
            ws.close_index()
            with ws.config_change("engine", {"engine": engine, "was": old}):
                ws.config.setdefault("settings", {})["engine"] = engine
            ws.__dict__.pop("settings", None)
        ws.index.clear()
        ws.catalog.mark_all_unindexed()
        with Progress("reindex", total=ws.catalog.count_items(), quiet=quiet) as progress:
            n = mend_index(ws, progress)
        ws.index.optimize()
        if engine and engine != old:
            from woo_collector.index import remove_index

            remove_index(ws.root / "index", old)
        ws.audit("reindex", {"engine": ws.settings.engine} if engine else {}, f"{n} items indexed")
    return n


def dismiss_failure(ws: Workspace, failure_id: int, note: str) -> bool:
    """Mark an open failure as handled (audited); False when there is no such open failure.

    A file connector reads a file with failures again every run until it reads whole; once a handler
    dismisses a failure of that file, the file counts as done and is not read (nor listed) again. A
    server source moves past a bad message anyway: there only the listing stops.
    """
    failure = ws.catalog.open_failure(failure_id)
    if failure is None:
        return False
    spec = ws.sources().get(failure["source"])
    from_files = spec is None or not registry.get(spec.type).network  # one-off imports read files
    with ws.change("failure dismissed", {"id": failure_id, "note": note}):
        if ws.catalog.dismiss_failure(failure_id, note, skip_file=from_files) is None:
            raise ConfigError(f"failure {failure_id} was dismissed by someone else just now; see 'woo failures'")
    return True


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
    path.write_text("".join(printable(line) + "\n" for line in lines))  # a file name's newline forges no line
    os.chmod(path, 0o600)
    keep = max(1, ws.settings.log_keep)
    old = sorted(logs.glob("run-*.log"))[:-keep]
    for p in old:
        p.unlink(missing_ok=True)
    return path

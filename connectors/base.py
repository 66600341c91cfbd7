"""The connector interface, and the one loop every file connector runs.

A connector turns one kind of input into ``Item``s. It knows nothing of the catalog or the index:
it hands originals to a ``Sink`` (which stores them bit for bit and returns their SHA-256) and
yields what it found:

- ``Item``: something collected;
- ``Failure``: a part that could not be read (its original already kept); the run goes on;
- ``Deletion``: a server says an item is gone (recorded, never applied to the store);
- ``Checkpoint``: a sync state to save *after* everything yielded before it is committed, so an
  interrupted run resumes where it stopped and a finished unit is skipped next time.

A connector declares the ``--set KEY=VALUE`` settings it takes in ``settings_class`` (a dataclass
of ``woo_collector.connector_settings``); ``self.settings`` is that dataclass, parsed on first use.
Raise ``ConfigError`` when the settings are wrong, ``ConnectorError`` when an input cannot be read
(not a PST, a damaged file), ``SourceUnavailable`` when a server cannot be reached or refuses the
credentials (see ``woo_collector.errors``).

A file connector subclasses ``FileConnector`` and implements only ``read_file(path, sha)``: read
one file it has been handed (already kept under ``sha``). The base finds the inputs (the file
given, or the files of the folder given that ``suffixes`` and ``accept`` let through), keeps each
original, skips what an earlier run finished, and applies one rule to every file:

- read whole: ``Checkpoint("file:<sha>", "done")``, and later runs skip it;
- any ``Failure`` while reading it: no checkpoint, so the next run reads it again (ids are stable,
  nothing doubles) and reports again what still fails, until it reads whole; ``run_source``
  resolves the failures a run no longer reports;
- failed as a whole (``ConnectorError``): the run's error when it was the only input, a
  ``Failure`` (original kept) when it is one file of a folder.

``read_unit`` is that rule for one unit. A connector whose units are not one file each (the chats
of WhatsApp exports merged across files, the members of a zip of documents) subclasses
``FileUnitConnector`` instead, writes ``collect`` and calls ``read_unit`` per unit, with a
``member`` (key ``file:<sha>:<member>``) or with its own bytes.
"""

from __future__ import annotations

import itertools
from abc import ABC, abstractmethod
from collections import deque
from functools import cached_property
from pathlib import Path
from typing import BinaryIO, Callable, ClassVar, Iterable, Iterator

from woo_collector.connector_settings import ConnectorSettings, parse_settings
from woo_collector.errors import ConnectorError
from woo_collector.models import Checkpoint, Failure, Item, Sink, SourceSpec, WorkerPlan, Yield, file_key, stable_id
from woo_collector.registry import walk_files
from woo_collector.store import read_small

__all__ = ["Checkpoint", "Connector", "FileConnector", "FileUnitConnector", "Sink", "SourceSpec", "Yield", "walk_files"]


class Connector(ABC):
    """Base class: one subclass per format or protocol, in ``connectors/<name>.py``."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    extensions: ClassVar[tuple[str, ...]] = ()
    network: ClassVar[bool] = False  # pulls from a server rather than reading a path
    settings_class: ClassVar[type[ConnectorSettings]] = ConnectorSettings  # the settings it takes (none)

    def __init__(self, spec: SourceSpec, sink: Sink):
        self.spec = spec
        self.sink = sink
        self.notes: list[str] = []  # said in the run's summary: what the handler should know though nothing failed

    @classmethod
    def check_settings(cls, spec: SourceSpec) -> ConnectorSettings:
        """The settings of ``spec`` parsed by this connector's declaration; ConfigError saying what to fix."""
        return parse_settings(cls.settings_class, spec.settings, spec.name, cls.name)

    @cached_property
    def settings(self) -> ConnectorSettings:
        """This source's settings, parsed (ConfigError when they are wrong)."""
        return self.check_settings(self.spec)

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        """How sure this connector is that it reads ``path`` (0 to 1); ``head`` is its first 64 KiB.

        The default scores by extension only; override to sniff content.
        """
        return 0.5 if path.suffix.lower() in cls.extensions else 0.0

    @abstractmethod
    def collect(self) -> Iterator[Yield]:
        """Yield items, failures, deletions and checkpoints, streaming: never the whole input at once."""

    def item_id(self, *keys: object) -> str:
        """Stable id of an item of this source from its natural keys."""
        return stable_id(self.spec.name, self.spec.custodian, *keys)


class FileUnitConnector(Connector):
    """Base of the connectors that read files (the file given, or the files of a folder) as units of
    the one retry rule; its subclass writes ``collect`` and calls ``read_unit`` per unit."""

    suffixes: ClassVar[tuple[str, ...] | None] = None  # files of a folder read (None: ``extensions``; (): all)
    keep_whole: ClassVar[bool] = True  # False: the file is not one original (an mbox keeps each message)
    only: tuple[Path, ...] | None = None  # set by an import that recognised these files of the folder for this connector

    def accept(self, path: Path) -> bool:
        """Whether a file found in a folder is one to read (content sniffing); the file given always is."""
        return True

    def none_found(self, root: Path) -> str:
        """Why a folder holding none of this connector's files cannot be read ("": nothing to do)."""
        return ""

    def input_files(self) -> Iterator[Path]:
        """The file given, or the files below the folder given that ``suffixes`` and ``accept`` let through."""
        root = Path(self.spec.path)
        if not root.exists():
            raise ConnectorError("no such file or folder", root)
        if root.is_file():
            yield root
            return
        if self.only is not None:  # recognised by content already: neither suffix nor accept() applies
            yield from self.only
            return
        suffixes = self.extensions if self.suffixes is None else self.suffixes
        found = False
        for path in walk_files(root, suffixes):
            if self.accept(path):
                found = True
                yield path
        if not found and (reason := self.none_found(root)):
            raise ConnectorError(reason, root)

    def read_unit(self, original: Path | bytes | BinaryIO, name: str, read: Callable[[str], Iterator[Yield]], *,
                  where: str, single: bool, inner: str = "", member: str = "", key: str = "") -> Iterator[Yield]:
        """Keep ``original``, skip it when done, ``read(sha)`` it, checkpoint it when it read whole.

        ``where`` and ``inner`` name it in Failures (the file on disk, the place inside it); ``single``:
        it is the only input, so its ConnectorError is the run's. ``member`` names one unit of a file
        checkpointed apart; ``key`` replaces the checkpoint key (maildir's message names, looked up
        before anything is read; the checkpoint's value is then the sha).
        """
        opened = self._open_unit(original, name, where=where, single=single, inner=inner, member=member, key=key)
        if isinstance(opened, Failure):
            yield opened
        elif opened is not None:
            yield from self._read_opened(original, name, read, opened, where=where, single=single, inner=inner, key=key)

    def _open_unit(self, original, name: str, *, where: str, single: bool, inner: str = "", member: str = "",
                   key: str = "") -> tuple[str, str] | Failure | None:
        """The first half of ``read_unit``: (sha, checkpoint key) of a unit to read, None when an earlier
        run finished it, a Failure when it cannot be read from disk."""
        if key and self.known(key):
            return None
        try:
            sha = self.sink.keep(original, name) if self.keep_whole else ""
        except OSError as e:  # unreadable on disk (permissions, gone since the walk)
            return self.failed_whole(ConnectorError(f"cannot read the file: {e.strerror or e}", where, inner), where, single)
        done = key or (file_key(sha, member) if sha else "")
        if not key and done and self.known(done):
            return None
        return sha, done

    def _read_opened(self, original, name: str, read: Callable[[str], Iterator[Yield]], opened: tuple[str, str], *,
                     where: str, single: bool, inner: str = "", key: str = "") -> Iterator[Yield]:
        """The second half of ``read_unit``: read the unit kept under ``sha``, checkpoint it when whole."""
        sha, done = opened
        failed = False
        try:
            for y in read(sha):
                failed = failed or isinstance(y, Failure)
                yield y
        except ConnectorError as e:
            if not (single or e.sha256 or sha) and isinstance(original, Path):  # kept whole only now it failed
                e.sha256 = self.sink.keep(original, name)
            yield self.failed_whole(e, where, single, sha, inner)
            return
        if done and not failed:
            yield Checkpoint(done, sha if key else "done")

    def known(self, key: str) -> bool:
        """Whether an earlier run finished this unit (any saved value counts)."""
        return bool(self.sink.state(key))

    @staticmethod
    def failed_whole(e: ConnectorError, where: str, single: bool, sha: str = "", inner: str = "") -> Failure:
        """The Failure of a unit that cannot be read at all; raises ``e`` when it is the only input."""
        if single:
            if not e.path:
                e.path = where
            raise e
        return Failure(where, e.reason, " ".join(p for p in (inner, e.locator) if p), e.sha256 or sha)


class FileConnector(FileUnitConnector):
    """A file connector whose unit is one file: it implements only ``read_file``.

    A connector whose ``read_file`` needs nothing but the file and the source's spec (it keeps what
    it finds inside through the sink and reads no sync state) sets ``parallel = True``: when the
    pipeline hands it ``workers`` (a ``WorkerPlan``), its files are parsed there, many at a time,
    and yielded in order. A worker keeps the originals it reads (the file itself, when its
    checkpoint key is known without reading it, and what it finds inside) through the plan's sink,
    which writes where this process's sink writes; this process records them.
    """

    parallel: ClassVar[bool] = False
    workers: WorkerPlan | None = None  # set by the pipeline

    @abstractmethod
    def read_file(self, path: Path, sha: str) -> Iterator[Yield]:
        """Items and Failures of one file, kept under ``sha`` ("" when ``keep_whole`` is False).

        Yield a Failure for a part that cannot be read; raise ConnectorError when the whole file
        cannot be read. Checkpoints of the file's own progress may be yielded; ``file:<sha>`` is
        the base's.
        """

    def read_data(self, path: Path, data: bytes, sha: str) -> Iterator[Yield]:
        """``read_file`` of a file whose bytes are in hand, ``data`` (an ingest worker read them to keep
        the file). A connector that parses bytes overrides it (a mail file read once, not twice);
        by default the file is read again."""
        return self.read_file(path, sha)

    def collect(self) -> Iterator[Yield]:
        single = Path(self.spec.path).is_file()
        yield from self.read_files(((path, "") for path in self.input_files()), single)

    def read_files(self, files: Iterable[tuple[Path, str]], single: bool) -> Iterator[Yield]:
        """``read_unit`` of each (path, checkpoint key or "") of ``files``; in worker processes when
        the connector is ``parallel`` and the pipeline gave it ``workers``, once there are enough files."""
        files = iter(files)
        if not (self.parallel and self.workers and not single):
            for path, key in files:
                yield from self.read_unit(path, path.name, lambda sha, path=path: self.read_file(path, sha),
                                          where=str(path), single=single, key=key)
            return
        plan = self.workers
        window: deque = deque()  # (path, key, opened or None, (task, n) or None), in the order read
        tasks = _Tasks(type(self), self.spec, plan)
        for path, key in _looked_up(files, self.sink):
            if tasks.pool is None and len(window) >= PARALLEL_AFTER:
                tasks.start()
            if tasks.pool is not None and key and self.keep_whole:  # skipped by its key: the worker keeps it
                if self.known(key):
                    continue
                window.append((path, key, None, tasks.add(path, "")))
            else:
                opened = self._open_unit(path, path.name, where=str(path), single=False, key=key)
                if opened is None:
                    continue
                work = tasks.add(path, opened[0]) if tasks.pool is not None and not isinstance(opened, Failure) else None
                window.append((path, key, opened, work))
            while len(window) > (IN_FLIGHT if tasks.pool is not None else PARALLEL_AFTER):
                yield from self._finish(*window.popleft(), tasks)
        while window:
            yield from self._finish(*window.popleft(), tasks)

    def _finish(self, path: Path, key: str, opened, work: "tuple[_Task, int] | None", tasks: "_Tasks") -> Iterator[Yield]:
        if isinstance(opened, Failure):
            yield opened
            return
        if work is None:
            read = lambda sha: self.read_file(path, sha)  # noqa: E731
        else:
            task, n = work
            if task.future is None:  # its task is still being filled: send it now
                tasks.submit()
            sha, kept, out = task.future.result()[n]
            for original in kept:
                self.sink.record(*original)
            if sha is None:  # the worker could not read the file from disk
                yield Failure(str(path), out[0], "", "")
                return
            opened = opened or (sha, key)
            read = lambda sha: self._worker_result(out)  # noqa: E731
        yield from self._read_opened(path, path.name, read, opened, where=str(path), single=False, key=key)

    @staticmethod
    def _worker_result(out) -> Iterator[Yield]:
        """What a worker read: its items and failures, or its ConnectorError raised here."""
        if isinstance(out, tuple):
            raise ConnectorError(*out)
        return out


def _looked_up(files: Iterator[tuple[Path, str]], sink, size: int = 256) -> Iterator[tuple[Path, str]]:
    """``files``, with the sink told the checkpoint keys ahead, ``size`` at a time (``Sink.look_up``:
    one catalog query for many files instead of one per file)."""
    look_up = getattr(sink, "look_up", None)
    while chunk := list(itertools.islice(files, size)):
        if look_up is not None:
            look_up([key for _, key in chunk if key])
        yield from chunk


PARALLEL_AFTER = 64  # files read in this process before worker processes are started (not worth it for a few)
IN_FLIGHT = 1024  # files handed to workers and not yet taken back: bounds the memory held; enough that the workers go on parsing while this process commits a batch
FILES_PER_TASK = 16  # files a worker reads per task: one message each way for many small mails


class _Task:
    """Files on their way to one worker, read there one after the other (``read_many_in_worker``)."""

    def __init__(self) -> None:
        self.files: list[tuple[Path, str]] = []
        self.future = None


class _Tasks:
    """Hands files to the worker processes ``FILES_PER_TASK`` at a time: one message each way for
    many small mails."""

    def __init__(self, cls: type, spec: SourceSpec, plan: WorkerPlan) -> None:
        self.cls, self.spec, self.plan = cls, spec, plan
        self.pool = None
        self.filling = _Task()

    def start(self) -> None:
        self.pool = self.plan.pool()

    def add(self, path: Path, sha: str) -> tuple[_Task, int]:
        """Put a file in the task being filled (sent once full); returns (task, place in it)."""
        task = self.filling
        task.files.append((path, sha))
        if len(task.files) >= FILES_PER_TASK:
            self.submit()
        return task, len(task.files) - 1

    def submit(self) -> None:
        """Send the task being filled now (a file of it is wanted before it is full)."""
        if self.filling.files:
            self.filling.future = self.pool.submit(read_many_in_worker, self.cls, self.spec, self.filling.files,
                                                   self.plan.sink, self.plan.prepare)
            self.filling = _Task()


def read_many_in_worker(cls: type, spec: SourceSpec, files: list[tuple[Path, str]], make_sink: Callable[[], object],
                        prepare: Callable[[list], None] | None = None) -> list:
    """In a worker process: ``read_in_worker`` of each (path, sha) of ``files``."""
    return [read_in_worker(cls, spec, path, sha, make_sink, prepare) for path, sha in files]


def read_in_worker(cls: type, spec: SourceSpec, path: Path, sha: str, make_sink: Callable[[], object],
                   prepare: Callable[[list], None] | None = None):
    """In a worker process: (sha, originals kept, items and failures) of one file, or its
    ConnectorError as (reason, path, locator, sha256) in place of the items. ``sha`` "": keep the file
    first; when it cannot be read from disk, sha is None and the reason is given."""
    sink = make_sink()
    data = None
    if not sha:
        try:
            data = read_small(path)  # a small file is read once: to keep it and to parse it
            sha = sink.keep(path if data is None else data, path.name)
        except OSError as e:  # unreadable on disk (permissions, gone since the walk)
            return None, sink.kept, (f"cannot read the file: {e.strerror or e}",)
    try:
        connector = cls(spec, sink)
        out = list(connector.read_file(path, sha) if data is None else connector.read_data(path, data, sha))
    except ConnectorError as e:
        return sha, sink.kept, (e.reason, e.path, e.locator, e.sha256)
    if prepare is not None:
        prepare([y for y in out if isinstance(y, Item)])
    return sha, sink.kept, out

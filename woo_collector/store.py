"""The evidence store: originals kept bit for bit, content-addressed by SHA-256.

Two places, one interface (``put``, ``has``, ``read``, ``open``, ``path``, ``verify``):

- **packs** for originals of up to 1 MiB (a mail, a chat photo): ``store/packs/<pid>-<n>.pack``, files
  that only grow, one per writing process (an ingest worker included), each original a record of a
  header (``WOO1``, its SHA-256, its length) and its bytes. A million mails are a few hundred files,
  not a million: creating, renaming and backing up one small file an original was most of the kernel
  time of an import. The index ``store/packs.sqlite`` (SHA-256 -> pack, offset, length) is derived
  data: it is filled from the packs themselves (``catch_up``: every record beyond what was indexed is
  read and its hash checked), after ``sync`` made them durable, so it never names bytes a power cut
  could lose; a record a killed process left half-written is never indexed.
- **loose files** for larger originals (and those of stores made before packs):
  ``store/sha256/ab/abcd...`` (read-only). Writes go to ``store/tmp/`` first and are renamed into
  place, so a killed process never leaves a half-written original under its hash; leftovers in
  ``tmp/`` are removed the next time the store is opened.

``path(sha)`` is a file for every original: a packed one is copied out to its loose place the first
time a path is asked for (``woo show``, an export's photo). The same bytes are stored
once; a stored original is never modified.

Durability is per batch: ``sync()`` flushes everything written so far to disk, and the ingestion
pipeline calls it before the catalog commits the items that refer to those originals. (A killed
process loses nothing in any case: its writes are in the page cache; ``sync`` guards against a
power cut.) One fsync per original would cost more than parsing and indexing together.
"""

from __future__ import annotations

import hashlib
import io
import os
import shutil
import sqlite3
import tempfile
import threading
import time
from pathlib import Path
from typing import BinaryIO, Iterator

from woo_collector import faults

CHUNK = 1024 * 1024
PACK_MAX = 256 * 1024 * 1024  # a process starts a new pack past this size
MAGIC = b"WOO1"
HEADER = len(MAGIC) + 32 + 8  # magic, SHA-256, length (big-endian)
MINE_KEPT = 100_000  # originals a process remembers packing (an original packed twice costs only room)


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, CHUNK + 1):
        parts.append(chunk)
        if sum(map(len, parts)) > CHUNK:
            break
    return b"".join(parts)


def read_small(path: str | Path) -> bytes | None:
    """The bytes of a file of at most ``CHUNK`` bytes, read in as few system calls as can be (a mail,
    a chat line's photo); None for a larger file (read it as a stream). OSError when it cannot be read."""
    fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
    try:
        if os.fstat(fd).st_size > CHUNK:
            return None
        whole = _read_all(fd)
        return whole if len(whole) <= CHUNK else None  # grown since: a stream after all
    finally:
        os.close(fd)


class EvidenceStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.blobs = self.root / "sha256"
        self.tmp = self.root / "tmp"
        self.packs = self.root / "packs"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self.packs.mkdir(exist_ok=True)
        self._folders: set[str] = set()  # fan-out folders known to exist
        self._made = 0  # temp files made by this object
        self._clean_tmp()
        self._db: sqlite3.Connection | None = None
        self._pack: io.FileIO | None = None  # the pack this object appends to
        self._mine: dict[str, tuple[str, int, int]] = {}  # packed here, perhaps not indexed yet: sha -> place
        self._lock = threading.RLock()  # the pack index's connection (the review page's threads share a store)
        self._caught_up = False  # catch_up ran and nothing was written since

    def _clean_tmp(self, older_than: float = 3600.0) -> None:
        """Remove temp files of writes that never finished (a crash); recent ones may be in use."""
        now = time.time()
        for p in self.tmp.iterdir():
            try:
                if now - p.stat().st_mtime > older_than:
                    p.unlink()
            except OSError:
                pass

    def _loose(self, sha256: str) -> Path:
        return self.blobs / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self._stored(sha256) or self._packed(sha256, catch_up=True) is not None

    def _stored(self, sha256: str) -> bool:
        """``has`` without looking in the packs' records not indexed yet (what ``put`` asks)."""
        return self._packed(sha256) is not None or os.path.exists(f"{self.blobs}/{sha256[:2]}/{sha256}")  # no Path: put asks it of every mail

    # packs ----------------------------------------------------------------------------------------
    def _index(self) -> sqlite3.Connection:
        if self._db is None:
            db = sqlite3.connect(self.root / "packs.sqlite", timeout=60, isolation_level=None, check_same_thread=False)
            for attempt in range(1200):  # processes opening a new index at once: switching to WAL does not wait
                try:
                    db.execute("PRAGMA journal_mode=WAL")
                    db.execute("PRAGMA synchronous=NORMAL")
                    db.execute("CREATE TABLE IF NOT EXISTS packed (sha256 TEXT PRIMARY KEY, pack TEXT NOT NULL, "
                               "offset INTEGER NOT NULL, size INTEGER NOT NULL) WITHOUT ROWID")
                    db.execute("CREATE TABLE IF NOT EXISTS packs (pack TEXT PRIMARY KEY, indexed INTEGER NOT NULL) WITHOUT ROWID")
                    break
                except sqlite3.OperationalError as e:
                    if "locked" not in str(e) or attempt == 1199:
                        db.close()
                        raise
                    time.sleep(0.05)
            self._db = db
        return self._db

    def _packed(self, sha: str, catch_up: bool = False) -> tuple[str, int, int] | None:
        """(pack, offset of the bytes, length) of a packed original, or None. ``catch_up``: index the
        packs' new records first when it is not indexed yet (an original another process packed)."""
        if sha in self._mine:
            return self._mine[sha]
        with self._lock:
            row = self._index().execute("SELECT pack, offset, size FROM packed WHERE sha256 = ?", (sha,)).fetchone()
        if row is None and catch_up and not self._caught_up and self.catch_up():
            return self._packed(sha)
        return tuple(row) if row else None

    def _append(self, sha: str, data: bytes) -> None:
        """Append ``data`` to this process's pack as one record."""
        if self._pack is not None and (self._pack_pid != os.getpid() or self._pack_size > PACK_MAX):
            self._pack.close()  # a forked child or a full pack: a new pack
            self._pack = None
        if self._pack is None:
            while True:
                self._made += 1
                name = f"{os.getpid()}-{time.time_ns()}-{self._made}.pack"
                try:
                    fd = os.open(self.packs / name, os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, 0o400)
                    break
                except FileExistsError:
                    continue
            self._pack, self._pack_name, self._pack_size, self._pack_pid = io.FileIO(fd, "wb"), name, 0, os.getpid()
        faults.point("store-write")
        view = memoryview(MAGIC + bytes.fromhex(sha) + len(data).to_bytes(8, "big") + data)
        written = 0
        try:
            while written < len(view):
                written += self._pack.write(view[written:])
        except BaseException:
            self._pack.close()  # a torn record ends this pack: the next original starts a new one
            self._pack = None
            raise
        if len(self._mine) >= MINE_KEPT:  # a worker never syncs: forget; what is indexed is found there
            self._mine.clear()
        self._mine[sha] = (self._pack_name, self._pack_size + HEADER, len(data))
        self._pack_size += len(view)
        self._unsynced = True
        self._caught_up = False

    def catch_up(self) -> int:
        """Make what the packs hold durable and index the records beyond what was indexed, each
        checked against its hash; returns how many. Each pack is read up to its size before the
        flush: records appended meanwhile wait for the next call. A torn record (a killed writer)
        ends what is read of its pack."""
        with self._lock:
            return self._catch_up()

    def _catch_up(self) -> int:
        db = self._index()
        done = dict(db.execute("SELECT pack, indexed FROM packs").fetchall())
        grown = [(e.path, e.name, e.stat().st_size) for e in os.scandir(self.packs) if e.name.endswith(".pack")]
        os.sync()
        added = 0
        for path, name, size in grown:
            start = done.get(name, 0)
            if size <= start:
                continue
            rows, end = _records(Path(path), start, size)
            db.execute("BEGIN IMMEDIATE")
            try:
                db.executemany("INSERT OR IGNORE INTO packed VALUES (?, ?, ?, ?)", [(h, name, o, n) for h, o, n in rows])
                db.execute("INSERT INTO packs VALUES (?, ?) ON CONFLICT (pack) DO UPDATE SET indexed = max(indexed, excluded.indexed)",
                           (name, end))
                db.execute("COMMIT")
            except BaseException:
                if db.in_transaction:  # a full disk has rolled it back already
                    db.execute("ROLLBACK")
                raise
            added += len(rows)
        self._caught_up = True
        return added

    def _read_packed(self, place: tuple[str, int, int]) -> bytes:
        pack, offset, size = place
        with open(self.packs / pack, "rb") as f:
            f.seek(offset)
            data = f.read(size)
        if len(data) != size:
            raise OSError(f"pack {pack} ends before the original at {offset} ({size} bytes)")
        return data

    def put(self, data: bytes | Path | BinaryIO) -> tuple[str, int]:
        """Store bytes, a file or a binary stream; return (sha256, size). Idempotent."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            sha = hashlib.sha256(data).hexdigest()
            if len(data) > CHUNK:
                if not self._stored(sha):
                    self._write_small(sha, data)
            elif not self._stored(sha):
                self._append(sha, bytes(data))
            return sha, len(data)
        if isinstance(data, (str, Path)):
            whole = read_small(data)
            if whole is not None:
                return self.put(whole)
            with open(data, "rb") as f:
                return self._put_stream(f)
        return self._put_stream(data)

    def _write_small(self, sha: str, data: bytes) -> None:
        """``_write`` for bytes in hand, with the fewest system calls (creating many small files is
        what a maildir import spends its kernel time on): no buffered file object, the mode given
        at creation, the fan-out folder made once."""
        fd, tmpname = self._temp(0o400)
        try:
            try:
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view):]
            finally:
                os.close(fd)
            self._place(Path(tmpname), sha, made_read_only=True)
        except BaseException:
            if os.path.exists(tmpname):
                os.unlink(tmpname)
            raise

    def _temp(self, mode: int) -> tuple[int, str]:
        """A new file in ``tmp/``, open for writing: (fd, name). Named by process and a counter
        (``mkstemp`` costs a random name and more system calls); a name left by a dead process of the
        same number is passed over."""
        while True:
            self._made += 1
            name = os.path.join(self.tmp, f"in-{os.getpid()}-{self._made}")
            try:
                return os.open(name, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC, mode), name
            except FileExistsError:
                continue

    def _put_stream(self, stream: BinaryIO) -> tuple[str, int]:
        h = hashlib.sha256()
        size = 0
        fd, tmpname = tempfile.mkstemp(dir=self.tmp, prefix="in-")
        try:
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK):
                    h.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
            sha = h.hexdigest()
            if self._stored(sha):
                os.unlink(tmpname)
            else:
                self._place(Path(tmpname), sha)
            return sha, size
        except BaseException:
            if os.path.exists(tmpname):
                os.unlink(tmpname)
            raise

    def _write(self, sha: str, writer) -> None:
        fd, tmpname = tempfile.mkstemp(dir=self.tmp, prefix="in-")
        try:
            with os.fdopen(fd, "wb") as out:
                writer(out)
            self._place(Path(tmpname), sha)
        except BaseException:
            if os.path.exists(tmpname):
                os.unlink(tmpname)
            raise

    def _place(self, tmp: Path, sha: str, made_read_only: bool = False) -> None:
        dest = self._loose(sha)
        if sha[:2] not in self._folders:
            dest.parent.mkdir(parents=True, exist_ok=True)
            self._folders.add(sha[:2])
        if not made_read_only:
            os.chmod(tmp, 0o400)
        faults.point("store-write")
        os.replace(tmp, dest)
        self._unsynced = True

    _unsynced = False

    def sync(self) -> None:
        """Make every original written so far durable (before the catalog refers to them), and index
        the packed ones (after: the index never names bytes a power cut could lose)."""
        if self._unsynced:
            self.catch_up()  # os.sync() first
            self._unsynced = False
            self._mine.clear()  # indexed now

    def written_elsewhere(self) -> None:
        """Another process (an ingest worker) wrote originals here: the next ``sync`` flushes and indexes them too."""
        self._unsynced = True
        self._caught_up = False

    def _only_packed(self, sha256: str) -> tuple[str, int, int] | None:
        """The pack place of an original that has no loose file (a loose one is read as a file)."""
        return None if self._loose(sha256).exists() else self._packed(sha256, catch_up=True)

    def path(self, sha256: str) -> Path:
        """The file of an original: its loose file, for a packed one made on first use (atomic,
        read-only). The place it would have when it is not stored at all."""
        if place := self._only_packed(sha256):
            try:
                self._write_small(sha256, self._read_packed(place))
            except OSError:  # a store this user may only read: the path names no file (read() still reads it)
                pass
        return self._loose(sha256)

    def open(self, sha256: str) -> BinaryIO:
        place = self._only_packed(sha256)
        return io.BytesIO(self._read_packed(place)) if place else open(self._loose(sha256), "rb")

    def read(self, sha256: str) -> bytes:
        place = self._only_packed(sha256)
        return self._read_packed(place) if place else self._loose(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        """True when the stored original exists and still hashes to its name."""
        p = self._loose(sha256)
        if place := self._only_packed(sha256):
            try:
                return hashlib.sha256(self._read_packed(place)).hexdigest() == sha256
            except OSError:
                return False
        if not p.exists():
            return False
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        return h.hexdigest() == sha256

    def __iter__(self) -> Iterator[str]:
        """Every stored original's SHA-256, once."""
        self.catch_up()
        with self._lock:
            packed = [sha for (sha,) in self._index().execute("SELECT sha256 FROM packed")]
        yield from packed
        packed = set(packed)
        for p in self.blobs.glob("*/*"):
            if p.name not in packed:
                yield p.name

    def copy_to(self, sha256: str, dest: Path) -> None:
        if place := self._only_packed(sha256):
            Path(dest).write_bytes(self._read_packed(place))
        else:
            shutil.copyfile(self._loose(sha256), dest)


def _records(pack: Path, start: int, end: int) -> tuple[list[tuple[str, int, int]], int]:
    """(sha256, offset of the bytes, length) of each whole record of ``pack`` from ``start`` to
    ``end`` whose bytes hash to its name, and where the last whole record ends. Reading stops at a
    torn record (a writer killed in the middle) or one that is not a record."""
    rows = []
    with open(pack, "rb") as f:
        f.seek(start)
        pos = start
        while pos + HEADER <= end:
            head = f.read(HEADER)
            size = int.from_bytes(head[36:HEADER], "big")
            if len(head) < HEADER or head[:4] != MAGIC or pos + HEADER + size > end:
                break
            data = f.read(size)
            sha = head[4:36].hex()
            if len(data) < size or hashlib.sha256(data).hexdigest() != sha:
                break
            rows.append((sha, pos + HEADER, size))
            pos += HEADER + size
    return rows, pos

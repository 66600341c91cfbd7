"""The evidence store: originals kept bit for bit, content-addressed by SHA-256.

Layout: ``store/sha256/ab/abcd...`` (read-only files). Writes go to ``store/tmp/`` first and
are renamed into place, so a killed process never leaves a half-written original under its hash;
leftovers in ``tmp/`` are removed the next time the store is opened. The same bytes are stored
once; a stored file is never modified.

Durability is per batch: ``sync()`` flushes everything written so far to disk, and the ingestion
pipeline calls it before the catalog commits the items that refer to those originals. (A killed
process loses nothing in any case: its writes are in the page cache; ``sync`` guards against a
power cut.) One fsync per original would cost more than parsing and indexing together.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import BinaryIO, Iterator

from woo_collector import faults

CHUNK = 1024 * 1024


def _read_all(fd: int) -> bytes:
    parts = []
    while chunk := os.read(fd, CHUNK + 1):
        parts.append(chunk)
        if sum(map(len, parts)) > CHUNK:
            break
    return b"".join(parts)


class EvidenceStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.blobs = self.root / "sha256"
        self.tmp = self.root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
        self._folders: set[str] = set()  # fan-out folders known to exist
        self._made = 0  # temp files made by this object
        self._clean_tmp()

    def _clean_tmp(self, older_than: float = 3600.0) -> None:
        """Remove temp files of writes that never finished (a crash); recent ones may be in use."""
        now = time.time()
        for p in self.tmp.iterdir():
            try:
                if now - p.stat().st_mtime > older_than:
                    p.unlink()
            except OSError:
                pass

    def path(self, sha256: str) -> Path:
        return self.blobs / sha256[:2] / sha256

    def has(self, sha256: str) -> bool:
        return self.path(sha256).exists()

    def put(self, data: bytes | Path | BinaryIO) -> tuple[str, int]:
        """Store bytes, a file or a binary stream; return (sha256, size). Idempotent."""
        if isinstance(data, (bytes, bytearray, memoryview)):
            sha = hashlib.sha256(data).hexdigest()
            if not self.has(sha):
                self._write_small(sha, data)
            return sha, len(data)
        if isinstance(data, (str, Path)):
            fd = os.open(data, os.O_RDONLY | os.O_CLOEXEC)
            try:
                if os.fstat(fd).st_size <= CHUNK:  # a mail, a chat line's photo: read whole, in as few calls as can be
                    whole = _read_all(fd)
                    if len(whole) <= CHUNK:
                        os.close(fd)
                        fd = -1
                        return self.put(whole)
                    os.lseek(fd, 0, os.SEEK_SET)
                f = os.fdopen(fd, "rb")
            except BaseException:
                if fd >= 0:
                    os.close(fd)
                raise
            with f:
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
            if self.has(sha):
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
        dest = self.path(sha)
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
        """Make every original written so far durable (before the catalog refers to them)."""
        if self._unsynced:
            os.sync()
            self._unsynced = False

    def written_elsewhere(self) -> None:
        """Another process (an ingest worker) wrote originals here: the next ``sync`` flushes them too."""
        self._unsynced = True

    def open(self, sha256: str) -> BinaryIO:
        return open(self.path(sha256), "rb")

    def read(self, sha256: str) -> bytes:
        return self.path(sha256).read_bytes()

    def verify(self, sha256: str) -> bool:
        """True when the stored file exists and still hashes to its name."""
        p = self.path(sha256)
        if not p.exists():
            return False
        h = hashlib.sha256()
        with open(p, "rb") as f:
            while chunk := f.read(CHUNK):
                h.update(chunk)
        return h.hexdigest() == sha256

    def __iter__(self) -> Iterator[str]:
        for p in self.blobs.glob("*/*"):
            yield p.name

    def copy_to(self, sha256: str, dest: Path) -> None:
        shutil.copyfile(self.path(sha256), dest)

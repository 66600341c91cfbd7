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


class EvidenceStore:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.blobs = self.root / "sha256"
        self.tmp = self.root / "tmp"
        self.blobs.mkdir(parents=True, exist_ok=True)
        self.tmp.mkdir(parents=True, exist_ok=True)
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
                self._write(sha, lambda f: f.write(data))
            return sha, len(data)
        if isinstance(data, (str, Path)):
            with open(data, "rb") as f:
                return self._put_stream(f)
        return self._put_stream(data)

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

    def _place(self, tmp: Path, sha: str) -> None:
        dest = self.path(sha)
        dest.parent.mkdir(parents=True, exist_ok=True)
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

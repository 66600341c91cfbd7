"""The workspace lock: one ingest or import at a time; a dead holder's lock is taken over.

``fcntl.flock`` is released by the kernel when a process dies, so a lock file left behind by a
killed run is never really held: the next run takes it and says whose it was.
"""

from __future__ import annotations

import fcntl
import json
import os
from datetime import datetime, timezone
from pathlib import Path

from woo_collector.dates import show_time
from woo_collector.errors import LockHeld


class WorkspaceLock:
    def __init__(self, path: Path, what: str):
        self.path = Path(path)
        self.what = what
        self.fd: int | None = None
        self.previous: dict | None = None  # info of a dead holder whose lock we took over

    def acquire(self) -> "WorkspaceLock":
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            info = _read(fd)
            os.close(fd)
            holder = f"{info.get('what', 'a woo run')} (pid {info.get('pid', '?')}, started {show_time(info.get('started'), '?')})" if info else "another woo process"
            raise LockHeld(f"the workspace is busy: {holder} holds the lock {self.path}. "
                           "Wait for it to finish; cron will try again at the next run.") from None
        old = _read(fd)
        if old and old.get("pid") and old.get("pid") != os.getpid():
            self.previous = old
        os.ftruncate(fd, 0)
        os.lseek(fd, 0, os.SEEK_SET)
        os.write(fd, json.dumps({"pid": os.getpid(), "what": self.what,
                                 "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}).encode())
        os.fsync(fd)
        self.fd = fd
        return self

    def release(self) -> None:
        if self.fd is not None:
            os.ftruncate(self.fd, 0)
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None

    def __enter__(self) -> "WorkspaceLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


def _read(fd: int) -> dict:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        data = os.read(fd, 4096)
        return json.loads(data) if data.strip() else {}
    except (OSError, ValueError):
        return {}

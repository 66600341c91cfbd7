"""The audit log's seal: a key and an anchor outside the catalog, and the check of the whole log.

The ``audit`` table is hash-chained: every row carries the SHA-256 of its contents and of the row
before it, so an edited row, a row deleted in the middle or two rows swapped show. A chain alone
cannot show the rest: deleting the last rows, deleting every row, or editing a row and recomputing
the chain from there leave a chain that checks out. Two things beside the catalog close that gap:

- ``audit.key`` (32 random bytes, hex, mode 0600), created with the workspace or on the first
  open of an older one. Every row's ``mac`` column is an HMAC-SHA256 of its chain hash under this
  key. Someone who can write the database but cannot read the key cannot write a row, or recompute
  a chain, that passes.
- ``audit.anchor``, an append-only text file: one line per audit row (``id<TAB>hash<TAB>mac``,
  the mac again under the key), appended and fsynced after the row is committed. The anchor keeps
  the count and the head of the chain outside the database: rows deleted at the end, or all of
  them, no longer match it.

``check`` compares the three and says, per row and for the log as a whole, what does not fit.
Rows committed but not yet anchored (a crash between the commit and the append) are accepted when
their HMAC is right; the next audit row anchors them.

The threat model, honestly: this detects changes made by someone who can write the catalog (a
copied or restored database, an administrator with ``sqlite3``) but not the key file. Someone who
holds the key file and can write both the database and the anchor can rewrite history consistently,
and someone who deletes the key, the anchor and the rows together makes the workspace look like one
that was never sealed (it is sealed again on the next open, and the log then starts with an ``audit
sealed`` row that says so). To guard against that, ship ``audit.anchor`` off the host (a log
collector, ``chattr +a``, a WORM share, or a daily copy of its last line in a ticket): the
off-host copy's last line is the count and head hash the workspace must still reach.

Existing workspaces are migrated on the first open by this version: the key is created, every
existing row gets its HMAC and an anchor line as it stands then (so what was there before is vouched
for from that moment, and an earlier break stays visible as a broken chain), and an ``audit sealed``
row records how many rows there were and the head hash.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

KEY_FILE = "audit.key"
ANCHOR_FILE = "audit.anchor"


def chain_hash(prev: str, ts: str, user: str, action: str, request: str, args_json: str, outcome: str) -> str:
    payload = json.dumps([prev, ts, user, action, request or "", args_json, outcome], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


@dataclass
class AuditCheck:
    """The verdict on the audit log: rows with ``intact`` and ``why``, and the problems of the whole."""

    rows: list[dict[str, Any]] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    first_broken: int | None = None  # the id of the first row that does not fit (or the first one missing)
    unanchored: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems


class Seal:
    """The key and the anchor file of one catalog (both beside it)."""

    def __init__(self, directory: Path):
        self.key_path = Path(directory) / KEY_FILE
        self.anchor_path = Path(directory) / ANCHOR_FILE
        self._key: bytes | None = None

    # files ----------------------------------------------------------------------------------------
    def exists(self) -> bool:
        return self.key_path.exists() or self.anchor_path.exists()

    def create_key(self) -> None:
        fd = os.open(self.key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32) + "\n")
            f.flush()
            os.fsync(f.fileno())
        if not self.anchor_path.exists():
            os.close(os.open(self.anchor_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600))

    @property
    def key(self) -> bytes | None:
        if self._key is None and self.key_path.exists():
            self._key = bytes.fromhex(self.key_path.read_text().strip())
        return self._key

    def mac(self, chain: str) -> str:
        return hmac.new(self.key or b"", f"row|{chain}".encode(), hashlib.sha256).hexdigest()

    def _line_mac(self, row_id: int, chain: str) -> str:
        return hmac.new(self.key or b"", f"anchor|{row_id}|{chain}".encode(), hashlib.sha256).hexdigest()

    def append(self, rows: list[tuple[int, str]]) -> None:
        """Anchor committed rows (id, chain hash): appended and fsynced. FileNotFoundError without an anchor."""
        if not rows:
            return
        text = "".join(f"{i}\t{h}\t{self._line_mac(i, h)}\n" for i, h in rows)
        fd = os.open(self.anchor_path, os.O_WRONLY | os.O_APPEND)  # never re-created here: a missing anchor is reported
        try:
            os.write(fd, text.encode())
            os.fsync(fd)
        finally:
            os.close(fd)

    def last_anchored(self) -> int:
        """The id of the last anchored row (0 when none); reads only the file's tail."""
        if not self.anchor_path.exists():
            return 0
        with open(self.anchor_path, "rb") as f:
            f.seek(0, os.SEEK_END)
            size = f.tell()
            f.seek(max(0, size - 4096))
            lines = [x for x in f.read().decode(errors="replace").splitlines() if x.strip()]
        try:
            return int(lines[-1].split("\t")[0]) if lines else 0
        except ValueError:
            return 0

    def anchored(self) -> tuple[list[tuple[int, str]], list[str]]:
        """The anchor's (id, hash) entries and the problems of the file itself."""
        entries, problems = [], []
        if not self.anchor_path.exists():
            return entries, problems
        for n, line in enumerate(self.anchor_path.read_text(errors="replace").splitlines(), start=1):
            parts = line.split("\t")
            if len(parts) != 3 or not parts[0].isdigit():
                problems.append(f"{self.anchor_path.name} line {n} is not an anchor line (the file was edited)")
                continue
            row_id, chain, mac = int(parts[0]), parts[1], parts[2]
            if not hmac.compare_digest(mac, self._line_mac(row_id, chain)):
                problems.append(f"{self.anchor_path.name} line {n} (row {row_id}) does not carry this workspace's audit key "
                                "(the anchor was edited)")
                continue
            entries.append((row_id, chain))
        return entries, problems

    # the verdict ------------------------------------------------------------------------------------
    def check(self, rows: list[dict[str, Any]]) -> AuditCheck:
        """Chain, HMAC and anchor of all ``rows`` (in id order, as stored)."""
        out = AuditCheck(rows=rows)
        broken: list[int] = []

        def fail(row: dict[str, Any], why: str) -> None:
            if row["intact"]:
                row["intact"], row["why"] = False, why
                broken.append(row["id"])

        key_missing = self.key is None
        if key_missing and (rows or self.anchor_path.exists()):
            out.problems.append(f"{self.key_path} is missing: the audit log cannot be verified; restore audit.key from backup")
        if self.key is not None and not self.anchor_path.exists():
            out.problems.append(f"{self.anchor_path} is missing: rows deleted at the end of the audit log would not show; "
                                "restore audit.anchor from backup (or from its off-host copy)")
        prev = ""
        by_id: dict[int, dict[str, Any]] = {}
        for r in rows:
            r["intact"], r["why"] = True, ""
            by_id[r["id"]] = r
            expect = chain_hash(prev, r["ts"], r["user"], r["action"], r["request"] or "", r["args"], r["outcome"])
            if r["hash"] != expect:
                fail(r, "its contents do not match its hash (the row was edited)")
            elif r["prev_hash"] != prev:
                fail(r, "it does not follow the row before it (a row was deleted, inserted or moved before it)")
            elif not key_missing and not hmac.compare_digest(r.get("mac") or "", self.mac(r["hash"])):
                fail(r, "it is not signed with this workspace's audit key (written or recomputed outside woo)")
            prev = r["hash"]
        entries, file_problems = self.anchored() if not key_missing else ([], [])
        out.problems += file_problems
        missing: list[int] = []
        for row_id, chain in entries:
            r = by_id.get(row_id)
            if r is None:
                missing.append(row_id)
            elif r["hash"] != chain:
                fail(r, "it differs from the row the anchor recorded (the row was replaced)")
        last = entries[-1][0] if entries else 0
        out.unanchored = sum(1 for r in rows if r["id"] > last)
        if broken:
            first = min(broken)
            out.problems.append(f"row {first} was altered: {by_id[first]['why']}"
                                + (f" ({len(broken)} rows do not fit)" if len(broken) > 1 else ""))
        if missing:
            tail = [i for i in missing if i > max(by_id, default=0)]
            if rows and len(tail) == len(missing):
                out.problems.append(f"the last {len(missing)} rows were deleted (rows {missing[0]}-{missing[-1]}; "
                                    f"the anchor records {len(entries)} rows up to row {last})")
            elif not rows:
                out.problems.append(f"all rows were deleted (the anchor records {len(entries)} rows up to row {last})")
            else:
                out.problems.append(f"{len(missing)} anchored rows were deleted (first: row {missing[0]})")
        firsts = ([min(broken)] if broken else []) + ([missing[0]] if missing else [])
        out.first_broken = min(firsts) if firsts else None
        return out

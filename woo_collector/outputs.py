"""Where disclosure packages were written, and what an interrupted export leaves beside them.

``exports.package.export`` records every ``--out`` folder in ``exports.json`` in the workspace
(before it writes anything), so ``woo doctor`` can look at those folders later. An export works
beside its ``out`` folder under hidden names that start with ``.<name>.``::

    .<name>.tmp-XXXXXXXX        a package being written (not yet through the leak guard), or the
                                previous package just swapped out
    .<name>.old-XXXXXXXX        the previous package, moved aside
    .<name>.zip.tmp-XXXXXXXX    a zip being written
    .<name>.commit              the journal of a package being put in place: while it exists, the
                                next export first finishes putting that package in place

This module only names and finds them (the core never imports ``exports``); ``exports/place.py``
writes, puts in place and cleans up.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

RECORD = "exports.json"


def journal(out: Path) -> Path:
    return out.parent / f".{out.name}.commit"


def zip_target(out: Path) -> Path:
    return out.parent / f"{out.name}.zip"


def leftovers(out: Path) -> list[Path]:
    """The hidden work entries of earlier exports beside ``out`` (the journal not included)."""
    if not out.parent.is_dir():
        return []
    pats = (f".{out.name}.tmp-*", f".{out.name}.old-*", f".{out.name}.zip.tmp-*", f".{out.name}.commit.w-*")
    return sorted(p for pat in pats for p in out.parent.glob(pat))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def write_json_atomic(path: Path, data: Any) -> None:
    """Write ``data`` to ``path`` under a temporary name, fsync it, rename it (owner-only)."""
    tmp = path.parent / f".{path.name}.w-{os.getpid()}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, ensure_ascii=False, indent=1)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)


def recorded(root: Path) -> dict[str, dict[str, Any]]:
    """The output folders of earlier exports: absolute path -> {"request": ...}."""
    try:
        data = json.loads((root / RECORD).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record(root: Path, out: Path, request: str) -> None:
    """Remember ``out`` as an output folder of ``request`` (idempotent). Two exports to different
    folders at the same moment both stay recorded: the read-modify-write holds an exclusive lock."""
    import fcntl

    key = str(Path(out).resolve())
    fd = os.open(root / f".{RECORD}.lock", os.O_WRONLY | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        data = recorded(root)
        if data.get(key, {}).get("request") == request:
            return
        data[key] = {"request": request}
        write_json_atomic(root / RECORD, data)
    finally:
        os.close(fd)  # releases the lock


def package_problems(out: Path, request: str, rehash: bool = True) -> list[str]:
    """What is wrong with the package folder ``out`` and its zip: leftovers, an unfinished swap,
    files that do not match ``manifest.json``, a zip that is not of this package. Each with the fix."""
    # --replace: a package in the folder is moved aside whole (never deleted), so the export can go ahead
    again = f"run 'woo request export {request} --out {out} --replace' again"
    problems = []
    if journal(out).exists():
        problems.append(f"export {out}: an export of {request} was interrupted while its package was put in place "
                        f"(the package or its zip may be missing); {again} to finish it")
    left = leftovers(out)
    if left:
        problems.append(f"export {out}: {len(left)} leftover(s) of interrupted exports that never passed the leak guard "
                        f"or were never cleaned up (first: {left[0].name}); {again}, which removes them, "
                        f"or delete them: rm -rf {' '.join(str(p) for p in left[:3])}{' ...' if len(left) > 3 else ''}")
    if not out.exists():
        if left or journal(out).exists():
            problems.append(f"export {out}: the package folder is missing; {again}")
        return problems
    man = out / "manifest.json"
    try:
        files = json.loads(man.read_text(encoding="utf-8")).get("files", {})
    except (OSError, ValueError, AttributeError):
        problems.append(f"export {out}: manifest.json is missing or unreadable, the package is incomplete; {again}")
        return problems
    present = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    bad = sorted(rel for rel, sha in files.items() if not (out / rel).is_file() or (rehash and sha256_file(out / rel) != sha))
    extra = sorted(present - set(files))
    if bad or extra:
        problems.append(f"export {out}: the package does not match its manifest.json ({len(bad)} file(s) missing or changed, "
                        f"{len(extra)} not listed; first: {(bad or extra)[0]}); {again}")
    zp = zip_target(out)
    if zp.exists():
        import zipfile

        try:
            with zipfile.ZipFile(zp) as z:
                same = z.read(f"{out.name}/manifest.json") == man.read_bytes()
        except (OSError, KeyError, zipfile.BadZipFile):
            same = False
        if not same:
            problems.append(f"export {out}: {zp.name} is not a zip of the package beside it (an older or broken zip); "
                            f"delete it and {again} with --zip")
    return problems

"""Putting a written, leak-checked package (and its zip) in place as one step that survives a kill.

The package is written into ``.<name>.tmp-X`` and its zip (``--zip``) into ``.<name>.zip.tmp-X``,
both complete and through the leak guard, before anything beside ``out`` changes. Then a journal
``.<name>.commit`` is written (fsynced) naming them and the SHA-256 of the new ``manifest.json``,
and ``roll_forward`` makes the change:

1. the old ``<name>.zip`` goes (it belongs to the old package and must never lie beside the new one);
2. the new package replaces ``out``: one atomic swap (``renameat2(RENAME_EXCHANGE)``) where the
   system has it, so there is never a moment without a package; elsewhere ``out`` is renamed
   aside and the new package renamed to ``out``. An earlier package (an export with ``replace``)
   is never deleted: the journal names where it goes (``previous``, ``<name>.vorige-<time>``),
   and it is renamed there whole, with whatever the handler edited or added in it;
3. the new zip is renamed to ``<name>.zip``;
4. the journal goes, then every leftover.

A reader of the folder sees the old package with its zip, then (for a moment) a package without
zip, then the new package with its zip; never a new package with an old zip, never old with new.
Each step can be repeated, and ``out``'s manifest tells whether step 2 happened, so an export killed
anywhere in between is finished by the next export (``prepare`` runs ``roll_forward`` on a journal
it finds) and reported by ``woo doctor`` until then. Leftovers without journal never passed
the commit: the next export deletes them (a previous package moved aside with no package in
its place, as versions without journal left it, is first moved back).
"""

from __future__ import annotations

import contextlib
import ctypes
import ctypes.util
import json
import os
import shutil
import time
import uuid
import zipfile
from pathlib import Path

from woo_collector import faults
from woo_collector.errors import ExportError
from woo_collector.outputs import journal, leftovers, sha256_file, write_json_atomic, zip_target

_RENAME_EXCHANGE = 2


def _exchange(a: Path, b: Path) -> bool:
    """Swap ``a`` and ``b`` atomically; False where the system cannot (nothing changed then)."""
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or None, use_errno=True)
        fn = libc.renameat2
    except (OSError, AttributeError):
        return False
    at_fdcwd = -100
    return fn(at_fdcwd, os.fsencode(a), at_fdcwd, os.fsencode(b), _RENAME_EXCHANGE) == 0


@contextlib.contextmanager
def exclusive(out: Path):
    """Hold ``out``'s parent folder for one export at a time (``flock`` on the folder itself, so no
    lock file is left behind); a second export into the same folder stops at once."""
    try:
        import fcntl
    except ImportError:  # not on POSIX: no lock
        yield
        return
    fd = os.open(out.parent, os.O_RDONLY)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as e:
            raise ExportError(f"another export is writing into {out.parent}; wait for it to finish") from e
        except OSError:  # a file system without locks (some network mounts): go on without
            pass
        yield
    finally:
        os.close(fd)


def _remove(p: Path) -> None:
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    else:
        p.unlink(missing_ok=True)


def cleanup(out: Path) -> None:
    """Delete the leftovers beside ``out``; never while a journal says a package is on its way."""
    if journal(out).exists():
        return
    for p in leftovers(out):
        _remove(p)


def prepare(out: Path) -> None:
    """Before an export: finish a package an interrupted export was putting in place, clean leftovers."""
    j = journal(out)
    if j.exists():
        try:
            data = json.loads(j.read_text(encoding="utf-8"))
            roll_forward(out, Path(data["tmp"]), Path(data["zip"]) if data.get("zip") else None, data["manifest"],
                         Path(data["previous"]) if data.get("previous") else None)
        except (OSError, ValueError, KeyError, TypeError):
            j.unlink(missing_ok=True)  # a torn journal is written before any change: nothing to finish
    if not out.exists() and not j.exists():
        # killed between the two renames by a version without journal: the previous package, moved
        # aside, passed the leak guard when it was exported; it goes back until the new one is there
        olds = [p for p in leftovers(out) if ".old-" in p.name and (p / "manifest.json").is_file()]
        if olds:
            max(olds, key=lambda p: p.stat().st_mtime).rename(out)
    cleanup(out)


def zip_temp(package: Path, name: str) -> Path:
    """A zip of ``package`` (members under ``name/``) written beside it under a temporary name."""
    target = package.parent / f".{name}.zip.tmp-{uuid.uuid4().hex[:8]}"
    try:
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as z:
            for p in sorted(package.rglob("*")):
                if p.is_file() and p.relative_to(package).parts[0] != "upload":  # the upload zips hold the PDFs again
                    z.write(p, f"{name}/{p.relative_to(package).as_posix()}")
    except BaseException:
        target.unlink(missing_ok=True)
        raise
    return target


def aside(out: Path) -> Path:
    """Where an earlier package in ``out`` is kept: ``<name>.vorige-<UTC time>`` beside it, never taken."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    target = out.parent / f"{out.name}.vorige-{stamp}"
    n = 1
    while target.exists():
        n += 1
        target = out.parent / f"{out.name}.vorige-{stamp}-{n}"
    return target


def commit(tmp: Path, out: Path, zip_tmp: Path | None, previous: Path | None = None) -> None:
    """Put the package ``tmp`` (and the zip ``zip_tmp``) in place as ``out`` (and ``out.zip``); an
    earlier package in ``out`` is moved to ``previous``."""
    token = sha256_file(tmp / "manifest.json")
    faults.point("export-commit")
    write_json_atomic(journal(out), {"tmp": str(tmp), "zip": str(zip_tmp) if zip_tmp else None, "manifest": token,
                                     "previous": str(previous) if previous else None})
    roll_forward(out, tmp, zip_tmp, token, previous)


def _is_new(out: Path, token: str) -> bool:
    try:
        return sha256_file(out / "manifest.json") == token
    except OSError:
        return False


def roll_forward(out: Path, tmp: Path, zip_tmp: Path | None, token: str, previous: Path | None = None) -> None:
    target = zip_target(out)
    faults.point("export-rename")
    if zip_tmp is None or zip_tmp.exists():  # 1. the old zip goes
        target.unlink(missing_ok=True)
    faults.point("export-rename")
    if not _is_new(out, token):  # 2. the new package replaces out
        if not tmp.is_dir():
            raise OSError(f"the new package {tmp} is gone; export again")
        if not (out.exists() and _exchange(tmp, out)):
            if out.exists():
                out.rename(previous if previous is not None else out.parent / f".{out.name}.old-{uuid.uuid4().hex[:8]}")
                faults.point("export-rename")
            tmp.rename(out)
    faults.point("export-rename")
    if previous is not None and tmp.is_dir() and not previous.exists():  # after a swap, tmp holds the earlier package
        if any(tmp.iterdir()):
            tmp.rename(previous)
        else:
            tmp.rmdir()  # an empty folder: no file in it to keep
    faults.point("export-rename")
    if zip_tmp is not None and zip_tmp.exists():  # 3. the new zip
        zip_tmp.replace(target)
    faults.point("export-rename")
    journal(out).unlink(missing_ok=True)  # 4. done; what is left is rubbish
    cleanup(out)

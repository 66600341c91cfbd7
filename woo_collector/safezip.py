"""Opening zips that strangers made: no path traversal, no zip bombs, bounded nesting.

Used by every connector that reads a zip (WhatsApp exports with media, WeTransfer downloads).
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator

from woo_collector.errors import ConnectorError

MAX_MEMBERS = 100_000
MAX_TOTAL = 20 * 1024**3  # bytes expanded in all
MAX_MEMBER = 4 * 1024**3  # bytes expanded for one member
MAX_RATIO = 200  # expanded / compressed, for members over 1 MiB
MAX_DEPTH = 3  # zips inside zips


@dataclass(frozen=True)
class Member:
    name: str  # the safe relative path inside the zip
    size: int
    info: zipfile.ZipInfo


def safe_name(name: str) -> str | None:
    """A member name as a safe relative path, or None for traversal, absolute or device names."""
    name = name.replace("\\", "/")
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    if any(part == ".." for part in p.parts):
        return None
    clean = "/".join(part for part in p.parts if part not in ("", "."))
    return clean or None


def open_zip(source: Path | BinaryIO, label: str) -> tuple[zipfile.ZipFile, list[Member]]:
    """Open a zip and check every member before anything is read.

    Raises ConnectorError naming ``label`` when the zip is broken, traverses paths, or would
    expand beyond the limits (a zip bomb).
    """
    try:
        zf = zipfile.ZipFile(source)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as e:
        raise ConnectorError(f"not a readable zip file: {e}", label) from e
    if len(infos) > MAX_MEMBERS:
        raise ConnectorError(f"zip holds {len(infos)} files, more than {MAX_MEMBERS}; refused", label)
    members, total = [], 0
    for info in infos:
        if info.is_dir():
            continue
        name = safe_name(info.filename)
        if name is None:
            raise ConnectorError(f"zip member {info.filename!r} points outside the folder (path traversal); refused", label)
        if info.file_size > MAX_MEMBER:
            raise ConnectorError(f"zip member {name} expands to {info.file_size} bytes; refused as a zip bomb", label)
        if info.file_size > 1024 * 1024 and info.compress_size and info.file_size / info.compress_size > MAX_RATIO:
            raise ConnectorError(f"zip member {name} expands {info.file_size // max(info.compress_size, 1)}x; refused as a zip bomb", label)
        total += info.file_size
        if total > MAX_TOTAL:
            raise ConnectorError(f"zip expands to more than {MAX_TOTAL} bytes; refused as a zip bomb", label)
        members.append(Member(name, info.file_size, info))
    return zf, members


def read_member(zf: zipfile.ZipFile, member: Member, label: str) -> bytes:
    """Read one member, stopping if it expands past its declared size (a lying header)."""
    out = bytearray()
    try:
        with zf.open(member.info) as f:
            while chunk := f.read(1024 * 1024):
                out += chunk
                if len(out) > member.size or len(out) > MAX_MEMBER:
                    raise ConnectorError(f"zip member {member.name} expands beyond its declared size; refused", label)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError) as e:
        raise ConnectorError(f"zip member {member.name} cannot be read: {e}", label) from e
    return bytes(out)


def iter_members(zf: zipfile.ZipFile, members: list[Member], label: str) -> Iterator[tuple[Member, bytes]]:
    for m in members:
        yield m, read_member(zf, m, label)

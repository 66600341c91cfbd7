"""Opening zips that strangers made: no path traversal, no zip bombs, bounded nesting.

Used by every connector that reads a zip (WhatsApp exports with media, WeTransfer and OneDrive
downloads) and by the document extractor (docx, xlsx, pptx, odt are zips too). Every member is
checked against the central directory before a byte is expanded:

- names that leave the folder (``../x``, ``/etc/passwd``, ``C:\\x``) are refused;
- a member that declares more than ``MAX_MEMBER`` bytes, or expands more than ``MAX_RATIO`` times
  its compressed size, is refused;
- symbolic links are never members (nothing of their own to read, never to follow);
- a zip whose members add up past ``MAX_TOTAL``, or past ``MAX_RATIO`` times the size of the whole
  archive, is refused whole; so is one of more than ``MAX_MEMBERS`` entries, and one whose members'
  compressed data overlap (the "non-recursive" zip bomb, where thousands of entries point at the
  same deflate stream);
- reading stops at the declared size, so a lying header cannot expand further;
- zips inside zips are opened by the caller up to ``MAX_DEPTH`` levels (see ``check_depth``).

A refused member costs the whole zip (``ConnectorError``) unless the caller passes a ``refused``
list to ``open_zip``: then each refused member (a bad name, a symlink, too large, a bomb by its own
ratio) is listed there with its reason and left out, and the good members are read; the
connectors list each as a Failure, the zip itself kept. What is told only of the whole (total
size, the archive's ratio, overlapping entries, too many entries) still refuses the whole zip.
"""

from __future__ import annotations

import itertools
import os
import stat
import io
import zipfile
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Iterator

from woo_collector.errors import ConnectorError

MAX_MEMBERS = 100_000
MAX_TOTAL = 20 * 1024**3  # bytes expanded in all
MAX_MEMBER = 4 * 1024**3  # bytes expanded for one member
MAX_RATIO = 200  # expanded / compressed, for members (and archives) over RATIO_FLOOR
RATIO_FLOOR = 1024 * 1024
MAX_DEPTH = 3  # zips inside zips: the outer zip is level 1
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")


@dataclass(frozen=True)
class Refused:
    """A member left out of a zip: its name as written in the zip (untrusted) and why."""

    name: str
    reason: str


@dataclass(frozen=True)
class Member:
    name: str  # the safe relative path inside the zip
    size: int
    info: zipfile.ZipInfo


def is_zip(head: bytes) -> bool:
    """True when ``head`` (the first bytes of a file) starts like a zip archive."""
    return head[:4] in ZIP_MAGIC


def safe_name(name: str) -> str | None:
    """A member name as a safe relative path, or None for traversal, absolute or device names."""
    name = name.replace("\\", "/")
    p = PurePosixPath(name)
    if p.is_absolute() or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return None
    if any(part == ".." for part in p.parts) or "\x00" in name:
        return None
    clean = "/".join(part for part in p.parts if part not in ("", "."))
    return clean or None


def check_depth(depth: int, label: str) -> None:
    """Refuse a zip found ``depth`` levels deep (1 is a zip that is not inside another)."""
    if depth > MAX_DEPTH:
        raise ConnectorError(f"zip nested {depth} levels deep, more than {MAX_DEPTH}; refused (kept, not opened)", label)


def _archive_size(source: Path | BinaryIO) -> int:
    if isinstance(source, (str, os.PathLike)):
        return os.path.getsize(source)
    pos = source.tell()
    size = source.seek(0, os.SEEK_END)
    source.seek(pos)
    return size


def open_zip(source: Path | BinaryIO, label: str, refused: list[Refused] | None = None) -> tuple[zipfile.ZipFile, list[Member]]:
    """Open a zip and check every member before anything is read.

    Raises ConnectorError naming ``label`` when the zip is broken or would expand beyond the limits
    as a whole (a zip bomb). A member with a bad name (path traversal, absolute), a symlink, or one
    too large or expanding too far on its own is appended to ``refused`` and left out; without a
    ``refused`` list it refuses the whole zip (a symlink is then left out without a word).
    """
    try:
        archive_size = _archive_size(source)
        zf = zipfile.ZipFile(source)
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError) as e:
        raise ConnectorError(f"not a readable zip file: {e}", label) from e
    if len(infos) > MAX_MEMBERS:
        raise ConnectorError(f"zip holds {len(infos)} files, more than {MAX_MEMBERS}; refused", label)
    members, total = [], 0
    for info in infos:
        if info.is_dir():
            continue
        problem, name = _member_problem(info)
        if problem:
            if refused is None and name is not None and stat.S_ISLNK(info.external_attr >> 16):
                continue  # the document reader's zips: a link is simply not a part
            if refused is None:
                raise ConnectorError(problem, label)
            refused.append(Refused(info.filename, problem))
            continue
        total += info.file_size
        if total > MAX_TOTAL:
            raise ConnectorError(f"zip expands to more than {MAX_TOTAL} bytes; refused as a zip bomb", label)
        members.append(Member(name, info.file_size, info))
    if total > RATIO_FLOOR and total / max(archive_size, 1) > MAX_RATIO:
        raise ConnectorError(f"zip of {archive_size} bytes expands to {total} bytes; refused as a zip bomb", label)
    _check_overlap(infos, label)
    return zf, members


def _member_problem(info: zipfile.ZipInfo) -> tuple[str, str | None]:
    """(why this member is refused, or "") and its safe name (None when its name is the problem)."""
    name = safe_name(info.filename)
    if name is None:
        return f"zip member {info.filename!r} points outside the folder (path traversal); refused", None
    if info.file_size > MAX_MEMBER:
        return f"zip member {name} expands to {info.file_size} bytes; refused as a zip bomb", name
    if info.file_size > RATIO_FLOOR and info.file_size / max(info.compress_size, 1) > MAX_RATIO:
        return f"zip member {name} expands {info.file_size // max(info.compress_size, 1)}x; refused as a zip bomb", name
    if stat.S_ISLNK(info.external_attr >> 16):
        return f"zip member {name} is a symbolic link; links are not followed, so there is nothing to read", name
    return "", name


def _check_overlap(infos: list[zipfile.ZipInfo], label: str) -> None:
    """Refuse members whose data overlap: many entries sharing one deflate stream is a bomb.

    A local header takes at least 30 bytes, so a member's data end no sooner than
    ``header_offset + 30 + compress_size``; the next member must not start before that.
    """
    spans = sorted((i.header_offset, i.header_offset + 30 + i.compress_size, i.filename) for i in infos if not i.is_dir())
    for (_, end, name), (start, _, other) in itertools.pairwise(spans):
        if start < end:
            raise ConnectorError(f"zip members {name!r} and {other!r} share their data (overlapping entries); refused as a zip bomb", label)


def _open_error(member: Member, e: Exception) -> str:
    if member.info.flag_bits & 0x1:
        return f"zip member {member.name} is protected with a password"
    return f"zip member {member.name} cannot be read: {e}"


def read_member(zf: zipfile.ZipFile, member: Member, label: str) -> bytes:
    """Read one member, stopping if it expands past its declared size (a lying header)."""
    out = io.BytesIO()
    copy_member(zf, member, out, label)
    return out.getvalue()


def copy_member(zf: zipfile.ZipFile, member: Member, dest: BinaryIO, label: str) -> int:
    """Stream one member into ``dest``, stopping if it expands past its declared size (a lying header)."""
    written = 0
    try:
        with zf.open(member.info) as f:
            while chunk := f.read(1024 * 1024):
                written += len(chunk)
                if written > member.size or written > MAX_MEMBER:
                    raise ConnectorError(f"zip member {member.name} expands beyond its declared size; refused", label)
                dest.write(chunk)
    except ConnectorError:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as e:
        raise ConnectorError(_open_error(member, e), label) from e
    except Exception as e:  # zlib.error and friends from a corrupt deflate stream
        if e.__class__.__module__ in ("zlib", "bz2", "lzma", "_lzma", "_bz2"):
            raise ConnectorError(_open_error(member, e), label) from e
        raise
    return written


def open_member(zf: zipfile.ZipFile, member: Member, label: str, limit: int) -> BinaryIO:
    """A stream of one member for a streaming parser; ConnectorError if it declares more than ``limit``."""
    if member.size > limit:
        raise ConnectorError(f"zip member {member.name} expands to {member.size} bytes, more than {limit}; refused as a zip bomb", label)
    try:
        return zf.open(member.info)
    except (zipfile.BadZipFile, OSError, EOFError, RuntimeError, NotImplementedError, ValueError) as e:
        raise ConnectorError(_open_error(member, e), label) from e


def iter_members(zf: zipfile.ZipFile, members: list[Member], label: str) -> Iterator[tuple[Member, bytes]]:
    for m in members:
        yield m, read_member(zf, m, label)


__all__ = [
    "MAX_DEPTH", "MAX_MEMBER", "MAX_MEMBERS", "MAX_RATIO", "MAX_TOTAL", "Member", "Refused", "check_depth",
    "copy_member", "is_zip", "iter_members", "open_member", "open_zip", "read_member", "safe_name",
]

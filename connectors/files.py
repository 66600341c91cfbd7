"""``files``: a folder, or a zip, of shared documents (Dropbox, OneDrive, SharePoint, WeTransfer).

What it looks like: whatever a department keeps in a project folder, or what "Download all"
gives on WeTransfer, OneDrive or Dropbox (a zip, sometimes with zips inside):

    Windturbines Kraaiennest/
        2025-03 Raadsvoorstel.docx
        Begroting.xlsx
        Presentatie bewoners.pptx
        Brief provincie.pdf
        Mail van Sanne.eml
        foto's/IMG_0412.jpg

How a Woo handler gets one: ask the civil servant for the folder (or the share link's download),
and import it with ``woo import PATH --type files --custodian NAME``.

What comes out: one ``file`` item per document, its text extracted (docx, xlsx, pptx, pdf,
odt/ods/odp, rtf, txt, csv, html; see ``connectors.support.documents``), ``sent`` the document's own
modified time (from its metadata, else the file's), author and dates in ``meta``, ``locator`` the
path relative to the folder (``<zip>!/<path in the zip>`` inside a zip). Mail found inside goes to
the mail parser (.eml, .emlx) or to the msg/mbox/pst connectors where those are installed.
Images and unknown binaries are kept and listed without text. Every original is kept bit for bit.

Safety: zips are opened with ``woo_collector.safezip`` (no path traversal, zip bombs refused,
zips inside zips to ``MAX_DEPTH`` levels); files larger than ``MAX_DOCUMENT`` are kept by
streaming and listed, never read into memory. A zip that is refused stops a one-off import of
that zip (ConnectorError); inside a folder it is reported and the run goes on. A document that
cannot be read is listed with its problem and reported as a failure (exit code 3), and tried again
by the next run. PDFs without a text layer are flagged ``no_text_layer`` and read with Tesseract
when it is installed (setting ``ocr``: ``auto`` scanned PDFs, ``all`` photos too, ``no`` none).
"""

from __future__ import annotations

import io
import stat
import struct
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path, PurePosixPath
from typing import Iterator

from connectors.base import Checkpoint, FileUnitConnector, SourceSpec, Yield
from connectors.support.documents import MAX_DOCUMENT, extract_text, ocr_available, ocr_text, package_kind
from connectors.support.mime import MailContext, looks_like_mail, parse_mail
from woo_collector import dates
from woo_collector.connector_settings import ConnectorSettings, setting
from woo_collector.errors import ConfigError, ConnectorError
from woo_collector.models import Failure, Item
from woo_collector.safezip import (
    MAX_DEPTH,
    Member,
    Refused,
    check_depth,
    copy_member,
    is_zip,
    open_zip,
    read_member,
)
from woo_collector.text import filetype_of

SPOOL = 64 * 1024**2  # zip members larger than this go to a temporary file, not to memory
DOCUMENT_SUFFIXES = frozenset((
    ".docx", ".docm", ".xlsx", ".xlsm", ".pptx", ".pptm", ".ppsx", ".odt", ".ods", ".odp",
    ".pdf", ".rtf", ".doc", ".xls", ".ppt",
))
MAIL_SUFFIXES = frozenset((".eml", ".emlx"))
DELEGATED = {".msg": "msg", ".mbox": "mbox", ".mbx": "mbox", ".pst": "pst", ".ost": "pst"}
JUNK = frozenset(("__MACOSX", ".DS_Store", "Thumbs.db", "desktop.ini"))


@dataclass
class _Entry:
    """One file to take in: a file on disk, or a member of a zip (in memory or spooled)."""

    name: str  # the file name
    locator: str  # the path relative to the folder, or "<zip>!/<member>"
    origin: str  # the file on disk it comes from (the outermost zip for a member)
    inner: str  # the place inside ``origin`` ("" for a file on disk)
    size: int
    mtime: datetime | None
    path: Path | None = None  # on disk (a loose file, or a spooled member)
    data: bytes | None = None

    def head(self) -> bytes:
        if self.data is not None:
            return self.data[:65536]
        with open(self.path, "rb") as f:
            return f.read(65536)

    def read(self) -> bytes:
        return self.data if self.data is not None else self.path.read_bytes()

    def source(self) -> Path | bytes:
        return self.data if self.data is not None else self.path


@dataclass(frozen=True)
class FilesSettings(ConnectorSettings):
    ocr: str = setting("auto", "auto: read scanned PDFs with Tesseract, all: photos too, no: none",
                       choices=("auto", "all", "yes", "no"))


class FilesConnector(FileUnitConnector):
    name = "files"
    settings_class = FilesSettings
    description = "a folder or zip of documents (docx, xlsx, pptx, pdf, odt, rtf, txt, html) and the mail inside it"
    extensions = (".zip",) + tuple(sorted(DOCUMENT_SUFFIXES)) + (".txt", ".csv", ".html", ".htm")
    suffixes = ()  # every file of a folder: images and unknown binaries are kept and listed too

    @classmethod
    def score(cls, path: Path, head: bytes) -> float:
        if path.is_dir():
            return 0.2
        suffix = path.suffix.lower()
        if head.startswith(b"%PDF-") or head.lstrip()[:5] == b"{\\rtf":
            return 0.7
        if is_zip(head):
            try:
                with zipfile.ZipFile(path) as zf:
                    if package_kind(zf):
                        return 0.7
                    names = zf.namelist()
            except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
                return 0.3 if suffix == ".zip" else 0.0
            if any(_is_chat_export(n) for n in names):
                return 0.1
            return 0.6
        if suffix in DOCUMENT_SUFFIXES:
            return 0.4
        if suffix in (".txt", ".csv", ".html", ".htm"):
            return 0.2
        return 0.1 if filetype_of(path.name) != "other" else 0.0

    def collect(self) -> Iterator[Yield]:
        """Each file of the folder, and each member of a zip (zips in zips too), is a unit of the
        base's rule, checkpointed under its own sha; a zip is done when all its members are."""
        root = Path(self.spec.path)
        single = root.is_file()
        self._seen: set[str] = set()
        for path in self.input_files():
            try:
                entry = _disk_entry(path, path.name if single else path.relative_to(root).as_posix())
            except OSError as e:
                yield self.failed_whole(ConnectorError(f"cannot read the file: {e.strerror or e}", path), str(path), single)
                continue
            yield from self._entry(entry, depth=0, single=single)

    def known(self, key: str) -> bool:
        """Done by an earlier run, or met before in this one (the same document twice)."""
        if key in self._seen:
            return True
        self._seen.add(key)
        return super().known(key)

    # one file, wherever it comes from ---------------------------------------------------------
    def _entry(self, e: _Entry, depth: int, single: bool) -> Iterator[Yield]:
        yield from self.read_unit(e.source(), e.name, lambda sha: self._read(e, sha, depth, single),
                                  where=e.origin, single=single, inner=e.inner)

    def _read(self, e: _Entry, sha: str, depth: int, single: bool) -> Iterator[Yield]:
        suffix = PurePosixPath(e.name).suffix.lower()
        head = e.head()
        if suffix not in DOCUMENT_SUFFIXES and is_zip(head) and not self._is_package(e):
            yield from self._zip(e, sha, depth + 1, single)
        elif suffix in MAIL_SUFFIXES or (not suffix and looks_like_mail(head) and not head.startswith(b"From ")):
            yield from self._mail(e, sha)
        elif suffix in DELEGATED or (not suffix and head.startswith(b"From ") and looks_like_mail(head)):
            yield from self._delegate(e, sha, DELEGATED.get(suffix, "mbox"))
        else:
            yield from self._document(e, sha)

    @staticmethod
    def _is_package(e: _Entry) -> bool:
        try:
            with zipfile.ZipFile(io.BytesIO(e.data) if e.data is not None else e.path) as zf:
                return bool(package_kind(zf))
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError):
            return False

    def _meta(self, e: _Entry) -> dict:
        return {
            "path": e.locator, "filetype": filetype_of(e.name), "size": e.size, "author": "",
            "lastModifiedBy": "", "title": "", "created": None, "modified": None, "pages": None,
            "no_text_layer": False, "mtime": e.mtime.isoformat() if e.mtime else None,
        }

    def _item(self, e: _Entry, sha: str, body: str, meta: dict) -> Item:
        sent = _parse_time(meta.get("modified")) or e.mtime
        return Item(
            id=self.item_id("file", sha), kind="file", source=self.spec.name, custodian=self.spec.custodian,
            sha256=sha, sent=sent, subject=e.name, body=body, locator=e.locator, filetype=meta["filetype"],
            meta={k: v for k, v in meta.items() if k != "filetype"},
        )

    def _unreadable(self, e: _Entry, sha: str, reason: str, filetype: str = "") -> Iterator[Yield]:
        """The file is listed without text, and reported so the run says so (and retries it)."""
        meta = self._meta(e)
        if filetype:
            meta["filetype"] = filetype
        meta["problems"] = [reason]
        yield self._item(e, sha, "", meta)
        yield Failure(e.origin, reason, e.inner, sha)

    # documents --------------------------------------------------------------------------------
    def _document(self, e: _Entry, sha: str) -> Iterator[Yield]:
        meta = self._meta(e)
        if e.size > MAX_DOCUMENT:
            yield from self._unreadable(e, sha, f"file of {e.size} bytes is larger than {MAX_DOCUMENT} bytes; kept, text not extracted")
            return
        try:
            ex = extract_text(e.name, e.read())
        except ConnectorError as err:
            yield from self._unreadable(e, sha, err.reason)
            return
        meta.update(ex.meta)
        meta["filetype"] = ex.filetype
        body = ex.text
        if self._ocr(meta.get("no_text_layer", False), ex.filetype == "image"):
            try:
                body = ocr_text(e.name, e.read())
                meta["ocr"] = True
            except ConnectorError as err:
                meta["ocr_problem"] = err.reason
        yield self._item(e, sha, body, meta)
        if meta.get("truncated"):
            yield Failure(e.origin, f"text longer than {len(body)} characters; only the beginning is indexed", e.inner, sha)
        elif meta.get("problems"):  # parts that could not be read (PDF pages): reported, tried again next run
            yield Failure(e.origin, "; ".join(meta["problems"])[:1000], e.inner, sha)

    def _ocr(self, scan: bool, image: bool) -> bool:
        """Setting ``ocr``: "auto" (default) reads scanned PDFs, "all" photos too, "no" nothing."""
        mode = self.spec.setting("ocr", "auto").lower()
        wanted = scan if mode == "auto" else (scan or image) if mode in ("all", "yes") else False
        return wanted and ocr_available()

    # mail -------------------------------------------------------------------------------------
    def _mail(self, e: _Entry, sha: str) -> Iterator[Yield]:
        from connectors.eml import unwrap_emlx

        if e.size > MAX_DOCUMENT:
            yield from self._unreadable(e, sha, f"message of {e.size} bytes is larger than {MAX_DOCUMENT} bytes; kept, not parsed", "email")
            return
        raw = e.read()
        if e.name.lower().endswith(".emlx"):
            raw = unwrap_emlx(raw)
        folder = str(PurePosixPath(e.locator).parent) if "/" in e.locator else ""
        ctx = MailContext(self.spec.name, self.spec.custodian, self.sink, e.origin, e.locator, folder, {"files_path": e.locator})
        try:
            found = parse_mail(raw, ctx, sha)
        except ConnectorError as err:
            yield from self._unreadable(e, sha, err.reason, "email")
            return
        yield from found

    def _delegate(self, e: _Entry, sha: str, type_: str) -> Iterator[Yield]:
        """An Outlook .msg, an mbox or a PST: read by its own connector where that is installed."""
        try:
            import connectors

            cls = connectors.get(type_)
        except (ConfigError, ImportError):
            yield from self._not_installed(e, sha, type_)
            return
        with tempfile.TemporaryDirectory(prefix="woo-files-") as tmp:
            path = e.path
            if path is None:
                path = Path(tmp) / e.name
                path.write_bytes(e.data)
            temporary = str(path) if e.path is None or e.inner else ""
            spec = SourceSpec(self.spec.name, type_, str(path), self.spec.custodian, self.spec.settings)
            try:
                for y in cls(spec, self.sink).collect():
                    if isinstance(y, Checkpoint):
                        if not temporary:
                            yield y
                        continue
                    if isinstance(y, Failure):
                        if temporary and y.path == temporary:
                            y = Failure(e.origin, y.reason, " ".join(p for p in (e.inner, y.locator) if p), y.sha256)
                    elif isinstance(y, Item):
                        y = _relocate(y, temporary, e)
                    yield y
            except ConnectorError as err:
                yield from self._unreadable(e, sha, err.reason, "email")
                return
            except ImportError:  # the connector is there, a library it needs (pypff for PST) is not
                yield from self._not_installed(e, sha, type_)

    def _not_installed(self, e: _Entry, sha: str, type_: str) -> Iterator[Yield]:
        meta = self._meta(e)
        meta["note"] = f"the {type_} connector (or a library it needs) is not installed; kept, not parsed"
        yield self._item(e, sha, "", meta)

    # zips -------------------------------------------------------------------------------------
    def _zip(self, e: _Entry, sha: str, depth: int, single: bool) -> Iterator[Yield]:
        try:
            check_depth(depth, e.locator)
            refused: list[Refused] = []  # bad members are listed one by one; the good ones are read
            zf, members = open_zip(e.path if e.data is None else io.BytesIO(e.data), e.locator, refused)
            if refused and not members:  # nothing in it can be read: the archive is refused as a whole
                zf.close()
                raise ConnectorError("; ".join(bad.reason for bad in refused), e.locator)
        except ConnectorError as err:
            if single and depth == 1:
                raise ConnectorError(err.reason, e.origin) from err
            yield from self._unreadable(e, sha, err.reason, "archive")
            return
        for bad in refused:
            yield Failure(e.origin, bad.reason, f"{e.inner}!/{bad.name}" if e.inner else bad.name, sha)
        with zf, tempfile.TemporaryDirectory(prefix="woo-files-") as tmp:
            for n, m in enumerate(members):
                if any(part in JUNK or part.startswith("._") for part in m.name.split("/")):
                    continue
                locator = f"{e.locator}!/{m.name}"
                inner = f"{e.inner}!/{m.name}" if e.inner else m.name
                try:
                    child = self._member(zf, m, locator, e.origin, inner, Path(tmp) / str(n))
                except ConnectorError as err:
                    yield Failure(e.origin, err.reason, inner, sha)
                    continue
                yield from self._entry(child, depth, single=False)
                if child.path is not None:
                    child.path.unlink(missing_ok=True)

    def _member(self, zf: zipfile.ZipFile, m: Member, locator: str, origin: str, inner: str, spool: Path) -> _Entry:
        name = PurePosixPath(m.name).name
        mtime = _zip_time(m.info)
        if m.size <= SPOOL:
            return _Entry(name, locator, origin, inner, m.size, mtime, data=read_member(zf, m, locator))
        spool.mkdir()
        path = spool / name
        with open(path, "wb") as f:
            copy_member(zf, m, f, locator)
        return _Entry(name, locator, origin, inner, m.size, mtime, path=path)


def _disk_entry(path: Path, rel: str) -> _Entry:
    st = path.stat()
    if not stat.S_ISREG(st.st_mode):  # a pipe or a device would block or never end
        raise OSError(0, "not a regular file (a pipe, socket or device); skipped")
    return _Entry(path.name, rel, str(path), "", st.st_size, datetime.fromtimestamp(st.st_mtime, timezone.utc), path=path)


def _is_chat_export(name: str) -> bool:
    base = PurePosixPath(name).name.lower()
    return base == "_chat.txt" or (base.endswith(".txt") and base.startswith(("whatsapp chat", "whatsapp-chat")))


def _parse_time(value: object) -> datetime | None:
    if not value:
        return None
    try:
        dt = datetime.fromisoformat(str(value))
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=dates.zone())


def _zip_time(info: zipfile.ZipInfo) -> datetime | None:
    """A member's modified time: the UTC "extended timestamp" where the zip has one, else its
    DOS time (the zipping machine's clock, taken as local time: the workspace's time zone)."""
    extra = info.extra
    i = 0
    while i + 4 <= len(extra):
        tag, size = struct.unpack("<HH", extra[i:i + 4])
        body = extra[i + 4:i + 4 + size]
        if tag == 0x5455 and len(body) >= 5 and body[0] & 1:
            try:
                return datetime.fromtimestamp(struct.unpack("<i", body[1:5])[0], timezone.utc)
            except (OverflowError, OSError, ValueError):
                break
        i += 4 + size
    try:
        return datetime(*info.date_time, tzinfo=dates.zone()).astimezone(timezone.utc)  # the zipping machine's clock
    except ValueError:
        return None


def _relocate(item: Item, temporary: str, e: _Entry) -> Item:
    """An item a delegated connector read: its locator starts with the file's place in the folder
    (or zip), and a temporary copy's path is replaced by that place."""
    meta = dict(item.meta)
    for key, value in item.meta.items():
        if temporary and value == temporary:
            meta[key] = e.locator
    meta["files_path"] = e.locator
    locator = e.locator + (f"#{item.locator}" if item.locator else "")
    return item.with_(locator=locator, meta=meta)


__all__ = ["MAX_DEPTH", "FilesConnector"]

"""``imap``: a mailbox on any IMAP server (Dovecot, Cyrus, Exchange's IMAP, Gmail, Zimbra).

Protocol: IMAP4rev1 (RFC 3501) over TLS. Every selectable folder (LIST, skipping ``\\Noselect``)
or the ones named is opened read-only (EXAMINE) and the new messages are fetched with
``UID FETCH <uids> (UID BODY.PEEK[])`` in batches, so the server never sets ``\\Seen``. The
original RFC 822 bytes of each message are kept bit for bit and parsed like any mail file.

Incremental: per folder the checkpoint ``imap:<folder>`` holds ``<UIDVALIDITY>:<last UID>``,
saved after every batch. The next run asks only for UIDs above it. When the server gives the
folder a new UIDVALIDITY (a rebuilt mailbox), the folder is read again from the start; item ids
depend on the message content, not on its UID, so that adds no duplicates.

Settings (declared by ``ImapSettings``, checked by ``woo source add NAME --type imap --custodian "..."
--set KEY=VALUE`` and at the start of every run):

    host          the server, e.g. imap.gemeente.example (required)
    port          993 for tls=ssl, 143 otherwise
    tls           ssl (IMAPS, default), starttls, or none (only allowed for 127.0.0.1/localhost)
    user          the login name (required)
    password_env  name of the environment variable that holds the password (required)
    folders       comma-separated folder names (default: every selectable folder)
    ca_file       a PEM file with the CA that signed the server's certificate (own PKI)
    verify        no: do not check the server certificate at all (test servers only)
    batch         messages per FETCH and per checkpoint (default 100)
    timeout       seconds to wait for the server (default 60)

For the administrator: give the Woo account read access to the mailbox (a Dovecot master user
or ACL, an Exchange FullAccess permission with IMAP enabled, a Gmail app password), and set the
password in the environment of the nightly job, e.g. ``WOO_IMAP_PW=... woo ingest``.
Sample: ``woo source add raadsgriffie --type imap --custodian "Griffie" --set host=imap.gemeente.example
--set user=griffie --set password_env=WOO_IMAP_PW``.
"""

from __future__ import annotations

import base64
import imaplib
import re
import ssl
from dataclasses import dataclass
from typing import Iterator

from connectors.base import Checkpoint, Connector, Yield
from woo_collector.connector_settings import ConnectorSettings, setting
from woo_collector.errors import ConfigError, ConnectorError, SourceUnavailable
from connectors.support.mime import MailContext, parse_mail
from woo_collector.models import Failure

LOOPBACK = ("127.0.0.1", "::1", "localhost")
MAX_BATCH_BYTES = 64 * 1024 * 1024  # a batch never asks for more than this (unless one message is bigger)
_LIST_LINE = re.compile(rb'^\((?P<flags>[^)]*)\) (?P<delim>"(?:[^"\\]|\\.)*"|NIL) (?P<name>.*)$', re.I)
_UID = re.compile(rb"\bUID (\d+)", re.I)
_SIZE = re.compile(rb"\bRFC822\.SIZE (\d+)", re.I)
_DROPPED = (imaplib.IMAP4.abort, OSError, EOFError)  # socket.timeout and ssl.SSLError are OSErrors


@dataclass(frozen=True)
class ImapSettings(ConnectorSettings):
    host: str = setting("", "the server, e.g. imap.gemeente.example", required=True)
    port: int = setting(0, "993 for tls=ssl, 143 otherwise")
    tls: str = setting("ssl", "ssl (IMAPS), starttls, or none (only for 127.0.0.1/localhost)", choices=("ssl", "starttls", "none"))
    user: str = setting("", "the login name", required=True)
    password_env: str = setting("", "name of the environment variable that holds the password", required=True)
    folders: tuple[str, ...] = setting((), "comma-separated folder names (default: every selectable folder)")
    ca_file: str = setting("", "a PEM file with the CA that signed the server's certificate (own PKI)")
    verify: bool = setting(True, "no: do not check the server certificate at all (test servers only)")
    batch: int = setting(100, "messages per FETCH and per checkpoint")
    timeout: float = setting(60.0, "seconds to wait for the server")

    def problems(self) -> list[str]:
        if self.tls == "none" and self.host not in LOOPBACK:
            return ["tls=none sends the password in clear text and is only allowed for 127.0.0.1; use tls=ssl or tls=starttls"]
        return []


class ImapConnector(Connector):
    name = "imap"
    description = "a mailbox on an IMAP server (UIDVALIDITY + UID incremental sync)"
    network = True
    settings_class = ImapSettings
    settings: ImapSettings

    def __init__(self, spec, sink):
        super().__init__(spec, sink)
        self.conn: imaplib.IMAP4 | None = None
        # what this run asked the server for: body FETCH commands and the UIDs per folder
        self.fetch_commands = 0
        self.fetched: dict[str, list[int]] = {}

    # settings ---------------------------------------------------------------------------------
    def _settings(self) -> dict:
        s = self.settings
        password = s.secret("password")
        if not password:
            raise ConfigError(f"source {self.spec.name}: no IMAP password; the environment variable {s.password_env} is empty or not set")
        return {"host": s.host, "port": s.port or (993 if s.tls == "ssl" else 143), "tls": s.tls, "user": s.user,
                "password": password, "folders": list(s.folders), "batch": max(1, s.batch), "timeout": s.timeout}

    def _ssl_context(self) -> ssl.SSLContext:
        ca_file = self.settings.ca_file
        try:
            ctx = ssl.create_default_context(cafile=ca_file or None)
        except (OSError, ssl.SSLError) as e:
            raise ConfigError(f"source {self.spec.name}: cannot read ca_file {ca_file}: {e}") from None
        if not self.settings.verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
        return ctx

    # connection -------------------------------------------------------------------------------
    def _connect(self, cfg: dict) -> imaplib.IMAP4:
        where = f"{cfg['host']}:{cfg['port']}"
        context = self._ssl_context() if cfg["tls"] != "none" else None
        conn = None
        try:
            if cfg["tls"] == "ssl":
                conn = imaplib.IMAP4_SSL(cfg["host"], cfg["port"], ssl_context=context, timeout=cfg["timeout"])
            else:
                conn = imaplib.IMAP4(cfg["host"], cfg["port"], timeout=cfg["timeout"])
                if cfg["tls"] == "starttls":
                    conn.starttls(ssl_context=context)
        except (OSError, imaplib.IMAP4.error) as e:
            if conn is not None:
                _close(conn)
            raise self._unreachable(where, e) from None
        try:
            if (cfg["user"] + cfg["password"]).isascii():
                conn.login(cfg["user"], cfg["password"])
            else:  # LOGIN cannot carry 8-bit text; SASL PLAIN takes UTF-8 (RFC 4616)
                conn.authenticate("PLAIN", lambda _: f"\0{cfg['user']}\0{cfg['password']}".encode())
        except imaplib.IMAP4.error as e:
            _close(conn)
            raise SourceUnavailable(
                f"IMAP server {where} refused the login of {cfg['user']} ({_text(e)}); "
                f"check the user and the password in ${self.settings.password_env}"
                + (", and whether the server only accepts logins over TLS" if cfg["tls"] == "none" else "")
            ) from None
        except _DROPPED as e:
            _close(conn)
            raise SourceUnavailable(f"IMAP server {where} closed the connection at login ({e})") from None
        return conn

    @staticmethod
    def _unreachable(where: str, e: Exception) -> SourceUnavailable:
        if isinstance(e, ssl.SSLCertVerificationError):
            return SourceUnavailable(
                f"IMAP server {where}: its certificate is not trusted ({e.verify_message}); "
                "give the CA with --set ca_file=PEM, or check the host name"
            )
        return SourceUnavailable(
            f"cannot reach IMAP server {where} ({e}); check host, port and tls "
            "(ssl on 993, starttls on 143) and that the firewall lets this machine through"
        )

    # the sync ---------------------------------------------------------------------------------
    def collect(self) -> Iterator[Yield]:
        cfg = self._settings()
        self.conn = conn = self._connect(cfg)
        try:
            try:
                folders = self._folders(conn, cfg["folders"])
            except _DROPPED as e:
                raise ConnectorError(f"connection lost while listing folders ({e}); the next run continues", self._url(cfg, "")) from None
            for raw_name, name in folders:
                yield from self._folder(conn, cfg, raw_name, name)
        finally:
            _close(conn)
            self.conn = None

    def _folders(self, conn: imaplib.IMAP4, wanted: list[str]) -> list[tuple[bytes, str]]:
        typ, data = conn.list()
        if typ != "OK":
            raise SourceUnavailable(f"the IMAP server would not list the folders: {_text(data)}")
        found: list[tuple[bytes, str]] = []
        for flags, raw_name in _parse_list(data):
            if "\\noselect" in flags or "\\nonexistent" in flags:
                continue
            found.append((raw_name, decode_mutf7(raw_name)))
        if not wanted:
            return found
        by_name = {name: raw for raw, name in found}
        by_name.update({name.upper(): raw for raw, name in found if name.upper() == "INBOX"})
        missing = [w for w in wanted if w not in by_name and w.upper() != "INBOX"]
        if missing:
            raise ConfigError(
                f"source {self.spec.name}: no such IMAP folder(s): {', '.join(missing)}; "
                f"the server has: {', '.join(n for _, n in found)}"
            )
        return [(by_name.get(w) or by_name["INBOX"], w) for w in wanted]

    def _folder(self, conn: imaplib.IMAP4, cfg: dict, raw_name: bytes, name: str) -> Iterator[Yield]:
        url = self._url(cfg, name)
        key = f"imap:{name}"
        if not raw_name.isascii():
            yield Failure(url, "the server lists this folder with a raw 8-bit name (not modified UTF-7, RFC 3501); it cannot be opened")
            return
        try:
            typ, data = conn.select(_quote(raw_name), readonly=True)
            if typ != "OK":
                yield Failure(url, f"the server would not open the folder: {_text(data)}")
                return
            exists = _number(data)
            validity = _number(conn.response("UIDVALIDITY")[1])
            uidnext = _number(conn.response("UIDNEXT")[1])
            done_validity, last = _parse_state(self.sink.state(key))
            if validity != done_validity:
                last = 0  # new or rebuilt folder: read it all again
            sizes: dict[int, int] = {}
            if exists and not (uidnext and last + 1 >= uidnext):  # else nothing new: no FETCH at all
                typ, data = conn.uid("FETCH", f"{last + 1}:*", "(UID RFC822.SIZE)")
                if typ != "OK":
                    yield Failure(url, f"the server would not list the messages: {_text(data)}")
                    return
                sizes = {uid: size for uid, size in _parse_sizes(data) if uid > last}
        except _DROPPED as e:
            raise ConnectorError(f"connection lost while opening folder {name} ({e}); the next run continues", url) from None
        if not sizes:
            if self.sink.state(key) != f"{validity}:{last}":
                yield Checkpoint(key, f"{validity}:{last}")
            return
        for batch in _batches(sorted(sizes), sizes, cfg["batch"]):
            try:
                messages = self._fetch(conn, name, batch)
            except _DROPPED as e:
                raise ConnectorError(
                    f"connection lost after UID {last} in folder {name} ({e}); the next run continues", url
                ) from None
            for uid in batch:
                raw = messages.get(uid)
                if raw is None:  # expunged between listing and fetching
                    continue
                yield from self._message(cfg, name, validity, uid, raw)
            last = batch[-1]
            yield Checkpoint(key, f"{validity}:{last}")

    def _fetch(self, conn: imaplib.IMAP4, folder: str, uids: list[int]) -> dict[int, bytes]:
        self.fetch_commands += 1
        self.fetched.setdefault(folder, []).extend(uids)
        typ, data = conn.uid("FETCH", _uid_set(uids), "(UID BODY.PEEK[])")
        if typ != "OK":
            raise ConnectorError(f"the server refused to send UIDs {_uid_set(uids)} of folder {folder}: {_text(data)}", folder)
        return _parse_bodies(data)

    def _message(self, cfg: dict, folder: str, validity: int, uid: int, raw: bytes) -> Iterator[Yield]:
        path = self._url(cfg, folder)
        sha = self.sink.keep(raw, f"{folder}-{uid}.eml")
        ctx = MailContext(
            self.spec.name, self.spec.custodian, self.sink, path=path, locator="", folder=folder,
            extra_meta={"uid": uid, "uidvalidity": validity, "imap_user": cfg["user"]},
        )
        try:
            yield from parse_mail(raw, ctx, sha)
        except ConnectorError as e:
            yield Failure(path, e.reason, f"UID {uid}", sha)

    @staticmethod
    def _url(cfg: dict, folder: str) -> str:
        return f"imap://{cfg['host']}/{folder}"


# IMAP response parsing ------------------------------------------------------------------------
def _parse_list(data: list) -> Iterator[tuple[str, bytes]]:
    """(lower-cased flags, raw folder name) from a LIST answer; literal names come as tuples."""
    for entry in data:
        if entry is None:
            continue
        literal = None
        if isinstance(entry, tuple):
            entry, literal = entry[0], entry[1]
        m = _LIST_LINE.match(entry.strip())
        if not m:
            continue
        name = literal if literal is not None else m.group("name").strip()
        if literal is None and name.startswith(b'"') and name.endswith(b'"'):
            name = re.sub(rb"\\(.)", rb"\1", name[1:-1])
        yield m.group("flags").decode("ascii", "replace").lower(), name


def _parse_sizes(data: list) -> Iterator[tuple[int, int]]:
    for entry in data:
        line = entry[0] if isinstance(entry, tuple) else entry
        if not line:
            continue
        uid, size = _UID.search(line), _SIZE.search(line)
        if uid:
            yield int(uid.group(1)), int(size.group(1)) if size else 0


def _parse_bodies(data: list) -> dict[int, bytes]:
    """UID -> message bytes from a UID FETCH answer (the UID may come before or after the literal)."""
    out: dict[int, bytes] = {}
    pending: bytes | None = None
    for entry in data:
        if isinstance(entry, tuple):
            head, body = entry[0], entry[1]
            m = _UID.search(head)
            if m:
                out[int(m.group(1))] = body
                pending = None
            else:
                pending = body
        elif entry and pending is not None:
            m = _UID.search(entry)
            if m:
                out[int(m.group(1))] = pending
            pending = None
    return out


def _batches(uids: list[int], sizes: dict[int, int], count: int) -> Iterator[list[int]]:
    batch: list[int] = []
    total = 0
    for uid in uids:
        if batch and (len(batch) >= count or total + sizes[uid] > MAX_BATCH_BYTES):
            yield batch
            batch, total = [], 0
        batch.append(uid)
        total += sizes[uid]
    if batch:
        yield batch


def _uid_set(uids: list[int]) -> str:
    """A compact UID set: 1:5,8,10:12."""
    ranges: list[str] = []
    start = prev = uids[0]
    for uid in uids[1:] + [None]:
        if uid is not None and uid == prev + 1:
            prev = uid
            continue
        ranges.append(str(start) if start == prev else f"{start}:{prev}")
        if uid is not None:
            start = prev = uid
    return ",".join(ranges)


def _parse_state(value: str | None) -> tuple[int, int]:
    try:
        v, last = (value or "").split(":")
        return int(v), int(last)
    except ValueError:
        return -1, 0


def _number(data: list) -> int:
    try:
        return int(data[0])
    except (TypeError, ValueError, IndexError):
        return 0


def _quote(raw_name: bytes) -> str:
    name = raw_name.decode("ascii")
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _text(data) -> str:
    if isinstance(data, Exception):
        data = data.args[0] if data.args else str(data)
    if isinstance(data, list):
        data = b" ".join(d if isinstance(d, bytes) else str(d).encode() for d in data if d)
    if isinstance(data, bytes):
        return data.decode("utf-8", "replace")
    return str(data)


def _close(conn: imaplib.IMAP4) -> None:
    try:
        conn.logout()
    except (*_DROPPED, imaplib.IMAP4.error):
        try:
            conn.shutdown()
        except (OSError, AttributeError):
            pass


def decode_mutf7(raw: bytes) -> str:
    """A folder name in IMAP's modified UTF-7 (RFC 3501 5.1.3): 'Verzonden &AOk-' -> 'Verzonden é'."""
    out: list[str] = []
    for m in re.finditer(rb"&([^-]*)-|[^&]+|&", raw):
        if m.group(1) is None:
            out.append(m.group(0).decode("ascii", "replace"))
        elif m.group(1) == b"":
            out.append("&")
        else:
            b64 = m.group(1).replace(b",", b"/")
            try:
                out.append(base64.b64decode(b64 + b"=" * (-len(b64) % 4)).decode("utf-16-be"))
            except (ValueError, UnicodeDecodeError):
                out.append(m.group(0).decode("ascii", "replace"))
    return "".join(out)


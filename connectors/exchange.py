"""``exchange``: mailboxes on Exchange Server (on premises) or Exchange Online, over EWS (exchangelib).

Exchange Web Services is SOAP over HTTPS at ``https://<server>/EWS/Exchange.asmx``. Exchange Online
blocks EWS by default since 1 October 2026 and switches it off on 1 April 2027: use the ``graph``
connector there. This connector stays for Exchange Server 2016/2019/SE on premises and for tenants
that still allow EWS.

An administrator registers a source once; cron runs ``woo ingest`` every night::

    export WOO_EWS_PASSWORD=...        # in the cron job's environment, never in woo.toml
    woo source add mail-griffie --type exchange --custodian Griffie \\
        --set server=mail.gemeente.nl --set mailboxes=griffie@gemeente.nl,raad@gemeente.nl \\
        --set auth=ntlm --set 'username=GEMEENTE\\svc-woo' --set password_env=WOO_EWS_PASSWORD

Settings (declared by ``ExchangeSettings``, checked by ``woo source add NAME --type exchange --set
KEY=VALUE ...`` and at the start of every run; a wrong one is a ``ConfigError``):

- ``server`` (host name; ``outlook.office365.com`` by default with ``auth=oauth``), or
  ``service_endpoint`` (the full EWS URL), or ``autodiscover=true`` (the endpoint is looked up
  from each mailbox address);
- ``mailboxes``: SMTP addresses, comma-separated, one or many. ``--custodian`` names the owner
  when the source is one person's mailbox; leave it empty to use each mailbox's address;
- ``folders``: folder paths to include, comma-separated, each with its subfolders (``Inbox``,
  ``Sent Items``, ``Projecten/Windturbines``; as the mailbox names them, so ``Postvak IN`` on a
  Dutch mailbox). Default: every mail folder under the message folder root (Inbox and its
  subfolders, Sent Items, Drafts, every folder the user made) and the online archive where the
  mailbox has one (its folders appear under ``Archive/``). Deleted Items only with
  ``include_deleted=true`` or when ``folders`` names it;
- ``auth``: ``oauth`` | ``ntlm`` | ``basic`` (default ``ntlm``);
- ``access``: ``impersonation`` (default) or ``delegate``;
- ``page_size`` (changes per SyncFolderItems call, default 100, at most 512), ``max_wait`` (seconds of
  throttling back-off to sit out in a row before a mailbox is given up, default 600),
  ``retries`` and ``retry_wait`` (attempts and first pause after a dropped connection, default
  4 and 10 s).

TLS is always verified. An on-premises server with a certificate of the municipality's own CA:
put that CA in the system trust store or point ``REQUESTS_CA_BUNDLE`` at it. Plain ``http://`` is
accepted only for a loopback ``service_endpoint`` (the tests' server).

Credentials come from the environment only, never from ``woo.toml``:

- On premises, NTLM or basic: ``username`` (``DOMAIN\\svc-woo`` or a UPN) and ``password_env``
  naming the variable that holds the password. The service account needs the
  ApplicationImpersonation RBAC role, scoped to the mailboxes of the source
  (``New-ManagementRoleAssignment -Role ApplicationImpersonation -User svc-woo
  -CustomRecipientWriteScope WooMailboxes``), or FullAccess delegate rights per mailbox
  (``Add-MailboxPermission``) with ``access=delegate``.
- Exchange Online, app-only OAuth: ``tenant_id``, ``client_id`` and ``client_secret_env``. The app
  registration needs the ``full_access_as_app`` application permission of "Office 365 Exchange
  Online", admin-consented; the connector then sends the impersonation header for each mailbox.
  The RBAC ApplicationImpersonation role no longer exists in Exchange Online (retired February
  2025): scope the app with an Application Access Policy or RBAC for Applications instead.

How it syncs. Per mailbox: GetFolder for the message folder root and Deleted Items, and one for
the archive root (absent on many mailboxes); SyncFolderHierarchy (its state checkpointed as
``ews:<mailbox>:hierarchy`` together with the folder tree, so new and renamed folders are picked
up); then per folder
SyncFolderItems one page at a time (``MaxChangesReturned``; the server says
``IncludesLastItemInRange`` on the last page). The page's new and changed messages are fetched
with GetItem ``item:MimeContent``: the MIME is the original, kept bit for bit, and parsed like any
.eml (attachments included). Only after a page's items have been yielded comes its
``Checkpoint("ews:<mailbox>:<folder id>", sync_state)``, so an interrupted first sync of a large
mailbox resumes at the page where it stopped. exchangelib's ``Folder.sync_items`` hides the
per-page states (it loops to the end internally), which is why the connector drives its
SyncFolderItems service page by page. Deletes are yielded as ``Deletion(key=<EWS item id>)``; the
evidence stays. A message that GetItem could not return is reported as a Failure and retried the
next night (its id is kept under ``ews:<mailbox>:<folder id>:retry``).

Throttling and faults. exchangelib's fault-tolerant policy is used, not FailFast: a nightly batch
should sit out EWS throttling rather than fail. ``ErrorServerBusy`` is waited out for the
``BackOffMilliseconds`` the server asks, HTTP 503 and transient 5xx with ``Retry-After`` or a
doubling pause, until ``max_wait`` seconds of back-off in a row; then that mailbox fails.
Two changes to exchangelib's policy: a 401 is a refused login, not throttling, and fails at once
(retrying it for an hour locks out the service account); and dropped connections are retried a
few times here, because exchangelib gives up on them at once with a single connection. A mailbox
that fails yields a Failure naming it and why, and the others go on; when no mailbox could be
reached at all the run stops with SourceUnavailable.
"""

from __future__ import annotations

import ipaddress
import json
import logging
import re
from dataclasses import dataclass
from typing import Callable, Iterator, TypeVar
from urllib.parse import urlparse

import requests
from exchangelib import (
    BASIC, DELEGATE, IMPERSONATION, NTLM, OAUTH2, UTC, Account, Configuration, Credentials, FaultTolerance,
    OAuth2Credentials,
)
from exchangelib import errors as ews_errors
from exchangelib.fields import FieldPath
from exchangelib.folders import ArchiveMsgFolderRoot, ArchiveRoot, DeletedItems, Folder, MsgFolderRoot, Root
from exchangelib.items import ID_ONLY, Message
from exchangelib.properties import DistinguishedFolderId, ItemId, Mailbox
from exchangelib.services import GetFolder, GetItem, SyncFolderHierarchy, SyncFolderItems
from exchangelib.services.sync_folder_hierarchy import SyncFolder

from connectors.base import Checkpoint, Connector, SourceSpec, Yield
from connectors.retry import retry
from woo_collector.connector_settings import ConnectorSettings, parse_settings, setting
from woo_collector.errors import ConfigError, ConnectorError, SourceUnavailable
from connectors.support.mime import MailContext, parse_mail
from woo_collector.models import Deletion, Failure

log = logging.getLogger(__name__)
# exchangelib logs every request's headers (a basic-auth password, an OAuth token) and the XML
# (mail content) at DEBUG; keep that out of woo's logs whatever level they run at.
logging.getLogger("exchangelib.util").setLevel(logging.INFO)

T = TypeVar("T")

DEFAULT_PAGE = 100
FETCH_BATCH = 10  # messages per GetItem: MIME of large mails adds up
MAIL_CLASSES = ("IPF.Note", "IPF.Imap")


@dataclass(frozen=True)
class Settings:
    """What a run uses: the declared settings (``ExchangeSettings``) resolved, with the secrets read."""

    mailboxes: tuple[str, ...]
    endpoint: str
    server: str
    autodiscover: bool
    auth: str
    access: str
    username: str
    password: str
    tenant_id: str
    client_id: str
    client_secret: str
    folders: tuple[str, ...]
    include_deleted: bool
    page_size: int
    max_wait: float
    retries: int
    retry_wait: float

    @classmethod
    def from_spec(cls, spec: SourceSpec) -> "Settings":
        """The settings of a source, checked (ConfigError) and with its secrets read from the environment."""
        d = parse_settings(ExchangeSettings, spec.settings, spec.name, "exchange")
        server = d.server
        if d.auth == "oauth" and not (d.service_endpoint or server or d.autodiscover):
            server = "outlook.office365.com"
        s = cls(
            mailboxes=d.mailboxes, endpoint=d.service_endpoint, server=server, autodiscover=d.autodiscover, auth=d.auth,
            access=d.access, username=d.username, password=d.secret("password"),
            tenant_id=d.tenant_id, client_id=d.client_id, client_secret=d.secret("client_secret"),
            folders=tuple(f.strip("/") for f in d.folders if f.strip("/")), include_deleted=d.include_deleted,
            page_size=min(512, max(1, d.page_size)), max_wait=d.max_wait, retries=max(1, d.retries), retry_wait=d.retry_wait,
        )
        if d.auth == "oauth" and not s.client_secret:
            raise ConfigError(f"source {spec.name}: OAuth needs the client secret in the environment variable "
                              f"{d.client_secret_env}, which is empty or not set")
        if d.auth != "oauth" and not s.password:
            raise ConfigError(f"source {spec.name}: {d.auth} login needs the password in the environment variable "
                              f"{d.password_env} (password_env), which is empty or not set")
        return s


@dataclass(frozen=True)
class ExchangeSettings(ConnectorSettings):
    """What ``woo source add NAME --type exchange --set KEY=VALUE`` takes (see the module docstring)."""

    mailboxes: tuple[str, ...] = setting((), "SMTP addresses, comma-separated: a@gemeente.nl,b@gemeente.nl", required=True, split=",;")
    server: str = setting("", "host name of the Exchange server, e.g. mail.gemeente.nl (outlook.office365.com with auth=oauth)")
    service_endpoint: str = setting("", "the full EWS URL, https://.../EWS/Exchange.asmx (instead of server)")
    autodiscover: bool = setting(False, "yes: look the endpoint up from each mailbox address (instead of server)")
    auth: str = setting("ntlm", "oauth, ntlm or basic", choices=("oauth", "ntlm", "basic"))
    access: str = setting("impersonation", "impersonation or delegate", choices=("impersonation", "delegate"))
    username: str = setting("", "the service account (DOMAIN\\svc-woo or a UPN) for ntlm and basic")
    password_env: str = setting("", "name of the environment variable that holds the service account's password")
    tenant_id: str = setting("", "the Entra ID tenant (auth=oauth)")
    client_id: str = setting("", "the app registration's client id (auth=oauth)")
    client_secret_env: str = setting("", "name of the environment variable that holds the client secret (auth=oauth)")
    folders: tuple[str, ...] = setting((), "folder paths to include, comma-separated, each with its subfolders (default: all)")
    include_deleted: bool = setting(False, "yes: read Deleted Items too")
    page_size: int = setting(DEFAULT_PAGE, "changes per SyncFolderItems call, at most 512")
    max_wait: float = setting(600.0, "seconds of throttling back-off in a row before a mailbox is given up")
    retries: int = setting(4, "attempts after a dropped connection")
    retry_wait: float = setting(10.0, "first pause in seconds after a dropped connection")

    def problems(self) -> list[str]:
        out = []
        bad = [m for m in self.mailboxes if "@" not in m]
        if bad:
            out.append(f"{', '.join(bad)} is not an SMTP address (mailboxes=...)")
        if self.auth != "oauth" and not (self.service_endpoint or self.server or self.autodiscover):
            out.append("set server=mail.gemeente.nl, service_endpoint=https://.../EWS/Exchange.asmx or autodiscover=true")
        if self.auth == "oauth":
            missing = [k for k in ("tenant_id", "client_id") if not getattr(self, k)]
            if not self.client_secret_env:
                missing.append("client_secret_env (an environment variable holding the client secret)")
            if missing:
                out.append(f"OAuth needs {', '.join(missing)}")
        elif not self.username or not self.password_env:
            out.append(f"{self.auth} login needs username=... and password_env=VAR with the password in environment variable VAR")
        if self.service_endpoint and urlparse(self.service_endpoint).scheme != "https" and not _is_loopback(self.service_endpoint):
            out.append("service_endpoint must be https:// (plain http only on loopback)")
        return out


def _is_loopback(url: str) -> bool:
    host = urlparse(url).hostname or ""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _describe(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    name = type(e).__name__
    return text if text.startswith(name) else f"{name}: {text}"


class ExchangeConnector(Connector):
    name = "exchange"
    description = "Exchange mailboxes over EWS (Exchange Server on premises; Exchange Online where EWS is allowed)"
    network = True
    settings_class = ExchangeSettings

    def collect(self) -> Iterator[Yield]:
        settings = Settings.from_spec(self.spec)
        session = Session(settings)
        failed: list[str] = []
        reached = False
        try:
            for mailbox in settings.mailboxes:
                run = _MailboxSync(self, session, mailbox)
                try:
                    yield from run.collect()
                except FAILURES as e:
                    reason = explain(e)
                    log.warning("mailbox %s failed: %s", mailbox, reason)
                    failed.append(f"{mailbox}: {reason}")
                    yield Failure(f"ews://{mailbox}", f"mailbox could not be read: {reason}")
                reached = reached or run.reached
        finally:
            session.close()
        if failed and not reached:
            raise SourceUnavailable(
                f"source {self.spec.name}: no mailbox could be reached ({'; '.join(failed)}). Check the EWS "
                f"endpoint ({session.where}), the service account and its password variable, and its "
                "impersonation or delegate rights on these mailboxes."
            )


class _MailboxSync:
    """One mailbox: its folder tree, then each folder's changes, page by page."""

    def __init__(self, connector: ExchangeConnector, session, mailbox: str) -> None:
        self.c = connector
        self.session = session
        self.mailbox = mailbox
        self.reached = False
        self.custodian = connector.spec.custodian or mailbox

    def collect(self) -> Iterator[Yield]:
        s = self.session
        ews = s.open(self.mailbox)
        roots = ews.roots()
        self.reached = True
        trees = [("", roots.msg_root, "hierarchy")]
        if roots.archive_root is not None:
            trees.append(("Archive", roots.archive_root, "archive-hierarchy"))
        for prefix, root, tag in trees:
            key = f"ews:{self.mailbox}:{tag}"
            tree = FolderTree.load(self.c.sink.state(key), root.id)
            try:
                changes, state = ews.sync_hierarchy(root, tree.state)
            except ews_errors.ErrorInvalidSyncStateData:
                log.warning("ews://%s: the server no longer knows our folder sync state; listing the folders again", self.mailbox)
                tree = FolderTree(root.id, None, {})
                changes, state = ews.sync_hierarchy(root, None)
            removed = tree.apply(changes, state)
            for fid in removed:
                yield Deletion(key=fid, locator=f"ews://{self.mailbox} (folder)")
            yield Checkpoint(key, tree.dump())
            skip = None if s.settings.include_deleted or s.settings.folders else roots.deleted_id
            for fid, path in tree.mail_folders(prefix, skip):
                if s.settings.folders and not _selected(path, s.settings.folders):
                    continue
                yield from self._folder(ews, fid, path)

    def _folder(self, ews, fid: str, path: str) -> Iterator[Yield]:
        """Sync one folder page by page; each page's checkpoint follows its items."""
        key = f"ews:{self.mailbox}:{fid}"
        retry_key = key + ":retry"
        where = f"ews://{self.mailbox}/{path}"
        state = self.c.sink.state(key) or None
        saved_retry = sorted(json.loads(self.c.sink.state(retry_key) or "[]"))
        retry: list[str] = []
        if saved_retry:  # messages GetItem could not return last time
            yield from self._fetch(ews, [(i, None) for i in saved_retry], path, retry)
        while True:
            try:
                page = ews.sync_items(fid, state)
            except ews_errors.ErrorInvalidSyncStateData:
                if state is None:
                    raise
                log.warning("%s: the server no longer knows our sync state; syncing the folder again from the start", where)
                state = None
                continue
            except (ews_errors.ErrorFolderNotFound, ews_errors.ErrorItemNotFound):
                log.info("%s: the folder is gone", where)
                return
            yield from self._fetch(ews, page.changed, path, retry)
            for item_id in page.deleted:
                yield Deletion(key=item_id, locator=where)
            if sorted(set(retry)) != saved_retry:
                saved_retry = sorted(set(retry))
                yield Checkpoint(retry_key, json.dumps(saved_retry))
            if page.state and page.state != state:
                yield Checkpoint(key, page.state)
            if page.last or not page.state or page.state == state:
                return
            state = page.state

    def _fetch(self, ews, ids: list[tuple[str, str | None]], path: str, retry: list[str]) -> Iterator[Yield]:
        where = f"ews://{self.mailbox}/{path}"
        for start in range(0, len(ids), FETCH_BATCH):
            for (item_id, _ck), got in zip(ids[start:start + FETCH_BATCH], ews.fetch_mime(ids[start:start + FETCH_BATCH])):
                if isinstance(got, ews_errors.ErrorItemNotFound):
                    continue  # deleted since the sync: the next sync reports the delete
                if isinstance(got, Exception):
                    retry.append(item_id)
                    yield Failure(where, f"GetItem could not return the message: {_describe(got)}", item_id)
                    continue
                if not got:
                    retry.append(item_id)
                    yield Failure(where, "the server returned no MIME content for this item", item_id)
                    continue
                yield from self._message(got, item_id, path)

    def _message(self, mime: bytes, item_id: str, path: str) -> Iterator[Yield]:
        sha = self.c.sink.keep(mime, re.sub(r"[^A-Za-z0-9_-]", "_", item_id[-24:]) + ".eml")
        ctx = MailContext(
            self.c.spec.name, self.custodian, self.c.sink, path=f"ews://{self.mailbox}/{path}", locator="",
            folder=path, extra_meta={"ews_id": item_id, "mailbox": self.mailbox},
        )
        try:
            yield from parse_mail(mime, ctx, sha)
        except ConnectorError as e:
            yield Failure(ctx.path, e.reason, item_id, sha)


def _selected(path: str, wanted: tuple[str, ...]) -> bool:
    """``path`` is one of the wanted folders or below one (case-insensitive)."""
    p = path.lower()
    for w in wanted:
        w = w.lower()
        if p == w or p.startswith(w + "/"):
            return True
    return False


class FolderTree:
    """The folders below one root, as the hierarchy sync reported them; saved in the checkpoint."""

    def __init__(self, root_id: str, state: str | None, folders: dict[str, list]) -> None:
        self.root_id = root_id
        self.state = state
        self.folders = folders  # id -> [name, parent id, folder class]

    @classmethod
    def load(cls, saved: str | None, root_id: str) -> "FolderTree":
        if saved:
            try:
                d = json.loads(saved)
                if d.get("root") == root_id:
                    return cls(root_id, d.get("state") or None, dict(d.get("folders") or {}))
            except (ValueError, AttributeError):
                log.warning("unreadable folder checkpoint; listing the folders again")
        return cls(root_id, None, {})

    def dump(self) -> str:
        return json.dumps({"root": self.root_id, "state": self.state, "folders": self.folders}, sort_keys=True)

    def apply(self, changes: list[tuple[str, str, str, str, str]], state: str | None) -> list[str]:
        """Apply (change, id, name, parent id, class) rows; return the ids of folders that went away."""
        removed = []
        for change, fid, name, parent, klass in changes:
            if change == "delete":
                if self.folders.pop(fid, None) is not None:
                    removed.append(fid)
            else:
                old = self.folders.get(fid, ["", "", ""])
                self.folders[fid] = [name or old[0], parent or old[1], klass or old[2]]
        self.state = state
        return removed

    def path(self, fid: str) -> str:
        parts, seen = [], set()
        while fid and fid != self.root_id and fid not in seen:
            seen.add(fid)
            entry = self.folders.get(fid)
            if entry is None:
                return ""
            parts.append(entry[0])
            fid = entry[1]
        return "/".join(reversed(parts)) if fid == self.root_id else ""

    def under(self, fid: str, ancestor: str) -> bool:
        seen = set()
        while fid and fid not in seen:
            if fid == ancestor:
                return True
            seen.add(fid)
            fid = self.folders.get(fid, ["", ""])[1]
        return False

    def mail_folders(self, prefix: str, skip: str | None) -> list[tuple[str, str]]:
        out = []
        for fid, (_name, _parent, klass) in self.folders.items():
            if not (klass or "").startswith(MAIL_CLASSES):
                continue
            if skip and self.under(fid, skip):
                continue
            path = self.path(fid)
            if path:
                out.append((fid, f"{prefix}/{path}" if prefix else path))
        return sorted(out, key=lambda x: (x[1].lower(), x[0]))


# -- the EWS side: exchangelib configuration, retry policy and the four operations we use -----------

FAILURES = (ews_errors.EWSError, requests.exceptions.RequestException, OSError)


class PatientPolicy(FaultTolerance):
    """exchangelib's FaultTolerance, bounded by back-off in a row, and failing at once on a refused login.

    FaultTolerance compares ``max_wait`` with each single pause, so a server that keeps answering
    ErrorServerBusy with a short BackOffMilliseconds would be retried for ever; here the pauses
    since the last good answer (HTTP 200) are added up. And FaultTolerance takes HTTP 401 for
    throttling: retried for an hour, a wrong password locks the service account out.
    """

    def __init__(self, max_wait: float) -> None:
        super().__init__(max_wait=max_wait)
        self.waited = 0.0

    def back_off(self, seconds):
        seconds = self.DEFAULT_BACKOFF if seconds is None else seconds
        self.waited += seconds
        if self.waited > self.max_wait:
            waited, self.waited = self.waited, 0.0
            raise ews_errors.RateLimitError(f"the server kept asking to back off ({waited:.0f} s in a row)", wait=seconds)
        super().back_off(seconds)

    def raise_response_errors(self, response):
        if response.status_code == 200:
            self.waited = 0.0
        elif response.status_code == 401:
            raise ews_errors.UnauthorizedError(f"the server refused the login (HTTP 401) at {response.url}")
        return super().raise_response_errors(response)


def _dropped(e: BaseException) -> BaseException | None:
    """The dropped connection or timeout behind ``e`` (exchangelib wraps one met while probing the version)."""
    seen = 0
    while e is not None and seen < 8:
        if isinstance(e, (ews_errors.ErrorTimeoutExpired, requests.exceptions.ConnectionError, requests.exceptions.Timeout)):
            return e
        e = e.__cause__ or e.__context__
        seen += 1
    return None


def explain(e: BaseException) -> str:
    """What went wrong, in words an administrator can act on."""
    if _dropped(e) is not None:
        return f"cannot connect ({_describe(_dropped(e))})"
    if isinstance(e, ews_errors.UnauthorizedError):
        return f"{e}; check username and the password variable (password_env), or the OAuth app (client_id, client_secret_env)"
    if isinstance(e, ews_errors.ErrorNonExistentMailbox):
        return f"no such mailbox on this server ({e})"
    if isinstance(e, (ews_errors.ErrorImpersonateUserDenied, ews_errors.ErrorAccessDenied)):
        return f"access denied ({e}); give the service account impersonation or FullAccess rights on this mailbox"
    if isinstance(e, ews_errors.RateLimitError):
        return f"throttled: {e}; raise max_wait or run outside office hours"
    if isinstance(e, OSError):
        return f"cannot connect ({_describe(e)})"
    return _describe(e)


@dataclass
class Roots:
    msg_root: object  # exchangelib MsgFolderRoot with its id
    archive_root: object | None
    deleted_id: str | None


@dataclass
class Page:
    changed: list[tuple[str, str | None]]  # (item id, change key) created or updated
    deleted: list[str]
    state: str | None
    last: bool


class _ErrorsFirst:
    """Read an error answer's ResponseCode before its SyncState.

    exchangelib 5.6 reads ``SyncState`` first, and an error answer (ErrorInvalidSyncStateData,
    ErrorFolderNotFound) has none, so the error surfaced as an AttributeError.
    """

    def _get_element_container(self, message, name=None):
        if message.get("ResponseClass") == "Error":
            return super(SyncFolder, self)._get_element_container(message=message, name=name)
        return super()._get_element_container(message=message, name=name)


class ItemSync(_ErrorsFirst, SyncFolderItems):
    pass


class HierarchySync(_ErrorsFirst, SyncFolderHierarchy):
    pass


def _raise_errors(results: list) -> list:
    for r in results:
        if isinstance(r, Exception):
            raise r
    return results


def _parsed(fn: Callable[[], T]) -> T:
    """Run an exchangelib call; an answer it cannot make sense of (ValueError) is a bad server answer."""
    try:
        return fn()
    except ValueError as e:
        raise ews_errors.MalformedResponseError(f"unexpected answer from the server: {e}") from e


class Session:
    """The exchangelib configuration shared by the mailboxes of one source."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.where = settings.endpoint or settings.server or "autodiscover"
        if settings.auth == "oauth":
            self.credentials = OAuth2Credentials(
                client_id=settings.client_id, client_secret=settings.client_secret, tenant_id=settings.tenant_id,
            )
            auth_type = OAUTH2
        else:
            self.credentials = Credentials(username=settings.username, password=settings.password)
            auth_type = NTLM if settings.auth == "ntlm" else BASIC
        kwargs = dict(credentials=self.credentials, auth_type=auth_type, retry_policy=PatientPolicy(settings.max_wait))
        if not settings.autodiscover:
            if settings.endpoint:
                kwargs["service_endpoint"] = settings.endpoint
            else:
                kwargs["server"] = settings.server
        self.config = Configuration(**kwargs)
        self.protocols: list = []

    def call(self, fn: Callable[[], T]) -> T:
        """Run one request; a dropped connection is tried again (exchangelib does not with one connection)."""
        return retry(
            fn, attempts=self.settings.retries, base_delay=self.settings.retry_wait,
            retry_on=lambda e: _dropped(e) is not None, max_delay=max(self.settings.retry_wait * 8, 1.0),
        )

    def open(self, mailbox: str) -> "MailboxClient":
        access = IMPERSONATION if self.settings.access == "impersonation" else DELEGATE
        account = self.call(lambda: Account(
            primary_smtp_address=mailbox, config=self.config, autodiscover=self.settings.autodiscover,
            access_type=access, locale="en_US", default_timezone=UTC,
        ))
        if account.protocol not in self.protocols:
            self.protocols.append(account.protocol)
        return MailboxClient(self, account)

    def close(self) -> None:
        for p in self.protocols:
            p.close()
        self.protocols.clear()


class MailboxClient:
    """The EWS operations on one mailbox: GetFolder, SyncFolderHierarchy, SyncFolderItems, GetItem."""

    errors = ews_errors
    FOLDER_FIELDS = ("name", "parent_folder_id", "folder_class")

    def __init__(self, session: Session, account: Account) -> None:
        self.session = session
        self.account = account
        box = Mailbox(email_address=account.primary_smtp_address)
        self.root = Root(account=account, _distinguished_id=DistinguishedFolderId(id="root", mailbox=box))
        self.archive = ArchiveRoot(account=account, _distinguished_id=DistinguishedFolderId(id="archiveroot", mailbox=box))
        self.box = box

    def roots(self) -> Roots:
        """The message folder root and Deleted Items (one GetFolder), then the archive root if any."""
        wanted = [
            MsgFolderRoot(root=self.root, _distinguished_id=DistinguishedFolderId(id="msgfolderroot", mailbox=self.box)),
            DeletedItems(root=self.root, _distinguished_id=DistinguishedFolderId(id="deleteditems", mailbox=self.box)),
        ]
        msg_root, deleted = (self._get_folders(wanted) + [None, None])[:2]
        if isinstance(msg_root, Exception) or msg_root is None:
            raise msg_root or ews_errors.MalformedResponseError("the server returned no message folder root")
        archive = ArchiveMsgFolderRoot(
            root=self.archive, _distinguished_id=DistinguishedFolderId(id="archivemsgfolderroot", mailbox=self.box),
        )
        try:
            found = self._get_folders([archive])
        except ews_errors.ResponseMessageError as e:  # servers differ in how they say "no archive"
            log.info("ews://%s: no online archive (%s)", self.account.primary_smtp_address, _describe(e))
            found = []
        return Roots(
            msg_root=msg_root,
            archive_root=found[0] if found and not isinstance(found[0], Exception) else None,
            deleted_id=None if isinstance(deleted, Exception) or deleted is None else deleted.id,
        )

    def _get_folders(self, folders: list) -> list:
        return self.session.call(lambda: _parsed(lambda: list(
            GetFolder(account=self.account).call(folders=folders, additional_fields=set(), shape=ID_ONLY)
        )))

    def sync_hierarchy(self, root, state: str | None) -> tuple[list[tuple[str, str, str, str, str]], str | None]:
        fields = {FieldPath(field=Folder.get_field_by_fieldname(f)) for f in self.FOLDER_FIELDS}
        svc = HierarchySync(account=self.account)
        out = []
        while True:
            page = self.session.call(lambda: _parsed(lambda: _raise_errors(list(
                svc.call(folder=root, shape=ID_ONLY, additional_fields=fields, sync_state=state)
            ))))
            for change, f in page:
                if change == svc.DELETE:
                    out.append(("delete", f.id, "", "", ""))
                else:
                    parent = f.parent_folder_id.id if f.parent_folder_id else ""
                    out.append((change, f.id, f.name or "", parent, f.folder_class or ""))
            new = svc.sync_state
            if new == state or svc.includes_last_item_in_range:
                return out, new
            state = new

    def sync_items(self, folder_id: str, state: str | None) -> Page:
        """One SyncFolderItems call: at most page_size changes after ``state``."""
        folder = Folder(root=self.root, id=folder_id)
        svc = ItemSync(account=self.account)
        changes = self.session.call(lambda: _parsed(lambda: _raise_errors(list(svc.call(
            folder=folder, shape=ID_ONLY, additional_fields=set(), sync_state=state, ignore=None,
            max_changes_returned=self.session.settings.page_size, sync_scope=None,
        )))))
        changed, deleted = [], []
        for change, item in changes:
            if change == svc.DELETE:
                deleted.append(item.id)
            elif change in (svc.CREATE, svc.UPDATE):
                changed.append((item.id, item.changekey))
        return Page(changed, deleted, svc.sync_state, bool(svc.includes_last_item_in_range))

    def fetch_mime(self, ids: list[tuple[str, str | None]]) -> list[bytes | Exception | None]:
        """The MIME content of each item (GetItem item:MimeContent), or the error for that item."""
        try:
            return self._get(ids)
        except self._PER_ITEM as e:
            if len(ids) == 1:
                return [e]
        out: list[bytes | Exception | None] = []
        for one in ids:
            try:
                out += self._get([one])
            except self._PER_ITEM as e:
                out.append(e)
        return out

    # errors of one item, not of the mailbox or the server
    _PER_ITEM = (
        ews_errors.ErrorMimeContentConversionFailed, ews_errors.ErrorCorruptData, ews_errors.ErrorItemCorrupt,
        ews_errors.ErrorInvalidIdMalformed, ews_errors.ErrorMessageSizeExceeded, ews_errors.ErrorItemNotFound,
        ews_errors.ErrorInternalServerError,
    )

    def _get(self, ids: list[tuple[str, str | None]]) -> list[bytes | Exception | None]:
        fields = {FieldPath(field=Message.get_field_by_fieldname("mime_content"))}
        refs = [ItemId(id=i) for i, _ck in ids]  # no change key: the latest version, never ErrorStaleObject
        got = self.session.call(lambda: _parsed(lambda: list(
            GetItem(account=self.account).call(items=refs, additional_fields=fields, shape=ID_ONLY)
        )))
        return [g if isinstance(g, Exception) else getattr(g, "mime_content", None) for g in got]

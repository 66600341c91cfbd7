"""``graph``: Exchange Online mailboxes through Microsoft Graph, with delta queries.

Exchange Online blocks EWS by default since 1 October 2026 and switches it off on 1 April 2027;
Graph is the way in from then on. Per mailbox the connector lists every mail folder
(``/users/{upn}/mailFolders`` and their ``childFolders``, paged), then runs a delta round per
folder (``/users/{upn}/mailFolders/{id}/messages/delta``), following ``@odata.nextLink`` to the
``@odata.deltaLink``. For each new or changed message the original MIME is fetched from
``/users/{upn}/messages/{id}/$value``, kept bit for bit and parsed like any mail file; a
``@removed`` entry is recorded as a deletion (the evidence stays).

Incremental: after each page the next link is saved as checkpoint ``graph:<mailbox>:<folder id>``
(the ``nextLink`` inside a round, so an interrupted first sync resumes on the page it stopped;
the ``deltaLink`` at its end). The next run starts from that link and sees only the changes. A
message that changed only its flags comes back in a delta round; its MIME is fetched again but
gives the same content and so the same item id, never a duplicate. An expired delta token (410)
starts that folder over.

Throttling: 429 and 503 are retried after the ``Retry-After`` the service sends; other 5xx and
network faults are retried with exponential back-off; other 4xx answers fail at once with
Graph's error code. A mailbox that fails is reported and the others go on: a folder or message
Graph refuses (4xx) is reported and skipped; when Graph stays unreachable or throttling after
every retry, the rest of that mailbox is left for the next run (its checkpoints keep what was
done). Only when not one mailbox could even list its folders does the run fail as a whole.

Settings (declared by ``GraphSettings``, checked by ``woo source add NAME --type graph --set KEY=VALUE``
and at the start of every run; ``mailboxes`` and either ``token_env`` or the app registration's
``tenant_id``, ``client_id`` and ``client_secret_env`` are required):

    tenant_id          the Entra ID (Azure AD) tenant, a GUID or contoso.onmicrosoft.com
    client_id          the application (client) id of the app registration
    client_secret_env  name of the environment variable that holds the client secret
    mailboxes          comma-separated user principal names: a.jansen@gemeente.nl,griffie@gemeente.nl
    folders            comma-separated folder paths to read (default: all), e.g. Inbox,Inbox/Projecten
    authority          token authority (default https://login.microsoftonline.com/<tenant_id>)
    graph_url          Graph base URL (default https://graph.microsoft.com/v1.0)
    token_env          name of an environment variable with a ready bearer token (instead of msal)
    ca_file            a PEM CA bundle for TLS to Graph and the authority (proxies with own PKI)
    attempts           tries per request before giving up (default 6)
    retry_base_delay   first back-off pause in seconds for 5xx and network faults (default 2)
    page_size          messages per delta page asked for (Prefer: odata.maxpagesize, default 50)
    timeout            seconds per request (default 120)

For the administrator: register an app in Entra ID, add the *application* permission
``Mail.Read`` (Microsoft Graph) and grant admin consent; create a client secret and put it in
the environment of the nightly job (``WOO_GRAPH_SECRET=... woo ingest``). Restrict the app to the
mailboxes of the Woo scope with an Exchange application access policy
(``New-ApplicationAccessPolicy -AccessRight RestrictAccess -PolicyScopeGroupId woo-scope@...``);
mailboxes outside it answer 403 and are reported. The source's custodian applies to all its
mailboxes; without one, each mailbox's address is its custodian.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Iterator
from urllib.parse import quote, urlsplit

import requests

from connectors.base import Checkpoint, Connector, Yield
from connectors.retry import retry, retry_after_seconds
from woo_collector.connector_settings import ConnectorSettings, setting
from woo_collector.errors import ConfigError, ConnectorError, SourceUnavailable
from connectors.support.mime import MailContext, parse_mail
from woo_collector.models import Deletion, Failure

GRAPH_URL = "https://graph.microsoft.com/v1.0"
LOGIN_URL = "https://login.microsoftonline.com"
DELTA_SELECT = "id,internetMessageId,receivedDateTime,parentFolderId"
IMMUTABLE_IDS = 'IdType="ImmutableId"'  # ids that survive a move to another folder


class GraphError(Exception):
    """A Graph request that failed for good: HTTP status, Graph's error code and message."""

    def __init__(self, status: int, code: str, message: str, url: str):
        super().__init__(f"{status} {code}: {message}" if status else message)
        self.status, self.code, self.message, self.url = status, code, message, url


class _Transient(Exception):
    """A fault worth another try (429, 5xx, network); ``wait`` is the server's Retry-After."""

    def __init__(self, error: GraphError, wait: float | None):
        super().__init__(str(error))
        self.error, self.wait = error, wait


class TlsSession(requests.Session):
    """A requests session whose own ``verify`` (a ca_file) wins over REQUESTS_CA_BUNDLE in the environment.

    requests lets that variable override ``Session.verify``; a CA given in the settings must not be
    ignored that way, so it is passed with every request.
    """

    def __init__(self, verify, timeout: float):
        super().__init__()
        self.tls_verify, self.default_timeout = verify, timeout

    def request(self, method, url, **kwargs):
        if kwargs.get("verify") is None:
            kwargs["verify"] = self.tls_verify
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, **kwargs)


class GraphClient:
    """GET requests to Graph with a bearer token, retries and Graph's error format."""

    def __init__(self, base: str, token_source, *, attempts: int, base_delay: float, timeout: float, verify):
        self.base = base.rstrip("/")
        self.origin = "{0.scheme}://{0.netloc}".format(urlsplit(self.base))
        self.token_source = token_source
        self.attempts, self.base_delay, self.timeout = attempts, base_delay, timeout
        self.session = TlsSession(verify, timeout)
        self.requests = 0

    def close(self) -> None:
        self.session.close()

    def url(self, path: str) -> str:
        return path if path.startswith(("http://", "https://")) else self.base + path

    def json(self, path: str, headers: dict | None = None) -> dict:
        resp = self._get(path, headers)
        try:
            doc = resp.json()
        except ValueError:
            raise GraphError(resp.status_code, "InvalidJson", "the answer is not JSON", resp.url) from None
        if not isinstance(doc, dict):
            raise GraphError(resp.status_code, "InvalidJson", "the answer is not a JSON object", resp.url)
        return doc

    def content(self, path: str) -> bytes:
        return self._get(path).content

    def _get(self, path: str, headers: dict | None = None) -> requests.Response:
        url = self.url(path)
        if not url.startswith(self.origin + "/"):
            # never send the bearer token elsewhere, whatever a link in an answer says
            raise GraphError(0, "ForeignLink", f"Graph answered with a link outside {self.origin}: {url}", url)
        refreshed = [False]

        def once() -> requests.Response:
            self.requests += 1
            try:
                resp = self.session.get(url, headers={"Authorization": f"Bearer {self.token_source()}", "Prefer": IMMUTABLE_IDS, **(headers or {})},
                                        timeout=self.timeout)
            except requests.RequestException as e:
                raise _Transient(GraphError(0, "NetworkError", f"no answer from Graph ({e.__class__.__name__}: {e})", url), None) from None
            if resp.status_code < 400:
                return resp
            err = _graph_error(resp)
            if resp.status_code in (429, 503):
                raise _Transient(err, retry_after_seconds(resp.headers.get("Retry-After")))
            if resp.status_code >= 500:
                raise _Transient(err, None)
            if resp.status_code == 401 and not refreshed[0] and hasattr(self.token_source, "refresh"):
                refreshed[0] = True
                self.token_source.refresh()
                raise _Transient(err, 0.0)
            raise err

        try:
            return retry(once, attempts=self.attempts, base_delay=self.base_delay,
                         retry_on=(_Transient,), delay_hint=lambda e: e.wait)
        except _Transient as e:
            err = e.error
            raise GraphError(err.status, err.code, f"{err.message} (still failing after {self.attempts} tries)", url) from None


def _graph_error(resp: requests.Response) -> GraphError:
    code, message = "", resp.reason or ""
    try:
        err = resp.json().get("error", {})
        if isinstance(err, dict):
            code, message = str(err.get("code", "")), str(err.get("message", message))
        elif isinstance(err, str):  # token endpoints answer {"error": "...", "error_description": "..."}
            code, message = err, str(resp.json().get("error_description", message))
    except (ValueError, AttributeError):
        pass
    return GraphError(resp.status_code, code or "HttpError", message, resp.url)


class MsalToken:
    """App-only token from Entra ID (client credentials), cached and renewed by msal."""

    def __init__(self, client_id: str, secret: str, authority: str, scope: str, verify, timeout: float, discovery: bool):
        import msal

        try:
            # instance discovery asks login.microsoftonline.com about the authority: only for the default one
            self.app = msal.ConfidentialClientApplication(
                client_id, client_credential=secret, authority=authority, http_client=TlsSession(verify, timeout),
                instance_discovery=None if discovery else False,
            )
        except (ValueError, requests.RequestException) as e:
            raise SourceUnavailable(f"cannot reach the token authority {authority} ({e}); check tenant_id/authority and the network") from None
        self.scopes = [scope]
        self.authority = authority
        self._token = ""

    def refresh(self) -> None:
        self._token = ""

    def __call__(self) -> str:
        if self._token:
            return self._token
        try:
            result = self.app.acquire_token_for_client(scopes=self.scopes)
        except (ValueError, requests.RequestException) as e:
            raise SourceUnavailable(f"cannot get a token from {self.authority} ({e})") from None
        if "access_token" not in result:
            raise SourceUnavailable(
                f"Entra ID refused a token: {result.get('error')}: {result.get('error_description', '')}; "
                "check client_id, the client secret and that the app has the Mail.Read application permission with admin consent"
            )
        self._token = result["access_token"]
        return self._token


@dataclass(frozen=True)
class GraphSettings(ConnectorSettings):
    mailboxes: tuple[str, ...] = setting((), "comma-separated user principal names: a.jansen@gemeente.nl,griffie@gemeente.nl", required=True)
    tenant_id: str = setting("", "the Entra ID (Azure AD) tenant, a GUID or contoso.onmicrosoft.com")
    client_id: str = setting("", "the application (client) id of the app registration")
    client_secret_env: str = setting("", "name of the environment variable that holds the client secret")
    folders: tuple[str, ...] = setting((), "comma-separated folder paths to read (default: all), e.g. Inbox,Inbox/Projecten")
    authority: str = setting("", "token authority (default https://login.microsoftonline.com/<tenant_id>)")
    graph_url: str = setting("", f"Graph base URL (default {GRAPH_URL})")
    token_env: str = setting("", "name of an environment variable with a ready bearer token (instead of msal)")
    ca_file: str = setting("", "a PEM CA bundle for TLS to Graph and the authority (proxies with own PKI)")
    attempts: int = setting(6, "tries per request before giving up")
    retry_base_delay: float = setting(2.0, "first back-off pause in seconds for 5xx and network faults")
    page_size: int = setting(50, "messages per delta page asked for (Prefer: odata.maxpagesize)")
    timeout: float = setting(120.0, "seconds per request")

    def problems(self) -> list[str]:
        if self.token_env:
            return []
        out = []
        if not self.client_id or not (self.tenant_id or self.authority):
            out.append("set --set tenant_id=... and --set client_id=... (the app registration in Entra ID), or --set token_env=VAR")
        if not self.client_secret_env:
            out.append("no client secret; name its environment variable with --set client_secret_env=VAR")
        return out


class GraphConnector(Connector):
    name = "graph"
    description = "Exchange Online mailboxes through Microsoft Graph (delta queries)"
    network = True
    settings_class = GraphSettings
    settings: GraphSettings

    def __init__(self, spec, sink):
        super().__init__(spec, sink)
        self.client: GraphClient | None = None

    # authentication ---------------------------------------------------------------------------
    def _client(self) -> GraphClient:
        s = self.settings
        base = (s.graph_url or GRAPH_URL).rstrip("/")
        verify = s.ca_file or True
        if s.token_env:
            token = os.environ.get(s.token_env, "")
            if not token:
                raise ConfigError(f"source {self.spec.name}: the environment variable {s.token_env} (token_env) is empty or not set")
            source = lambda: token  # noqa: E731
        else:
            secret = s.secret("client_secret")
            if not secret:
                raise ConfigError(f"source {self.spec.name}: no client secret; the environment variable {s.client_secret_env} is empty or not set")
            authority = s.authority or f"{LOGIN_URL}/{s.tenant_id}"
            root = "{0.scheme}://{0.netloc}".format(urlsplit(base))
            scope = "https://graph.microsoft.com/.default" if root == "https://graph.microsoft.com" else f"{root}/.default"
            source = MsalToken(s.client_id, secret, authority, scope, verify, s.timeout, discovery=not s.authority)
            source()  # fail early, before any mailbox
        return GraphClient(base, source, attempts=s.attempts, base_delay=s.retry_base_delay, timeout=s.timeout, verify=verify)

    # the sync ---------------------------------------------------------------------------------
    def collect(self) -> Iterator[Yield]:
        mailboxes = self.settings.mailboxes
        self.client = client = self._client()
        unread: list[str] = []  # mailboxes of which not even the folder list could be read
        try:
            for mailbox in mailboxes:
                try:
                    folders = self._folders(client, mailbox)
                except GraphError as e:
                    unread.append(f"{mailbox}: {e}")
                    yield Failure(f"graph://{mailbox}", f"mailbox could not be read: {e}{_hint(e)}")
                    continue
                try:
                    for fid, path in folders:
                        yield from self._folder(client, mailbox, fid, path)
                except GraphError as e:  # Graph stays unreachable or throttling: leave this mailbox for the next run
                    yield Failure(f"graph://{mailbox}", f"mailbox read in part, the rest is left for the next run: {e}")
        finally:
            client.close()
        if len(unread) == len(mailboxes):
            raise SourceUnavailable("no mailbox could be read: " + "; ".join(unread))

    def _folders(self, client: GraphClient, mailbox: str) -> list[tuple[str, str]]:
        """(folder id, folder path) of every mail folder, parents before children."""
        user = f"/users/{quote(mailbox, safe='@')}"
        wanted = [f.strip("/") for f in self.settings.folders]
        out: list[tuple[str, str]] = []
        stack = [(f"{user}/mailFolders?$top=100", "")]
        while stack:
            link, parent_path = stack.pop(0)
            children = []
            for folder in self._pages(client, link):
                path = f"{parent_path}/{folder.get('displayName', '')}".lstrip("/")
                fid = str(folder["id"])
                out.append((fid, path))
                if folder.get("childFolderCount", 1):
                    children.append((f"{user}/mailFolders/{quote(fid, safe='')}/childFolders?$top=100", path))
            stack[0:0] = children
        if not wanted:
            return out
        known = {path.lower(): (fid, path) for fid, path in out}
        missing = [w for w in wanted if w.lower() not in known]
        if missing:
            raise GraphError(0, "FolderNotFound", f"no such folder(s): {', '.join(missing)}; the mailbox has: {', '.join(p for _, p in out)}", mailbox)
        return [known[w.lower()] for w in wanted]

    def _pages(self, client: GraphClient, link: str) -> Iterator[dict]:
        while link:
            doc = client.json(link)
            yield from (v for v in doc.get("value", []) if isinstance(v, dict) and "id" in v)
            link = doc.get("@odata.nextLink", "")

    def _folder(self, client: GraphClient, mailbox: str, fid: str, path: str) -> Iterator[Yield]:
        key = f"graph:{mailbox}:{fid}"
        start = f"/users/{quote(mailbox, safe='@')}/mailFolders/{quote(fid, safe='')}/messages/delta?$select={DELTA_SELECT}"
        link = self.sink.state(key) or start
        prefer = {"Prefer": f"odata.maxpagesize={self.settings.page_size}, {IMMUTABLE_IDS}"}
        where = f"graph://{mailbox}/{path}"
        restarted = False
        while True:
            try:
                doc = client.json(link, prefer)
            except GraphError as e:
                if e.status == 410 and not restarted:  # sync state expired: read the folder again
                    link, restarted = start, True
                    continue
                if _unreachable(e):
                    raise
                yield Failure(where, f"folder could not be read: {e}{_hint(e)}")
                return
            for entry in doc.get("value", []):
                if not isinstance(entry, dict) or "id" not in entry:
                    continue
                if "@removed" in entry:
                    yield Deletion(key=str(entry["id"]), locator=f"{mailbox}/{path}")
                    continue
                try:
                    yield from self._message(client, mailbox, fid, path, entry)
                except GraphError as e:
                    if _unreachable(e):
                        raise
                    yield Failure(where, f"message could not be fetched: {e}", str(entry["id"]))
            next_link, delta_link = doc.get("@odata.nextLink"), doc.get("@odata.deltaLink")
            if next_link:
                yield Checkpoint(key, next_link)
                link = next_link
            elif delta_link:
                yield Checkpoint(key, delta_link)
                return
            else:
                yield Failure(where, "Graph's delta answer has neither @odata.nextLink nor @odata.deltaLink; the folder is read again next run")
                return

    def _message(self, client: GraphClient, mailbox: str, fid: str, path: str, entry: dict) -> Iterator[Yield]:
        mid = str(entry["id"])
        try:
            raw = client.content(f"/users/{quote(mailbox, safe='@')}/messages/{quote(mid, safe='')}/$value")
        except GraphError as e:
            if e.status == 404:  # moved or deleted since the delta page: its new folder lists it
                return
            raise
        sha = self.sink.keep(raw, f"{mid[-16:].strip('=/+')}.eml")
        ctx = MailContext(
            self.spec.name, self.spec.custodian or mailbox, self.sink, path=f"graph://{mailbox}/{path}", locator="", folder=path,
            extra_meta={"graph_id": mid, "mailbox": mailbox, "folder_id": fid,
                        "received": entry.get("receivedDateTime", ""), "internet_message_id": entry.get("internetMessageId", "")},
        )
        try:
            yield from parse_mail(raw, ctx, sha)
        except ConnectorError as e:
            yield Failure(ctx.path, e.reason, mid, sha)


def _unreachable(e: GraphError) -> bool:
    """Still throttled, failing or unreachable after every retry: the rest of the mailbox must wait."""
    return e.status == 0 and e.code == "NetworkError" or e.status == 429 or e.status >= 500


def _hint(e: GraphError) -> str:
    if e.status == 401:
        return " (the token was refused: check tenant_id, client_id and the secret)"
    if e.status == 403:
        return " (the app lacks the Mail.Read application permission, or an application access policy excludes this mailbox)"
    if e.status == 404 and e.code in ("ErrorInvalidUser", "ResourceNotFound", "MailboxNotEnabledForRESTAPI"):
        return " (no such mailbox in this tenant, or it is not in Exchange Online)"
    return ""


"""A loopback Microsoft Graph mail server for tests: the few endpoints the graph connector uses.

It answers with the JSON shapes of Graph v1.0 (``@odata.context``, ``value``,
``@odata.nextLink``, ``@odata.deltaLink``, ``@removed``, ``{"error": {"code", "message"}}``):

    GET /v1.0/users/{upn}/mailFolders?$top=N                     top-level folders, paged
    GET /v1.0/users/{upn}/mailFolders/{fid}/childFolders?$top=N  child folders, paged
    GET /v1.0/users/{upn}/mailFolders/{fid}/messages/delta       a delta round, paged
        (Prefer: odata.maxpagesize=N; state in $skiptoken / $deltatoken)
    GET /v1.0/users/{upn}/messages/{mid}/$value                  the MIME content
    POST /{tenant}/oauth2/v2.0/token                             client credentials (for msal)
    GET /{tenant}/v2.0/.well-known/openid-configuration          (for msal)

Every request is recorded in ``server.requests`` (method, path with decoded query, headers).
``server.fail(path_part, status, headers, times)`` scripts error answers (429 with Retry-After,
503, 500) for the next requests whose path contains ``path_part``. Mailboxes hold folders; each
folder keeps a change log, so a delta token is simply a position in it and a round returns the
messages added and removed since. Pass ``tls=(cert, key)`` to serve HTTPS (msal needs https).
"""

from __future__ import annotations

import json
import ssl
import threading
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, unquote, urlsplit


@dataclass
class Folder:
    id: str
    name: str
    parent: str  # parent folder id ("" for the top-level folders)
    children: list[str] = field(default_factory=list)
    log: list[tuple[str, str]] = field(default_factory=list)  # (added|removed, message id); seq = index + 1


@dataclass
class Mailbox:
    upn: str
    folders: dict[str, Folder] = field(default_factory=dict)
    messages: dict[str, bytes] = field(default_factory=dict)
    denied: bool = False  # answer 403 ErrorAccessDenied, as for a mailbox outside the access policy

    def folder(self, name: str, parent: str = "") -> str:
        """Create a folder (a child of ``parent`` id when given); return its id."""
        fid = "AAMkAD" + uuid.uuid4().hex + "AAA="
        self.folders[fid] = Folder(fid, name, parent)
        if parent:
            self.folders[parent].children.append(fid)
        return fid

    def deliver(self, fid: str, raw: bytes) -> str:
        mid = "AAMkAGI2" + uuid.uuid4().hex + "/Rg+BwA="
        self.messages[mid] = raw
        self.folders[fid].log.append(("added", mid))
        return mid

    def delete(self, fid: str, mid: str) -> None:
        self.messages.pop(mid, None)
        self.folders[fid].log.append(("removed", mid))


@dataclass
class Recorded:
    method: str
    path: str  # decoded path and query
    headers: dict


class GraphServer:
    def __init__(self, token: str = "test-token", tls: tuple[str, str] | None = None, page_size: int = 2,
                 client_secret: str = "geheim"):
        self.token = token
        self.client_secret = client_secret
        self.page_size = page_size
        self.mailboxes: dict[str, Mailbox] = {}
        self.requests: list[Recorded] = []
        self.faults: list[dict] = []
        self.lock = threading.Lock()
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self.httpd.daemon_threads = True
        scheme = "http"
        if tls:
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(*tls)
            self.httpd.socket = ctx.wrap_socket(self.httpd.socket, server_side=True)
            scheme = "https"
        self.root = f"{scheme}://127.0.0.1:{self.httpd.server_address[1]}"
        self.url = self.root + "/v1.0"
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)

    def start(self) -> "GraphServer":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(timeout=5)

    def __enter__(self) -> "GraphServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def mailbox(self, upn: str) -> Mailbox:
        return self.mailboxes.setdefault(upn, Mailbox(upn))

    def fail(self, path_part: str, status: int, headers: dict | None = None, times: int = 1, code: str = "") -> None:
        """Answer the next ``times`` requests whose path contains ``path_part`` with an error."""
        self.faults.append({"part": path_part, "status": status, "headers": headers or {}, "left": times, "code": code})

    def paths(self, contains: str = "") -> list[str]:
        return [r.path for r in self.requests if contains in r.path]

    # answering ----------------------------------------------------------------------------------
    def answer(self, method: str, raw_path: str, headers: dict, body: bytes) -> tuple[int, dict, bytes]:
        split = urlsplit(raw_path)
        path = unquote(split.path)
        query = {k: v[-1] for k, v in parse_qs(split.query).items()}
        with self.lock:
            self.requests.append(Recorded(method, path + (f"?{unquote(split.query)}" if split.query else ""), headers))
            for f in self.faults:
                if f["left"] > 0 and f["part"] in path:
                    f["left"] -= 1
                    code = f["code"] or {429: "TooManyRequests", 503: "ServiceUnavailable"}.get(f["status"], "InternalServerError")
                    return _error(f["status"], code, f"scripted {f['status']}", f["headers"])
        if method == "POST" and path.endswith("/oauth2/v2.0/token"):
            form = parse_qs(body.decode())
            if form.get("grant_type") != ["client_credentials"]:
                return _json(400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"})
            if form.get("client_secret") != [self.client_secret]:
                return _json(401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret provided."})
            return _json(200, {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": self.token})
        if path.endswith("/v2.0/.well-known/openid-configuration"):
            tenant_root = self.root + path[: -len("/v2.0/.well-known/openid-configuration")]
            return _json(200, {
                "token_endpoint": tenant_root + "/oauth2/v2.0/token",
                "authorization_endpoint": tenant_root + "/oauth2/v2.0/authorize",
                "issuer": tenant_root + "/v2.0",
                "token_endpoint_auth_methods_supported": ["client_secret_post", "private_key_jwt", "client_secret_basic"],
                "response_types_supported": ["code", "id_token", "code id_token", "id_token token"],
            })
        if headers.get("authorization") != f"Bearer {self.token}":
            return _error(401, "InvalidAuthenticationToken", "Access token is empty or invalid.")
        parts = [unquote(p) for p in split.path.split("/")]  # ids may hold an encoded '/'
        # ['', 'v1.0', 'users', upn, ...]
        if len(parts) < 5 or parts[1] != "v1.0" or parts[2] != "users":
            return _error(400, "BadRequest", f"Resource not found for the segment '{path}'.")
        box = self.mailboxes.get(parts[3])
        if box is None:
            return _error(404, "ErrorInvalidUser", f"The requested user '{parts[3]}' is invalid.")
        if box.denied:
            return _error(403, "ErrorAccessDenied", "Access is denied. Check credentials and try again.")
        rest = parts[4:]
        base = f"{self.url}/users/{quote(box.upn, safe='@')}"
        if rest == ["mailFolders"]:
            ids = [f.id for f in box.folders.values() if not f.parent]
            return self._folder_page(box, ids, query, f"{base}/mailFolders")
        if len(rest) == 3 and rest[0] == "mailFolders" and rest[2] == "childFolders":
            folder = box.folders.get(rest[1])
            if folder is None:
                return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            return self._folder_page(box, folder.children, query, f"{base}/mailFolders/{quote(folder.id, safe='')}/childFolders")
        if len(rest) == 4 and rest[0] == "mailFolders" and rest[2:] == ["messages", "delta"]:
            folder = box.folders.get(rest[1])
            if folder is None:
                return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            return self._delta(box, folder, query, headers, f"{base}/mailFolders/{quote(folder.id, safe='')}/messages/delta")
        if len(rest) == 3 and rest[0] == "messages" and rest[2] == "$value":
            raw = box.messages.get(rest[1])
            if raw is None:
                return _error(404, "ErrorItemNotFound", "The specified object was not found in the store.")
            return 200, {"Content-Type": "text/plain"}, raw
        return _error(400, "BadRequest", f"Resource not found for the segment '{rest[0]}'.")

    def _folder_page(self, box: Mailbox, ids: list[str], query: dict, link: str) -> tuple[int, dict, bytes]:
        top = int(query.get("$top", "10"))
        skip = int(query.get("$skip", "0"))
        page = ids[skip: skip + top]
        doc = {
            "@odata.context": f"{self.url}/$metadata#users('{box.upn}')/mailFolders",
            "value": [{
                "id": fid, "displayName": box.folders[fid].name, "parentFolderId": box.folders[fid].parent or "AAMkADroot",
                "childFolderCount": len(box.folders[fid].children), "unreadItemCount": 0,
                "totalItemCount": len(_current(box.folders[fid])), "sizeInBytes": 0, "isHidden": False,
            } for fid in page],
        }
        if skip + top < len(ids):
            doc["@odata.nextLink"] = f"{link}?$top={top}&$skip={skip + top}"
        return _json(200, doc)

    def _delta(self, box: Mailbox, folder: Folder, query: dict, headers: dict, link: str) -> tuple[int, dict, bytes]:
        size = self.page_size
        prefer = headers.get("prefer", "")
        if "odata.maxpagesize=" in prefer:
            size = min(size, int(prefer.split("odata.maxpagesize=")[1].split(",")[0]))
        if "$skiptoken" in query:
            since, upto, offset = (int(x) for x in query["$skiptoken"].split("."))
        else:
            since, upto, offset = int(query.get("$deltatoken", "0")), len(folder.log), 0
        if since > len(folder.log):
            return _error(410, "SyncStateNotFound", "The sync state generation is not found.")
        changes: dict[str, str] = {}
        for kind, mid in folder.log[since:upto]:
            changes[mid] = kind
        if since == 0:  # an initial round lists what is there, not what went
            changes = {m: k for m, k in changes.items() if k == "added"}
        entries = list(changes.items())
        page = entries[offset: offset + size]
        value = []
        for mid, kind in page:
            if kind == "removed":
                value.append({"@odata.type": "#microsoft.graph.message", "id": mid, "@removed": {"reason": "deleted"}})
            else:
                value.append({"@odata.type": "#microsoft.graph.message", "@odata.etag": 'W/"CQAAABYAAAA"', "id": mid,
                              "parentFolderId": folder.id, "receivedDateTime": "2025-03-11T08:14:00Z"})
        doc = {"@odata.context": f"{self.url}/$metadata#Collection(message)", "value": value}
        if offset + size < len(entries):
            doc["@odata.nextLink"] = f"{link}?$skiptoken={since}.{upto}.{offset + size}"
        else:
            doc["@odata.deltaLink"] = f"{link}?$deltatoken={upto}"
        return _json(200, doc)


def _current(folder: Folder) -> dict[str, str]:
    state: dict[str, str] = {}
    for kind, mid in folder.log:
        if kind == "added":
            state[mid] = kind
        else:
            state.pop(mid, None)
    return state


def _json(status: int, doc: dict, headers: dict | None = None) -> tuple[int, dict, bytes]:
    return status, {"Content-Type": "application/json; odata.metadata=minimal", **(headers or {})}, json.dumps(doc).encode()


def _error(status: int, code: str, message: str, headers: dict | None = None) -> tuple[int, dict, bytes]:
    return _json(status, {"error": {"code": code, "message": message, "innerError": {
        "date": "2025-03-11T08:14:00", "request-id": str(uuid.uuid4()), "client-request-id": str(uuid.uuid4())}}}, headers)


def _handler(server: GraphServer):
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _serve(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, out_headers, data = server.answer(self.command, self.path, headers, body)
            self.send_response(status)
            for k, v in out_headers.items():
                self.send_header(k, v)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_POST = _serve

        def log_message(self, *args) -> None:
            pass

    return Handler

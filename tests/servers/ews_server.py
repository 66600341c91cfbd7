"""A small Exchange Web Services server on loopback, for the ``exchange`` connector's tests.

It answers the SOAP operations the connector (through exchangelib) sends, with XML shaped as
Exchange 2016 sends it (Microsoft's EWS reference examples; exchangelib's own offline tests):

- ``ConvertId``: exchangelib's version probe; answered with an error message, as Exchange does
  for a dummy id, and the ``ServerVersionInfo`` header it reads the version from;
- ``GetFolder`` for distinguished folders (``msgfolderroot``, ``deleteditems``,
  ``archivemsgfolderroot``: the last answers ``ErrorFolderNotFound`` when a mailbox has no archive);
- ``SyncFolderHierarchy`` and ``SyncFolderItems`` with opaque sync states, ``MaxChangesReturned``
  paging and ``IncludesLastItemInRange``/``IncludesLastFolderInRange``;
- ``GetItem`` with ``item:MimeContent`` (base64, ``CharacterSet="UTF-8"``).

The mailbox is named by the ``ExchangeImpersonation`` SOAP header (or ``X-AnchorMailbox``).
Basic authentication is checked on every request (401 otherwise). Faults can be queued per
operation: ``ErrorServerBusy`` with ``BackOffMilliseconds`` (HTTP 500 SOAP fault, as Exchange
throttles), or a bare HTTP status (503 with ``Retry-After``). A mailbox listed in
``missing_mailboxes`` answers ``ErrorNonExistentMailbox`` as Exchange does for impersonation of an
address without a mailbox. Every request is recorded: operation, mailbox, body.
"""

from __future__ import annotations

import base64
import json
import threading
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from xml.sax.saxutils import escape

SOAP = "http://schemas.xmlsoap.org/soap/envelope/"
M = "http://schemas.microsoft.com/exchange/services/2006/messages"
T = "http://schemas.microsoft.com/exchange/services/2006/types"

HEADER = (
    '<s:Header><h:ServerVersionInfo MajorVersion="15" MinorVersion="1" MajorBuildNumber="2507" '
    'MinorBuildNumber="6" Version="Exchange2016" xmlns:h="http://schemas.microsoft.com/exchange/services/2006/types" '
    'xmlns="http://schemas.microsoft.com/exchange/services/2006/types" '
    'xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"/></s:Header>'
)


def envelope(body: str, header: bool = True) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f'<s:Envelope xmlns:s="{SOAP}">' + (HEADER if header else "")
        + '<s:Body xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xsd="http://www.w3.org/2001/XMLSchema">'
        + body + "</s:Body></s:Envelope>"
    ).encode("utf-8")


def response(op: str, messages: list[str]) -> bytes:
    return envelope(
        f'<m:{op}Response xmlns:m="{M}" xmlns:t="{T}"><m:ResponseMessages>'
        + "".join(messages) + f"</m:ResponseMessages></m:{op}Response>"
    )


def error_message(op: str, code: str, text: str) -> str:
    return (
        f'<m:{op}ResponseMessage ResponseClass="Error"><m:MessageText>{escape(text)}</m:MessageText>'
        f"<m:ResponseCode>{code}</m:ResponseCode><m:DescriptiveLinkKey>0</m:DescriptiveLinkKey>"
        f"</m:{op}ResponseMessage>"
    )


def fault(code: str, text: str, backoff_ms: int | None = None) -> bytes:
    xml = "" if backoff_ms is None else (
        f'<t:MessageXml xmlns:t="{T}"><t:Value Name="BackOffMilliseconds">{backoff_ms}</t:Value></t:MessageXml>'
    )
    return envelope(
        f'<s:Fault><faultcode xmlns:a="{T}">a:{code}</faultcode>'
        f'<faultstring xml:lang="en-US">{escape(text)}</faultstring><detail>'
        f'<e:ResponseCode xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{code}</e:ResponseCode>'
        f'<e:Message xmlns:e="http://schemas.microsoft.com/exchange/services/2006/errors">{escape(text)}</e:Message>'
        f"{xml}</detail></s:Fault>",
        header=False,
    )


def _state(d: dict) -> str:
    return base64.b64encode(json.dumps(d, sort_keys=True).encode()).decode()


def _unstate(s: str) -> dict:
    return json.loads(base64.b64decode(s))


@dataclass
class Folder:
    id: str
    name: str
    parent: str
    folder_class: str = "IPF.Note"
    distinguished: str = ""


@dataclass
class Mailbox:
    address: str
    folders: dict[str, Folder] = field(default_factory=dict)
    items: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (folder id, mime)
    item_log: list[tuple[str, str, str]] = field(default_factory=list)  # (folder id, Create|Update|Delete, item id)
    folder_log: list[tuple[str, str]] = field(default_factory=list)  # (Create|Update|Delete, folder id)
    gone_folders: dict[str, Folder] = field(default_factory=dict)


@dataclass
class Request:
    operation: str
    mailbox: str
    body: str


class EwsServer:
    """The server and the mailboxes it holds. Use as a context manager; ``endpoint`` is the EWS URL."""

    def __init__(self, username: str = "svc-woo", password: str = "geheim") -> None:
        self.username, self.password = username, password
        self.mailboxes: dict[str, Mailbox] = {}
        self.missing_mailboxes: set[str] = set()
        self.broken_items: set[str] = set()  # GetItem answers ErrorMimeContentConversionFailed for these
        self.requests: list[Request] = []
        self.faults: dict[str, list[tuple]] = {}
        self._lock = threading.Lock()
        self._n = 0
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- set-up by tests ---------------------------------------------------------------------
    def _id(self, kind: str, address: str) -> str:
        self._n += 1
        return base64.b64encode(f"AAMk{kind}:{address}:{self._n:06d}".encode()).decode()

    def add_mailbox(self, address: str, archive: bool = False) -> Mailbox:
        mb = Mailbox(address)
        self.mailboxes[address] = mb
        root = Folder(self._id("root", address), "Top of Information Store", "", "", "msgfolderroot")
        mb.folders[root.id] = root
        for name, dist, cls in (("Inbox", "inbox", "IPF.Note"), ("Sent Items", "sentitems", "IPF.Note"),
                                ("Deleted Items", "deleteditems", "IPF.Note"), ("Calendar", "calendar", "IPF.Appointment")):
            self.add_folder(address, name, root.id, cls, dist)
        if archive:
            aroot = Folder(self._id("aroot", address), "Top of Information Store", "", "", "archivemsgfolderroot")
            mb.folders[aroot.id] = aroot
            self.add_folder(address, "Inbox", aroot.id)
        return mb

    def folder_id(self, address: str, name: str, root: str = "msgfolderroot") -> str:
        mb = self.mailboxes[address]
        root_id = next(f.id for f in mb.folders.values() if f.distinguished == root)
        for f in mb.folders.values():
            if f.name == name and self._under(mb, f.id, root_id):
                return f.id
        raise KeyError(name)

    def _under(self, mb: Mailbox, fid: str, root_id: str) -> bool:
        seen = set()
        while fid and fid not in seen:
            seen.add(fid)
            f = mb.folders.get(fid)
            if f is None:
                return False
            if f.parent == root_id:
                return True
            fid = f.parent
        return False

    def add_folder(self, address: str, name: str, parent_id: str, folder_class: str = "IPF.Note", distinguished: str = "") -> str:
        with self._lock:
            mb = self.mailboxes[address]
            f = Folder(self._id("fld", address), name, parent_id, folder_class, distinguished)
            mb.folders[f.id] = f
            mb.folder_log.append(("Create", f.id))
            return f.id

    def rename_folder(self, address: str, folder_id: str, name: str) -> None:
        with self._lock:
            mb = self.mailboxes[address]
            mb.folders[folder_id].name = name
            mb.folder_log.append(("Update", folder_id))

    def delete_folder(self, address: str, folder_id: str) -> None:
        with self._lock:
            mb = self.mailboxes[address]
            mb.gone_folders[folder_id] = mb.folders.pop(folder_id)
            mb.folder_log.append(("Delete", folder_id))

    def add_mail(self, address: str, folder: str, mime: bytes) -> str:
        """Deliver a message into the folder named ``folder`` (an id or a name under the root)."""
        with self._lock:
            mb = self.mailboxes[address]
            fid = folder if folder in mb.folders else None
        fid = fid or self.folder_id(address, folder)
        with self._lock:
            iid = self._id("itm", address)
            mb.items[iid] = (fid, mime)
            mb.item_log.append((fid, "Create", iid))
            return iid

    def delete_mail(self, address: str, item_id: str) -> None:
        with self._lock:
            mb = self.mailboxes[address]
            fid, _ = mb.items.pop(item_id)
            mb.item_log.append((fid, "Delete", item_id))

    def queue_fault(self, operation: str, kind: str = "busy", times: int = 1, backoff_ms: int = 50, status: int = 503) -> None:
        """The next ``times`` requests of ``operation`` fail: ``busy`` (ErrorServerBusy) or ``http`` (bare status)."""
        with self._lock:
            self.faults.setdefault(operation, []).extend([(kind, backoff_ms, status)] * times)

    def operations(self, mailbox: str | None = None) -> list[str]:
        return [r.operation for r in self.requests if mailbox is None or r.mailbox == mailbox]

    def requested_item_ids(self, mailbox: str | None = None) -> list[str]:
        """The item ids asked for in every GetItem request, in order."""
        out = []
        for r in self.requests:
            if r.operation == "GetItem" and (mailbox is None or r.mailbox == mailbox):
                root = ET.fromstring(r.body)
                out += [e.get("Id") for e in root.iter(f"{{{T}}}ItemId")]
        return out

    # -- lifecycle ---------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        assert self._httpd is not None
        return f"http://127.0.0.1:{self._httpd.server_address[1]}/EWS/Exchange.asmx"

    def __enter__(self) -> "EwsServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body in one segment: no Nagle/delayed-ACK stall per request

            def log_message(self, *args) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(length)
                status, data, headers = server.handle(self.path, dict(self.headers), body)
                self.send_response(status)
                self.send_header("Content-Type", "text/xml; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in headers.items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        if self._httpd:
            self._httpd.shutdown()
            self._httpd.server_close()
        if self._thread:
            self._thread.join(timeout=5)

    # -- request handling ----------------------------------------------------------------------
    def handle(self, path: str, headers: dict, body: bytes) -> tuple[int, bytes, dict]:
        expected = "Basic " + base64.b64encode(f"{self.username}:{self.password}".encode()).decode()
        auth = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        if path.lower() != "/ews/exchange.asmx":
            return 404, b"", {}
        try:
            root = ET.fromstring(body)
        except ET.ParseError:
            return 400, b"", {}
        op_elem = root.find(f"{{{SOAP}}}Body")[0]
        op = op_elem.tag.split("}")[1]
        imp = root.find(f".//{{{T}}}ExchangeImpersonation//{{{T}}}PrimarySmtpAddress")
        mailbox = imp.text if imp is not None else next((v for k, v in headers.items() if k.lower() == "x-anchormailbox"), "")
        with self._lock:
            self.requests.append(Request(op, mailbox, body.decode("utf-8")))
            queued = self.faults.get(op)
            pending = queued.pop(0) if queued else None
        if auth != expected:
            return 401, b"", {"WWW-Authenticate": 'Basic realm="127.0.0.1"'}
        if pending:
            kind, backoff_ms, status = pending
            if kind == "busy":
                return 500, fault("ErrorServerBusy", "The server cannot service this request right now. Try again later.", backoff_ms), {}
            return status, b"Service Unavailable", {"Retry-After": "1"}
        if op == "ConvertId":
            return 200, response(op, [error_message(op, "ErrorInvalidIdMalformed", "Id is malformed.")]), {}
        if mailbox in self.missing_mailboxes or (mailbox and mailbox not in self.mailboxes):
            return 500, fault("ErrorNonExistentMailbox", f"The SMTP address {mailbox} has no mailbox associated with it."), {}
        mb = self.mailboxes.get(mailbox)
        if mb is None:
            return 500, fault("ErrorMissingEmailAddress", "When making a request as an account that does not have a mailbox, you must specify the mailbox primary SMTP address for any distinguished folders."), {}
        with self._lock:
            handler = getattr(self, f"_op_{op}", None)
            if handler is None:
                return 500, fault("ErrorInvalidRequest", f"The request {op} is not supported by this test server."), {}
            return 200, handler(mb, op_elem), {}

    def _folder_xml(self, f: Folder, with_props: bool = True) -> str:
        ck = base64.b64encode(f"ck-{f.id}".encode()).decode()
        x = f'<t:Folder><t:FolderId Id="{f.id}" ChangeKey="{ck}"/>'
        if with_props:
            if f.parent:
                x += f'<t:ParentFolderId Id="{f.parent}" ChangeKey="{ck}"/>'
            if f.folder_class:
                x += f"<t:FolderClass>{f.folder_class}</t:FolderClass>"
            x += f"<t:DisplayName>{escape(f.name)}</t:DisplayName>"
        return x + "</t:Folder>"

    def _op_GetFolder(self, mb: Mailbox, req: ET.Element) -> bytes:
        msgs = []
        for fid in req.find(f"{{{M}}}FolderIds"):
            if fid.tag == f"{{{T}}}DistinguishedFolderId":
                f = next((f for f in mb.folders.values() if f.distinguished == fid.get("Id")), None)
            else:
                f = mb.folders.get(fid.get("Id"))
            if f is None:
                msgs.append(error_message("GetFolder", "ErrorFolderNotFound", "The specified folder could not be found in the store."))
            else:
                msgs.append('<m:GetFolderResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
                            f"<m:Folders>{self._folder_xml(f, with_props=False)}</m:Folders></m:GetFolderResponseMessage>")
        return response("GetFolder", msgs)

    def _sync_target(self, mb: Mailbox, req: ET.Element) -> Folder | None:
        sf = req.find(f"{{{M}}}SyncFolderId")[0]
        if sf.tag == f"{{{T}}}DistinguishedFolderId":
            return next((f for f in mb.folders.values() if f.distinguished == sf.get("Id")), None)
        return mb.folders.get(sf.get("Id"))

    def _op_SyncFolderHierarchy(self, mb: Mailbox, req: ET.Element) -> bytes:
        op = "SyncFolderHierarchy"
        top = self._sync_target(mb, req)
        if top is None:
            return response(op, [error_message(op, "ErrorFolderNotFound", "The specified folder could not be found in the store.")])
        st = req.find(f"{{{M}}}SyncState")
        start = _unstate(st.text)["pos"] if st is not None and st.text else 0
        changes = []
        for kind, fid in mb.folder_log[start:]:
            if kind == "Delete":
                gone = mb.gone_folders[fid]
                if gone.parent == top.id or self._under(mb, gone.parent, top.id):
                    changes.append(f'<t:Delete><t:FolderId Id="{fid}"/></t:Delete>')
                continue
            f = mb.folders.get(fid)
            if f is None or not self._under(mb, fid, top.id):
                continue
            changes.append(f"<t:{kind}>{self._folder_xml(f)}</t:{kind}>")
        state = _state({"pos": len(mb.folder_log), "kind": "hierarchy", "top": top.id})
        return response(op, [
            f'<m:{op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f"<m:SyncState>{state}</m:SyncState><m:IncludesLastFolderInRange>true</m:IncludesLastFolderInRange>"
            f"<m:Changes>{''.join(changes)}</m:Changes></m:{op}ResponseMessage>"
        ])

    def _op_SyncFolderItems(self, mb: Mailbox, req: ET.Element) -> bytes:
        op = "SyncFolderItems"
        folder = self._sync_target(mb, req)
        if folder is None:
            return response(op, [error_message(op, "ErrorFolderNotFound", "The specified folder could not be found in the store.")])
        st = req.find(f"{{{M}}}SyncState")
        start = 0
        if st is not None and st.text:
            try:
                d = _unstate(st.text)
                if d.get("folder") != folder.id:
                    raise ValueError
                start = d["pos"]
            except (ValueError, KeyError, TypeError):
                return response(op, [error_message(op, "ErrorInvalidSyncStateData", "Synchronization state data is corrupt or otherwise invalid.")])
        limit = int(req.findtext(f"{{{M}}}MaxChangesReturned") or "512")
        changes, pos = [], start
        log = mb.item_log
        while pos < len(log) and len(changes) < limit:
            fid, kind, iid = log[pos]
            pos += 1
            if fid != folder.id:
                continue
            ck = base64.b64encode(f"ck-{iid}".encode()).decode()
            if kind == "Delete":
                changes.append(f'<t:Delete><t:ItemId Id="{iid}" ChangeKey="{ck}"/></t:Delete>')
            elif iid in mb.items:
                changes.append(f'<t:{kind}><t:Message><t:ItemId Id="{iid}" ChangeKey="{ck}"/></t:Message></t:{kind}>')
        last = not any(fid == folder.id for fid, _, _ in log[pos:])
        state = _state({"pos": pos, "folder": folder.id})
        return response(op, [
            f'<m:{op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
            f"<m:SyncState>{state}</m:SyncState><m:IncludesLastItemInRange>{str(last).lower()}</m:IncludesLastItemInRange>"
            f"<m:Changes>{''.join(changes)}</m:Changes></m:{op}ResponseMessage>"
        ])

    def _op_GetItem(self, mb: Mailbox, req: ET.Element) -> bytes:
        op = "GetItem"
        want_mime = any(e.get("FieldURI") == "item:MimeContent" for e in req.iter(f"{{{T}}}FieldURI"))
        msgs = []
        for ref in req.find(f"{{{M}}}ItemIds"):
            iid = ref.get("Id")
            if iid not in mb.items:
                msgs.append(error_message(op, "ErrorItemNotFound", "The specified object was not found in the store."))
                continue
            if iid in self.broken_items:
                msgs.append(error_message(op, "ErrorMimeContentConversionFailed", "Content conversion failed."))
                continue
            ck = base64.b64encode(f"ck-{iid}".encode()).decode()
            mime = ""
            if want_mime:
                mime = f'<t:MimeContent CharacterSet="UTF-8">{base64.b64encode(mb.items[iid][1]).decode()}</t:MimeContent>'
            msgs.append(f'<m:{op}ResponseMessage ResponseClass="Success"><m:ResponseCode>NoError</m:ResponseCode>'
                        f'<m:Items><t:Message>{mime}<t:ItemId Id="{iid}" ChangeKey="{ck}"/></t:Message></m:Items>'
                        f"</m:{op}ResponseMessage>")
        return response(op, msgs)


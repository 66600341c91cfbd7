"""``publish(ws, req_id, url)``: a request's package to a GPP-Woo publicatiebank, resumable and audited.

The GPP-publicatiebank API (``../shared/standards/gpp-publicatiebank/openapi.yaml``): token
authentication (``Authorization: Token ...``, the token read from the environment variable
``WOO_GPP_TOKEN`` or the one named by ``token_env``) and audit headers on every call. A publish:

1. finds or creates the publication (a concept: the handler checks and publishes it in GPP-Woo),
   ``kenmerken`` = the request's Publicatiecontext with ``bron`` ``woo-collector``;
2. registers every released document (``documenten/<ID>.pdf``, number order) with its metadata
   (title ``Document 12: <omschrijving, redacted>``, its decision and grounds, date, file name
   and size; ``identifier`` and ``kenmerken`` = the document's ID) and uploads each of the parts
   the answer lists (``PUT .../bestandsdelen/{partUuid}``, multipart ``inhoud``);
3. then the inventory (``inventarislijst.xlsx``) and the decision letter (``besluit.pdf``, made by
   ``woo request finalise``: a publish without it is refused) as documents of their own.

Refused (``ready.py``) while a document of the request waits for a handler's decision, or the
package was exported while one waited. Before anything is sent the package is checked against its manifest and every file to be sent
and every metadata text is read by the leak guard once more.

**Resumable.** Every step is appended to a journal in the workspace
(``publish/<context>-<url hash>.jsonl``, one JSON object a line, fsynced) before and after the
call: ``pending`` before a document is registered, its uuid and parts after, each part uploaded,
``done``. A rerun replays the journal and continues where it stopped. A document whose
registration was sent but whose answer never came (``pending`` without uuid) is looked up by its
identifier; found with its upload incomplete it is deleted and registered again (its part
addresses were in the lost answer), found complete it is done: so no document is ever registered
twice. The publication is looked up by its kenmerk the same way.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any, Sequence

from exports import manifest, ready
from exports.bundle import ordered
from exports.finalise import NAME as LETTER, package_of
from exports.ids import context_id, document_id
from exports.leakguard import scan_file
from exports.render import Redactor, local
from woo_collector.documents import Document
from woo_collector.errors import ConfigError, ExportError, LeakError
from woo_collector.outputs import package_problems
from woo_collector.requests import load_documents, request_info
from woo_collector.workspace import Workspace

TOKEN_ENV = "WOO_GPP_TOKEN"
BRON = "woo-collector"
RELEASED = ("openbaar", "deels openbaar")
MIME = {".pdf": "application/pdf",
        ".xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}


class PublishError(ExportError):
    """A call to the publicatiebank failed; the journal keeps what was done, a rerun continues."""


@dataclass(frozen=True)
class Upload:
    key: str  # the document's identifier at the publicatiebank (its ID; INVENTARIS / BESLUIT)
    path: Path
    rel: str
    metadata: dict[str, Any]


@dataclass
class Published:
    publication: str
    registered: int  # documents registered by this run
    uploaded_parts: int
    skipped: int  # already done by an earlier run
    total: int


class Journal:
    """The append-only publish journal: events replayed into a state."""

    def __init__(self, path: Path):
        self.path = path
        self.publication: str | None = None
        self.publication_pending = False
        self.docs: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                try:
                    self._apply(json.loads(line))
                except (ValueError, KeyError, TypeError):
                    continue  # a torn last line: the step it describes is redone

    def _apply(self, e: dict) -> None:
        kind = e["event"]
        if kind == "publication-pending":
            self.publication_pending = True
        elif kind == "publication":
            self.publication, self.publication_pending = e["uuid"], False
        elif kind == "pending":
            self.docs[e["key"]] = {"pending": True}
        elif kind == "registered":
            self.docs[e["key"]] = {"uuid": e["uuid"], "parts": {p["uuid"]: dict(p, done=False) for p in e["parts"]}}
        elif kind == "part":
            self.docs[e["key"]]["parts"][e["part"]]["done"] = True
        elif kind == "deleted":
            self.docs.pop(e["key"], None)
        elif kind == "done":
            self.docs.setdefault(e["key"], {})["done"] = True

    def add(self, **event) -> None:
        self._apply(event)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(json.dumps(event, ensure_ascii=False) + "\n")
            f.flush()
            os.fsync(f.fileno())


class Client:
    """The few calls of the publicatiebank API a publish makes."""

    def __init__(self, url: str, token: str, user: str, remarks: str, timeout: float = 120):
        import requests

        self.base = url.rstrip("/")
        self.session = requests.Session()
        self.session.headers.update({"Authorization": f"Token {token}", "Audit-User-ID": user,
                                     "Audit-User-Representation": user, "Audit-Remarks": remarks,
                                     "Accept": "application/json"})
        self.timeout = timeout
        self.calls = 0

    def call(self, method: str, path: str, **kw) -> Any:
        import requests

        url = path if path.startswith(("http://", "https://")) else f"{self.base}{path}"
        self.calls += 1
        try:
            r = self.session.request(method, url, timeout=self.timeout, **kw)
        except requests.RequestException as e:
            raise PublishError(f"{method} {url}: {e}; run the same publish again to continue") from e
        if r.status_code == 401 or r.status_code == 403:
            raise PublishError(f"{method} {url}: HTTP {r.status_code}: the publicatiebank refused the token "
                               f"(set {TOKEN_ENV}, or the variable named by --token-env, to a valid API key)")
        if r.status_code >= 400:
            raise PublishError(f"{method} {url}: HTTP {r.status_code}: {r.text[:300]}; "
                               "run the same publish again to continue")
        return r.json() if r.content else None


def _title(d: Document, redactor: Redactor) -> str:
    first = d.items[0].id if d.items else ""
    return f"Document {d.nr}: {redactor.marked(d.title, first, ('title', 'subject', 'filename'))}"[:255]


def _day(d: Document) -> str:
    when = d.date
    if isinstance(when, datetime):
        return (local(when) if when.tzinfo else when).date().isoformat()
    if isinstance(when, date):
        return when.isoformat()
    return date.today().isoformat()


def uploads(req_id: str, folder: Path, documents: Sequence[Document], redactor: Redactor, files: dict[str, str]) -> list[Upload]:
    """What a publish sends, in order: the released documents, the inventory, the letter."""
    out = []
    for d in ordered(documents):
        if d.decision not in RELEASED:
            continue
        doc_id = document_id(req_id, d.nr)
        rel = f"documenten/{doc_id}.pdf"
        if rel not in files:
            raise ExportError(f"{rel} is not in the package's manifest: export the request again")
        grounds = "; ".join(sorted({r.ground for r in d.applied()} | set(d.grounds))) if d.decision != "openbaar" else ""
        out.append(Upload(doc_id, folder / rel, rel, {
            "officieleTitel": _title(d, redactor),
            "omschrijving": f"Document {d.nr} bij het besluit op Woo-verzoek {req_id}: {d.decision}"
                            + (f" (weigeringsgronden {grounds})" if grounds else "") + ".",
            "creatiedatum": _day(d)}))
    today = date.today().isoformat()
    ctx = context_id(req_id)
    out.append(Upload(f"{ctx}INVENTARIS", folder / "inventarislijst.xlsx", "inventarislijst.xlsx", {
        "officieleTitel": f"Inventarislijst bij het besluit op Woo-verzoek {req_id}",
        "omschrijving": "De lijst van documenten met hun beoordeling.", "creatiedatum": today}))
    if LETTER not in files:
        raise ExportError(f"the package has no {LETTER}: run 'woo request finalise {req_id} --letter EDITED.docx' first")
    out.append(Upload(f"{ctx}BESLUIT", folder / LETTER, LETTER, {
        "officieleTitel": f"Besluit op Woo-verzoek {req_id}", "omschrijving": "Het besluit.", "creatiedatum": today}))
    return out


def journal_path(ws: Workspace, req_id: str, url: str) -> Path:
    tag = hashlib.sha256(url.rstrip("/").encode("utf-8")).hexdigest()[:10]
    return ws.root / "publish" / f"{context_id(req_id)}-{tag}.jsonl"


def _check(folder: Path, req_id: str, items: list[Upload], redactor: Redactor) -> None:
    problems = package_problems(folder, req_id)
    if problems:
        raise ExportError("the package does not match its manifest; nothing was sent:\n  " + "\n  ".join(problems))
    hits = []
    for u in items:
        hits += [str(h) for h in scan_file(u.path, folder, redactor.needles)] if redactor.needles else []
        for field, value in u.metadata.items():
            hits += [f"{u.rel}: metadata {field}: {n.describe()}" for n in redactor.needles.scan(str(value))]
    if hits:
        raise LeakError("nothing was sent: the leak guard found redacted text in what a publish would send:\n  "
                        + "\n  ".join(hits[:20]))


def publish(ws: Workspace, req_id: str, url: str, *, out: Path | None = None, token_env: str = TOKEN_ENV) -> Published:
    """Publish the package of ``req_id`` to the publicatiebank at ``url``; see the module docstring."""
    token = os.environ.get(token_env, "").strip()
    if not token:
        raise ConfigError(f"no API token: set the environment variable {token_env} to the publicatiebank's API key "
                          "(it is never stored in woo.toml)")
    info = request_info(ws, req_id)
    documents = load_documents(ws, req_id)
    refused = f"cannot publish request {req_id}"
    ready.require_decided(req_id, documents, refused, "export again, finalise and publish")
    ws.catalog.check_audit()
    folder = package_of(ws, req_id, out)
    ready.require_current(folder, req_id, refused)
    files = json.loads((folder / manifest.NAME).read_text(encoding="utf-8")).get("files", {})
    redactor = Redactor(documents)
    items = uploads(req_id, folder, documents, redactor, files)
    _check(folder, req_id, items, redactor)
    journal = Journal(journal_path(ws, req_id, url))
    client = Client(url, token, ws.user, f"woo-collector: publicatie van Woo-verzoek {req_id}")
    args = {"id": req_id, "url": url.rstrip("/"), "out": str(folder)}
    result = Published("", 0, 0, 0, len(items))
    try:
        result.publication = _publication(client, journal, req_id, redactor.marked(info.subject))
        for u in items:
            _document(client, journal, result, u)
    except PublishError as e:
        done = sum(1 for u in items if journal.docs.get(u.key, {}).get("done"))
        ws.audit("request publish", args, f"stopped: {done} of {len(items)} documents done; {str(e)[:200]}", request=req_id)
        raise PublishError(f"{e}\n{done} of {len(items)} documents are done (journal {journal.path})") from e
    ws.audit("request publish", args, f"publication {result.publication}: {len(items)} documents "
             f"({result.registered} registered now, {result.skipped} done before)", request=req_id)
    return result


def _publication(client: Client, journal: Journal, req_id: str, subject: str) -> str:
    if journal.publication:
        return journal.publication
    ctx = context_id(req_id)
    if journal.publication_pending:
        found = client.call("GET", "/api/v2/publicaties", params={"kenmerk": ctx, "bron": BRON})
        if found and found.get("results"):
            journal.add(event="publication", uuid=found["results"][0]["uuid"])
            return journal.publication
    journal.add(event="publication-pending")
    made = client.call("POST", "/api/v2/publicaties", json={
        "publicatiestatus": "concept",
        "officieleTitel": f"Besluit op Woo-verzoek {req_id}"[:255],
        "omschrijving": f"Woo-verzoek {req_id}: {subject}",
        "kenmerken": [{"kenmerk": ctx[:40], "bron": BRON}]})
    journal.add(event="publication", uuid=made["uuid"])
    return journal.publication


def _document(client: Client, journal: Journal, result: Published, u: Upload) -> None:
    state = journal.docs.get(u.key, {})
    if state.get("done"):
        result.skipped += 1
        return
    if state.get("pending"):  # registered, but the answer was lost: look it up by its identifier
        found = client.call("GET", "/api/v2/documenten", params={"publicatie": journal.publication, "identifier": u.key})
        rows = (found or {}).get("results", [])
        for row in rows:
            if row.get("uploadVoltooid") and len(rows) == 1:
                journal.add(event="done", key=u.key)
                result.skipped += 1
                return
            client.call("DELETE", f"/api/v2/documenten/{row['uuid']}")
        journal.add(event="deleted", key=u.key)
        state = {}
    if not state.get("uuid"):
        journal.add(event="pending", key=u.key)
        made = client.call("POST", "/api/v2/documenten", json=dict(
            u.metadata, publicatie=journal.publication, identifier=u.key, aanleveringBestand="ontvangen",
            kenmerken=[{"kenmerk": u.key[:40], "bron": BRON}], bestandsnaam=u.path.name,
            bestandsformaat=MIME.get(u.path.suffix, "application/octet-stream"), bestandsomvang=u.path.stat().st_size))
        parts = [{"uuid": p["uuid"], "url": p["url"], "volgnummer": p["volgnummer"], "omvang": p["omvang"]}
                 for p in sorted(made.get("bestandsdelen") or [], key=lambda p: p["volgnummer"])]
        journal.add(event="registered", key=u.key, uuid=made["uuid"], parts=parts)
        result.registered += 1
        state = journal.docs[u.key]
    data = u.path.read_bytes()
    offset = 0
    complete = not state["parts"]
    for part in sorted(state["parts"].values(), key=lambda p: p["volgnummer"]):
        chunk = data[offset:offset + part["omvang"]]
        offset += part["omvang"]
        if part["done"]:
            continue
        answer = client.call("PUT", part["url"], files={"inhoud": (u.path.name, chunk, "application/octet-stream")})
        journal.add(event="part", key=u.key, part=part["uuid"])
        result.uploaded_parts += 1
        complete = bool(answer and answer.get("documentUploadVoltooid"))
    if offset != len(data) and state["parts"]:
        raise PublishError(f"{u.rel}: the publicatiebank expects {offset} bytes in its parts, the file has {len(data)}")
    if not complete:
        doc = client.call("GET", f"/api/v2/documenten/{state['uuid']}")
        complete = bool(doc and doc.get("uploadVoltooid"))
    if not complete:
        raise PublishError(f"{u.rel}: every part was sent but the publicatiebank does not report the upload complete")
    journal.add(event="done", key=u.key)

"""``woo review REQ``: the review of one request as a local web page (Flask, server-rendered).

The pages show what the library computes (``view``) and every change goes through the library
functions of ``woo_collector.requests.decide``, which write the same store as the Excel round trip
and audit each change. Security lives in the request hooks, not in the routes:

- the server binds 127.0.0.1 and serves one workspace and one request;
- a random token in the URL it prints is required once, then a session cookie (HttpOnly,
  SameSite=Strict, signed with a key that lives as long as the server); without either: 403;
- a Host header other than 127.0.0.1 / localhost is refused (DNS rebinding);
- every POST carries the session's CSRF token (form field ``csrf`` or header ``X-CSRF-Token``);
- a Content-Security-Policy that allows nothing but this origin, ``Cache-Control: no-store``,
  no referrer, no framing; every document text is escaped by the templates (autoescape).

``create_app(root, req_id, published=...)``: ``published`` builds, from the request's documents,
the object whose ``spans_of(text, item_id, fields)`` says what the package will box (the CLI hands
in ``exports.render.Redactor``; the core never imports ``exports``).
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Callable, Sequence
from urllib.parse import urlencode

from flask import Flask, abort, flash, g, redirect, render_template, request, session, url_for

from woo_collector.documents import DECISIONS, GROUNDS
from woo_collector.errors import WooError
from woo_collector.review_web import view

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'")
HOSTS = ("127.0.0.1", "localhost")


class State:
    """The server's workspace (one per thread: SQLite connections stay in their thread) and caches."""

    def __init__(self, root: Path, req_id: str, published: Callable[[Sequence], Any] | None):
        self.root, self.req_id, self.make_published = root, req_id, published
        self.local = threading.local()
        self.lock = threading.Lock()
        self._boxes: view.Boxes | None = None
        self._facts: dict | None = None
        self._seen = 0  # the last audit row this server has taken into account

    @property
    def ws(self):
        ws = getattr(self.local, "ws", None)
        if ws is None:
            from woo_collector.workspace import Workspace

            ws = self.local.ws = Workspace.open(self.root)
        return ws

    def facts(self) -> dict:
        if self._facts is None:
            from woo_collector.requests import load_documents

            self._facts = view.facts_of(load_documents(self.ws, self.req_id))
        return self._facts

    def item_ids(self) -> set[str]:
        """The items of the request's documents (only they are served as images)."""
        return {i for d in self.ws.catalog.requests.documents(self.req_id, include_dropped=True) if d["status"] != "dropped"
                for i in d["items"]}

    def published(self):
        """(text, item_id, fields) -> spans the package boxes (None without a ``published`` factory). Rebuilt when
        someone else changed the request's boxes meanwhile (an Excel import, a collect: seen in the audit log)."""
        if self.make_published is None:
            return None
        with self.lock:
            news = self.ws.catalog.audit_since(self._seen, self.req_id)
            if news:
                self._seen = news[-1][0]
            if self._boxes is None or any(changes_boxes(action) for _, action in news):
                if self._boxes is not None:  # changed elsewhere since this server started: a collect may add documents
                    self._facts = None
                self._boxes = view.Boxes(self.make_published, self.ws.catalog.requests, self.req_id)
            return self._boxes.spans

    def changed(self, texts) -> None:
        """After a change this server made: its boxes follow it, and its audit rows are not news."""
        with self.lock:
            if self._boxes is not None and texts:
                self._boxes.update(self.ws.catalog.requests, texts)
            news = self.ws.catalog.audit_since(self._seen, self.req_id)
            if news and not any(changes_boxes(a) and not a.startswith("review ") for _, a in news):
                self._seen = news[-1][0]


def changes_boxes(action: str) -> bool:
    """An audit action after which the request's redactions may differ."""
    return action in ("request review", "request collect") or action.startswith("review ")


def create_app(root: Path, req_id: str, *, token: str | None = None,
               published: Callable[[Sequence], Any] | None = None, warm: bool = True) -> Flask:
    """The review application of request ``req_id`` in the workspace at ``root``; ``app.config['TOKEN']``
    is the token the first URL must carry."""
    app = Flask(__name__)
    app.secret_key = secrets.token_bytes(32)
    app.config.update(TOKEN=token or secrets.token_urlsafe(24), SESSION_COOKIE_NAME="woo_review", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Strict", SESSION_COOKIE_SECURE=False, MAX_CONTENT_LENGTH=64 * 1024,
                      SEND_FILE_MAX_AGE_DEFAULT=0)
    st = State(Path(root), req_id, published)
    app.extensions["woo_review"] = st
    st.ws.catalog.requests.get(req_id)  # an unknown request is refused at once (ConfigError)
    if warm:  # what the first pages need, before the address is printed
        st.facts()
        st.published()

    @app.before_request
    def guard():
        g.t0 = time.perf_counter()
        if request.host.rsplit(":", 1)[0].strip("[]") not in HOSTS:
            abort(403, "this server answers to 127.0.0.1 only")
        given = request.args.get("token")
        if given is not None:
            if not hmac.compare_digest(given.encode(), app.config["TOKEN"].encode()):
                abort(403, "wrong token: use the address 'woo review' printed")
            session.clear()
            session["auth"] = True
            session["csrf"] = secrets.token_urlsafe(24)
            args = {k: v for k, v in request.args.items() if k != "token"}
            return redirect(request.path + ("?" + urlencode(args) if args else ""))  # the token leaves the address bar
        if not session.get("auth"):
            abort(403, "open the address 'woo review' printed (with its token)")
        if request.method not in ("GET", "HEAD"):
            sent = request.form.get("csrf") or request.headers.get("X-CSRF-Token") or ""
            if not hmac.compare_digest(sent.encode(), session.get("csrf", "").encode()):
                abort(403, "the form is out of date (CSRF token missing or wrong): reload the page")
            # with Referrer-Policy no-referrer a browser sends "Origin: null" for its own forms; Sec-Fetch-Site tells
            origin = request.headers.get("Origin", "null")
            site = request.headers.get("Sec-Fetch-Site", "same-origin")
            if site not in ("same-origin", "none") or origin != "null" and origin.split("://", 1)[-1].rsplit(":", 1)[0] not in HOSTS:
                abort(403, "a change from another site is refused")

    @app.after_request
    def headers(resp):
        resp.headers["Content-Security-Policy"] = CSP
        resp.headers["Cache-Control"] = "no-store"
        resp.headers["Pragma"] = "no-cache"
        resp.headers["X-Content-Type-Options"] = "nosniff"
        resp.headers["Referrer-Policy"] = "no-referrer"
        resp.headers["X-Frame-Options"] = "DENY"
        resp.headers["Cross-Origin-Resource-Policy"] = "same-origin"
        return resp

    @app.errorhandler(WooError)
    def woo_error(e):
        if request.method == "POST":  # a change the library refused: say why where the handler was
            flash(f"Not done: {e}")
            nr = (request.view_args or {}).get("nr") or request.form.get("nr")
            return redirect(url_for("document", nr=nr) if nr else url_for("overview"))
        return render_template("error.html", message=str(e)), 400

    @app.context_processor
    def common():
        return {"req_id": req_id, "csrf": session.get("csrf", ""), "DECISIONS": DECISIONS, "GROUNDS": GROUNDS}

    # pages -----------------------------------------------------------------------------------------
    @app.get("/")
    def overview():
        return render_template("overview.html", o=view.overview(st.ws, req_id, st.facts()))

    @app.get("/documents")
    def documents():
        f = view.Filters.from_args(request.args)
        return render_template("list.html", f=f, lst=view.document_list(st.ws, req_id, f, st.facts()))

    @app.get("/doc/<nr>")
    def document(nr: str):
        ws = st.ws
        repo = ws.catalog.requests
        row = repo.document(req_id, nr)
        if row is None or row["status"] == "dropped":
            abort(404, f"no document {nr}")
        family = [m for m in repo.family_members(req_id, row["family"]) if m["nr"] != nr]
        reds = repo.redactions(req_id, [nr])
        d = _document(ws, row, reds)
        seg = view.Segmenter(reds, st.published(), ws.config.get("policy", {}).get("keep", ()), ws.settings.organisation)
        page = view.document_page(d, seg, family)
        prev, nxt = view.neighbours(ws, req_id, nr)
        selected = request.args.get("box", "")
        box = next((r for r in reds if r["key"] == selected), None)
        near = view.notes(row).split(view.NEAR, 1)[1].split(";")[0].strip() if view.NEAR in view.notes(row) else ""
        return render_template("document.html", row=row, page=page, reds=reds, box=box, prev=prev, next=nxt, near=near,
                               state=view.state)

    @app.get("/doc/<nr>/compare")
    def compare(nr: str):
        import difflib

        ws = st.ws
        repo = ws.catalog.requests
        row = repo.document(req_id, nr)
        if row is None or view.NEAR not in view.notes(row):
            abort(404, f"document {nr} has no near-duplicate")
        other_nr = view.notes(row).split(view.NEAR, 1)[1].split(";")[0].strip()
        other = repo.document(req_id, other_nr)
        if other is None:
            abort(404, f"no document {other_nr}")
        a = _body(ws, other).splitlines()
        b = _body(ws, row).splitlines()
        rows = []
        for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
            n = max(i2 - i1, j2 - j1)
            for k in range(n):
                left = a[i1 + k] if i1 + k < i2 else ""
                right = b[j1 + k] if j1 + k < j2 else ""
                rows.append({"tag": tag, "left": left, "right": right})
        return render_template("compare.html", row=row, other=other, rows=rows)

    @app.get("/next")
    def next_unreviewed():
        nr = request.args.get("after", "")
        prev, nxt = view.neighbours(st.ws, req_id, nr)
        target = prev if request.args.get("dir") == "prev" else nxt
        if target is None:
            flash("no more unreviewed documents in that direction")
            return redirect(url_for("document", nr=nr) if nr else url_for("documents"))
        return redirect(url_for("document", nr=target))

    @app.get("/media/<item_id>")
    def media(item_id: str):
        ws = st.ws
        if item_id not in st.item_ids():
            abort(404)
        item = ws.catalog.get_item(item_id)
        if item is None or not item.sha256:
            abort(404)
        with ws.store.open(item.sha256) as fh:
            data = fh.read(50 * 1024 * 1024)
        mime = view.image_type(data[:16])
        if mime is None:
            abort(415, "not an image this page shows (PNG, JPEG, GIF, WebP)")
        return app.response_class(data, mimetype=mime, headers={"Content-Disposition": "inline"})

    # changes: each one library call; back to where the handler was ------------------------------------
    def back(nr: str | None = None, **args):
        target = request.form.get("back") or ""
        if not target.startswith("/") or target.startswith("//"):
            target = url_for("document", nr=nr, **args) if nr else url_for("overview")
        return redirect(target)

    def done(outcome) -> None:
        if outcome.changed:
            st.changed(outcome.texts)
        flash(outcome.message)

    @app.post("/box")
    def box():
        from woo_collector.requests.decide import set_box

        key = request.form.get("key", "")
        r = st.ws.catalog.requests.redaction(req_id, key)
        if r is None:
            abort(404, "no such box")
        done(set_box(st.ws, req_id, key, request.form.get("apply") == "1"))
        return back(r["nr"], box=key)

    @app.post("/person")
    def person():
        from woo_collector.requests.decide import set_person

        done(set_person(st.ws, req_id, request.form.get("text", ""), request.form.get("apply") == "1"))
        return back(request.form.get("nr") or None)

    @app.post("/add")
    def add():
        from woo_collector.requests.decide import add_box

        done(add_box(st.ws, req_id, request.form.get("text", ""), request.form.get("ground", "5.1.2e")))
        return back(request.form.get("nr") or None)

    @app.post("/doc/<nr>/decision")
    def decision(nr: str):
        from woo_collector.requests.decide import decide

        grounds = request.form.getlist("grounds") + request.form.get("more", "").replace(",", ";").split(";")
        done(decide(st.ws, req_id, nr, request.form.get("decision", ""), grounds, request.form.get("note")))
        return back(nr)

    @app.post("/doc/<nr>/reviewed")
    def reviewed(nr: str):
        from woo_collector.requests.decide import mark_reviewed

        done(mark_reviewed(st.ws, req_id, nr, request.form.get("reviewed", "1") == "1"))
        if request.form.get("then") == "next":
            _, nxt = view.neighbours(st.ws, req_id, nr)
            if nxt:
                return redirect(url_for("document", nr=nxt))
        return back(nr)

    @app.post("/doc/<nr>/scope")
    def scope(nr: str):
        from woo_collector.requests.decide import set_out_of_scope

        reason = request.form.get("reason", "")
        if request.form.get("in") != "1" and not reason.strip():
            flash("give the reason the document is out of scope")
            return back(nr)
        done(set_out_of_scope(st.ws, req_id, nr, "" if request.form.get("in") == "1" else reason))
        return back(nr)

    return app


def _document(ws, row: dict, reds: list[dict]):
    from datetime import datetime

    from woo_collector.documents import PENDING, Document

    items = {i.id: i for i in ws.catalog.get_items(row["items"])}
    return Document(nr=row["nr"], family=row["family"], kind=row["kind"], filetype=row["filetype"],
                    date=datetime.fromisoformat(row["date"]) if row["date"] else None, title=row["title"],
                    items=tuple(items[i] for i in row["items"] if i in items), thread=row["thread"] or "",
                    places=tuple(row["places"]), decision=row["decision"], grounds=tuple(row["grounds"]), note=row["note"] or "",
                    redactions=tuple(view.redaction_of(r) for r in reds), remarks=row.get("remarks") or "",
                    needs_decision=row["decision"] == PENDING)


def _body(ws, row: dict) -> str:
    items = ws.catalog.get_items(row["items"])
    return "\n".join(i.body for i in items)


def serve(app: Flask, port: int = 0, on_ready: Callable[[str], None] | None = None) -> None:
    """Serve ``app`` on 127.0.0.1 (``port`` 0: a free one) until Ctrl-C; ``on_ready(url)`` gets the address with its token."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):  # the first address holds the token: no request log
            pass

    if port:  # werkzeug would print its own advice and exit: say it our way (OSError)
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", port))
    server = make_server("127.0.0.1", port, app, threaded=False, request_handler=Quiet)
    url = f"http://127.0.0.1:{server.server_port}/?token={app.config['TOKEN']}"
    if on_ready:
        on_ready(url)
    try:
        server.serve_forever()
    finally:
        server.server_close()

"""woo review: the local review page. Its security (token, session cookie, CSRF, CSP, no caching,
escaping, 127.0.0.1 only) and every change it makes, through Flask's test client."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from tests.conftest import mail, woo
from woo_collector.workspace import Workspace

HOSTILE_SUBJECT = "Windturbines <script>alert('subject')</script>"
HOSTILE_BODY = ("Beste Pieter,\n\nHenk Jansen belde over de windturbines. <script>alert('body')</script>\n"
                "<a href=\"javascript:alert('link')\">klik hier</a> en <img src=x onerror=alert(1)>\n"
                "Zie ook &amp; &lt;b&gt;vet&lt;/b&gt; en &#60;script&#62;.\n\nGroet, Sanne")
HOSTILE_FILE = "<script>alert('file')</script>.txt"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("review")
    ws = tmp / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(mail(HOSTILE_SUBJECT, HOSTILE_BODY, "Mon, 10 Mar 2025 09:00:00 +0100", "<h1@x>",
                                        [(HOSTILE_FILE, "Henk Jansen en de windturbines".encode())]))
    (folder / "2.eml").write_bytes(mail("Windturbines planning", "Henk Jansen komt ook; het project Zwaluw loopt. De windturbines.",
                                        "Tue, 11 Mar 2025 09:00:00 +0100", "<h2@x>"))
    (folder / "3.eml").write_bytes(mail("Windturbines verslag", "Over de windturbines en project Zwaluw, zonder namen.",
                                        "Wed, 12 Mar 2025 09:00:00 +0100", "<h3@x>"))
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne", "--source", "mail-sanne")
    assert r.exit_code == 0, r.output
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    return ws


@pytest.fixture
def ws(built, tmp_path):
    """A fresh copy of the built workspace per test (changes do not leak between tests)."""
    import shutil

    dst = tmp_path / "ws"
    shutil.copytree(built, dst)
    return dst


def make_app(ws: Path):
    from exports.render import Redactor
    from woo_collector.review_web import create_app

    return create_app(ws, "R1", published=Redactor)


def login(app):
    c = app.test_client()
    r = c.get("/?token=" + app.config["TOKEN"])
    assert r.status_code == 302
    return c


def csrf_of(c) -> str:
    html = c.get("/doc/1").get_data(as_text=True)
    return re.search(r'name="csrf" value="([^"]+)"', html).group(1)


def show(ws: Path) -> dict:
    r = woo(ws, "request", "show", "R1", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def audit(ws: Path) -> list[dict]:
    return json.loads(woo(ws, "audit", "R1", "--format", "json").stdout)


# security ------------------------------------------------------------------------------------------

def test_every_page_needs_the_token_then_a_strict_httponly_session_cookie(ws):
    app = make_app(ws)
    c = app.test_client()
    for path in ("/", "/documents", "/doc/1", "/static/review.js", "/media/x"):
        assert c.get(path).status_code == 403, path
    assert c.get("/?token=wrong").status_code == 403
    assert c.get("/").status_code == 403  # a wrong token gives no session
    r = c.get("/doc/1?token=" + app.config["TOKEN"])
    assert r.status_code == 302 and r.headers["Location"] == "/doc/1"  # the token leaves the address bar
    cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
    assert "Expires" not in cookie and "Max-Age" not in cookie  # gone when the browser closes
    assert c.get("/doc/1").status_code == 200 and c.get("/static/review.js").status_code == 200
    other = make_app(ws)  # another server has another token and another session key
    assert other.config["TOKEN"] != app.config["TOKEN"]
    assert other.test_client().get("/?token=" + app.config["TOKEN"]).status_code == 403


def test_another_host_name_is_refused(ws):
    app = make_app(ws)
    c = app.test_client()
    assert c.get("/?token=" + app.config["TOKEN"], headers={"Host": "evil.example:5000"}).status_code == 403
    c = login(app)
    assert c.get("/", headers={"Host": "evil.example"}).status_code == 403
    assert c.get("/").status_code == 200
    local = app.test_client()
    local.get("/?token=" + app.config["TOKEN"], headers={"Host": "127.0.0.1:8123"})
    assert local.get("/", headers={"Host": "127.0.0.1:8123"}).status_code == 200


def test_a_post_without_the_csrf_token_changes_nothing(ws):
    app = make_app(ws)
    c = login(app)
    before = show(ws)
    key = Workspace.open(ws).catalog.requests.redactions("R1")[0]["key"]
    for data in ({"key": key, "apply": "0"}, {"key": key, "apply": "0", "csrf": "forged"}):
        assert c.post("/box", data=data).status_code == 403
    assert c.post("/doc/1/scope", data={"reason": "x"}).status_code == 403
    assert c.post("/box", data={"key": key, "apply": "0", "csrf": csrf_of(c)}, headers={"Origin": "http://evil.example"}).status_code == 403
    assert c.post("/box", data={"key": key, "apply": "0", "csrf": csrf_of(c)}, headers={"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert show(ws) == before
    assert c.post("/box", data={"key": key, "apply": "0", "csrf": csrf_of(c)}).status_code == 302


def test_headers_allow_no_outside_origin_and_no_caching(ws):
    c = login(make_app(ws))
    for path in ("/", "/documents", "/doc/1", "/static/review.css"):
        r = c.get(path)
        csp = r.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
        assert not re.search(r"https?:|\*|unsafe-inline|unsafe-eval", csp)
        assert r.headers["Cache-Control"] == "no-store"
        assert r.headers["X-Content-Type-Options"] == "nosniff"
        assert r.headers["Referrer-Policy"] == "no-referrer"
    html = c.get("/doc/1").get_data(as_text=True)
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html)  # nothing from outside
    assert " style=" not in html and "<style" not in html  # CSP allows no inline style either
    assert re.findall(r"<script[^>]*>", html) == ['<script src="/static/review.js" defer>']


def test_document_text_and_file_names_are_escaped(ws):
    c = login(make_app(ws))
    pages = [c.get(p).get_data(as_text=True) for p in ("/", "/documents", "/doc/1", "/doc/1.1")]
    for html in pages:
        assert "<script>alert" not in html and "<img src=x" not in html
        assert not re.search(r"<a[^>]*href=[\"']?\s*javascript:", html, re.I)  # no live javascript: link
        assert len(re.findall(r"<script", html)) == 1
    doc = pages[2]
    assert "&lt;script&gt;alert(&#39;body&#39;)&lt;/script&gt;" in doc
    assert "&lt;a href=&#34;javascript:alert(&#39;link&#39;)&#34;&gt;" in doc
    assert "&amp;amp; &amp;lt;b&amp;gt;vet" in doc  # entities in the text are shown as written, not decoded
    assert "&lt;script&gt;alert(&#39;subject&#39;)" in doc
    assert "&lt;script&gt;alert(&#39;file&#39;)&lt;/script&gt;.txt" in pages[3] and "&lt;script&gt;alert(&#39;file&#39;)" in pages[1]


def test_one_workspace_and_request_per_server(ws, tmp_path):
    from woo_collector.errors import ConfigError
    from woo_collector.review_web import create_app

    with pytest.raises(ConfigError, match="no request 'NOPE'"):
        create_app(ws, "NOPE")
    c = login(make_app(ws))
    assert c.get("/doc/99").status_code == 404
    assert c.get("/media/" + "0" * 16).status_code == 404  # only items of this request's documents
    assert c.get("/?workspace=/etc").status_code == 200  # no parameter picks another workspace or request


# changes -------------------------------------------------------------------------------------------

def test_reject_and_accept_one_box_audited_and_in_the_store(ws):
    c = login(make_app(ws))
    repo = Workspace.open(ws).catalog.requests
    red = next(r for r in repo.redactions("R1") if r["nr"] == "1" and r["field"] == "body" and r["text"] == "Henk Jansen")
    token = csrf_of(c)
    r = c.post("/box", data={"key": red["key"], "apply": "0", "csrf": token})
    assert r.status_code == 302 and r.headers["Location"].startswith("/doc/1")
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "still boxes it" in page  # Henk Jansen is accepted elsewhere: the package still boxes it
    row = Workspace.open(ws).catalog.requests.redaction("R1", red["key"])
    assert row["apply"] == 0 and row["decided_by"]
    rows = [json.loads(a["args"]) for a in audit(ws) if a["action"] == "review box"]
    assert rows == [{"key": red["key"], "document": "1", "field": "body", "column": "Toepassen", "old": "ja", "new": "nee"}]
    c.post("/box", data={"key": red["key"], "apply": "1", "csrf": token})
    assert Workspace.open(ws).catalog.requests.redaction("R1", red["key"])["apply"] == 1


def test_reject_a_person_everywhere_says_how_many_places_and_the_export_shows_the_name(ws, tmp_path):
    c = login(make_app(ws))
    reds = Workspace.open(ws).catalog.requests.redactions("R1")
    henk = [r for r in reds if r["text"].casefold() == "henk jansen" and r["apply"]]
    assert len({r["nr"] for r in henk}) >= 2
    r = c.post("/person", data={"text": "Henk Jansen", "apply": "0", "nr": "1", "csrf": csrf_of(c)})
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert f"rejected in {len(henk)} place(s) in {len({r['nr'] for r in henk})} document(s)" in page
    assert all(not x["apply"] for x in Workspace.open(ws).catalog.requests.redactions("R1") if x["text"].casefold() == "henk jansen")
    out = tmp_path / "pakket"
    assert woo(ws, "request", "export", "R1", "--out", str(out)).exit_code == 0
    from docx import Document

    text = "\n".join(p.text for f in (out / "documenten").glob("*.docx") for p in Document(f).paragraphs)
    assert "Henk Jansen" in text


def test_box_a_selected_text_propagates_request_wide_and_shows_where(ws, tmp_path):
    c = login(make_app(ws))
    r = c.post("/add", data={"text": "project  Zwaluw", "ground": "5.1.2.i", "nr": "2", "csrf": csrf_of(c)})
    page = c.get(r.headers["Location"]).get_data(as_text=True)
    assert "boxed under 5.1.2i in 2 place(s) in 2 document(s): 2, 3" in page
    assert re.search(r'class="box accepted boxed"[^>]*data-text="project Zwaluw"', page)
    docs = {d["nr"]: d for d in show(ws)["documents"]}
    assert "5.1.2i" in docs["2"]["grounds"] and docs["3"]["decision"] == "deels openbaar" and "5.1.2i" in docs["3"]["grounds"]
    assert [json.loads(a["args"])["places"] for a in audit(ws) if a["action"] == "review add"] == [2]
    out = tmp_path / "pakket"
    assert woo(ws, "request", "export", "R1", "--out", str(out)).exit_code == 0
    from docx import Document

    text = "\n".join(p.text for f in (out / "documenten").glob("*.docx") for p in Document(f).paragraphs)
    assert "Zwaluw" not in text and "5.1.2i" in text


def test_decision_reviewed_mark_and_out_of_scope(ws, tmp_path):
    c = login(make_app(ws))
    token = csrf_of(c)
    r = c.post("/doc/2/decision", data={"decision": "niet openbaar", "csrf": token})
    assert "needs at least one ground" in c.get(r.headers["Location"]).get_data(as_text=True)
    r = c.post("/doc/1/decision", data={"decision": "openbaar", "csrf": token})
    assert "document 1 still has" in c.get(r.headers["Location"]).get_data(as_text=True)  # its boxes would be published
    c.post("/doc/2/decision", data={"decision": "niet openbaar", "grounds": ["5.1.2i"], "csrf": token})
    r = c.post("/doc/1/reviewed", data={"reviewed": "1", "then": "next", "csrf": token})
    assert r.headers["Location"] == "/doc/1.1"  # on to the next unreviewed
    c.post("/doc/3/scope", data={"reason": "gaat over een ander windpark", "csrf": token})
    docs = {d["nr"]: d for d in show(ws)["documents"]}
    assert (docs["2"]["decision"], docs["2"]["grounds"]) == ("niet openbaar", ["5.1.2i"])
    assert "3" not in docs
    rows = {(d["nr"], d["reviewed"]) for d in Workspace.open(ws).catalog.requests.documents("R1")}
    assert ("1", 1) in rows and ("2", 1) in rows
    overview = c.get("/").get_data(as_text=True)
    assert "gaat over een ander windpark" in overview
    assert {a["action"] for a in audit(ws)} >= {"review decision", "review reviewed", "review scope"}
    woo(ws, "request", "collect", "R1")  # a new collect keeps it out of scope
    assert "3" not in {d["nr"] for d in show(ws)["documents"]}
    out = tmp_path / "pakket"
    r = woo(ws, "request", "export", "R1", "--out", str(out))
    assert r.exit_code == 0, r.output
    from docx import Document

    letter = "\n".join(p.text for p in Document(out / "besluit-concept.docx").paragraphs)
    assert "documenten buiten de reikwijdte geplaatst (na beoordeling): 1" in letter
    manifest = json.loads((out / "manifest.json").read_text())
    assert "3" not in {d["nr"] for d in manifest["documents"]}
    # the handler's grounds are the grounds: document 2's boxes (5.1.2e) add nothing to 'niet openbaar, 5.1.2i'
    assert next(d["grounds"] for d in manifest["documents"] if d["nr"] == "2") == ["5.1.2i"]


def test_overview_list_filters_and_paging(ws):
    c = login(make_app(ws))
    html = c.get("/").get_data(as_text=True)
    assert "0 / 4" in html and "days left" in html and "Recorded search" in html
    assert re.search(r"<td>name</td><td>5\.1\.2e</td>", html)
    lst = c.get("/documents?person=henk").get_data(as_text=True)
    assert '<a href="/doc/2">2</a>' in lst and '<a href="/doc/3">3</a>' not in lst
    assert '<a href="/doc/3">3</a>' in c.get("/documents?kind=email").get_data(as_text=True)
    assert "No document matches" in c.get("/documents?custodian=nobody").get_data(as_text=True)
    assert '<a href="/doc/1">1</a>' in c.get("/documents?custodian=sanne&source=mail-sanne").get_data(as_text=True)
    assert c.get("/documents?page=abc").status_code == 200


def test_the_recall_aid_underlines_capitalised_words_that_are_not_boxed(ws):
    from woo_collector.review_web.view import Segmenter

    seg = Segmenter([], None, keep=["Jan Bakker"], organisation="Gemeente Voorbeeld")
    parts = seg.cut("Vandaag sprak ik met Kees Brouwersgracht en wethouder Jan Bakker in Voorbeeld.\nMorgen verder.", "i", ("body",))
    assert [p.text for p in parts if p.kind == "maybe"] == ["Kees", "Brouwersgracht"]


def test_woo_review_help_and_an_unknown_request(ws):
    r = woo(ws, "review", "--help")
    assert r.exit_code == 0 and "127.0.0.1" in r.output and "--no-browser" in r.output
    r = woo(ws, "review", "NOPE", "--no-browser")
    assert r.exit_code == 1 and "no request 'NOPE'" in r.output


def test_the_page_boxes_exactly_what_the_package_boxes_after_changes(ws):
    """The review page keeps its boxes in step with each change (no rebuild): the same characters as the
    package's Redactor over the whole request."""
    from exports.render import Redactor
    from woo_collector.requests import load_documents
    from woo_collector.review_web.view import Segmenter

    app = make_app(ws)
    c = login(app)
    token = csrf_of(c)
    repo = Workspace.open(ws).catalog.requests
    unique = next(r for r in repo.redactions("R1") if len(repo.redactions_of_text("R1", r["text"])) == 1 and r["apply"])
    c.post("/box", data={"key": unique["key"], "apply": "0", "csrf": token})
    c.post("/person", data={"text": "Henk Jansen", "apply": "0", "csrf": token})
    c.post("/add", data={"text": "Zwaluw", "ground": "5.1.2i", "csrf": token})
    c.post("/doc/3/scope", data={"reason": "ander project", "csrf": token})
    state = app.extensions["woo_review"]
    docs = load_documents(state.ws, "R1")
    package = Redactor(docs)
    masked = 0
    for d in docs:
        seg = Segmenter(state.ws.catalog.requests.redactions("R1", [d.nr]), state.published())
        for it in d.items:
            for f in ("subject", "body", "sender"):
                text = getattr(it, f)
                want = "".join("█" * len(r.text) if r.box else r.text for r in package.runs(text, it.id, (f,)))
                got = "".join("█" * len(s.text) if s.boxed else s.text for s in seg.cut(text, it.id, (f,)))
                assert got == want.replace("\r\n", "\n"), (d.nr, f)
                masked += got.count("█")
    assert masked > 0


def test_woo_review_on_a_port_in_use_says_so(ws):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        r = woo(ws, "review", "R1", "--port", str(port), "--no-browser")
    assert r.exit_code == 1 and f"cannot listen on 127.0.0.1:{port}" in r.output and "choose another --port" in r.output


def test_images_are_shown_from_the_store_and_nothing_else_is_served_as_one(tmp_path):
    import zlib

    def png() -> bytes:
        import struct

        def chunk(kind, data):
            return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
                + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00")) + chunk(b"IEND", b""))

    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    svg = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'
    (folder / "1.eml").write_bytes(mail("Windturbines foto", "Foto van de windturbines.", "Mon, 10 Mar 2025 09:00:00 +0100", "<p1@x>",
                                        [("locatie.png", png()), ("nep.png", svg)]))
    assert woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne").exit_code == 0
    woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    c = login(make_app(ws))
    docs = {d["title"]: d for d in show(ws)["documents"]}
    real, fake = docs["locatie.png"], docs["nep.png"]
    page = c.get(f"/doc/{real['nr']}").get_data(as_text=True)
    assert f'<img src="/media/{real["items"][0]}"' in page
    r = c.get(f"/media/{real['items'][0]}")
    assert r.status_code == 200 and r.mimetype == "image/png" and r.data.startswith(b"\x89PNG")
    assert r.headers["Cache-Control"] == "no-store" and r.headers["X-Content-Type-Options"] == "nosniff"
    assert c.get(f"/media/{fake['items'][0]}").status_code == 415  # an SVG (script) named .png is not served
    assert "media" in c.get("/documents?media=1").get_data(as_text=True)


def test_a_workbook_imported_while_the_server_runs_shows_on_the_next_page(ws, tmp_path):
    import openpyxl

    from woo_collector.review_web.view import Segmenter

    app = make_app(ws)
    c = login(app)
    assert 'data-text="Henk Jansen"' in c.get("/doc/2").get_data(as_text=True)
    book = tmp_path / "b.xlsx"
    assert woo(ws, "request", "review", "R1", "--export", str(book)).exit_code == 0
    wb = openpyxl.load_workbook(book)
    sheet = wb["Lakken"]
    head = [x.value for x in sheet[1]]
    for row in sheet.iter_rows(min_row=2):
        if row[head.index("Tekst")].value == "Henk Jansen":
            row[head.index("Toepassen")].value = "nee"
    wb.save(book)
    assert woo(ws, "request", "review", "R1", "--import", str(book)).exit_code == 0
    page = c.get("/doc/2").get_data(as_text=True)
    assert re.search(r'class="box rejected"[^>]*data-text="Henk Jansen"', page)
    state = app.extensions["woo_review"]
    item = Workspace.open(ws).catalog.get_items(show(ws)["documents"][-2]["items"])[0]
    segs = Segmenter(state.ws.catalog.requests.redactions("R1", ["2"]), state.published()).cut(item.body, item.id, ("body",))
    assert not any(s.boxed and "Henk" in s.text for s in segs)


def test_near_duplicates_side_by_side_with_the_differences_marked(tmp_path):
    long = ("De gemeente onderzoekt de plaatsing van vier windturbines bij het Kraaiennest. De ashoogte wordt ongeveer "
            "135 meter en de geluidsnorm is 47 dB Lden. Omwonenden worden uitgenodigd voor een informatieavond in het "
            "gemeentehuis, waar het adviesbureau de berekeningen voor slagschaduw en geluid toelicht.")
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(mail("Windturbines", long, "Tue, 11 Mar 2025 09:14:00 +0100", "<o@x>"))
    (folder / "2.eml").write_bytes(mail("FW: Windturbines", "Ter info <b>nu</b>.\n\n" + long, "Wed, 12 Mar 2025 10:00:00 +0100", "<f@x>"))
    assert woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne").exit_code == 0
    woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31")
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    c = login(make_app(ws))
    assert 'href="/doc/2/compare"' in c.get("/doc/2").get_data(as_text=True)
    page = c.get("/doc/2/compare").get_data(as_text=True)
    assert '<tr class="insert"><td></td><td>Ter info &lt;b&gt;nu&lt;/b&gt;.</td></tr>' in page
    assert '<tr class="equal">' in page
    assert c.get("/doc/1/compare").status_code == 404  # the first of the pair has nothing to compare with

"""woo request publish --gpp: against a loopback publicatiebank that validates every call against its OpenAPI spec."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import docx
import pytest

from exports.ids import document_id
from exports.pdf import soffice
from tests.conftest import mail, woo
from tests.servers.gpp_server import SPEC, GppServer

pytestmark = [pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed (finalise needs it)"),
              pytest.mark.skipif(not SPEC.is_file(), reason=f"the GPP-publicatiebank spec is not at {SPEC}: set WOO_STANDARDS (default ../shared/standards)")]

REQ = "WOO-2025-9"
TOKEN = "s3cr3t-api-key"


@pytest.fixture(scope="module")
def finalised(tmp_path_factory):
    """A workspace whose request is exported (three released mails, one with an attachment) and finalised."""
    tmp = tmp_path_factory.mktemp("publish")
    ws = tmp / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    bodies = [("Windturbines Kraaiennest", "De turbines worden 135 meter hoog. " * 400, [("notitie.txt", b"Geluid " * 3000)]),
              ("Windturbines planning", "Planning: vergunning, dan bouw.", []),
              ("Windturbines overleg", "Overleg met Sanne de Vries over de windturbines.", [])]
    for n, (subject, body, att) in enumerate(bodies):
        (tmp / f"{n}.eml").write_bytes(mail(subject, body, f"Tue, 1{n} Mar 2025 09:14:00 +0100", f"<m{n}@x>", att))
        assert woo(ws, "import", str(tmp / f"{n}.eml"), "--type", "eml", "--custodian", "Sanne").exit_code == 0
    for args in (("policy", "redact", "Sanne de Vries"),
                 ("request", "create", REQ, "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31"),
                 ("request", "collect", REQ),
                 ("request", "export", REQ, "--out", str(tmp / "pakket"))):
        r = woo(ws, *args)
        assert r.exit_code == 0, r.output
    letter = tmp / "besluit.docx"
    d = docx.Document(str(tmp / "pakket" / "besluit-concept.docx"))
    d.add_paragraph("Vastgesteld.")
    d.save(str(letter))
    r = woo(ws, "request", "finalise", REQ, "--letter", str(letter))
    assert r.exit_code == 0, r.output
    return ws, tmp / "pakket"


def expected(package: Path) -> dict[str, bytes]:
    """identifier -> bytes of every file a publish must deliver."""
    files = {p.stem: p.read_bytes() for p in (package / "documenten").glob("*.pdf")}
    files["WOO20259INVENTARIS"] = (package / "inventarislijst.xlsx").read_bytes()
    files["WOO20259BESLUIT"] = (package / "besluit.pdf").read_bytes()
    return files


def delivered(server: GppServer) -> list[tuple[str, bytes]]:
    return sorted((d["identifier"], server.file(u)) for u, d in server.documents.items())


def publish(ws, server, monkeypatch):
    monkeypatch.setenv("WOO_GPP_TOKEN", TOKEN)
    return woo(ws, "request", "publish", REQ, "--gpp", server.url)


@pytest.fixture
def fresh(finalised):
    ws, package = finalised
    shutil.rmtree(ws / "publish", ignore_errors=True)
    return ws, package


def test_publish_creates_the_publication_and_every_document_once(fresh, monkeypatch):
    ws, package = fresh
    with GppServer(token=TOKEN, part_size=8192) as server:
        r = publish(ws, server, monkeypatch)
        assert r.exit_code == 0, r.output
        assert server.errors == []
        assert len(server.publications) == 1
        pub = next(iter(server.publications.values()))
        assert pub["publicatiestatus"] == "concept" and pub["kenmerken"] == [{"kenmerk": "WOO20259", "bron": "woo-collector"}]
        want = expected(package)
        assert document_id(REQ, "1.1") in want  # the attachment is a document of its own
        assert delivered(server) == sorted(want.items())
        assert any(len(server.parts[u]) > 1 for u in server.documents)  # uploaded in several parts
        assert all(d["uploadVoltooid"] for d in server.documents.values())
        titles = {d["identifier"]: d["officieleTitel"] for d in server.documents.values()}
        assert titles[document_id(REQ, "1")].startswith("Document 1: ")
        meta = json.dumps(list(server.documents.values()) + [pub])
        assert "Sanne" not in meta and "de Vries" not in meta
        # a second run sends nothing new
        calls = len(server.calls)
        r = publish(ws, server, monkeypatch)
        assert r.exit_code == 0, r.output
        assert len(server.calls) == calls and "done by an earlier run" in r.output
    rows = json.loads(woo(ws, "audit", REQ, "--format", "json").output)
    assert [row["action"] for row in rows].count("request publish") == 2


@pytest.mark.parametrize("lost", [False, True], ids=["refused", "answer-lost"])
@pytest.mark.parametrize("after", [1, 2, 4, 7, 12])
def test_an_interrupted_publish_continues_and_never_doubles_a_document(fresh, monkeypatch, after, lost):
    ws, package = fresh
    with GppServer(token=TOKEN, part_size=8192) as server:
        server.fail_after(after, lost=lost)
        r = publish(ws, server, monkeypatch)
        assert r.exit_code == 1 and "run the same publish again to continue" in r.output, r.output
        server.fail_after(None)
        r = publish(ws, server, monkeypatch)
        assert r.exit_code == 0, r.output
        assert server.errors == []
        assert len(server.publications) == 1
        assert delivered(server) == sorted(expected(package).items())  # each document once, complete
        if lost and after == 2:  # the first document's registration went through, its answer was lost
            assert "DELETE" in {m for m, _ in server.calls}
    outcomes = [row["outcome"] for row in json.loads(woo(ws, "audit", REQ, "--format", "json").output)
                if row["action"] == "request publish"]
    assert outcomes[-2].startswith("stopped: ") and outcomes[-1].startswith("publication ")


def test_the_server_checks_calls_against_the_spec():
    import requests

    with GppServer(token=TOKEN) as server:
        auth = {"Authorization": f"Token {TOKEN}"}
        audit = dict(auth, **{"Audit-User-ID": "u", "Audit-User-Representation": "u", "Audit-Remarks": "r"})
        assert requests.post(f"{server.url}/api/v2/publicaties", json={"officieleTitel": "X"}, headers=auth).status_code == 400
        pub = requests.post(f"{server.url}/api/v2/publicaties", headers=audit,
                            json={"publicatiestatus": "concept", "officieleTitel": "X"}).json()
        bad = requests.post(f"{server.url}/api/v2/documenten", headers=audit, json={"publicatie": pub["uuid"], "bestandsomvang": "groot"})
        assert bad.status_code == 400
    assert len(server.errors) == 2 and "Audit-User-ID" in server.errors[0] and "documenten" in server.errors[1]


def test_no_token_no_call(fresh, monkeypatch):
    ws, _ = fresh
    monkeypatch.delenv("WOO_GPP_TOKEN", raising=False)
    with GppServer(token=TOKEN) as server:
        r = woo(ws, "request", "publish", REQ, "--gpp", server.url)
        assert r.exit_code == 1 and "WOO_GPP_TOKEN" in r.output
        assert server.calls == []

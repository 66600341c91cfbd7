"""A loopback GPP-publicatiebank for tests: the publication and document endpoints a publish uses.

Every request is validated against the publicatiebank's own OpenAPI document
(``../shared/standards/gpp-publicatiebank/openapi.yaml``, openapi-core) before it is handled, and
every answer is validated against it before it is sent; what fails either way is recorded in
``server.errors`` (and the request answered 400), so a test asserts ``server.errors == []``.

    POST /api/v2/publicaties                                  a publication (concept or published)
    GET  /api/v2/publicaties?kenmerk=&bron=                   paginated, filtered by identifier
    POST /api/v2/documenten                                   a document: the answer lists its bestandsdelen
    GET  /api/v2/documenten?publicatie=&identifier=           paginated, filtered
    GET  /api/v2/documenten/{uuid}                            one document
    DELETE /api/v2/documenten/{uuid}                          removes it
    PUT  /api/v2/documenten/{uuid}/bestandsdelen/{partUuid}   multipart ``inhoud``: one part's bytes

``Authorization: Token <token>`` is required (401 otherwise). Files are cut into parts of
``part_size`` bytes. ``fail_after(n, lost=False)`` makes every call after the next ``n`` answer 503;
with ``lost=True`` the call that crosses the line is carried out first and only its answer lost
(as when a connection drops after the server committed).
"""

from __future__ import annotations

import threading
import uuid as uuidlib
from datetime import datetime, timezone
from pathlib import Path

from flask import Flask, Response, jsonify, request
from openapi_core import OpenAPI
from openapi_core.contrib.werkzeug import WerkzeugOpenAPIRequest, WerkzeugOpenAPIResponse
from werkzeug.serving import WSGIRequestHandler, make_server

from tests.conftest import STANDARDS

SPEC = STANDARDS / "gpp-publicatiebank" / "openapi.yaml"


class _Quiet(WSGIRequestHandler):
    def log_request(self, *args, **kwargs) -> None:  # the tests read server.calls, not a log
        pass


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


class GppServer:
    def __init__(self, token: str = "test-token", part_size: int = 16384, spec: Path = SPEC):
        self.token = token
        self.part_size = part_size
        self.openapi = OpenAPI.from_file_path(str(spec))
        self.publications: dict[str, dict] = {}
        self.documents: dict[str, dict] = {}
        self.parts: dict[str, dict[str, dict]] = {}  # document uuid -> part uuid -> {volgnummer, omvang, data}
        self.errors: list[str] = []
        self.calls: list[tuple[str, str]] = []
        self._budget: int | None = None
        self._lost = False
        self._lock = threading.Lock()
        self.app = self._app()
        self._server = None
        self._thread = None

    # control -----------------------------------------------------------------------------------

    def fail_after(self, n: int | None, lost: bool = False) -> None:
        self._budget, self._lost = n, lost

    def __enter__(self):
        self._server = make_server("127.0.0.1", 0, self.app, threaded=True, request_handler=_Quiet)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._thread.join(5)

    def file(self, doc_uuid: str) -> bytes:
        """The uploaded bytes of a document, its parts joined in order."""
        parts = sorted(self.parts[doc_uuid].values(), key=lambda p: p["volgnummer"])
        return b"".join(p["data"] or b"" for p in parts)

    # the application ---------------------------------------------------------------------------

    def _app(self) -> Flask:
        app = Flask("gpp")

        @app.before_request
        def check():
            with self._lock:
                self.calls.append((request.method, request.path))
                if self._budget is not None:
                    if self._budget <= 0:
                        return Response("service unavailable", status=503)
                    self._budget -= 1
                    request.environ["gpp.lose"] = self._lost and self._budget == 0
            if request.headers.get("Authorization") != f"Token {self.token}":
                return jsonify({"detail": "Authenticatiegegevens zijn niet opgegeven."}), 401
            result = self.openapi.unmarshal_request(WerkzeugOpenAPIRequest(request))
            if result.errors:
                self.errors.append(f"{request.method} {request.path}: " + "; ".join(_explain(e) for e in result.errors))
                return jsonify({"detail": "invalid request", "errors": [str(e) for e in result.errors]}), 400
            request.environ["gpp.body"] = result.body
            return None

        @app.after_request
        def validate(response):
            if response.status_code in (401, 503) or (response.status_code == 400 and self.errors):
                return response
            result = self.openapi.unmarshal_response(WerkzeugOpenAPIRequest(request), WerkzeugOpenAPIResponse(response))
            if result.errors:
                self.errors.append(f"answer to {request.method} {request.path}: " + "; ".join(_explain(e) for e in result.errors))
            if request.environ.get("gpp.lose"):
                return Response("connection lost", status=503)
            return response

        @app.post("/api/v2/publicaties")
        def create_publication():
            body = request.get_json()
            pub = self._publication(body)
            self.publications[pub["uuid"]] = pub
            return jsonify(pub), 201

        @app.get("/api/v2/publicaties")
        def list_publications():
            rows = [p for p in self.publications.values()
                    if _matches(p.get("kenmerken", []), request.args.get("kenmerk"), request.args.get("bron"))]
            return jsonify({"count": len(rows), "next": None, "previous": None, "results": rows})

        @app.post("/api/v2/documenten")
        def create_document():
            body = request.get_json()
            if body.get("publicatie") not in self.publications:
                return jsonify({"publicatie": ["Ongeldige publicatie."]}), 400
            doc = self._document(body)
            size = int(body.get("bestandsomvang") or 0)
            parts = {}
            for n, start in enumerate(range(0, max(size, 1), self.part_size), start=1):
                pid = str(uuidlib.uuid4())
                parts[pid] = {"volgnummer": n, "omvang": min(self.part_size, size - start), "data": None}
            self.documents[doc["uuid"]] = doc
            self.parts[doc["uuid"]] = parts
            answer = dict(doc, aanleveringBestand="ontvangen", bestandsdelen=[
                {"uuid": pid, "url": f"{self.url}/api/v2/documenten/{doc['uuid']}/bestandsdelen/{pid}",
                 "volgnummer": p["volgnummer"], "omvang": p["omvang"]} for pid, p in parts.items()])
            return jsonify(answer), 201

        @app.get("/api/v2/documenten")
        def list_documents():
            rows = [d for d in self.documents.values()
                    if (not request.args.get("publicatie") or d["publicatie"] == request.args["publicatie"])
                    and (not request.args.get("identifier") or d.get("identifier") == request.args["identifier"])]
            return jsonify({"count": len(rows), "next": None, "previous": None, "results": rows})

        @app.get("/api/v2/documenten/<doc>")
        def get_document(doc):
            if doc not in self.documents:
                return jsonify({"detail": "Niet gevonden."}), 404
            return jsonify(self.documents[doc])

        @app.delete("/api/v2/documenten/<doc>")
        def delete_document(doc):
            if doc not in self.documents:
                return jsonify({"detail": "Niet gevonden."}), 404
            del self.documents[doc]
            del self.parts[doc]
            return Response(status=204)

        @app.put("/api/v2/documenten/<doc>/bestandsdelen/<part>")
        def upload_part(doc, part):
            if part not in self.parts.get(doc, {}):
                return jsonify({"detail": "Niet gevonden."}), 404
            data = request.files["inhoud"].read()
            slot = self.parts[doc][part]
            if len(data) != slot["omvang"]:
                return jsonify({"inhoud": [f"expected {slot['omvang']} bytes, got {len(data)}"]}), 400
            slot["data"] = data
            done = all(p["data"] is not None for p in self.parts[doc].values())
            self.documents[doc]["uploadVoltooid"] = done
            return jsonify({"documentUploadVoltooid": done})

        return app

    def _publication(self, body: dict) -> dict:
        now = _now()
        return {
            "uuid": (pid := str(uuidlib.uuid4())), "urlPublicatieIntern": f"{self.url}/beheer/publicaties/{pid}",
            "urlPublicatieExtern": f"{self.url}/publicaties/{pid}",
            "informatieCategorieen": body.get("informatieCategorieen", []), "diWooInformatieCategorieen": [],
            "onderwerpen": body.get("onderwerpen", []), "publisher": body.get("publisher"),
            "verantwoordelijke": body.get("verantwoordelijke"), "opsteller": body.get("opsteller"),
            "kenmerken": body.get("kenmerken", []), "officieleTitel": body["officieleTitel"],
            "verkorteTitel": body.get("verkorteTitel", ""), "omschrijving": body.get("omschrijving", ""),
            "eigenaar": {"identifier": "test", "weergaveNaam": "Test"},
            "eigenaarGroep": {"identifier": "woo", "weergaveNaam": "Team Woo"},
            "publicatiestatus": body.get("publicatiestatus", "gepubliceerd"), "gepubliceerdOp": None,
            "ingetrokkenOp": None, "registratiedatum": now, "laatstGewijzigdDatum": now,
            "datumBeginGeldigheid": None, "datumEindeGeldigheid": None, "bronBewaartermijn": "",
            "selectiecategorie": "", "archiefnominatie": "", "archiefactiedatum": None, "toelichtingBewaartermijn": "",
        }

    def _document(self, body: dict) -> dict:
        now = _now()
        return {
            "uuid": str(uuidlib.uuid4()), "identifier": body.get("identifier", ""), "publicatie": body["publicatie"],
            "kenmerken": body.get("kenmerken", []), "officieleTitel": body["officieleTitel"],
            "verkorteTitel": body.get("verkorteTitel", ""), "omschrijving": body.get("omschrijving", ""),
            "publicatiestatus": self.publications[body["publicatie"]]["publicatiestatus"], "gepubliceerdOp": None,
            "ingetrokkenOp": None, "creatiedatum": body["creatiedatum"], "ontvangstdatum": None,
            "datumOndertekend": None, "bestandsformaat": body.get("bestandsformaat", ""),
            "bestandsnaam": body.get("bestandsnaam", ""), "bestandsomvang": int(body.get("bestandsomvang") or 0),
            "eigenaar": {"identifier": "test", "weergaveNaam": "Test"}, "registratiedatum": now,
            "laatstGewijzigdDatum": now, "uploadVoltooid": False,
        }


def _matches(kenmerken: list[dict], kenmerk: str | None, bron: str | None) -> bool:
    if not kenmerk and not bron:
        return True
    return any((not kenmerk or k.get("kenmerk") == kenmerk) and (not bron or k.get("bron") == bron) for k in kenmerken)


def _explain(e: Exception) -> str:
    inner = getattr(e, "schema_errors", None) or getattr(getattr(e, "__cause__", None), "schema_errors", None)
    if inner:
        return f"{type(e).__name__}: " + "; ".join(f"{'/'.join(map(str, x.absolute_path))}: {x.message[:300]}" for x in inner)
    return f"{type(e).__name__}: {e}" + (f" ({e.__cause__})" if e.__cause__ else "")

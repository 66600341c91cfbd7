"""The library functions the CLI calls own lock, mend and audit: a Python caller gets the same trail."""

import json
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector.cli import cli
from woo_collector.errors import ConfigError, LockHeld
from woo_collector.ingest import IngestResult, import_path, ingest_sources
from woo_collector.models import SourceSpec
from woo_collector.workspace import Workspace

MAIL = b"""From: Sanne de Vries <s.devries@voorbeeld.nl>
To: team@voorbeeld.nl
Subject: Windturbines Kraaiennest
Date: Tue, 11 Mar 2025 09:14:00 +0100
Message-ID: <in@x>

De windturbines bij het Kraaiennest worden 135 meter hoog.
"""


@pytest.fixture
def ws(tmp_path):
    ws, created = Workspace.init(tmp_path / "ws", "Gemeente Test")
    assert created
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "1.eml").write_bytes(MAIL)
    ws.add_source(SourceSpec(name="mail-sanne", type="eml", path=str(folder), custodian="Sanne"))
    yield ws
    ws.close()


def actions(ws) -> list[tuple[str, dict, str]]:
    return [(r["action"], json.loads(r["args"]), r["outcome"]) for r in ws.catalog.audit_rows()]


def test_ingest_sources_runs_and_audits_like_woo_ingest(ws):
    seen = []
    result = ingest_sources(ws, ["mail-sanne"], quiet=True, on_report=seen.append)
    assert isinstance(result, IngestResult) and result.exit_code == 0
    assert [r.source for r in result.reports] == ["mail-sanne"] == [r.source for r in seen]
    assert result.reports[0].new == 1 and result.took_over is None
    assert actions(ws)[-1] == ("ingest", {"sources": ["mail-sanne"]}, "mail-sanne: ok (+1, 0 failed)")


def test_unknown_source_is_refused_before_the_lock(ws):
    with pytest.raises(ConfigError, match="unknown source"):
        ingest_sources(ws, ["nope"], quiet=True)
    assert [a for a, _, _ in actions(ws)] == ["init"]


def test_import_path_recognises_the_format_and_audits(ws, tmp_path):
    eml = tmp_path / "los.eml"
    eml.write_bytes(MAIL.replace(b"<in@x>", b"<los@x>"))
    result = import_path(ws, eml, None, "Pieter", quiet=True)
    assert result.exit_code == 0 and result.reports[0].source == "import:Pieter:los.eml"
    assert actions(ws)[-1] == ("import", {"path": str(eml.resolve()), "type": "eml", "custodian": "Pieter",
                                          "source": "import:Pieter:los.eml"}, "ok: 1 new, 0 failed")


def _hold_lock(root: Path, what: str) -> subprocess.Popen:
    code = (f"import sys, time; from woo_collector.workspace import Workspace\n"
            f"lock = Workspace({str(root)!r}).lock({what!r}).acquire(); print('held', flush=True); time.sleep(60)")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2])
    assert p.stdout.readline().strip() == "held"
    return p


def test_a_held_lock_stops_library_and_cli_naming_the_holder(ws):
    holder = _hold_lock(ws.root, "woo ingest (nightly)")
    try:
        with pytest.raises(LockHeld, match=r"woo ingest \(nightly\)"):
            ingest_sources(ws, quiet=True)
        r = CliRunner().invoke(cli, ["--workspace", str(ws.root), "--quiet", "ingest"], catch_exceptions=False)
        assert r.exit_code == 1 and "woo ingest (nightly)" in r.output and f"pid {holder.pid}" in r.output
    finally:
        holder.kill()
        holder.wait()
    assert "ingest" not in [a for a, _, _ in actions(ws)]


def test_the_lock_of_a_dead_run_is_taken_over_and_said(ws):
    (ws.root / ".lock").write_text(json.dumps({"pid": 999999, "what": "woo ingest", "started": "2025-01-01T02:15:00+00:00"}))
    r = CliRunner().invoke(cli, ["--workspace", str(ws.root), "--quiet", "ingest"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "took over the lock of an earlier run" in r.output and "pid 999999" in r.output


def test_request_library_functions_write_the_audit_rows(ws, tmp_path):
    from exports.package import export
    from woo_collector.requests import create, extend
    from woo_collector.requests.collect import collect

    ingest_sources(ws, quiet=True)
    create(ws, "R1", "windturbines Kraaiennest", date(2025, 3, 1), date(2025, 3, 31))
    res = collect(ws, "R1")
    extend(ws, "R1", "omvang")
    out = export(ws, "R1", tmp_path / "pakket")
    assert out.files
    rows = [(a, args.get("id"), outcome) for a, args, outcome in actions(ws) if a.startswith("request")]
    assert rows == [("request create", "R1", "ok"),
                    ("request collect", "R1", f"{res.documents} documents, {res.redactions} redactions proposed"),
                    ("request extend", "R1", "ok"),
                    ("request export", "R1", f"{len(out.files)} files")]

"""Dates one way on the command line (issue 18): days ``YYYY-MM-DD``, timestamps in the workspace's
local zone as ``YYYY-MM-DD HH:MM`` in tables; ``--format json``/``csv`` keep the stored ISO value."""

import csv
import io
import json
import re
from datetime import datetime

from tests.conftest import woo
from woo_collector.dates import local

MBOX = """From a@x Tue Mar 11 09:14:00 2025
From: Sanne de Vries <s.devries@voorbeeld.nl>
To: Team Ruimte <team@voorbeeld.nl>
Subject: Windturbines Kraaiennest
Date: Tue, 11 Mar 2025 09:14:00 +0100
Message-ID: <in@x>

De windturbines bij het Kraaiennest worden 135 meter hoog.
"""

UTC_ISO = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
DMY = re.compile(r"\b\d\d-\d\d-\d{4}\b")


def test_show_time_is_local_minutes():
    from woo_collector.dates import show_time

    assert show_time("2026-12-01T14:09:09.782369+00:00") == "2026-12-01 15:09"  # Europe/Amsterdam, winter
    assert show_time(datetime.fromisoformat("2026-07-01T14:09:00+00:00")) == "2026-07-01 16:09"  # summer time
    assert show_time(None) == "" and show_time("", "?") == "?"


def _imported(tmp_path, ws):
    (tmp_path / "a.mbox").write_text(MBOX)
    r = woo(ws, "import", str(tmp_path / "a.mbox"), "--custodian", "Sanne de Vries")
    assert r.exit_code == 0, r.output


def test_source_list_runs_and_audit_tables_show_local_time_and_json_csv_keep_iso(tmp_path, ws):
    _imported(tmp_path, ws)
    for args, key in ((("source", "list"), "last_run"), (("runs",), "started"), (("audit",), "ts")):
        stored = json.loads(woo(ws, *args, "--format", "json").stdout)
        stamps = [row[key] for row in stored if row[key]]
        assert stamps and all(UTC_ISO.match(s) and s.endswith("+00:00") for s in stamps), (args, stamps)  # unchanged for scripts
        rows = list(csv.DictReader(io.StringIO(woo(ws, *args, "--format", "csv").stdout)))
        assert [r[key] for r in rows if r[key]] == stamps, args
        table = woo(ws, *args)
        assert table.exit_code == 0, table.output
        assert not UTC_ISO.search(table.stdout), (args, table.stdout)
        for s in stamps:
            assert f"{local(datetime.fromisoformat(s)):%Y-%m-%d %H:%M}" in table.stdout, (args, s, table.stdout)


def test_request_messages_write_days_as_iso(ws):
    r = woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-06-30",
            "--received", "2026-12-01")
    assert r.exit_code == 0, r.output
    assert "decision due 2026-12-29" in r.output and not DMY.search(r.output), r.output
    r = woo(ws, "request", "extend", "R1", "--reason", "veel documenten")
    assert r.exit_code == 0, r.output
    assert "Decision now due 2027-01-12 (was 2026-12-29)" in r.output and not DMY.search(r.output), r.output

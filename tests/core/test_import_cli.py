"""'woo import' as a handler runs it: what it recognises, what it says, where items are filed (issue 12)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector.cli import cli


def woo(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), "--quiet", *args], catch_exceptions=False)


@pytest.fixture
def ws(tmp_path):
    w = tmp_path / "ws"
    assert woo(w, "init").exit_code == 0
    return w


def test_import_summary_says_when_day_and_month_are_guessed(ws, tmp_path):
    chat = tmp_path / "WhatsApp-chat met Raad.txt"
    chat.write_text("01/02/21, 10:00 - Berichten en oproepen zijn end-to-end versleuteld.\n"
                    "01/02/21, 10:02 - Jan: hallo\n", encoding="utf-8")
    r = woo(ws, "import", str(chat), "--custodian", "Jan")
    assert r.exit_code == 0
    assert ("note: WhatsApp-chat met Raad.txt: day and month cannot be told apart from the dates; "
            "read as day-month-year (system lines in Dutch)") in r.stderr
    clear = tmp_path / "WhatsApp-chat met Team.txt"
    clear.write_text("25/02/21, 10:00 - Jan: a\n", encoding="utf-8")
    assert "note:" not in woo(ws, "import", str(clear), "--custodian", "Jan").stderr

"""`woo import --set KEY=VALUE`: a connector's settings for a one-off import, checked as a source's are."""

from __future__ import annotations

import json

from tests.conftest import woo

TABLE = "Wanneer,Wie,Wat,Waar\n2025-03-11 09:14,Sanne,Windturbines op de agenda,Overleg wind\n" \
        "2025-03-11 09:20,Pieter,Akkoord,Overleg wind\n"
MAPPING = ("--set", "time_column=Wanneer", "--set", "author_column=Wie", "--set", "text_column=Wat",
           "--set", "conversation_column=Waar")


def _workspace(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    f = tmp_path / "export.csv"
    f.write_text(TABLE, encoding="utf-8")
    return ws, f


def test_the_column_mapping_of_a_chat_table_is_given_on_the_import(tmp_path):
    ws, f = _workspace(tmp_path)
    unmapped = woo(ws, "import", str(f), "--type", "chattable", "--custodian", "X", "--source", "plain")
    assert unmapped.exit_code == 3 and "time_column" in unmapped.output  # headers not recognised: kept, not read
    r = woo(ws, "import", str(f), "--type", "chattable", "--custodian", "X", "--source", "mapped", *MAPPING)
    assert r.exit_code == 0, r.output
    hits = json.loads(woo(ws, "search", "*", "--source", "mapped", "--format", "json").stdout)
    assert sorted((h["sender"], h["title"]) for h in hits) == [("Pieter", "Overleg wind: Akkoord"),
                                                               ("Sanne", "Overleg wind: Windturbines op de agenda")]
    audit = json.loads(woo(ws, "audit", "--format", "json").stdout)
    [row] = [a for a in audit if a["action"] == "import" and "mapped" in str(a["args"])]
    assert "time_column" in str(row["args"])  # the import's audit row records the settings it ran with


def test_import_settings_are_refused_as_source_add_refuses_them_and_nothing_is_read(tmp_path):
    ws, f = _workspace(tmp_path)
    bad = ("--set", "colour=blue", "--set", "date_order=ymd")
    r = woo(ws, "import", str(f), "--type", "chattable", "--custodian", "X", "--source", "bad", *bad)
    s = woo(ws, "source", "add", "bad", "--type", "chattable", "--path", str(f), "--custodian", "X", *bad)
    assert r.exit_code == s.exit_code == 1
    message = s.output.strip().splitlines()[-1]
    assert "unknown setting colour for type chattable" in message and "date_order='ymd'" in message
    assert message in r.output  # the same declaration, the same words
    assert woo(ws, "runs", "--format", "json").stdout.strip() == "[]"  # refused before any run
    assert woo(ws, "import", str(f), "--type", "chattable", "--custodian", "X", "--set", "nokey").exit_code == 1

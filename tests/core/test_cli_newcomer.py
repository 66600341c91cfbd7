"""What tripped a newcomer (issue 18): the CLI as a new handler meets it, through CliRunner."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import woo
from woo_collector.cli import cli

CAROL = """From a@x Tue Mar 11 09:14:00 2025
From: Sanne de Vries <s.devries@voorbeeld.nl>
To: Team Ruimte <team@voorbeeld.nl>
Subject: Windturbines Kraaiennest
Date: Tue, 11 Mar 2025 09:14:00 +0100
Message-ID: <in@x>

De windturbines bij het Kraaiennest worden 135 meter hoog.

From a@x Tue Mar 12 09:14:00 2025
From: Pieter Vries <p@voorbeeld.nl>
To: Sanne de Vries <s.devries@voorbeeld.nl>
Subject: Begroting
Date: Wed, 12 Mar 2025 09:14:00 +0100
Message-ID: <other@x>

Niets over wind.
"""

JANSEN = """From a@x Tue Mar 13 09:14:00 2025
From: Carol Jansen <c.jansen@voorbeeld.nl>
To: Team Ruimte <team@voorbeeld.nl>
Subject: Christmas borrel
Date: Thu, 13 Mar 2025 09:14:00 +0100
Message-ID: <borrel@x>

Carol Christmas komt ook.
"""




@pytest.fixture
def two_mailboxes(ws, tmp_path, engine):
    (tmp_path / "carol.mbox").write_text(CAROL)
    (tmp_path / "jansen.mbox").write_text(JANSEN)
    assert woo(ws, "source", "add", "carol archief", "--type", "mbox", "--path", str(tmp_path / "carol.mbox"),
               "--custodian", "Carol Christmas").exit_code == 0
    assert woo(ws, "import", str(tmp_path / "jansen.mbox"), "--custodian", "Carol Jansen").exit_code == 0
    assert woo(ws, "ingest").exit_code == 0
    return ws


def titles(ws: Path, *args: str) -> list[str]:
    r = woo(ws, "search", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return sorted(h["title"] for h in json.loads(r.stdout))


@pytest.mark.parametrize("query, expected", [
    ('custodian:"Carol Christmas"', ["Begroting", "Windturbines Kraaiennest"]),
    ('custodian:"Carol Jansen"', ["Christmas borrel"]),
    ('custodian:"carol christmas" AND subject:begroting', ["Begroting"]),
    ('from:"Sanne de Vries"', ["Windturbines Kraaiennest"]),
    ('from:"Carol Jansen"', ["Christmas borrel"]),
    ('NOT from:"Sanne de Vries"', ["Begroting", "Christmas borrel"]),
    ('to:"Team Ruimte"', ["Christmas borrel", "Windturbines Kraaiennest"]),
    ('to:"Sanne de Vries"', ["Begroting"]),
    ('source:"carol archief"', ["Begroting", "Windturbines Kraaiennest"]),
    ('subject:"christmas borrel"', ["Christmas borrel"]),
])
def test_quoted_field_values_find_their_items(two_mailboxes, query, expected):
    assert titles(two_mailboxes, query) == expected


def test_search_refuses_a_period_that_ends_before_it_starts(two_mailboxes):
    r = woo(two_mailboxes, "search", "windturbine", "--from", "2025-06-30", "--to", "2025-03-01")
    assert r.exit_code == 2, r.output  # a bad option, like --from that is not a date
    assert "the period ends (2025-03-01) before it starts (2025-06-30)" in r.output
    assert "hits" not in r.output
    created = woo(two_mailboxes, "request", "create", "R1", "--subject", "windturbine", "--from", "2025-06-30", "--to", "2025-03-01")
    assert "the period ends (2025-03-01) before it starts (2025-06-30)" in created.output  # the same words
    assert titles(two_mailboxes, "windturbine", "--from", "2025-03-11", "--to", "2025-03-11") == ["Windturbines Kraaiennest"]


@pytest.mark.parametrize("req_id", ["../../etc", "WOO 2025/7", ".hidden", "..", "a" * 65, "WOO-2025-7\n", "WOO–2025", "ré-7", ""])
def test_request_ids_are_what_the_platform_allows(ws, req_id):
    r = woo(ws, "request", "create", req_id, "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-06-30")
    assert r.exit_code == 1, r.output
    assert "is not allowed" in r.output and "letters, digits, '-', '_' and '.', not starting with '.', at most 64 characters" in r.output
    assert json.loads(woo(ws, "request", "list", "--format", "json").stdout) == []


@pytest.mark.parametrize("req_id", ["WOO-2025-014", "woo_2025.7", "7", "a" * 64])
def test_request_ids_the_platform_allows_are_taken(ws, req_id):
    r = woo(ws, "request", "create", req_id, "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-06-30")
    assert r.exit_code == 0, r.output
    assert [x["id"] for x in json.loads(woo(ws, "request", "list", "--format", "json").stdout)] == [req_id]


def test_request_create_help_says_which_ids_are_allowed():
    r = CliRunner().invoke(cli, ["request", "create", "--help"])
    assert "letters, digits, '-', '_' and '.', not starting with '.', at most 64" in " ".join(r.output.split())


def test_search_table_has_a_header_and_shows_the_sender_beside_the_custodian(two_mailboxes):
    r = woo(two_mailboxes, "search", "subject:begroting OR subject:christmas")
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["id", "date", "kind", "sender", "custodian", "title"]
    rows = {line.split()[0]: line for line in lines[1:] if not line.startswith(" ")}
    hits = {h["id"]: h for h in json.loads(woo(two_mailboxes, "search", "subject:begroting OR subject:christmas", "--format", "json").stdout)}
    assert set(rows) == set(hits)
    col = {name: lines[0].index(name) for name in ("sender", "custodian", "title")}
    for id_, line in rows.items():
        h = hits[id_]
        assert line[col["sender"]:col["custodian"]].strip() == {"Begroting": "Pieter Vries", "Christmas borrel": "Carol Jansen"}[h["title"]]
        assert line[col["custodian"]:col["title"]].strip() == h["custodian"]
        assert line[col["title"]:].strip() == h["title"]


def test_search_json_and_csv_keep_their_keys(two_mailboxes):
    keys = ["id", "kind", "source", "custodian", "date", "title", "sender", "snippet", "score"]
    r = woo(two_mailboxes, "search", "subject:begroting", "--format", "csv")
    assert r.stdout.splitlines()[0].split(",") == keys
    [hit] = json.loads(woo(two_mailboxes, "search", "subject:begroting", "--format", "json").stdout)
    assert list(hit) == keys and hit["sender"] == "Pieter Vries <p@voorbeeld.nl>" and hit["custodian"] == "Carol Christmas"


@pytest.mark.parametrize("type_", [None, "eml", "files"])
def test_importing_an_empty_folder_says_there_was_nothing_to_import(ws, tmp_path, type_):
    empty = tmp_path / "ingeleverd"
    (empty / "sub").mkdir(parents=True)
    (empty / ".DS_Store").write_bytes(b"\x00\x00\x00\x01Bud1")  # hidden: no connector reads it
    r = woo(ws, "import", str(empty), "--custodian", "Anne", *(["--type", type_] if type_ else []))
    assert r.exit_code == 0, r.output  # the contract's 0: every item (there were none) taken in; nothing failed
    assert f"Nothing to import: the folder {empty} holds no files" in r.stderr
    assert r.stdout == ""


def test_a_folder_with_files_does_not_say_nothing_to_import(ws, tmp_path):
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "a.eml").write_text("From: a@x\nSubject: Goed bericht\n\nwindturbines\n")
    for _ in range(2):  # the second time adds nothing, but the folder was not empty
        r = woo(ws, "import", str(folder), "--custodian", "Anne")
        assert r.exit_code == 0 and "Nothing to import" not in r.output


ROOT = Path(__file__).resolve().parents[2]


def test_a_test_without_its_sample_skips_naming_the_path_and_WOO_SAMPLES(tmp_path):
    import os
    import subprocess
    import sys

    nowhere = tmp_path / "no-samples"
    env = {**os.environ, "WOO_SAMPLES": str(nowhere)}
    p = subprocess.run([sys.executable, "-m", "pytest", "-q", "-rs", "-p", "no:cacheprovider",
                        "tests/connectors/test_telegram.py::test_real_sample"],
                       cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0 and "1 skipped" in p.stdout, p.stdout + p.stderr
    [reason] = [line for line in p.stdout.splitlines() if line.startswith("SKIPPED")]
    assert f"{nowhere}/chat-analytics/tests/samples/telegram/DM_2A_7M.json" in reason and "WOO_SAMPLES" in reason


def test_the_readme_says_which_tests_skip_and_how_to_see_why():
    readme = (ROOT / "README.md").read_text()
    tests = readme[readme.index("run the tests"):readme.index("## A tour")]
    assert "WOO_SAMPLES" in tests and "-rs" in tests


def test_init_without_organisation_off_a_terminal_refuses_in_one_line_naming_the_option(tmp_path):
    r = woo(tmp_path / "ws", "init")
    assert r.exit_code == 1
    assert r.output.strip().count("\n") == 0 and "--organisation" in r.output, r.output
    assert "Voorbeeld" not in r.output and "Traceback" not in r.output
    assert not (tmp_path / "ws" / "woo.toml").exists()


def test_init_with_an_empty_organisation_refuses(tmp_path):
    r = woo(tmp_path / "ws", "init", "--organisation", "  ")
    assert r.exit_code == 1 and "--organisation" in r.output
    assert not (tmp_path / "ws" / "woo.toml").exists()


def test_init_on_a_terminal_asks_for_the_organisation(tmp_path):
    import os
    import pty
    import subprocess
    import sys
    import tomllib

    master, slave = pty.openpty()
    p = subprocess.Popen([sys.executable, "-m", "woo_collector", "--workspace", str(tmp_path / "ws"), "init"],
                         stdin=slave, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=Path(__file__).resolve().parents[2])
    os.close(slave)
    os.write(master, b"Gemeente Dijkstad\n")
    out, err = p.communicate(timeout=120)
    os.close(master)
    assert p.returncode == 0, err.decode()
    assert b"Name of the public body" in out
    config = tomllib.loads((tmp_path / "ws" / "woo.toml").read_text())
    assert config["settings"]["organisation"] == "Gemeente Dijkstad"


def test_a_workspace_without_organisation_takes_no_made_up_one_and_export_refuses_until_it_is_set(tmp_path):
    from woo_collector.workspace import Workspace

    ws, _ = Workspace.init(tmp_path / "ws")  # the library leaves it unset; so did hand-made woo.toml files
    ws.close()
    ws = tmp_path / "ws"
    assert "Voorbeeld" not in (ws / "woo.toml").read_text()
    (tmp_path / "m.mbox").write_text(CAROL)
    assert woo(ws, "import", str(tmp_path / "m.mbox"), "--custodian", "Carol Christmas").exit_code == 0
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    r = woo(ws, "request", "export", "R1", "--out", str(tmp_path / "pkg"))
    assert r.exit_code == 1
    assert "organisation" in r.output and "woo.toml" in r.output and "[settings]" in r.output, r.output
    assert not (tmp_path / "pkg").exists()

    toml = (ws / "woo.toml").read_text().replace("[settings]\n", '[settings]\norganisation = "Gemeente Dijkstad"\n', 1)
    (ws / "woo.toml").write_text(toml)
    r = woo(ws, "request", "export", "R1", "--out", str(tmp_path / "pkg"))
    assert r.exit_code == 0, r.output
    from openpyxl import load_workbook

    assert load_workbook(tmp_path / "pkg" / "inventarislijst.xlsx").properties.creator == "Gemeente Dijkstad"


def test_init_off_a_terminal_takes_the_organisation_from_WOO_ORGANISATION(tmp_path):
    from click.testing import CliRunner

    r = CliRunner(env={"WOO_ORGANISATION": "Gemeente Dijkstad"}).invoke(
        cli, ["--workspace", str(tmp_path / "ws"), "--quiet", "init"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert 'organisation = "Gemeente Dijkstad"' in (tmp_path / "ws" / "woo.toml").read_text()


@pytest.mark.parametrize("command", ["edit", "withdraw"])
def test_the_readme_documents_request_edit_and_withdraw_with_every_option(command):
    from woo_collector.cli.requests import request

    readme = (ROOT / "README.md").read_text()
    rows = [ln for ln in readme.splitlines() if ln.startswith(f"| `woo request {command} REQ")]
    assert len(rows) == 1, f"README has no command-table row for woo request {command}"
    for param in request.commands[command].params:
        for opt in param.opts:
            if opt.startswith("--"):
                assert opt in rows[0], f"README's row of request {command} misses {opt}"


def test_the_readme_documents_every_key_of_request_show_json(ws, tmp_path):
    (tmp_path / "m.mbox").write_text(CAROL)
    assert woo(ws, "import", str(tmp_path / "m.mbox"), "--custodian", "Carol Christmas").exit_code == 0
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    doc = json.loads(woo(ws, "request", "show", "R1", "--format", "json").stdout)
    readme = (ROOT / "README.md").read_text()
    contract = {"id", "subject", "period", "query", "documents", "nr", "date", "kind", "title", "items", "decision", "grounds",
                "redactions"}
    keys = set(doc) | set(doc["documents"][0]) | set(doc["selection"])
    missing = sorted(k for k in keys - contract if f"`{k}`" not in readme and f'"{k}"' not in readme)
    assert not missing, f"README does not document request show's keys {missing}"

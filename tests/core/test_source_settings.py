"""Connector settings: declared per connector, refused by `woo source add`, recorded by `woo ingest`."""

import json
from pathlib import Path

import pytest
import tomli_w

import connectors
from tests.conftest import woo
from woo_collector.connector_settings import ConnectorSettings, parse_settings
from woo_collector.errors import ConfigError
from woo_collector.settings import read_toml
from woo_collector.synth import write_maildir




def audit_actions(ws: Path) -> list[str]:
    return [r["action"] for r in json.loads(woo(ws, "audit", "--format", "json").stdout)]


def rows_by_name(ws: Path, *command: str) -> dict[str, dict]:
    return {r.get("name") or r["source"]: r for r in json.loads(woo(ws, *command, "--format", "json").stdout)}


def test_every_connector_declares_its_settings():
    for name in connectors.available():
        cls = connectors.get(name)
        assert issubclass(cls.settings_class, ConnectorSettings), name
        for key, text in cls.settings_class.help().items():
            assert text, f"{name}: setting {key} has no help text"


@pytest.mark.parametrize("type_, settings, says", [
    ("graph", ["token_env=WOO_TOKEN"], ["no mailboxes set", "--set mailboxes=", "user principal names"]),
    ("graph", ["mailboxes=a@gemeente.nl"], ["tenant_id", "client_id", "client_secret_env"]),
    ("graph", ["mailboxes=a@gemeente.nl", "token_env=T", "timeout=lang"], ["timeout='lang' must be a number", "seconds per request"]),
    ("graph", ["mailboxes=a@gemeente.nl", "token_env=T", "mailbox=b@gemeente.nl"], ["unknown setting mailbox", "mailboxes"]),
    ("exchange", ["mailboxes=a@gemeente.nl", "username=svc", "password_env=PW"], ["set server=mail.gemeente.nl"]),
    ("exchange", ["server=mail.gemeente.nl", "mailboxes=a@gemeente.nl", "auth=kerberos"], ["choose oauth, ntlm or basic"]),
    ("imap", ["host=imap.gemeente.nl", "user=griffie"], ["no password_env set", "environment variable"]),
    ("imap", ["host=imap.gemeente.nl", "user=griffie", "password_env=PW", "port=imaps"], ["port='imaps' must be a whole number"]),
    ("signal", ["tz=UTC"], ["unknown setting tz for type signal", "known: timezone"]),
])
def test_source_add_refuses_settings_that_can_never_run(ws, tmp_path, type_, settings, says):
    before = (ws / "woo.toml").read_text()
    path = ["--path", str(tmp_path)] if type_ == "signal" else []
    r = woo(ws, "source", "add", "bad", "--type", type_, *path, *[a for s in settings for a in ("--set", s)])
    assert r.exit_code == 1, r.output
    for text in says:
        assert text in r.output
    assert (ws / "woo.toml").read_text() == before  # nothing refused is written
    assert "source add" not in audit_actions(ws)


def test_source_add_takes_settings_that_can_run(ws):
    r = woo(ws, "source", "add", "exo", "--type", "graph", "--set", "mailboxes=a@gemeente.nl,b@gemeente.nl",
            "--set", "tenant_id=contoso", "--set", "client_id=c", "--set", "client_secret_env=WOO_GRAPH_SECRET")
    assert r.exit_code == 0, r.output
    assert read_toml(ws / "woo.toml")["sources"]["exo"]["settings"]["mailboxes"] == "a@gemeente.nl,b@gemeente.nl"
    assert "source add" in audit_actions(ws)


def write_sources(ws: Path, sources: dict) -> None:
    """Sources written into woo.toml by hand, as an administrator may."""
    config = read_toml(ws / "woo.toml")
    config.setdefault("sources", {}).update(sources)
    (ws / "woo.toml").write_text(tomli_w.dumps(config))


@pytest.mark.parametrize("bad, says", [
    ({"type": "graph", "settings": {"token_env": "WOO_TEST_GRAPH_TOKEN"}}, "no mailboxes set"),
    ({"type": "exchange", "settings": {"mailboxes": "a@gemeente.nl", "username": "svc", "password_env": "PW"}},
     "set server=mail.gemeente.nl"),
])
def test_ingest_records_bad_settings_and_runs_the_next_source(ws, tmp_path, bad, says):
    write_maildir(tmp_path / "sanne", 3)
    write_sources(ws, {"mail-bad": {"custodian": "Anne", **bad},
                       "sanne": {"type": "maildir", "custodian": "Sanne", "path": str(tmp_path / "sanne")}})

    r = woo(ws, "ingest")
    assert r.exit_code == 3, r.output  # some source failed, the others ran
    assert "mail-bad: error" in r.output and says in r.output and "sanne: ok, 3 new" in r.output

    listed = rows_by_name(ws, "source", "list")
    assert listed["mail-bad"]["status"] == "error" and listed["mail-bad"]["items"] == 0
    assert listed["sanne"]["status"] == "ok" and listed["sanne"]["items"] == 3
    runs = rows_by_name(ws, "runs")
    assert runs["mail-bad"]["status"] == "error" and says in runs["mail-bad"]["message"]
    assert runs["sanne"]["status"] == "ok"

    r = woo(ws, "ingest", "mail-bad")
    assert r.exit_code == 1, r.output  # nothing could run
    assert f"source mail-bad: {says}" in woo(ws, "doctor").output.replace("\n", " ")


def test_parse_settings_coerces_and_lists_every_problem():
    from connectors.graph import GraphSettings

    s = parse_settings(GraphSettings, {"mailboxes": " a@x.nl, b@x.nl ,", "token_env": "T", "attempts": "3", "timeout": ""}, "exo")
    assert s.mailboxes == ("a@x.nl", "b@x.nl") and s.attempts == 3 and s.timeout == 120.0
    with pytest.raises(ConfigError) as e:
        parse_settings(GraphSettings, {"attempts": "drie", "colour": "blue"}, "exo", "graph")
    text = str(e.value)
    assert text.startswith("source exo: ") and "unknown setting colour for type graph" in text
    assert "no mailboxes set" in text and "attempts='drie' must be a whole number" in text
    assert "client_id" in text and "client_secret_env" in text  # the rules across keys speak as well
    with pytest.raises(ConfigError, match="looks like a secret"):
        parse_settings(GraphSettings, {"mailboxes": "a@x.nl", "client_secret": "geheim"}, "exo")

"""Secrets never enter the permanent record: woo.toml, the catalog (audit, runs), logs/ or the output.

A secret given as a setting is refused, and the refusal names the key and never the value; a
``*_env`` setting takes only the name of an environment variable.
"""

import json
from pathlib import Path

import pytest
import tomli_w

from tests.conftest import woo
from woo_collector.settings import read_toml, secret_key

SECRET = "Zomer2026!"
IMAP = ["--type", "imap", "--set", "host=imap.gemeente.nl", "--set", "user=griffie"]




def record(ws: Path, *, with_toml: bool = True) -> bytes:
    """Every byte the workspace keeps that a secret could end up in: woo.toml, the catalog files, logs/."""
    files = [p for p in ws.glob("catalog.sqlite*")] + sorted((ws / "logs").rglob("*"))
    if with_toml:
        files.append(ws / "woo.toml")
    return b"".join(p.read_bytes() for p in files if p.is_file())


def assert_nowhere(ws: Path, result, secret: str, *, with_toml: bool = True) -> None:
    for text in (result.output, result.stdout, result.stderr):
        assert secret not in text, text
    assert secret.encode() not in record(ws, with_toml=with_toml)
    audit = woo(ws, "audit", "--format", "json")
    assert secret not in audit.output
    assert secret not in woo(ws, "runs", "--format", "json").output


@pytest.mark.parametrize("args, says", [
    (["leaky", *IMAP, "--set", f"password_env={SECRET}"], "password_env must be the name of an environment variable"),
    (["leaky", *IMAP, "--set", "password_env=WOO_PW", "--set", f"wachtwoord={SECRET}"], "'wachtwoord' looks like a secret"),
    (["leaky", *IMAP, "--set", "password_env=WOO_PW", "--set", f"pw={SECRET}"], "--set pw_env=VARIABLE_NAME"),
    (["leaky", *IMAP, "--set", "password_env=WOO_PW", "--set", f"pass={SECRET}"], "'pass' looks like a secret"),
    (["leaky", *IMAP, "--set", "password_env=WOO_PW", "--set", f"credentials=griffie:{SECRET}"], "'credentials' looks like a secret"),
    (["leaky", "--type", "exchange", "--set", "mailboxes=a@gemeente.nl", "--set", f"auth=Bearer {SECRET}"],
     "the value of 'auth' looks like a credential"),
    (["leaky", "--type", "files", "--path", ".", "--set", f"auth=Basic {SECRET}"], "looks like a credential"),
    (["leaky", *IMAP, "--set", "password_env=WOO_PW", "--set", f"host=imaps://griffie:{SECRET}@imap.gemeente.nl"],
     "looks like a credential"),
    (["leaky", *IMAP, "--set", f"{SECRET}"], "--set takes KEY=VALUE"),
])
def test_source_add_refuses_secrets_without_echoing_them(ws, args, says):
    before = (ws / "woo.toml").read_text()
    r = woo(ws, "source", "add", *args)
    assert r.exit_code == 1, r.output
    assert says in r.output
    assert (ws / "woo.toml").read_text() == before  # nothing refused is written
    assert "source add" not in [a["action"] for a in json.loads(woo(ws, "audit", "--format", "json").stdout)]
    assert_nowhere(ws, r, SECRET)


def test_the_settings_that_name_their_secrets_are_taken(ws):
    r = woo(ws, "source", "add", "exo", "--type", "graph", "--set", "mailboxes=a@gemeente.nl",
            "--set", "tenant_id=contoso", "--set", "client_id=c", "--set", "client_secret_env=WOO_GRAPH_SECRET")
    assert r.exit_code == 0, r.output
    r = woo(ws, "source", "add", "ews", "--type", "exchange", "--set", "mailboxes=a@gemeente.nl", "--set", "auth=ntlm",
            "--set", "server=mail.gemeente.nl", "--set", "username=GEMEENTE\\svc-woo", "--set", "password_env=WOO_EWS_PW")
    assert r.exit_code == 0, r.output
    r = woo(ws, "source", "add", "imap", *IMAP, "--set", "password_env=WOO_IMAP_PW", "--set", "folders=INBOX")
    assert r.exit_code == 0, r.output
    assert set(read_toml(ws / "woo.toml")["sources"]) == {"exo", "ews", "imap"}


@pytest.mark.parametrize("key", ["mailboxes", "username", "user", "tenant_id", "client_id", "authority", "auth",
                                 "host", "service_endpoint", "autodiscover", "ca_file", "password_env", "token_env"])
def test_ordinary_keys_are_not_secrets(key):
    assert not secret_key(key)


@pytest.mark.parametrize("key", ["password", "passwd", "pass", "pw", "pwd", "wachtwoord", "secret", "client_secret",
                                 "geheim", "token", "accessToken", "apikey", "api_key", "API-Key", "credentials",
                                 "authorization", "bearer", "sleutel", "key", "private_key", "imap_pass"])
def test_secret_keys(key):
    assert secret_key(key)


def test_a_secret_in_a_hand_edited_woo_toml_is_a_config_error_that_does_not_echo_it(ws, monkeypatch):
    monkeypatch.delenv(SECRET, raising=False)
    config = read_toml(ws / "woo.toml")
    config["sources"] = {"leaky": {"type": "imap", "custodian": "Griffie", "settings": {
        "host": "imap.gemeente.nl", "user": "griffie", "password_env": SECRET}}}
    (ws / "woo.toml").write_text(tomli_w.dumps(config))

    r = woo(ws, "ingest", "leaky")
    assert r.exit_code == 1, r.output
    assert "password_env must be the name of an environment variable" in r.output
    runs = json.loads(woo(ws, "runs", "--format", "json").stdout)
    assert runs and runs[0]["status"] == "error" and "password_env must be" in runs[0]["message"]
    assert_nowhere(ws, r, SECRET, with_toml=False)
    d = woo(ws, "doctor")
    assert SECRET not in d.output

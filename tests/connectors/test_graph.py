"""The graph connector against a loopback Graph server (tests/servers/graph_server.py)."""

from __future__ import annotations

import subprocess
import time

import pytest

from conftest import MemorySink, drain
from connectors.base import SourceSpec
from connectors.graph import GraphConnector
from servers.graph_server import GraphServer
from woo_collector.errors import ConfigError, SourceUnavailable

A, B = "a.jansen@gemeente.example", "griffie@gemeente.example"


def mail(n: int, subject: str = "") -> bytes:
    return (
        f"From: Sanne de Vries <s.devries@gemeente.example>\r\n"
        f"To: {A}\r\n"
        f"Subject: {subject or f'Bericht {n}'}\r\n"
        f"Date: Tue, 11 Mar 2025 10:{n % 60:02d}:00 +0100\r\n"
        f"Message-ID: <g{n}.{subject.replace(' ', '-')}@gemeente.example>\r\n"
        f"Content-Type: text/plain; charset=utf-8\r\n\r\n"
        f"Beste Anne,\r\n\r\nBericht {n} over de subsidieaanvraag.\r\n"
    ).encode()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("WOO_TEST_GRAPH_TOKEN", "test-token")
    with GraphServer(page_size=2) as s:
        yield s


def connector(server: GraphServer, sink: MemorySink, mailboxes: str = A, **settings) -> GraphConnector:
    values = {"graph_url": server.url, "token_env": "WOO_TEST_GRAPH_TOKEN", "mailboxes": mailboxes,
              "retry_base_delay": "0.05", **settings}
    return GraphConnector(SourceSpec(name="exo", type="graph", custodian="", settings=values), sink)


def emails(out: dict) -> list:
    return [i for i in out["items"] if i.kind == "email"]


def mailbox_with_folders(server: GraphServer, upn: str = A):
    box = server.mailbox(upn)
    inbox = box.folder("Inbox")
    projects = box.folder("Projecten", parent=inbox)
    sent = box.folder("Sent Items")
    return box, inbox, projects, sent


def test_first_sync_follows_pages_to_the_delta_link(server):
    box, inbox, projects, sent = mailbox_with_folders(server)
    for n in range(1, 6):
        box.deliver(inbox, mail(n))
    box.deliver(projects, mail(6))
    box.deliver(sent, mail(7))
    sink = MemorySink()
    out = drain(connector(server, sink))

    assert out["failures"] == []
    got = {i.subject: i for i in emails(out)}
    assert sorted(got) == [f"Bericht {n}" for n in range(1, 8)]
    assert got["Bericht 6"].folder == "Inbox/Projecten"
    assert got["Bericht 7"].folder == "Sent Items"
    assert got["Bericht 1"].custodian == A and got["Bericht 1"].locator == ""
    assert got["Bericht 1"].meta["mailbox"] == A and got["Bericht 1"].meta["graph_id"].startswith("AAMkAGI2")
    assert got["Bericht 1"].sent.isoformat() == "2025-03-11T09:01:00+00:00"
    assert sink.blobs[got["Bericht 3"].sha256] == mail(3)  # the MIME kept bit for bit
    # five messages in Inbox at two per page: three delta pages, two nextLinks then a deltaLink
    inbox_delta = server.paths(f"/mailFolders/{inbox}/messages/delta")
    assert len(inbox_delta) == 3
    assert "$select=" in inbox_delta[0] and "$skiptoken=" in inbox_delta[1] and "$skiptoken=" in inbox_delta[2]
    cps = [c.value for c in out["checkpoints"] if c.key == f"graph:{A}:{inbox}"]
    assert ["$skiptoken" in v for v in cps] == [True, True, False] and "$deltatoken=5" in cps[-1]
    assert sink.states[f"graph:{A}:{projects}"].endswith("$deltatoken=1")
    assert len(server.paths("/$value")) == 7
    # every request carried the bearer token and asked for ids that survive a move
    assert all(r.headers.get("authorization") == "Bearer test-token" for r in server.requests)
    assert all('IdType="ImmutableId"' in r.headers.get("prefer", "") for r in server.requests)
    assert all("odata.maxpagesize=50" in r.headers["prefer"] for r in server.requests if r.path.endswith("/messages/delta") or "/messages/delta?" in r.path)


def test_second_sync_fetches_exactly_the_two_new_mails(server):
    box, inbox, projects, sent = mailbox_with_folders(server)
    for n in range(1, 5):
        box.deliver(inbox, mail(n))
    box.deliver(sent, mail(5))
    sink = MemorySink()
    first = drain(connector(server, sink))
    assert len(emails(first)) == 5

    server.requests.clear()
    new = [box.deliver(inbox, mail(10, "Nieuw A")), box.deliver(projects, mail(11, "Nieuw B"))]
    second = drain(connector(server, sink))
    fetched = server.paths("/$value")
    assert sorted(fetched) == sorted(f"/v1.0/users/{A}/messages/{mid}/$value" for mid in new)
    assert sorted(i.subject for i in emails(second)) == ["Nieuw A", "Nieuw B"]
    assert not {i.id for i in first["items"]} & {i.id for i in second["items"]}
    assert all("$deltatoken=" in p for p in server.paths("/messages/delta"))  # resumed from the stored links


def test_throttled_429_waits_for_retry_after_then_succeeds(server):
    box, inbox, _, _ = mailbox_with_folders(server)
    box.deliver(inbox, mail(1))
    server.fail(f"/mailFolders/{inbox}/messages/delta", 429, {"Retry-After": "1"})
    t0 = time.monotonic()
    out = drain(connector(server, MemorySink()))
    elapsed = time.monotonic() - t0
    assert [i.subject for i in emails(out)] == ["Bericht 1"] and out["failures"] == []
    assert len(server.paths(f"/mailFolders/{inbox}/messages/delta")) == 2  # the 429, then the answer
    assert elapsed >= 1.0 and elapsed < 5  # waited for Retry-After, not much longer


def test_503_and_500_are_retried_4xx_is_not(server):
    box, inbox, _, sent = mailbox_with_folders(server)
    m1 = box.deliver(inbox, mail(1))
    box.deliver(sent, mail(2))
    server.fail(f"/messages/{m1}/$value", 503, {"Retry-After": "0"})
    server.fail(f"/messages/{m1}/$value", 500)
    server.fail(f"/mailFolders/{sent}/messages/delta", 400, code="ErrorInvalidRequest")
    out = drain(connector(server, MemorySink()))
    assert [i.subject for i in emails(out)] == ["Bericht 1"]
    assert len(server.paths(f"/messages/{m1}/$value")) == 3
    (f,) = out["failures"]
    assert f.path == f"graph://{A}/Sent Items" and "400 ErrorInvalidRequest" in f.reason
    assert len(server.paths(f"/mailFolders/{sent}/messages/delta")) == 1


def test_persistent_5xx_leaves_the_mailbox_for_the_next_run_and_goes_on(server):
    box, inbox, _, sent = mailbox_with_folders(server)
    box.deliver(inbox, mail(1))
    box.deliver(sent, mail(2))
    other = server.mailbox(B)
    other.deliver(other.folder("Inbox"), mail(3))
    server.fail(f"/mailFolders/{inbox}/messages/delta", 502, times=3)  # every try of this run
    sink = MemorySink()
    out = drain(connector(server, sink, mailboxes=f"{A},{B}", attempts="3"))
    assert [i.subject for i in emails(out)] == ["Bericht 3"]  # the other mailbox was read
    (f,) = out["failures"]
    assert f.path == f"graph://{A}" and "left for the next run" in f.reason and "502" in f.reason and "after 3 tries" in f.reason
    assert len(server.paths(f"/mailFolders/{inbox}/messages/delta")) == 3
    assert server.paths(f"/mailFolders/{sent}/messages/delta") == []  # not hammered folder after folder
    later = drain(connector(server, sink, mailboxes=f"{A},{B}"))  # Graph is back: the next run completes
    assert sorted(i.subject for i in emails(later)) == ["Bericht 1", "Bericht 2"] and later["failures"] == []


def test_removed_message_is_recorded_as_a_deletion(server):
    box, inbox, _, _ = mailbox_with_folders(server)
    keep = box.deliver(inbox, mail(1))
    gone = box.deliver(inbox, mail(2))
    sink = MemorySink()
    first = drain(connector(server, sink))
    assert len(emails(first)) == 2
    box.delete(inbox, gone)
    second = drain(connector(server, sink))
    assert [(d.key, d.locator) for d in second["deletions"]] == [(gone, f"{A}/Inbox")]
    assert second["items"] == []
    assert keep not in [d.key for d in second["deletions"]]


def test_interrupted_first_sync_resumes_on_the_page_it_stopped(server):
    box, inbox, _, _ = mailbox_with_folders(server)
    for n in range(1, 6):
        box.deliver(inbox, mail(n))
    sink = MemorySink()
    c = connector(server, sink)
    seen = []
    for y in c.collect():  # the pipeline saves checkpoints; stop after the first page of Inbox
        if type(y).__name__ == "Checkpoint":
            sink.states[y.key] = y.value
            break
        seen.append(y)
    assert len([i for i in seen if i.kind == "email"]) == 2
    server.requests.clear()
    rest = drain(connector(server, sink))
    assert sorted(i.subject for i in emails(rest)) == ["Bericht 3", "Bericht 4", "Bericht 5"]
    assert "$skiptoken=" in server.paths(f"/mailFolders/{inbox}/messages/delta")[0]


def test_expired_delta_token_starts_the_folder_over(server):
    box, inbox, _, _ = mailbox_with_folders(server)
    box.deliver(inbox, mail(1))
    sink = MemorySink()
    drain(connector(server, sink))
    key = f"graph:{A}:{inbox}"
    sink.states[key] = sink.states[key].replace("$deltatoken=1", "$deltatoken=99")
    out = drain(connector(server, sink))
    assert [i.subject for i in emails(out)] == ["Bericht 1"] and out["failures"] == []
    assert sink.states[key].endswith("$deltatoken=1")


def test_one_failing_mailbox_does_not_stop_the_others(server):
    box, inbox, _, _ = mailbox_with_folders(server, A)
    box.deliver(inbox, mail(1))
    server.mailbox(B).denied = True
    out = drain(connector(server, MemorySink(), mailboxes=f"{B},{A}"))
    assert [i.subject for i in emails(out)] == ["Bericht 1"]
    (f,) = out["failures"]
    assert f.path == f"graph://{B}" and "403 ErrorAccessDenied" in f.reason and "application access policy" in f.reason


def test_all_mailboxes_failing_is_source_unavailable(server):
    server.mailbox(B).denied = True
    with pytest.raises(SourceUnavailable, match="no mailbox could be read.*nobody@gemeente.example.*404 ErrorInvalidUser"):
        drain(connector(server, MemorySink(), mailboxes=f"{B},nobody@gemeente.example"))


def test_wrong_token_and_missing_settings(server, monkeypatch):
    mailbox_with_folders(server)
    monkeypatch.setenv("WOO_TEST_GRAPH_TOKEN", "wrong")
    with pytest.raises(SourceUnavailable, match="401 InvalidAuthenticationToken"):
        drain(connector(server, MemorySink()))
    with pytest.raises(ConfigError, match="mailboxes"):
        drain(connector(server, MemorySink(), mailboxes=""))
    spec = SourceSpec("exo", "graph", settings={"mailboxes": A, "tenant_id": "t", "client_id": "c", "client_secret_env": "WOO_NOT_SET"})
    with pytest.raises(ConfigError, match="WOO_NOT_SET is empty or not set"):
        drain(GraphConnector(spec, MemorySink()))


def test_folders_setting_limits_the_sync(server):
    box, inbox, projects, sent = mailbox_with_folders(server)
    box.deliver(inbox, mail(1))
    box.deliver(projects, mail(2))
    out = drain(connector(server, MemorySink(), folders="Inbox/Projecten"))
    assert [i.subject for i in emails(out)] == ["Bericht 2"]
    assert server.paths(f"/mailFolders/{inbox}/messages/delta") == []


def test_app_only_token_through_msal(tmp_path, monkeypatch):
    """msal's client-credentials flow against the loopback authority (https, own CA)."""
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    try:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
                        "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                       check=True, capture_output=True, timeout=60)
    except (OSError, subprocess.CalledProcessError) as e:
        pytest.skip(f"openssl cannot make a test certificate: {e}")
    monkeypatch.setenv("WOO_TEST_GRAPH_SECRET", "geheim")
    with GraphServer(token="msal-token", tls=(str(cert), str(key))) as s:
        box, inbox, _, _ = mailbox_with_folders(s)
        box.deliver(inbox, mail(1))
        spec = SourceSpec("exo", "graph", settings={
            "tenant_id": "contoso", "client_id": "11111111-2222-3333-4444-555555555555",
            "client_secret_env": "WOO_TEST_GRAPH_SECRET", "mailboxes": A, "ca_file": str(cert),
            "authority": f"{s.root}/contoso", "graph_url": s.url,
        })
        out = drain(GraphConnector(spec, MemorySink()))
        assert [i.subject for i in emails(out)] == ["Bericht 1"]
        token_calls = [r for r in s.requests if r.path.endswith("/oauth2/v2.0/token")]
        assert len(token_calls) == 1 and token_calls[0].method == "POST"
        monkeypatch.setenv("WOO_TEST_GRAPH_SECRET", "fout")
        before = len(s.requests)
        with pytest.raises(SourceUnavailable, match="invalid_client: AADSTS7000215.*Mail.Read application permission"):
            drain(GraphConnector(spec, MemorySink()))
        assert not [r for r in s.requests[before:] if "/users/" in r.path]  # no mailbox was asked without a token


def test_retry_helper_honours_hints_and_gives_up():
    from datetime import datetime, timezone

    from connectors.retry import retry, retry_after_seconds

    now = datetime(2025, 3, 11, 8, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds("Tue, 11 Mar 2025 08:00:30 GMT", now) == 30.0
    assert retry_after_seconds("morgen") is None and retry_after_seconds(None) is None
    pauses: list[float] = []
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 3:
            raise TimeoutError("traag")
        return "klaar"

    hint = lambda e: 4.0 if len(calls) == 1 else None  # noqa: E731
    assert retry(flaky, attempts=3, base_delay=0.5, retry_on=(TimeoutError,), delay_hint=hint, sleep=pauses.append) == "klaar"
    assert pauses[0] == 4.0 and 1.0 <= pauses[1] <= 1.1  # the hint, then 0.5 * 2 with jitter
    with pytest.raises(ValueError):
        retry(lambda: int("x"), attempts=2, retry_on=(TimeoutError,), sleep=pauses.append)  # not retried
    assert len(pauses) == 2


def test_nightly_woo_ingest_against_the_loopback_graph_server(server, tmp_path):
    """The acceptance check: `woo ingest` twice; the second night fetches exactly the two new mails."""
    import json

    from click.testing import CliRunner

    from woo_collector.cli import cli

    def woo(*args: str):
        return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "--quiet", *args], catch_exceptions=False)

    box, inbox, projects, sent = mailbox_with_folders(server)
    for n in range(1, 4):
        box.deliver(inbox, mail(n))
    assert woo("init", "--organisation", "Gemeente Test").exit_code == 0
    r = woo("source", "add", "exo-anne", "--type", "graph", "--custodian", "Anne Jansen", "--set", f"graph_url={server.url}",
            "--set", "token_env=WOO_TEST_GRAPH_TOKEN", "--set", f"mailboxes={A}", "--set", "retry_base_delay=0.05")
    assert r.exit_code == 0, r.output
    first = woo("ingest")
    assert first.exit_code == 0, first.output
    server.requests.clear()
    new = [box.deliver(inbox, mail(10, "Nieuw A")), box.deliver(projects, mail(11, "Nieuw B"))]
    second = woo("ingest")
    assert second.exit_code == 0, second.output
    assert sorted(server.paths("/$value")) == sorted(f"/v1.0/users/{A}/messages/{mid}/$value" for mid in new)
    runs = json.loads(woo("runs", "--format", "json").stdout)
    assert [(x["new"], x["unchanged"]) for x in runs] == [(2, 0), (3, 0)]
    hits = json.loads(woo("search", "subsidieaanvraag", "--format", "json", "--limit", "50").stdout)
    assert len(hits) == len({h["id"] for h in hits}) == 5

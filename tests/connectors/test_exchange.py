"""The ``exchange`` connector against a loopback EWS server (tests/servers/ews_server.py).

Each test starts its own server on 127.0.0.1, fills mailboxes with MIME messages, runs the
connector to the end with ``drain()`` and checks what it yielded and what the server was asked.
A second connector instance on the same MemorySink plays the next night's run.
"""

from __future__ import annotations

import json
import socket
import time

import pytest

from connectors.base import Checkpoint, SourceSpec
from connectors.exchange import ExchangeConnector
from conftest import MemorySink, drain
from servers.ews_server import EwsServer
from woo_collector.errors import ConfigError, SourceUnavailable
from woo_collector.models import Deletion, Item

ANNE = "anne.jansen@gemeente.example"
BERT = "bert.smit@gemeente.example"


def mime(n: int, subject: str = "", attachment: bool = False) -> bytes:
    subject = subject or f"Windturbines Kraaiennest {n}"
    head = (
        f"From: Anne Jansen <{ANNE}>\r\nTo: Raad <raad@gemeente.example>\r\nSubject: {subject}\r\n"
        f"Date: Tue, 11 Mar 2025 09:{n % 60:02d}:00 +0100\r\nMessage-ID: <msg{n}@gemeente.example>\r\n"
        "MIME-Version: 1.0\r\n"
    )
    if not attachment:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + f"Bericht nummer {n} over de windturbines.\r\n").encode()
    return (
        head + 'Content-Type: multipart/mixed; boundary="grens"\r\n\r\n'
        "--grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie de bijlage.\r\n"
        '--grens\r\nContent-Type: text/plain; name="notitie.txt"\r\nContent-Disposition: attachment; filename="notitie.txt"\r\n\r\n'
        "Notitie over de vergunning.\r\n--grens--\r\n"
    ).encode()


@pytest.fixture
def server(monkeypatch):
    monkeypatch.setenv("WOO_TEST_EWS_PASSWORD", "geheim")
    with EwsServer(username="svc-woo", password="geheim") as srv:
        yield srv


def connector(srv: EwsServer, sink: MemorySink, mailboxes: str = ANNE, **settings) -> ExchangeConnector:
    base = dict(
        service_endpoint=srv.endpoint, mailboxes=mailboxes, auth="basic", username="svc-woo",
        password_env="WOO_TEST_EWS_PASSWORD", retry_wait="0.05", retries="2",
    )
    base.update(settings)
    return ExchangeConnector(SourceSpec(name="mail-gemeente", type="exchange", settings=base), sink)


def subjects(out) -> list[str]:
    return sorted(i.subject for i in out["items"] if i.kind == "email")


def test_first_sync_takes_every_mail_folder_and_keeps_the_mime_bit_for_bit(server):
    server.add_mailbox(ANNE)
    inbox = server.folder_id(ANNE, "Inbox")
    projects = server.add_folder(ANNE, "Projecten", inbox)
    ids = [server.add_mail(ANNE, "Inbox", mime(1, attachment=True)), server.add_mail(ANNE, "Inbox", mime(2))]
    server.add_mail(ANNE, projects, mime(3, "Projectoverleg"))
    server.add_mail(ANNE, "Sent Items", mime(4, "Re: Windturbines"))
    server.add_mail(ANNE, "Deleted Items", mime(5, "Weggegooid"))
    server.add_mail(ANNE, "Calendar", mime(6, "Vergadering"))
    sink = MemorySink()

    out = drain(connector(server, sink))

    assert out["failures"] == []
    assert subjects(out) == ["Projectoverleg", "Re: Windturbines", "Windturbines Kraaiennest 1", "Windturbines Kraaiennest 2"]
    first = next(i for i in out["items"] if i.subject == "Windturbines Kraaiennest 1")
    assert sink.blobs[first.sha256] == mime(1, attachment=True)
    assert first.custodian == ANNE and first.source == "mail-gemeente"
    assert first.sent is not None and first.sent.utcoffset().total_seconds() == 0 and first.sent.hour == 8
    assert first.meta["ews_id"] == ids[0] and first.meta["mailbox"] == ANNE and first.folder == "Inbox"
    assert first.meta["path"] == f"ews://{ANNE}/Inbox"
    att = next(i for i in out["items"] if i.kind == "attachment")
    assert att.parent == first.id and att.subject == "notitie.txt" and "vergunning" in att.body
    assert next(i for i in out["items"] if i.subject == "Projectoverleg").folder == "Inbox/Projecten"
    # neither Deleted Items nor the calendar was synced
    synced = [r.body for r in server.requests if r.operation == "SyncFolderItems"]
    for name in ("Deleted Items", "Calendar"):
        assert not any(server.folder_id(ANNE, name) in body for body in synced)
    keys = {c.key for c in out["checkpoints"]}
    assert f"ews:{ANNE}:{inbox}" in keys and f"ews:{ANNE}:{projects}" in keys and f"ews:{ANNE}:hierarchy" in keys
    assert "GetItem" in server.operations(ANNE) and all(r.mailbox == ANNE for r in server.requests if r.operation != "ConvertId")


def test_nightly_run_fetches_exactly_the_two_new_mails(server):
    server.add_mailbox(ANNE)
    for n in range(3):
        server.add_mail(ANNE, "Inbox", mime(n))
    sink = MemorySink()
    first = drain(connector(server, sink))
    assert len(first["items"]) == 3
    new = [server.add_mail(ANNE, "Inbox", mime(10)), server.add_mail(ANNE, "Sent Items", mime(11, "Verzonden"))]
    before = len(server.requests)

    second = drain(connector(server, sink))

    got = [id_ for r in server.requests[before:] if r.operation == "GetItem" for id_ in _ids(r.body)]
    assert sorted(got) == sorted(new)
    assert subjects(second) == ["Verzonden", "Windturbines Kraaiennest 10"]
    assert not {i.id for i in first["items"]} & {i.id for i in second["items"]}
    # the second night sent the saved sync state instead of starting over
    assert all("<m:SyncState>" in r.body for r in server.requests[before:] if r.operation == "SyncFolderItems")
    third = drain(connector(server, sink))
    assert third["items"] == [] and third["failures"] == []


def _ids(body: str) -> list[str]:
    import xml.etree.ElementTree as ET

    return [e.get("Id") for e in ET.fromstring(body).iter("{http://schemas.microsoft.com/exchange/services/2006/types}ItemId")]


def test_pages_are_checkpointed_after_their_items_and_an_interrupted_sync_resumes(server):
    server.add_mailbox(ANNE)
    ids = [server.add_mail(ANNE, "Inbox", mime(n)) for n in range(5)]
    inbox_key = f"ews:{ANNE}:{server.folder_id(ANNE, 'Inbox')}"
    sink = MemorySink()
    gen = connector(server, sink, page_size="2").collect()
    seen: list = []
    for y in gen:  # a run that dies right after the first page of the Inbox was saved
        seen.append(y)
        if isinstance(y, Checkpoint):
            sink.states[y.key] = y.value
            if y.key == inbox_key:
                break
    gen.close()
    assert [type(y) for y in seen[-3:]] == [Item, Item, Checkpoint]
    pages = [r for r in server.requests if r.operation == "SyncFolderItems"]
    assert len(pages) == 1 and "<m:MaxChangesReturned>2</m:MaxChangesReturned>" in pages[0].body
    before = len(server.requests)

    rest = drain(connector(server, sink, page_size="2"))

    assert sorted(server.requested_item_ids()[2:]) == sorted(ids[2:])
    assert sorted(_ids_of(rest)) == sorted(ids[2:])
    inbox_pages = [r for r in server.requests[before:] if r.operation == "SyncFolderItems" and inbox_key.rsplit(":", 1)[1] in r.body]
    assert len(inbox_pages) == 2  # items 3-4, then item 5 with IncludesLastItemInRange true
    assert [c.key for c in rest["checkpoints"]].count(inbox_key) == 2


def _ids_of(out) -> list[str]:
    return [i.meta["ews_id"] for i in out["items"] if i.kind == "email"]


def test_server_busy_is_waited_out_with_the_servers_back_off_hint(server):
    server.add_mailbox(ANNE)
    server.add_mail(ANNE, "Inbox", mime(1))
    server.queue_fault("SyncFolderItems", "busy", times=2, backoff_ms=60)
    server.queue_fault("GetItem", "busy", times=1, backoff_ms=60)
    started = time.monotonic()

    out = drain(connector(server, MemorySink()))

    assert subjects(out) == ["Windturbines Kraaiennest 1"] and out["failures"] == []
    ops = server.operations(ANNE)
    assert ops.count("GetItem") == 2  # once refused, once answered
    assert ops.count("SyncFolderItems") == 2 + 2  # Inbox twice refused, then Inbox and Sent Items
    assert time.monotonic() - started >= 0.15  # it did wait as asked


def test_http_503_is_retried_after_retry_after(server):
    server.add_mailbox(ANNE)
    server.add_mail(ANNE, "Inbox", mime(1))
    server.queue_fault("GetItem", "http", times=1, status=503)

    out = drain(connector(server, MemorySink()))

    assert subjects(out) == ["Windturbines Kraaiennest 1"] and out["failures"] == []
    assert server.operations(ANNE).count("GetItem") == 2


def test_endless_throttling_gives_up_the_mailbox_after_max_wait(server):
    server.add_mailbox(ANNE)
    server.add_mail(ANNE, "Inbox", mime(1))
    server.queue_fault("SyncFolderItems", "busy", times=50, backoff_ms=100)

    out = drain(connector(server, MemorySink(), max_wait="0.35"))

    assert out["items"] == []
    [failure] = out["failures"]
    assert failure.path == f"ews://{ANNE}" and "throttled" in failure.reason
    assert server.operations(ANNE).count("SyncFolderItems") < 10


def test_a_deleted_mail_is_recorded_and_nothing_is_fetched_again(server):
    server.add_mailbox(ANNE)
    server.add_mail(ANNE, "Inbox", mime(1))
    gone = server.add_mail(ANNE, "Inbox", mime(2))
    sink = MemorySink()
    first = drain(connector(server, sink))
    server.delete_mail(ANNE, gone)
    before = len(server.requests)

    second = drain(connector(server, sink))

    assert second["items"] == [] and second["deletions"] == [Deletion(key=gone, locator=f"ews://{ANNE}/Inbox")]
    assert "GetItem" not in [r.operation for r in server.requests[before:]]
    gone_item = next(i for i in first["items"] if i.meta.get("ews_id") == gone)
    assert gone_item.sha256 in sink.blobs  # the evidence stays


def test_a_failing_mailbox_does_not_stop_the_others(server):
    server.add_mailbox(ANNE)
    server.add_mail(ANNE, "Inbox", mime(1))
    server.missing_mailboxes.add(BERT)

    out = drain(connector(server, MemorySink(), mailboxes=f"{BERT}, {ANNE}"))

    assert subjects(out) == ["Windturbines Kraaiennest 1"]
    [failure] = out["failures"]
    assert failure.path == f"ews://{BERT}" and "no such mailbox" in failure.reason
    assert out["items"][0].custodian == ANNE


def test_wrong_password_fails_at_once_without_hammering_the_server(server, monkeypatch):
    server.add_mailbox(ANNE)
    monkeypatch.setenv("WOO_TEST_EWS_PASSWORD", "fout")

    with pytest.raises(SourceUnavailable) as e:
        drain(connector(server, MemorySink(), mailboxes=f"{ANNE},{BERT}"))

    assert "no mailbox could be reached" in str(e.value) and "HTTP 401" in str(e.value)
    assert "fout" not in str(e.value)
    assert len(server.requests) <= 4  # one refused login per mailbox, no retry storm


def test_unreachable_server_raises_source_unavailable(monkeypatch):
    monkeypatch.setenv("WOO_TEST_EWS_PASSWORD", "geheim")
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    spec = SourceSpec(name="x", type="exchange", settings=dict(
        service_endpoint=f"http://127.0.0.1:{port}/EWS/Exchange.asmx", mailboxes=ANNE, auth="basic",
        username="svc-woo", password_env="WOO_TEST_EWS_PASSWORD", retries="2", retry_wait="0.01",
    ))
    with pytest.raises(SourceUnavailable, match="cannot connect"):
        drain(ExchangeConnector(spec, MemorySink()))


def test_new_and_renamed_folders_are_picked_up(server):
    server.add_mailbox(ANNE)
    inbox = server.folder_id(ANNE, "Inbox")
    projects = server.add_folder(ANNE, "Projecten", inbox)
    server.add_mail(ANNE, projects, mime(1))
    sink = MemorySink()
    drain(connector(server, sink))
    root = next(f.id for f in server.mailboxes[ANNE].folders.values() if f.distinguished == "msgfolderroot")
    council = server.add_folder(ANNE, "Raad", root)
    server.rename_folder(ANNE, projects, "Projecten 2026")
    server.add_mail(ANNE, council, mime(2, "Raadsvoorstel"))
    server.add_mail(ANNE, projects, mime(3, "Planning"))

    out = drain(connector(server, sink))

    folders = {i.subject: i.folder for i in out["items"]}
    assert folders == {"Raadsvoorstel": "Raad", "Planning": "Inbox/Projecten 2026"}
    tree = json.loads(sink.states[f"ews:{ANNE}:hierarchy"])
    assert tree["folders"][projects][0] == "Projecten 2026"
    hierarchy = [r.body for r in server.requests if r.operation == "SyncFolderHierarchy"]
    assert "<m:SyncState>" not in hierarchy[0] and "<m:SyncState>" in hierarchy[-1]


def test_a_removed_folder_is_recorded_and_no_longer_synced(server):
    server.add_mailbox(ANNE)
    old = server.add_folder(ANNE, "Oud project", server.folder_id(ANNE, "Inbox"))
    server.add_mail(ANNE, old, mime(1))
    sink = MemorySink()
    drain(connector(server, sink))
    server.delete_folder(ANNE, old)
    before = len(server.requests)

    out = drain(connector(server, sink))

    assert Deletion(key=old, locator=f"ews://{ANNE} (folder)") in out["deletions"]
    assert not any(old in r.body for r in server.requests[before:] if r.operation == "SyncFolderItems")
    assert old not in json.loads(sink.states[f"ews:{ANNE}:hierarchy"])["folders"]


def test_folders_setting_and_deleted_items_on_request(server):
    server.add_mailbox(ANNE)
    server.add_mail(ANNE, "Inbox", mime(1))
    server.add_mail(ANNE, "Sent Items", mime(2, "Verzonden"))
    server.add_mail(ANNE, "Deleted Items", mime(3, "Weggegooid"))

    only_sent = drain(connector(server, MemorySink(), folders="Sent Items"))
    with_deleted = drain(connector(server, MemorySink(), include_deleted="true"))
    named = drain(connector(server, MemorySink(), folders="inbox, Deleted Items"))

    assert subjects(only_sent) == ["Verzonden"]
    assert subjects(named) == ["Weggegooid", "Windturbines Kraaiennest 1"]
    assert subjects(with_deleted) == ["Verzonden", "Weggegooid", "Windturbines Kraaiennest 1"]


def test_the_online_archive_is_included_where_present(server):
    server.add_mailbox(ANNE, archive=True)
    server.add_mailbox(BERT)
    server.add_mail(ANNE, server.folder_id(ANNE, "Inbox", root="archivemsgfolderroot"), mime(1, "Uit 2019"))
    server.add_mail(BERT, "Inbox", mime(2, "Van Bert"))

    out = drain(connector(server, MemorySink(), mailboxes=f"{ANNE},{BERT}"))

    assert {i.subject: i.folder for i in out["items"]} == {"Uit 2019": "Archive/Inbox", "Van Bert": "Inbox"}
    assert out["failures"] == []


def test_an_item_the_server_cannot_convert_is_reported_and_retried_next_night(server):
    server.add_mailbox(ANNE)
    good = server.add_mail(ANNE, "Inbox", mime(1))
    bad = server.add_mail(ANNE, "Inbox", mime(2, "Lastig"))
    server.broken_items.add(bad)
    sink = MemorySink()

    first = drain(connector(server, sink))

    assert _ids_of(first) == [good]
    [failure] = first["failures"]
    assert failure.locator == bad and "ErrorMimeContentConversionFailed" in failure.reason
    server.broken_items.clear()
    second = drain(connector(server, sink))
    assert _ids_of(second) == [bad] and second["failures"] == []
    assert drain(connector(server, sink))["items"] == []


def test_content_that_is_not_mail_is_kept_and_reported(server):
    server.add_mailbox(ANNE)
    junk = b"\x00\x01 dit is geen e-mail"
    iid = server.add_mail(ANNE, "Inbox", junk)
    sink = MemorySink()

    out = drain(connector(server, sink))

    [failure] = out["failures"]
    assert failure.locator == iid and sink.blobs[failure.sha256] == junk


def test_a_lost_sync_state_starts_the_folder_over_without_new_ids(server):
    server.add_mailbox(ANNE)
    server.add_mail(ANNE, "Inbox", mime(1))
    sink = MemorySink()
    first = drain(connector(server, sink))
    key = f"ews:{ANNE}:{server.folder_id(ANNE, 'Inbox')}"
    sink.states[key] = "ZGl0IGlzIG9uemluIQ=="  # the server no longer accepts this state

    again = drain(connector(server, sink))

    assert [i.id for i in again["items"]] == [i.id for i in first["items"]]
    assert sink.states[key] != "ZGl0IGlzIG9uemluIQ=="


@pytest.mark.parametrize("settings, message", [
    (dict(mailboxes=""), "no mailboxes"),
    (dict(mailboxes="geen-adres"), "not an SMTP address"),
    (dict(auth="kerberos"), "choose oauth, ntlm or basic"),
    (dict(password_env="WOO_TEST_EWS_UNSET"), "password_env"),
    (dict(service_endpoint="http://mail.gemeente.example/EWS/Exchange.asmx"), "https"),
    (dict(auth="oauth", tenant_id="t"), "client_id"),
])
def test_bad_settings_say_what_to_set(monkeypatch, settings, message):
    monkeypatch.setenv("WOO_TEST_EWS_PASSWORD", "geheim")
    monkeypatch.delenv("WOO_TEST_EWS_UNSET", raising=False)
    base = dict(service_endpoint="http://127.0.0.1:9/EWS/Exchange.asmx", mailboxes=ANNE, auth="basic",
                username="svc-woo", password_env="WOO_TEST_EWS_PASSWORD")
    base.update(settings)
    with pytest.raises(ConfigError, match=message):  # a bad setting is a ConfigError, as in graph and imap
        drain(ExchangeConnector(SourceSpec(name="x", type="exchange", settings=base), MemorySink()))


def test_exchange_online_uses_app_only_oauth_with_impersonation(monkeypatch):
    from exchangelib import IMPERSONATION, OAUTH2, OAuth2Credentials

    from connectors.exchange import Session, Settings

    monkeypatch.setenv("WOO_TEST_EWS_SECRET", "app-geheim")
    spec = SourceSpec(name="online", type="exchange", settings=dict(
        mailboxes=ANNE, auth="oauth", tenant_id="c0ffee00-0000-4000-8000-000000000001",
        client_id="c0ffee00-0000-4000-8000-000000000002", client_secret_env="WOO_TEST_EWS_SECRET",
    ))
    session = Session(Settings.from_spec(spec))

    creds = session.config.credentials
    assert isinstance(creds, OAuth2Credentials) and session.config.auth_type == OAUTH2
    assert creds.client_secret == "app-geheim" and creds.tenant_id.endswith("0001")
    assert session.config.service_endpoint == "https://outlook.office365.com/EWS/Exchange.asmx"
    assert Settings.from_spec(spec).access == IMPERSONATION


def test_registered_as_a_network_connector():
    import connectors

    cls = connectors.get("exchange")
    assert cls is ExchangeConnector and cls.network and cls.name == "exchange"


def test_nightly_woo_ingest_against_the_loopback_server(server, tmp_path):
    """The acceptance check: `woo ingest` twice; the second night fetches only the two new mails."""
    from click.testing import CliRunner

    from woo_collector.cli import cli

    def woo(*args: str):
        return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "--quiet", *args], catch_exceptions=False)

    server.add_mailbox(ANNE)
    for n in range(3):
        server.add_mail(ANNE, "Inbox", mime(n, attachment=n == 0))
    assert woo("init", "--organisation", "Gemeente Test").exit_code == 0
    r = woo("source", "add", "mail-anne", "--type", "exchange", "--custodian", "Anne Jansen",
            "--set", f"service_endpoint={server.endpoint}", "--set", f"mailboxes={ANNE}", "--set", "auth=basic",
            "--set", "username=svc-woo", "--set", "password_env=WOO_TEST_EWS_PASSWORD")
    assert r.exit_code == 0, r.output
    assert "geheim" not in (tmp_path / "ws" / "woo.toml").read_text()

    first = woo("ingest")
    assert first.exit_code == 0, first.output
    new = [server.add_mail(ANNE, "Inbox", mime(20, "Nieuw bericht")), server.add_mail(ANNE, "Sent Items", mime(21, "Antwoord"))]
    before = len(server.requests)
    second = woo("ingest")
    assert second.exit_code == 0, second.output
    assert sorted(id_ for r in server.requests[before:] if r.operation == "GetItem" for id_ in _ids(r.body)) == sorted(new)

    found = woo("search", "windturbines OR nieuw OR antwoord", "--format", "json")
    assert found.exit_code == 0, found.output
    hits = json.loads(found.stdout)
    emails = [h for h in hits if h["kind"] == "email"]
    assert len(emails) == len({h["id"] for h in emails}) == 5
    assert {h["custodian"] for h in hits} == {"Anne Jansen"}

"""The imap connector against a real Dovecot on loopback (tests/servers/dovecot.py)."""

from __future__ import annotations

import re
import time

import pytest

from conftest import MemorySink, drain
from connectors.base import SourceSpec
from connectors.imap import ImapConnector, decode_mutf7
from servers.dovecot import CuttingProxy, dovecot_server
from woo_collector.errors import ConfigError, ConnectorError, SourceUnavailable


@pytest.fixture(scope="session")
def dovecot():
    """One Dovecot for this module's tests (defined here, not imported, so no name shadows another)."""
    yield from dovecot_server()


@pytest.fixture
def mailbox(dovecot, monkeypatch):
    user, password = dovecot.new_user()
    monkeypatch.setenv("WOO_TEST_IMAP_PW", password)
    return user, password


def mail(n: int, subject: str = "", body: str = "", attachment: bytes | None = None) -> bytes:
    subject = subject or f"Bericht {n}"
    body = body or f"Beste collega,\r\n\r\nDit is bericht nummer {n} over de windturbines.\r\n"
    head = (
        f"From: Sanne de Vries <s.devries@gemeente.example>\r\n"
        f"To: griffie@gemeente.example\r\n"
        f"Subject: {subject}\r\n"
        f"Date: Tue, 11 Mar 2025 09:{n % 60:02d}:00 +0100\r\n"
        f"Message-ID: <m{n}.{subject.replace(' ', '-')}@gemeente.example>\r\n"
        f"MIME-Version: 1.0\r\n"
    )
    if attachment is None:
        return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + body).encode()
    import base64

    b64 = base64.encodebytes(attachment).decode().replace("\n", "\r\n")
    return (
        head + 'Content-Type: multipart/mixed; boundary="grens"\r\n\r\n'
        "--grens\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n"
        "--grens\r\nContent-Type: text/plain; name=\"notitie.txt\"\r\n"
        "Content-Disposition: attachment; filename=\"notitie.txt\"\r\n"
        "Content-Transfer-Encoding: base64\r\n\r\n" + b64 + "--grens--\r\n"
    ).encode()


def connector(user: str, port: int, sink: MemorySink, **settings) -> ImapConnector:
    values = {"host": "127.0.0.1", "port": str(port), "tls": "none", "user": user,
              "password_env": "WOO_TEST_IMAP_PW", **settings}
    spec = SourceSpec(name="raadsgriffie", type="imap", custodian="Griffie", settings=values)
    return ImapConnector(spec, sink)


def emails(out: dict) -> list:
    return [i for i in out["items"] if i.kind == "email"]


def test_first_sync_reads_every_folder_bit_for_bit_without_setting_seen(dovecot, mailbox):
    user, pw = mailbox
    inbox = [mail(1), mail(2), mail(3, attachment=b"agenda raadsvergadering\n")]
    archive = [mail(4), mail(5)]
    dovecot.append(user, pw, "INBOX", inbox)
    dovecot.append(user, pw, "Archief", archive)
    dovecot.append(user, pw, "Archief.2024", [mail(6)])
    dovecot.append(user, pw, "Bijlagen &AOk-", [mail(7)])  # modified UTF-7 for "Bijlagen é"
    sink = MemorySink()
    c = connector(user, dovecot.port, sink)
    out = drain(c)

    assert out["failures"] == []
    got = {i.subject: i for i in emails(out)}
    assert sorted(got) == [f"Bericht {n}" for n in range(1, 8)]
    assert got["Bericht 4"].folder == "Archief"
    assert got["Bericht 6"].folder == "Archief.2024"
    assert got["Bericht 7"].folder == "Bijlagen é"
    assert got["Bericht 1"].meta["uid"] == 1 and got["Bericht 1"].meta["uidvalidity"] > 0
    assert got["Bericht 1"].locator == ""
    assert got["Bericht 1"].sent.isoformat() == "2025-03-11T08:01:00+00:00"
    assert got["Bericht 2"].sender == "Sanne de Vries <s.devries@gemeente.example>"
    assert "bericht nummer 5" in got["Bericht 5"].body
    assert got["Bericht 1"].meta["path"] == "imap://127.0.0.1/INBOX"
    # originals kept bit for bit
    for raw in inbox + archive:
        assert raw in sink.blobs.values()
    assert sink.blobs[got["Bericht 3"].sha256] == inbox[2]
    att = [i for i in out["items"] if i.kind == "attachment"]
    assert [(a.subject, a.parent, a.body.strip()) for a in att] == [("notitie.txt", got["Bericht 3"].id, "agenda raadsvergadering")]
    # checkpoints per folder: <uidvalidity>:<last uid>
    v = got["Bericht 1"].meta["uidvalidity"]
    assert sink.states["imap:INBOX"] == f"{v}:3"
    assert sink.states["imap:Archief"].endswith(":2")
    assert sink.states["imap:Bijlagen é"].endswith(":1")
    assert c.fetch_commands == 4
    # BODY.PEEK: the server did not mark anything as read
    cl = dovecot.client(user, pw)
    try:
        cl.select("INBOX", readonly=True)
        typ, flags = cl.uid("FETCH", "1:*", "(FLAGS)")
        assert typ == "OK" and all(b"\\Seen" not in f for f in flags)
    finally:
        cl.logout()


def _session_bodies(dovecot, user: str, sessions: int) -> list[int]:
    """body_count of each finished IMAP session of ``user``, from Dovecot's own log (waits for ``sessions`` of them)."""
    deadline = time.monotonic() + 5
    while True:
        counts = [int(c) for c in re.findall(rf"imap\({user}\).*Disconnected.*body_count=(\d+)", dovecot.log())]
        if len(counts) >= sessions or time.monotonic() > deadline:
            return counts
        time.sleep(0.1)


def test_second_run_fetches_exactly_the_two_new_mails(dovecot, mailbox):
    user, pw = mailbox
    dovecot.append(user, pw, "INBOX", [mail(n) for n in range(1, 6)])
    dovecot.append(user, pw, "Archief", [mail(n) for n in range(6, 9)])
    sink = MemorySink()
    first = drain(connector(user, dovecot.port, sink))
    assert len(emails(first)) == 8

    dovecot.append(user, pw, "INBOX", [mail(20, "Nieuw A"), mail(21, "Nieuw B")])
    c2 = connector(user, dovecot.port, sink)
    second = drain(c2)
    assert c2.fetched == {"INBOX": [6, 7]}
    assert c2.fetch_commands == 1
    assert sorted(i.subject for i in emails(second)) == ["Nieuw A", "Nieuw B"]
    assert not {i.id for i in first["items"]} & {i.id for i in second["items"]}
    # the server's own account: two delivery sessions, the first run (8 bodies), one more delivery,
    # then the second run, which received exactly two message bodies
    assert sorted(_session_bodies(dovecot, user, 5)) == [0, 0, 0, 2, 8]

    c3 = connector(user, dovecot.port, sink)
    third = drain(c3)
    assert third["items"] == [] and c3.fetch_commands == 0


def test_batches_checkpoint_as_they_go(dovecot, mailbox):
    user, pw = mailbox
    dovecot.append(user, pw, "INBOX", [mail(n) for n in range(1, 8)])
    sink = MemorySink()
    c = connector(user, dovecot.port, sink, batch="3")
    out = drain(c)
    assert c.fetch_commands == 3
    assert [cp.value.split(":")[1] for cp in out["checkpoints"]] == ["3", "6", "7"]


def test_new_uidvalidity_resyncs_the_folder_without_duplicates(dovecot, mailbox):
    user, pw = mailbox
    msgs = [mail(n) for n in range(1, 4)]
    dovecot.append(user, pw, "Projecten", msgs)
    dovecot.append(user, pw, "INBOX", [mail(10)])
    sink = MemorySink()
    first = drain(connector(user, dovecot.port, sink))
    old_state = sink.states["imap:Projecten"]
    first_ids = {i.id for i in first["items"]}

    time.sleep(1.1)  # Dovecot derives a new UIDVALIDITY from the clock
    dovecot.recreate_folder(user, pw, "Projecten", msgs + [mail(4)])
    c2 = connector(user, dovecot.port, sink)
    second = drain(c2)
    assert c2.fetched == {"Projecten": [1, 2, 3, 4]}  # the whole rebuilt folder, INBOX untouched
    new_state = sink.states["imap:Projecten"]
    assert new_state.split(":")[0] != old_state.split(":")[0] and new_state.endswith(":4")
    ids = [i.id for i in emails(second)]
    assert len(ids) == 4
    assert len(set(ids) - first_ids) == 1  # only Bericht 4 is new; the others keep their ids


def test_connection_dropped_mid_fetch_keeps_what_came_and_next_run_completes(dovecot, mailbox):
    user, pw = mailbox
    filler = "Lorem ipsum dolor sit amet, gemeente Kraaiennest. " * 1000  # about 50 kB each
    msgs = [mail(n, body=filler + f"\r\nnummer {n}\r\n") for n in range(1, 7)]
    dovecot.append(user, pw, "INBOX", msgs)
    sink = MemorySink()
    proxy = CuttingProxy((dovecot.host, dovecot.port), cut_after=130_000)  # inside the second batch
    try:
        c = connector(user, proxy.port, sink, batch="2")
        got = []
        with pytest.raises(ConnectorError) as err:
            for y in c.collect():
                got.append(y)
                if type(y).__name__ == "Checkpoint":
                    sink.states[y.key] = y.value
    finally:
        proxy.close()
    assert proxy.cuts == 1
    assert "connection lost after UID 2 in folder INBOX" in str(err.value)
    assert "next run continues" in str(err.value)
    first = [y for y in got if type(y).__name__ == "Item"]
    assert [i.meta["uid"] for i in first] == [1, 2]
    assert sink.states["imap:INBOX"].endswith(":2")

    c2 = connector(user, dovecot.port, sink, batch="2")
    second = drain(c2)
    assert c2.fetched == {"INBOX": [3, 4, 5, 6]}
    all_ids = [i.id for i in first] + [i.id for i in second["items"]]
    assert len(all_ids) == len(set(all_ids)) == 6
    assert sorted(sink.blobs[i.sha256] for i in first + second["items"]) == sorted(msgs)


def test_unreadable_message_is_kept_and_reported(dovecot, mailbox):
    user, pw = mailbox
    dovecot.append(user, pw, "INBOX", [b"dit is geen e-mail\r\nmaar een los stuk tekst\r\n", mail(2)])
    sink = MemorySink()
    out = drain(connector(user, dovecot.port, sink))
    assert [i.subject for i in emails(out)] == ["Bericht 2"]
    (f,) = out["failures"]
    assert f.locator == "UID 1" and "not an e-mail message" in f.reason
    assert sink.blobs[f.sha256] == b"dit is geen e-mail\r\nmaar een los stuk tekst\r\n"


def test_folders_setting_limits_the_sync(dovecot, mailbox):
    user, pw = mailbox
    dovecot.append(user, pw, "INBOX", [mail(1)])
    dovecot.append(user, pw, "Archief", [mail(2)])
    dovecot.append(user, pw, "Leeg", [])
    c = connector(user, dovecot.port, MemorySink(), folders="Archief")
    assert [i.subject for i in emails(drain(c))] == ["Bericht 2"]
    sink = MemorySink()
    out = drain(connector(user, dovecot.port, sink))
    assert len(emails(out)) == 2 and out["failures"] == []
    assert sink.states["imap:Leeg"].endswith(":0")  # an empty folder is noted, nothing fetched
    with pytest.raises(ConfigError, match="no such IMAP folder.*Bestaatniet"):
        drain(connector(user, dovecot.port, MemorySink(), folders="Bestaatniet"))


def test_imaps_and_starttls_with_the_servers_ca(dovecot, mailbox):
    user, pw = mailbox
    dovecot.append(user, pw, "INBOX", [mail(1)])
    out = drain(connector(user, dovecot.tls_port, MemorySink(), tls="ssl", ca_file=str(dovecot.cert)))
    assert [i.subject for i in emails(out)] == ["Bericht 1"]
    out = drain(connector(user, dovecot.port, MemorySink(), tls="starttls", ca_file=str(dovecot.cert)))
    assert [i.subject for i in emails(out)] == ["Bericht 1"]
    with pytest.raises(SourceUnavailable, match="certificate is not trusted.*ca_file"):
        drain(connector(user, dovecot.tls_port, MemorySink(), tls="ssl"))
    with pytest.raises(SourceUnavailable, match="certificate is not trusted.*ca_file"):
        drain(connector(user, dovecot.port, MemorySink(), tls="starttls"))
    with pytest.raises(SourceUnavailable, match="cannot reach IMAP server.*check host, port and tls"):
        drain(connector(user, dovecot.port, MemorySink(), tls="ssl", ca_file=str(dovecot.cert)))  # IMAPS to the plain port
    out = drain(connector(user, dovecot.tls_port, MemorySink(), tls="ssl", verify="no"))
    assert len(emails(out)) == 1


def test_plaintext_only_on_loopback(monkeypatch):
    monkeypatch.setenv("WOO_TEST_IMAP_PW", "x")
    spec = SourceSpec("s", "imap", settings={"host": "imap.gemeente.example", "user": "u", "tls": "none", "password_env": "WOO_TEST_IMAP_PW"})
    with pytest.raises(ConfigError, match="only allowed for 127.0.0.1"):
        drain(ImapConnector(spec, MemorySink()))


def test_modified_utf7_folder_names():
    assert decode_mutf7(b"Verzonden items") == "Verzonden items"
    assert decode_mutf7(b"Bijlagen &AOk-") == "Bijlagen é"
    assert decode_mutf7(b"R&-D") == "R&D"
    assert decode_mutf7(b"&ZeVnLIqe-") == "日本語"


def test_fetch_answers_in_the_shapes_servers_send():
    from connectors.imap import _parse_bodies, _parse_list

    # UID before the literal (Dovecot) and after it (some Exchange and Cyrus versions)
    data = [(b"1 (UID 7 BODY[] {5}", b"Hallo"), b")", (b"2 (BODY[] {3}", b"Dag"), b" UID 9)"]
    assert _parse_bodies(data) == {7: b"Hallo", 9: b"Dag"}
    listing = [
        b'(\\HasNoChildren) "/" INBOX',
        b'(\\Noselect \\HasChildren) "/" "[Gmail]"',
        b'(\\HasNoChildren \\Sent) "/" "Verzonden \\"items\\""',
        (b'(\\HasNoChildren) "/" {7}', b"Archief"),
        b'(\\HasNoChildren) NIL Losse',
    ]
    assert list(_parse_list(listing)) == [
        ("\\hasnochildren", b"INBOX"), ("\\noselect \\haschildren", b"[Gmail]"),
        ("\\hasnochildren \\sent", b'Verzonden "items"'), ("\\hasnochildren", b"Archief"), ("\\hasnochildren", b"Losse"),
    ]


def test_non_ascii_password_logs_in_with_sasl_plain(dovecot, monkeypatch):
    from servers.dovecot import UTF8_USERS

    monkeypatch.setenv("WOO_TEST_IMAP_PW", UTF8_USERS["bart"])
    out = drain(connector("bart", dovecot.port, MemorySink()))
    assert out["items"] == [] and out["failures"] == []
    assert re.search(r"Login: user=<bart>, method=PLAIN", dovecot.log())


# last: Dovecot slows down later logins from an address that gave a wrong password
def test_unreachable_server_and_bad_login_say_what_to_check(dovecot, mailbox, monkeypatch):
    from servers.dovecot import free_port

    user, _ = mailbox
    with pytest.raises(SourceUnavailable, match="cannot reach IMAP server 127.0.0.1:.*check host, port and tls"):
        drain(connector(user, free_port(), MemorySink()))
    monkeypatch.setenv("WOO_TEST_IMAP_PW", "fout")
    with pytest.raises(SourceUnavailable, match=f"refused the login of {user}.*WOO_TEST_IMAP_PW"):
        drain(connector(user, dovecot.port, MemorySink()))
    monkeypatch.delenv("WOO_TEST_IMAP_PW")
    with pytest.raises(ConfigError, match="WOO_TEST_IMAP_PW is empty or not set"):
        drain(connector(user, dovecot.port, MemorySink()))


def test_woo_ingest_through_a_dropping_connection_exits_3_then_completes(dovecot, mailbox, tmp_path):
    """The acceptance check as cron sees it: exit 3 with a clear message, what came is kept, the next night completes."""
    import json

    from click.testing import CliRunner

    from woo_collector.cli import cli

    def woo(*args: str):
        return CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "--quiet", *args], catch_exceptions=False)

    user, pw = mailbox
    filler = "Lorem ipsum dolor sit amet, gemeente Kraaiennest. " * 1000
    dovecot.append(user, pw, "INBOX", [mail(n, body=filler + f"\r\nnummer {n}\r\n") for n in range(1, 7)])
    proxy = CuttingProxy((dovecot.host, dovecot.port), cut_after=130_000)
    try:
        assert woo("init", "--organisation", "Gemeente Test").exit_code == 0
        for name, port in (("via-proxy", proxy.port), ("direct", dovecot.port)):
            r = woo("source", "add", name, "--type", "imap", "--custodian", "Griffie", "--set", "host=127.0.0.1",
                    "--set", f"port={port}", "--set", "tls=none", "--set", f"user={user}", "--set", "password_env=WOO_TEST_IMAP_PW",
                    "--set", "batch=2")
            assert r.exit_code == 0, r.output
        first = woo("ingest", "via-proxy")
        assert first.exit_code == 3, first.output
        assert "connection lost after UID 2 in folder INBOX" in first.output
    finally:
        proxy.close()
    import tomllib

    from woo_collector.workspace import Workspace

    ws = Workspace.open(tmp_path / "ws")  # point the source at the server itself, as an administrator mends the network
    ws.config["sources"]["via-proxy"]["settings"]["port"] = str(dovecot.port)
    ws.save_config()
    assert tomllib.loads((tmp_path / "ws" / "woo.toml").read_text())["sources"]["via-proxy"]["settings"]["port"] == str(dovecot.port)
    second = woo("ingest", "via-proxy")
    assert second.exit_code == 0, second.output
    runs = json.loads(woo("runs", "--format", "json").stdout)
    assert [(x["status"], x["new"]) for x in runs] == [("ok", 4), ("partial", 2)]
    assert not json.loads(woo("failures", "--format", "json").stdout)

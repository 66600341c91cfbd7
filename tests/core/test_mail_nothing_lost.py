"""Through the CLI: one hostile or odd mail never stops a mailbox, and never vanishes silently."""

import json


from woo_collector.synth import write_maildir
from tests.conftest import woo


def nested_mail(levels: int) -> bytes:
    """A mail holding a mail holding a mail ... ``levels`` deep, each level a multipart with a text part."""
    raw = b"From: a@example.org\r\nSubject: onderste\r\nMessage-ID: <leaf@example.org>\r\n\r\nbodem\r\n"
    for i in range(levels):
        b = b"grens%d" % i
        raw = (b"From: a@example.org\r\nSubject: niveau %d\r\nMessage-ID: <n%d@example.org>\r\n" % (i, i)
               + b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b
               + b"\r\nContent-Type: text/plain\r\n\r\ntekst %d\r\n--" % i + b
               + b"\r\nContent-Type: message/rfc822\r\n\r\n" + raw + b"\r\n--" + b + b"--\r\n")
    return raw


def test_a_mail_nested_150_deep_is_one_failure_and_the_maildir_goes_in(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    box = tmp_path / "sanne"
    write_maildir(box, 20, seed=3)
    (box / "cur" / "1800000000.M1P1.host:2,S").write_bytes(nested_mail(150))
    assert woo(ws, "source", "add", "sanne", "--type", "maildir", "--path", str(box), "--custodian", "Sanne").exit_code == 0
    r = woo(ws, "ingest")
    assert r.exit_code == 3, r.output
    hits = json.loads(woo(ws, "search", "*", "--format", "json", "--limit", "100").stdout)
    assert len({h["id"] for h in hits if h.get("kind", "email") == "email"}) == 20, hits
    fails = json.loads(woo(ws, "failures", "--format", "json").stdout)
    assert len(fails) == 1
    assert fails[0]["path"].endswith("1800000000.M1P1.host:2,S")
    assert "nested" in fails[0]["reason"] and "kept" in fails[0]["reason"]

"""Nothing lost in mail: every part of a message becomes body text, an attachment, or a listed Failure.

Each test is one class of loss seen on other parsers' public fixtures (../shared/samples) or built here.
"""

import hashlib

from tests.conftest import MemorySink, run_connector
from tests.core.test_mail_nothing_lost import nested_mail
from connectors.support.mime import MailContext, parse_mail
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item


def parse(raw: bytes):
    return parse_mail(raw, MailContext("src", "cust", MemorySink(), "x.eml"), hashlib.sha256(raw).hexdigest())


def items_of(out):
    return [i for i in out if isinstance(i, Item)]


def failures_of(out):
    return [f for f in out if isinstance(f, Failure)]


# 1. limits: one hostile message is one Failure, the mailbox goes on --------------------------------

def nested_multipart(levels: int) -> bytes:
    body = b"Content-Type: text/plain\r\n\r\nbodem\r\n"
    for i in range(levels):
        b = b"g%d" % i
        body = b"Content-Type: multipart/mixed; boundary=" + b + b"\r\n\r\n--" + b + b"\r\n" + body + b"\r\n--" + b + b"--\r\n"
    return b"From: a@example.org\r\nSubject: diep\r\n" + body


def test_deep_nesting_is_refused_with_a_reason_not_a_recursion_error():
    for raw in (nested_mail(150), nested_mail(1000), nested_multipart(150), nested_multipart(3000)):
        try:
            parse(raw)
        except ConnectorError as e:
            assert "nested" in e.reason and "kept" in e.reason
        else:
            raise AssertionError("a message nested that deep parsed as if whole")


def test_mail_nested_past_the_text_depth_is_a_failure_not_silence():
    out = parse(nested_mail(12))
    assert items_of(out)[0].subject == "niveau 11"
    assert any("nested more than" in f.reason for f in failures_of(out))


def test_an_mbox_goes_on_past_a_message_nested_150_deep(tmp_path):
    good = b"From: a@example.org\nSubject: goed %d\nMessage-ID: <g%d@example.org>\n\nwindturbines %d\n"
    box = b"".join(b"From a@x Tue Mar 11 09:14:00 2025\n" + m + b"\n" for m in
                   (good % (1, 1, 1), nested_mail(150).replace(b"\r\n", b"\n"), good % (2, 2, 2)))
    (tmp_path / "box.mbox").write_bytes(box)
    out = run_connector("mbox", tmp_path / "box.mbox")
    assert {i.subject for i in out["items"]} == {"goed 1", "goed 2"}
    assert len(out["failures"]) == 1 and "nested" in out["failures"][0].reason
    assert out["failures"][0].sha256

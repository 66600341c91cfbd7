"""The shared mail parser on real messages written by other software."""

import email.utils
import glob
import hashlib
import os
from datetime import datetime, timezone

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.conftest import MemorySink, sample
from woo_collector.errors import ConnectorError
from connectors.support.mime import MailContext, decode_header, parse_addresses, parse_date, parse_mail
from woo_collector.models import Failure, Item


def parse(raw: bytes):
    sink = MemorySink()
    return parse_mail(raw, MailContext("src", "cust", sink, "x.eml"), hashlib.sha256(raw).hexdigest()), sink


def cpython_mails():
    try:
        import test.test_email
    except ImportError:
        return []
    return sorted(glob.glob(os.path.join(os.path.dirname(test.test_email.__file__), "data", "msg_*.txt")))


@pytest.mark.parametrize("path", cpython_mails() or [pytest.param("", marks=pytest.mark.skip(reason="CPython's test.test_email is not installed"))])
def test_cpython_corpus_parses_or_is_refused_clearly(path):
    raw = open(path, "rb").read()
    try:
        items, _ = parse(raw)
    except ConnectorError as e:
        assert "not an e-mail message" in e.reason
        return
    mail = items[0]
    assert isinstance(mail, Item) and mail.kind == "email"
    assert mail.message_id
    assert all(i.parent == mail.id for i in items[1:] if isinstance(i, Item))


def test_encoded_headers_and_latin1_body():
    raw = ("From: =?iso-8859-1?q?Andr=E9_Pirard?= <pirard@example.org>\r\n"
           "To: =?utf-8?b?w4lsw6luYQ==?= <e@example.org>\r\n"
           "Subject: =?iso-8859-1?q?Caf=E9?= in de raad\r\n"
           "Date: Tue, 11 Mar 2025 09:14:00 +0100\r\n"
           "Content-Type: text/plain\r\n\r\n").encode() + "Één café, geen charset opgegeven.\r\n".encode("latin-1")
    items, _ = parse(raw)
    mail = items[0]
    assert mail.sender == "André Pirard <pirard@example.org>"
    assert mail.recipients == ("Éléna <e@example.org>",)
    assert mail.subject == "Café in de raad"
    assert "café" in mail.body and "Één" in mail.body
    assert mail.sent == datetime(2025, 3, 11, 8, 14, tzinfo=timezone.utc)


def test_html_only_body_becomes_text_and_missing_message_id_is_derived():
    raw = (b"From: a@example.org\r\nSubject: HTML\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
           b"<html><head><style>p{color:red}</style></head><body><p>Eerste alinea</p><p>Tweede &amp; laatste</p></body></html>")
    (mail,), _ = parse(raw)
    assert mail.body == "Eerste alinea\n\nTweede & laatste"
    assert "color" not in mail.body
    again, _ = parse(raw)
    assert mail.message_id.endswith("@woo-collector.derived>") and again[0].message_id == mail.message_id
    assert mail.meta["date_unknown"] is True and mail.sent is None


def test_odd_date_formats():
    assert parse_date("11 Mar 2025 09:14 +0100") == datetime(2025, 3, 11, 8, 14, tzinfo=timezone.utc)
    assert parse_date("2025-03-11 09:14:00") == datetime(2025, 3, 11, 9, 14, tzinfo=timezone.utc)
    assert parse_date("not a date at all") is None
    assert decode_header("=?bogus-charset?q?abc?=") == "abc"


def test_attachments_become_children_with_text_and_nested_mail():
    from email.message import EmailMessage

    inner = EmailMessage()
    inner["From"] = "b@example.org"
    inner["Subject"] = "Oorspronkelijk bericht"
    inner.set_content("Tekst van het doorgestuurde bericht over windturbines.")
    m = EmailMessage()
    m["From"] = "a@example.org"
    m["Subject"] = "Met bijlagen"
    m.set_content("Zie bijlagen.")
    m.add_attachment(b"platte tekst bijlage", maintype="text", subtype="plain", filename="notitie.txt")
    m.add_attachment(b"\x89PNG\r\n\x1a\n\x00\x00", maintype="image", subtype="png", filename="foto.png")
    m.add_attachment(inner)
    items, sink = parse(m.as_bytes())
    mail, *atts = items
    assert [a.subject for a in atts] == ["notitie.txt", "foto.png", "doorgestuurd-bericht.eml"]
    assert atts[0].body == "platte tekst bijlage"
    assert atts[1].body == "" and atts[1].filetype == "image"
    assert "windturbines" in atts[2].body and "Oorspronkelijk bericht" in atts[2].body
    assert all(a.parent == mail.id and a.kind == "attachment" for a in atts)
    assert sink.blobs[atts[1].sha256] == b"\x89PNG\r\n\x1a\n\x00\x00"


def test_undecodable_body_is_reported_and_headers_kept():
    raw = (b"From: a@example.org\r\nSubject: Kapot\r\nContent-Type: text/plain\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\n%%%% dit is geen base64 !!!!\r\n")
    items, _ = parse(raw)
    mail = items[0]
    assert mail.subject == "Kapot"
    failures = [i for i in items if isinstance(i, Failure)]
    assert failures and "not base64" in failures[0].reason


@pytest.mark.parametrize("charset", ["; charset=utf-8", ""])
def test_eight_bit_bytes_in_a_base64_body_are_reported_not_a_crash(charset):
    raw = (b"From: a@example.org\r\nSubject: Kapot\r\nContent-Type: text/plain" + charset.encode() + b"\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\nSGFsbG8g\xff\xfed2VyZWxk\r\n")
    items, _ = parse(raw)
    assert items[0].subject == "Kapot"
    failures = [i for i in items if isinstance(i, Failure)]
    assert failures and "not base64" in failures[0].reason


def test_not_mail_is_refused():
    with pytest.raises(ConnectorError, match="not an e-mail message"):
        parse(b"\x89PNG\r\n\x1a\n binary junk")


def test_ingest_file_samples():
    from tests.conftest import run_connector

    out = run_connector("eml", sample("ingest-file/tests/fixtures"))
    subjects = {i.subject for i in out["items"] if i.kind == "email"}
    assert {"Multipart alternative", "HTML only", "JUnit test message", "This message has an email attachment"} <= subjects
    thunder = next(i for i in out["items"] if i.subject == "JUnit test message")
    assert thunder.sender.startswith("Vladimir L.")
    assert thunder.sent == datetime(2012, 11, 21, 20, 11, 32, tzinfo=timezone.utc)
    html_only = next(i for i in out["items"] if i.subject == "HTML only")
    assert "<" not in html_only.body and html_only.body.strip()
    emlx = run_connector("eml", sample("ingest-file/tests/fixtures/plaintext.emlx"))
    assert emlx["items"] and emlx["items"][0].kind == "email" and not emlx["failures"]


def test_mail_parser_samples_never_crash():
    for path in sorted(glob.glob(str(sample("mail-parser/tests/mails") / "mail_*"))):
        raw = open(path, "rb").read()
        try:
            items, _ = parse(raw)
        except ConnectorError:
            assert path.endswith("mail_outlook_1")  # an Outlook .msg, for the msg connector
            continue
        assert items[0].kind == "email"


@pytest.mark.parametrize("hostile", ["<" * 40000, "<!--" * 20000, "<style>" * 30000, "<script>x</scr" * 10000, " " * 80000 + "x"],
                         ids=["lt", "comments", "styles", "scripts", "spaces"])
def test_html_and_whitespace_cleanup_is_linear_on_hostile_input(hostile):
    import time

    from woo_collector.text import html_to_text, tidy

    t = time.perf_counter()
    html_to_text(hostile)
    tidy(hostile)
    assert time.perf_counter() - t < 1.0


NAME_PIECES = st.sampled_from(["Fatima", "Mulder", "J.", "van der", "Ö", "O'Brien", " ", "  ", "\t", "\u00a0", ",", ";", ":", "@", ".",
                               "..", "\"", "(", ")", "\\", "[", "]", "<", ">", "-", "_", "=?utf-8?q?J=C3=B6rg?=", "=?utf-8?q?M=2C_F?="])
ADDR_PIECES = st.sampled_from(["jan.jansen@gemeente.nl", "a@b", "x@[10.0.0.1]", "ü@voorbeeld.nl", "a..b@c.nl", "@x.nl", "a@.nl",
                               "a@b..nl", "a b@c.nl", "a@b.nl.", ".a@b.nl", "a(x)@b.nl", "\"a b\"@c.nl", "a@b@c.nl", "", "a"])
ADDRESS = st.tuples(st.lists(st.one_of(NAME_PIECES, st.text(max_size=3)), max_size=5).map("".join),
                    st.sampled_from(["<{}>", "{}", " <{}> ", "<{}", "{}>", "<<{}>>"]), ADDR_PIECES,
                    st.lists(NAME_PIECES, max_size=2).map("".join)).map(lambda t: t[0] + t[1].format(t[2]) + t[3])


@settings(max_examples=1000, deadline=None)
@given(st.lists(ADDRESS, max_size=3))
def test_plain_addresses_read_as_getaddresses_reads_them(values):
    # the regular expression's fast path gives exactly what the email package's parser gives
    expected = []
    for name, addr in email.utils.getaddresses([decode_header(v) for v in values if v]):
        name, addr = name.strip(), addr.strip()
        if name or addr:
            expected.append(f"{name} <{addr}>" if name and addr else (addr or name))
    assert parse_addresses(values) == tuple(expected)


@pytest.mark.parametrize("value, expected", [
    ("Fatima Mulder <fatima.mulder@voorbeeld.nl>", ("Fatima Mulder <fatima.mulder@voorbeeld.nl>",)),
    ("J. de  Vries<j.devries@x.nl>", ("J. de Vries <j.devries@x.nl>",)),
    ("<griffie@gemeente.nl>", ("griffie@gemeente.nl",)),
    ('"Mulder, F." <f@x.nl>, b@y.nl', ("Mulder, F. <f@x.nl>", "b@y.nl")),  # not plain: the email package reads it
])
def test_addresses(value, expected):
    assert parse_addresses([value]) == expected


HEADER_NAMES = st.sampled_from(["From", "from", "TO", "Subject", "Content-Type", "content-type", "X-Custom", "Received", "Date"])


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(HEADER_NAMES, st.text(alphabet="abc xyz;=\"", max_size=12)), max_size=8),
       st.lists(st.tuples(st.sampled_from(["replace", "delete", "add", "param", "boundary", "payload"]), HEADER_NAMES,
                          st.text(alphabet="klm", min_size=1, max_size=5)), max_size=6))
def test_a_parsed_message_finds_its_headers_as_pythons_message_does(headers, changes):
    # IndexedMessage looks headers up in an index of them: after any change it answers as Message does
    import email
    from email.message import Message
    from email.policy import compat32

    from connectors.support.mime import IndexedMessage, message_from_bytes

    raw = "".join(f"{k}: {v}\r\n" for k, v in headers).encode() + b"\r\nbody\r\n"
    plain, indexed = email.message_from_bytes(raw, policy=compat32), message_from_bytes(raw)
    assert type(indexed) is IndexedMessage and type(plain) is Message
    names = ["from", "To", "subject", "CONTENT-TYPE", "x-custom", "received", "date", "cc"]

    def same() -> None:
        for name in names:
            assert indexed.get(name) == plain.get(name), name
            assert indexed.get_all(name) == plain.get_all(name), name
            assert (name in indexed) == (name in plain), name
            assert indexed.get(name, "-") == plain.get(name, "-")
        assert indexed.items() == plain.items()

    same()
    for op, name, value in changes:
        for m in (plain, indexed):
            try:
                if op == "replace":
                    m.replace_header(name, value)
                elif op == "delete":
                    del m[name]
                elif op == "add":
                    m[name] = value
                elif op == "param":
                    m.set_param("charset", value, header=name)
                elif op == "boundary":
                    m.set_boundary(value)
                else:
                    m.set_payload(value)
            except (KeyError, email.errors.HeaderParseError):
                pass
        same()

"""Nothing lost in mail: every part of a message becomes body text, an attachment, or a listed Failure.

Each test is one class of loss seen on other parsers' public fixtures (../shared/samples) or built here.
"""

import hashlib

import pytest

from tests.conftest import MemorySink, run_connector, sample
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


def test_a_message_of_too_many_parts_is_refused_with_a_reason():
    parts = b"".join(b"--p\r\nContent-Type: text/plain\r\n\r\ndeel %d\r\n" % n for n in range(10_001))
    raw = b"From: a@example.org\r\nSubject: veel\r\nContent-Type: multipart/mixed; boundary=p\r\n\r\n" + parts + b"--p--\r\n"
    try:
        parse(raw)
    except ConnectorError as e:
        assert "MIME parts" in e.reason and "kept" in e.reason
    else:
        raise AssertionError("a message of 10,001 parts parsed as if whole")


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


# 2. boundaries that do not match as written ------------------------------------------------------

PARTS = (b"--{b}\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nDe windturbines worden 135 meter hoog.\r\n"
         b"--{b}\r\nContent-Type: text/plain; name=\"notitie.txt\"\r\nContent-Disposition: attachment; filename=\"notitie.txt\"\r\n\r\n"
         b"Notitie over geluid.\r\n--{b}--\r\n")


def with_boundary(content_type: bytes, boundary: bytes) -> bytes:
    return (b"From: a@example.org\r\nSubject: grens\r\nMessage-ID: <grens@example.org>\r\nMIME-Version: 1.0\r\n"
            b"Content-Type: " + content_type + b"\r\n\r\n" + PARTS.replace(b"{b}", boundary))


def test_boundary_folded_inside_its_quotes_is_unfolded():
    raw = with_boundary(b'multipart/mixed; boundary="----=_NextPart\r\n _000_0012_01D1FC96.14E54A00"', b"----=_NextPart_000_0012_01D1FC96.14E54A00")
    out = parse(raw)
    mail, *atts = items_of(out)
    assert "135 meter" in mail.body
    assert [a.subject for a in atts] == ["notitie.txt"] and "geluid" in atts[0].body
    assert mail.meta["mime_repairs"] and not failures_of(out)


def test_boundary_without_the_semicolon_before_it_is_found():
    out = parse(with_boundary(b'multipart/mixed boundary="=_mixed 005C1243_="', b"=_mixed 005C1243_="))
    mail, *atts = items_of(out)
    assert "135 meter" in mail.body and [a.subject for a in atts] == ["notitie.txt"]


def test_boundary_recovered_from_the_first_dash_line_of_the_body():
    out = parse(with_boundary(b'multipart/mixed; boundary="iets-anders"', b"echte-grens-42"))
    mail, *atts = items_of(out)
    assert "135 meter" in mail.body and [a.subject for a in atts] == ["notitie.txt"]


def test_a_boundary_that_never_occurs_is_a_failure_and_the_text_is_kept():
    raw = (b"From: a@example.org\r\nSubject: kapot\r\nContent-Type: multipart/mixed; boundary=\"nergens\"\r\n\r\n"
           b"Tekst zonder enige grens erin.\r\n")
    out = parse(raw)
    assert "zonder enige grens" in items_of(out)[0].body
    assert any("never occurs" in f.reason for f in failures_of(out))


def test_real_sample_with_a_mangled_first_boundary_is_split_and_noted():
    raw = sample("flanker/tests/fixtures/messages/mailformed-headers.eml").read_bytes()
    mail = items_of(parse(raw))[0]
    assert mail.meta["mime_repairs"]


# 3. every inline text part of a mixed message is body ------------------------------------------

def test_mixed_html_and_plain_parts_all_go_into_the_body_in_order():
    raw = (b"From: a@example.org\r\nSubject: lijst\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=m\r\n\r\n"
           b"--m\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Het besluit over de <b>windturbines</b> volgt.</p>\r\n"
           b"--m\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n_____\r\nLijst raad-l, afmelden: raad-l-off@example.org\r\n--m--\r\n")
    mail = items_of(parse(raw))[0]
    assert "Het besluit over de windturbines volgt." in mail.body
    assert mail.body.index("windturbines") < mail.body.index("afmelden")
    assert mail.meta["html"] is True


def test_real_mixed_samples_keep_their_html_parts():
    mail = items_of(parse(sample("ingest-file/tests/fixtures/email_multipart_mixed.eml").read_bytes()))[0]
    assert [n for n in ("first", "second", "third", "fourth") if f"the {n} part" in mail.body] == ["first", "second", "third", "fourth"]
    mail = items_of(parse(sample("mail-parser/tests/mails/mail_test_14").read_bytes()))[0]
    assert "HTML here" in mail.body and "Plaintext here." in mail.body


def test_alternative_still_picks_one_text():
    raw = (b"From: a@example.org\r\nSubject: alt\r\nContent-Type: multipart/alternative; boundary=a\r\n\r\n"
           b"--a\r\nContent-Type: text/plain\r\n\r\nEen tekst.\r\n--a\r\nContent-Type: text/html\r\n\r\n<p>Een tekst.</p>\r\n--a--\r\n")
    out = parse(raw)
    assert items_of(out)[0].body.count("Een tekst.") == 1 and len(items_of(out)) == 1


# 4. attachments inside the alternative that does not give the text -----------------------------

def test_inline_images_of_a_related_html_alternative_are_attachments():
    out = parse(sample("nodemailer-mailparser/test/fixtures/nodemailer.eml").read_bytes())
    names = sorted(a.subject for a in items_of(out)[1:])
    assert names == ["image.png", "notes.txt", "nyan cat ✔.gif"]


def test_pasted_screenshot_and_calendar_invitation_are_attachments():
    png = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20
    import base64
    raw = (b"From: a@example.org\r\nSubject: Uitnodiging: overleg windpark\r\nContent-Type: multipart/alternative; boundary=alt\r\n\r\n"
           b"--alt\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nZie de schermafdruk.\r\n"
           b"--alt\r\nContent-Type: multipart/related; boundary=rel\r\n\r\n"
           b"--rel\r\nContent-Type: text/html\r\n\r\n<p>Zie de schermafdruk.</p><img src=\"cid:img1\">\r\n"
           b"--rel\r\nContent-Type: image/png\r\nContent-ID: <img1>\r\nContent-Transfer-Encoding: base64\r\n\r\n"
           + base64.b64encode(png) + b"\r\n--rel--\r\n"
           b"--alt\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n"
           b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:Overleg windpark Kraaiennest\r\nDTSTART:20250311T090000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
           b"--alt--\r\n")
    out = parse(raw)
    mail, *atts = items_of(out)
    assert mail.body == "Zie de schermafdruk."
    kinds = {a.meta["content_type"]: a for a in atts}
    assert set(kinds) == {"image/png", "text/calendar"}
    assert "Overleg windpark Kraaiennest" in kinds["text/calendar"].body


# 5. headers: the declared charset, then UTF-8, then windows-1252; never a guess -------------------

def mail_with_subject(subject: bytes) -> bytes:
    return b"From: a@example.org\r\nSubject: " + subject + b"\r\nMessage-ID: <s@example.org>\r\n\r\nbody\r\n"


def test_raw_eight_bit_bytes_inside_an_encoded_word_use_its_charset():
    assert items_of(parse(mail_with_subject(b"=?iso-8859-1?Q?Die_Fr\xf6sche?=")))[0].subject == "Die Frösche"
    assert items_of(parse(mail_with_subject(b"=?utf-8?Q?Caf\xc3\xa9_=E2=9C=94?=")))[0].subject == "Café ✔"


def test_raw_eight_bit_subject_is_utf8_or_windows_1252_never_an_exotic_guess():
    assert items_of(parse(mail_with_subject(b"Die Fr\xf6sche")))[0].subject == "Die Frösche"
    assert items_of(parse(mail_with_subject(b"Die Fr\xc3\xb6sche")))[0].subject == "Die Frösche"
    assert items_of(parse(mail_with_subject(b"Offerte \x80 100 \x93samen\x94")))[0].subject == "Offerte € 100 “samen”"


def test_encoded_words_keep_the_space_before_plain_text_and_join_split_characters():
    raw = mail_with_subject(b"=?UTF-8?Q?Nodemailer_is_unicode_friendly_=E2=9C=94?=\r\n (1476358788189)")
    assert items_of(parse(raw))[0].subject == "Nodemailer is unicode friendly ✔ (1476358788189)"
    raw = mail_with_subject(b"=?utf-8?B?4pw=?= =?utf-8?B?lA==?= klaar")  # one character split over two words
    assert items_of(parse(raw))[0].subject == "✔ klaar"
    mail = items_of(parse(sample("nodemailer-mailparser/test/fixtures/nodemailer.eml").read_bytes()))[0]
    assert mail.subject == "Nodemailer is unicode friendly ✔ (1476358788189)"


# 6. .msg with 8-bit strings: the message's own code page -----------------------------------------

def ansi_msg(src, out, codepage_prop: int, cp: int, subject: str, body: str):
    """``src`` (a Unicode .msg) rewritten as Outlook writes a non-Unicode one: every string stream
    ``001E`` in code page ``cp``, the store support mask without its Unicode bit, and the code page
    in property ``codepage_prop`` only."""
    import struct

    import olefile
    from extract_msg.ole_writer import OleWriter

    replace = {"__substg1.0_0037001F": subject, "__substg1.0_1000001F": body}
    w = OleWriter()
    with olefile.OleFileIO(str(src)) as o:
        w.fromOleFile(o)
        for e in o.listdir(streams=True, storages=False):
            if e[-1].upper().endswith("001F"):
                text = replace.get("/".join(e)) or o.openstream(e).read().decode("utf-16-le", "replace")
                w.deleteEntry(e)
                w.addEntry(e[:-1] + [e[-1][:-4] + "001E"], text.encode(f"cp{cp}", "replace"))
        props = o.openstream(["__properties_version1.0"]).read()
    entries = []
    for i in range(32, len(props) - 15, 16):  # the top-level property stream: 32-byte header, 16-byte entries
        tag, flags, value = struct.unpack("<IIQ", props[i:i + 16])
        if tag & 0xFFFF == 0x001F:
            tag = (tag & 0xFFFF0000) | 0x001E
        if tag == 0x340D0003:  # PidTagStoreSupportMask: clear STORE_UNICODE_OK
            value &= ~0x40000
        if tag not in (0x3FDE0003, 0x3FFD0003):
            entries.append(struct.pack("<IIQ", tag, flags, value))
    entries.append(struct.pack("<IIQ", codepage_prop, 6, cp))
    w.editEntry(["__properties_version1.0"], data=props[:32] + b"".join(entries))
    w.write(str(out))
    return out


@pytest.mark.parametrize("prop", [0x3FFD0003, 0x3FDE0003], ids=["PidTagMessageCodepage", "PidTagInternetCodepage"])
def test_msg_with_cp932_strings_is_read_in_its_code_page(tmp_path, prop):
    src = sample("msg-extractor/example-msg-files/unicode.msg")
    path = ansi_msg(src, tmp_path / "ansi.msg", prop, 932, "会議の議事録 ①", "風力発電所についての報告です。")
    out = run_connector("msg", path)
    assert not out["failures"]
    mail = out["items"][0]
    assert mail.subject == "会議の議事録 ①"  # ① is CP932, not Shift-JIS
    assert mail.body == "風力発電所についての報告です。"


# 7. odd header lines; uuencoded files in a plain-text body ----------------------------------------

def test_space_before_a_colon_and_a_separator_of_spaces_are_still_mail():
    raw = (b"From: Sanne <s@example.org>\r\nSubject : Windturbines\r\nDate: Tue, 11 Mar 2025 09:14:00 +0100\r\n"
           b" \r\nDe turbines worden 135 meter hoog.\r\nNoot: geen header.\r\n")
    mail = items_of(parse(raw))[0]
    assert mail.subject == "Windturbines"
    assert mail.body == "De turbines worden 135 meter hoog.\nNoot: geen header."
    assert mail.sent is not None


def test_real_samples_refused_as_not_mail_are_read():
    # its header block is longer than the 8 KiB sniffing window, which cut a line in two
    mail = items_of(parse(sample("flanker/tests/fixtures/messages/bounce/office365.eml").read_bytes()))[0]
    assert mail.subject == "Undeliverable: test_bounce 8"
    # a MIME entity without address headers, saved as .eml
    mail = items_of(parse(sample("nodemailer-mailparser/test/fixtures/mixed.eml").read_bytes()))[0]
    assert "scanned for Viruses" in mail.body


def test_uuencoded_file_in_a_plain_body_is_an_attachment_and_leaves_the_body():
    import binascii

    png = b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 3
    lines = [binascii.b2a_uu(png[i:i + 45]).decode().rstrip("\n") for i in range(0, len(png), 45)]
    raw = (b"From: a@example.org\r\nSubject: foto\r\nContent-Type: text/plain\r\n\r\nHierbij de kaart.\r\n\r\n"
           + ("begin 644 kaart windpark.png\r\n" + "\r\n".join(lines) + "\r\n`\r\nend\r\n").encode()
           + b"\r\nGroet, Sanne\r\n")
    out = parse(raw)
    mail, *atts = items_of(out)
    assert mail.body == "Hierbij de kaart.\n\nGroet, Sanne"
    assert [a.subject for a in atts] == ["kaart windpark.png"]
    assert atts[0].meta["size"] == len(png) and atts[0].meta["content_type"] == "image/png"
    assert not failures_of(out)


# 9. the property: every text part of every sample message is found again ------------------------

def sample_messages() -> list:
    from tests.conftest import SAMPLES, samples_missing

    found = sorted(SAMPLES.glob("**/*.eml")) + sorted(SAMPLES.glob("mail-parser/tests/mails/mail_*"))
    found = [p for p in found if not p.read_bytes()[:8] == b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"]  # Outlook .msg: test_msg.py
    return found or [pytest.param(None, marks=pytest.mark.skip(reason=samples_missing()))]


def _flat(text: str) -> str:
    from woo_collector.text import tidy

    return " ".join(tidy(text).split())


def text_parts(raw: bytes) -> list[list[str]]:
    """The decoded text of every text/plain and text/html leaf, read independently of parse_mail with
    Python's own walk: a list of alternatives per leaf (the texts of one multipart/alternative are
    alternatives of each other: one of them must be found)."""
    import email
    from email.policy import compat32

    from connectors.support.mime import normalise_head
    from woo_collector.text import decode_bytes, html_to_text

    msg = email.message_from_bytes(normalise_head(raw), policy=compat32)
    groups: dict[int, list[str]] = {}
    out: list[list[str]] = []

    def visit(part, alternative: int | None):
        if part.is_multipart():
            subs = [p for p in part.get_payload() if isinstance(p, email.message.Message)]
            for sub in subs:
                visit(sub, id(part) if part.get_content_type() == "multipart/alternative" and alternative is None else alternative)
            return
        if part.get_content_type() not in ("text/plain", "text/html"):
            return
        data = part.get_payload(decode=True) or b""
        text = decode_bytes(data, part.get_content_charset())[0]
        if part.get_content_type() == "text/html":
            text = html_to_text(text)
        text = _flat(text)
        if not text:
            return
        if alternative is None:
            out.append([text])
        else:
            groups.setdefault(alternative, []).append(text)

    visit(msg, None)
    return out + list(groups.values())


@pytest.mark.parametrize("path", sample_messages(), ids=lambda p: str(p).split("samples/")[-1] if p else "none")
def test_every_text_part_of_a_sample_message_is_in_the_item_or_an_attachment(path):
    raw = path.read_bytes()
    try:
        out = parse(raw)
    except ConnectorError as e:
        raise AssertionError(f"refused: {e.reason}")
    found = _flat("\n".join(f"{i.subject}\n{i.body}" for i in items_of(out)))
    listed = " ".join(f.reason for f in failures_of(out))
    for alternatives in text_parts(raw):
        assert any(t in found for t in alternatives) or listed, f"lost without a word: {alternatives[0][:200]!r}"


def test_a_bounce_report_is_kept_as_text():
    out = parse(sample("flanker/tests/fixtures/messages/bounce/delayed.eml").read_bytes())
    report = [a for a in items_of(out)[1:] if "Final-Recipient" in a.body]
    assert report and "Status: 4.0.0" in report[0].body and "426 connection timed out" in report[0].body


def test_a_line_of_spaces_before_the_headers_is_skipped_not_taken_for_the_separator():
    mail, *atts = items_of(parse(sample("flanker/tests/fixtures/messages/iphone.eml").read_bytes()))
    assert mail.body == "Hello\n\n~Danielle" and mail.subject
    assert [a.subject for a in atts] == ["photo.JPG"]

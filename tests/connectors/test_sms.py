"""The sms connector on the real SMS Backup & Restore samples, on built inputs and on attacks."""

from __future__ import annotations

import base64
import hashlib
import re
import time
import tracemalloc
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.sms import SmsConnector
from tests.conftest import MemorySink, cuts_at_boundaries, partial_run, run_connector, sample
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item

BASE = "sms-backup-reader-2/"
SMALL = BASE + "packages/lib/test-assets/sms_small.xml"
MIXED = BASE + "packages/lib/test-assets/sms_and_mms.xml"
FIX = BASE + "tests/e2e/fixtures/"
UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def partial(path: Path, custodian: str = "Piet") -> tuple[list[Item], list[Failure], ConnectorError | None]:
    return partial_run("sms", path, custodian, "phone")


# the real samples ---------------------------------------------------------------------------------
def test_sms_small_every_message():
    out = run_connector("sms", sample(SMALL), custodian="Piet")
    items = out["items"]
    assert len(items) == 12 and out["failures"] == []
    assert {i.sender for i in items} == {
        "Contact A <+15550000001>", "Contact B <+15550000003>", "Contact C <+15550000004>", "Piet"}
    assert items[0].sent == utc(2017, 12, 2, 14, 49, 27, 463000)
    assert items[-1].sent == utc(2017, 12, 2, 18, 10, 45, 524000)
    assert items[0].sent.tzinfo is not None
    assert items[0].body == "Body text 1" and items[0].meta["direction"] == "received"
    assert items[0].recipients == ("Piet",)
    tenth = items[9]  # &#10; newlines, a sent message
    assert tenth.body == "Body text 10\nBody text 11\nBody text 12"
    assert tenth.sender == "Piet" and tenth.recipients == ("Contact C <+15550000004>",)
    assert tenth.locator == "sms 10" and tenth.platform == "sms"
    assert {i.conversation for i in items} == {"sms:+15550000001", "sms:+15550000003", "sms:+15550000004"}
    assert all(i.kind == "chat" and i.sha256 == items[0].sha256 for i in items)
    assert items[0].sha256 == hashlib.sha256(sample(SMALL).read_bytes()).hexdigest()
    assert out["checkpoints"][-1].key == f"file:{items[0].sha256}"
    assert "subject" not in items[0].meta  # the literal 'null' is no subject


def test_sample_small_sms_and_mms_share_conversations():
    items = run_connector("sms", sample(FIX + "sample_small.xml"))["items"]
    assert len(items) == 7
    assert [i.locator for i in items] == ["sms 1", "sms 2", "sms 3", "mms 1", "sms 4", "sms 5", "mms 2"]
    by_conv = {}
    for i in items:
        by_conv.setdefault(i.conversation, []).append(i.body)
    assert by_conv == {
        "sms:+15550000001": ["SMS 1 in Thread 1", "SMS 2 in Thread 1", "SMS 3 in Thread 1", "MMS 1 text in Thread 1"],
        "sms:+15550000002": ["SMS 4 in Thread 2", "SMS 5 in Thread 2", "MMS 2 text in Thread 2"],
    }
    assert items[3].platform == "mms" and items[3].sender == "Contact A <+15550000001>"
    assert items[0].sent == utc(2017, 12, 2, 14, 49, 27, 463000)
    assert items[-1].sent == utc(2024, 7, 14, 23, 4, 3) and items[-1].meta["direction"] == "sent"


def test_sample_mms_media_kept_not_in_body():
    sink = MemorySink()
    out = run_connector("sms", sample(FIX + "sample_mms.xml"), sink)
    parts = [i for i in out["items"] if i.kind == "attachment"]
    items = [i for i in out["items"] if i.kind == "chat"]
    assert [i.kind for i in out["items"]] == ["chat", "attachment"] * 4  # each MMS, then its medium
    assert [(p.parent, p.subject, p.filetype, p.platform) for p in parts] == [
        (items[0].id, "image.png", "image", "mms"), (items[1].id, "video.mp4", "video", "mms"),
        (items[2].id, "audio.mp3", "audio", "mms"), (items[3].id, "document.pdf", "pdf", "mms")]
    assert all(p.conversation == m.conversation and p.sent == m.sent for p, m in zip(parts, items))
    assert [p.sha256 for p in parts] == [m.meta["media"][0]["sha256"] for m in items]
    assert [i.body for i in items] == ["Here is an image attachment", "Here is a video attachment",
                                       "Here is an audio attachment", "Here is a PDF attachment"]
    assert {i.sender for i in items} == {"Contact C <+15550000003>"}
    assert items[0].sent == utc(2024, 7, 16, 20, 29, 24) and items[-1].sent == utc(2024, 7, 16, 20, 29, 27)
    png = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")
    media = items[0].meta["media"]
    assert media == [{"name": "image.png", "content_type": "image/png", "sha256": hashlib.sha256(png).hexdigest(),
                      "size": len(png)}]
    assert sink.blobs[media[0]["sha256"]] == png
    assert [i.meta["media"][0]["content_type"] for i in items] == ["image/png", "video/mp4", "audio/mp3",
                                                                   "application/pdf"]
    assert sink.blobs[items[3].meta["media"][0]["sha256"]].startswith(b"%PDF-1.4")
    assert not any("iVBOR" in i.body or "JVBER" in i.body for i in items)


def test_corrupt_attachments_keep_messages_and_report_parts():
    out = run_connector("sms", sample(FIX + "corrupt_attachments.xml"))
    assert [i.body for i in out["items"]] == ["MMS with corrupted base64 image data",
                                              "MMS with unsupported attachment type"]
    assert [f.locator for f in out["failures"]] == ["mms 1 part 0", "mms 2 part 0"]
    assert "base64" in out["failures"][0].reason and "corrupt_image.png" in out["failures"][0].reason
    assert out["items"][0].meta["media"][0]["error"].startswith("base64 cannot be decoded")
    assert out["checkpoints"] == []  # retried next run


def test_empty_backup_is_a_clear_error():
    with pytest.raises(ConnectorError, match="no messages") as e:
        run_connector("sms", sample(FIX + "empty.xml"))
    assert e.value.path.endswith("empty.xml")


def test_truncated_real_backup_keeps_everything_before_the_break():
    """sms_and_mms.xml ends in the middle of its last <mms>: 41 SMS and 8 MMS come before it."""
    out = run_connector("sms", sample(MIXED))
    items = [i for i in out["items"] if i.kind == "chat"]
    assert len(items) == 49
    assert [i.parent for i in out["items"] if i.kind == "attachment"] == [
        i.id for i in items for m in i.meta.get("media", []) if m.get("sha256")]  # every kept MMS part is an item
    assert sum(i.platform == "sms" for i in items) == 41
    assert len(out["failures"]) == 1 and "breaks off" in out["failures"][0].reason
    assert out["failures"][0].locator == "after sms 41, mms 8"
    assert out["checkpoints"] == []
    assert items[0].sent == utc(2017, 12, 2, 14, 49, 27, 463000)
    assert items[-1].sent == utc(2024, 7, 17, 21, 37, 26) and items[-1].body == "Body text 55"
    group = [i for i in items if i.conversation == "sms:group_8@rcs.google.com"]  # an RCS group
    assert [(i.sender, i.body) for i in group] == [
        ("+15550000009", "Body text 47"), ("tester", "Body text 48"), ("+15550000010", "Body text 49")]
    assert group[0].recipients == ("+15550000007", "+15550000006", "+15550000010")
    assert group[0].meta["group_members"] == ["+15550000006", "+15550000009", "+15550000010"]
    assert items[-1].meta["m_id"] == "a5c23f3e012687191e61f735bd44422d"
    assert len({i.id for i in items}) == 49
    authors = {i.sender for i in items}
    assert authors == {"tester", "Contact A <+15550000001>", "Contact B <+15550000003>", "Contact C <+15550000004>",
                       "Contact D <+15550000006>", "+15550000009", "+15550000010", "+15550000011"}


def test_ids_stable_and_second_run_skips(tmp_path):
    sink = MemorySink()
    first = run_connector("sms", sample(SMALL), sink)
    again = run_connector("sms", sample(SMALL), MemorySink())
    assert [i.id for i in first["items"]] == [i.id for i in again["items"]]
    assert run_connector("sms", sample(SMALL), sink)["items"] == []  # checkpointed file:<sha>


def test_score_sniffs_content(tmp_path):
    head = sample(SMALL).read_bytes()[:65536]
    assert SmsConnector.score(Path("backup.txt"), head) >= 0.9
    assert SmsConnector.score(Path("other.xml"), b"<?xml version='1.0'?><rss><channel/></rss>") < 0.1
    assert SmsConnector.score(Path("a.json"), b'{"value": []}') == 0.0


# built inputs -------------------------------------------------------------------------------------
HEAD = "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"


def write(tmp_path: Path, body: str, name: str = "sms.xml") -> Path:
    p = tmp_path / name
    p.write_text(HEAD + body, encoding="utf-8")
    return p


def test_numbers_normalised_and_surrogate_emoji_mended(tmp_path):
    p = write(tmp_path, '<smses count="2">'
              '<sms address="06-1234 5678" date="1741681800000" type="1" body="Goed &#55357;&#56832;" '
              'contact_name="Sanne" />'
              '<sms address="+31612345678" date="1741681900000" type="2" body="Prima" contact_name="Sanne" />'
              '</smses>')
    items = run_connector("sms", p, custodian="Piet")["items"]
    assert items[0].body == "Goed \U0001F600"
    assert items[0].conversation == items[1].conversation == "sms:+31612345678"
    assert items[0].sent == utc(2025, 3, 11, 8, 30)


def test_folder_with_a_bad_file_goes_on(tmp_path):
    write(tmp_path, '<smses count="1"><sms address="+31612345678" date="1741681800000" type="1" body="ok"/></smses>',
          "a.xml")
    (tmp_path / "b.xml").write_bytes(b"this is no xml at all")
    out = run_connector("sms", tmp_path)
    assert [i.body for i in out["items"]] == ["ok"]
    assert len(out["failures"]) == 1 and out["failures"][0].path.endswith("b.xml")
    assert "not readable as XML" in out["failures"][0].reason


def test_not_xml_alone_raises(tmp_path):
    p = tmp_path / "x.xml"
    p.write_bytes(b"")
    with pytest.raises(ConnectorError, match="x.xml"):
        run_connector("sms", p)
    p.write_text(HEAD + "<rss><item/></rss>")
    with pytest.raises(ConnectorError, match="not <smses>"):
        run_connector("sms", p)


BOMB = """<?xml version="1.0"?>
<!DOCTYPE smses [
 <!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
]>
<smses count="1" backup_date="&g;"><sms address="1" date="1" type="1" body="&g;" /></smses>
"""


def test_billion_laughs_refused_in_bounded_time_and_memory(tmp_path):
    p = tmp_path / "bomb.xml"
    p.write_text(BOMB)
    tracemalloc.start()
    t0 = time.monotonic()
    with pytest.raises(ConnectorError, match="refused: .*entities") as e:
        run_connector("sms", p)
    elapsed = time.monotonic() - t0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert elapsed < 2 and peak < 20 * 1024 * 1024
    assert e.value.path == str(p)


@pytest.mark.parametrize("doctype", [
    '<!DOCTYPE smses SYSTEM "file:///etc/passwd">',
    '<!DOCTYPE smses [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!-- harmless --><?pi x?><!DOCTYPE smses PUBLIC "-//x//y" "http://example.org/x.dtd">',
])
def test_external_entities_and_dtds_refused(tmp_path, doctype):
    p = write(tmp_path, doctype + '<smses><sms address="1" date="1" type="1" body="x" /></smses>')
    with pytest.raises(ConnectorError, match="refused"):
        run_connector("sms", p)


def test_bare_doctype_without_declarations_is_read(tmp_path):
    p = write(tmp_path, '<!DOCTYPE smses><smses><sms address="1" date="1000" type="1" body="x" /></smses>')
    assert [i.body for i in run_connector("sms", p)["items"]] == ["x"]


# properties: arbitrary and mutated input ---------------------------------------------------------
SMALL_BYTES = None


def small_bytes() -> bytes:
    global SMALL_BYTES
    if SMALL_BYTES is None:
        SMALL_BYTES = sample(SMALL).read_bytes()
    return SMALL_BYTES


def complete_before(data: bytes, pos: int) -> int:
    """How many <sms .../> elements end before byte ``pos``."""
    n, i = 0, 0
    while True:
        start = data.find(b"<sms ", i)
        if start < 0:
            return n
        end = data.find(b"/>", start)
        if end < 0 or end + 2 > pos:
            return n
        n, i = n + 1, end + 2


FULL_IDS: list[str] = []


def full_ids() -> list[str]:
    if not FULL_IDS:
        FULL_IDS.extend(i.id for i in partial(sample(SMALL))[0])
    return FULL_IDS


PROPS = settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])


@PROPS
@given(data=st.binary(max_size=2000))
def test_arbitrary_bytes_never_crash(tmp_path, data):
    p = tmp_path / "any.xml"
    p.write_bytes(data)
    partial(p)  # any other exception fails the test


@PROPS
@given(text=st.text(alphabet=st.sampled_from(list("<>/=\"' &#;!-?[]smsaddrteyp0159\n")), max_size=400))
def test_xmlish_text_never_crashes(tmp_path, text):
    p = tmp_path / "any.xml"
    p.write_text(HEAD + "<smses>" + text, encoding="utf-8")
    partial(p)


@PROPS
@given(st.data())
def test_truncation_keeps_every_earlier_message(tmp_path, data):
    raw = small_bytes()
    cut = data.draw(st.integers(0, len(raw)))
    p = tmp_path / "cut.xml"
    p.write_bytes(raw[:cut])
    items, failures, error = partial(p)
    want = complete_before(raw, cut)
    assert [i.id for i in items[:want]] == full_ids()[:want]
    if cut < len(raw) - 12:
        assert error is not None or failures


@PROPS
@given(st.data())
def test_byte_flips_and_deletions_keep_earlier_messages(tmp_path, data):
    raw = bytearray(small_bytes())
    pos = data.draw(st.integers(0, len(raw) - 1))
    if data.draw(st.booleans()):
        raw[pos] = data.draw(st.integers(0, 255))
    else:
        del raw[pos: pos + data.draw(st.integers(1, 40))]
    p = tmp_path / "mut.xml"
    p.write_bytes(bytes(raw))
    items, _, _ = partial(p)
    want = complete_before(small_bytes(), pos)
    assert {i.id for i in items} >= set(full_ids()[:want])


@PROPS
@given(attrs=st.dictionaries(st.sampled_from(["address", "date", "type", "body", "contact_name", "date_sent",
                                               "subject", "msg_box", "m_id"]),
                             st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")), max_size=30)),
       tag=st.sampled_from(["sms", "mms"]))
def test_odd_attribute_values_never_crash(tmp_path, attrs, tag):
    from xml.sax.saxutils import quoteattr

    a = " ".join(f"{k}={quoteattr(v)}" for k, v in attrs.items())
    inner = f'<parts><part ct="image/png" data={quoteattr(attrs.get("body", "")[:5])} /></parts>' if tag == "mms" else ""
    p = tmp_path / "odd.xml"
    p.write_text(HEAD + f'<smses><sms address="1" date="1000" type="1" body="first" /><{tag} {a}>{inner}</{tag}></smses>',
                 encoding="utf-8")
    items, failures, error = partial(p)
    assert items and items[0].body == "first"
    assert len(items) == 2 or error is not None or failures


def test_score_of_a_folder_of_backups(tmp_path):
    assert SmsConnector.score(tmp_path, b"") == 0.0
    write(tmp_path, '<smses count="0"></smses>', "sms-20250311.xml")
    assert SmsConnector.score(tmp_path, b"") == 0.7


@pytest.mark.parametrize("name", [SMALL, MIXED])
def test_every_cut_next_to_a_message_end_keeps_the_whole_ones(tmp_path, name):
    raw = sample(name).read_bytes()
    ends = [m.end() for m in re.finditer(rb"<sms [^>]*?/>|<mms[ >].*?</mms>", raw, re.S)]
    assert len(ends) >= 12
    messages = [i.id for i in partial(sample(name))[0] if i.kind != "attachment"]
    p = tmp_path / "cut.xml"
    for pos in cuts_at_boundaries(ends, len(raw)):
        p.write_bytes(raw[:pos])
        n = sum(end <= pos for end in ends)
        items, _, _ = partial(p)
        assert [i.id for i in items if i.kind != "attachment"][:n] == messages[:n], f"cut at byte {pos}"


def test_unknown_numbers_kept_as_written_no_country_code_invented(tmp_path):
    # a foreign number written without '+': no '+31' in front of it, so its thread stays one
    p = write(tmp_path, '<smses count="3">'
              '<sms address="4115555555" date="1741681800000" type="1" body="hello" />'
              '<sms address="411-555-5555" date="1741681900000" type="2" body="hi" />'
              '<sms address="0612345678" date="1741682000000" type="1" body="hoi" />'
              '</smses>')
    items = run_connector("sms", p, custodian="Piet")["items"]
    assert [i.conversation for i in items] == ["sms:4115555555", "sms:4115555555", "sms:+31612345678"]
    assert not any("+314115555555" in (i.sender, *i.recipients, i.conversation) for i in items)

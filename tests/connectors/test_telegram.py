"""The telegram connector on the real chat-analytics sample and on built Telegram Desktop exports."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from connectors.base import SourceSpec
from connectors.telegram import TelegramConnector, entity_text
from tests.conftest import MemorySink, cuts_at_boundaries, json_element_ends, partial_run, run_connector, sample
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item

DM = "chat-analytics/tests/samples/telegram/DM_2A_7M.json"
UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def partial(path: Path) -> tuple[list[Item], list[Failure], ConnectorError | None]:
    return partial_run("telegram", path, "Piet", "t")


def test_real_sample():
    out = run_connector("telegram", sample(DM))
    items = out["items"]
    assert len(items) == 8 and out["failures"] == []
    assert {i.sender for i in items} == {"Bob", "Alice", ""}
    assert [i.message_id for i in items] == ["2675", "3644", "3645", "3662", "3663", "3672", "3673", "3674"]
    # first message has only the local 'date', read as Europe/Amsterdam (CEST)
    assert items[0].sent == utc(2019, 7, 5, 14, 55, 32) and items[0].meta["time_basis"].endswith("Europe/Amsterdam")
    # last has date_unixtime 1691719862, which wins over its local 'date'
    assert items[-1].sent == utc(2023, 8, 11, 2, 11, 2) and "time_basis" not in items[-1].meta
    assert items[0].sender == "" and items[0].meta["event"] == "joined_telegram" and items[0].meta["actor"] == "Bob"
    assert items[1].body == "https://google.com 👀"  # a list of entities
    assert items[2].body == "hello world" and items[2].meta["from_id"] == "user300000000"
    assert items[5].meta["media"] == {"photo": {"included": False}, "width": 960, "height": 1280}
    call = items[-1]
    assert call.meta["event"] == "phone_call" and call.meta["event_detail"] == {"duration_seconds": 56,
                                                                              "discard_reason": "hangup"}
    assert call.body == "Alice: phone call (duration_seconds 56, discard_reason hangup)"
    assert {i.conversation for i in items} == {"telegram:700000000"} and items[0].subject == "Bob"
    assert items[3].locator == "chat 700000000 message 4"
    assert out["checkpoints"][0].key == f"file:{items[0].sha256}"


def test_timezone_setting_for_local_dates():
    items = run_connector("telegram", sample(DM), timezone="America/Argentina/Buenos_Aires")["items"]
    assert items[0].sent == utc(2019, 7, 5, 19, 55, 32)
    assert items[3].sent == utc(2022, 5, 9, 22, 23, 53)  # unixtime: no time zone involved


def test_score():
    assert TelegramConnector.score(Path("x.json"), sample(DM).read_bytes()) == 0.9
    assert TelegramConnector.score(Path("x.json"), b'{"value": [{"messageType": "message"}]}') == 0.0


def test_entity_text():
    assert entity_text(["a ", {"type": "bold", "text": "vet"}, {"type": "x"}, 3, " z"]) == "a vet z"
    assert entity_text("plain") == "plain" and entity_text(None) == ""


FULL = {
    "about": "Here is the data you requested.",
    "personal_information": {"user_id": 1, "first_name": "Piet"},
    "chats": {"about": "This page lists all chats from this export.", "list": [
        {"name": "College B&W", "type": "private_group", "id": 4000000001, "messages": [
            {"id": 1, "type": "service", "date": "2025-03-10T20:00:00", "date_unixtime": "1741633200",
             "actor": "Piet", "actor_id": "user1", "action": "create_group", "title": "College B&W",
             "members": ["Piet", "Karin"], "text": "", "text_entities": []},
            {"id": 2, "type": "message", "date": "2025-03-11T09:14:00", "date_unixtime": "1741680840",
             "edited": "2025-03-11T09:20:00", "edited_unixtime": "1741681200", "from": "Karin", "from_id": "user2",
             "text": ["Zie ", {"type": "bold", "text": "nota"}, " en ", {"type": "mention", "text": "@piet"}],
             "text_entities": []},
            {"id": 3, "type": "message", "date": "2025-03-11T09:15:00", "date_unixtime": "1741680900",
             "from": "Piet", "from_id": "user1", "reply_to_message_id": 2, "file": "files/nota.pdf",
             "file_name": "nota.pdf", "mime_type": "application/pdf", "text": "Gelezen", "text_entities": []},
        ]},
        {"name": "Sanne", "type": "personal_chat", "id": 5, "messages": [
            {"id": 1, "type": "message", "date": "2025-03-12T10:00:00", "date_unixtime": "1741770000",
             "from": "Sanne", "from_id": "user5", "forwarded_from": "Nieuwsbron", "text": "Gezien?",
             "photo": "../../etc/passwd"},
        ]},
    ]},
    "left_chats": {"about": "", "list": [
        {"name": "Oud", "type": "public_supergroup", "id": 6, "messages": "kapot"}]},
}


def test_full_export_with_media(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "nota.pdf").write_bytes(b"%PDF-1.7 nota")
    p = tmp_path / "result.json"
    p.write_text(json.dumps(FULL, ensure_ascii=False, indent=1))
    sink = MemorySink()
    out = run_connector("telegram", tmp_path, sink)
    items = [i for i in out["items"] if i.kind == "chat"]
    (medium,) = [i for i in out["items"] if i.kind == "attachment"]  # the file the export holds; the photo outside it is not
    assert [(i.conversation, i.message_id) for i in items] == [
        ("telegram:4000000001", "1"), ("telegram:4000000001", "2"), ("telegram:4000000001", "3"), ("telegram:5", "1")]
    create, edited, reply, forwarded = items
    assert create.meta["event"] == "create_group" and create.meta["event_detail"]["members"] == ["Piet", "Karin"]
    assert edited.body == "Zie nota en @piet" and edited.meta["edited"] == "2025-03-11T08:20:00+00:00"
    assert edited.sent == utc(2025, 3, 11, 8, 14)
    assert reply.meta["reply_to_message_id"] == "2"
    pdf = reply.meta["media"]["file"]
    assert sink.blobs[pdf["sha256"]] == b"%PDF-1.7 nota" and reply.meta["media"]["file_name"] == "nota.pdf"
    assert (medium.parent, medium.subject, medium.sha256, medium.conversation, medium.platform, medium.sent) == (
        reply.id, "nota.pdf", pdf["sha256"], reply.conversation, "telegram", reply.sent)
    assert medium.body == "" and medium.meta["problems"]  # not a readable PDF: kept, listed, no text
    assert forwarded.meta["forwarded_from"] == "Nieuwsbron"
    assert forwarded.meta["media"]["photo"]["included"] is False  # a path leaving the export is not followed
    assert edited.id != forwarded.id
    assert [f.locator for f in out["failures"]] == ["", "chat 6"]
    assert out["failures"][0].reason.startswith("medium nota.pdf: cannot read this PDF")
    assert out["failures"][0].sha256 == pdf["sha256"] and out["failures"][0].path == str(tmp_path / "files" / "nota.pdf")


def test_not_telegram_raises(tmp_path):
    p = tmp_path / "result.json"
    p.write_text('{"value": []}')
    with pytest.raises(ConnectorError, match="not a Telegram export"):
        run_connector("telegram", p)
    (tmp_path / "empty").mkdir()
    with pytest.raises(ConnectorError, match="no result.json"):
        run_connector("telegram", tmp_path / "empty")
    out = run_connector("telegram", tmp_path)  # in a folder: a Failure, the run goes on
    assert out["items"] == [] and "not a Telegram export" in out["failures"][0].reason


# properties --------------------------------------------------------------------------------------
PROPS = settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
                    max_leaves=15)
KEYS = ["id", "type", "date", "date_unixtime", "from", "from_id", "text", "actor", "action", "edited",
        "edited_unixtime", "reply_to_message_id", "photo", "file", "forwarded_from", "members", "media_type"]


@PROPS
@given(fields=st.dictionaries(st.sampled_from(KEYS), JSON), drop=st.sets(st.sampled_from(KEYS)))
def test_mutated_messages_never_crash(tmp_path, fields, drop):
    doc = json.loads(sample(DM).read_text())
    doc["messages"][3].update(fields)
    for k in drop:
        doc["messages"][4].pop(k, None)
    p = tmp_path / "result.json"
    p.write_text(json.dumps(doc))
    items, _, error = partial(p)
    assert error is None and [i.message_id for i in items[:3]] == ["2675", "3644", "3645"]


def _kept_after_damage(tmp_path, pos: int, cut: bool, byte: int) -> tuple[list[str], list[str]]:
    """(ids a damaged copy of the sample yields, ids of the messages whole before byte ``pos``)."""
    raw = bytearray(sample(DM).read_bytes())
    pos %= len(raw)
    whole = [str(m["id"]) for end, m in json_element_ends(bytes(raw), "messages") if end <= pos]
    if cut:
        raw = raw[:pos]
    else:
        raw[pos] = byte
    p = tmp_path / "result.json"
    p.write_bytes(bytes(raw))
    items, _, _ = partial(p)
    return [i.message_id for i in items], whole


@PROPS
@example(pos=1395, cut=True, byte=0)  # a cut 5 bytes before message 3645's closing brace (the sample has two 4-byte emoji)
@example(pos=1400, cut=True, byte=0)  # a cut just after it: 3645 is whole and kept
@example(pos=1012, cut=True, byte=0)  # a cut 5 bytes before 3644's end, which the old test counted in characters
@example(pos=1766, cut=False, byte=0)  # a NUL inside 3662, 5 bytes before its end: 3645 and earlier kept
@given(pos=st.integers(0, 1 << 16), cut=st.booleans(), byte=st.integers(0, 255))
def test_truncated_and_flipped_sample_keeps_earlier_messages(tmp_path, pos, cut, byte):
    ids, whole = _kept_after_damage(tmp_path, pos, cut, byte)
    assert ids[: len(whole)] == whole


def test_every_cut_next_to_a_message_end_keeps_the_whole_ones(tmp_path):
    raw = sample(DM).read_bytes()
    ends = [end for end, _ in json_element_ends(raw, "messages")]
    assert len(ends) == 8
    for pos in cuts_at_boundaries(ends, len(raw)):
        ids, whole = _kept_after_damage(tmp_path, pos, True, 0)
        assert ids[: len(whole)] == whole, f"cut at byte {pos}"


@PROPS
@given(data=st.binary(max_size=600))
def test_arbitrary_bytes(tmp_path, data):
    p = tmp_path / "result.json"
    p.write_bytes(data)
    partial(p)


def test_cut_between_chats_is_reported(tmp_path):
    text = json.dumps(FULL, indent=1)
    p = tmp_path / "result.json"
    p.write_text(text[: text.index('"name": "Sanne"') - 10])  # chat 1 whole, the rest missing
    out = run_connector("telegram", p)
    assert [i.message_id for i in out["items"]] == ["1", "2", "3"]
    assert len(out["failures"]) == 1 and "cut off" in out["failures"][0].reason
    assert out["checkpoints"] == []


def test_large_export_is_streamed(tmp_path):
    import tracemalloc

    msgs = [{"id": i, "type": "message", "date": "2025-03-11T09:14:00", "date_unixtime": str(1741680840 + i),
             "from": "Karin", "from_id": "user2", "text": "x" * 200, "text_entities": []} for i in range(15000)]
    p = tmp_path / "result.json"
    p.write_text(json.dumps({"name": "A", "type": "personal_chat", "id": 1, "messages": msgs}, indent=1))
    size = p.stat().st_size
    tracemalloc.start()
    n = sum(isinstance(y, Item) for y in TelegramConnector(SourceSpec("t", "telegram", str(p), "P"), KeepNothing()).collect())
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert n == 15000 and peak < size / 3  # one message at a time (and a 256 KiB read buffer), not the document


class KeepNothing:
    def keep(self, data, name=""):
        return "0" * 64

    def state(self, key):
        return None

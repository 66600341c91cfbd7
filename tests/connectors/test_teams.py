"""The teams connector on Microsoft's own Graph examples, on built pages and JSON Lines, and on bad input."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.teams import TeamsConnector, body_text
from tests.conftest import MemorySink, cuts_at_boundaries, json_element_ends, partial_run, run_connector, sample
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item

EX1 = "msgraph-docs/chat-list-messages_example1_no-prefer-header.json"
EX2 = "msgraph-docs/chat-list-messages_example2_prefer-include-unknown-enum-members.json"
ALL = "msgraph-docs/chats-getallmessages_example.json"
CHAT = "19:2da4c29f6d7041eca70b638b43d45437@thread.v2"
UTC = timezone.utc


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


def partial(path: Path) -> tuple[list[Item], list[Failure], ConnectorError | None]:
    return partial_run("teams", path, "Piet", "teams")


# Microsoft's examples -----------------------------------------------------------------------------
@pytest.mark.parametrize("rel,message_type", [(EX1, "unknownFutureValue"), (EX2, "systemEventMessage")])
def test_chat_list_messages_examples(rel, message_type):
    out = run_connector("teams", sample(rel))
    items = out["items"]
    assert len(items) == 3 and out["failures"] == []
    assert [i.sender for i in items] == ["Robin Kline", "Robin Kline", ""]
    assert {i.conversation for i in items} == {CHAT}
    assert items[0].sent == utc(2021, 3, 28, 20, 48, 29, 832000) and items[0].body == "Hello world"
    assert items[0].message_id == "1616964509832" and items[0].meta["sender_id"] == "8ea0e38b-efb3-4757-924a-5f94061cf8c2"
    assert items[1].body == "[afbeelding]"  # an inline image: a hosted content
    assert items[1].meta["hosted_contents"][0].startswith("aWQ9eF8wLXd1cy1kOS1lNTRm")
    event = items[2]
    # Microsoft's own malformed '2021-03-1706:47:05.123Z' is repaired, the original noted
    assert event.sent == utc(2021, 3, 17, 6, 47, 5, 123000)
    assert event.meta["time_repaired"] == "2021-03-1706:47:05.123Z"
    assert event.meta["message_type"] == message_type and event.meta["event"] == "chatRenamed"
    assert "Graph Members" in event.body
    assert all(i.kind == "chat" and i.platform == "teams" for i in items)
    assert [i.locator for i in items] == ["message 1", "message 2", "message 3"]
    assert out["checkpoints"][0].key == f"file:{items[0].sha256}"


def test_both_examples_give_the_same_ids():
    a = run_connector("teams", sample(EX1))["items"]
    b = run_connector("teams", sample(EX2))["items"]
    assert [i.id for i in a] == [i.id for i in b]


def test_get_all_messages_example():
    items = run_connector("teams", sample(ALL))["items"]
    assert [(i.sender, i.body) for i in items] == [("user1 a", "Hello user2, user 3"), ("user1 a", "hi user2")]
    assert items[0].sent == utc(2021, 5, 25, 20, 12, 14, 864000)
    assert items[-1].sent == utc(2021, 6, 3, 23, 22, 47, 488000)
    assert items[0].conversation == "19:3c9e92a344704332bbf5bda58f4d37b1@thread.v2"
    assert items[1].conversation == "19:0b4f1cf6-54c8-4820-bbb7-2a1f4257ade5_0d7c63d3-1306-4eec-8f21-588a70fb6ef1@unq.gbl.spaces"


def test_score_sniffs_content():
    head = sample(EX1).read_bytes()
    assert TeamsConnector.score(Path("page.txt"), head) >= 0.9
    assert TeamsConnector.score(Path("x.json"), b'{"name": "Bob", "messages": []}') == 0.0


# built input -------------------------------------------------------------------------------------
def msg(mid: str, **kw) -> dict:
    m = {"id": mid, "replyToId": None, "messageType": "message", "createdDateTime": "2025-03-11T08:14:00.1234567Z",
         "lastEditedDateTime": None, "deletedDateTime": None, "chatId": None, "channelIdentity": None,
         "from": {"application": None, "device": None,
                  "user": {"id": "u1", "displayName": "Sanne de Vries", "userIdentityType": "aadUser"}},
         "body": {"contentType": "text", "content": f"bericht {mid}"}, "attachments": [], "mentions": [],
         "reactions": []}
    m.update(kw)
    return m


CHANNEL = {"teamId": "t-1", "channelId": "19:abc@thread.tacv2"}


def test_channel_messages_and_replies_as_json_lines(tmp_path):
    lines = [
        msg("100", channelIdentity=CHANNEL, subject="Windturbines"),
        msg("101", channelIdentity=CHANNEL, replyToId="100", lastEditedDateTime="2025-03-11T09:00:00Z",
            body={"contentType": "html", "content": '<p>Eens, <at id="0">Piet Jansen</at> '
                  '<emoji id="1f44d_thumbsup" alt="👍" title="Duim omhoog"></emoji></p>'},
            mentions=[{"id": 0, "mentionText": "Piet Jansen", "mentioned": {"user": {"displayName": "Piet Jansen"}}}]),
        msg("102", channelIdentity=CHANNEL, replyToId="100", deletedDateTime="2025-03-11T10:00:00Z",
            body={"contentType": "html", "content": ""}),
        msg("103", chatId="19:meeting_x@thread.v2", **{"from": {"application": {"id": "a", "displayName": "Planner"}}},
            attachments=[{"id": "att1", "contentType": "reference", "contentUrl": "https://x/nota.docx",
                          "name": "nota.docx"}],
            body={"contentType": "html", "content": '<attachment id="att1"></attachment>'}),
    ]
    p = tmp_path / "export.jsonl"
    p.write_text("\n".join(json.dumps(m) for m in lines) + "\n")
    items = run_connector("teams", p)["items"]
    root, reply, deleted, app = items
    assert root.conversation == reply.conversation == deleted.conversation == "t-1/19:abc@thread.tacv2"
    assert root.subject == "Windturbines" and root.meta["team_id"] == "t-1"
    assert reply.meta["reply_to"] == "100" and reply.body == "Eens, @Piet Jansen 👍"
    assert reply.meta["edited"] == "2025-03-11T09:00:00+00:00" and reply.meta["mentions"] == ["Piet Jansen"]
    assert deleted.meta["deleted"] == "2025-03-11T10:00:00+00:00" and deleted.body == ""
    assert app.sender == "Planner" and app.meta["sender_kind"] == "application"
    assert app.meta["attachments"] == [{"id": "att1", "name": "nota.docx", "contentType": "reference",
                                        "contentUrl": "https://x/nota.docx"}]
    assert app.body == "[bijlage: nota.docx]"
    assert root.sent == utc(2025, 3, 11, 8, 14, 0, 123456)
    assert [i.locator for i in items] == ["line 1", "line 2", "line 3", "line 4"]


def test_html_quotes_and_code():
    html = ('<blockquote itemtype="http://schema.skype.com/Reply" itemid="1"><strong>Sanne</strong>'
            '<p>Is het klaar?</p></blockquote><p>Ja, zie:</p><codeblock class="Python"><code>x = 1<br>'
            'if x &lt; 2:<br>    print(x)</code></codeblock>')
    assert body_text(html, "html") == "> Sanne\n> Is het klaar?\n\nJa, zie:\n\nx = 1\nif x < 2:\n    print(x)"
    assert body_text("<systemEventMessage/>", "html") == ""
    assert body_text("a  \r\nb", "text") == "a\nb"


def test_folder_of_pages_and_second_run(tmp_path):
    for n in (1, 2):
        page = {"@odata.nextLink": "https://graph.microsoft.com/v1.0/x?$skiptoken=1" if n == 1 else None,
                "value": [msg(f"{n}00", chatId="19:c@thread.v2"), msg(f"{n}01", chatId="19:c@thread.v2")]}
        (tmp_path / f"page{n}.json").write_text(json.dumps(page))
    (tmp_path / "notes.json").write_text("{broken")
    sink = MemorySink()
    out = run_connector("teams", tmp_path, sink)
    assert [i.message_id for i in out["items"]] == ["100", "101", "200", "201"]
    assert len(out["failures"]) == 1 and out["failures"][0].path.endswith("notes.json")
    again = run_connector("teams", tmp_path, sink)
    assert again["items"] == [] and len(again["failures"]) == 1  # pages checkpointed, the broken file retried


def test_unreadable_timestamp_kept_and_reported(tmp_path):
    p = tmp_path / "p.json"
    p.write_text(json.dumps({"value": [msg("1", chatId="c", createdDateTime="gisteren"), msg("2", chatId="c")]}))
    out = run_connector("teams", p)
    assert [i.sent for i in out["items"]] == [None, utc(2025, 3, 11, 8, 14, 0, 123456)]
    assert out["items"][0].meta["time_unreadable"] == "gisteren"
    assert [f.locator for f in out["failures"]] == ["message 1"] and "gisteren" in out["failures"][0].reason


def test_truncated_page_keeps_earlier_messages(tmp_path):
    text = json.dumps({"value": [msg("1", chatId="c"), msg("2", chatId="c"), msg("3", chatId="c")]}, indent=2)
    p = tmp_path / "p.json"
    p.write_text(text[: text.index('"3"') + 20])
    out = run_connector("teams", p)
    assert [i.message_id for i in out["items"]] == ["1", "2"]
    assert "the 2 messages before line" in out["failures"][0].reason


@pytest.mark.parametrize("content,reason", [
    (b"", "not valid JSON"), (b"[[[[" * 5000, "JSON"), (b'{"foo": 1}', "not a Graph chatMessage page"),
    (b'{"value": 3}', "not a list"), (b"\xff\xfe\x00garbage", "not valid JSON"),
])
def test_bad_single_files_raise(tmp_path, content, reason):
    p = tmp_path / "x.json"
    p.write_bytes(content)
    with pytest.raises(ConnectorError, match=reason) as e:
        run_connector("teams", p)
    assert e.value.path == str(p)


# properties --------------------------------------------------------------------------------------
PROPS = settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids, max_size=4),
                    max_leaves=20)
FIELDS = ["id", "replyToId", "messageType", "createdDateTime", "lastEditedDateTime", "deletedDateTime", "chatId",
          "channelIdentity", "from", "body", "attachments", "mentions", "reactions", "eventDetail", "subject"]


@PROPS
@given(value=JSON)
def test_arbitrary_json_never_crashes(tmp_path, value):
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"value": [value, msg("9", chatId="c")]}))
    items, _, error = partial(p)
    assert error is None and items[-1].message_id == "9"


@PROPS
@given(fields=st.dictionaries(st.sampled_from(FIELDS), JSON, max_size=6), drop=st.sets(st.sampled_from(FIELDS)))
def test_mutated_messages_never_crash(tmp_path, fields, drop):
    m = msg("1", chatId="c")
    m.update(fields)
    for k in drop:
        m.pop(k, None)
    p = tmp_path / "x.json"
    p.write_text(json.dumps({"value": [msg("0", chatId="c"), m]}))
    items, _, error = partial(p)
    assert error is None and items[0].message_id == "0"


def _kept_after_damage(tmp_path, name: str, pos: int, cut: bool, byte: int) -> tuple[set[str], list[str]]:
    """(ids a damaged copy of a sample yields, ids of the messages whole before byte ``pos``)."""
    raw = bytearray(sample(name).read_bytes())
    pos %= len(raw)
    whole = [m["id"] for end, m in json_element_ends(bytes(raw), "value") if end <= pos]
    if cut:
        raw = raw[:pos]
    else:
        raw[pos] = byte
    p = tmp_path / "x.json"
    p.write_bytes(bytes(raw))
    items, _, _ = partial(p)
    return {i.message_id for i in items}, whole


@PROPS
@given(pos=st.integers(0, 1 << 16), cut=st.booleans(), byte=st.integers(0, 255))
def test_truncated_and_flipped_samples(tmp_path, pos, cut, byte):
    ids, whole = _kept_after_damage(tmp_path, EX2, pos, cut, byte)
    assert ids >= set(whole)


@pytest.mark.parametrize("name", [EX1, EX2, ALL])
def test_every_cut_next_to_a_message_end_keeps_the_whole_ones(tmp_path, name):
    raw = sample(name).read_bytes()
    ends = [end for end, _ in json_element_ends(raw, "value")]
    for pos in cuts_at_boundaries(ends, len(raw)):
        ids, whole = _kept_after_damage(tmp_path, name, pos, True, 0)
        assert ids >= set(whole), f"cut at byte {pos}"


def test_every_cut_of_json_lines_keeps_the_whole_lines(tmp_path):
    lines = [json.dumps(msg(str(i), chatId="c", body={"contentType": "text", "content": f"bericht {i} é👀"}),
                        ensure_ascii=False).encode() for i in range(4)]
    raw = b"\n".join(lines) + b"\n"
    ends = [sum(len(x) + 1 for x in lines[:k]) + len(lines[k]) for k in range(len(lines))]
    p = tmp_path / "x.jsonl"
    for pos in cuts_at_boundaries(ends, len(raw)):
        p.write_bytes(raw[:pos])
        whole = [str(k) for k, end in enumerate(ends) if end <= pos]
        items, _, _ = partial(p)
        assert [i.message_id for i in items][: len(whole)] == whole, f"cut at byte {pos}"


@PROPS
@given(lines=st.lists(st.binary(max_size=80), max_size=6))
def test_arbitrary_json_lines(tmp_path, lines):
    p = tmp_path / "x.jsonl"
    p.write_bytes(json.dumps(msg("0", chatId="c")).encode() + b"\n" + b"\n".join(lines))
    items, _, error = partial(p)
    assert error is None and items[0].message_id == "0"


@pytest.mark.parametrize("evil", ["<" * 500_000, "<emoji alt=" * 50_000, "<at>" * 100_000, "<blockquote>" * 40_000])
def test_hostile_html_in_linear_time(evil):
    import time

    t0 = time.monotonic()
    body_text(evil, "html")
    assert time.monotonic() - t0 < 2

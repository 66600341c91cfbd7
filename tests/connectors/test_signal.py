"""The signal connector on folders built exactly as signal-export (github carderne/signal-export) writes them.

No real export may be shared (they are private chats), so the inputs are written here the way the
tool's own code writes them. The reference, from carderne/signal-export:

sigexport/main.py:
        (dest / name).mkdir(parents=True, exist_ok=True)
        md_path = dest / name / "chat.md"
        js_path = dest / name / "data.json"
        ...
            js_f = js_path.open("a", encoding="utf-8")
        ...
                if js_f:
                    print(msg.dict_str(), file=js_f)

sigexport/models.py:
    @dataclass
    class Message:
        date: datetime
        sender: str
        body: str
        quote: str
        sticker: Sticker | None
        reactions: list[Reaction]
        attachments: list[Attachment]
        deleted: bool = False
        call: bool = False
        missed: bool = False
    ...
    def dict(self: Message) -> JsonDict:
        msg_dict = asdict(self)
        msg_dict["date"] = msg_dict["date"].isoformat()
        return msg_dict

    def dict_str(self: Message) -> str:
        return json.dumps(self.dict(), ensure_ascii=False)

sigexport/create.py:
    body = body.replace("`", "")  # stop md code sections forming
    body += "  "  # so that markdown newlines

    sender = "No-Sender"
    if msg.type == "outgoing":
        sender = "Me"
    ...
        path = Path("media") / file_name
        path = Path(re.sub(r"\\s", "%20", str(path)))
    ...
            quote = msg.quote["text"].rstrip("\\n")
            quote = quote.replace("\\n", "\\n> ")
            quote = f"\\n\\n> {quote}\\n\\n"

sigexport/utils.py:
    def dt_from_ts(ts: float | dict[str, Any]) -> datetime:
        ...
            return datetime.fromtimestamp(ts / 1000.0)

sigexport/files.py (attachment names):
                    date = (
                        datetime.fromtimestamp(msg.get_ts() / 1000)
                        .isoformat(timespec="milliseconds")
                        .replace(":", "-")
                    )
                    ...
                    att["fileName"] = (
                        f"{date}_{i:02}_{file_name}".replace(" ", "_")
"""

from __future__ import annotations

import json
from collections import namedtuple
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.signal import SignalConnector
from tests.conftest import MemorySink, cuts_at_boundaries, partial_run, run_connector
from woo_collector.errors import ConnectorError
from woo_collector.models import Failure, Item

UTC = timezone.utc
Reaction = namedtuple("Reaction", ["name", "emoji"])  # as sigexport/models.py


@dataclass
class Attachment:  # as sigexport/models.py
    name: str
    path: str


@dataclass
class Message:  # as sigexport/models.py
    date: datetime
    sender: str
    body: str
    quote: str = ""
    sticker: str = ""
    reactions: list = field(default_factory=list)
    attachments: list = field(default_factory=list)
    deleted: bool = False
    call: bool = False
    missed: bool = False

    def dict_str(self) -> str:
        d = asdict(self)
        d["date"] = d["date"].isoformat()
        return json.dumps(d, ensure_ascii=False)


def export_chat(dest: Path, name: str, messages: list[Message], media: dict[str, bytes] | None = None) -> Path:
    """Write a chat folder as sigexport/main.py does (chat.md and data.json, media/)."""
    folder = dest / name
    (folder / "media").mkdir(parents=True, exist_ok=True)
    for fn, data in (media or {}).items():
        (folder / "media" / fn).write_bytes(data)
    with (folder / "data.json").open("a", encoding="utf-8") as js, (folder / "chat.md").open("a") as md:
        for m in messages:
            m.body = m.body.replace("`", "") + "  "  # as create.py
            print(f"[{m.date:%Y-%m-%d %H:%M:%S}] {m.sender}: {m.body}", file=md)
            print(m.dict_str(), file=js)
    return folder


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


@pytest.fixture
def export(tmp_path) -> Path:
    dest = tmp_path / "signal-chats"
    photo = "2025-03-11T09-14-00.000_00_IMG_0042.jpg"
    export_chat(dest, "SannedeVries", [
        Message(datetime(2025, 3, 11, 9, 14, 0, 123000), "Sanne de Vries", "Is het raadsvoorstel klaar?",
                reactions=[Reaction("Me", "👍")], attachments=[Attachment(photo, f"media/{photo}")]),
        Message(datetime(2025, 3, 11, 9, 15), "Me", "Ja, zie `bijlage`",
                quote="\n\n> Is het raadsvoorstel klaar?\n> Groet\n\n"),
        Message(datetime(2025, 3, 11, 9, 16), "Sanne de Vries", "", deleted=True),
        Message(datetime(2025, 10, 26, 2, 30), "Me", "Incoming call", call=True, missed=True),
    ], {photo: b"\xff\xd8jpeg"})
    export_chat(dest, "Wethouders", [
        Message(datetime(2024, 7, 1, 23, 59, 59), "Karin", "Morgen om 9 uur"),
        Message(datetime(2024, 7, 1, 23, 59, 59), "Karin", "Morgen om 9 uur"),  # a real double send
        Message(datetime(2024, 7, 2, 8, 0), "No-Sender", "ok",
                attachments=[Attachment("2024-07-02T08-00-00.000_00_nota woo.pdf", "media/2024-07-02T08-00-00.000_00_nota%20woo.pdf")]),
    ])
    return dest


def test_export_folder(export):
    sink = MemorySink()
    out = run_connector("signal", export, sink, custodian="Piet Jansen")
    items = out["items"]
    assert len(items) == 8 and out["failures"] == []  # 7 messages and the photo the export holds
    media = [i for i in items if i.kind == "attachment"]
    items = [i for i in items if i.kind == "chat"]
    chat = [i for i in items if i.conversation == "signal:SannedeVries"]
    group = [i for i in items if i.conversation == "signal:Wethouders"]
    assert len(chat) == 4 and len(group) == 3
    (medium,) = media  # the PDF of the group is not in the export folder: listed in meta, no item
    assert medium.parent == chat[0].id and medium.conversation == "signal:SannedeVries" and medium.platform == "signal"
    assert medium.sent == chat[0].sent and medium.subject == "2025-03-11T09-14-00.000_00_IMG_0042.jpg"
    assert medium.filetype == "image" and medium.body == "" and sink.blobs[medium.sha256] == b"\xff\xd8jpeg"
    first, mine, deleted, call = chat
    # local clock of the exporting computer, read as Europe/Amsterdam (CET in March, CEST in July)
    assert first.sent == utc(2025, 3, 11, 8, 14, 0, 123000)
    assert first.sender == "Sanne de Vries" and first.body == "Is het raadsvoorstel klaar?"
    assert first.meta["reactions"] == [{"by": "Me", "emoji": "👍"}]
    photo = first.meta["media"][0]
    assert photo["name"] == "2025-03-11T09-14-00.000_00_IMG_0042.jpg" and sink.blobs[photo["sha256"]] == b"\xff\xd8jpeg"
    assert mine.sender == "Piet Jansen" and mine.meta["direction"] == "sent" and mine.body == "Ja, zie bijlage"
    assert mine.meta["quote"] == "Is het raadsvoorstel klaar?\nGroet"
    assert deleted.meta["deleted"] is True and deleted.body == ""
    assert call.meta["event"] == "missed call"
    assert call.sent == utc(2025, 10, 26, 0, 30)  # 02:30 in the autumn hour read as CEST (the first)
    assert group[0].sent == utc(2024, 7, 1, 21, 59, 59)
    assert group[0].id != group[1].id and group[1].message_id.endswith(":1")
    assert group[2].sender == "" and group[2].meta["media"][0]["missing"] == "not in the export folder"
    assert [i.locator for i in group] == ["Wethouders/data.json line 1", "Wethouders/data.json line 2",
                                          "Wethouders/data.json line 3"]
    assert all(i.kind == "chat" and i.platform == "signal" for i in items)
    assert {i.subject for i in items} == {"SannedeVries", "Wethouders"}
    assert len(out["checkpoints"]) == 2
    assert chat[0].sha256 != group[0].sha256  # each data.json kept as its own original
    assert run_connector("signal", export, sink)["items"] == []  # both files checkpointed


def test_timezone_setting_and_stable_ids(export):
    a = run_connector("signal", export, timezone="UTC")["items"]
    b = run_connector("signal", export, timezone="UTC")["items"]
    assert a[0].sent == utc(2025, 3, 11, 9, 14, 0, 123000)
    assert [i.id for i in a] == [i.id for i in b]
    with pytest.raises(ConnectorError, match="time zone"):
        run_connector("signal", export, timezone="Mars/Olympus")


def test_single_data_json_and_score(export):
    data = export / "Wethouders" / "data.json"
    items = run_connector("signal", data)["items"]
    assert [i.body for i in items] == ["Morgen om 9 uur", "Morgen om 9 uur", "ok"]
    assert SignalConnector.score(export, b"") == 0.9
    assert SignalConnector.score(data, data.read_bytes()) == 0.9
    assert SignalConnector.score(Path("x.json"), b'{"value": []}') == 0.0


def test_no_json_export_says_what_to_do(tmp_path):
    (tmp_path / "Sanne").mkdir()
    (tmp_path / "Sanne" / "chat.md").write_text("[2025-03-11 09:14:00] Sanne: hoi  \n")
    with pytest.raises(ConnectorError, match="--no-json"):
        run_connector("signal", tmp_path)


def test_broken_lines_reported_others_kept(export):
    data = export / "Wethouders" / "data.json"
    lines = data.read_text().splitlines()
    data.write_text("\n".join([lines[0], '{"date": "2024-07-02", "sender":', "[1, 2]", lines[2]]) + "\n")
    out = run_connector("signal", data)
    assert [i.body for i in out["items"]] == ["Morgen om 9 uur", "ok"]
    assert [f.locator for f in out["failures"]] == ["Wethouders/data.json line 2", "Wethouders/data.json line 3"]
    assert out["checkpoints"] == []


def test_not_signal_alone_raises(tmp_path):
    p = tmp_path / "data.json"
    p.write_text('{"name": "Bob", "messages": [')
    with pytest.raises(ConnectorError, match="line 1"):
        run_connector("signal", p)


def test_attachment_paths_cannot_leave_the_chat_folder(tmp_path):
    (tmp_path / "secret.txt").write_text("geheim")
    export_chat(tmp_path / "out", "X", [Message(datetime(2025, 1, 1), "Y", "z",
                                               attachments=[Attachment("s", "../../secret.txt")])])
    sink = MemorySink()
    item = run_connector("signal", tmp_path / "out", sink)["items"][0]
    assert item.meta["media"][0]["missing"] == "path outside the chat folder"
    assert b"geheim" not in sink.blobs.values()


# properties --------------------------------------------------------------------------------------
PROPS = settings(max_examples=60, deadline=3000, suppress_health_check=[HealthCheck.function_scoped_fixture])
JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=20),
                    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=10), kids, max_size=4),
                    max_leaves=15)
KEYS = ["date", "sender", "body", "quote", "sticker", "reactions", "attachments", "deleted", "call", "missed", "edits"]


def partial(path: Path) -> tuple[list[Item], list[Failure], ConnectorError | None]:
    return partial_run("signal", path, "Piet", "s")


FIRST = Message(datetime(2025, 1, 1, 12), "Sanne", "eerste").dict_str()


@PROPS
@given(fields=st.dictionaries(st.sampled_from(KEYS), JSON), raw=st.binary(max_size=100))
def test_mutated_lines_never_crash_nor_lose_the_first(tmp_path, fields, raw):
    chat = tmp_path / "C"
    chat.mkdir(exist_ok=True)
    (chat / "data.json").write_bytes(
        FIRST.encode() + b"\n" + json.dumps(fields).encode() + b"\n" + raw + b"\n" + FIRST.encode())
    items, _, error = partial(chat / "data.json")
    assert error is None and items[0].body == "eerste" and items[-1].body == "eerste"


@PROPS
@given(cut=st.integers(0, 400), flip=st.integers(0, 255))
def test_truncated_and_flipped_files(tmp_path, cut, flip):
    raw = bytearray((FIRST + "\n" + FIRST.replace("eerste", "tweede") + "\n").encode())
    cut = min(cut, len(raw) - 1)
    mutated = bytes(raw[:cut]) if flip % 2 else bytes(raw[:cut]) + bytes([flip]) + bytes(raw[cut + 1:])
    (tmp_path / "data.json").write_bytes(mutated)
    items, _, _ = partial(tmp_path / "data.json")
    if cut > len(FIRST):
        assert items and items[0].body == "eerste"


def test_every_cut_next_to_a_message_end_keeps_the_whole_ones(tmp_path):
    lines = [Message(datetime(2025, 1, 1, 12, k), "Sanne", f"bericht {k} é👀").dict_str().encode() for k in range(4)]
    raw = b"\n".join(lines) + b"\n"
    ends = [sum(len(x) + 1 for x in lines[:k]) + len(lines[k]) for k in range(len(lines))]
    p = tmp_path / "data.json"
    for pos in cuts_at_boundaries(ends, len(raw)):
        p.write_bytes(raw[:pos])
        whole = [f"bericht {k} é👀" for k, end in enumerate(ends) if end <= pos]
        items, _, _ = partial(p)
        assert [i.body for i in items][: len(whole)] == whole, f"cut at byte {pos}"

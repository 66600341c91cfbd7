"""The WhatsApp connector against real exports (../shared/samples) and against inputs built here."""

from __future__ import annotations

import hashlib
import tempfile
import time
import tracemalloc
import zipfile
from collections import Counter, defaultdict
from datetime import datetime, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connectors.base import SourceSpec
from connectors.whatsapp import WhatsAppConnector, conversation_name
from tests.conftest import MemorySink, drain, sample
from woo_collector.errors import ConnectorError

DSA = "DSA-WhatsApp-merger/Demo Data/Chats"
ALICE = f"{DSA}/Alice Wonderland/Export 1/WhatsApp Chat with Test export.txt"
BOB = f"{DSA}/Bob Bobsen/Export Bob/WhatsApp Chat with Test export.txt"
CAROL = f"{DSA}/Carol Christmas/Export Carol/WhatsApp-chat met Test export.txt"
DAVE = f"{DSA}/Dave Davidson/Dave 1 media/_chat.txt"
WJ = "whats_json/test/data"


def run(path, sink=None, custodian="tester", name="test-whatsapp"):
    spec = SourceSpec(name=name, type="whatsapp", path=str(path), custodian=custodian)
    return drain(WhatsAppConnector(spec, sink or MemorySink()))


def chats(out):
    return [i for i in out["items"] if i.kind == "chat"]


def utc(s: str) -> datetime:
    return datetime.fromisoformat(s).astimezone(timezone.utc)


# -- every real export: count, authors, first and last time, a few texts ---------------------------
# (path, chat items, of which messages, authors of messages, first sent, last sent, conversation,
#  {seq: text at the start of the body})
REAL = [
    (ALICE, 68, 64, {"Alice", "Bob Bobsen Work", "Carol Christmas Work", "Dave Privé"},
     "2022-05-01T16:08+02:00", "2022-05-02T16:28+02:00", "Test export",
     {3: "Hoi, ik heb de chat gemaakt", 29: "Komt een vis bij de dokter,\n\nZegt de dokter:"}),
    (BOB, 77, 69, {"Alice", "Bob", "+31 6 22222222", "+31 6 33333333"},
     "2022-05-02T16:08+02:00", "2022-05-02T16:37+02:00", "Test export",
     {77: "Tja, het kan niet eeuwig duren"}),
    (CAROL, 78, 69, {"Alice", "Carol", "Dave", "+31 6 11111111"},
     "2022-05-02T16:08+02:00", "2022-05-02T16:35+02:00", "Test export",
     {2: "Alice heeft de groep Test export gemaakt", 78: "Wat jammer zeg, ik vond het zo gezellig"}),
    (DAVE, 75, 63, {"Dave", "+31 6 11111111", "+31 6 12345678", "+31 6 22222222"},
     "2022-05-02T16:08:13+02:00", "2022-05-02T16:44:36+02:00", "Test export nieuwe naam",
     {4: "Ik heb een iPhone en het is nu 16.12", 75: "Toedels"}),
    (f"{WJ}/android/WhatsApp Chat with Dmitry S EN Android.txt", 60, 57, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "Dmitry S EN Android",
     {2: "Hello", 4: "<Media omitted>", 8: "location: https://maps.google.com/", 59: "Missed voice call"}),
    (f"{WJ}/android/WhatsApp Chat with Group Chat XXX Android.txt", 20, 4, {"Dmitry S"},
     "2023-01-11T16:13+01:00", "2023-01-11T16:57+01:00", "Group Chat XXX Android",
     {2: 'Dmitry S created group "Group Chat"', 18: "This is group chat", 20: "We"}),
    (f"{WJ}/android/Chat WhatsApp s\u00a0uživatelem Dmitry S CZ Android.txt", 60, 57, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "Dmitry S CZ Android",
     {3: "<Média vynechány>", 59: "Zmeškaný hovor"}),
    (f"{WJ}/android/Чат WhatsApp с\u00a0контактом Dmitry S RU Android.txt", 60, 57, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "Dmitry S RU Android",
     {3: "<Без медиафайлов>", 59: "Пропущенный аудиозвонок"}),
    (f"{WJ}/chats_unique/WhatsApp-chat met Dmitry S.txt", 41, 38, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "Dmitry S",
     {3: "<Media weggelaten>"}),
    (f"{WJ}/languages/deutch_android_media.txt", 41, 38, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "deutch_android_media", {2: "Hello"}),
    (f"{WJ}/languages/english_android.txt", 60, 57, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "english_android", {2: "Hello"}),
    (f"{WJ}/languages/english_android_media.txt", 60, 57, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "english_android_media",
     {5: "<Media omitted>\nкарточка компании"}),
    (f"{WJ}/languages/russian_android.txt", 60, 57, {"Dmitry S", "Elon"},
     "2022-03-23T13:31+01:00", "2023-01-07T23:32+01:00", "russian_android", {2: "Hello"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (EN).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (EN)",
     {2: "Hello World", 3: "image omitted"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (EN+Media).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (EN+Media)",
     {3: "<attached: 00000035-PHOTO-2022-03-27-21-41-55.jpg>"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (Arabic).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (Arabic)", {2: "Hello World"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (CZ).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (CZ)", {3: "obrázek vynechán"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (FR).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (FR)", {3: "image absente"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (German).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (German)", {3: "Bild weggelassen"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (RU).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (RU)", {2: "Hello World"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (RU).zip", 25, 22, {"Dmitry Starkov", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (RU)", {2: "Hello World"}),
    (f"{WJ}/ios/WhatsApp Chat - Elon Musk (UKR).txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-07T23:32:30+01:00", "Elon Musk (UKR)", {2: "Hello World"}),
    (f"{WJ}/ios/iOS Hindi.txt", 28, 25, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-12T15:35:14+01:00", "iOS Hindi", {2: "Hello World"}),
    (f"{WJ}/ios/iOS Indonesian.txt", 28, 25, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2023-01-12T15:35:14+01:00", "iOS Indonesian", {3: "gambar tidak disertakan"}),
    (f"{WJ}/ios/iOS Japanese.txt", 28, 25, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2023-01-12T15:35:14+01:00", "iOS Japanese", {2: "Hello World"}),
    (f"{WJ}/ios/iOS Thai.txt", 28, 25, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2023-01-12T15:35:15+01:00", "iOS Thai", {2: "Hello World"}),
    (f"{WJ}/ios/iOS Vietnamese.txt", 28, 25, {"Dmitry S", "Musk Elon"},
     "2022-03-18T14:56:01+01:00", "2023-01-12T15:35:15+01:00", "iOS Vietnamese", {3: "đã bỏ qua hình ảnh"}),
    (f"{WJ}/languages/arabic_ios.txt", 23, 22, {"Dmitry S", "+40 521 028 61 88"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "arabic_ios", {2: "Hello World"}),
    (f"{WJ}/languages/arabic2_ios.txt", 23, 22, {"Dmitry Starkov", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2022-03-27T21:56:45+02:00", "arabic2_ios", {2: "Hello World"}),
    (f"{WJ}/languages/czech_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "czech_ios", {2: "Hello World"}),
    (f"{WJ}/languages/deutch_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "deutch_ios", {2: "Hello World"}),
    (f"{WJ}/languages/english_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2022-03-27T21:56:45+02:00", "english_ios", {2: "Hello World"}),
    (f"{WJ}/languages/english_ios_media.txt", 25, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2023-01-07T23:32:30+01:00", "english_ios_media", {2: "Hello World"}),
    (f"{WJ}/languages/french_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "french_ios", {2: "Hello World"}),
    (f"{WJ}/languages/hindi_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "hindi_ios", {2: "Hello World"}),
    (f"{WJ}/languages/indonesian_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2022-03-27T21:56:45+02:00", "indonesian_ios", {2: "Hello World"}),
    (f"{WJ}/languages/japanese_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "japanese_ios", {2: "Hello World"}),
    (f"{WJ}/languages/russian_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "russian_ios", {2: "Hello World"}),
    (f"{WJ}/languages/thai_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:01+01:00", "2022-03-27T21:56:45+02:00", "thai_ios", {2: "Hello World"}),
    (f"{WJ}/languages/ukrainian_ios.txt", 23, 22, {"Dmitry S", "Elon Musk"},
     "2022-03-18T14:56:00+01:00", "2022-03-27T21:56:45+02:00", "ukrainian_ios", {2: "Hello World"}),
    (f"{WJ}/languages/vietnamese_ios.txt", 23, 22, {"Dmitry S", "Musk Elon"},
     "2022-03-18T14:56:01+01:00", "2022-03-27T21:56:46+02:00", "vietnamese_ios", {2: "Hello World"}),
    ("chat-analytics/tests/samples/whatsapp/2A_5M.txt", 5, 5, {"A", "B"},
     "2021-01-01T12:00+01:00", "2021-01-01T12:02+01:00", "2A_5M",
     {1: "Hi", 5: "This message should be reordered"}),
    ("chat-analytics/tests/samples/whatsapp/4A_11M.txt", 14, 11, {"Alice", "Bob", "Eve", "Mallory", "Trent"},
     "2020-12-09T23:55+01:00", "2020-12-09T23:56+01:00", "4A_11M", {4: "hello", 13: "im still mallory"}),
    ("chat-analytics/tests/samples/whatsapp/4A_11M.zip", 14, 11, {"Alice", "Bob", "Eve", "Mallory", "Trent"},
     "2020-12-09T23:55+01:00", "2020-12-09T23:56+01:00", "4A_11M", {4: "hello"}),
]


@pytest.mark.parametrize("rel,n,n_msgs,authors,first,last,conv,texts", REAL, ids=[r[0].split("/")[-1] for r in REAL])
def test_real_export(rel, n, n_msgs, authors, first, last, conv, texts):
    out = run(sample(rel))
    items = chats(out)
    assert out["failures"] == []
    assert len(items) == n
    msgs = [i for i in items if "event" not in i.meta]
    assert len(msgs) == n_msgs
    assert {i.sender for i in msgs} == authors
    assert items[0].sent == utc(first) and items[0].sent.tzinfo == timezone.utc
    assert items[-1].sent == utc(last)
    assert {i.subject for i in items} == {conv}
    assert [i.seq for i in items] == list(range(1, n + 1))
    by_seq = {i.seq: i for i in items}
    for seq, text in texts.items():
        assert by_seq[seq].body.startswith(text), (seq, by_seq[seq].body)
    assert len({i.id for i in items}) == n
    assert all(i.platform == "whatsapp" and i.locator.endswith(f"regel {i.locator.split()[-1]}") for i in items)
    assert out["checkpoints"] and out["checkpoints"][-1].key.startswith("file:")


def test_deleted_in_many_locales():
    for rel in (ALICE, CAROL, DAVE, f"{WJ}/ios/WhatsApp Chat - Elon Musk (CZ).txt", f"{WJ}/languages/arabic_ios.txt",
                f"{WJ}/ios/iOS Japanese.txt", f"{WJ}/android/Чат WhatsApp с\u00a0контактом Dmitry S RU Android.txt"):
        items = chats(run(sample(rel)))
        deleted = [i for i in items if i.meta.get("deleted")]
        assert deleted, rel
        assert all("event" not in i.meta and i.sender for i in deleted)


# -- the ministry's four exports of one group --------------------------------------------------------
def test_alice_android_english():
    out = run(sample(ALICE))
    items = chats(out)
    first = items[0]
    assert first.meta["event"] == "encryption" and first.sender == ""
    assert items[1].meta["event"] == "created" and items[1].body == 'You created group "Test export"'
    assert items[-1].meta["event"] == "left" and items[-1].body == "You left"
    # the pasted block of old messages with '[5/2, 16:08] Alice:' prefixes stays one message
    pasted = next(i for i in items if i.body.startswith("[5/2, 16:08] Alice: Hoi"))
    assert pasted.sender == "Bob Bobsen Work"
    assert pasted.body.count("\n") == 4 and pasted.body.endswith("[5/2, 16:09] Bob: De taal is ingesteld op: Engels")
    assert pasted.sent == utc("2022-05-02T16:15+02:00")
    assert pasted.locator == "regel 19"
    joke = next(i for i in items if i.body.startswith("Komt een vis"))
    assert joke.body == 'Komt een vis bij de dokter,\n\nZegt de dokter: "ah ik zie het al: Uit de kom"'
    own = next(i for i in items if i.body == "You deleted this message")
    assert own.meta["deleted"] is True and own.sender == "Alice"
    photo = next(i for i in items if i.body.startswith("IMG-20220502-WA0003.jpg"))
    assert photo.body == "IMG-20220502-WA0003.jpg (file attached)\nDit is een foto"
    real = Path(sample(ALICE)).parent / "IMG-20220502-WA0003.jpg"
    assert photo.meta["media"] == [{"name": "IMG-20220502-WA0003.jpg",
                                   "sha256": hashlib.sha256(real.read_bytes()).hexdigest(),
                                   "size": real.stat().st_size}]
    att = [i for i in out["items"] if i.kind == "attachment" and i.parent == photo.id]
    assert len(att) == 1 and att[0].body == "" and att[0].sha256 == photo.meta["media"][0]["sha256"]
    assert photo.recipients == ("Alice", "Carol Christmas Work", "Dave Privé")
    assert photo.meta["participants"] == ["Alice", "Bob Bobsen Work", "Carol Christmas Work", "Dave Privé"]
    joined = next(i for i in items if i.meta.get("event") == "joined")
    assert joined.sender == "Dave Privé" and joined.body == "Dave Privé joined using your invite"


def test_carol_android_dutch():
    items = chats(run(sample(CAROL)))
    ev = Counter(i.meta.get("event") for i in items if "event" in i.meta)
    assert ev == {"encryption": 1, "created": 1, "added": 3, "left": 2, "admin": 1, "joined": 1}
    created = items[1]
    assert created.sender == "Alice" and created.meta["raw"].startswith("02-05-2022 16:08 - \u200eAlice heeft")
    doc = next(i for i in items if i.body.startswith("DOC-20220502-WA0006."))
    assert doc.body == "DOC-20220502-WA0006. (bestand bijgevoegd)\nManifesto.pdf"
    # a reference without extension links the file of that name
    assert [m["name"] for m in doc.meta["media"]] == ["DOC-20220502-WA0006"]
    assert doc.sender == "Carol"
    assert next(i for i in items if i.body == "Dit bericht is verwijderd").meta["deleted"] is True


def test_dave_ios_dutch():
    out = run(sample(DAVE))
    items = chats(out)
    notice = items[0]
    # iOS writes the encryption notice as if the group said it: an event, not the group's words
    assert notice.meta["event"] == "encryption" and notice.sender == ""
    assert notice.body.startswith("Berichten en gesprekken worden end-to-end versleuteld")
    assert "Test export nieuwe naam" not in notice.meta["participants"]
    created = items[1]
    assert created.meta["event"] == "created" and created.sender == "+31 6 12345678"
    assert "\u202a" in created.meta["raw"] and "\u202a" not in created.body
    # invisible marks and no-break spaces do not make two people of one number
    assert {i.sender for i in items if "event" not in i.meta} == {"Dave", "+31 6 11111111", "+31 6 12345678", "+31 6 22222222"}
    # airplane mode: file order kept, times as written
    seq = {i.seq: i for i in items}
    assert [seq[n].meta["time_as_written"] for n in (17, 18, 19)] == [
        "02-05-2022 16:20:02", "02-05-2022 16:24:29", "02-05-2022 16:20:12"]
    assert seq[18].sent == utc("2022-05-02T16:24:29+02:00") and seq[19].sent == utc("2022-05-02T16:20:12+02:00")
    manifesto = next(i for i in items if i.body.startswith("Manifesto.pdf"))
    assert manifesto.meta["media"][0]["name"] == "00000017-Manifesto.pdf" and manifesto.meta["media"][0]["size"] == 346451
    assert [i.meta["deleted"] for i in items if i.body == "U hebt dit bericht verwijderd."] == [True, True]
    subject = next(i for i in items if i.meta.get("event") == "subject")
    assert subject.body.endswith("“Test export nieuwe naam”")
    assert notice.subject == "Test export nieuwe naam"  # alone, the loose _chat.txt is named by its notice


def test_four_exports_merge_into_one_conversation():
    sink = MemorySink()
    out = run(sample(DSA), sink)
    assert out["failures"] == []
    items = chats(out)
    assert Counter(i.meta["export"] for i in items) == {
        "WhatsApp Chat with Test export.txt": 68 + 77, "WhatsApp-chat met Test export.txt": 78, "_chat.txt": 75}
    assert {i.conversation for i in items} == {"whatsapp:test export"}
    assert {i.subject for i in items} == {"Test export"}
    by_id = defaultdict(list)
    for i in items:
        by_id[i.id].append(i)
    # 298 lines in four exports are 105 messages and events; the rest are the same message again
    assert len(by_id) == 105
    assert Counter(len(v) for v in by_id.values()) == {4: 53, 3: 15, 2: 4, 1: 33}

    def one(text):
        ids = {i.id for i in items if i.body.startswith(text)}
        assert len(ids) == 1, (text, ids)
        return by_id[ids.pop()]

    # the same message from four phones: one id, whatever name each phone gives its author
    same = one("Komt een vis bij de dokter")
    assert sorted(i.sender for i in same) == ["+31 6 12345678", "Alice", "Alice", "Alice"]
    assert len({i.identity for i in same}) == 1
    assert {i.sender for i in one("Bericht 2\nMet\nEnters")} == {"Carol Christmas Work", "+31 6 22222222", "Carol"}
    # deletions and media match across locales and file names
    deleted_1613 = [v for v in by_id.values() if v[0].sent == utc("2022-05-02T16:13+02:00")]
    assert len(deleted_1613) == 1 and {i.body for i in deleted_1613[0]} == {
        "You deleted this message", "This message was deleted", "Dit bericht is verwijderd", "Dit bericht is verwijderd."}
    photo = [v for v in by_id.values() if any(i.body.startswith("IMG-20220502-WA0003.jpg") for i in v)][0]
    assert len(photo) == 4 and {i.body.split("\n")[0] for i in photo} == {
        "IMG-20220502-WA0003.jpg (file attached)", "IMG-20220502-WA0002.jpg (file attached)",
        "IMG-20220502-WA0001.jpg (bestand bijgevoegd)", "<bijgevoegd: 00000014-PHOTO-2022-05-02-16-17-01.jpg>"}
    # the run of '1'...'10' in one minute keeps its order through occurrence numbers
    ones = [v for v in by_id.values() if v[0].body == "1"]
    assert len(ones) == 3 and all(len(v) == 4 for v in ones)
    assert len(one("Ik heb een android en het is 16:08:45")) == 3  # Dave joined later
    # what cannot merge: Bob's own copy of his airplane message carries the time he sent it (16:24)
    airplane = [i for i in items if i.body.startswith("Ik stuur ook een bericht")]
    assert sorted(i.meta["time_as_written"] for i in airplane) == [
        "02-05-2022 16:26", "02-05-2022 16:26:06", "5/2/22, 16:24", "5/2/22, 16:26"]
    assert len({i.id for i in airplane}) == 3  # Alice's copy also reads 'berichtterwijl'; Carol's and Dave's merge
    # a second run of the same source adds nothing
    again = run(sample(DSA), sink)
    assert chats(again) == [] and again["failures"] == []


def test_identity_collapses_across_custodians():
    a = chats(run(sample(ALICE), custodian="Alice Wonderland"))
    b = chats(run(sample(BOB), custodian="Bob Bobsen"))
    ha = next(i for i in a if i.body == "Hoi, ik heb de chat gemaakt")
    hb = next(i for i in b if i.body == "Hoi, ik heb de chat gemaakt")
    assert ha.id != hb.id and ha.identity == hb.identity
    assert len({i.identity for i in a} & {i.identity for i in b}) == 62


def test_checkpoint_skips_a_done_export(sink):
    first = run(sample(BOB), sink)
    assert len(chats(first)) == 77
    assert chats(run(sample(BOB), sink)) == []


# -- inputs built here ----------------------------------------------------------------------------
def write(tmp_path: Path, name: str, text: str, newline: str = "\n") -> Path:
    p = tmp_path / name
    p.write_bytes(text.replace("\n", newline).encode("utf-8"))
    return p


def test_twelve_hour_clock_ios_and_android(tmp_path):
    ios = write(tmp_path, "WhatsApp Chat - Raad.txt",
                "[3/18/22, 2:56:01\u202fPM] Sanne: Vergadering om drie\n"
                "[3/18/22, 12:05:00\u202fAM] Sanne: middernacht\n"
                "[3/19/22, 12:30:00\u202fPM] Piet: middag\n", "\r\n")
    items = chats(run(ios))
    assert [i.sent for i in items] == [utc("2022-03-18T14:56:01+01:00"), utc("2022-03-18T00:05+01:00"),
                                        utc("2022-03-19T12:30+01:00")]
    assert items[0].subject == "Raad" and items[0].recipients == ("Piet",)
    android = write(tmp_path, "WhatsApp Chat with Team.txt",
                    "5/2/22, 4:08\u202fPM - Alice: Hi\n5/2/22, 4:09\u202fPM - Bob: Hallo\nnog een regel\n")
    items = chats(run(android))
    assert [(i.sender, i.body, i.sent) for i in items] == [
        ("Alice", "Hi", utc("2022-05-02T16:08+02:00")), ("Bob", "Hallo\nnog een regel", utc("2022-05-02T16:09+02:00"))]


def test_day_first_decided_from_the_whole_file(tmp_path):
    lines = [f"0{d}/02/2023, 10:0{d} - Jan: bericht {d}" for d in range(1, 10)] + ["25/02/2023, 11:00 - Jan: laatste"]
    items = chats(run(write(tmp_path, "WhatsApp-chat met Jan.txt", "\n".join(lines) + "\n")))
    assert items[0].sent == utc("2023-02-01T10:01+01:00")  # 1 February, not 2 January
    assert items[-1].sent == utc("2023-02-25T11:00+01:00")
    us = ["02/01/2023, 10:00 - Ann: a", "02/25/2023, 10:00 - Ann: b"]
    items = chats(run(write(tmp_path, "WhatsApp Chat with Ann.txt", "\n".join(us) + "\n")))
    assert items[0].sent == utc("2023-02-01T10:00+01:00")


def test_dotted_dates_and_daylight_saving_time(tmp_path):
    text = ("18.03.22, 14:56 - Dmitry: winter\n"
            "27.03.22, 03:30 - Dmitry: summer starts at 02:00\n"
            "30.10.22, 02:30 - Dmitry: twice this hour: the first is taken\n"
            "30.10.22, 04:00 - Dmitry: winter again\n")
    items = chats(run(write(tmp_path, "Chat.txt", text)))
    assert [i.sent.isoformat() for i in items] == [
        "2022-03-18T13:56:00+00:00", "2022-03-27T01:30:00+00:00", "2022-10-30T00:30:00+00:00", "2022-10-30T03:00:00+00:00"]


def test_markers_edits_deletions_media(tmp_path):
    (tmp_path / "IMG-20240101-WA0001.jpg").write_bytes(b"\xff\xd8 not really a photo")
    text = ("01-01-2024 10:00 - Piet: Vergadering verzet <Dit bericht is bewerkt>\n"
            "01-01-2024 10:01 - Piet: Dit bericht is verwijderd\n"
            "01-01-2024 10:02 - Ans: U hebt dit bericht verwijderd.\n"
            "01-01-2024 10:03 - Ans: <Media weggelaten>\n"
            "begroting.pdf\n"
            "01-01-2024 10:04 - Ans: \u200eIMG-20240101-WA0001.jpg (bestand bijgevoegd)\n"
            "Het nieuwe plan\n"
            "01-01-2024 10:05 - Piet: Gemiste spraakoproep\n"
            "01-01-2024 10:06 - Piet: tekst met <This message was edited>\n"
            "01-01-2024 10:07 - Piet heeft het onderwerp gewijzigd van 'A' naar 'B'\n")
    out = run(write(tmp_path, "WhatsApp-chat met Raad.txt", text))
    items = chats(out)
    assert items[0].body == "Vergadering verzet" and items[0].meta["edited"] is True
    assert items[1].meta["deleted"] and items[2].meta["deleted"]
    assert items[3].meta["media_omitted"] and items[3].meta["media"] == [] and items[3].body.endswith("begroting.pdf")
    assert items[4].meta["media"][0]["name"] == "IMG-20240101-WA0001.jpg"
    assert items[4].body == "IMG-20240101-WA0001.jpg (bestand bijgevoegd)\nHet nieuwe plan"
    assert items[5].meta["event"] == "missed_call" and items[5].sender == "Piet"
    assert items[6].body == "tekst met" and items[6].meta["edited"]
    assert items[7].meta["event"] == "subject" and items[7].sender == "Piet"
    assert [i.subject for i in out["items"] if i.kind == "attachment"] == ["IMG-20240101-WA0001.jpg"]


def test_zip_with_media_crlf(tmp_path):
    z = tmp_path / "WhatsApp Chat - Bouwteam.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("_chat.txt", ("[01-06-2023 09:00:00] Bouwteam: \u200eBerichten en gesprekken worden end-to-end versleuteld.\r\n"
                                  "[01-06-2023 09:01:10] Kees: Goedemorgen\r\n"
                                  "\u200e[01-06-2023 09:02:00] Kees: \u200e<bijgevoegd: 00000003-PHOTO-2023-06-01-09-02-00.jpg>\r\n"
                                  "[01-06-2023 09:03:00] Anna: \u200eafbeelding weggelaten\r\n").encode())
        zf.writestr("00000003-PHOTO-2023-06-01-09-02-00.jpg", b"photo bytes")
    sink = MemorySink()
    out = run(z, sink)
    items = chats(out)
    assert [i.body for i in items][:2] == ["Berichten en gesprekken worden end-to-end versleuteld.", "Goedemorgen"]
    assert items[0].meta["event"] == "encryption" and {i.subject for i in items} == {"Bouwteam"}
    assert items[1].locator == "_chat.txt regel 2" and items[1].sha256 == hashlib.sha256(z.read_bytes()).hexdigest()
    assert items[2].meta["media"] == [{"name": "00000003-PHOTO-2023-06-01-09-02-00.jpg",
                                       "sha256": hashlib.sha256(b"photo bytes").hexdigest(), "size": 11}]
    assert items[3].meta["media_omitted"] is True
    assert sink.blobs[items[2].meta["media"][0]["sha256"]] == b"photo bytes"
    assert out["checkpoints"][-1].key == f"file:{items[0].sha256}"


def test_conversation_names():
    assert conversation_name("WhatsApp-chat met Test export.txt") == "Test export"
    assert conversation_name("WhatsApp Chat - Elon Musk (RU).zip") == "Elon Musk (RU)"
    assert conversation_name("WhatsApp Chat with Dmitry S.txt") == "Dmitry S"
    assert conversation_name("Chat WhatsApp s\u00a0uživatelem Dmitry S CZ Android.txt") == "Dmitry S CZ Android"
    assert conversation_name("Чат WhatsApp с\u00a0контактом Dmitry S.txt") == "Dmitry S"
    assert conversation_name("WhatsApp Chat with Raad (1).txt") == "Raad"


def test_score_recognises_content():
    assert WhatsAppConnector.score(Path(sample(ALICE)), Path(sample(ALICE)).read_bytes()[:65536]) >= 0.9
    assert WhatsAppConnector.score(Path(sample(DAVE)), Path(sample(DAVE)).read_bytes()[:65536]) >= 0.9
    z = Path(sample(f"{WJ}/ios/WhatsApp Chat - Elon Musk (RU).zip"))
    assert WhatsAppConnector.score(z, z.read_bytes()[:65536]) >= 0.9
    assert WhatsAppConnector.score(Path(sample(DSA)), b"") == 0.7
    readme = Path(sample("DSA-WhatsApp-merger/README.md"))
    assert WhatsAppConnector.score(readme, readme.read_bytes()[:65536]) == 0.0


def test_score_refuses_other_text(tmp_path):
    p = write(tmp_path, "notes.txt", "Agenda\n1. Opening\n2. Rondvraag\n")
    assert WhatsAppConnector.score(p, p.read_bytes()) == 0.0


# -- bad input --------------------------------------------------------------------------------------
def test_empty_file(tmp_path):
    with pytest.raises(ConnectorError, match="empty file"):
        run(write(tmp_path, "WhatsApp Chat with X.txt", ""))


def test_not_an_export(tmp_path):
    with pytest.raises(ConnectorError, match="not a WhatsApp chat export"):
        run(write(tmp_path, "WhatsApp Chat with X.txt", "Beste collega,\n\nHierbij de notulen.\n" * 10))


def test_missing_path(tmp_path):
    with pytest.raises(ConnectorError, match="no such file"):
        run(tmp_path / "nothing.txt")


def test_100_mb_single_line_refused_quickly_in_bounded_memory(tmp_path):
    p = tmp_path / "WhatsApp Chat with X.txt"
    with open(p, "wb") as f:
        chunk = b"x" * (1024 * 1024)
        for _ in range(100):
            f.write(chunk)
    assert p.stat().st_size == 100 * 1024 * 1024
    tracemalloc.start()
    t0 = time.monotonic()
    try:
        with pytest.raises(ConnectorError, match="longer than"):
            run(p)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.monotonic() - t0 < 20
    assert peak < 20 * 1024 * 1024


def test_zip_bomb_refused(tmp_path):
    z = tmp_path / "WhatsApp Chat - Bom.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("_chat.txt", "w", force_zip64=True) as f:
            f.write(b"[01-06-2023 09:00:00] A: hoi\r\n")
            zero = b"\0" * (4 * 1024 * 1024)
            for _ in range(16):
                f.write(zero)
    t0 = time.monotonic()
    with pytest.raises(ConnectorError, match="zip bomb"):
        run(z)
    assert time.monotonic() - t0 < 10


def test_zip_path_traversal_member_is_a_failure_and_the_chat_is_read(tmp_path):
    z = tmp_path / "WhatsApp Chat - Uit.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("_chat.txt", "[01-06-2023 09:00:00] A: hoi\r\n")
        zf.writestr("../../etc/evil.jpg", b"x")
    out = run(z)
    assert [i.body for i in chats(out)] == ["hoi"]
    [failure] = out["failures"]
    assert "path traversal" in failure.reason and failure.locator == "../../etc/evil.jpg" and failure.path == str(z)
    assert failure.sha256 == hashlib.sha256(z.read_bytes()).hexdigest()
    assert not out["checkpoints"]  # read again next run


def test_zip_whose_chat_text_traverses_is_refused(tmp_path):
    z = tmp_path / "WhatsApp Chat - Uit.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("../_chat.txt", "[01-06-2023 09:00:00] A: hoi\r\n")
        zf.writestr("IMG-1.jpg", b"x")
    with pytest.raises(ConnectorError, match="path traversal"):
        run(z)


def test_zip_without_chat(tmp_path):
    z = tmp_path / "photos.zip"
    with zipfile.ZipFile(z, "w") as zf:
        zf.writestr("IMG-1.jpg", b"x")
    with pytest.raises(ConnectorError, match="no WhatsApp chat text"):
        run(z)


def test_folder_without_exports(tmp_path):
    write(tmp_path, "notulen.txt", "Agenda\n")
    with pytest.raises(ConnectorError, match="no WhatsApp chat export"):
        run(tmp_path)


def test_bad_file_in_a_folder_is_a_failure_and_the_rest_goes_on(tmp_path):
    write(tmp_path, "WhatsApp Chat with A.txt", "01-06-2023 09:00 - A: hoi\n")
    (tmp_path / "WhatsApp Chat - kapot.zip").write_bytes(b"PK\x03\x04 broken")
    out = run(tmp_path)
    assert [i.body for i in chats(out)] == ["hoi"]
    assert len(out["failures"]) == 1 and "zip" in out["failures"][0].reason


# -- property-based: arbitrary and mutated input ------------------------------------------------------
def parse_text(data: bytes, name: str = "WhatsApp Chat with X.txt"):
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / name
        p.write_bytes(data)
        return run(p)


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes_yield_items_or_a_connector_error(data):
    try:
        out = parse_text(data)
    except ConnectorError:
        return
    assert all(i.sent is None or i.sent.tzinfo for i in out["items"])


HEADERISH = st.sampled_from([
    "02-05-2022 16:08 - ", "[02-05-2022 16:12:20] ", "5/2/22, 16:08 - ", "[3/18/22, 2:56:01\u202fPM] ",
    "[5/2, 16:08] ", "\u200e[02-05-2022 16:17:01] ", "31-02-2022 25:61 - ", "18.03.22 14:56 - ", "",
])
LINE = st.builds(lambda h, a, t: h + a + t, HEADERISH,
                 st.sampled_from(["", "Alice: ", "\u202a+31\u00a06 1\u202c: ", "Bob heeft de groep verlaten", "U: "]),
                 st.text(max_size=60))


@settings(max_examples=150, deadline=2000, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(LINE, max_size=40))
def test_arbitrary_chat_like_lines(lines):
    try:
        out = parse_text("\n".join(lines).encode("utf-8", "surrogatepass"))
    except ConnectorError:
        return
    items = chats(out)
    assert [i.seq for i in items] == list(range(1, len(items) + 1))


def _header_lines(lines: list[str]) -> list[int]:
    import re
    rx = re.compile(r"^\d+/\d+/\d\d, \d\d:\d\d - ")
    return [n for n, line in enumerate(lines) if rx.match(line)]


BOB_LINES: list[str] = []
BOB_ITEMS: list = []


def bob_items() -> list:
    if not BOB_ITEMS:
        BOB_ITEMS.extend(chats(parse_text("\n".join(bob_lines()).encode("utf-8"))))
    return BOB_ITEMS


def bob_lines() -> list[str]:
    if not BOB_LINES:
        BOB_LINES.extend(Path(sample(BOB)).read_text(encoding="utf-8").split("\n"))
    return BOB_LINES


@settings(max_examples=120, deadline=3000, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_mutated_real_export_never_loses_an_earlier_message(data):
    lines = bob_lines()
    headers = _header_lines(lines)
    cut = data.draw(st.sampled_from(headers[1:]))  # lines[:cut + 1] stay as they are
    tail = lines[cut + 1:]
    ops = data.draw(st.lists(st.tuples(st.sampled_from(["replace", "delete", "insert", "truncate"]),
                                       st.integers(0, max(0, len(tail))), LINE), max_size=8))
    for op, pos, new in ops:
        if op == "replace" and pos < len(tail):
            tail[pos] = new
        elif op == "delete" and pos < len(tail):
            del tail[pos]
        elif op == "insert":
            tail.insert(pos, new)
        elif op == "truncate" and pos < len(tail):
            tail = tail[:pos] + [tail[pos][: len(tail[pos]) // 2]]
    mutated = "\n".join(lines[: cut + 1] + tail).encode("utf-8", "surrogatepass")
    before = bob_items()
    complete = [i for i in before if int(i.locator.split()[-1]) <= cut]  # ended before line cut + 1
    after = chats(parse_text(mutated))
    got = {(i.seq, i.sender, i.body) for i in after}
    for i in complete:
        assert (i.seq, i.sender, i.body) in got


# -- header forms other locales write (issue 12) ----------------------------------------------------
@pytest.mark.parametrize("text, expected", [
    # French Android: "à" between date and time
    ("12/07/2017 à 22:35 - Les messages sont chiffrés de bout en bout.\n"
     "12/07/2017 à 22:35 - Amélie: Bonjour\n13/07/2017 à 08:01 - Luc: Salut\nla suite\n",
     [("Amélie", "Bonjour", "2017-07-12T22:35+02:00"), ("Luc", "Salut\nla suite", "2017-07-13T08:01+02:00")]),
    # Finnish Android: "klo", dots in the time
    ("13.6.2018 klo 21.25.15 - Matti: Moi\n14.6.2018 klo 9.05.00 - Liisa: Hei\n",
     [("Matti", "Moi", "2018-06-13T21:25:15+02:00"), ("Liisa", "Hei", "2018-06-14T09:05+02:00")]),
    # Finnish iOS
    ("[12.3.2022 klo 14.08.18] Matias: Terve\n[12.3.2022 klo 14.09.00] Aino: Moi\n",
     [("Matias", "Terve", "2022-03-12T14:08:18+01:00"), ("Aino", "Moi", "2022-03-12T14:09+01:00")]),
    # a colon after the time
    ("12.07.2017, 22:35:22: Jan: eerste\n13.07.2017, 09:00:01: Piet: tweede\n",
     [("Jan", "eerste", "2017-07-12T22:35:22+02:00"), ("Piet", "tweede", "2017-07-13T09:00:01+02:00")]),
    # a semicolon after the time, a dash between date and time
    ("12.07.2017 - 22:35:22; Jan: eerste\n13.07.2017 - 09:00:01; Piet: tweede\n",
     [("Jan", "eerste", "2017-07-12T22:35:22+02:00"), ("Piet", "tweede", "2017-07-13T09:00:01+02:00")]),
    # Croatian/Serbian: dotted date with spaces and a final dot, no dash
    ("13. 6. 2018. 21:25:15 Ivana: Bok\n14. 6. 2018. 08:00:00 Marko: Pozdrav\n",
     [("Ivana", "Bok", "2018-06-13T21:25:15+02:00"), ("Marko", "Pozdrav", "2018-06-14T08:00+02:00")]),
    # two spaces before the dash on some lines: still a header, not the previous author's text
    ("12-07-2017 22:35 - Jan: eerste\n12-07-2017 22:36  - Piet: tweede\n13-07-2017 09:00 - Jan: derde\n",
     [("Jan", "eerste", "2017-07-12T22:35+02:00"), ("Piet", "tweede", "2017-07-12T22:36+02:00"),
      ("Jan", "derde", "2017-07-13T09:00+02:00")]),
])
def test_locale_header_forms(tmp_path, text, expected):
    p = write(tmp_path, "WhatsApp Chat with X.txt", text)
    assert WhatsAppConnector.score(p, p.read_bytes()) >= 0.9
    items = [i for i in chats(run(p)) if not i.meta.get("event")]
    assert [(i.sender, i.body, i.sent) for i in items] == [(a, b, utc(t)) for a, b, t in expected]


def test_log_lines_are_not_a_chat(tmp_path):
    p = write(tmp_path, "server.txt", "2019-04-16 02:09:11 INFO: started\n2019-04-16 02:09:12 WARN: disk: full\n")
    assert WhatsAppConnector.score(p, p.read_bytes()) < 0.9


def test_old_ios_attachment_form_is_linked(tmp_path):
    folder = tmp_path / "export"
    folder.mkdir()
    (folder / "2015-08-04-PHOTO-00004762.jpg").write_bytes(b"\xff\xd8\xff\xe0 jpeg")
    write(folder, "_chat.txt", "[04-08-15 10:00:00] Jan: kijk\n"
                               "[04-08-15 10:00:05] Jan: 2015-08-04-PHOTO-00004762.jpg <attached>\n")
    out = run(folder)
    msgs = chats(out)
    assert msgs[1].meta["media_referenced"] == ["2015-08-04-PHOTO-00004762.jpg"]
    atts = [i for i in out["items"] if i.kind == "attachment"]
    assert [a.subject for a in atts] == ["2015-08-04-PHOTO-00004762.jpg"] and atts[0].parent == msgs[1].id


def test_ambiguous_day_month_order_taken_from_the_system_lines(tmp_path):
    # no field above 12 and dates that never go backwards: the order cannot be told from the dates
    dutch = ("01/02/21, 10:00 - Berichten en oproepen zijn end-to-end versleuteld.\n"
             "01/02/21, 10:01 - Jan heeft de groep Raad aangemaakt\n"
             "01/02/21, 10:02 - Jan: hallo\n")
    items = chats(run(write(tmp_path, "WhatsApp-chat met Raad.txt", dutch)))
    assert items[-1].sent == utc("2021-02-01T10:02+01:00")  # 1 February: Dutch phones write day first
    assert items[-1].meta["date_order"] == {"order": "dmy", "ambiguous": True, "basis": "system lines in Dutch"}
    english = dutch.replace("Berichten en oproepen zijn end-to-end versleuteld.",
                            "Messages and calls are end-to-end encrypted.").replace(
                            "Jan heeft de groep Raad aangemaakt", 'Jan created group "Raad"')
    items = chats(run(write(tmp_path, "WhatsApp Chat with Raad.txt", english)))
    assert items[-1].sent == utc("2021-01-02T10:02+01:00")
    assert items[-1].meta["date_order"]["ambiguous"] is True
    clear = chats(run(write(tmp_path, "WhatsApp Chat with Y.txt", "25/02/21, 10:00 - Jan: a\n")))
    assert "date_order" not in clear[0].meta

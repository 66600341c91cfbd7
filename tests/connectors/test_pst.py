"""The pst connector on real Outlook data files (in place from ../shared/samples) and on truncated
copies made in tmp_path.

Expected values were read from the files with pypff and readpst (pst-utils).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timezone
from pathlib import Path

import pytest

from connectors.base import SourceSpec
from connectors.msg import MsgConnector
from connectors.pst import PstConnector
from conftest import MemorySink, drain, run_connector, sample
from woo_collector.errors import ConnectorError

TEST_PST = "ingest-file/tests/fixtures/testPST.pst"
DIST_LIST = "java-libpst/src/test/resources/dist-list.pst"
PASSWORDED = "java-libpst/src/test/resources/passworded.pst"
TOP = "Début du fichier de données Outlook"  # the French top folder of testPST.pst
# cutting testPST.pst here leaves five messages readable and breaks the third one
CUT_MIDWAY = 225624


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def connector(path: Path, sink: MemorySink) -> PstConnector:
    return PstConnector(SourceSpec(name="test-pst", type="pst", path=str(path), custodian="tester"), sink)


def test_unicode_pst_mail():
    p = sample(TEST_PST)
    digest = sha(p.read_bytes())
    out = run_connector("pst", p)
    assert out["failures"] == []
    items = out["items"]
    assert [i.subject for i in items] == [
        "Re: Feature Generators",
        'Re: init tokenizer fails: "Bad type in putfield/putstatic"',
        "Feature Generators",
        "[jira] [Resolved] (TIKA-1249) Vcard files detection",
        "[jira] [Commented] (TIKA-1250) Process loops infintely processing a CHM file",
        '[WEBINAR] - "Introducing Couchbase Server 2.5"',
    ]
    assert {i.kind for i in items} == {"email"}
    assert {i.sha256 for i in items} == {digest}  # the PST is the original of every message
    assert {i.folder for i in items} == {TOP}

    first = items[0]
    assert first.sender == "Jörn Kottmann <kottmann@gmail.com>"
    assert first.recipients == ("users@opennlp.apache.org",)
    assert first.sent == datetime(2014, 2, 26, 7, 50, 4, tzinfo=timezone.utc)
    assert first.meta["received"] == "2014-02-26T07:51:02.330547+00:00"
    assert first.message_id == "<530D9CAC.5080901@gmail.com>"
    assert first.meta["in_reply_to"] == "<CAJ+FrY6C_Hp_b-Pzx2VqUqnonx9Dei8kcXDV7j1wPT99mNKsuA@mail.gmail.com>"
    assert first.body.startswith("Hello,\n\nthe PreviousMapFeatureGenerator remebers the last outcome")
    assert first.locator == f"{TOP}/2097188"
    # the reply and the question it answers share one thread
    assert first.conversation == items[2].conversation == "ti:AQHPMmH+715U33+Zj0KnJ1F/YzoErA=="
    assert items[2].sender == "Kenig Ma <kenigma1122@gmail.com>"
    assert items[1].sender == "Barry Olddog <oldcanine@yahoo.com>"
    assert items[1].recipients == ("kottmann@gmail.com", "users@opennlp.apache.org")
    assert items[5].recipients == ("Hong-Thai Nguyen <Hong-Thai.Nguyen@polyspot.com>",)
    assert items[5].sent == datetime(2014, 2, 24, 21, 14, 34, tzinfo=timezone.utc)
    assert len({i.id for i in items}) == 6

    keys = [c.key for c in out["checkpoints"]]
    assert f"pst:{digest}:{TOP}" in keys and f"pst:{digest}:{TOP}/Éléments supprimés" in keys
    assert keys[-2:] == [f"pst-skipped:{digest}", f"file:{digest}"]


def test_calendar_contacts_and_dist_list_are_counted_not_dropped(caplog):
    p = sample(DIST_LIST)
    digest = sha(p.read_bytes())
    with caplog.at_level(logging.WARNING, logger="woo.connectors.pst"):
        out = run_connector("pst", p)
    assert out["items"] == [] and out["failures"] == []  # a healthy PST: no exit code 3
    skipped = {c.key: c.value for c in out["checkpoints"]}[f"pst-skipped:{digest}"]
    assert json.loads(skipped) == {
        "IPM.Appointment": 1, "IPM.Contact": 1, "IPM.DistList": 1, "IPM.Microsoft.ScheduleData.FreeBusy": 1,
    }
    assert "1 x IPM.DistList" in caplog.text and "1 x IPM.Contact" in caplog.text


def test_passworded_pst_is_refused_clearly():
    p = sample(PASSWORDED)
    sink = MemorySink()
    with pytest.raises(ConnectorError, match="protected with a password") as e:
        drain(connector(p, sink))
    assert "remove the password" in e.value.reason
    assert sha(p.read_bytes()) in sink.blobs  # the original is kept all the same


def test_truncated_pst_keeps_everything_before_the_break(tmp_path):
    data = sample(TEST_PST).read_bytes()[:CUT_MIDWAY]
    cut = tmp_path / "afgebroken.pst"
    cut.write_bytes(data)
    sink = MemorySink()
    out = drain(connector(cut, sink))
    assert len(out["items"]) == 5
    assert "Feature Generators" not in [i.subject for i in out["items"]]  # the third message broke
    (f,) = out["failures"]
    assert "damaged or truncated PST" in f.reason and f.locator == f"{TOP}/3"
    assert f.sha256 == sha(data) and data == sink.blobs[f.sha256]
    keys = [c.key for c in out["checkpoints"]]
    assert f"file:{sha(data)}" not in keys and f"pst:{sha(data)}:{TOP}" not in keys  # tried again next run


def test_pst_cut_short_cannot_be_opened(tmp_path):
    cut = tmp_path / "kort.pst"
    cut.write_bytes(sample(TEST_PST).read_bytes()[:4096])
    with pytest.raises(ConnectorError, match="damaged or truncated"):
        drain(connector(cut, MemorySink()))


def test_folder_of_psts_goes_on_after_a_bad_one(tmp_path):
    good = sample(TEST_PST).read_bytes()
    (tmp_path / "a-kort.pst").write_bytes(good[:4096])
    (tmp_path / "b-goed.pst").write_bytes(good)
    out = run_connector("pst", tmp_path)
    (f,) = out["failures"]
    assert f.path.endswith("a-kort.pst") and f.sha256 == sha(good[:4096])
    assert len(out["items"]) == 6


def test_resume_skips_finished_folders_and_finished_files():
    p = sample(TEST_PST)
    digest = sha(p.read_bytes())
    sink = MemorySink()
    sink.states[f"pst:{digest}:{TOP}"] = "{}"  # an earlier run stopped after this folder
    out = drain(connector(p, sink))
    assert out["items"] == []
    assert f"file:{digest}" in sink.states
    assert drain(connector(p, sink))["checkpoints"] == []  # the whole file is done


def test_score_sniffs_the_header(tmp_path):
    p = sample(TEST_PST)
    head = p.read_bytes()[:65536]
    assert PstConnector.score(p, head) == 0.95
    assert MsgConnector.score(p, head) == 0.0
    fake = tmp_path / "nep.pst"
    fake.write_bytes(b"not a pst")
    assert PstConnector.score(fake, b"not a pst") == 0.3
    with pytest.raises(ConnectorError, match="not an Outlook data file"):
        drain(connector(fake, MemorySink()))


# --- Teams chats and attachments -----------------------------------------------------------------
# No sample PST holds Teams items or mail with attachments, and nothing writes PSTs on Linux, so
# these read a folder tree of plain objects shaped like libpff's (the interface the connector uses).
class Entry:
    def __init__(self, tag: int, value):
        self.entry_type = tag
        if isinstance(value, str):
            self.value_type, self.data_as_string = 0x1F, value
        elif isinstance(value, bool):
            self.value_type, self.data_as_boolean = 0x0B, value
        elif isinstance(value, int):
            self.value_type, self.data_as_integer = 0x03, value
        elif isinstance(value, datetime):
            self.value_type, self.data_as_datetime = 0x40, value
        else:
            self.value_type, self.data = 0x102, value


class Props:
    def __init__(self, **tags):
        self._sets = [type("RecordSet", (), {"entries": [Entry(int(k[1:], 16), v) for k, v in tags.items()]})()]
        self.number_of_record_sets = len(self._sets)

    def get_record_set(self, i):
        return self._sets[i]


class Recipients:
    def __init__(self, *people):
        self.sets = [Props(p3001=name, p39FE=addr, p0C15=kind) for name, addr, kind in people]
        self.number_of_record_sets = len(self.sets)

    def get_record_set(self, i):
        return self.sets[i].get_record_set(0)


class Att(Props):
    def __init__(self, data: bytes = b"", inner=None, **tags):
        super().__init__(**tags)
        self._data, self.size, self._pos = data, len(data), 0
        self.number_of_sub_items = 1 if inner is not None else 0
        self._inner = inner

    def get_sub_item(self, i):
        return self._inner

    def seek_offset(self, n):
        self._pos = n

    def read_buffer(self, n):
        chunk = self._data[self._pos:self._pos + n]
        self._pos += len(chunk)
        return chunk


class Msg(Props):
    def __init__(self, ident, subject, body="", html=b"", recipients=(), attachments=(), **tags):
        super().__init__(p0037=subject, **tags)
        self.identifier, self.subject = ident, subject
        self.plain_text_body, self.html_body, self.rtf_body = body.encode("utf-8"), html, b""
        self.recipients = Recipients(*recipients)
        self._atts = list(attachments)
        self.number_of_attachments = len(self._atts)

    def get_attachment(self, i):
        return self._atts[i]


class Folder:
    def __init__(self, ident, name, messages=(), folders=()):
        self.identifier, self.name = ident, name
        self._m, self._f = list(messages), list(folders)
        self.number_of_sub_messages, self.number_of_sub_folders = len(self._m), len(self._f)

    def get_sub_message(self, i):
        return self._m[i]

    def get_sub_folder(self, i):
        return self._f[i]


def test_teams_chat_and_mail_attachments_from_a_libpff_shaped_tree():
    from connectors.pst import Counts

    t = datetime(2025, 3, 11, 8, 14, 0)
    conv = bytes.fromhex("00112233445566778899aabbccddeeff")
    chat = Msg(1001, "", html=b"<div>Zullen we de <b>windturbines</b> morgen bespreken?</div>",
               recipients=[("Pieter Jansen", "p.jansen@gemeente.example", 1)],
               p001A="IPM.SkypeTeams.Message", p0C1A="Sanne de Vries", p5D01="s.devries@gemeente.example",
               p0039=t, p0070="Windturbines Kraaiennest", p3013=conv)
    forwarded = Msg(3001, "Planning", body="De planning staat vast.", p001A="IPM.Note",
                    p0C1A="Kees Bakker", p5D01="k.bakker@gemeente.example", p0039=t)
    mail = Msg(2001, "Notitie windturbines", body="Zie bijlage.",
               recipients=[("Pieter Jansen", "p.jansen@gemeente.example", 1), ("Griffie", "griffie@gemeente.example", 2)],
               attachments=[Att(b"Geluidsnormen voor windturbines.", p3707="notitie.txt", p370E="text/plain", p3705=1),
                            Att(inner=forwarded, p3001="Planning", p3705=5)],
               p001A="IPM.Note", p0C1A="Sanne de Vries", p5D01="s.devries@gemeente.example", p0039=t,
               p1035="<abc@gemeente.example>")
    contact = Msg(4001, "Sanne de Vries", p001A="IPM.Contact")
    ipm = Folder(10, "Top of Information Store", folders=[
        Folder(11, "Inbox", folders=[Folder(12, "Projecten", messages=[mail, contact])]),
        Folder(13, "TeamsMessagesData", messages=[chat]),
    ])
    root = Folder(1, "", folders=[ipm])

    sink = MemorySink()
    conn = connector(Path("export.pst"), sink)
    counts = Counts()
    out = list(conn.read_tree(root, 10, Path("export.pst"), "f" * 64, counts))
    items = [y for y in out if hasattr(y, "kind")]
    assert [y for y in out if type(y).__name__ == "Failure"] == []
    assert counts.skipped == {"IPM.Contact": 1}

    m, txt, fwd, c = items
    assert (m.kind, m.folder, m.locator) == ("email", "Inbox/Projecten", "Inbox/Projecten/2001")
    assert m.sender == "Sanne de Vries <s.devries@gemeente.example>"
    assert m.recipients == ("Pieter Jansen <p.jansen@gemeente.example>",) and m.cc == ("Griffie <griffie@gemeente.example>",)
    assert m.sent == datetime(2025, 3, 11, 8, 14, tzinfo=timezone.utc)
    assert m.message_id == "<abc@gemeente.example>" and m.sha256 == "f" * 64
    assert (txt.subject, txt.body, txt.parent) == ("notitie.txt", "Geluidsnormen voor windturbines.", m.id)
    assert sink.blobs[txt.sha256] == b"Geluidsnormen voor windturbines."
    assert fwd.subject == "Planning.msg" and fwd.filetype == "email"
    assert "Van: Kees Bakker <k.bakker@gemeente.example>" in fwd.body and "De planning staat vast." in fwd.body
    assert fwd.sha256 == m.sha256  # no bytes of its own: the PST is its original

    assert c.kind == "chat" and c.platform == "teams"
    assert c.folder == "TeamsMessagesData"
    assert c.conversation == "teams:" + conv.hex()
    assert c.subject == "Windturbines Kraaiennest"
    assert c.body == "Zullen we de windturbines morgen bespreken?"
    assert c.sender == "Sanne de Vries <s.devries@gemeente.example>"

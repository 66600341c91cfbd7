"""The msg connector on real Outlook .msg files (in place from ../shared/samples) and on damaged,
RTF-only, encrypted and nested variants built from them in tmp_path.

Expected values were read from the files with extract-msg, olefile and `strings`.
"""

from __future__ import annotations

import hashlib
import struct
from datetime import datetime, timezone
from pathlib import Path

import olefile
import pytest

from connectors.base import SourceSpec
from connectors.eml import EmlConnector
from connectors.msg import MsgConnector
from conftest import MemorySink, drain, run_connector, sample

PISTE = "ingest-file/tests/fixtures/piste.msg"
FNF = "ingest-file/tests/fixtures/fnf.msg"
UNICODE = "msg-extractor/example-msg-files/unicode.msg"
STRANGE = "msg-extractor/example-msg-files/strangeDate.msg"
OUTLOOK_DE = "mail-parser/tests/mails/mail_outlook_1"


def sha(p: Path | bytes) -> str:
    return hashlib.sha256(p if isinstance(p, bytes) else p.read_bytes()).hexdigest()


def head(p: Path) -> bytes:
    return p.read_bytes()[:65536]


# --- building variants with extract-msg's own OLE writer ---------------------------------------
def _writer(src: Path):
    from extract_msg.ole_writer import OleWriter

    w = OleWriter()
    with olefile.OleFileIO(str(src)) as o:
        w.fromOleFile(o)
    return w


def rtf_only(src: Path, out: Path) -> Path:
    w = _writer(src)
    w.deleteEntry(["__substg1.0_1000001F"])  # piste.msg has no HTML stream; RTF is all that is left
    w.write(str(out))
    return out


def encrypted(src: Path, out: Path) -> Path:
    """unicode.msg relabelled as an encrypted S/MIME message whose only attachment is smime.p7m."""
    w = _writer(src)
    w.editEntry(["__substg1.0_001A001F"], data="IPM.Note.SMIME".encode("utf-16-le"))
    w.deleteEntry(["__substg1.0_1000001F"])
    a = "__attach_version1.0_#00000000"
    w.editEntry([a, "__substg1.0_3707001F"], data="smime.p7m".encode("utf-16-le"))
    w.editEntry([a, "__substg1.0_370E001F"], data="application/pkcs7-mime".encode("utf-16-le"))
    w.deleteEntry(["__attach_version1.0_#00000001"])
    w.write(str(out))
    return out


def with_embedded(parent: Path, child: Path, out: Path) -> Path:
    """``parent`` with ``child`` attached as an Outlook item (attach method 5)."""
    w = _writer(parent)
    att = "__attach_version1.0_#00000000"
    w.addEntry([att], storage=True)
    props = b"\0" * 8 + struct.pack("<IIQ", 0x37050003, 6, 5) + struct.pack("<IIQ", 0x0E210003, 6, 0)
    w.addEntry([att, "__properties_version1.0"], props)
    w.addEntry([att, "__substg1.0_3001001F"], "Ab auf die Piste!".encode("utf-16-le"))
    inner = [att, "__substg1.0_3701000D"]
    w.addEntry(inner, storage=True)
    with olefile.OleFileIO(str(child)) as o:
        for entry in o.listdir(streams=True, storages=True):
            if o.get_type(entry) == olefile.STGTY_STORAGE:
                w.addEntry(inner + entry, storage=True)
                continue
            data = o.openstream(entry).read()
            if entry == ["__properties_version1.0"]:
                data = data[:24] + data[32:]  # an embedded message's property header is 24 bytes
            w.addEntry(inner + entry, data)
    w.write(str(out))
    return out


def connector(path: Path, sink: MemorySink | None = None) -> MsgConnector:
    return MsgConnector(SourceSpec(name="test-msg", type="msg", path=str(path), custodian="tester"), sink or MemorySink())


# --- real files ----------------------------------------------------------------------------------
def test_piste_plain_mail():
    p = sample(PISTE)
    out = run_connector("msg", p)
    assert out["failures"] == []
    (mail,) = out["items"]
    assert mail.kind == "email"
    assert mail.sender == "GMX Magazin <mailings@gmxnet.de>"
    assert mail.recipients == ("Alle Mitglieder von GMX <members@gmx.net>",)
    assert mail.cc == () and mail.bcc == ()
    assert mail.subject == "Ab auf die Piste!"
    assert mail.sent == datetime(2010, 11, 28, 22, 42, 18, tzinfo=timezone.utc)
    assert mail.message_id == "<E5-bad037e6-elaine5029/3/2852-f493@mailings.gmx.net>"
    assert "Ausgabe: 47/2010" in mail.body
    assert mail.meta["body_format"] == "plain"
    assert mail.meta["received"] == "2010-11-28T22:42:18+00:00"
    assert mail.conversation == "ti:AcuPTYLOtdC8nn8VSD6E//wcoeU7hw=="
    assert mail.sha256 == sha(p)
    assert [c.key for c in out["checkpoints"]] == [f"file:{sha(p)}"]


def test_unicode_cc_and_tiff_attachments():
    p = sample(UNICODE)
    sink = MemorySink()
    out = run_connector("msg", p, sink)
    mail, *atts = out["items"]
    assert mail.sender == "Brian Zhou <brizhou@gmail.com>"
    assert mail.recipients == ("brianzhou@me.com",)
    assert mail.cc == ("Brian Zhou <brizhou@gmail.com>",)
    assert mail.subject == "Test for TIF files"
    assert mail.sent == datetime(2013, 11, 18, 8, 26, 24, tzinfo=timezone.utc)
    assert mail.message_id == "<CADtJ4eNjQSkGcBtVteCiTF+YFG89+AcHxK3QZ=-Mt48xygkvdQ@mail.gmail.com>"
    assert mail.body.startswith("This is a test email to experiment with the MS Outlook MSG Extractor")
    assert [(a.subject, a.meta["size"], a.filetype) for a in atts] == [
        ("import OleFileIO.tif", 969674, "image"),
        ("raised value error.tif", 1033142, "image"),
    ]
    for a in atts:
        assert a.kind == "attachment" and a.parent == mail.id
        assert len(sink.blobs[a.sha256]) == a.meta["size"]
    assert atts[0].locator == "bijlage 1"


def test_german_outlook_msg_without_extension_five_inline_images():
    p = sample(OUTLOOK_DE)
    assert MsgConnector.score(p, head(p)) == 0.95
    out = run_connector("msg", p)
    mail, *atts = out["items"]
    assert mail.subject == "Newsletter Prüfung Personalwesen / Prüfung Eröffnungsbilanz"
    assert mail.sender == "NueblingV@w-vwa.de"
    assert mail.recipients == ("Gaiser-Schönenborn, Andrea <A.Gaiser-Schoenenborn@kreis-tuebingen.de>",)
    assert mail.sent == datetime(2017, 9, 18, 10, 0, 18, tzinfo=timezone.utc)
    assert mail.meta["received"] == "2017-09-18T10:00:28+00:00"
    assert "Sehr geehrte Frau Gaiser-Schönenborn" in mail.body
    assert [a.subject for a in atts] == ["newsletter.png", "spacer.gif", "image004.jpg", "image006.jpg", "image008.jpg"]
    assert all(a.meta["inline"] for a in atts)
    assert out["failures"] == []


def test_strange_date_is_kept_with_date_unknown():
    out = run_connector("msg", sample(STRANGE))
    (mail,) = out["items"]
    assert mail.sent is None
    assert mail.meta["date_unknown"] is True
    assert mail.subject == "MSG Test File"
    assert mail.recipients == ("time2talk@online-convert.com",)
    assert mail.message_id_derived is True
    assert mail.message_id.endswith("@woo-collector.derived>")
    assert '"John Doe" for males' in mail.body


def test_msg_that_is_mime_text_is_parsed_as_mail():
    p = sample(FNF)
    assert MsgConnector.score(p, head(p)) > EmlConnector.score(p, head(p))
    out = run_connector("msg", p)
    mail, att = out["items"]
    assert mail.meta["msg_is_mime"] is True
    assert mail.sender == "Friedrich-Naumann-Stiftung für die Freiheit <noreply@freiheit.org>"
    assert mail.recipients == ("info@okfn.de",)
    assert mail.subject == "Innovationskongress 2017 - Do., 29. Juni - 09 Uhr"
    assert mail.sent == datetime(2017, 6, 6, 15, 24, 50, tzinfo=timezone.utc)
    assert att.subject == "7b2fd116582e4b66be0451b4755fff1d.png" and att.parent == mail.id


def test_score_sniffs_content(tmp_path):
    p = sample(PISTE)
    assert MsgConnector.score(p, head(p)) == 0.95
    junk = tmp_path / "x.msg"
    junk.write_bytes(b"hello world")
    assert MsgConnector.score(junk, b"hello world") == 0.2
    other = tmp_path / "x.bin"
    other.write_bytes(b"hello world")
    assert MsgConnector.score(other, b"hello world") == 0.0


def test_second_run_adds_nothing():
    sink = MemorySink()
    first = run_connector("msg", sample(UNICODE), sink)
    again = run_connector("msg", sample(UNICODE), sink)
    assert len(first["items"]) == 3 and again["items"] == []


def test_nothing_is_written_to_disk(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    run_connector("msg", sample(OUTLOOK_DE))
    assert list(tmp_path.iterdir()) == []


# --- damaged and built variants --------------------------------------------------------------
def test_truncated_msg_is_kept_and_reported(tmp_path):
    data = sample(UNICODE).read_bytes()[:20000]
    bad = tmp_path / "kapot.msg"
    bad.write_bytes(data)
    sink = MemorySink()
    out = run_connector("msg", bad, sink)
    assert out["items"] == [] and out["checkpoints"] == []
    (f,) = out["failures"]
    assert "damaged Outlook .msg" in f.reason and "truncated or corrupt" in f.reason
    assert f.sha256 == sha(data) and sink.blobs[f.sha256] == data


def test_folder_goes_on_after_a_corrupt_file(tmp_path):
    (tmp_path / "a-kapot.msg").write_bytes(sample(PISTE).read_bytes()[:4096])
    sub = tmp_path / "sub"
    sub.mkdir()
    (sub / "b-goed.msg").write_bytes(sample(PISTE).read_bytes())
    out = run_connector("msg", tmp_path)
    assert len(out["failures"]) == 1 and out["failures"][0].path.endswith("a-kapot.msg")
    assert [i.subject for i in out["items"]] == ["Ab auf die Piste!"]


def test_rtf_only_body_is_deencapsulated(tmp_path):
    p = rtf_only(sample(PISTE), tmp_path / "rtf.msg")
    (mail,) = run_connector("msg", p)["items"]
    assert mail.meta["body_format"] == "rtf-html"
    assert "Mit dem Postfach auf die Piste" in mail.body
    assert "\\rtf" not in mail.body and "<html" not in mail.body.lower()


def test_embedded_msg_becomes_readable_attachment(tmp_path):
    p = with_embedded(sample(STRANGE), sample(PISTE), tmp_path / "met-bijlage.msg")
    sink = MemorySink()
    out = run_connector("msg", p, sink)
    mail, att = out["items"]
    assert mail.subject == "MSG Test File"
    assert att.kind == "attachment" and att.parent == mail.id
    assert att.subject == "Ab auf die Piste!.msg"
    assert att.filetype == "email" and att.meta["embedded_message_class"] == "IPM.Note"
    assert "Van: GMX Magazin <mailings@gmxnet.de>" in att.body
    assert "Onderwerp: Ab auf die Piste!" in att.body
    assert "Ausgabe: 47/2010" in att.body
    assert att.sha256 in sink.blobs and att.sha256 != mail.sha256
    assert out["failures"] == []


def test_encrypted_smime_is_kept_with_a_note(tmp_path):
    p = encrypted(sample(UNICODE), tmp_path / "versleuteld.msg")
    sink = MemorySink()
    out = run_connector("msg", p, sink)
    mail, p7m = out["items"]
    assert mail.meta["message_class"] == "IPM.Note.SMIME"
    assert mail.meta["smime"] == "encrypted or opaque-signed"
    assert "S/MIME" in mail.body and "niet leesbaar" in mail.body
    assert mail.subject == "Test for TIF files"
    assert p7m.subject == "smime.p7m" and p7m.sha256 in sink.blobs
    assert out["failures"] == []


def test_missing_path_is_a_connector_error(tmp_path):
    from woo_collector.errors import ConnectorError

    with pytest.raises(ConnectorError, match="no such file"):
        drain(connector(tmp_path / "weg.msg"))

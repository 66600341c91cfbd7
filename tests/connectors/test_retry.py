"""One retry rule for every file connector (``connectors.base.FileConnector``).

A file whose read yielded a Failure is not checkpointed: the next run reads it again (the same ids,
so nothing doubles) and reports again what still fails. Once a run reads it whole it gets
``file:<sha>`` and later runs skip it. Each test runs a connector several times on one sink, as
nightly runs of one source would.
"""

from __future__ import annotations

import base64
import hashlib
import io
import zipfile
from email.message import EmailMessage
from pathlib import Path

from conftest import MemorySink, run_connector

PNG = base64.b64decode("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==")


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ids(out: dict) -> list[str]:
    return [i.id for i in out["items"]]


def keys(out: dict) -> list[str]:
    return [c.key for c in out["checkpoints"]]


def assert_retried_until_whole(type_: str, path: Path, fixed: bytes, n_failures: int = 1) -> None:
    """Two runs on the damaged file read it again; after the fix one run reads it whole, the next skips it."""
    sink = MemorySink()
    first = run_connector(type_, path, sink)
    assert len(first["failures"]) == n_failures and first["items"]
    assert f"file:{sha(path)}" not in keys(first)
    again = run_connector(type_, path, sink)  # the next night: read again, the same ids, the failure again
    assert ids(again) == ids(first)
    assert again["failures"] == first["failures"]
    assert f"file:{sha(path)}" not in keys(again)
    path.write_bytes(fixed)  # the custodian hands in a good copy
    whole = run_connector(type_, path, sink)
    assert whole["failures"] == [] and whole["items"]
    assert keys(whole)[-1] == f"file:{sha(path)}"
    assert run_connector(type_, path, sink)["items"] == []  # done: skipped from now on


# sms: one MMS part that is not base64 --------------------------------------------------------------
def sms_backup(part_data: str) -> bytes:
    return (
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"2\">"
        '<sms address="+31612345678" date="1741681800000" type="1" body="Zie foto" contact_name="Sanne" />'
        '<mms date="1741681900000" msg_box="1" address="+31612345678" contact_name="Sanne"><parts>'
        f'<part seq="0" ct="image/png" name="foto.png" data="{part_data}" />'
        '<part seq="0" ct="text/plain" name="text.txt" text="de foto" /></parts>'
        '<addrs><addr address="+31612345678" type="137" /></addrs></mms></smses>'
    ).encode()


def test_sms_file_with_one_bad_record_is_retried_until_it_reads_whole(tmp_path):
    p = tmp_path / "sms-20250311.xml"
    p.write_bytes(sms_backup("not-valid-base64!!"))
    assert_retried_until_whole("sms", p, sms_backup(base64.b64encode(PNG).decode()))


# whatsapp: a line too long to be a message -----------------------------------------------------------
def chat(long_line: bool) -> bytes:
    lines = ["02-05-2022 16:08 - Alice: Hoi Bob", *(["x" * 300_000] if long_line else []), "02-05-2022 16:09 - Bob: Dag Alice"]
    return ("\n".join(lines) + "\n").encode()


def test_whatsapp_export_with_a_bad_line_is_retried_until_it_reads_whole(tmp_path):
    p = tmp_path / "WhatsApp-chat met Bob.txt"
    p.write_bytes(chat(long_line=True))
    assert_retried_until_whole("whatsapp", p, chat(long_line=False))


def test_whatsapp_zip_of_two_chats_checkpoints_each_chat_that_reads_whole(tmp_path):
    def zipped(bad: bool) -> bytes:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as zf:
            zf.writestr("WhatsApp Chat with Bob.txt", chat(long_line=bad))
            zf.writestr("WhatsApp Chat with Carol.txt", "02-05-2022 17:00 - Carol: Hallo\n")
        return buf.getvalue()

    p = tmp_path / "chats.zip"
    p.write_bytes(zipped(bad=True))
    sink = MemorySink()
    first = run_connector("whatsapp", p, sink)
    assert len(first["failures"]) == 1
    assert keys(first) == [f"file:{sha(p)}:WhatsApp Chat with Carol.txt"]  # Bob's chat is read again next run
    again = run_connector("whatsapp", p, sink)
    assert {i.subject for i in again["items"]} == {"Bob"} and again["failures"] == first["failures"]
    p.write_bytes(zipped(bad=False))
    assert run_connector("whatsapp", p, sink)["failures"] == []
    assert run_connector("whatsapp", p, sink)["items"] == []


# eml: an attachment that cannot be read -------------------------------------------------------------
def mail(attachment: bytes, n: int = 1) -> bytes:
    m = EmailMessage()
    m["From"] = "Sanne de Vries <s.devries@gemeente.example>"
    m["To"] = "team@gemeente.example"
    m["Subject"] = f"Windturbines {n}"
    m["Date"] = "Tue, 11 Mar 2025 09:14:00 +0100"
    m["Message-ID"] = f"<windturbines-{n}@gemeente.example>"
    m.set_content("Beste collega's, zie de bijlage.")
    m.add_attachment(attachment, maintype="application",
                     subtype="vnd.openxmlformats-officedocument.wordprocessingml.document", filename="notitie.docx")
    return m.as_bytes()


BROKEN_DOCX = b"PK\x03\x04 this is not a whole docx"


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                    '<Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.'
                    'wordprocessingml.document.main+xml"/></Types>')
        zf.writestr("word/document.xml", '<?xml version="1.0"?><w:document xmlns:w="http://schemas.openxmlformats.org/'
                    'wordprocessingml/2006/main"><w:body><w:p><w:r><w:t>Notitie</w:t></w:r></w:p></w:body></w:document>')
    return buf.getvalue()


def test_eml_with_an_unreadable_attachment_is_retried_until_it_reads_whole(tmp_path):
    p = tmp_path / "windturbines.eml"
    p.write_bytes(mail(BROKEN_DOCX))
    assert_retried_until_whole("eml", p, mail(docx()))


def test_folder_of_eml_checkpoints_the_whole_ones_and_reads_the_damaged_one_again(tmp_path):
    (tmp_path / "a.eml").write_bytes(mail(docx(), 1))
    (tmp_path / "b.eml").write_bytes(mail(BROKEN_DOCX, 2))
    sink = MemorySink()
    first = run_connector("eml", tmp_path, sink)
    assert keys(first) == [f"file:{sha(tmp_path / 'a.eml')}"]
    again = run_connector("eml", tmp_path, sink)
    assert {i.subject for i in again["items"]} == {"Windturbines 2", "notitie.docx"}
    assert again["failures"] == first["failures"] and keys(again) == []


# mbox: its resume point never passes a message that failed -------------------------------------------
def test_mbox_with_a_damaged_message_is_read_again_until_it_reads_whole(tmp_path):
    def mbox(broken: bytes) -> bytes:
        return b"".join(b"From sanne@gemeente.example Tue Mar 11 09:14:00 2025\n" + m + b"\n"
                        for m in (mail(broken, 1), mail(docx(), 2)))

    p = tmp_path / "Inbox.mbox"
    p.write_bytes(mbox(BROKEN_DOCX))
    sink = MemorySink()
    first = run_connector("mbox", p, sink)
    assert len(first["failures"]) == 1 and keys(first) == []
    again = run_connector("mbox", p, sink)
    assert ids(again) == ids(first) and again["failures"] == first["failures"]
    p.write_bytes(mbox(docx()))
    whole = run_connector("mbox", p, sink)
    assert whole["failures"] == [] and keys(whole) == [f"mbox:{p.resolve()}"]
    assert run_connector("mbox", p, sink)["items"] == []


# through ingestion: the failure stays open while the file is retried, and is resolved once it reads whole
def test_sms_failure_stays_open_until_a_run_reads_the_file_whole(tmp_path):
    from woo_collector.ingest import run_source
    from woo_collector.models import SourceSpec
    from woo_collector.workspace import Workspace

    ws, _ = Workspace.init(tmp_path / "ws")
    p = tmp_path / "sms-20250311.xml"
    p.write_bytes(sms_backup("not-valid-base64!!"))
    spec = SourceSpec("telefoon-piet", "sms", str(p), "Piet")
    try:
        first = run_source(ws, spec, quiet=True)
        assert (first.status, first.new, first.failed) == ("partial", 2, 1)
        again = run_source(ws, spec, quiet=True)  # read again: nothing new, the same failure again
        assert (again.status, again.new, again.unchanged, again.failed) == ("partial", 0, 2, 1)
        (failure,) = ws.catalog.open_failures("telefoon-piet")
        assert failure["attempts"] == 2 and "foto.png" in failure["reason"]
        p.write_bytes(sms_backup(base64.b64encode(PNG).decode()))
        whole = run_source(ws, spec, quiet=True)
        assert (whole.status, whole.failed) == ("ok", 0)
        assert ws.catalog.open_failures("telefoon-piet") == []  # not reported again: mended
        assert ws.catalog.get_state("telefoon-piet", f"file:{sha(p)}") == "done"
        last = run_source(ws, spec, quiet=True)
        assert (last.new, last.changed, last.unchanged, last.failed) == (0, 0, 0, 0)  # skipped whole
    finally:
        ws.close()


def test_a_dismissed_failure_stops_the_retries_of_its_file(tmp_path):
    from woo_collector.ingest import dismiss_failure, run_source
    from woo_collector.models import SourceSpec
    from woo_collector.workspace import Workspace

    ws, _ = Workspace.init(tmp_path / "ws")
    p = tmp_path / "sms-20250311.xml"
    p.write_bytes(sms_backup("not-valid-base64!!"))
    spec = SourceSpec("telefoon-piet", "sms", str(p), "Piet")
    try:
        assert run_source(ws, spec, quiet=True).failed == 1
        (failure,) = ws.catalog.open_failures("telefoon-piet")
        assert dismiss_failure(ws, failure["id"], "foto onleesbaar, door IT bevestigd")
        assert not dismiss_failure(ws, failure["id"], "twice")  # no longer open
        assert ws.catalog.get_state("telefoon-piet", f"file:{sha(p)}") == "dismissed"
        again = run_source(ws, spec, quiet=True)
        assert (again.status, again.new, again.unchanged, again.failed) == ("ok", 0, 0, 0)  # not read again
        assert ws.catalog.open_failures("telefoon-piet") == []  # and not listed again
        assert [r["action"] for r in ws.catalog.audit_rows()][-1] == "failure dismissed"
    finally:
        ws.close()

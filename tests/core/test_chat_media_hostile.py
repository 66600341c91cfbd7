"""Through `woo import`: a hostile medium inside a WhatsApp zip (a 1,000x-expanding BMP, a zip bomb
sent as a file, a corrupt member) fails alone. The messages go in and are searchable, each such medium
is one listed Failure naming its member with the reason, the export zip is kept whole, and a good
medium beside them is still an attachment of its message."""

import hashlib
import io
import json
import zipfile
from pathlib import Path

from click.testing import CliRunner

from woo_collector.cli import cli
from woo_collector.store import EvidenceStore


def woo(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), "--quiet", *args], catch_exceptions=False)


BMP = "00000001-PHOTO-2023-06-01-09-01-00.bmp"
BOMB = "00000002-bijlagen.zip"
BROKEN = "00000003-PHOTO-2023-06-01-09-03-00.jpg"
GOOD = "00000004-notitie.txt"

CHAT = (
    "[01-06-2023 09:00:00] Anne: Overleg over de windturbines bij het Kraaiennest\r\n"
    f"\u200e[01-06-2023 09:01:00] Anne: \u200e<bijgevoegd: {BMP}>\r\n"
    f"\u200e[01-06-2023 09:02:00] Anne: \u200e<bijgevoegd: {BOMB}>\r\n"
    f"\u200e[01-06-2023 09:03:00] Bert: \u200e<bijgevoegd: {BROKEN}>\r\n"
    f"\u200e[01-06-2023 09:04:00] Bert: \u200e<bijgevoegd: {GOOD}>\r\n"
    "[01-06-2023 09:05:00] Bert: Akkoord, de geluidsnormen gaan mee in het besluit\r\n"
    f"\u200e[02-06-2023 10:00:00] Anne: \u200e<bijgevoegd: {BMP}>\r\n"  # the same medium again: listed once
)


def hostile_export(path: Path) -> None:
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as z:
        for i in range(3):
            z.writestr(f"laag{i}.bin", b"\0" * (20 * 1024 * 1024))  # 60 MB in some 60 kB
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("_chat.txt", CHAT)
        z.writestr(BMP, b"BM" + b"\0" * (20 * 1024 * 1024))  # 20 MB of zeros: expands some 1,000x
        z.writestr(BOMB, bomb.getvalue(), compress_type=zipfile.ZIP_STORED)  # the zip itself is small
        z.writestr(BROKEN, b"\xff\xd8\xff\xe0" + b"JFIF-foto" * 50, compress_type=zipfile.ZIP_STORED)
        z.writestr(GOOD, b"Notitie over de windturbines.")
    raw = bytearray(path.read_bytes())
    at = raw.index(b"JFIF-foto" * 50) + 10
    raw[at] ^= 0xFF  # one byte of the photo changed: its CRC no longer agrees
    path.write_bytes(bytes(raw))


def test_hostile_media_fail_alone_and_the_messages_go_in(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    archive = tmp_path / "WhatsApp Chat - Turbines.zip"
    hostile_export(archive)
    r = woo(ws, "import", str(archive), "--type", "whatsapp", "--custodian", "Anne")
    assert r.exit_code == 3, r.output  # finished, some parts could not be read

    hits = json.loads(woo(ws, "search", "geluidsnormen", "--format", "json").stdout)
    assert [h["kind"] for h in hits] == ["chat"], hits
    hits = json.loads(woo(ws, "search", "windturbines", "--format", "json").stdout)
    assert sorted((h["kind"], h["title"]) for h in hits if h["kind"] == "attachment") == [("attachment", GOOD)], hits
    assert [h["kind"] for h in hits].count("chat") == 1, hits  # the good medium's own text is searchable too
    hits = json.loads(woo(ws, "search", "*", "--format", "json", "--limit", "100").stdout)
    assert len([h for h in hits if h["kind"] == "chat"]) == 7, hits
    assert [h["title"] for h in hits if h["kind"] == "attachment"] == [GOOD], hits  # the good medium is kept

    failures = json.loads(woo(ws, "failures", "--format", "json").stdout)
    by_member = {f["locator"]: f for f in failures}
    assert set(by_member) == {BMP, BOMB, BROKEN}, failures  # each once, the good medium not among them
    assert "zip bomb" in by_member[BMP]["reason"] and "1028x" in by_member[BMP]["reason"]
    assert "zip bomb" in by_member[BOMB]["reason"] and "laag0.bin" in by_member[BOMB]["reason"]
    assert "cannot be read" in by_member[BROKEN]["reason"] and "CRC" in by_member[BROKEN]["reason"]
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    for f in failures:
        assert f["path"] == str(archive) and f["sha256"] == sha  # the export zip, kept bit for bit
    assert EvidenceStore(ws / "store").verify(sha)
    for member in (BMP, BOMB, BROKEN):
        assert member in r.output  # named in the import's summary

    r = woo(ws, "import", str(archive), "--type", "whatsapp", "--custodian", "Anne")  # read again: nothing doubled
    assert r.exit_code == 3 and "0 new" in r.output, r.output
    assert len(json.loads(woo(ws, "failures", "--format", "json").stdout)) == 3

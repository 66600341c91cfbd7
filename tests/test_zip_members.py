"""One bad member of a zip costs that member, not the archive: the good members are read, and each
bad one (an absolute path, ../ traversal, a symbolic link, a bomb by its own ratio) is a listed
Failure with its reason, the zip kept whole in the store. Through `woo import`, as handlers do."""

import hashlib
import io
import json
import stat
import zipfile
from pathlib import Path

import pytest

from woo_collector.store import EvidenceStore
from tests.conftest import woo


@pytest.fixture
def ws(tmp_path):
    assert woo(tmp_path / "ws", "init", "--organisation", "Gemeente Test").exit_code == 0
    return tmp_path / "ws"


def make_zip(good: dict[str, bytes], bad: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in good.items():
            z.writestr(name, data)
        if bad:
            z.writestr(zipfile.ZipInfo("/etc/passwd"), b"root:x:0:0")
            z.writestr(zipfile.ZipInfo("../buiten.txt"), b"ontsnapt")
            link = zipfile.ZipInfo("link.txt")
            link.external_attr = (stat.S_IFLNK | 0o777) << 16
            z.writestr(link, b"/etc/shadow")
            z.writestr("nullen.bin", b"\x00" * (5 * 1024 * 1024))  # 5 MB in a few kB: a bomb by its own ratio
    return buf.getvalue()


BAD = {"/etc/passwd": "path traversal", "../buiten.txt": "path traversal", "link.txt": "symbolic link",
       "nullen.bin": "zip bomb"}


def assert_listed(ws: Path, r, archive: Path, expected: dict[str, str]) -> None:
    assert r.exit_code == 3, r.output  # finished, some parts could not be read
    lines = [ln for ln in r.output.splitlines() if "could not read" in ln]
    assert len(lines) == len(expected), r.output
    failures = [f for f in json.loads(woo(ws, "failures", "--format", "json").stdout)]
    assert {f["locator"]: f["path"] for f in failures} == {name: str(archive) for name in expected}
    for f in failures:
        assert expected[f["locator"]] in f["reason"], f
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert {f["sha256"] for f in failures} == {sha}  # the archive's original, kept bit for bit
    assert EvidenceStore(ws / "store").verify(sha)


def test_files_zip_keeps_the_good_members_and_lists_each_bad_one(ws, tmp_path):
    archive = tmp_path / "overdracht.zip"
    archive.write_bytes(make_zip({"notitie.txt": b"Overleg over de windturbines bij het Kraaiennest.",
                                  "map/verslag.txt": b"Verslag: windturbines en geluid."}))
    r = woo(ws, "import", str(archive), "--type", "files", "--custodian", "Anne")
    assert_listed(ws, r, archive, BAD)
    titles = {h["title"] for h in json.loads(woo(ws, "search", "windturbines", "--format", "json").stdout)}
    assert titles == {"notitie.txt", "verslag.txt"}

    r = woo(ws, "import", str(archive), "--type", "files", "--custodian", "Anne")  # read again, adds nothing
    assert r.exit_code == 3 and "0 new" in r.output, r.output
    assert len(json.loads(woo(ws, "failures", "--format", "json").stdout)) == len(BAD)


def test_files_zip_inside_a_folder_lists_its_bad_members(ws, tmp_path):
    folder = tmp_path / "ingeleverd"
    folder.mkdir()
    archive = folder / "bijlagen.zip"
    archive.write_bytes(make_zip({"notitie.txt": b"De windturbines komen er."}))
    (folder / "los.txt").write_text("Nog een windturbines notitie.")
    r = woo(ws, "import", str(folder), "--type", "files", "--custodian", "Anne")
    assert_listed(ws, r, archive, BAD)
    titles = {h["title"] for h in json.loads(woo(ws, "search", "windturbines", "--format", "json").stdout)}
    assert titles == {"notitie.txt", "los.txt"}


CHAT = ("11-03-2025 09:14 - Sanne de Vries: De windturbines komen op de agenda\n"
        "11-03-2025 09:15 - Pieter Jansen: IMG-20250311-WA0001.jpg (bestand bijgevoegd)\n"
        "11-03-2025 09:16 - Pieter Jansen: Prima, windturbines dus\n").encode()


def test_whatsapp_zip_keeps_the_chat_and_lists_each_bad_member(ws, tmp_path):
    archive = tmp_path / "WhatsApp-chat met Team Wind.zip"
    archive.write_bytes(make_zip({"WhatsApp-chat met Team Wind.txt": CHAT, "IMG-20250311-WA0001.jpg": b"\xff\xd8\xff jpeg"}))
    r = woo(ws, "import", str(archive), "--type", "whatsapp", "--custodian", "Sanne de Vries")
    assert_listed(ws, r, archive, BAD)
    hits = json.loads(woo(ws, "search", "windturbines", "--format", "json").stdout)
    assert hits and all(h["kind"] == "chat" for h in hits)


def test_whatsapp_zip_whose_chat_text_is_refused_says_why(ws, tmp_path):
    archive = tmp_path / "WhatsApp Chat - Pad.zip"
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("../../etc/_chat.txt"), CHAT)
        z.writestr("IMG-20250311-WA0001.jpg", b"\xff\xd8\xff jpeg")
    archive.write_bytes(buf.getvalue())
    r = woo(ws, "import", str(archive), "--type", "whatsapp", "--custodian", "Sanne de Vries")
    assert r.exit_code == 3, r.output
    assert "path traversal" in r.output and "_chat.txt" in r.output
    sha = hashlib.sha256(archive.read_bytes()).hexdigest()
    assert EvidenceStore(ws / "store").verify(sha)

"""'woo import' as a handler runs it: what it recognises, what it says, where items are filed (issue 12)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector.cli import cli


def woo(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), "--quiet", *args], catch_exceptions=False)


@pytest.fixture
def ws(tmp_path):
    w = tmp_path / "ws"
    assert woo(w, "init", "--organisation", "Gemeente Test").exit_code == 0
    return w


def test_import_summary_says_when_day_and_month_are_guessed(ws, tmp_path):
    chat = tmp_path / "WhatsApp-chat met Raad.txt"
    chat.write_text("01/02/21, 10:00 - Berichten en oproepen zijn end-to-end versleuteld.\n"
                    "01/02/21, 10:02 - Jan: hallo\n", encoding="utf-8")
    r = woo(ws, "import", str(chat), "--custodian", "Jan")
    assert r.exit_code == 0
    assert ("note: WhatsApp-chat met Raad.txt: day and month cannot be told apart from the dates; "
            "read as day-month-year (system lines in Dutch)") in r.stderr
    clear = tmp_path / "WhatsApp-chat met Team.txt"
    clear.write_text("25/02/21, 10:00 - Jan: a\n", encoding="utf-8")
    assert "note:" not in woo(ws, "import", str(clear), "--custodian", "Jan").stderr


MAIL = ("From: Sanne <sanne@gemeente.nl>\r\nTo: Piet <piet@gemeente.nl>\r\nSubject: {subject}\r\n"
        "Date: Tue, 11 Mar 2025 09:30:00 +0100\r\nMessage-ID: <{mid}@gemeente.nl>\r\n\r\nTekst over {subject}.\r\n")


def build_mixed_folder(root: Path) -> Path:
    root.mkdir()
    (root / "a.eml").write_text(MAIL.format(subject="windmolens", mid="a"))
    (root / "bericht1.txt").write_text(MAIL.format(subject="zonnepark", mid="b"))  # RFC 822 saved as .txt
    (root / "bericht2.txt").write_text(MAIL.format(subject="laadpalen", mid="c"))
    (root / "WhatsApp Chat with Raad.txt").write_text("25/02/2023, 10:00 - Jan: overleg over de dijkversterking\n")
    (root / "sms.xml").write_text('<?xml version="1.0" encoding="UTF-8"?><smses count="1">'
                                  '<sms address="0612345678" date="1741681800000" type="1" body="fietsbrug besproken" />'
                                  '</smses>')
    (root / "notitie.txt").write_text("Notitie over de kademuur.\n")
    (root / "memo.html").write_text("<html><body><p>Memo over het gemaal.</p></body></html>")
    return root


def found(ws: Path, query: str) -> list[dict]:
    r = woo(ws, "search", query, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_a_mixed_folder_is_recognised_file_by_file(ws, tmp_path):
    folder = build_mixed_folder(tmp_path / "inlevering")
    r = woo(ws, "import", str(folder), "--custodian", "Jan")
    assert r.exit_code == 0, r.stderr
    assert "recognised 3 files as eml, 1 as whatsapp, 1 as sms, 2 as files" in r.stderr
    kinds = {q: sorted(h["kind"] for h in found(ws, q)) for q in
             ("windmolens", "zonnepark", "laadpalen", "dijkversterking", "fietsbrug", "kademuur", "gemaal")}
    assert kinds == {"windmolens": ["email"], "zonnepark": ["email"], "laadpalen": ["email"], "dijkversterking": ["chat"],
                     "fietsbrug": ["chat"], "kademuur": ["file"], "gemaal": ["file"]}
    sources = {h["source"] for q in kinds for h in found(ws, q)}
    assert sources == {f"import:Jan:inlevering:{t}" for t in ("eml", "whatsapp", "sms", "files")}
    again = woo(ws, "import", str(folder), "--custodian", "Jan")
    assert again.exit_code == 0 and again.stderr.count(" 0 new, 0 changed") == 4, again.stderr


def test_an_unreadable_file_in_a_folder_is_a_failure_of_that_file(ws, tmp_path):
    import socket

    folder = build_mixed_folder(tmp_path / "inlevering")
    s = socket.socket(socket.AF_UNIX)  # a file nobody can open for reading, root included
    s.bind(str(folder / "kapot.eml"))
    try:
        r = woo(ws, "import", str(folder), "--custodian", "Jan")
    finally:
        s.close()
    assert r.exit_code == 3, r.stderr
    assert "workspace cannot be written" not in r.stderr
    assert "recognised 4 files as eml" in r.stderr
    assert "  could not read: " in r.stderr and "kapot.eml: cannot read the file" in r.stderr
    assert found(ws, "windmolens") and found(ws, "dijkversterking")


def test_a_folder_that_is_one_export_stays_whole(ws, tmp_path):
    box = tmp_path / "box"
    for sub in ("cur", "new", "tmp"):
        (box / sub).mkdir(parents=True)
    (box / "cur" / "1.host:2,S").write_text(MAIL.format(subject="subsidie", mid="m"))
    r = woo(ws, "import", str(box), "--custodian", "Jan")
    assert r.exit_code == 0 and "recognised box as maildir" in r.stderr
    export = tmp_path / "export"
    export.mkdir()
    (export / "_chat.txt").write_text("[25-02-2023 10:00:00] Jan: foto van de brug\n"
                                      "[25-02-2023 10:00:05] Jan: \u200e<bijgevoegd: 00000001-PHOTO-2023-02-25.jpg>\n")
    (export / "00000001-PHOTO-2023-02-25.jpg").write_bytes(b"\xff\xd8\xff\xe0 not much of a photo")
    r = woo(ws, "import", str(export), "--custodian", "Jan")
    assert r.exit_code == 0 and "recognised export as whatsapp" in r.stderr, r.stderr


def test_same_file_name_from_two_people_are_two_sources(ws, tmp_path):
    for who, word in (("Anna", "fietspad"), ("Bram", "fietspad")):
        d = tmp_path / who
        d.mkdir()
        (d / "_chat.txt").write_text(f"[25-02-2023 10:00:00] {who}: over het {word}\n")
        assert woo(ws, "import", str(d / "_chat.txt"), "--custodian", who).exit_code == 0
    hits = found(ws, "fietspad")
    assert sorted((h["source"], h["custodian"]) for h in hits) == [
        ("import:Anna:_chat.txt", "Anna"), ("import:Bram:_chat.txt", "Bram")]
    listed = json.loads(woo(ws, "source", "list", "--format", "json").stdout)
    assert sorted((s["name"], s["custodian"]) for s in listed) == [
        ("import:Anna:_chat.txt", "Anna"), ("import:Bram:_chat.txt", "Bram")]
    r = woo(ws, "import", str(tmp_path / "Anna" / "_chat.txt"), "--custodian", "Anna", "--source", "chats-anna")
    assert r.exit_code == 0 and "chats-anna:" in r.stderr

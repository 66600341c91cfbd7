"""Every file connector fed its worst inputs, through `woo import` as a user runs it.

The contract for each: a clear message naming the file and the reason, exit code 3 (the run
finished; what could not be read is listed), bounded time and memory (the process runs under a
1.5 GB address-space limit), and nothing else lost (a good item imported before stays searchable).
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import resource
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

LIMIT_AS = 1536 * 1024 * 1024
GOOD = b"From: a@voorbeeld.nl\nSubject: Blijft bestaan\nDate: Tue, 11 Mar 2025 09:14:00 +0100\n\nwindturbines\n"
BOMB_XML = (b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' +
            b"".join(b'<!ENTITY lol%d "%s">' % (i, b"&lol%d;" % (i - 1) * 10 if i > 1 else b"&lol;" * 10) for i in range(1, 10)) +
            b']>\n<smses count="1"><sms address="&lol9;" date="1" type="1" body="x"/></smses>\n')


def _limit():
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))


def woo(ws: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", *args], capture_output=True,
                          text=True, timeout=timeout, preexec_fn=_limit)


@pytest.fixture(scope="module")
def ws(tmp_path_factory):
    root = tmp_path_factory.mktemp("hostile")
    w = root / "ws"
    assert woo(w, "init", "--organisation", "Gemeente Test").returncode == 0
    good = root / "good.eml"
    good.write_bytes(GOOD)
    assert woo(w, "import", str(good), "--custodian", "test").returncode == 0
    return w


def zip_bytes(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        for name, data in members.items():
            z.writestr(zipfile.ZipInfo(name), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def deep_json(depth: int) -> bytes:
    return b'{"value": ' + b"[" * depth + b"]" * depth + b"}"


HUGE_LINE = b"x" * (20 * 1024 * 1024)
INVALID_UTF8 = b"\xff\xfe\xc3\x28 \xa0\xa1 not valid utf-8 \xe2\x28\xa1\n" * 100

# (connector, file name, content or a callable writing the file)
CASES = [
    ("eml", "leeg.eml", b""),
    ("eml", "plaatje.eml", b"\x89PNG\r\n\x1a\n" + os.urandom(2000)),
    ("eml", "lange-regel.eml", HUGE_LINE),
    ("mbox", "leeg.mbox", b""),
    ("mbox", "geen-mbox.mbox", INVALID_UTF8),
    ("mbox", "afgekapt.mbox", b"From a@b Tue Mar 11 09:14:00 2025\nFrom: a@b\nSubject: half\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhal"),
    ("mbox", "lange-regel.mbox", HUGE_LINE),
    ("msg", "leeg.msg", b""),
    ("msg", "kapot.msg", bytes.fromhex("d0cf11e0a1b11ae1") + b"\x00" * 600),
    ("pst", "leeg.pst", b""),
    ("pst", "geen-pst.pst", b"!BDN" + os.urandom(4000)),
    ("whatsapp", "WhatsApp Chat with Leeg.txt", b""),
    ("whatsapp", "WhatsApp Chat with Onzin.txt", INVALID_UTF8),
    ("whatsapp", "WhatsApp Chat with Regel.txt", b"x" * (100 * 1024 * 1024)),  # the 100 MB single line
    ("whatsapp", "WhatsApp Chat - Bom.zip", zip_bytes({"_chat.txt": b"\x00" * (300 * 1024 * 1024)})),
    ("whatsapp", "WhatsApp Chat - Pad.zip", zip_bytes({"../../etc/_chat.txt": b"1/1/25, 10:00 - A: hoi\n"})),
    ("sms", "leeg.xml", b""),
    ("sms", "bom.xml", BOMB_XML),
    ("sms", "geen-xml.xml", INVALID_UTF8),
    ("sms", "diep.xml", b"<smses>" + b"<a>" * 100000 + b"</a>" * 100000 + b"</smses>"),
    ("teams", "leeg.json", b""),
    ("teams", "diep.json", deep_json(100000)),
    ("teams", "onzin.json", INVALID_UTF8),
    ("telegram", "result.json", deep_json(100000)),
    ("files", "bom.zip", zip_bytes({"nullen.txt": b"\x00" * (300 * 1024 * 1024)})),
    ("files", "pad.zip", zip_bytes({"../buiten.txt": b"ontsnapt"})),
    ("files", "kapot.docx", b"PK\x03\x04" + os.urandom(500)),
]


@pytest.mark.parametrize("type_,name,content", CASES, ids=[f"{t}-{n}" for t, n, _ in CASES])
def test_worst_inputs_fail_clearly_and_lose_nothing(ws, tmp_path, type_, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    t = time.monotonic()
    r = woo(ws, "import", str(p), "--type", type_, "--custodian", "test")
    took = time.monotonic() - t
    assert r.returncode == 3, f"exit {r.returncode}\n{r.stderr[-2000:]}"
    assert "Traceback" not in r.stderr
    assert name in r.stderr, r.stderr[-1000:]
    reason = [ln for ln in r.stderr.splitlines() if "could not read" in ln]
    assert reason and len(reason[0].split(name, 1)[-1].strip(" :()")) > 5, r.stderr
    assert took < 60
    fails = [f for f in json.loads(woo(ws, "failures", "--format", "json").stdout) if f["path"].startswith(str(p))]
    assert fails and all(f["sha256"] for f in fails), fails
    from woo_collector.store import EvidenceStore

    store = EvidenceStore(ws / "store")
    assert all(store.verify(f["sha256"]) for f in fails)
    if type_ != "mbox" or not content.startswith(b"From "):  # an mbox keeps each message as its own original
        assert store.verify(hashlib.sha256(content).hexdigest())  # the unreadable input itself is kept bit for bit
    hits = json.loads(woo(ws, "search", "windturbines", "--format", "json").stdout)
    assert "Blijft bestaan" in [h["title"] for h in hits]


def test_a_2gb_sparse_file_is_refused_or_kept_without_reading_it_into_memory(ws, tmp_path):
    for type_, name in (("whatsapp", "WhatsApp Chat with Groot.txt"), ("mbox", "groot.mbox"), ("sms", "groot.xml"), ("teams", "groot.json")):
        p = tmp_path / name
        with open(p, "wb") as f:
            f.truncate(2 * 1024**3)
        t = time.monotonic()
        r = woo(ws, "import", str(p), "--type", type_, "--custodian", "test", timeout=180)
        assert r.returncode == 3, f"{type_}: exit {r.returncode}\n{r.stderr[-1500:]}"
        assert name in r.stderr and "Traceback" not in r.stderr
        assert time.monotonic() - t < 120, type_
        p.unlink()


def test_broken_real_outlook_files_exit_3_and_the_whole_file_completes_the_job(ws, tmp_path):
    from tests.conftest import sample

    passworded = sample("java-libpst/src/test/resources/passworded.pst")
    r = woo(ws, "import", str(passworded), "--custodian", "IT")
    assert r.returncode == 3 and "passworded.pst" in r.stderr and "password" in r.stderr, r.stderr[-1500:]

    full = sample("ingest-file/tests/fixtures/testPST.pst").read_bytes()
    cut = tmp_path / "export.pst"
    cut.write_bytes(full[:225_624])
    r = woo(ws, "import", str(cut), "--custodian", "IT")
    assert r.returncode == 3 and "export.pst" in r.stderr, r.stderr[-1500:]
    kept = int(r.stderr.split(" new,")[0].rsplit(" ", 1)[-1])
    assert kept > 0  # what could be read before the break is kept
    cut.write_bytes(full)  # IT delivers the whole export again under the same name
    r = woo(ws, "import", str(cut), "--custodian", "IT")
    assert r.returncode == 0, r.stderr[-1500:]

    msg = sample("msg-extractor/example-msg-files/unicode.msg").read_bytes()
    broken = tmp_path / "kapot.msg"
    broken.write_bytes(msg[: len(msg) // 3])
    r = woo(ws, "import", str(broken), "--custodian", "IT")
    assert r.returncode == 3 and "kapot.msg" in r.stderr and "Traceback" not in r.stderr, r.stderr[-1500:]

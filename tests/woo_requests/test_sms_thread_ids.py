"""Through the CLI: an SMS conversation's thread id (``sms:+31612987654``) never reaches the package raw.

A real SMS Backup & Restore backup (../shared/samples/sms-backup-reader-2) with its numbers made
Dutch: one contact with a name, one number without (``(Unknown)``, so the number is all the
conversation is called by), and one foreign number left as it was. After import, collect and
export (with the upload zips and DiWoo), every file of the package and its zip is read (xlsx cells,
docx text and core properties, PDF text and metadata, manifest, DiWoo, file names, zip members)
and no form of any of the numbers is found: with or without +31/0031/0, with spaces, dashes or
dots, nor an ``sms:`` thread id.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from pypdf import PdfReader

from tests.conftest import sample, woo

SAMPLE = "sms-backup-reader-2/packages/lib/test-assets/sms_small.xml"
NAMED, UNKNOWN, FOREIGN = "+31612987654", "0629384756", "+15550000003"
CORES = ("612987654", "629384756", "5550000003")  # the subscriber digits every written form holds
SEP = r"[\s\-./()\u00a0\u200b]*"
FORMS = [re.compile(SEP.join(core)) for core in CORES] + [re.compile(r"sms:", re.I)]


def backup(tmp_path: Path) -> Path:
    src = sample(SAMPLE)
    if not src.is_file():
        pytest.skip(f"real sample {src} not present (WOO_SAMPLES, default ../shared/samples)")
    xml = src.read_text(encoding="utf-8")
    assert xml.count('address="+15550000001"') and xml.count('address="+15550000004"') and xml.count(f'address="{FOREIGN}"')
    xml = xml.replace('address="+15550000001"', f'address="{NAMED}"')
    xml = xml.replace('address="+15550000004"', f'address="{UNKNOWN}"').replace('contact_name="Contact C"', 'contact_name="(Unknown)"')
    path = tmp_path / "sms-20171202120000.xml"
    path.write_text(xml, encoding="utf-8")
    return path


def texts(name: str, data: bytes):
    """(where, text) of every piece of text a file holds, zips and Office files member by member."""
    yield f"file name {name}", name
    if data[:4] == b"PK\x03\x04":
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for member in z.namelist():
                yield from texts(f"{name}!{member}", z.read(member))
        return
    if data.startswith(b"%PDF"):
        reader = PdfReader(io.BytesIO(data))
        for n, page in enumerate(reader.pages, 1):
            yield f"{name} page {n}", page.extract_text() or ""
        yield f"{name} properties", " ".join(str(v) for v in (reader.metadata or {}).values())
        meta = reader.trailer["/Root"].get("/Metadata")
        if meta is not None:
            yield f"{name} XMP", meta.get_object().get_data().decode("utf-8", "replace")
        yield f"{name} raw", data.decode("latin-1")
        return
    text = data.decode("utf-8", "replace")
    yield name, text
    if name.endswith((".xml", ".rels")) or text.lstrip().startswith("<"):
        yield f"{name} (text)", re.sub(r"<[^>]+>", "", text)  # runs joined: '06' '1298' '7654' split over w:t


def test_no_sms_thread_id_or_number_reaches_the_package(ws, tmp_path):
    r = woo(ws, "import", str(backup(tmp_path)), "--type", "sms", "--custodian", "Pieter")
    assert r.exit_code == 0, r.output
    assert woo(ws, "request", "create", "R1", "--subject", "Body text", "--query", "Body",
               "--from", "2017-12-01", "--to", "2017-12-03").exit_code == 0
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    shown = woo(ws, "request", "show", "R1", "--format", "json")
    assert shown.stdout.count('"kind": "chat"') >= 3  # the three conversations are documents
    out = tmp_path / "pakket"
    r = woo(ws, "request", "export", "R1", "--out", str(out), "--zip", "--diwoo")
    assert r.exit_code == 0, r.output
    files = [p for p in sorted(out.rglob("*")) if p.is_file()] + [out.with_name(out.name + ".zip")]
    assert any(p.suffix == ".pdf" for p in files) and any(p.name.endswith(".xlsx") for p in files)
    leaks = []
    for path in files:
        rel = path.relative_to(out).as_posix() if path.is_relative_to(out) else path.name
        for where, text in texts(rel, path.read_bytes()):
            for form in FORMS:
                hit = form.search(text)
                if hit:
                    leaks.append(f"{where}: {text[max(0, hit.start() - 40):hit.end() + 40]!r}")
    assert leaks == [], "\n".join(leaks)

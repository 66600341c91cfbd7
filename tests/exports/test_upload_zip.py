"""export --zip: upload zips for the national platform, holding the <ID>.pdf files and nothing else, split by size."""

from __future__ import annotations

import re
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, documents, request_info  # noqa: E402

from exports import write_package  # noqa: E402
from exports.leakguard import scan_package  # noqa: E402
from exports.render import Redactor  # noqa: E402

NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)
LINKED = re.compile(r"[A-Za-z0-9]+")  # how the platform links a file to its row: the leading run of its name


def test_upload_zips_hold_the_pdfs_only_split_at_the_limit(tmp_path):
    out = tmp_path / "pkg"
    pdfs_alone = write_package(request_info(), documents(), tmp_path / "plain", organisation=ORG, tool_version="t", now=NOW)
    assert not (tmp_path / "plain" / "upload").exists()  # only with --zip
    sizes = {p.name: p.stat().st_size for p in (tmp_path / "plain" / "documenten").glob("*.pdf")}
    limit = max(sizes.values()) + 500  # room for one PDF a zip, not two
    result = write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW, zip_=True,
                           upload_max_bytes=limit)
    zips = sorted((out / "upload").iterdir())
    assert [z.name for z in zips] == [f"2025014-documenten-0{n}.zip" for n in range(1, len(zips) + 1)]
    assert len(zips) == len(sizes) == 4  # documents 1, 1.1, 2 and 3 (4 withheld, 5 already public)
    members = {}
    for z in zips:
        assert z.stat().st_size <= limit
        with zipfile.ZipFile(z) as f:
            for info in f.infolist():
                assert info.filename not in members
                members[info.filename] = f.read(info)
    released = {p.name: p.read_bytes() for p in (out / "documenten").glob("*.pdf")}
    assert members == released and set(released) == set(sizes)  # every <ID>.pdf, once, as written
    for name in members:  # nothing the platform cannot link: no folder, no docx, no manifest
        assert name.endswith(".pdf") and LINKED.match(name).group(0) == name[:-4]
    assert {f"upload/{z.name}" for z in zips} <= set(result.files)  # in the manifest
    assert scan_package(out, Redactor(documents()).needles) == []
    with zipfile.ZipFile(tmp_path / "pkg.zip") as whole:  # the package's own zip does not carry the PDFs twice
        names = whole.namelist()
    assert "pkg/manifest.json" in names and not any(n.startswith("pkg/upload/") for n in names)
    assert pdfs_alone.files.keys() - result.files.keys() == set()


def test_one_zip_under_the_default_limit(tmp_path):
    out = tmp_path / "pkg"
    write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW, zip_=True)
    assert [z.name for z in (out / "upload").iterdir()] == ["2025014-documenten-01.zip"]

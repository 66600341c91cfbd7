"""The leak guard catches planted leaks: in a header block, a file name, document properties,
text split over two runs, digits in other punctuation; and it deletes the package."""

from __future__ import annotations

import json
import shutil
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, documents, request_info  # noqa: E402

from exports import guard, write_package  # noqa: E402
from exports.leakguard import scan_package  # noqa: E402
from exports.render import Redactor  # noqa: E402
from woo_collector.errors import ExportError, LeakError  # noqa: E402

NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


@pytest.fixture(scope="module")
def written(tmp_path_factory):
    out = tmp_path_factory.mktemp("clean") / "pkg"
    write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW)
    return out


@pytest.fixture
def package(written, tmp_path):
    copy = tmp_path / "pkg"
    shutil.copytree(written, copy)
    return copy


def edit_part(path: Path, part: str, change) -> None:
    """Rewrite one XML part of a docx/xlsx in place."""
    tmp = path.with_suffix(".tmp")
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(tmp, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == part:
                data = change(data.decode("utf-8")).encode("utf-8")
            dst.writestr(info, data)
    tmp.replace(path)


def hits(root: Path):
    return scan_package(root, Redactor(documents()).needles)


def test_clean_package_has_no_hits(package):
    assert hits(package) == []
    guard(package, documents())
    assert package.exists()


def test_leak_in_header_block(package):
    bundle = package / "documenten" / "documenten-deel-01.docx"
    edit_part(bundle, "word/document.xml",
              lambda x: x.replace('<w:t xml:space="preserve">Aan: </w:t>',
                                  '<w:t xml:space="preserve">Aan: Anna de Boer, </w:t>', 1))
    found = hits(package)
    assert len(found) == 1
    assert found[0].file == "documenten/documenten-deel-01.docx"
    assert found[0].place.startswith("word/document.xml, alinea ")
    assert "name" in found[0].needle.describe() and "Anna" not in str(found[0])
    with pytest.raises(LeakError) as e:
        guard(package, documents())
    assert "documenten/documenten-deel-01.docx: word/document.xml, alinea" in str(e.value)
    assert "Anna de Boer" not in str(e.value)
    assert not package.exists()


def test_leak_split_over_two_runs(package):
    bundle = package / "documenten" / "documenten-deel-01.docx"
    split = ('<w:r><w:t xml:space="preserve">Groeten van Jer</w:t></w:r>'
             '<w:r><w:rPr><w:b/></w:rPr><w:t xml:space="preserve">oen Bak</w:t></w:r>'
             '<w:r><w:t xml:space="preserve">ker</w:t></w:r>')
    edit_part(bundle, "word/document.xml", lambda x: x.replace("</w:body>", f"<w:p>{split}</w:p></w:body>"))
    found = hits(package)
    assert [h.needle.category for h in found] == ["name"]
    assert found[0].place.startswith("word/document.xml, alinea")


def test_leak_in_file_name(package):
    (package / "documenten" / "documenten-deel-01.docx").rename(package / "documenten" / "pieter van der meulen.docx")
    found = hits(package)
    assert [(h.file, h.place) for h in found] == [("documenten/pieter van der meulen.docx", "bestandsnaam")]


def test_leak_in_document_properties(package):
    edit_part(package / "besluit-concept.docx", "docProps/core.xml",
              lambda x: x.replace(f"<dc:creator>{ORG}</dc:creator>", "<dc:creator>P. van der Meulen; Jeroen Bakker</dc:creator>"))
    found = hits(package)
    assert [(h.file, h.place) for h in found] == [("besluit-concept.docx", "docProps/core.xml, creator")]


def test_leak_of_digits_in_other_punctuation(package):
    # the phone was redacted as "06-12345678"; "06 1234 5678" in a cell of the inventory leaks it
    edit_part(package / "inventarislijst.xlsx", "xl/worksheets/sheet1.xml",
              lambda x: x.replace("Vertrouwelijk: grondaankoop", "Vertrouwelijk: bel 06 1234 5678", 1))
    found = hits(package)
    assert [(h.file, h.needle.is_digits, h.needle.category) for h in found] == [("inventarislijst.xlsx", True, "phone")]
    assert found[0].place == "xl/worksheets/sheet1.xml, cel D6"


def test_leak_in_manifest_and_case_insensitive(package):
    m = json.loads((package / "manifest.json").read_text())
    m["request"]["query"] = "windturbine AND ANNA.DEBOER@GMAIL.COM"
    (package / "manifest.json").write_text(json.dumps(m))
    found = hits(package)
    assert [(h.file, h.place, h.needle.category) for h in found] == [("manifest.json", "waarde /request/query", "email")]


def test_words_containing_a_redacted_name_are_no_leak(package):
    # "Pieterskerk" does not reveal "Pieter"; a whole-word match is needed
    redactions = [r for d in documents() for r in d.applied() if r.text == "Pieter van der Meulen"]
    assert redactions
    bundle = package / "documenten" / "documenten-deel-01.docx"
    edit_part(bundle, "word/document.xml",
              lambda x: x.replace("</w:body>", '<w:p><w:r><w:t>Annadeboerderij en Pieterskerk</w:t></w:r></w:p></w:body>'))
    assert hits(package) == []


def test_write_package_refuses_unknown_decision(tmp_path):
    docs = documents()
    from dataclasses import replace

    docs[0] = replace(docs[0], decision="geheim")
    with pytest.raises(ExportError, match="onbekende beoordeling"):
        write_package(request_info(), docs, tmp_path / "pkg", organisation=ORG, tool_version="t", now=NOW)
    assert list(tmp_path.iterdir()) == []


def test_write_package_deletes_a_leaking_package(tmp_path):
    # the organisation name itself is a redacted text here: every file's properties would leak it
    with pytest.raises(LeakError) as e:
        write_package(request_info(), documents(), tmp_path / "pkg", organisation="Anna de Boer", tool_version="t", now=NOW)
    assert "docProps/core.xml" in str(e.value)
    assert list(tmp_path.iterdir()) == []


def test_hashes_in_the_manifest_are_no_digit_leak(package):
    # a SHA-256 whose digits happen to contain a redacted number is not a leak; the number in text is
    m = json.loads((package / "manifest.json").read_text())
    m["documents"][0]["items"][0]["sha256"] = "ab0612345678cd" + "e" * 50
    (package / "manifest.json").write_text(json.dumps(m))
    assert hits(package) == []
    m["documents"][0]["items"][0]["locator"] = "regel 06.12.34.56.78"
    (package / "manifest.json").write_text(json.dumps(m))
    assert [(h.place, h.needle.is_digits) for h in hits(package)] == [("waarde /documents/0/items/0/locator", True)]

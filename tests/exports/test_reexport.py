"""Exporting again into an earlier package folder keeps the handler's work: it refuses unless
--replace, and then moves the earlier package aside whole; no file we did not write is deleted,
also when the export is killed while the new package is put in place."""

from __future__ import annotations

import json
import sys
from datetime import datetime, timezone
from pathlib import Path

import docx
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, documents, request_info  # noqa: E402

from exports import place, write_package  # noqa: E402
from woo_collector import outputs  # noqa: E402
from woo_collector.errors import ExportError  # noqa: E402

NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


def export(out: Path, **kw):
    return write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW, **kw)


def handler_works_in(out: Path) -> str:
    """The handler edits the draft letter and adds a file of her own."""
    letter = docx.Document(str(out / "besluit-concept.docx"))
    letter.add_paragraph("Aangevuld door de behandelaar: zienswijze van de exploitant ontvangen op 3 april.")
    letter.save(str(out / "besluit-concept.docx"))
    (out / "aantekeningen-behandelaar.txt").write_text("bel de exploitant terug", encoding="utf-8")
    return outputs.sha256_file(out / "besluit-concept.docx")


def test_an_export_into_an_earlier_package_refuses_and_changes_nothing(tmp_path):
    out = tmp_path / "pakket"
    export(out)
    edited = handler_works_in(out)
    with pytest.raises(ExportError, match="--replace"):
        export(out)
    assert outputs.sha256_file(out / "besluit-concept.docx") == edited
    assert (out / "aantekeningen-behandelaar.txt").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pakket"]


def test_replace_moves_the_earlier_package_aside_whole(tmp_path):
    out = tmp_path / "pakket"
    export(out, zip_=True)
    edited = handler_works_in(out)
    result = export(out, replace=True)
    kept = result.previous
    assert kept is not None and kept.parent == tmp_path and kept.name.startswith("pakket.vorige-")
    assert outputs.sha256_file(kept / "besluit-concept.docx") == edited
    assert (kept / "aantekeningen-behandelaar.txt").read_text(encoding="utf-8") == "bel de exploitant terug"
    assert not (out / "aantekeningen-behandelaar.txt").exists()
    assert json.loads((out / "manifest.json").read_text())["request"]["id"] == "2025-014"
    again = export(out, replace=True)  # a third export keeps the second one too
    assert again.previous != kept and again.previous.is_dir() and kept.is_dir()


def test_a_kill_after_the_swap_still_keeps_the_earlier_package(tmp_path):
    """Killed after the new package went in and before the earlier one was renamed aside: the next
    export finishes the move from the journal instead of deleting the earlier package as a leftover."""
    out = tmp_path / "pakket"
    export(out)
    handler_works_in(out)
    staging = tmp_path / "staging" / "pakket"
    export(staging)
    tmp = tmp_path / ".pakket.tmp-12345678"
    staging.rename(tmp)
    previous = place.aside(out)
    token = outputs.sha256_file(tmp / "manifest.json")
    outputs.write_json_atomic(outputs.journal(out), {"tmp": str(tmp), "zip": None, "manifest": token,
                                                     "previous": str(previous)})
    out.rename(tmp_path / "swap")  # the swap, by hand: the new package in, the earlier one where tmp was
    tmp.rename(out)
    (tmp_path / "swap").rename(tmp)  # the kill came here

    place.prepare(out)  # what every export does first
    assert outputs.sha256_file(out / "manifest.json") == token
    assert (previous / "aantekeningen-behandelaar.txt").exists()
    assert outputs.leftovers(out) == [] and not outputs.journal(out).exists()

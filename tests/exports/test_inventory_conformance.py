"""Our inventory read the way the national Woo platform's upload reads it: through Debian's
xlsx2csv, then its header aliases and row rules (platform_reader.py mirrors them).

On the demo's package (the README's first command) and on a generated package of 2,000 documents,
every row must be accepted, and every ID must be one a file can be linked to.
"""

from __future__ import annotations

import re
import shutil
import sys
from datetime import date, datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))
import platform_reader  # noqa: E402
from export_corpus import ORG, documents, request_info  # noqa: E402

from exports import inventory, write_package  # noqa: E402
from exports.render import Redactor  # noqa: E402
from woo_collector.cli import cli  # noqa: E402
from woo_collector.documents import RequestInfo  # noqa: E402

pytestmark = pytest.mark.skipif(shutil.which("xlsx2csv") is None and not Path("/usr/bin/xlsx2csv").exists(),
                                reason="Debian's xlsx2csv is not installed (.ci/run installs it)")
NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


def assert_all_accepted(result: platform_reader.Result, expected_rows: int) -> None:
    assert result.header_problems == []
    assert result.rejected == [], result.rejected[:5]
    assert len(result.accepted) == expected_rows


@pytest.fixture(scope="module")
def demo_package(tmp_path_factory):
    root = tmp_path_factory.mktemp("demo") / "demo"
    r = CliRunner().invoke(cli, ["--quiet", "demo", str(root)], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    return root / "pakket"


def test_the_demo_inventory_is_accepted_row_for_row(demo_package):
    import json

    manifest = json.loads((demo_package / "manifest.json").read_text(encoding="utf-8"))
    result = platform_reader.read(demo_package / "inventarislijst.xlsx")
    assert_all_accepted(result, len(manifest["documents"]))
    rows = result.accepted
    assert {r["context"] for r in rows} == {"WOO2025001"}
    assert all(re.fullmatch(r"WOO2025001D\d{4}(B\d{2})*", r["id"]) for r in rows)
    assert len({r["id"] for r in rows}) == len(rows)
    assert all(platform_reader.parse_date(r["date"]) for r in rows if r["date"])
    assert all(r["threadid"] == "" or r["threadid"].isdigit() for r in rows)
    # the ignored column keeps the human number, and the rows are in number order
    nrs = [r["id"] for r in rows]
    assert nrs[0] == "WOO2025001D0001" and nrs[1] == "WOO2025001D0001B01"


def test_every_released_row_of_the_demo_has_exactly_one_file_linked_by_its_id(demo_package):
    """The platform links a file to the row whose ID is the file name's leading [A-Za-z0-9]+ run."""
    rows = platform_reader.read(demo_package / "inventarislijst.xlsx").accepted
    files = [p.name for p in (demo_package / "documenten").iterdir() if p.is_file()]
    linked: dict[str, list[str]] = {}
    for name in files:
        linked.setdefault(platform_reader.LINKABLE.match(name).group(0), []).append(name)
    released = [r for r in rows if r["judgement"].strip().lower() in ("openbaar", "deels openbaar")]
    assert released
    for r in released:
        assert linked.get(r["id"]) == [f"{r['id']}.pdf"], (r["id"], linked.get(r["id"]))
    withheld = {r["id"] for r in rows} - {r["id"] for r in released}
    assert not withheld & set(linked)  # nothing is uploaded for a row that is not released


def test_internal_remarks_stay_out_of_the_inventory(demo_package):
    text = platform_reader.to_csv(demo_package / "inventarislijst.xlsx")
    for internal in ("gevonden op", "mogelijk duplicaat", "zelfde Message-ID"):
        assert internal not in text


def test_the_corpus_inventory_is_accepted_with_integer_families_and_threads(tmp_path):
    out = tmp_path / "pkg"
    write_package(request_info(), documents(), out, organisation=ORG, tool_version="0.1.0", now=NOW)
    result = platform_reader.read(out / "inventarislijst.xlsx")
    assert_all_accepted(result, 6)
    by_id = {r["id"]: r for r in result.accepted}
    mail, att, chat, file_ = (by_id["2025014D0001"], by_id["2025014D0001B01"], by_id["2025014D0002"],
                              by_id["2025014D0003"])
    assert (mail["family"], att["family"], chat["family"]) == ("1", "1", "2")
    assert mail["threadid"] == att["threadid"] == "1" and chat["threadid"] == "2" and file_["threadid"] == ""
    assert mail["date"] == "12-03-2025"  # date only: a date-time cell comes out of xlsx2csv unparseable
    assert (mail["sourcetype"], att["sourcetype"], chat["sourcetype"]) == ("email", "pdf", "chat")


def test_a_row_without_context_or_with_a_hyphenated_id_is_refused():
    good = {"id": "WOO2025001D0001", "context": "WOO2025001", "document": "x", "judgement": "openbaar", "ground": ""}
    assert platform_reader.check_row(good) == []
    assert platform_reader.check_row({**good, "context": ""})
    assert platform_reader.check_row({**good, "id": "WOO-2025-001-1"})
    assert platform_reader.check_row({**good, "threadid": "<abc@x>"})
    assert platform_reader.check_row({**good, "date": "2025-03-10 09:12:00"})
    assert platform_reader.check_row({**good, "sourcetype": "other"})


def test_a_2000_document_package_is_accepted(tmp_path):
    from bench_export import generate

    docs = generate(2000, 7)
    info = RequestInfo(id="BENCH-1", subject="windpark", query="windpark", period_from=date(2025, 1, 1),
                       period_to=date(2025, 12, 31), organisation="Gemeente Bench")
    path = inventory.write_xlsx(tmp_path / "inventarislijst.xlsx", inventory.rows(info.id, docs, Redactor(docs)),
                                "Gemeente Bench", info.id, NOW)
    result = platform_reader.read(path)
    assert_all_accepted(result, 2000)
    threads = {r["threadid"] for r in result.accepted}
    assert threads <= {str(n) for n in range(1, 2001)} | {""}

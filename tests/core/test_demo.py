"""`woo demo`: the README's first command, end to end, with no server and no network."""

import json

from click.testing import CliRunner

from woo_collector.cli import cli
from woo_collector.redaction import CATEGORIES


def test_demo_ingests_searches_collects_redacts_and_writes_the_package(tmp_path):
    r = CliRunner().invoke(cli, ["--quiet", "demo", str(tmp_path / "demo")], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert "woo search windturbine:" in r.output and "Windturbines Kraaiennest" in r.output
    pkg = tmp_path / "demo" / "pakket"
    for name in ("besluit-concept.docx", "inventarislijst.xlsx", "inventarislijst.docx", "manifest.json"):
        assert (pkg / name).is_file(), name
    assert list((pkg / "documenten").glob("*.docx"))
    manifest = json.loads((pkg / "manifest.json").read_text())
    assert manifest["documents"] and all(d["items"] for d in manifest["documents"])

    from woo_collector.workspace import Workspace

    ws = Workspace.open(tmp_path / "demo" / "workspace")
    cats = {r["category"] for r in ws.catalog.requests.redactions("WOO-2025-001")}
    assert cats == set(CATEGORIES)  # the demo shows redaction at work in every category
    kinds = {k for (k,) in ws.catalog.db.execute("SELECT DISTINCT kind FROM items")}
    assert kinds == {"email", "attachment", "chat", "file"}
    before = ws.catalog.count_items()
    ws.close()

    again = CliRunner().invoke(cli, ["--quiet", "demo", str(tmp_path / "demo")], catch_exceptions=False)
    assert again.exit_code == 0, again.output
    ws = Workspace.open(tmp_path / "demo" / "workspace")
    assert ws.catalog.count_items() == before  # the same files again add nothing

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
    assert manifest["organisation"] == "Gemeente Voorbeeld"  # the demo keeps its fictional body, explicitly
    assert 'organisation = "Gemeente Voorbeeld"' in (tmp_path / "demo" / "workspace" / "woo.toml").read_text()

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


def test_demo_without_dir_builds_in_the_user_data_folder_and_says_where(tmp_path, monkeypatch):
    cwd, data = tmp_path / "cwd", tmp_path / "xdg"
    cwd.mkdir()
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    monkeypatch.chdir(cwd)
    r = CliRunner().invoke(cli, ["--quiet", "demo"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    where = data / "woo-collector" / "demo"
    assert str(where) in r.output.splitlines()[0], r.output  # the first thing it says
    assert (where / "workspace").is_dir() and (where / "pakket" / "manifest.json").is_file()
    assert list(cwd.iterdir()) == []  # nothing in the current folder


def test_the_demo_folder_falls_back_to_local_share_under_home(tmp_path, monkeypatch):
    from woo_collector.cli.demo import default_demo_dir

    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.delenv("XDG_DATA_HOME", raising=False)
    assert default_demo_dir() == tmp_path / ".local" / "share" / "woo-collector" / "demo"
    monkeypatch.setenv("XDG_DATA_HOME", "relative/dir")  # not absolute: ignored, as the XDG spec says
    assert default_demo_dir() == tmp_path / ".local" / "share" / "woo-collector" / "demo"

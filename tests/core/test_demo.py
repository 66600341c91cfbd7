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


W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def bundle_lines(path) -> list[str]:
    """The bundle's paragraphs as a reader sees them, a box shown as ⟦5.1.2e⟧."""
    import docx

    out = []
    for p in docx.Document(str(path)).element.body.iter(f"{W}p"):
        line = ""
        for r in p.iter(f"{W}r"):
            shd = r.find(f"{W}rPr/{W}shd")
            text = "".join(t.text or "" for t in r.iter(f"{W}t"))
            line += f"⟦{text.strip()}⟧" if shd is not None and shd.get(f"{W}fill") == "000000" else text
        out.append(line)
    return out


def test_the_demo_with_frog_keeps_the_requests_subject_readable_and_boxes_its_people(tmp_path, monkeypatch, frog_session):
    # Frog read the subject "Windturbines Kraaiennest: planning" as a person (PER) once, and the
    # package then boxed "windturbines" in every document ("Onderwerp: Bezwaar tegen █")
    monkeypatch.setenv("WOO_REDACTION_LAYERS", "rules,frog")
    r = CliRunner().invoke(cli, ["--quiet", "demo", str(tmp_path / "demo")], catch_exceptions=False)
    assert r.exit_code == 0, r.output

    from woo_collector.workspace import Workspace

    ws = Workspace.open(tmp_path / "demo" / "workspace")
    rows = ws.catalog.requests.redactions("WOO-2025-001")
    ws.close()
    assert any("frog NER" in row["explanation"] for row in rows)        # Frog ran
    assert [row["text"] for row in rows if "windturbine" in row["text"].lower()] == []
    boxed = {row["text"] for row in rows if row["apply"]}
    assert {"Pieter van der Meulen", "Sanne de Vries", "Henk Jansen", "Fatima El Amrani"} <= boxed

    lines = bundle_lines(tmp_path / "demo" / "pakket" / "documenten" / "documenten-deel-01.docx")
    text = "\n".join(lines)
    assert "Onderwerp: Bezwaar tegen windturbines" in lines
    assert "Onderwerp: Windturbines Kraaiennest: planning" in lines
    assert "van de geplande windturbines" in text.replace("\n", " ")
    for name in ("Pieter van der Meulen", "Sanne de Vries", "Henk Jansen", "Fatima El Amrani", "Fatima", "Sanne"):
        assert name not in text, name
    assert "Geachte mevrouw ⟦5.1.2e⟧," in lines
    # the planning sheet's row: Frog read the whole row as one person; only the name goes
    assert "Informatieavond\t2025-04-15\t⟦5.1.2e⟧" in text

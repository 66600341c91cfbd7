"""The detection layers through the CLI: a name only Frog's NER finds is boxed in the package, the
manifest, collect and doctor say which layers ran, and without Frog collect says in one line what
the handler loses and how to install it."""

from __future__ import annotations

import json
import re
import zipfile
from pathlib import Path

import pytest

from tests.conftest import mail, woo
from woo_collector.redaction import Analyzer

# a surname alone, no title, no listed given name: the rule layer has no cue; Frog tags it PER
BODY = "Gisteren sprak Leterme in Gent met de pers over de windturbines bij Kraaiennest."


@pytest.fixture
def ws(tmp_path, monkeypatch):
    monkeypatch.delenv("WOO_REDACTION_LAYERS", raising=False)   # the workspace's own setting decides
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "bezoek.eml").write_bytes(mail("Bezoek windturbines", BODY, msgid="<b@voorbeeld.nl>",
                                             date="Tue, 11 Mar 2025 09:14:00 +0100"))
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne", "--source", "mail-sanne")
    assert r.exit_code == 0, r.output
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31").exit_code == 0
    return ws


def set_layers(ws: Path, layers: list[str]) -> None:
    with open(ws / "woo.toml", "a", encoding="utf-8") as f:
        f.write("\n[redaction]\nlayers = " + json.dumps(layers) + "\n")


def package_text(ws: Path, out: Path) -> tuple[str, dict]:
    r = woo(ws, "request", "export", "R1", "--out", str(out))
    assert r.exit_code == 0, r.output
    bundles = sorted((out / "documenten").glob("*.docx"))
    assert bundles
    text = ""
    for b in bundles:   # what a reader sees: the text of the document, not its bytes
        with zipfile.ZipFile(b) as z:
            text += re.sub(r"<[^>]+>", "", z.read("word/document.xml").decode("utf-8"))
    return text, json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def test_a_name_only_frog_finds_is_boxed_in_the_package_and_the_manifest_says_which_layers_ran(ws, tmp_path, frog_session):
    assert "Leterme" not in [w for f in Analyzer().analyze(BODY) for w in f.text.split()]   # the rules alone miss him
    set_layers(ws, ["rules", "frog"])
    doctor = woo(ws, "doctor", "--format", "json")
    assert json.loads(doctor.stdout)["facts"]["redaction layers"].startswith("rules, frog (Frog 0.")
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    assert "Detection layers that ran: rules, frog" in r.stdout
    assert "warning" not in r.stderr
    r = woo(ws, "request", "show", "R1", "--format", "json")
    assert json.loads(r.stdout)["documents"][0]["redactions"] >= 1
    text, manifest = package_text(ws, tmp_path / "pakket")
    assert "windturbines" in text and "Leterme" not in text
    assert "5.1.2e" in text
    assert manifest["redaction_layers"] == ["rules", "frog"]


def test_without_frog_collect_warns_in_one_line_what_recall_is_lost_and_how_to_install_it(ws, tmp_path, monkeypatch):
    monkeypatch.setenv("PATH", str(tmp_path / "no-frog-here"))
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    lines = [ln for ln in r.stderr.splitlines() if "Frog" in ln]
    assert len(lines) == 1, r.stderr
    assert "0.44" in lines[0] and "0.82" in lines[0] and "apt-get install frog frogdata uctodata" in lines[0]
    assert "Detection layers that ran: rules" in r.stdout
    doctor = woo(ws, "doctor", "--format", "json")
    assert "Frog is not installed" in json.loads(doctor.stdout)["facts"]["redaction layers"]
    monkeypatch.undo()
    monkeypatch.delenv("WOO_REDACTION_LAYERS", raising=False)
    _text, manifest = package_text(ws, tmp_path / "pakket")
    assert manifest["redaction_layers"] == ["rules"]


def test_layers_rules_only_is_a_choice_collect_does_not_warn_about(ws):
    set_layers(ws, ["rules"])
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    assert "Frog" not in r.stderr and "Detection layers that ran: rules" in r.stdout


def test_an_unknown_layer_is_refused_naming_the_known_ones(ws):
    set_layers(ws, ["rules", "spacy"])
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 1
    assert "unknown layer 'spacy'; known layers: rules, frog" in r.output

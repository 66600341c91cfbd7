"""The command line in Dutch and English (gettext catalogue ``woo``, woo_collector/i18n.py).

- The committed woo.mo is exactly what woo.po compiles to (there is no msgfmt: i18n.compile_mo).
- Every translatable string of the CLI (found by an AST walk: _(), ngettext(), column(), table
  columns, option help, command docstrings) and of Click has a Dutch msgstr with the same placeholders.
- The locale is picked as gettext picks it: LANGUAGE, LC_ALL, LC_MESSAGES, LANG; Dutch when Dutch.
- Click's own words (Usage, Options, Error: No such option) come out Dutch; exit codes do not change.
"""

from __future__ import annotations

import configparser
import fnmatch
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector import i18n
from woo_collector.cli import cli

ROOT = Path(__file__).resolve().parents[2]

DUTCH = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "nl_NL.UTF-8"}
ENGLISH = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C"}


def run(env: dict, *args: str, input: str | None = None):
    return CliRunner().invoke(cli, list(args), env=env, input=input, prog_name="woo", catch_exceptions=False)


_PLACEHOLDER = re.compile(r"\{[^{}]*\}|%\(\w+\)[sdr]|%[sdr]")


def placeholders(text: str) -> list[str]:
    return sorted(_PLACEHOLDER.findall(text))


def test_the_committed_mo_is_what_the_po_compiles_to():
    assert i18n.MO.read_bytes() == i18n.compile_mo(i18n.read_po(i18n.PO)), \
        "woo.mo is stale: run python -m woo_collector.i18n compile"


def test_the_mo_reads_back_as_gnu_gettext_reads_it():
    import gettext

    with i18n.MO.open("rb") as f:
        t = gettext.GNUTranslations(f)
    assert t.gettext("Usage:") == "Gebruik:"
    assert t.ngettext("Index rebuilt: {n} item ({engine}).", "Index rebuilt: {n} items ({engine}).", 1).startswith("Index opnieuw")
    assert t.pgettext("column", "custodian") == "beheerder"
    assert t.info()["plural-forms"] == "nplurals=2; plural=(n != 1);"


def _catalogue() -> dict:
    return {e.key: e for e in i18n.read_po(i18n.PO)}


@pytest.mark.parametrize("which", ["cli", "click"])
def test_every_translatable_string_has_a_dutch_msgstr_with_the_same_placeholders(which):
    found = i18n.extract(i18n.cli_sources() if which == "cli" else i18n.click_sources())
    assert len(found) > (150 if which == "cli" else 60)
    po = _catalogue()
    missing, empty, wrong = [], [], []
    for m in found:
        e = po.get(m.key)
        if e is None:
            missing.append(f"{m.where}: {m.msgid!r}")
            continue
        if e.fuzzy or not all(s.strip() for s in e.strs) or (m.plural and e.plural != m.plural):
            empty.append(f"{m.where}: {m.msgid!r}")
            continue
        ids = [m.msgid] if m.plural is None else [m.msgid, m.plural]
        for i, s in enumerate(e.strs):
            if placeholders(s) != placeholders(ids[min(i, len(ids) - 1)]):
                wrong.append(f"{m.where}: {m.msgid!r} -> {s!r}")
    assert not missing, "not in woo.po (python -m woo_collector.i18n extract):\n" + "\n".join(missing)
    assert not empty, "no Dutch msgstr:\n" + "\n".join(empty)
    assert not wrong, "placeholders differ:\n" + "\n".join(wrong)


def test_the_wheel_ships_the_catalogue():
    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    patterns = [p.strip() for p in cfg["options.package_data"].get("woo_collector", "").split(",")]
    for f in (i18n.PO, i18n.MO):
        rel = f.relative_to(ROOT / "woo_collector").as_posix()
        assert any(fnmatch.fnmatch(rel, p) for p in patterns), rel


@pytest.mark.parametrize("env, dutch", [
    ({"LANG": "nl_NL.UTF-8"}, True),
    ({"LANG": "nl_BE.UTF-8"}, True),
    ({"LANG": "nl"}, True),
    ({"LANG": "C"}, False),
    ({"LANG": "en_US.UTF-8"}, False),
    ({}, False),
    ({"LANGUAGE": "nl:en", "LANG": "en_US.UTF-8"}, True),
    ({"LANGUAGE": "en", "LANG": "nl_NL.UTF-8"}, False),
    ({"LC_ALL": "nl_NL.UTF-8", "LANG": "en_US.UTF-8"}, True),
    ({"LC_ALL": "C", "LANG": "nl_NL.UTF-8"}, False),
    ({"LC_MESSAGES": "nl_NL.UTF-8", "LANG": "en_US.UTF-8"}, True),
])
def test_the_language_is_picked_as_gettext_picks_it(env, dutch):
    full = {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": None, **env}
    r = run(full, "init", "--help")
    assert r.exit_code == 0
    assert ("Gebruik:" in r.output and "Opties:" in r.output and "Voorbeeld:" in r.output) is dutch, r.output
    assert ("Usage:" in r.output and "Options:" in r.output and "Example:" in r.output) is not dutch, r.output


def test_clicks_own_errors_are_dutch_and_keep_their_exit_code():
    nl, en = run(DUTCH, "init", "--bogus"), run(ENGLISH, "init", "--bogus")
    assert nl.exit_code == en.exit_code == 2
    assert "No such option: --bogus" in en.output or "No such option" in en.output
    assert "Fout: Onbekende optie '--bogus'." in nl.output and "Zie 'woo init --help' voor hulp." in nl.output
    nl = run(DUTCH, "import", "x")
    assert nl.exit_code == 2 and "Optie ontbreekt '--custodian'." in nl.output, nl.output


def test_init_speaks_dutch(tmp_path):
    ws = tmp_path / "ws"
    r = run(DUTCH, "init", str(ws), "--organisation", "Gemeente Utrecht")
    assert r.exit_code == 0 and f"Werkomgeving aangemaakt in {ws.resolve()}" in r.output
    assert "Volgende stap: woo source add NAAM" in r.output
    r = run(DUTCH, "init", str(ws))
    assert r.exit_code == 0 and "Er is al een werkomgeving" in r.output and "er is niets gewijzigd" in r.output
    r = run(DUTCH, "init", str(tmp_path / "other"))
    assert r.exit_code == 1 and "woo init heeft de naam van het bestuursorgaan nodig" in r.output


def test_table_headers_are_dutch_and_json_keys_stay(tmp_path):
    ws = tmp_path / "ws"
    run(ENGLISH, "init", str(ws), "--organisation", "Gemeente Utrecht")
    run(ENGLISH, "-w", str(ws), "policy", "keep", "Jan Bakker")
    nl = run(DUTCH, "-w", str(ws), "audit")
    en = run(ENGLISH, "-w", str(ws), "audit")
    assert nl.exit_code == en.exit_code == 0
    assert nl.output.splitlines()[0].split() == ["id", "tijdstip", "gebruiker", "handeling", "verzoek", "gegevens",
                                                 "uitkomst", "controle", "waarom"]
    assert en.output.splitlines()[0].split()[:3] == ["id", "ts", "user"]
    assert run(DUTCH, "-w", str(ws), "audit", "--format", "json").output == run(ENGLISH, "-w", str(ws), "audit", "--format", "json").output
    assert run(DUTCH, "-w", str(ws), "audit", "--format", "csv").output.splitlines()[0] == "id,ts,user,action,request,args,outcome,check,why"

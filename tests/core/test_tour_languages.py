"""The README's tour in Dutch and in English: the same exit codes and JSON, and no English left in Dutch.

Acceptance of "Dutch on the command line": `woo demo` runs in each language (LANG=nl_NL.UTF-8 and
LANG=C), then every command line of README.md's "A tour of the commands", read from the README itself,
runs in README order on a copy of one demo workspace, once per language. In both languages every step
exits with the same code, and every `--format json` output is the same in Dutch and in English, byte for
byte, on the same workspace (each such step runs in both languages). Across the two tours `request
show`'s JSON is the same too, but for selection.items_hash, a hash over the selected items in hit order:
the tour switches to tantivy, whose scores, and so the order and the top 20 of the hits, differ slightly
from one build of an index to the next, in any language; so `woo show` may get another item in each tour
(the tour's first hit), each a hit of the other tour's search. In Dutch no printed line holds an English
msgid of the catalogue (of the CLI or of Click) that has a Dutch translation, and `--help` of every
command is Dutch.

What the tour cannot do in a test, and what it does instead (_files, _adapt, run_tour):
- its files are built here: a WhatsApp zip from the demo's chat, the Kaizala zip of the chattable
  tests, a chat CSV whose headers need `--set`, a maildir, the terms file; /srv paths go to tmp; the
  tour's mail-sanne source is added as mail-sanne-2, since the demo has one of that name;
- the Exchange source is registered (its settings checked) but `woo ingest` names the other sources,
  as there is no Exchange server; `woo request publish` runs without WOO_GPP_TOKEN, so it stops
  before any network (exit 1, "no API token") in both languages; `woo review` serves until Ctrl-C,
  so only its `--help` runs; `request withdraw` runs last, as the steps after it in the README would
  all refuse a withdrawn request, and a `request collect` follows `request edit`, as its README comment
  says (the export refuses an out-of-date collect); `finalise` gets the package's own
  besluit-concept.docx as the letter.

The audit table is not checked (its header is, in test_i18n): its rows are the record as the library
wrote it, args and outcome in English, and an audit log is not rewritten when it is shown.

Messages raised by library code (woo_collector's ConfigError texts, the connectors' notes, the
redaction warnings) are not in the catalogue and stay English in both languages: the check looks for
the catalogue's msgids only.
"""

from __future__ import annotations

import json
import re
import shlex
import shutil
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.conftest import ROOT
from woo_collector import i18n
from woo_collector.cli import cli

LANGS = {
    "nl": {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "nl_NL.UTF-8", "WOO_GPP_TOKEN": None},
    "en": {"LANGUAGE": None, "LC_ALL": None, "LC_MESSAGES": None, "LANG": "C", "WOO_GPP_TOKEN": None},
}


def tour_lines() -> list[list[str]]:
    """Every command line of the README's tour (continuation lines joined, comments dropped)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    tour = readme[readme.index("## A tour of the commands"):]
    tour = tour[:tour.index("\n## ", 5)]
    lines, buf = [], ""
    for raw in tour.splitlines():
        if not raw.startswith("    "):
            continue
        text = raw.strip()
        if buf:
            buf += " " + text
        elif text.startswith("woo ") or re.match(r"[A-Z_]+=\S* woo ", text):
            buf = text
        else:
            continue
        code = buf.split(" #")[0].rstrip()
        if code.endswith("\\"):
            buf = code[:-1]
            continue
        lines.append(shlex.split(buf, comments=True))
        buf = ""
    return lines


def _files(base: Path, demo: Path) -> dict[str, Path]:
    """The files the tour names, built here."""
    from tests.connectors.test_chattable import kaizala_zip

    files = base / "files"
    files.mkdir()
    chat = next((demo / "data" / "whatsapp").glob("*.txt"))
    wa = files / "WhatsApp-chat met Team Wind.zip"
    with zipfile.ZipFile(wa, "w") as z:
        z.write(chat, "_chat.txt")
    csv = files / "export.csv"
    csv.write_text("Wanneer,Wie,Wat\n2025-03-11 09:14,Sanne de Vries,Windturbines op de agenda\n", encoding="utf-8")
    maildir = files / "mail" / "sanne"
    for d in ("cur", "new", "tmp"):
        (maildir / d).mkdir(parents=True)
    terms = files / "zoektermen.txt"
    terms.write_text("windturbines\nKraaiennest\n", encoding="utf-8")
    return {"WhatsApp-chat met Team Wind.zip": wa, "kaizala-export.zip": kaizala_zip(files / "kaizala-export.zip"),
            "/srv/exports/kaizala-export.zip": files / "kaizala-export.zip", "export.csv": csv,
            "/srv/mail/sanne": maildir, "zoektermen.txt": terms, "/srv/woo": base / "new-workspace",
            "beoordeling.xlsx": base / "beoordeling.xlsx", "pakket/": base / "pakket",
            "besluit-definitief.docx": base / "pakket" / "besluit-concept.docx"}


def _adapt(args: list[str], paths: dict[str, Path], state: dict) -> list[str] | None:
    """A tour line as it runs here (None: not run, see the module docstring)."""
    while args and "=" in args[0] and args[0] != "woo":  # WOO_GPP_TOKEN=... woo ...: run without the token
        args = args[1:]
    args = args[1:]  # 'woo'
    if args[:1] == ["review"] or args[:1] == ["demo"]:
        return None  # review serves until Ctrl-C; the demo is what the tour runs on (built in each language)
    if args[:3] == ["source", "add", "mail-sanne"]:
        args = ["source", "add", "mail-sanne-2", *args[3:]]  # the demo has a mail-sanne already
    return [str(paths[a]) if a in paths else (state["item"] if a == "ITEM_ID" else a) for a in args]


def run_tour(base: Path, lang: str, same_demo: Path) -> list[dict]:
    env = LANGS[lang]
    runner = CliRunner()

    def woo(*args: str, ws: Path | None = None):
        full = ["--workspace", str(ws)] if ws else []
        r = runner.invoke(cli, [*full, "--quiet", *args], env=env, prog_name="woo", catch_exceptions=False)
        return {"args": [a.replace(str(base), "<BASE>") for a in args], "code": r.exit_code, "output": r.output,
                "stdout": r.stdout.replace(str(base), "<BASE>")}

    demo = base / "demo"
    steps = [woo("demo", str(demo))]
    assert steps[0]["code"] == 0, steps[0]["output"]
    # the tour runs on a copy of one demo workspace in both languages, so both start from the same data
    ws = base / "workspace"
    shutil.copytree(same_demo / "workspace", ws, symlinks=True)
    paths = _files(base, demo)
    lines = tour_lines()
    withdraw = [a for a in lines if a[1:3] == ["request", "withdraw"]]
    lines = [a for a in lines if a not in withdraw] + withdraw
    state = {"item": ""}
    for line in lines:
        args = _adapt(line, paths, state)
        if args is None:
            continue
        if args == ["ingest"]:  # every source but the Exchange one (no server here)
            listed = json.loads(woo("source", "list", "--format", "json", ws=ws)["stdout"])
            args = ["ingest", *[s["name"] for s in listed if s["type"] not in ("exchange", "import")]]
        step = woo(*args, ws=ws)
        if "--format" in args and args[args.index("--format") + 1] == "json":  # read-only: the other language, same data
            step["other"] = runner.invoke(cli, ["--workspace", str(ws), "--quiet", *args], env=LANGS["en" if lang == "nl" else "nl"],
                                          catch_exceptions=False).stdout.replace(str(base), "<BASE>")
        steps.append(step)
        if args[:2] == ["request", "edit"]:  # the README's comment: after a collect, collect again (export refuses else)
            steps.append(woo("request", "collect", args[2], ws=ws))
        if args[0] == "search" and "--format" in args and not state["item"]:
            state["item"] = json.loads(step["stdout"])[0]["id"]
    return steps


@pytest.fixture(scope="module")
def tours(tmp_path_factory):
    same = tmp_path_factory.mktemp("demo")
    r = CliRunner().invoke(cli, ["--quiet", "demo", str(same)], env=LANGS["en"], catch_exceptions=False)
    assert r.exit_code == 0, r.output
    out = {}
    for lang in LANGS:
        base = tmp_path_factory.mktemp(f"tour-{lang}")
        out[lang] = (base, run_tour(base, lang, same))
    return out


def test_the_tour_reads_every_command_line_of_the_readme():
    lines = tour_lines()
    assert len(lines) > 30 and ["woo", "request", "collect", "WOO-2025-014"] in lines
    commands = {" ".join(a[1:3]) if a[1] in ("source", "request", "policy") else a[1] for a in lines if a[0] == "woo"}
    assert {"init", "doctor", "import", "search", "show", "request export", "request finalise", "policy list"} <= commands


def test_exit_codes_and_json_are_the_same_in_dutch_and_english(tours):
    (_, nl), (_, en) = tours["nl"], tours["en"]
    # the item `woo show` gets is the tour's first search hit, and the order of the hits is tantivy's (see
    # the module's docstring): the same command lines but for that id, and each tour's item is a hit of the
    # other tour's search
    assert [_item_masked(s["args"]) for s in nl] == [_item_masked(s["args"]) for s in en]
    for one, other in ((nl, en), (en, nl)):
        hits = [(h["id"], round(h["score"], 4)) for h in _first_json_search(other)]
        assert _shown_item(one) in {i for i, _ in hits}, (_shown_item(one), hits)
    assert [s["code"] for s in nl] == [s["code"] for s in en], [(s["args"], s["code"]) for s in nl]
    failed = [(s["args"][:2] + (["--zip"] if "--zip" in s["args"] else []), s["code"]) for s in nl if s["code"]]
    # the only refusals, in both languages: publish without a token; the README's second export into pakket/
    # (--zip) before the line that says --replace
    expected = [(["request", "publish"], 1), (["request", "export", "--zip"], 1)]
    assert failed == expected, [(s["args"], s["code"], s["output"][-300:]) for s in nl if s["code"]]
    jsons = 0
    for a, b in zip(nl, en):
        if "other" in a:
            # on the same workspace, the JSON of the Dutch and of the English command line are the same, byte for byte
            assert a["stdout"] == a["other"] and b["stdout"] == b["other"], a["args"]
            jsons += 1
            if a["args"][:2] == ["request", "show"]:  # and across the two tours, but for the hash over hit order
                left, right = json.loads(a["stdout"]), json.loads(b["stdout"])
                for x in (left, right):
                    x["selection"].pop("items_hash")
                assert left == right
    assert jsons >= 2


def _item_masked(args: list[str]) -> list[str]:
    return ["show", "ITEM_ID"] if args[:1] == ["show"] and len(args) == 2 else args


def _shown_item(steps) -> str:
    return next(s["args"][1] for s in steps if s["args"][:1] == ["show"] and len(s["args"]) == 2)


def _first_json_search(steps) -> list[dict]:
    return json.loads(next(s["stdout"] for s in steps if s["args"][0] == "search" and "--format" in s["args"]))


def _fragments() -> list[tuple[re.Pattern, str]]:
    """(pattern, msgid) of each English stretch of a translated msgid that its Dutch msgstr does not have:
    the text between placeholders and line breaks, two words or more, whitespace-normalised."""
    out = []
    for e in i18n.read_po(i18n.PO):
        if not e.msgid or not all(e.strs) or e.ctxt:
            continue
        dutch = " ".join(" ".join(e.strs).split())
        for english in filter(None, [e.msgid, e.plural]):
            for part in re.split(r"\{[^{}]*\}|%\(\w+\)\w|\n|\x08", english):
                part = " ".join(part.split()).strip(" .,;:()'\"")
                if len(part.split()) < 2 or len(part) < 8 or part in dutch:
                    continue
                out.append((re.compile(r"(?<![\w-])" + re.escape(part) + r"(?![\w-])"), e.msgid))
    return out


def _english_in(text: str, fragments) -> list[str]:
    flat = " ".join(text.split())
    return sorted({f"{p.pattern!r} (of {msgid[:60]!r})" for p, msgid in fragments if p.search(flat)})


def test_no_message_of_the_dutch_tour_falls_back_to_english(tours):
    fragments = _fragments()
    assert len(fragments) > 200
    (_, nl), (_, en) = tours["nl"], tours["en"]
    found = {}
    for step in nl:
        if "json" in step["args"] or step["args"] == ["audit"]:
            continue  # JSON is for scripts and never translated; the audit log shows its rows as they were written
        english = _english_in(step["output"], fragments)
        if english:
            found[" ".join(step["args"])] = english
    assert not found, json.dumps(found, indent=1, ensure_ascii=False)
    assert sum(bool(_english_in(s["output"], fragments)) for s in en) > 10  # the check finds English where it is


def _commands(group=cli, prefix=()):
    for name, cmd in sorted(group.commands.items()):
        yield (*prefix, name)
        if hasattr(cmd, "commands"):
            yield from _commands(cmd, (*prefix, name))


@pytest.mark.parametrize("command", [(), *_commands()], ids=lambda c: " ".join(c) or "woo")
def test_the_help_of_every_command_is_dutch(command):
    runner = CliRunner()
    nl = runner.invoke(cli, [*command, "--help"], env=LANGS["nl"], prog_name="woo")
    en = runner.invoke(cli, [*command, "--help"], env=LANGS["en"], prog_name="woo")
    assert nl.exit_code == en.exit_code == 0
    assert nl.output.startswith("Gebruik: woo") and "Opties:" in nl.output and "Toon deze hulptekst en stop." in nl.output
    assert en.output.startswith("Usage: woo") and "Options:" in en.output
    assert not _english_in(nl.output, _fragments()), _english_in(nl.output, _fragments())
    cmd = cli
    for name in command:
        cmd = cmd.commands[name]
    assert cmd.help and " ".join(cmd.help.split()[:4]) in " ".join(en.output.split())  # English under LANG=C: the msgid
    if hasattr(cmd, "commands"):
        assert "Opdrachten:" in nl.output
    else:
        assert "Voorbeeld" in nl.output and "Example" not in nl.output

"""Untrusted strings (file names, subjects, failure reasons) are printed and logged escaped.

A newline in a file name must not forge a line of output or of the run log, and ESC/OSC sequences,
C1 controls, DEL and bidi overrides must never reach the terminal raw.
"""

import json
import unicodedata
from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector.cli import cli
from woo_collector.text import printable

FORGED = "import:forged: ok, 99 new, 0 changed, 0 unchanged, 0 failed, 0 deleted (0.1 s)"
NAMES = [
    f"x\n{FORGED}.txt",
    "t\x1b]0;evil\x07.txt",
    "r\u202efdp.exe.txt",
    "c\x9b31m\x7f\u2066z.txt",
]
FOLDER = "ingeleverd\x1b]0;evil\x07\u202e"
BROKEN = f"bad\n{FORGED}\r\x1b[2K.docx"  # not a zip: a failure whose path is printed and logged


def woo(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), *args], catch_exceptions=False)


def raw_controls(text: str) -> list[str]:
    """The characters that must not reach a terminal or a log raw (the line breaks we print ourselves aside)."""
    return [c for c in text if (c != "\n" and (ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F))
            or unicodedata.category(c) in ("Cf", "Zl", "Zp")]


def assert_clean(text: str) -> None:
    assert not raw_controls(text), repr(text)
    assert not any(line.startswith("import:forged") for line in text.splitlines()), text


@pytest.fixture
def imported(tmp_path):
    folder = tmp_path / FOLDER  # the source is named after it: import:<custodian>:<folder name>
    folder.mkdir()
    for i, n in enumerate(NAMES):
        (folder / n).write_text(f"windturbine overleg {i}", encoding="utf-8")
    (folder / BROKEN).write_bytes(b"PK\x03\x04 not a docx")
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    r = woo(ws, "import", str(folder), "--type", "files", "--custodian", "Anne")
    return ws, r


def test_import_output_and_run_log_escape_file_names(imported):
    ws, r = imported
    assert r.exit_code == 3, r.output  # the broken docx is listed
    assert "import:Anne:ingeleverd\\x1b]0;evil\\x07\\u202e: partial, 5 new" in r.stderr and "1 failed" in r.stderr  # 4 texts and the docx kept
    assert_clean(r.stdout)
    assert_clean(r.stderr)
    assert "bad\\nimport:forged" in r.stderr and "\\x1b[2K" in r.stderr  # shown, escaped
    logs = list((ws / "logs").glob("run-*.log"))
    assert logs
    for log in logs:
        text = log.read_text()
        assert_clean(text)
        assert "failed: " in text and "\\nimport:forged" in text


@pytest.mark.parametrize("command", [["failures"], ["runs"], ["source", "list"], ["search", "windturbine"],
                                     ["failures", "--format", "csv"], ["search", "windturbine", "--format", "csv"]])
def test_listings_escape_untrusted_strings(imported, command):
    ws, _ = imported
    r = woo(ws, *command)
    assert r.exit_code == 0, r.output
    assert_clean(r.stdout)
    assert_clean(r.stderr)


def test_show_escapes_and_json_stays_valid_and_exact(imported):
    ws, _ = imported
    hits = json.loads(woo(ws, "search", "windturbine", "--format", "json").stdout)
    assert len(hits) == 4
    assert {h["title"] for h in hits} == set(NAMES)  # JSON keeps the names exactly (escaped by json.dumps)
    for h in hits:
        r = woo(ws, "show", h["id"])
        assert r.exit_code == 0, r.output
        assert_clean(r.stdout)
        assert json.loads(woo(ws, "show", h["id"], "--format", "json").stdout)["title"] == h["title"]
    failures = json.loads(woo(ws, "failures", "--format", "json").stdout)
    assert [Path(f["path"]).name for f in failures] == [BROKEN]


@pytest.mark.parametrize("text, shown", [
    ("a\nb", "a\\nb"),
    ("\x1b]0;evil\x07", "\\x1b]0;evil\\x07"),
    ("r\u202eexe", "r\\u202eexe"),
    ("\x9b\x7f\x00", "\\x9b\\x7f\\x00"),
    ("\u2066x\u2069\u200f\ufeff", "\\u2066x\\u2069\\u200f\\ufeff"),
    ("bad \udcff byte", "bad \\udcff byte"),
    ("Sanne de Vries <s@x.nl> 👨\u200d👩\u200d👧 café", "Sanne de Vries <s@x.nl> 👨\u200d👩\u200d👧 café"),
    ("GEMEENTE\\svc", "GEMEENTE\\svc"),
])
def test_printable(text, shown):
    assert printable(text) == shown
    assert printable(printable(text)) == shown


def test_printable_keeps_lines_of_a_body():
    assert printable("regel 1\r\nregel 2\n\tin\x1b[31m", lines=True) == "regel 1\nregel 2\n\tin\\x1b[31m"

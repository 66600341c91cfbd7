"""Shared test fixtures: the real samples folder, an in-memory sink, and a connector runner.

Hypothesis: with ``CI`` set the ``ci`` profile runs (derandomized, no example database), so an
unattended run tests the same examples every time; locally the ``dev`` profile explores with random
seeds and keeps what it finds in ``.hypothesis/``. A failure a random run finds becomes an
``@example`` on its test, never a retry.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings as hypothesis_settings

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = Path(os.environ.get("WOO_SAMPLES", ROOT.parent / "shared" / "samples"))
# the DiWoo schema and the GPP-publicatiebank spec, used in place (WOO_STANDARDS, default ../shared/standards)
STANDARDS = Path(os.environ.get("WOO_STANDARDS", ROOT.parent / "shared" / "standards"))

# The suite runs the rule layer alone (the default where Frog is installed is rules + Frog); the tests of
# the Frog layer ask for it themselves (tests/redaction/test_frog.py), sharing one Frog start a session.
os.environ.setdefault("WOO_REDACTION_LAYERS", "rules")

# The suite's assertions are on the English command line: a developer whose locale is Dutch (LANG=nl_NL.UTF-8)
# would otherwise get the Dutch catalogue. gettext reads LANGUAGE first, and only gettext reads it, so pinning
# it leaves the C library's locale alone; tests of the Dutch side set LANGUAGE="" and LANG=nl_NL.UTF-8 themselves.
os.environ["LANGUAGE"] = "en"

hypothesis_settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
hypothesis_settings.register_profile("dev", print_blob=True)
hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE") or ("ci" if os.environ.get("CI") else "dev"))


def samples_missing(rel: str = "") -> str:
    """Why a test of the real samples skips: which path is missing and how to point to the samples."""
    where = SAMPLES / rel if rel else SAMPLES
    return f"real sample {where} not present: set WOO_SAMPLES to the samples folder (default ../shared/samples)"


def sample(rel: str) -> Path:
    """A file of the real samples (WOO_SAMPLES, default ../shared/samples), or skip the test saying which is missing."""
    p = SAMPLES / rel
    if not p.exists():
        pytest.skip(samples_missing(rel))
    return p


class MemorySink:
    """A Sink that keeps originals in memory and checkpoints in a dict, as the pipeline would."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}
        self.states: dict[str, str] = {}

    def keep(self, data, name: str = "") -> str:
        if isinstance(data, (str, Path)):
            with open(data, "rb") as f:  # big files are hashed, not held
                sha = hashlib.file_digest(f, "sha256").hexdigest()
            self.blobs.setdefault(sha, b"" if Path(data).stat().st_size > 64 * 1024 * 1024 else Path(data).read_bytes())
            return sha
        if isinstance(data, io.IOBase) or hasattr(data, "read"):
            data = data.read()
        sha = hashlib.sha256(data).hexdigest()
        self.blobs[sha] = bytes(data)
        return sha

    def state(self, key: str) -> str | None:
        return self.states.get(key)


def json_element_ends(raw: bytes, key: str) -> list[tuple[int, Any]]:
    """(byte offset just past the element, element) for each element of every ``"key": [...]`` array.

    Offsets are in bytes of ``raw`` (not characters of its text): a cut or a flipped byte at
    offset ``pos`` leaves an element whole exactly when its offset is ``<= pos``.
    """
    text = raw.decode("utf-8")
    decoder, out, i = json.JSONDecoder(), [], 0
    while (k := text.find(f'"{key}"', i)) >= 0:
        j = text.index("[", k) + 1
        while True:
            while text[j] in " \t\r\n,":
                j += 1
            if text[j] == "]":
                break
            value, j = decoder.raw_decode(text, j)
            out.append((len(text[:j].encode("utf-8")), value))
        i = j
    return out


def cuts_at_boundaries(ends: list[int], size: int, width: int = 2) -> list[int]:
    """Every cut position within ``width`` bytes of an element's end: where an off-by-one loses a message."""
    return sorted({p for e in ends for p in range(e - width, e + width + 1) if 0 <= p <= size})


def drain(connector) -> dict[str, list]:
    """Run a connector to the end like the pipeline: checkpoints are saved as they come."""
    from connectors.base import Checkpoint
    from woo_collector.models import Deletion, Failure, Item

    out: dict[str, list] = {"items": [], "failures": [], "deletions": [], "checkpoints": []}
    for y in connector.collect():
        if isinstance(y, Item):
            out["items"].append(y)
        elif isinstance(y, Failure):
            out["failures"].append(y)
        elif isinstance(y, Deletion):
            out["deletions"].append(y)
        elif isinstance(y, Checkpoint):
            connector.sink.states[y.key] = y.value
            out["checkpoints"].append(y)
        else:
            raise AssertionError(f"connector yielded {y!r}")
    return out


@pytest.fixture
def sink() -> MemorySink:
    return MemorySink()


def run_connector(type_: str, path, sink: MemorySink | None = None, custodian: str = "tester", **settings) -> dict[str, list]:
    import connectors
    from connectors.base import SourceSpec

    spec = SourceSpec(name=f"test-{type_}", type=type_, path=str(path), custodian=custodian, settings=settings)
    cls = connectors.get(type_)
    return drain(cls(spec, sink or MemorySink()))


def partial_run(type_: str, path, custodian: str = "Piet", name: str = "test"):
    """Everything a connector yields until it ends or raises ConnectorError:
    (items, failures, the ConnectorError or None). For tests of damaged input."""
    import connectors
    from connectors.base import SourceSpec
    from woo_collector.errors import ConnectorError
    from woo_collector.models import Failure, Item

    items, failures = [], []
    conn = connectors.get(type_)(SourceSpec(name, type_, str(path), custodian), MemorySink())
    try:
        for y in conn.collect():
            if isinstance(y, Item):
                items.append(y)
            elif isinstance(y, Failure):
                failures.append(y)
    except ConnectorError as e:
        return items, failures, e
    return items, failures, None


def woo(ws: Path, *args: str):
    """Run the CLI in-process on workspace ``ws`` (quiet), as a handler would type it."""
    from click.testing import CliRunner

    from woo_collector.cli import cli

    return CliRunner().invoke(cli, ["--workspace", str(ws), "--quiet", *args], catch_exceptions=False)


def decide(ws: Path, req: str, tmp_path: Path, decisions: dict[str, str | tuple[str, str]]) -> None:
    """Decide documents as a handler does in the review workbook: per document number its
    Beoordeling, or (Beoordeling, Beoordelingsgrond); export, fill in, import."""
    import openpyxl

    book = tmp_path / "beoordeling.xlsx"
    assert woo(ws, "request", "review", req, "--export", str(book)).exit_code == 0
    wb = openpyxl.load_workbook(book)
    sheet = wb["Documenten"]
    header = [c.value for c in sheet[1]]
    for row in range(2, sheet.max_row + 1):
        nr = str(sheet.cell(row, header.index("Nr") + 1).value)
        if nr in decisions:
            decision, ground = (decisions[nr], None) if isinstance(decisions[nr], str) else decisions[nr]
            sheet.cell(row, header.index("Beoordeling") + 1).value = decision
            if ground is not None:
                sheet.cell(row, header.index("Beoordelingsgrond") + 1).value = ground
    wb.save(book)
    r = woo(ws, "request", "review", req, "--import", str(book))
    assert r.exit_code == 0, r.output


def pytest_addoption(parser):
    parser.addoption("--engines", default=os.environ.get("WOO_TEST_ENGINES", "whoosh,tantivy"),
                     help="index engines the index and search tests run against (comma-separated; "
                          "default whoosh,tantivy, or WOO_TEST_ENGINES)")


def pytest_generate_tests(metafunc):
    if "engine" in metafunc.fixturenames:
        engines = [e.strip() for e in metafunc.config.getoption("engines").split(",") if e.strip()]
        metafunc.parametrize("engine", engines)


def open_test_index(path: Path, engine: str):
    """A new index of ``engine`` in ``path``."""
    from woo_collector.index import open_index

    return open_index(path, engine)


@pytest.fixture
def ws(request, tmp_path):
    """A new workspace (``woo init``); a test module may define its own. A test that also asks for
    ``engine`` gets a workspace of that engine (``woo init --engine``), once for each engine."""
    args = ["--engine", request.getfixturevalue("engine")] if "engine" in request.fixturenames else []
    r = woo(tmp_path / "ws", "init", "--organisation", "Gemeente Test", *args)
    assert r.exit_code == 0, r.output
    return tmp_path / "ws"


def mail(subject: str, body: str, date: str | None = None, msgid: str = "", attachments=(),
         sender: str = "Sanne de Vries <s.devries@voorbeeld.nl>") -> bytes:
    """An e-mail from ``sender`` (Sanne de Vries) to Pieter van der Meulen as a mail client writes it
    (no Date header when ``date`` is None), with ``attachments`` as (name, bytes)."""
    from email.message import EmailMessage

    m = EmailMessage()
    m["From"] = sender
    m["To"] = "Pieter van der Meulen <p.vandermeulen@voorbeeld.nl>"
    m["Subject"] = subject
    if date:
        m["Date"] = date
    if msgid:
        m["Message-ID"] = msgid
    m.set_content(body)
    for name, data in attachments:
        m.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return m.as_bytes()


@pytest.fixture(scope="session")
def frog_session():
    """Frog started once for the whole test session (the process's shared server, which every
    FrogLayer and every collect with the frog layer uses), closed at the end; skips, saying why,
    where Frog is not installed. Yields ``FrogLayer``."""
    from woo_collector.redaction.frog import FrogLayer, frog_path, shared_server

    if frog_path() is None:
        pytest.skip("Frog is not installed (apt-get install frog frogdata uctodata)")
    shared_server.pinned = True
    with shared_server(2):   # as many connections as any test asks for, so it starts once
        pass
    yield FrogLayer
    shared_server.pinned = False
    shared_server.close()

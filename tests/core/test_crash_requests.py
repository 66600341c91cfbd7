"""Kill `woo request collect` and `woo request export` with SIGKILL at named and at random moments.

After every kill, before anything mends it: no package that looks complete is half-written (every
file matches `manifest.json`), a zip beside it is a zip of that very package, and a package is there
(or the journal that lets the next export finish putting it in place). Then a rerun completes, its
package matches its manifest, nothing is left beside it and `woo doctor` is clean.

Kept small for the normal suite: 60 mails, a handful of kills each. Kill points: woo_collector/faults.py.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from woo_collector import outputs
from woo_collector.cli import cli
from woo_collector.synth import mails

N_MAILS = 60
REQ = "WOO-1"


def woo(ws: Path, *args: str):
    return CliRunner().invoke(cli, ["--workspace", str(ws), "--quiet", *args], catch_exceptions=False)


def killed_run(ws: Path, args: list[str], kill_at: str | None = None, after: float | None = None) -> bool:
    """Run woo in a child process, killed at a named point or after some seconds; True when it died by the kill."""
    env = {**os.environ, **({"WOO_KILL_AT": kill_at} if kill_at else {})}
    p = subprocess.Popen([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", *args],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env=env)
    if after is not None:
        try:
            p.wait(timeout=after)
        except subprocess.TimeoutExpired:
            p.send_signal(signal.SIGKILL)
    _, err = p.communicate(timeout=120)
    assert p.returncode in (0, -signal.SIGKILL), err.decode(errors="replace")
    return p.returncode == -signal.SIGKILL


@pytest.fixture
def ws(tmp_path) -> Path:
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    for n, (raw, _topic, _when) in enumerate(mails(N_MAILS, seed=5)):
        (folder / f"{n:03d}.eml").write_bytes(raw)
    r = woo(ws, "import", str(folder), "--type", "eml", "--custodian", "Sanne")
    assert r.exit_code == 0, r.output
    r = woo(ws, "request", "create", REQ, "--subject", "windturbines zonnepanelen", "--query", "windturbines OR zonnepanelen",
            "--from", "2024-01-01", "--to", "2025-12-31")
    assert r.exit_code == 0, r.output
    return ws


def show(ws: Path) -> dict:
    r = woo(ws, "request", "show", REQ, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def doctor_clean(ws: Path) -> None:
    r = woo(ws, "doctor")
    assert r.exit_code == 0, r.output


def documents_and_selection(ws: Path) -> tuple[set[str], set[str] | None]:
    """The item ids the request's active documents hold, and those of its last selection (None: no selection)."""
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    try:
        repo = w.catalog.requests
        held = {i for d in repo.documents(REQ) for i in d["items"]}
        sel = repo.last_selection(REQ)
        if sel is None:
            return held, None
        return held, {r[0] for r in w.catalog.db.execute("SELECT item_id FROM selection_items WHERE selection=?", (sel["id"],))}
    finally:
        w.close()


COLLECT_POINTS = ["collect-documents:1", "collect-selection:1", "collect-documents:1", "collect-selection:1"]


def test_collect_killed_at_points_and_at_random_then_a_rerun_completes(ws):
    assert woo(ws, "request", "collect", REQ).exit_code == 0
    truth = show(ws)
    assert truth["documents"], "the corpus must give the request some documents"
    rnd = random.Random(16)
    rounds = [(p, None) for p in COLLECT_POINTS] + [(None, rnd.uniform(0.8, 2.2)) for _ in range(3)]
    killed = 0
    for kill_at, after in rounds:
        killed += killed_run(ws, ["request", "collect", REQ], kill_at, after)
        r = woo(ws, "request", "collect", REQ)
        assert r.exit_code == 0, r.output
        assert show(ws) == truth, f"after a kill ({kill_at or after}) the rerun gave other documents or numbers"
        held, selected = documents_and_selection(ws)
        assert selected is not None and held <= selected
        doctor_clean(ws)
    assert killed >= len(COLLECT_POINTS), f"only {killed} of {len(rounds)} collects were really killed"


@pytest.mark.parametrize("point", ["collect-documents:1", "collect-selection:1"])
def test_a_collect_killed_midway_leaves_documents_that_match_a_recorded_selection(ws, point):
    assert killed_run(ws, ["request", "collect", REQ], point)
    held, selected = documents_and_selection(ws)
    assert not held or (selected is not None and held <= selected)


def package_state(out: Path) -> list[str]:
    """What a reader of the output folder would find wrong right now (the journal excused)."""
    wrong = []
    if not out.exists():
        if not outputs.journal(out).exists():
            wrong.append("no package and nothing to finish it")
        return wrong
    man = out / "manifest.json"
    if not man.exists():
        return [f"{out} has no manifest.json"]
    files = json.loads(man.read_text(encoding="utf-8"))["files"]
    on_disk = {p.relative_to(out).as_posix() for p in out.rglob("*") if p.is_file()} - {"manifest.json"}
    if set(files) != on_disk:
        wrong.append(f"files {sorted(set(files) ^ on_disk)[:3]} not as the manifest lists them")
    wrong += [f"{rel} does not match its SHA-256" for rel, sha in files.items()
              if (out / rel).is_file() and outputs.sha256_file(out / rel) != sha]
    zp = outputs.zip_target(out)
    if zp.exists():
        with zipfile.ZipFile(zp) as z:
            if z.read(f"{out.name}/manifest.json") != man.read_bytes():
                wrong.append(f"{zp.name} is a zip of another package than the one beside it")
    return wrong


EXPORT_POINTS = ["export-guarded:1", "export-commit:1", "export-rename:1", "export-rename:2", "export-rename:3",
                 "export-rename:4", "export-rename:5"]


def test_export_killed_at_points_and_at_random_never_leaves_a_mix_and_a_rerun_completes(ws, tmp_path):
    assert woo(ws, "request", "collect", REQ).exit_code == 0
    out = tmp_path / "pkg"
    args = ["request", "export", REQ, "--out", str(out), "--zip", "--replace"]
    assert woo(ws, *args).exit_code == 0
    rnd = random.Random(1616)
    rounds = [(p, None) for p in EXPORT_POINTS] + [(None, rnd.uniform(0.6, 1.6)) for _ in range(3)]
    killed = 0
    for kill_at, after in rounds:
        time.sleep(0.01)  # every export's manifest carries its own time, so old and new packages differ
        killed += killed_run(ws, args, kill_at, after)
        assert package_state(out) == [], f"after a kill ({kill_at or after})"
        r = woo(ws, *args)
        assert r.exit_code == 0, r.output
        assert package_state(out) == []
        assert outputs.zip_target(out).exists()
        assert outputs.leftovers(out) == [] and not outputs.journal(out).exists()
        doctor_clean(ws)
    assert killed >= len(EXPORT_POINTS) - 1, f"only {killed} of {len(rounds)} exports were really killed"

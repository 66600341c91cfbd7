"""A full disk and a read-only workspace give clear errors and do no damage; search answers during an ingest."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from woo_collector.synth import write_mbox

pytestmark = pytest.mark.slow


def woo(ws: Path, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", *args],
                          capture_output=True, text=True, timeout=timeout)


@pytest.fixture
def small_disk(tmp_path):
    mnt = tmp_path / "disk"
    mnt.mkdir()
    r = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=3m", "tmpfs", str(mnt)], capture_output=True, text=True)
    if r.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {r.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", "-l", str(mnt)], capture_output=True)


def remount(mnt: Path, opts: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{opts}", str(mnt)], check=True)


def test_full_disk_then_read_only_then_room_again(small_disk, tmp_path):
    ws = small_disk / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").returncode == 0
    box = tmp_path / "groot.mbox"
    write_mbox(box, 3000)
    r = woo(ws, "import", str(box), "--custodian", "S")
    assert r.returncode == 1, r.stderr[-2000:]
    assert "disk of the workspace is full" in r.stderr and str(ws) in r.stderr and "Traceback" not in r.stderr

    remount(small_disk, "ro")
    r = woo(ws, "import", str(box), "--custodian", "S")
    assert r.returncode == 1 and "read-only" in r.stderr and "Traceback" not in r.stderr, r.stderr[-2000:]
    r = woo(ws, "search", "begroting", "--format", "json")
    assert r.returncode == 0, r.stderr  # reading still works on a read-only workspace

    remount(small_disk, "rw,size=200m")
    r = woo(ws, "import", str(box), "--custodian", "S")
    assert r.returncode == 0, r.stderr[-2000:]
    d = woo(ws, "doctor")
    assert d.returncode == 0, d.stdout + d.stderr
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    assert w.catalog.count_items() == 3000 and w.index.doc_count() == 3000
    w.close()


def test_search_keeps_answering_while_an_ingest_commits(tmp_path, engine):
    ws = tmp_path / "ws"
    woo(ws, "init", "--organisation", "Gemeente Test", "--engine", engine)
    box = tmp_path / "a.mbox"
    write_mbox(box, 6000)
    woo(ws, "source", "add", "a", "--type", "mbox", "--path", str(box), "--custodian", "A")
    p = subprocess.Popen([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", "ingest"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env={**os.environ, "WOO_BATCH_SIZE": "500"})
    counts, answered = [], 0
    deadline = time.time() + 240
    while p.poll() is None and time.time() < deadline:
        r = woo(ws, "search", "begroting", "--limit", "1", "--format", "json")
        assert r.returncode == 0, r.stderr
        counts.append(int(r.stderr.split()[0]))
        answered += 1
    assert p.wait(timeout=60) == 0, p.stderr.read()
    assert answered >= 3, "the ingest finished before searches could run alongside it"
    assert counts == sorted(counts) and counts[-1] > 0
    final = json.loads(woo(ws, "search", "begroting", "--limit", "100000", "--format", "json").stdout)
    assert len(final) >= counts[-1]

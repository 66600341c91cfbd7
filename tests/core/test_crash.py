"""Kill ingestion with SIGKILL at chosen and at random moments; the next run must mend everything.

After each kill: every item is in the catalog once, every stored original matches its SHA-256,
and the index holds nothing the catalog does not (what it lacks is marked unindexed, mended by the
next run). At the end a full run gives exactly the truth and `woo doctor` is clean.
"""

import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from woo_collector.synth import write_maildir, write_mbox

pytestmark = pytest.mark.slow

N_MBOX, N_MAILDIR, N_EML = 4000, 600, 60


def woo(ws: Path, *args: str, env: dict | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", *args],
                          capture_output=True, text=True, timeout=timeout, env={**os.environ, **(env or {})})


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    d = tmp_path_factory.mktemp("corpus")
    write_mbox(d / "pieter.mbox", N_MBOX, seed=1)
    write_maildir(d / "sanne", N_MAILDIR, seed=2)
    eml = d / "fatima"
    eml.mkdir()
    from woo_collector.synth import mails

    for n, (raw, _t, _w) in enumerate(mails(N_EML, seed=3)):
        (eml / f"{n:04d}.eml").write_bytes(raw)
    return d


def setup_ws(tmp_path: Path, corpus: Path, engine: str = "whoosh") -> Path:
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test", "--engine", engine).returncode == 0
    for name, type_, path in (("pieter", "mbox", "pieter.mbox"), ("sanne", "maildir", "sanne"), ("fatima", "eml", "fatima")):
        r = woo(ws, "source", "add", name, "--type", type_, "--path", str(corpus / path), "--custodian", name)
        assert r.returncode == 0, r.stderr
    return ws


def check_invariants(ws: Path) -> int:
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    try:
        db = w.catalog.db
        dup = db.execute("SELECT source, message_id, count(*) FROM items GROUP BY source, message_id HAVING count(*) > 1").fetchall()
        assert not dup, f"items twice: {dup[:3]}"
        for sha, _size in w.catalog.originals():
            assert w.store.verify(sha), f"original {sha} damaged"
        for sha in w.catalog.referenced_shas():
            assert w.store.verify(sha), f"item points at missing original {sha}"
        cat_ids, idx_ids = w.catalog.item_ids(), w.index.ids()
        assert idx_ids <= cat_ids, "index holds items the catalog does not"
        pending = {r[0] for r in db.execute("SELECT id FROM items WHERE indexed=0")}
        assert cat_ids - idx_ids <= pending, "items missing from the index but marked indexed"
        return len(cat_ids)
    finally:
        w.close()


KILL_POINTS = ["store-write:1", "store-write:40", "store-write:250", "catalog-commit:1", "catalog-commit:2",
               "index-commit:1", "index-commit:2", "index-committed:1", "mark-indexed:1", "mark-indexed:2",
               "store-write:3", "catalog-commit:3"]


def test_sigkill_at_twenty_points_then_complete(tmp_path, corpus, engine):
    ws = setup_ws(tmp_path, corpus, engine)
    rnd = random.Random(20251129)
    # tantivy ingests several times faster: kill it sooner, or the runs end before the signal
    early, late = (0.1, 0.8) if engine == "tantivy" else (0.4, 1.6)
    rounds = [("at", p) for p in KILL_POINTS] + [("after", rnd.uniform(early, late)) for _ in range(12)]
    killed = 0
    for how, what in rounds:
        if how == "at":
            r = woo(ws, "ingest", env={"WOO_KILL_AT": what, "WOO_BATCH_SIZE": "300"})
            if r.returncode == -signal.SIGKILL:
                killed += 1
        else:
            p = subprocess.Popen([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", "ingest"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "WOO_BATCH_SIZE": "300"})
            time.sleep(what)
            if p.poll() is None:
                p.send_signal(signal.SIGKILL)
                killed += 1
            p.wait(timeout=60)
        check_invariants(ws)
    assert killed >= 20, f"only {killed} of {len(rounds)} rounds were really killed mid-run"
    r = woo(ws, "ingest")
    assert r.returncode == 0, r.stderr
    # every mail once: N_MBOX + N_MAILDIR + N_EML mails, no attachments in the synthetic corpus
    assert check_invariants(ws) == N_MBOX + N_MAILDIR + N_EML
    d = woo(ws, "doctor")
    assert d.returncode == 0, d.stdout + d.stderr
    again = woo(ws, "ingest")
    assert again.returncode == 0 and "0 new" in again.stderr


def test_import_killed_halfway_through_a_large_mbox(tmp_path, corpus):
    ws = tmp_path / "ws"
    woo(ws, "init", "--organisation", "Gemeente Test")
    p = subprocess.Popen([sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet", "import",
                          str(corpus / "pieter.mbox"), "--custodian", "Pieter"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "WOO_BATCH_SIZE": "200"})
    deadline = time.time() + 120
    while time.time() < deadline:  # wait until part of the mbox is in the catalog, then kill
        try:
            n = sqlite3.connect(ws / "catalog.sqlite", timeout=1).execute("SELECT count(*) FROM items").fetchone()[0]
        except sqlite3.Error:
            n = 0
        if n >= 400 or p.poll() is not None:
            break
        time.sleep(0.05)
    assert p.poll() is None, "the import finished before it could be killed; make the mbox larger"
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert 0 < check_invariants(ws) < N_MBOX
    r = woo(ws, "import", str(corpus / "pieter.mbox"), "--custodian", "Pieter")
    assert r.returncode == 0, r.stderr
    assert check_invariants(ws) == N_MBOX
    assert woo(ws, "doctor").returncode == 0

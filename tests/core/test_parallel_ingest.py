"""Ingest on both cores: mail files are parsed in worker processes (``parse_procs``), while the
ingesting process keeps the originals, writes the catalog and the index. The result is the same as
parsing in one process: the same items, originals, failures and checkpoints, in either engine."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import mail, woo

N = 150  # more than the files read before workers start (connectors.base.PARALLEL_AFTER)


def maildir(root: Path) -> Path:
    cur = root / "Maildir" / "cur"
    cur.mkdir(parents=True)
    (root / "Maildir" / "new").mkdir()
    for n in range(N):
        attachments = [(f"bijlage-{n}.bin", f"inhoud van bijlage {n}".encode())] if n % 10 == 0 else ()
        raw = mail(f"Bericht {n} over windturbines", f"Tekst {n}: de geluidsnorm en de slagschaduw.",
                   date=f"Tue, 11 Mar 2025 09:{n % 60:02d}:00 +0100", msgid=f"<m{n}@voorbeeld.nl>", attachments=attachments)
        (cur / f"17416{n:05d}.M{n}P1.host:2,S").write_bytes(raw)
    (cur / "17419999999.M1P1.host:2,S").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00 geen mail")
    return root / "Maildir"


def workspace(root: Path, engine: str, procs: int) -> Path:
    ws = root / f"ws-{procs}"
    assert woo(ws, "init", "--organisation", "Gemeente Test", "--engine", engine).exit_code == 0
    toml = ws / "woo.toml"
    toml.write_text(toml.read_text().replace("[settings]\n", f"[settings]\nparse_procs = {procs}\n", 1))
    return ws


def state(ws: Path) -> dict:
    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    try:
        items = w.catalog.get_items(sorted(w.catalog.item_ids()))
        return {
            "items": sorted((i.id, i.kind, i.sha256, i.subject, i.body, i.parent or "", i.sent.isoformat() if i.sent else "")
                            for i in items),
            "originals": sorted(w.catalog.originals()),
            "in store": all(w.store.verify(sha) for sha, _ in w.catalog.originals()),
            "failures": sorted((Path(f["path"]).name, f["reason"]) for f in w.catalog.open_failures()),
            "indexed": sorted(w.index.ids()),
            "search": w.index.search("windturbine AND geluidsnorm", limit=5)[0],
        }
    finally:
        w.close()


def test_parsing_in_worker_processes_gives_what_one_process_gives(tmp_path, engine):
    box = maildir(tmp_path)
    results = {}
    for procs in (1, 2):
        ws = workspace(tmp_path, engine, procs)
        r = woo(ws, "import", str(box), "--type", "maildir", "--custodian", "Sanne de Vries")
        assert r.exit_code == 3, r.output  # one file is no mail: a failure, the rest goes in
        results[procs] = state(ws)
        again = woo(ws, "import", str(box), "--type", "maildir", "--custodian", "Sanne de Vries")
        assert again.exit_code == 3, again.output
        runs = json.loads(woo(ws, "runs", "--format", "json").stdout)
        assert [r["new"] for r in runs] == [0, N + N // 10]  # the second run adds nothing
    assert results[2] == results[1]
    one = results[1]
    assert len(one["items"]) == N + N // 10 and one["in store"] and one["search"] == N
    assert [name for name, _ in one["failures"]] == ["17419999999.M1P1.host:2,S"]
    assert len(one["originals"]) == N + 1 + N // 10  # every message file, the broken one, every attachment


def test_a_rerun_asks_the_catalog_for_the_files_sync_state_in_batches(tmp_path, engine):
    """A maildir of N files read again: every file is skipped by its key, looked up many at a time
    (``WorkspaceSink.look_up``), not one catalog query per file."""
    from woo_collector.ingest import import_path
    from woo_collector.workspace import Workspace

    box = maildir(tmp_path)
    ws_path = workspace(tmp_path, engine, 2)
    assert woo(ws_path, "import", str(box), "--type", "maildir", "--custodian", "Sanne").exit_code == 3
    w = Workspace.open(ws_path)
    try:
        statements: list[str] = []
        w.catalog.db.set_trace_callback(statements.append)
        result = import_path(w, box, "maildir", "Sanne", quiet=True)
        w.catalog.db.set_trace_callback(None)
    finally:
        w.close()
    report = result.reports[0]
    assert (report.new, report.changed, report.unchanged) == (0, 0, 0)  # skipped unread, by their keys
    one_by_one = [s for s in statements if "FROM sync_state WHERE source=" in s and "key IN" not in s]
    batched = [s for s in statements if "FROM sync_state WHERE source=" in s and "key IN" in s]
    assert len(one_by_one) <= 1 and 1 <= len(batched) <= 2, (len(one_by_one), len(batched))


def test_an_items_memo_is_computed_once_travels_with_it_and_not_with_a_changed_copy():
    import pickle
    from datetime import datetime, timezone

    from woo_collector.catalog.base import _fingerprint, item_fingerprint
    from woo_collector.models import Item

    item = Item("i1", "email", "s", "c", "0" * 64, datetime(2025, 3, 1, tzinfo=timezone.utc), subject="Windturbines")
    calls = []
    assert item.memo("n", lambda i: calls.append(i) or len(calls)) == 1
    assert item.memo("n", lambda i: calls.append(i) or len(calls)) == 1 and len(calls) == 1
    copy = pickle.loads(pickle.dumps(item))
    assert copy == item and copy.memo("n", lambda i: 99) == 1  # a worker's memo reaches the ingesting process
    changed = item.with_(subject="Zonnepanelen")
    assert changed.memo("n", lambda i: 7) == 7  # a changed item computes again
    assert item_fingerprint(changed) == _fingerprint(changed) != item_fingerprint(item)


def test_a_worker_reads_a_mail_file_once_to_keep_it_and_to_parse_it(tmp_path, monkeypatch):
    import pickle
    from functools import partial

    from connectors.base import read_in_worker
    from connectors.maildir import MaildirConnector
    from woo_collector.ingest import WorkerSink, prepare_items
    from woo_collector.models import Item, SourceSpec
    from woo_collector.store import EvidenceStore

    box = maildir(tmp_path)
    path = sorted((box / "cur").iterdir())[10]  # with an attachment
    opened: list[str] = []
    real_open = __import__("os").open
    monkeypatch.setattr("os.open", lambda p, *a, **k: opened.append(str(p)) or real_open(p, *a, **k))
    monkeypatch.setattr(Path, "read_bytes", lambda self: pytest.fail(f"{self} read again"))
    spec = SourceSpec("box", "maildir", str(box), "Sanne de Vries")
    sha, kept, out = read_in_worker(MaildirConnector, spec, path, "", partial(WorkerSink, str(tmp_path / "store")),
                                    partial(prepare_items, "tantivy"))
    assert opened.count(str(path)) == 1
    items = [y for y in out if isinstance(y, Item)]
    assert [i.kind for i in items] == ["email", "attachment"] and items[0].sha256 == sha
    assert items[0].subject == "Bericht 10 over windturbines" and "geluidsnorm" in items[0].body
    from woo_collector.catalog.sqlite import _item_values
    crossed = pickle.loads(pickle.dumps(items[0]))  # the catalog's row made in the worker, as it reaches the ingesting process
    assert crossed.memo("catalog row", lambda i: pytest.fail("made again")) == _item_values(items[0])
    store = EvidenceStore(tmp_path / "store")
    assert sorted(s for s, _, _ in kept) == sorted({sha, items[1].sha256}) and all(store.has(s) for s, _, _ in kept)
    monkeypatch.undo()
    assert store.read(sha) == path.read_bytes() and store.read(items[1].sha256) == b"inhoud van bijlage 10"


def test_the_fork_server_starts_with_the_run_and_not_for_a_few_files(tmp_path):
    import subprocess
    import sys

    ws = workspace(tmp_path, "whoosh", 2)
    script = f"""
import json
from multiprocessing import forkserver
from connectors.maildir import MaildirConnector
from woo_collector.ingest import Workers
from woo_collector.workspace import Workspace
w = Workspace.open({str(ws)!r})
server = forkserver._forkserver
seen = []
with Workers(2) as workers:
    workers.plan(w, MaildirConnector, warm=False)
    seen.append(server._forkserver_pid is not None)
    workers.plan(w, MaildirConnector)
    seen.append(server._forkserver_pid is not None)
    seen.append(workers.preload)
w.close()
print(json.dumps(seen))
"""
    # a process of its own: a fork server lives as long as the process that started it
    r = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, cwd=Path(__file__).parents[2], timeout=120)
    assert r.returncode == 0, r.stderr
    before, after, preload = json.loads(r.stdout)
    assert (before, after) == (False, True)  # started by the run's plan, importing while the source is walked
    assert preload == ["connectors.maildir", "woo_collector.ingest", "woo_collector.worker_preload"]

#!/usr/bin/env python3
"""Search latency at scale: fill catalog and index with N synthetic mails (no parsing), then measure
the mixed query set of bench_ingest (terms, AND, phrases, a common disclaimer phrase, periods,
20 highlighted hits) in one warm process.

    python bench/bench_search.py [--total 1000000] [--engine whoosh|tantivy] [--workspace DIR] [--rounds 4]

``--workspace DIR`` keeps the filled workspace in DIR (and reuses it when it is there already, so a
search can be measured again, or ``bench_collect.py --workspace DIR`` run on the same items, without
filling again).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_collect import items  # noqa: E402
from bench_ingest import QUERIES  # noqa: E402
from woo_collector.workspace import Workspace  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=1_000_000)
    ap.add_argument("--engine", choices=("whoosh", "tantivy"), default="whoosh")
    ap.add_argument("--workspace", type=Path, help="fill here and keep it; reuse it when already filled")
    ap.add_argument("--rounds", type=int, default=4, help="rounds of the query set (the first warms up)")
    args = ap.parse_args()
    fill, keep = None, args.workspace is not None
    base = args.workspace or Path(tempfile.mkdtemp(prefix="woo-search-"))
    if keep and (base / "ws" / "FILLED").exists():
        ws = Workspace(base / "ws")
        args.engine = ws.settings.engine
    else:
        ws = fill_workspace(base / "ws", args.engine, args.total)
        fill = ws.fill_seconds
    args.total = ws.index.doc_count()
    size = sum(p.stat().st_size for p in (base / "ws" / "index").rglob("*") if p.is_file()) / 1e6
    lat, per, cpu = [], {}, []
    for rep in range(args.rounds):
        for name, q, period in QUERIES:
            t, c = time.perf_counter(), time.process_time()
            ws.index.search(q, limit=20, texts=ws.catalog.get_bodies, date_from=period[0] if period else None,
                            date_to=period[1] if period else None)
            dt = time.perf_counter() - t
            if rep:
                lat.append(dt)
                cpu.append(time.process_time() - c)  # what the load does not inflate
                per[name] = max(per.get(name, 0), dt)
    lat.sort()
    cpu.sort()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    rows = [("fill (catalog + index, no parsing)", f"{args.total} items", f"{fill:.0f} s" if fill else "(reused)", f"index {size:.0f} MB"),
            ("search, warm process", f"p50 {statistics.median(lat) * 1000:.0f} ms", f"p95 {lat[int(len(lat) * 0.95) - 1] * 1000:.0f} ms", f"peak RSS {rss:.0f} MB"),
            ("CPU time of a search (the process's)", f"p50 {statistics.median(cpu) * 1000:.1f} ms",
             f"p95 {cpu[int(len(cpu) * 0.95) - 1] * 1000:.1f} ms", ""),
            ("slowest query kinds", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:4]), "", ""),
            (f"every kind (slowest of {args.rounds - 1} warm runs)", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in per.items()), "", "")]
    print("\n".join([f"### search at {args.total} items, engine {args.engine} ({datetime.now():%Y-%m-%d %H:%M})", "", "| measure | | | |", "| --- | --- | --- | --- |"]
                    + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]))
    ws.close()
    if not keep:
        shutil.rmtree(base, ignore_errors=True)


def fill_workspace(root: Path, engine: str, total: int, batch_size: int = 20_000) -> Workspace:
    """A workspace with ``total`` synthetic items in catalog and index (``items(total, 0.05)``), marked
    FILLED when done; ``fill_seconds`` is how long it took."""
    ws, _ = Workspace.init(root, engine=engine)
    t = time.perf_counter()
    batch, done = [], 0
    for it in items(total, 0.05):
        batch.append(it)
        if len(batch) == batch_size:
            ws.index.add(ws.catalog.apply_batch("bench", 0, batch, [], [], [], []).new)
            done += len(batch)
            batch = []
            print(f"filled {done} items in {time.perf_counter() - t:.0f} s", file=sys.stderr, flush=True)
    if batch:
        ws.index.add(ws.catalog.apply_batch("bench", 0, batch, [], [], [], []).new)
    ws.catalog.db.execute("UPDATE items SET indexed=1")
    ws.catalog.db.commit()
    ws.fill_seconds = time.perf_counter() - t
    (root / "FILLED").write_text(f"{total} items, engine {engine}, {ws.fill_seconds:.0f} s\n")
    return ws


if __name__ == "__main__":
    main()

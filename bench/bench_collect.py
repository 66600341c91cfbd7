#!/usr/bin/env python3
"""Collect benchmark: a Woo request selecting ~10,000 items out of 200,000.

    python bench/bench_collect.py [--total 200000] [--share 0.05] [--engine whoosh|tantivy]
                                  [--workspace DIR] [--selection-only]

``--workspace DIR``: a workspace filled by ``bench_search.py --workspace DIR`` (the same items, share
0.05), reused; filled there and kept when it is not yet. ``--selection-only``: time the selection
(the index's ids, the undated ones, their items, their families) and not the whole collect.

Fills a workspace's catalog and index directly with synthetic mail items (the ingestion path
without parsing), then times `collect` (selection with limit=None, families, deduplication,
near-duplicates, redaction proposals, numbering) and `request show`, with peak memory: this
process's max RSS, and during the first collect the PSS of this process plus Frog's processes
(sampled every second), which counts memory they share once.

The detection layers are the workspace's default (rules + Frog where Frog is installed), or
``WOO_REDACTION_LAYERS=rules`` for the rule layer alone. ``--once`` skips the second collect.
"""

from __future__ import annotations

import argparse
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from woo_collector.models import Item, stable_id  # noqa: E402
from woo_collector.synth import DISCLAIMER, FIRST, LAST, WORDS  # noqa: E402
from woo_collector.workspace import Workspace  # noqa: E402


def items(total: int, share: float, seed: int = 3):
    rnd = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    for n in range(total):
        who, to = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}", f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
        topic = "windturbines" if rnd.random() < share else rnd.choice(["begroting", "parkeren", "jeugdzorg", "subsidie"])
        body = f"Beste {to.split()[0]},\n\nOver de {topic}: " + " ".join(rnd.choice(WORDS) for _ in range(60)) + \
            f"\n\nBel me op 06-{rnd.randrange(10**7, 10**8)}.\n\nMet vriendelijke groet,\n{who}\n\n{DISCLAIMER}"
        sha = stable_id("bench", n) * 2 + "0" * 16
        yield Item(id=stable_id("bench", n), kind="email", source="bench", custodian=rnd.choice(["Sanne", "Pieter", "Fatima"]),
                   sha256=sha[:64], sent=start + timedelta(minutes=rnd.randrange(365 * 24 * 60)), sender=f"{who} <x{n}@voorbeeld.nl>",
                   recipients=(f"{to} <y{n}@voorbeeld.nl>",), subject=f"{topic.capitalize()} ({n})", body=body,
                   message_id=f"<bench-{n}@voorbeeld.nl>", conversation=f"<bench-{n}@voorbeeld.nl>")


def _pss_kb(pid: int) -> int:
    try:
        for line in open(f"/proc/{pid}/smaps_rollup"):
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


class PssSampler(threading.Thread):
    """Peak PSS (kB) of this process plus every process descended from it (Frog), once a second."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.peak = self.py = self.frog = self.frogs = 0

    def _descendants(self) -> list[int]:
        from woo_collector.children import descendants

        return [pid for pid, _ in descendants()]

    def run(self) -> None:
        while not self.stop.wait(1.0):
            py = _pss_kb(os.getpid())
            others = self._descendants()
            frog = sum(_pss_kb(p) for p in others)
            self.frogs = max(self.frogs, len(others))
            if py + frog > self.peak:
                self.peak, self.py, self.frog = py + frog, py, frog


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=200_000)
    ap.add_argument("--share", type=float, default=0.05)
    ap.add_argument("--once", action="store_true", help="one collect only (no 'collect again')")
    ap.add_argument("--engine", choices=("whoosh", "tantivy"), default="whoosh")
    ap.add_argument("--workspace", type=Path)
    ap.add_argument("--selection-only", action="store_true")
    args = ap.parse_args()
    keep = args.workspace is not None
    base = args.workspace or Path(tempfile.mkdtemp(prefix="woo-collect-"))
    fill = None
    if keep and (base / "ws" / "FILLED").exists():
        ws = Workspace(base / "ws")
        args.engine = ws.settings.engine
        args.total = ws.index.doc_count()
    elif keep and args.share == 0.05:
        sys.path.insert(0, str(ROOT / "bench"))
        from bench_search import fill_workspace

        ws = fill_workspace(base / "ws", args.engine, args.total, batch_size=5000)
        fill = ws.fill_seconds
    else:
        ws, _ = Workspace.init(base / "ws", engine=args.engine)
        t = time.perf_counter()
        batch = []
        for it in items(args.total, args.share):
            batch.append(it)
            if len(batch) == 5000:
                res = ws.catalog.apply_batch("bench", 0, batch, [], [], [], [])
                ws.index.add(res.new)
                batch = []
        if batch:
            ws.index.add(ws.catalog.apply_batch("bench", 0, batch, [], [], [], []).new)
        ws.catalog.db.execute("UPDATE items SET indexed=1")
        fill = time.perf_counter() - t
    from woo_collector.requests import create, show_doc
    from woo_collector.requests.collect import collect, complete_families, period_filters

    if ws.catalog.requests.get("BENCH", missing_ok=True) is None:  # a reused workspace may have it
        create(ws, "BENCH", "windturbines", date(2024, 1, 1), date(2024, 12, 31))
    fill_text = f"{fill:.0f} s" if fill else "(reused)"
    fill_rate = f"{args.total / fill:.0f} items/s" if fill else ""
    req = ws.catalog.requests.get("BENCH")
    sel = []
    for _ in range(3):
        t = time.perf_counter()
        flt = period_filters(req)
        hit_ids = set(ws.index.select_ids(req.query, **flt))
        t_ids = time.perf_counter() - t
        undated_ids = ws.index.select_undated_ids(req.query, **flt)
        fam = complete_families(ws, ws.catalog.get_items(sorted(hit_ids)))
        sel.append((time.perf_counter() - t, t_ids))
    best = min(sel)
    sel_row = ("selection (ids, undated ids, items, families)", f"{len(hit_ids)} hits, {len(undated_ids)} undated, {len(fam)} items",
               f"{best[0]:.1f} s (slowest of 3: {max(sel)[0]:.1f} s)", f"the index's ids alone {best[1]:.2f} s")
    if args.selection_only:
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        rows = [("fill catalog + index (no parsing)", f"{args.total} items", fill_text, fill_rate), sel_row,
                ("peak RSS", f"{rss / 1024:.0f} MB", "", "")]
        print("\n".join([f"### selection, {args.total} items, engine {args.engine} ({datetime.now():%Y-%m-%d %H:%M})", "",
                         "| measure | | | |", "| --- | --- | --- | --- |"] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]))
        ws.close()
        if not keep:
            shutil.rmtree(base, ignore_errors=True)
        return
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sampler = PssSampler()
    sampler.start()
    t = time.perf_counter()
    res = collect(ws, "BENCH", "bench")
    took = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    t = time.perf_counter()
    show_doc(ws, "BENCH")
    show = time.perf_counter() - t
    again = None
    if not args.once:
        t = time.perf_counter()
        collect(ws, "BENCH", "bench")
        again = time.perf_counter() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    rows = [("fill catalog + index (no parsing)", f"{args.total} items", fill_text, fill_rate), sel_row,
            ("collect", f"{res.items_selected} of {args.total} items -> {res.documents} documents", f"{took:.1f} s",
             f"{res.redactions} redactions proposed"),
            ("collect layers", ", ".join(res.layers), f"{sampler.frogs} child process(es) (Frog)", ""),
            ("collect again (unchanged index)", "", f"{again:.1f} s" if again is not None else "not run", ""),
            ("request show", "", f"{show:.2f} s", ""),
            ("peak RSS", f"{rss / 1024:.0f} MB", f"before collect {rss0 / 1024:.0f} MB", ""),
            ("peak PSS during collect", f"{sampler.peak / 1024:.0f} MB (Python + Frog)",
             f"Python {sampler.py / 1024:.0f} MB", f"Frog {sampler.frog / 1024:.0f} MB")]
    text = "\n".join([f"### collect, {args.total} items, engine {args.engine} ({datetime.now():%Y-%m-%d %H:%M})", "", "| measure | | | |", "| --- | --- | --- | --- |"]
                     + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]) + "\n"
    print(text)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    with open(ROOT / "bench" / "out" / "collect.md", "a") as f:
        f.write(text + "\n")
    ws.close()
    if not keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""NER layer benchmark: the analyzer with the rule layer alone and with rules + Frog, on the
documents bench_collect.py generates (the texts redaction analyses: subject, body, sender, recipients).

    python bench/bench_ner.py [--docs 1000] [--workers 2]

Reports tokens/s (whitespace tokens of the analysed texts), Frog's start time, how many paragraphs
went to Frog after deduplication, and peak memory: this Python process (max RSS) and Frog (its
processes, one a worker, sampled every second: RSS summed, and PSS).

The yardstick, in the same run and on the same machine load: raw Frog (``frog --skip=mpcla
--threads=1 -t FILE``, one process) over the same distinct paragraphs, in Frog tokens per second of
wall time and of Frog's CPU time (``--raw`` only).
"""

from __future__ import annotations

import argparse
import resource
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_collect import items  # noqa: E402
from woo_collector.redaction import Analyzer, Policy  # noqa: E402
from woo_collector.redaction import frog  # noqa: E402
from woo_collector.requests.redact import FIELDS, field_text, known_people  # noqa: E402


def tree_kb(pids: list[int]) -> tuple[int, int]:
    """(Rss, Pss) in kB summed over Frog's processes and their children."""
    rss = pss = 0
    kids = []
    for pid in pids:
        try:
            kids += open(f"/proc/{pid}/task/{pid}/children").read().split()
        except OSError:
            pass
    for p in [*map(str, pids), *kids]:
        try:
            for line in open(f"/proc/{p}/smaps_rollup"):
                if line.startswith("Rss:"):
                    rss += int(line.split()[1])
                elif line.startswith("Pss:"):
                    pss += int(line.split()[1])
        except OSError:
            continue
    return rss, pss


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.stop = threading.Event()
        self.rss = self.pss = 0

    def run(self) -> None:
        while not self.stop.wait(1.0):
            server = frog.shared_server.server
            if server is None or not server.pids:
                continue
            rss, pss = tree_kb(server.pids)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)


def raw(texts: list[str]) -> None:
    """Raw Frog, one process, over the distinct paragraphs the layer sent: wall and CPU time."""
    import os
    import subprocess
    import tempfile

    paras = {}
    for t in texts:
        if frog.needs_ner(t):
            for _, p in frog.paragraphs(t):
                paras.setdefault(frog.text_key(p), p)
    with tempfile.TemporaryDirectory() as d:
        src, out = Path(d) / "in.txt", Path(d) / "out.tab"
        src.write_text(frog.SEPARATOR.join(frog.frog_input(p) for p in paras.values()) + "\n", encoding="utf-8")
        before = os.times()
        t = time.perf_counter()
        subprocess.run([frog.frog_path(), f"--skip={frog.SKIP}", "--threads=1", "-t", str(src), "-o", str(out)],
                       cwd=d, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        wall = time.perf_counter() - t
        after = os.times()
        cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
        n = sum(1 for line in out.read_text(encoding="utf-8").split("\n") if line[:1].isdigit())
    print(f"  yardstick, raw Frog -t (one process, start included): {n:,} Frog tokens in {wall:.1f} s wall, "
          f"{cpu:.1f} s CPU: {n / wall:,.0f} tokens/s wall, {n / cpu:,.0f} tokens per CPU-second")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--raw", action="store_true", help="also time raw Frog on the same paragraphs (the yardstick)")
    args = ap.parse_args()
    its = list(items(args.docs, 1.0))
    texts = [t for it in its for f in FIELDS if (t := field_text(it, f)).strip()]
    people = known_people(its)
    tokens = sum(len(t.split()) for t in texts)
    mb = sum(len(t.encode()) for t in texts) / 1e6
    print(f"{args.docs:,} documents, {len(texts):,} texts, {tokens:,} tokens, {mb:.2f} MB")

    t = time.perf_counter()
    rules = Analyzer(Policy(), known_people=people).analyze_many(texts)
    dt = time.perf_counter() - t
    print(f"rules alone:   {dt:7.1f} s  {tokens / dt:9,.0f} tokens/s  {mb / dt:.2f} MB/s  "
          f"{sum(len(r) for r in rules):,} findings; peak RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB")

    if frog.frog_path() is None:
        print(f"Frog not installed ({frog.INSTALL_HINT}): no rules + frog figures")
        return
    sampler = Sampler()
    sampler.start()
    t = time.perf_counter()
    frog.shared_server.pinned = True       # Frog's start is timed apart from the analysis
    with frog.shared_server(args.workers):
        pass
    start = time.perf_counter() - t
    layer = frog.FrogLayer(workers=args.workers)
    t = time.perf_counter()
    both = Analyzer(Policy(), known_people=people, layers=[layer]).analyze_many(texts)
    dt = time.perf_counter() - t
    sampler.stop.set()
    sampler.join()
    frog.shared_server.close()
    if layer.error:
        print(f"Frog failed: {layer.error}")
        return
    names = lambda rs: sum(1 for r in rs for f in r if f.category == "name")  # noqa: E731
    print(f"rules + frog:  {dt:7.1f} s  {tokens / dt:9,.0f} tokens/s  {mb / dt:.2f} MB/s  "
          f"{sum(len(r) for r in both):,} findings ({names(both):,} names, rules alone {names(rules):,}); "
          f"{args.workers} connection(s)")
    n_paras = sum(len(frog.paragraphs(t)) for t in texts)
    print(f"  Frog start {start:.1f} s; {layer.paragraphs_sent:,} distinct paragraphs of {n_paras:,} sent "
          f"(deduplicated by hash), {layer.tokens:,} Frog tokens")
    print(f"  peak memory: this process {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024} MB; "
          f"Frog RSS summed {sampler.rss // 1024} MB, PSS {sampler.pss // 1024} MB")
    if args.raw:
        raw(texts)
    per_doc = dt / args.docs
    print(f"  projected for bench_collect's 10,000-document request: {per_doc * 10_000 / 60:.1f} min of NER "
          f"(at {tokens / dt:,.0f} tokens/s)")


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""NER layer benchmark: the analyzer with the rule layer alone and with rules + Frog, on the
documents bench_collect.py generates (the texts redaction analyses: subject, body, sender, recipients).

    python bench/bench_ner.py [--docs 1000] [--workers 2]

Reports tokens/s (whitespace tokens of the analysed texts), Frog's start time, how many paragraphs
went to Frog after deduplication, and peak memory: this Python process (max RSS) and Frog (its server
and per-connection children, sampled every second: RSS summed, and PSS, which counts the models the
children share with the server once).
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


def tree_kb(pid: int) -> tuple[int, int]:
    """(Rss, Pss) in kB summed over Frog's server and its per-connection children."""
    try:
        kids = open(f"/proc/{pid}/task/{pid}/children").read().split()
    except OSError:
        kids = []
    rss = pss = 0
    for p in [str(pid), *kids]:
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
            if server is None or server.proc is None:
                continue
            rss, pss = tree_kb(server.proc.pid)
            self.rss, self.pss = max(self.rss, rss), max(self.pss, pss)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--docs", type=int, default=1000)
    ap.add_argument("--workers", type=int, default=2)
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
    per_doc = dt / args.docs
    print(f"  projected for bench_collect's 10,000-document request: {per_doc * 10_000 / 60:.1f} min of NER "
          f"(at {tokens / dt:,.0f} tokens/s)")


if __name__ == "__main__":
    main()

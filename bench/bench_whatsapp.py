"""Benchmark the WhatsApp parser on a generated export.

    python bench/bench_whatsapp.py [N] [--layout android|ios] [--tracemalloc]

Writes an export of N messages (default 1,000,000; a mix of one-line and multi-line messages,
media, deletions and system lines) to a temporary folder, runs the connector over it to the end
with a sink that hashes but does not hold the original, and prints lines/s, messages/s and the
peak memory (the process's peak resident size, and with --tracemalloc the peak of Python's heap).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from datetime import datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.base import Checkpoint, SourceSpec  # noqa: E402
from connectors.whatsapp import WhatsAppConnector  # noqa: E402
from woo_collector.models import Failure, Item  # noqa: E402

AUTHORS = ["Sanne de Vries", "Pieter van der Meulen", "\u202a+31\u00a06\u00a012345678\u202c", "Wethouder Jansen", "Kees"]
TEXTS = [
    "Goedemorgen, staat het overleg over de windturbines nog?",
    "Ja, om 10 uur in de raadzaal.",
    "Kun je de stukken rondsturen?\nDe begroting zit er ook bij.\n\nGroet",
    "Dit bericht is verwijderd",
    "<Media weggelaten>",
    "IMG-20240101-WA0001.jpg (bestand bijgevoegd)\nHet nieuwe plan",
    "👍",
    "Zie mijn mail van gisteren <Dit bericht is bewerkt>",
]


def generate(path: Path, n: int, layout: str) -> int:
    """Write an export of n messages; return the number of lines written."""
    rnd = random.Random(1)
    t = datetime(2023, 1, 1, 8, 0, 0)
    lines = 0
    with open(path, "w", encoding="utf-8", newline="\n" if layout == "android" else "\r\n") as f:
        for i in range(n):
            t += timedelta(seconds=rnd.randint(1, 90))
            if i % 500 == 0:
                body = "Kees heeft Sanne toegevoegd" if layout == "android" else "\u200eKees heeft Sanne toegevoegd"
                who = ""
            else:
                who = rnd.choice(AUTHORS) + ": "
                body = rnd.choice(TEXTS)
            if layout == "android":
                head = t.strftime("%d-%m-%Y %H:%M") + " - "
            else:
                head = t.strftime("[%d-%m-%Y %H:%M:%S] ")
            f.write(head + who + body + "\n")
            lines += body.count("\n") + 1
    return lines


class HashingSink:
    """Keeps nothing: hashes originals streaming, remembers checkpoints."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}

    def keep(self, data, name: str = "") -> str:
        h = hashlib.sha256()
        if isinstance(data, (str, Path)):
            with open(data, "rb") as f:
                while chunk := f.read(1 << 20):
                    h.update(chunk)
        elif isinstance(data, (bytes, bytearray)):
            h.update(data)
        else:
            while chunk := data.read(1 << 20):
                h.update(chunk)
        return h.hexdigest()

    def state(self, key: str) -> str | None:
        return self.states.get(key)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--layout", choices=("android", "ios"), default="android")
    ap.add_argument("--tracemalloc", action="store_true", help="also measure Python's heap peak (slower)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "WhatsApp-chat met Bench.txt"
        t0 = time.perf_counter()
        lines = generate(path, args.n, args.layout)
        gen_s = time.perf_counter() - t0
        size = path.stat().st_size
        print(f"generated {args.n:,} messages, {lines:,} lines, {size / 1e6:.1f} MB ({args.layout}) in {gen_s:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.tracemalloc:
            tracemalloc.start()
        sink = HashingSink()
        conn = WhatsAppConnector(SourceSpec(name="bench", type="whatsapp", path=str(path), custodian="bench"), sink)
        items = failures = 0
        t0 = time.perf_counter()
        for y in conn.collect():
            if isinstance(y, Item):
                items += 1
            elif isinstance(y, Failure):
                failures += 1
            elif isinstance(y, Checkpoint):
                sink.states[y.key] = y.value
        secs = time.perf_counter() - t0
        heap = tracemalloc.get_traced_memory()[1] if args.tracemalloc else None
        if args.tracemalloc:
            tracemalloc.stop()
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        print(f"parsed {items:,} items ({failures} failures) in {secs:.1f} s: "
              f"{lines / secs:,.0f} lines/s, {items / secs:,.0f} messages/s")
        print(f"peak RSS {rss / 1024:.0f} MiB (before parsing {rss_before / 1024:.0f} MiB)"
              + (f", Python heap peak {heap / 2**20:.1f} MiB" if heap is not None else ""))
        assert items == args.n, (items, args.n)


if __name__ == "__main__":
    os.environ.setdefault("PYTHONHASHSEED", "0")
    main()

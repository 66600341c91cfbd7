#!/usr/bin/env python3
"""Ingest and search benchmark: woo-collector beside notmuch on the same Maildir.

    python bench/bench_ingest.py 10000 [--engine whoosh|tantivy] [--procs 2] [--keep DIR]

Generates N synthetic Dutch mails as a Maildir, then measures:
- `woo import` end to end (parse, store, catalog, index): messages/s, peak RSS, index and store size;
- search latency p50/p95 over a mixed query set (terms, AND, phrases, a common disclaimer phrase,
  date ranges) with 20 highlighted hits, in one warm process, and `woo search` as a command;
- `woo --help` wall time;
- `notmuch new` and `notmuch search` on the same Maildir, where notmuch is installed.
Prints a Markdown table (also appended to bench/out/ingest.md).
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from woo_collector.synth import write_maildir  # noqa: E402

QUERIES = [
    ("term", "windturbines", None),
    ("term rare", "zonnepanelen", None),
    ("AND", "geluid AND afstand", None),
    ("OR", "subsidie OR jeugdzorg", None),
    ("phrase", '"bestemmingsplan"', None),
    ("phrase common", '"uitsluitend bestemd voor de geadresseerde"', None),
    ("field", "subject:begroting", None),
    ("term + period", "windturbines", (datetime(2024, 3, 1, tzinfo=timezone.utc), datetime(2024, 7, 1, tzinfo=timezone.utc))),
    ("AND + period", "college AND besluit", (datetime(2025, 1, 1, tzinfo=timezone.utc), datetime(2025, 2, 1, tzinfo=timezone.utc))),
    ("wildcard", "parkeer*", None),
]


def timed(cmd: list[str], env=None) -> tuple[float, int, subprocess.CompletedProcess]:
    """Wall seconds, peak RSS (KiB) of the child, result."""
    t = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    p = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, **(env or {})})
    wall = time.perf_counter() - t
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return wall, max(peak, before), p


def cpu_seconds(pid: int) -> float:
    """utime + stime of a running process, from /proc (0 when it is gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def timed_cpu(cmd: list[str], env=None) -> tuple[float, float, float, subprocess.CompletedProcess]:
    """Wall seconds, CPU seconds of the process itself and of every process it started (its ingest
    workers and their fork server: sampled from /proc every 50 ms, so a helper that ends between two
    samples loses at most that much), result. CPU time is what a loaded machine does not inflate."""
    from woo_collector.children import descendants

    t = time.perf_counter()
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env={**os.environ, **(env or {})})
    seen: dict[int, float] = {}
    own = 0.0
    while p.poll() is None:
        own = cpu_seconds(p.pid) or own
        for pid, _ in descendants(p.pid):
            seen[pid] = max(seen.get(pid, 0.0), cpu_seconds(pid))
        time.sleep(0.05)
    out, err = p.communicate()
    wall = time.perf_counter() - t
    return wall, own, sum(seen.values()), subprocess.CompletedProcess(cmd, p.returncode, out, err)


def du(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def compile_bytecode() -> None:
    """Compile the project's modules, as ``pip install`` does: ``woo`` runs here from the source tree,
    and where PYTHONDONTWRITEBYTECODE is set (this machine sets it) every command, and every ingest's
    fork server, would compile them again (about a tenth of a second of each start here)."""
    import compileall

    for package in ("woo_collector", "connectors", "exports"):
        compileall.compile_dir(ROOT / package, quiet=1)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("n", type=int)
    ap.add_argument("--procs", type=int, default=1)
    ap.add_argument("--engine", choices=("whoosh", "tantivy"), default="whoosh")
    ap.add_argument("--keep", type=Path)
    args = ap.parse_args()
    compile_bytecode()
    base = args.keep or Path(tempfile.mkdtemp(prefix="woo-bench-"))
    md = base / "Maildir"
    if not md.exists():
        t = time.perf_counter()
        write_maildir(md, args.n)
        print(f"generated {args.n} mails in {time.perf_counter() - t:.1f} s", file=sys.stderr)
    ws = base / "ws"
    shutil.rmtree(ws, ignore_errors=True)
    woo = [sys.executable, "-m", "woo_collector", "--workspace", str(ws), "--quiet"]
    subprocess.run(woo + ["init", "--engine", args.engine, "--organisation", "Gemeente Bench"], check=True, capture_output=True)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    wall, own, helpers, p = timed_cpu(woo + ["import", str(md), "--type", "maildir", "--custodian", "bench"],
                                      env={"WOO_INDEX_PROCS": str(args.procs)})
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    rss = max(before.ru_maxrss, after.ru_maxrss)
    assert p.returncode == 0, p.stderr
    rows = [("woo import (maildir)", f"{args.n / wall:.0f} msg/s", f"{wall:.1f} s", f"{rss / 1024:.0f} MB peak RSS"),
            ("woo import, CPU", f"{own:.1f} s in the importing process", f"{helpers:.1f} s in its workers",
             f"{(own + helpers) * 1000 / args.n:.2f} ms CPU a message")]
    rows.append(("index size", f"{du(ws / 'index') / 1e6:.0f} MB", "", f"store {du(ws / 'store') / 1e6:.0f} MB, catalog {(ws / 'catalog.sqlite').stat().st_size / 1e6:.0f} MB"))

    from woo_collector.workspace import Workspace

    w = Workspace.open(ws)
    lat: list[float] = []
    per: dict[str, float] = {}
    t0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for rep in range(5):
        for name, q, period in QUERIES:
            t = time.perf_counter()
            total, hits = w.index.search(q, limit=20, texts=w.catalog.get_bodies, date_from=period[0] if period else None,
                                         date_to=period[1] if period else None)
            dt = time.perf_counter() - t
            if rep:  # the first round warms caches
                lat.append(dt)
                per[name] = max(per.get(name, 0), dt)
    lat.sort()
    p50, p95 = statistics.median(lat), lat[int(len(lat) * 0.95) - 1]
    rows.append(("search, warm process (20 highlighted hits)", f"p50 {p50 * 1000:.0f} ms", f"p95 {p95 * 1000:.0f} ms",
                 f"RSS {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (was {t0 / 1024:.0f})"))
    rows.append(("slowest query kinds", ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in sorted(per.items(), key=lambda kv: -kv[1])[:3]), "", ""))
    cmd_times = []
    for _ in range(3):
        wall_s, _, p = timed(woo + ["search", "windturbines AND geluid", "--format", "json"])
        cmd_times.append(wall_s)
    rows.append(("woo search (command)", f"{min(cmd_times) * 1000:.0f} ms", f"median {statistics.median(cmd_times) * 1000:.0f} ms", ""))
    helps = [timed([sys.executable, "-m", "woo_collector", "--help"])[0] for _ in range(3)]
    rows.append(("woo --help", f"{min(helps) * 1000:.0f} ms", "", ""))

    if shutil.which("notmuch"):
        nm = base / "notmuch-config"
        nm.write_text(f"[database]\npath={md}\n[user]\nname=bench\nprimary_email=bench@example.org\n[new]\ntags=inbox\n")
        shutil.rmtree(md / ".notmuch", ignore_errors=True)
        env = {"NOTMUCH_CONFIG": str(nm)}
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        wall_nm, rss_nm, p = timed(["notmuch", "new", "--quiet"], env=env)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu_nm = after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
        rows.append(("notmuch new", f"{args.n / wall_nm:.0f} msg/s", f"{wall_nm:.1f} s", f"{cpu_nm:.1f} s CPU"))
        nm_times = []
        for q in ("windturbines", "geluid and afstand", 'subject:begroting', '"uitsluitend bestemd voor de geadresseerde"'):
            for _ in range(3):
                nm_times.append(timed(["notmuch", "search", "--limit=20", q], env=env)[0])
        rows.append(("notmuch search (command)", f"median {statistics.median(nm_times) * 1000:.0f} ms", f"max {max(nm_times) * 1000:.0f} ms", ""))
        rows.append(("woo import / notmuch new", f"{wall_nm / wall:.2f}x", f"CPU: {cpu_nm / (own + helpers):.2f}x",
                     "budget: >= 1.5x (tantivy), >= 0.6x (Whoosh)"))
    else:
        rows.append(("notmuch", "not installed", "", "apt-get install notmuch"))

    out = [f"### woo import and search, {args.n} messages ({datetime.now():%Y-%m-%d %H:%M}, {os.cpu_count()} cores, engine {args.engine}, index procs {args.procs})", "",
           "| measure | value | | |", "| --- | --- | --- | --- |"] + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]
    text = "\n".join(out) + "\n"
    print(text)
    (ROOT / "bench" / "out").mkdir(exist_ok=True)
    with open(ROOT / "bench" / "out" / "ingest.md", "a") as f:
        f.write(text + "\n")
    if not args.keep:
        shutil.rmtree(base, ignore_errors=True)


if __name__ == "__main__":
    main()

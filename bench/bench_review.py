#!/usr/bin/env python3
"""Review page benchmark (woo review) on bench_collect.py's request of ~10,000 documents.

    python bench/bench_review.py [--total 10000] [--share 1.0] [--pages 200] [--toggles 50]

Builds the request with bench_collect's synthetic mail (``--total 200000 --share 0.05`` is
bench_collect's own catalog; the default builds the same ~10,000-document request without the
190,000 items it does not select), then times the review application through Flask's test client
(the server's own work, no network): the overview and list pages, document pages (p50 / p95 /
max over random documents), a box toggle (POST), the document page right after a toggle (the
package's boxes are rebuilt then), a person rejected everywhere and a text boxed request-wide.
Budget: overview and list <= 1 s, document page p95 <= 300 ms, box toggle <= 200 ms.
"""

from __future__ import annotations

import argparse
import random
import re
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from bench_collect import items  # noqa: E402
from woo_collector.workspace import Workspace  # noqa: E402


def timed(fn, *args, **kwargs):
    t = time.perf_counter()
    r = fn(*args, **kwargs)
    return r, time.perf_counter() - t


def ms(x: float) -> str:
    return f"{x * 1000:.0f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--total", type=int, default=10_000)
    ap.add_argument("--share", type=float, default=1.0)
    ap.add_argument("--pages", type=int, default=200)
    ap.add_argument("--toggles", type=int, default=50)
    args = ap.parse_args()
    base = Path(tempfile.mkdtemp(prefix="woo-review-"))
    ws, _ = Workspace.init(base / "ws")
    batch = []
    t = time.perf_counter()
    for it in items(args.total, args.share):
        batch.append(it)
        if len(batch) == 5000:
            ws.index.add(ws.catalog.apply_batch("bench", 0, batch, [], [], [], []).new)
            batch = []
    if batch:
        ws.index.add(ws.catalog.apply_batch("bench", 0, batch, [], [], [], []).new)
    ws.catalog.db.execute("UPDATE items SET indexed=1")
    from woo_collector.requests import create
    from woo_collector.requests.collect import collect

    create(ws, "BENCH", "windturbines", date(2024, 1, 1), date(2024, 12, 31))
    res = collect(ws, "BENCH", "bench")
    build = time.perf_counter() - t
    n_docs = len(ws.catalog.requests.documents("BENCH"))
    reds = ws.catalog.requests.redactions("BENCH")
    print(f"request: {n_docs} documents, {len(reds)} redactions ({args.total} items, built in {build:.0f} s)", file=sys.stderr)

    from exports.render import Redactor
    from woo_collector.review_web import create_app

    app, startup = timed(create_app, ws.root, "BENCH", published=Redactor)
    c = app.test_client()
    c.get("/?token=" + app.config["TOKEN"])
    rows = [("server start (create_app: per-document facts, the package's boxes)", "", ms(startup))]

    def get(path: str) -> float:
        r, dt = timed(c.get, path)
        assert r.status_code == 200, (path, r.status_code)
        return dt

    rows.append(("overview, first", "/", ms(get("/"))))
    over = [get("/") for _ in range(5)]
    rows.append(("overview", "/ (median of 5)", ms(statistics.median(over))))
    for label, path in (("list, first page", "/documents"), ("list, page 100", "/documents?page=100"),
                        ("list, not reviewed, kind email", "/documents?status=unreviewed&kind=email"),
                        ("list, person filter", "/documents?person=jansen"), ("list, special category", "/documents?special=1")):
        rows.append((label, path, ms(statistics.median(get(path) for _ in range(3)))))
    nrs = [d["nr"] for d in ws.catalog.requests.documents("BENCH")]
    rnd = random.Random(5)
    rows.append(("document page, first", "/doc/1", ms(get("/doc/1"))))
    times = sorted(get(f"/doc/{rnd.choice(nrs)}") for _ in range(args.pages))
    p95 = times[int(len(times) * 0.95) - 1]
    rows.append((f"document page ({args.pages} random)", "p50 / p95 / max",
                 f"{ms(statistics.median(times))} / {ms(p95)} / {ms(times[-1])}"))
    html = c.get("/doc/1").get_data(as_text=True)
    csrf = re.search(r'name="csrf" value="([^"]+)"', html).group(1)
    toggles, after = [], []
    for r in rnd.sample(reds, args.toggles):
        resp, dt = timed(c.post, "/box", data={"key": r["key"], "apply": "0", "csrf": csrf})
        assert resp.status_code == 302
        toggles.append(dt)
        after.append(get(f"/doc/{r['nr']}"))
    toggles.sort()
    after.sort()
    rows.append((f"box toggle (POST, {args.toggles})", "p50 / p95 / max",
                 f"{ms(statistics.median(toggles))} / {ms(toggles[int(len(toggles) * 0.95) - 1])} / {ms(toggles[-1])}"))
    rows.append(("document page right after a toggle", "p50 / p95 / max",
                 f"{ms(statistics.median(after))} / {ms(after[int(len(after) * 0.95) - 1])} / {ms(after[-1])}"))
    name = next(r["text"] for r in reds if r["category"] == "name" and " " in r["text"])
    resp, dt = timed(c.post, "/person", data={"text": name, "apply": "0", "nr": "1", "csrf": csrf})
    rows.append(("person rejected everywhere", name.split()[0] + " ...", ms(dt)))
    resp, dt = timed(c.post, "/add", data={"text": "windturbines", "ground": "5.1.2i", "nr": "1", "csrf": csrf})
    rows.append(("a text boxed request-wide (every document)", "windturbines", ms(dt)))
    print(f"\n### review, {n_docs} documents, {len(reds)} redactions ({time.strftime('%Y-%m-%d %H:%M')})\n")
    print("| step | what | time |")
    print("| --- | --- | --- |")
    for r in rows:
        print("| " + " | ".join(r) + " |")
    print(f"\ncollect reported {res.documents} documents" if hasattr(res, "documents") else "")


if __name__ == "__main__":
    main()

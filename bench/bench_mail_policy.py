#!/usr/bin/env python3
"""Which ``email`` policy to parse with: ``compat32`` (what connectors/support/mime.py uses) or
``policy.default``, on the real sample mails (../shared/samples, every .eml) and on synthetic mail.

    python bench/bench_mail_policy.py [--synthetic 5000]

For each policy: messages parsed per second (parse, walk the parts, decode every leaf's payload and
read the headers From, To, Subject, Date), and how many messages raise. The project parses with
compat32 and decodes headers by hand; ``policy.default`` would only be a choice if it were not slower
and every mail test passed with it.
"""

from __future__ import annotations

import argparse
import email
import os
import sys
import time
from email import policy
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SAMPLES = Path(os.environ.get("WOO_SAMPLES", ROOT.parent / "shared" / "samples"))


def read(raw: bytes, pol) -> int:
    msg = email.message_from_bytes(raw, policy=pol)
    n = 0
    for h in ("From", "To", "Subject", "Date"):
        n += len(str(msg.get(h, "")))
    for part in msg.walk():
        if not part.is_multipart():
            n += len(part.get_payload(decode=True) or b"")
    return n


def measure(mails: list[bytes], pol, rounds: int = 3) -> tuple[float, int]:
    best, errors = float("inf"), 0
    for _ in range(rounds):
        errors = 0
        t = time.perf_counter()
        for raw in mails:
            try:
                read(raw, pol)
            except Exception:
                errors += 1
        best = min(best, time.perf_counter() - t)
    return len(mails) / best, errors


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--synthetic", type=int, default=5000)
    args = ap.parse_args()
    real = [p.read_bytes() for p in sorted(SAMPLES.rglob("*.eml")) if p.is_file()]
    from woo_collector.synth import mails

    synthetic = [raw for raw, _t, _w in mails(args.synthetic, seed=5)]
    rows = []
    for name, corpus in (("real samples (.eml)", real), ("synthetic", synthetic)):
        if not corpus:
            rows.append((name, "none found", "", ""))
            continue
        c_rate, c_err = measure(corpus, policy.compat32)
        d_rate, d_err = measure(corpus, policy.default)
        rows.append((f"{name}, {len(corpus)} messages", f"compat32 {c_rate:.0f} msg/s ({c_err} raise)",
                     f"default {d_rate:.0f} msg/s ({d_err} raise)", f"compat32 {c_rate / d_rate:.1f}x faster"))
    print("\n".join(["### email policy: compat32 vs default", "", "| corpus | | | |", "| --- | --- | --- | --- |"]
                    + [f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows]))


if __name__ == "__main__":
    main()

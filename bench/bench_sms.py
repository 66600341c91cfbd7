"""Benchmark the SMS Backup & Restore reader on a generated backup.

    python bench/bench_sms.py [N] [--mms-every K] [--image-kb KB] [--tracemalloc]

Writes a backup of N messages (default 1,000,000: SMS in both directions with contact names,
``&#10;`` newlines, ``null`` fields and emoji, and every K-th message (default 200) an MMS with a
text part and a base64 image of KB kilobytes (default 24)) to a temporary folder, runs the sms
connector over it to the end with a sink that hashes originals without holding them, and prints
messages/s, MB/s and the peak memory (the process's peak resident size, and with --tracemalloc the
peak of Python's heap, which slows the run down).
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import random
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path
from xml.sax.saxutils import quoteattr

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from connectors.base import Checkpoint, SourceSpec  # noqa: E402
from connectors.sms import SmsConnector  # noqa: E402
from woo_collector.models import Failure, Item  # noqa: E402

CONTACTS = [("+31612345678", "Sanne de Vries"), ("06-87654321", "Pieter van der Meulen"),
            ("+31201234567", "(Unknown)"), ("+32470123456", "Wethouder Jansen"), ("1234", "null")]
TEXTS = [
    "Goedemorgen, staat het overleg over de windturbines nog?",
    "Ja, om 10 uur in de raadzaal.",
    "Kun je de stukken rondsturen?\nDe begroting zit er ook bij.\n\nGroet",
    "Prima \U0001F44D",
    "Bel me even als je kunt",
]


class HashingSink:
    """Keeps nothing: hashes what it is given, streaming files, as the real store does."""

    def __init__(self) -> None:
        self.kept = 0

    def keep(self, data, name: str = "") -> str:
        h = hashlib.sha256()
        if isinstance(data, (str, Path)):
            with open(data, "rb") as f:
                for chunk in iter(lambda: f.read(1 << 20), b""):
                    h.update(chunk)
        else:
            h.update(data)
        self.kept += 1
        return h.hexdigest()

    def state(self, key: str) -> None:
        return None


def generate(path: Path, n: int, mms_every: int, image_kb: int) -> int:
    """Write a backup of n messages; return the number of MMS."""
    rnd = random.Random(1)
    image = base64.b64encode(rnd.randbytes(image_kb * 1024)).decode()
    t = 1_700_000_000_000
    mms = 0
    with open(path, "w", encoding="utf-8") as f:
        f.write("<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n"
                '<?xml-stylesheet type="text/xsl" href="sms.xsl"?>\n'
                f'<smses count="{n}" backup_set="bench" backup_date="{t}" type="full">\n')
        for i in range(n):
            t += rnd.randint(1000, 90_000)
            number, name = rnd.choice(CONTACTS)
            text = quoteattr(rnd.choice(TEXTS)).replace("\n", "&#10;")
            if mms_every and i % mms_every == mms_every - 1:
                mms += 1
                box = rnd.choice("12")
                f.write(f'  <mms date="{t}" ct_t="application/vnd.wap.multipart.related" msg_box="{box}" '
                        f'address="{number}" m_id="null" sub="null" read="1" contact_name="{name}">\n'
                        '    <parts>\n'
                        '      <part seq="-1" ct="application/smil" name="null" text="&lt;smil&gt;&lt;/smil&gt;" />\n'
                        f'      <part seq="0" ct="image/jpeg" name="IMG_{i}.jpg" cl="IMG_{i}.jpg" text="null" '
                        f'data="{image}" />\n'
                        f'      <part seq="0" ct="text/plain" name="text.txt" text={text} />\n'
                        '    </parts>\n    <addrs>\n'
                        f'      <addr address="{number}" type="{137 if box == "1" else 151}" charset="106" />\n'
                        f'      <addr address="+31699999999" type="{151 if box == "1" else 137}" charset="106" />\n'
                        '    </addrs>\n  </mms>\n')
            else:
                f.write(f'  <sms protocol="0" address="{number}" date="{t}" type="{rnd.choice("12")}" subject="null" '
                        f'body={text} toa="null" sc_toa="null" service_center="null" read="1" status="-1" '
                        f'locked="0" date_sent="0" sub_id="-1" contact_name="{name}" />\n')
        f.write("</smses>\n")
    return mms


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=1_000_000)
    ap.add_argument("--mms-every", type=int, default=200)
    ap.add_argument("--image-kb", type=int, default=24)
    ap.add_argument("--tracemalloc", action="store_true")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "sms-20250311093000.xml"
        t0 = time.perf_counter()
        mms = generate(path, args.n, args.mms_every, args.image_kb)
        size = path.stat().st_size
        print(f"generated {args.n:,} messages ({mms:,} MMS with a {args.image_kb} KB image), "
              f"{size / 1e6:,.0f} MB in {time.perf_counter() - t0:.1f} s")
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        if args.tracemalloc:
            tracemalloc.start()
        sink = HashingSink()
        conn = SmsConnector(SourceSpec("bench", "sms", str(path), "Piet"), sink)
        items = failures = 0
        t0 = time.perf_counter()
        for y in conn.collect():
            if isinstance(y, Item):
                items += 1
            elif isinstance(y, Failure):
                failures += 1
            elif not isinstance(y, Checkpoint):
                raise AssertionError(y)
        dt = time.perf_counter() - t0
        peak_heap = tracemalloc.get_traced_memory()[1] if args.tracemalloc else 0
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
        print(f"parsed {items:,} messages ({failures} failures, {sink.kept:,} originals kept) in {dt:.1f} s: "
              f"{items / dt:,.0f} messages/s, {size / 1e6 / dt:,.1f} MB/s")
        print(f"peak resident memory {rss / 1024:,.0f} MiB (before parsing {rss_before / 1024:,.0f} MiB)"
              + (f", peak Python heap {peak_heap / 2**20:,.1f} MiB" if args.tracemalloc else ""))
        if items != args.n:
            sys.exit(f"expected {args.n} messages, got {items}")


if __name__ == "__main__":
    main()

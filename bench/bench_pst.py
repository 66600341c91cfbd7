"""Benchmark of the pst connector: messages per second and peak memory.

No tool writes PST files on Linux, so by default this reads the largest PST among the samples
(``../shared/samples/ingest-file/tests/fixtures/testPST.pst``, 6 messages) many times over, each
pass a full run of the connector with a fresh state (the file is hashed, opened, walked folder by
folder, every message parsed into items). Give a real export with ``--pst`` to measure that
instead; its size then shows whether memory stays flat (it must not grow with the PST).

    python bench/bench_pst.py                  # the sample, 500 passes
    python bench/bench_pst.py --pst export.pst --repeat 1

The sink hashes originals in 1 MiB chunks and keeps nothing, like the store writing to disk.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from connectors.base import Checkpoint, SourceSpec  # noqa: E402
from connectors.pst import PstConnector  # noqa: E402
from woo_collector.models import Failure, Item  # noqa: E402

DEFAULT = ROOT.parent / "shared" / "samples" / "ingest-file" / "tests" / "fixtures" / "testPST.pst"


class HashingSink:
    """Keeps nothing: hashes what it is given in chunks, as a store would while copying."""

    def __init__(self) -> None:
        self.kept_bytes = 0

    def keep(self, data, name: str = "") -> str:
        h = hashlib.sha256()
        if isinstance(data, (bytes, bytearray)):
            h.update(data)
            self.kept_bytes += len(data)
            return h.hexdigest()
        stream = open(data, "rb") if isinstance(data, (str, Path)) else data
        try:
            while chunk := stream.read(1 << 20):
                h.update(chunk)
                self.kept_bytes += len(chunk)
        finally:
            if isinstance(data, (str, Path)):
                stream.close()
        return h.hexdigest()

    def state(self, key: str) -> str | None:
        return None


def run(pst: Path, repeat: int) -> dict:
    items = emails = failures = 0
    sink = HashingSink()
    start = time.perf_counter()
    for _ in range(repeat):
        conn = PstConnector(SourceSpec(name="bench", type="pst", path=str(pst), custodian="bench"), sink)
        for y in conn.collect():
            if isinstance(y, Item):
                items += 1
                emails += y.kind in ("email", "chat")
            elif isinstance(y, Failure):
                failures += 1
            elif not isinstance(y, Checkpoint):
                raise AssertionError(y)
    elapsed = time.perf_counter() - start
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # KiB on Linux
    return {
        "pst": str(pst), "pst_bytes": pst.stat().st_size, "passes": repeat, "messages": emails,
        "items": items, "failures": failures, "seconds": round(elapsed, 3),
        "messages_per_second": round(emails / elapsed, 1) if elapsed else 0.0,
        "peak_rss_mib": round(peak_kib / 1024, 1), "bytes_hashed": sink.kept_bytes,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pst", type=Path, default=DEFAULT, help="the PST or OST to read")
    ap.add_argument("--repeat", type=int, default=500, help="full passes over the file")
    args = ap.parse_args(argv)
    if not args.pst.exists():
        print(f"{args.pst} not found; give --pst", file=sys.stderr)
        return 1
    base = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    result = run(args.pst, args.repeat)
    result["rss_before_mib"] = round(base, 1)
    out = io.StringIO()
    for k, v in result.items():
        out.write(f"{k:>22}: {v}\n")
    print(out.getvalue(), end="")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Benchmark of the imap connector against a throwaway Dovecot on loopback.

    python bench/bench_imap.py [N] [--batch 100] [--folders 4] [--tls] [--tracemalloc]

Starts Dovecot with its own configuration in /tmp (tests/servers/dovecot.py; needs
``dovecot-imapd`` and root, as in the CI), writes N generated messages (default 10,000: plain
mails, some with an HTML alternative, one in ten with a small attachment, 2-12 kB each) straight
into the Maildirs of a test user spread over a few folders, then runs the connector over the whole
mailbox with a sink that hashes but keeps nothing, and prints messages/s, MB/s and the peak memory
(the process's peak resident size; with --tracemalloc also the peak of Python's heap). A second run
with the saved checkpoints shows the cost of a nightly run with nothing new.
"""

from __future__ import annotations

import argparse
import base64
import hashlib
import os
import random
import resource
import sys
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from connectors.base import Checkpoint, SourceSpec  # noqa: E402
from connectors.imap import ImapConnector  # noqa: E402
from servers.dovecot import DOVECOT, DovecotServer  # noqa: E402
from woo_collector.models import Failure, Item  # noqa: E402

WORDS = ("gemeente raad wethouder subsidie vergunning windturbine bestemmingsplan inspraak burger "
         "verslag agenda besluit motie begroting zienswijze bezwaar college overleg planning").split()


class HashingSink:
    """Keeps nothing: hashes what it is given, as a store would while writing it to disk."""

    def __init__(self) -> None:
        self.states: dict[str, str] = {}
        self.kept_bytes = 0

    def keep(self, data, name: str = "") -> str:
        self.kept_bytes += len(data)
        return hashlib.sha256(data).hexdigest()

    def state(self, key: str) -> str | None:
        return self.states.get(key)


def message(n: int, rng: random.Random) -> bytes:
    words = " ".join(rng.choice(WORDS) for _ in range(rng.randint(200, 1500)))
    head = (
        f"From: Medewerker {n % 97} <m{n % 97}@gemeente.example>\r\n"
        f"To: griffie@gemeente.example\r\nSubject: Bericht {n} over {rng.choice(WORDS)}\r\n"
        f"Date: Tue, 11 Mar 2025 {n % 24:02d}:{n % 60:02d}:00 +0100\r\n"
        f"Message-ID: <bench{n}@gemeente.example>\r\nMIME-Version: 1.0\r\n"
    )
    text = "\r\n".join(words[i: i + 76] for i in range(0, len(words), 76))
    if n % 10 == 0:
        att = base64.encodebytes(f"notitie {n}\n{words[:500]}\n".encode()).decode().replace("\n", "\r\n")
        return (head + 'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
                "--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
                '--b\r\nContent-Type: text/plain; name="notitie.txt"\r\nContent-Disposition: attachment; filename="notitie.txt"\r\n'
                "Content-Transfer-Encoding: base64\r\n\r\n" + att + "--b--\r\n").encode()
    if n % 3 == 0:
        return (head + 'Content-Type: multipart/alternative; boundary="a"\r\n\r\n'
                "--a\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n"
                "--a\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<html><body><p>" + text + "</p></body></html>\r\n--a--\r\n").encode()
    return (head + "Content-Type: text/plain; charset=utf-8\r\n\r\n" + text + "\r\n").encode()


def run(server: DovecotServer, user: str, port: int, tls: str, sink: HashingSink, batch: int) -> dict:
    spec = SourceSpec(name="bench", type="imap", custodian="Griffie", settings={
        "host": "127.0.0.1", "port": str(port), "tls": tls, "user": user, "password_env": "WOO_BENCH_IMAP_PW",
        "batch": str(batch), "ca_file": str(server.cert),
    })
    c = ImapConnector(spec, sink)
    counts = {"emails": 0, "attachments": 0, "failures": 0}
    t0 = time.perf_counter()
    for y in c.collect():
        if isinstance(y, Item):
            counts["emails" if y.kind == "email" else "attachments"] += 1
        elif isinstance(y, Failure):
            counts["failures"] += 1
        elif isinstance(y, Checkpoint):
            sink.states[y.key] = y.value
    counts["seconds"] = time.perf_counter() - t0
    counts["fetch_commands"] = c.fetch_commands
    return counts


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("n", nargs="?", type=int, default=10_000)
    ap.add_argument("--batch", type=int, default=100)
    ap.add_argument("--folders", type=int, default=4)
    ap.add_argument("--tls", action="store_true", help="IMAPS with the test certificate instead of plain loopback")
    ap.add_argument("--tracemalloc", action="store_true", help="also measure the peak of Python's heap (slower)")
    args = ap.parse_args()
    if not Path(DOVECOT).exists():
        sys.exit(f"{DOVECOT} is not installed (apt-get install dovecot-imapd)")

    server = DovecotServer().start()
    try:
        user, password = server.new_user()
        os.environ["WOO_BENCH_IMAP_PW"] = password
        rng = random.Random(7)
        t0 = time.perf_counter()
        names = ["INBOX"] + [f"Archief{i}" for i in range(1, args.folders)]
        total_bytes = 0
        for f, name in enumerate(names):
            msgs = [message(n, rng) for n in range(f, args.n, len(names))]
            total_bytes += sum(len(m) for m in msgs)
            server.write_maildir(user, name, msgs)
        print(f"wrote {args.n} messages ({total_bytes / 1e6:.1f} MB) in {len(names)} folders in {time.perf_counter() - t0:.1f} s")

        port, tls = (server.tls_port, "ssl") if args.tls else (server.port, "none")
        sink = HashingSink()
        if args.tracemalloc:
            tracemalloc.start()
        first = run(server, user, port, tls, sink, args.batch)
        heap = f", {tracemalloc.get_traced_memory()[1] / 2**20:.1f} MiB Python heap at its peak" if args.tracemalloc else ""
        tracemalloc.stop()
        second = run(server, user, port, tls, sink, args.batch)
        rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        rate = first["emails"] / first["seconds"]
        print(f"first run ({tls}): {first['emails']} e-mails + {first['attachments']} attachments, {first['failures']} failures, "
              f"{first['fetch_commands']} FETCH commands in {first['seconds']:.1f} s: {rate:,.0f} messages/s, "
              f"{sink.kept_bytes / 1e6 / first['seconds']:.1f} MB/s" + (" (tracemalloc on)" if args.tracemalloc else ""))
        print(f"second run (nothing new): {second['emails']} e-mails, {second['fetch_commands']} FETCH commands in {second['seconds']:.2f} s")
        print(f"peak memory: {rss:.0f} MiB resident (whole process){heap}")
        if first["emails"] != args.n or second["emails"] != 0:
            sys.exit("unexpected counts")
    finally:
        server.stop()


if __name__ == "__main__":
    main()

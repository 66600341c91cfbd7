"""Benchmark: write the disclosure package of a generated request of 2,000 documents.

Mixed mail (a third with an attachment) and chat days (5 to 40 messages), with names, phone
numbers and BSNs redacted, a few withheld and already public documents. Reports the time of
``write_package`` (leak guard included), the time of the leak guard alone, the package size and
the peak resident memory of the process.

    python bench/bench_export.py [--documents 2000] [--out /tmp/woo-bench/pkg] [--seed 7] [--pdf]
"""

from __future__ import annotations

import argparse
import random
import resource
import shutil
import sys
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from exports import write_package  # noqa: E402
from exports.leakguard import scan_package  # noqa: E402
from exports.render import Redactor  # noqa: E402
from woo_collector.documents import Document, Redaction, RequestInfo  # noqa: E402
from woo_collector.models import Item  # noqa: E402

FIRST = ["Pieter", "Anna", "Jeroen", "Fatima", "Sanne", "Mohamed", "Lotte", "Daan", "Eva", "Bram", "Noor", "Sem"]
LAST = ["de Vries", "Jansen", "Bakker", "Visser", "Smit", "Meijer", "de Boer", "Mulder", "Bos", "Vos", "Peters", "Hendriks"]
WORDS = ("windturbine vergunning bewoners overleg planning geluid slagschaduw raad wethouder notitie "
         "subsidie bestemmingsplan zienswijze participatie informatieavond netbeheerder").split()


def bsn(rng: random.Random) -> str:
    while True:
        digits = [rng.randint(0, 9) for _ in range(8)]
        total = sum(d * w for d, w in zip(digits, range(9, 1, -1)))
        last = total % 11
        if last < 10:
            return "".join(map(str, digits + [last]))


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + "."


def with_personal_data(rng, item_id, field, parts):
    """Join text parts; (text, category, ground) tuples become redactions at their offsets."""
    text, reds = "", []
    for p in parts:
        if isinstance(p, tuple):
            value, cat, ground = p
            reds.append(Redaction(item_id, field, len(text), len(text) + len(value), value, cat, ground,
                                  key=f"{item_id}-{field}-{len(text)}"))
            p = value
        text += p
    return text, reds


def mail(rng, n, when, people):
    a, b = rng.sample(people, 2)
    phone = f"06-{rng.randint(10000000, 99999999)}"
    parts = [f"Beste {b.split()[0]},\n\n"]
    for _ in range(rng.randint(3, 12)):
        parts.append(sentence(rng, rng.randint(8, 25)) + " ")
        if rng.random() < 0.3:
            parts += ["Bel ", (a, "name", "5.1.2e"), " op ", (phone, "phone", "5.1.2e"), ". "]
        if rng.random() < 0.05:
            parts += ["BSN ", (bsn(rng), "bsn", "5.1.1e"), ". "]
        parts.append("\n\n")
    parts += ["Met vriendelijke groet,\n", (a, "name", "5.1.2e")]
    item_id = f"m{n}"
    body, reds = with_personal_data(rng, item_id, "body", parts)
    sender, sreds = with_personal_data(rng, item_id, "sender", [(a, "name", "5.1.2e")])
    item = Item(id=item_id, kind="email", source="mail", custodian="bench", sha256=f"{n:064x}", sent=when,
                sender=sender, recipients=("Wethouder K. Smit",), subject=f"Windpark: {sentence(rng, 4)}", body=body)
    return item, reds + sreds


def chat(rng, n, when, people):
    talkers = rng.sample(people, 3)
    items, reds = [], []
    for k in range(rng.randint(5, 40)):
        who = rng.choice(talkers)
        item_id = f"c{n}-{k}"
        parts = [sentence(rng, rng.randint(3, 18))]
        if rng.random() < 0.2:
            parts += [" Vraag het ", (rng.choice(talkers), "name", "5.1.2e"), "."]
        body, r = with_personal_data(rng, item_id, "body", parts)
        sender, s = with_personal_data(rng, item_id, "sender", [(who, "name", "5.1.2e")])
        items.append(Item(id=item_id, kind="chat", source="whatsapp", custodian="bench", sha256=f"{n:064x}",
                          sent=when + timedelta(minutes=7 * k), sender=sender, body=body, subject="Windpark app",
                          conversation="wa", locator=f"regel {k}"))
        reds += r + s
    return tuple(items), reds


def generate(count: int, seed: int) -> list[Document]:
    rng = random.Random(seed)
    people = [f"{first} {last}" for first in FIRST for last in LAST]
    docs: list[Document] = []
    start = datetime(2025, 1, 6, 8, 0, tzinfo=timezone.utc)
    n = 0
    while len(docs) < count:
        n += 1
        when = start + timedelta(hours=3 * n)
        decision = rng.choices(["deels openbaar", "openbaar", "niet openbaar", "reeds openbaar"], [70, 20, 7, 3])[0]
        if rng.random() < 0.6:
            item, reds = mail(rng, n, when, people)
            docs.append(Document(str(n), str(n), "email", "email", when, item.subject, (item,), thread=f"t{n}",
                                 decision=decision, grounds=("5.1.2e",), redactions=tuple(reds)))
            if rng.random() < 0.33 and len(docs) < count:
                att = Item(id=f"a{n}", kind="attachment", source="mail", custodian="bench", sha256=f"{n + 10**6:064x}",
                           sent=when, subject=f"notitie-{n}.pdf", parent=item.id,
                           body="\n".join(sentence(rng, 20) for _ in range(rng.randint(5, 40))))
                docs.append(Document(f"{n}.1", str(n), "attachment", "pdf", when, att.subject, (att,),
                                     thread=f"t{n}", decision="openbaar"))
        else:
            items, reds = chat(rng, n, when, people)
            docs.append(Document(str(n), str(n), "chat", "chat", when, f"Chat Windpark app, dag {n}", items,
                                 thread="wa", decision=decision, grounds=("5.1.2e",), redactions=tuple(reds)))
    return docs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--documents", type=int, default=2000)
    ap.add_argument("--out", type=Path, default=Path("/tmp/woo-bench/pkg"))
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--pdf", action="store_true", help="also convert every docx with LibreOffice")
    args = ap.parse_args()
    t0 = time.perf_counter()
    docs = generate(args.documents, args.seed)
    t1 = time.perf_counter()
    info = RequestInfo(id="BENCH-1", subject="windpark", query="windpark", period_from=date(2025, 1, 1),
                       period_to=date(2025, 12, 31), organisation="Gemeente Bench")
    shutil.rmtree(args.out, ignore_errors=True)
    result = write_package(info, docs, args.out, organisation="Gemeente Bench", tool_version="bench",
                           pdf=args.pdf)
    t2 = time.perf_counter()
    hits = scan_package(args.out, Redactor(docs).needles)
    t3 = time.perf_counter()
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    items = sum(len(d.items) for d in docs)
    reds = sum(len(d.redactions) for d in docs)
    print(f"documents {len(docs)} (items {items}, redactions {reds}), generated in {t1 - t0:.1f} s")
    print(f"write_package: {t2 - t1:.1f} s ({result.parts} parts, {len(result.files)} files, {size / 1e6:.1f} MB)")
    print(f"leak guard alone (second scan): {t3 - t2:.1f} s, hits {len(hits)}")
    print(f"peak resident memory: {peak:.0f} MB")


if __name__ == "__main__":
    main()

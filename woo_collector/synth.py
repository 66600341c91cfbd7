"""Synthetic Dutch mail in any quantity, for tests and benchmarks (deterministic per seed)."""

from __future__ import annotations

import os
import random
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from pathlib import Path
from typing import Iterator

FIRST = ["Sanne", "Pieter", "Fatima", "Henk", "Ayşe", "Daan", "Noor", "Mohamed", "Lotte", "Bram", "Emma", "Sem", "Yara", "Thijs"]
LAST = ["de Vries", "van der Meulen", "El Amrani", "Jansen", "Yılmaz", "Bakker", "Visser", "Smit", "de Boer", "Mulder", "Bos"]
TOPICS = ["windturbines", "begroting", "parkeervergunning", "zonnepanelen", "jeugdzorg", "bestemmingsplan", "afvalinzameling",
          "fietspad", "subsidie", "evenementenvergunning"]
WORDS = ("de het een en van in op te dat die voor met is niet aan er om zijn ook als bij door naar over nog "
         "gemeente college raad wethouder inwoners vergadering besluit planning overleg advies project locatie "
         "aanvraag reactie bewoners informatie onderzoek rapport geluid afstand kosten uitvoering").split()
DISCLAIMER = ("Dit bericht is uitsluitend bestemd voor de geadresseerde. Als u dit bericht per abuis ontvangt, "
              "wordt u verzocht het te verwijderen en de afzender te informeren.")


def mail_bytes(n: int, rnd: random.Random, start: datetime, span_days: int = 730) -> tuple[bytes, str, datetime]:
    """One realistic mail: (raw bytes, topic, sent time)."""
    sender = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
    to = f"{rnd.choice(FIRST)} {rnd.choice(LAST)}"
    topic = rnd.choice(TOPICS)
    when = start + timedelta(minutes=rnd.randrange(span_days * 24 * 60))
    body = " ".join(rnd.choice(WORDS) for _ in range(rnd.randrange(40, 200)))
    body = f"Beste {to.split()[0]},\n\nOver de {topic}: {body}.\n\nMet vriendelijke groet,\n{sender}\n\n{DISCLAIMER}\n"
    addr = lambda name: name.lower().replace(" ", ".").replace("ş", "s").replace("ı", "i") + "@voorbeeld.nl"  # noqa: E731
    raw = (f"From: {sender} <{addr(sender)}>\nTo: {to} <{addr(to)}>\nSubject: {topic.capitalize()} ({n})\n"
           f"Date: {format_datetime(when)}\nMessage-ID: <synth-{n}@voorbeeld.nl>\nMIME-Version: 1.0\n"
           f"Content-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: 8bit\n\n{body}").encode("utf-8")
    return raw, topic, when


def mails(count: int, seed: int = 1, start: datetime = datetime(2024, 1, 1, tzinfo=timezone.utc)) -> Iterator[tuple[bytes, str, datetime]]:
    rnd = random.Random(seed)
    for n in range(count):
        yield mail_bytes(n, rnd, start)


def write_mbox(path: Path, count: int, seed: int = 1) -> None:
    with open(path, "wb") as f:
        for raw, _topic, when in mails(count, seed):
            f.write(f"From synth@voorbeeld.nl {when:%a %b %d %H:%M:%S %Y}\n".encode())
            f.write(raw.replace(b"\nFrom ", b"\n>From "))
            f.write(b"\n")


def write_maildir(path: Path, count: int, seed: int = 1) -> None:
    for sub in ("cur", "new", "tmp"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    for n, (raw, _topic, _when) in enumerate(mails(count, seed)):
        with open(path / "cur" / f"{1700000000 + n}.M{n}P{os.getpid()}.synth:2,S", "wb") as f:
            f.write(raw)

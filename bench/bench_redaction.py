"""Benchmark of personal-data detection: ours against deduce and Presidio's pattern recognizers.

Usage::

    python bench/bench_redaction.py                 # 50 MB of generated mixed text, all engines found
    python bench/bench_redaction.py --mb 5 --engines ours

Every engine runs in its own process (so start-up time and peak memory are its own):

- start-up: from interpreter start to the first analysed text (imports, word lists, models);
- throughput: MB of UTF-8 text per CPU second (one core, process time, so other load on the
  machine does not count), over generated mixed text (e-mails,
  chats, memos with names, numbers and addresses among ordinary prose), analysed document by
  document; deduce and Presidio get a smaller slice (``--other-mb``) because they are slower;
- peak memory: the process's maximum resident set size;
- precision and recall per category on ``tests/redaction/eval_set.jsonl`` (same scoring as the
  acceptance test: a labelled span counts when covered completely by the same category).

Category mapping for the others: deduce ``persoon``/``patient`` -> name, ``locatie`` -> address and
postcode, ``datum`` -> birthdate, ``id`` -> bsn and iban, ``telefoonnummer``, ``emailadres``,
``url``, ``bsn`` as such; Presidio ``EMAIL_ADDRESS``, ``PHONE_NUMBER``, ``IBAN_CODE``,
``IP_ADDRESS``, ``URL``, ``DATE_TIME`` -> birthdate. Presidio's person names need a spaCy model
(not downloaded here), so Presidio runs with its pattern recognizers only and finds no names;
it has no Dutch BSN, postcode or plate recognizer.

deduce and presidio-analyzer are optional and not dependencies of woo-collector; install them
in a separate environment to compare (``pip install deduce presidio-analyzer``).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "redaction"))

ENGINES = ("ours", "ours-noknown", "deduce", "presidio")
PROSE = [
    "Het college heeft besloten de aanvraag in behandeling te nemen en de termijn met twee weken te verlengen.",
    "In de bijlage vindt u het concept van de notitie over de herinrichting van het centrumgebied.",
    "De raad wordt in de commissie van juni geïnformeerd over de voortgang van het project.",
    "Naar aanleiding van het overleg van dinsdag sturen wij u de afspraken en actiepunten toe.",
    "De kosten voor het onderhoud van de openbare ruimte zijn in de begroting van 2024 opgenomen.",
    "Wij verzoeken u de stukken uiterlijk vrijdag te retourneren aan de afdeling Vergunningen.",
    "De geluidsmetingen worden uitgevoerd door een onafhankelijk bureau uit Den Haag.",
    "Er is nog geen besluit genomen over de locatie van de nieuwe sporthal in Dijkstad.",
    "ok top, dan zie ik jullie morgen om negen uur bij het stadhuis",
    "kun je de stukken nog even doorsturen? ik kan ze niet vinden in de map",
]


def _valid_bsn(rng: random.Random) -> str:
    from stdnum.nl import bsn

    while True:
        n = f"{rng.randrange(10_000_000, 999_999_999):09d}"
        if bsn.is_valid(n):
            return n


def _iban(rng: random.Random) -> str:
    bban = rng.choice(["ABNA", "INGB", "RABO", "TRIO"]) + f"{rng.randrange(10**9, 10**10)}"
    num = "".join(str(int(c, 36)) for c in bban + "NL00")
    return f"NL{98 - int(num) % 97:02d}{bban}"


def generate(mb: float, seed: int = 2024):
    """Yield generated mixed documents until ``mb`` megabytes of UTF-8 text are produced."""
    from woo_collector.redaction.lexicon import words

    rng = random.Random(seed)
    firsts = sorted(n.title() for n in words("first_names"))
    surs = sorted(n.title() for n in words("surnames"))
    tvs = ["", "", "", "van ", "de ", "van der ", "van den "]
    streets = ["Kerkstraat", "Molenweg", "Lindenlaan", "Dorpsstraat", "Parkweg", "Beukenlaan", "Zeemanlaan"]
    target = int(mb * 1_000_000)
    made = 0
    while made < target:
        f, s, tv = rng.choice(firsts), rng.choice(surs), rng.choice(tvs)
        f2, s2 = rng.choice(firsts), rng.choice(surs)
        name = f"{f} {tv}{s}"
        mail = f"{f[0].lower()}.{(tv + s).replace(' ', '').lower()}@dijkstad.nl"
        prose = " ".join(rng.choice(PROSE) for _ in range(rng.randrange(3, 9)))
        kind = rng.randrange(3)
        if kind == 0:
            doc = (f"Van: {name} <{mail}>\nAan: {f2} {s2} <{f2.lower()}.{s2.lower()}@gmail.com>\n"
                   f"Onderwerp: aanvraag {rng.randrange(1000, 9999)}\n\nBeste {f2},\n\n{prose}\n"
                   f"Mevrouw {s2} woont op de {rng.choice(streets)} {rng.randrange(1, 200)}, "
                   f"{rng.randrange(1000, 9999)} {rng.choice('BCDFGHJKLMNPRT')}{rng.choice('BCDFGHJKLMNPRT')} Dijkstad, "
                   f"BSN {_valid_bsn(rng)}, rekening {_iban(rng)}, tel 06-{rng.randrange(10**7, 10**8)}.\n\n"
                   f"Met vriendelijke groet,\n\n{name}\n")
        elif kind == 1:
            lines = [f"[12-03-2024 09:{m:02d}] {rng.choice([name, f2 + ' ' + s2])}: {rng.choice(PROSE).lower()}"
                     for m in range(rng.randrange(4, 12))]
            doc = "\n".join(lines) + f"\n[12-03-2024 10:00] {name}: bel me op +31 6 {rng.randrange(10**7, 10**8)}\n"
        else:
            doc = f"Notitie\n\n{prose}\n\n{prose}\n"
        made += len(doc.encode("utf-8"))
        yield doc


# engines ----------------------------------------------------------------------------------
def make_engine(name: str):
    """(predict(record) -> spans, detect(text)) for one engine; imports happen here."""
    if name in ("ours", "ours-noknown"):
        import eval_metrics as em

        from woo_collector.redaction import Analyzer, Policy

        plain = Analyzer(Policy(org_domains=em.ORG_DOMAINS))

        def predict(rec):
            known = rec["known_people"] if name == "ours" else ()
            a = Analyzer(Policy(keep=rec["keep"], org_domains=em.ORG_DOMAINS, keep_numbers=em.KEEP_NUMBERS),
                         known_people=known)
            return [(f.start, f.end, f.category) for f in a.analyze(rec["text"])]

        return predict, plain.analyze
    if name == "deduce":
        from deduce import Deduce

        d = Deduce()
        mapping = {"persoon": ["name"], "patient": ["name"], "locatie": ["address", "postcode"],
                   "datum": ["birthdate"], "id": ["bsn", "iban"], "telefoonnummer": ["phone"],
                   "emailadres": ["email"], "url": ["url"], "bsn": ["bsn"]}

        def predict(rec):
            doc = d.deidentify(rec["text"])
            return [(a.start_char, a.end_char, c) for a in doc.annotations for c in mapping.get(a.tag, [])]

        return predict, d.deidentify
    if name == "presidio":
        from presidio_analyzer.predefined_recognizers import (
            DateRecognizer,
            EmailRecognizer,
            IbanRecognizer,
            IpRecognizer,
            PhoneRecognizer,
            UrlRecognizer,
        )

        recs = [EmailRecognizer(), IbanRecognizer(), IpRecognizer(), UrlRecognizer(), DateRecognizer(),
                PhoneRecognizer(supported_regions=("NL", "BE", "DE", "GB", "US"))]
        mapping = {"EMAIL_ADDRESS": "email", "PHONE_NUMBER": "phone", "IBAN_CODE": "iban", "IP_ADDRESS": "ip",
                   "URL": "url", "DATE_TIME": "birthdate"}

        def detect(text):
            out = []
            for r in recs:
                out += r.analyze(text, r.supported_entities, None) or []
            return out

        def predict(rec):
            return [(r.start, r.end, mapping[r.entity_type]) for r in detect(rec["text"])
                    if r.entity_type in mapping and r.score >= 0.4]

        return predict, detect
    raise SystemExit(f"unknown engine {name}")


def worker(engine: str, mb: float) -> dict:
    t0 = float(os.environ.get("BENCH_T0", time.time()))
    predict, detect = make_engine(engine)
    detect("Beste Sanne, bel 06-12345678.")
    startup = time.time() - t0
    import eval_metrics as em

    records = em.load()
    size = sum(len(r["text"].encode("utf-8")) for r in records)
    t = time.process_time()
    result = em.score(records, predict)
    eval_s = time.process_time() - t
    result.pop("_misses", None)
    total = 0
    bulk_s = 0.0
    for d in generate(mb):  # streamed: only detection is timed, and only one document is held
        total += len(d.encode("utf-8"))
        t = time.process_time()
        detect(d)
        bulk_s += time.process_time() - t
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"engine": engine, "startup_s": startup, "eval_mb_s": size / 1e6 / eval_s, "bulk_mb": total / 1e6,
            "bulk_mb_s": total / 1e6 / bulk_s, "peak_rss_mb": rss, "eval": result}


def available(engine: str) -> bool:
    mod = {"deduce": "deduce", "presidio": "presidio_analyzer"}.get(engine)
    if mod is None:
        return True
    import importlib.util

    return importlib.util.find_spec(mod) is not None


def render(results: list[dict]) -> str:
    cats = ["name", "email", "phone", "bsn", "iban", "postcode", "address", "plate", "birthdate", "ip", "url", "special"]
    head = f"| {'':22} | " + " | ".join(f"{r['engine']:>14}" for r in results) + " |"
    sep = "|" + "-" * 24 + "|" + "|".join("-" * 16 for _ in results) + "|"
    rows = [head, sep]
    for c in cats:
        cells = []
        for r in results:
            e = r["eval"].get(c)
            cells.append(f"{'P %.2f R %.2f' % (e['precision'], e['recall']) if e and e['pred'] else 'R 0.00 (none)':>14}")
        gold = next((r["eval"][c]["gold"] for r in results if c in r["eval"]), 0)
        rows.append(f"| {c + f' ({gold})':22} | " + " | ".join(cells) + " |")
    for key, label, fmt in (("eval_mb_s", "eval set MB/s", "%.2f"), ("bulk_mb_s", "bulk MB/s (1 core)", "%.2f"),
                            ("bulk_mb", "bulk MB analysed", "%.1f"), ("startup_s", "start-up s", "%.2f"),
                            ("peak_rss_mb", "peak RSS MB", "%.0f")):
        rows.append(f"| {label:22} | " + " | ".join(f"{fmt % r[key]:>14}" for r in results) + " |")
    return "\n".join(rows)


def main(argv=None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--mb", type=float, default=50.0, help="MB of generated text for our engine")
    ap.add_argument("--other-mb", type=float, default=1.0, help="MB of generated text for deduce/presidio")
    ap.add_argument("--engines", default=",".join(ENGINES))
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        print(json.dumps(worker(args.worker, args.mb)))
        return
    results = []
    for engine in args.engines.split(","):
        if not available(engine):
            print(f"{engine}: not installed, skipped", file=sys.stderr)
            continue
        mb = args.mb if engine == "ours" else (min(args.mb, 5.0) if engine == "ours-noknown" else args.other_mb)
        env = dict(os.environ, BENCH_T0=repr(time.time()))
        proc = subprocess.run([sys.executable, __file__, "--worker", engine, "--mb", str(mb)],
                              capture_output=True, text=True, env=env)
        if proc.returncode != 0:
            print(f"{engine}: failed\n{proc.stderr[-2000:]}", file=sys.stderr)
            continue
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
        print(f"{engine}: done", file=sys.stderr)
    print(render(results))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Precision and recall per category, side by side, on tests/redaction/eval_set.jsonl (written by
the project) and tests/redaction/dev_set.jsonl (public Dutch text, see dev_source.txt), with the
same scoring as tests/redaction/test_eval.py, for:

  rules        the rule layer alone (Analyzer without layers)
  rules+frog   the analyzer with the Frog layer (woo_collector.redaction.frog, its shared server)
  frog         Frog alone: the Frog layer's person (PER) findings, nothing else
  deduce       deduce 3.0.6 (UMC Utrecht) in its own venv, as a subprocess (bench/deduce_runner.py);
               its tags mapped to our categories (DEDUCE_CATEGORIES)

with speed (whitespace tokens/s of the texts, start-up left out and reported apart) and peak memory.
Then the rule layer's misses on the dev set by kind, and its most frequent false positives.

    python bench/eval_ner.py [--sets eval,dev] [--systems rules,rules+frog,frog,deduce] [--markdown]

deduce: DEDUCE_PYTHON (default /work/venv-deduce/bin/python), set up once with
    python -m venv /work/venv-deduce && /work/venv-deduce/bin/pip install deduce==3.0.6
A system that cannot run (no Frog, no deduce venv) is reported as such and left out.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.bench_ner import Sampler  # noqa: E402
from tests.redaction import eval_metrics as em  # noqa: E402
from woo_collector.redaction import Analyzer, Policy  # noqa: E402
from woo_collector.redaction import frog  # noqa: E402
from woo_collector.redaction.lexicon import tussenvoegsels, words  # noqa: E402

SETS = {"eval": em.EVAL_SET, "dev": em.HERE / "dev_set.jsonl"}
DEDUCE_PYTHON = os.environ.get("DEDUCE_PYTHON", "/work/venv-deduce/bin/python")
# deduce's annotation tags -> our categories; tags not listed (leeftijd, id, instelling, ...) are dropped.
# "locatie" is any location (places as well as street + number), "datum" any date (not only births).
DEDUCE_CATEGORIES = {"persoon": "name", "patient": "name", "telefoonnummer": "phone", "emailadres": "email",
                     "bsn": "bsn", "url": "url", "locatie": "address", "datum": "birthdate"}


def tokens(records: list[dict]) -> int:
    return sum(len(r["text"].split()) for r in records)


def analyzer_predict(layers):
    def predict(rec):
        policy = Policy(keep=tuple(rec["keep"]), org_domains=em.ORG_DOMAINS, keep_numbers=em.KEEP_NUMBERS)
        analyzer = Analyzer(policy, known_people=rec["known_people"], layers=layers)
        return [(f.start, f.end, f.category) for f in analyzer.analyze(rec["text"])]
    return predict


def run_rules(records):
    t = time.perf_counter()
    result = em.score(records, analyzer_predict([]))
    return result, time.perf_counter() - t


def run_frog(records, sampler):
    """(rules+frog result, frog-only result, frog seconds, rules+frog seconds, start seconds)."""
    layer = frog.FrogLayer()
    t = time.perf_counter()
    layer.prepare(["Warm-up: Jan Jansen woont in Utrecht."])   # starts the server: start-up apart
    start = time.perf_counter() - t
    if layer.error:
        raise RuntimeError(f"Frog failed: {layer.error}")
    t = time.perf_counter()
    layer.prepare([r["text"] for r in records])
    t_frog = time.perf_counter() - t
    if layer.error:
        raise RuntimeError(f"Frog failed: {layer.error}")
    only = em.score(records, lambda rec: [(f.start, f.end, f.category) for f in layer.analyze(rec["text"])[0]])
    t = time.perf_counter()
    both = em.score(records, analyzer_predict([layer]))
    t_both = t_frog + time.perf_counter() - t
    return both, only, t_frog, t_both, start


def run_deduce(records):
    """(result, process seconds, load seconds, peak RSS kB) of deduce in its own venv."""
    if not Path(DEDUCE_PYTHON).exists():
        raise RuntimeError(f"no deduce venv at {DEDUCE_PYTHON} (see the docstring)")
    stdin = "".join(json.dumps(r["text"], ensure_ascii=False) + "\n" for r in records)
    proc = subprocess.run([DEDUCE_PYTHON, str(ROOT / "bench" / "deduce_runner.py")], input=stdin,
                          capture_output=True, text=True, check=False)
    lines = proc.stdout.splitlines()
    if proc.returncode != 0 or len(lines) != len(records) + 2:
        raise RuntimeError(f"deduce failed ({proc.returncode}): {proc.stderr.strip()[-500:]}")
    head, tail = json.loads(lines[0]), json.loads(lines[-1])
    spans = {r["id"]: [(s, e, DEDUCE_CATEGORIES[tag]) for s, e, tag, _ in json.loads(line)
                       if tag in DEDUCE_CATEGORIES] for r, line in zip(records, lines[1:-1])}
    result = em.score(records, lambda rec: spans[rec["id"]])
    return result, tail["process_s"], head["load_s"], tail["maxrss_kb"]


# --- why the rule layer misses a name -------------------------------------------------------------

FUNCTION_WORDS = {"de", "het", "een", "en", "of", "in", "op", "van", "voor", "met", "door", "bij", "aan", "naar",
                  "dat", "die", "om", "tot", "uit", "over", "als", "zei", "zegt", "is", "was", "heeft", "had"}


def miss_kind(text: str, s: int, e: int, pred: list[tuple[int, int, str]]) -> str:
    """One reason, the first that applies, for a name the rules did not (fully) box."""
    span = text[s:e]
    parts = span.split()
    partial = any(ps < e and s < pe and pc == "name" for ps, pe, pc in pred)
    before = re.findall(r"[\w.'-]+", text[max(0, text.rfind("\n", 0, s) + 1):s])
    prev = before[-1] if before else ""
    particles = {p.split()[0] for p in tussenvoegsels()}
    first_names = words("first_names") | words("first_names_sourced")
    if partial:
        return "partly boxed"
    if prev and prev[:1].isupper() and prev.lower() not in FUNCTION_WORDS and \
            (prev.lower() in words("titles") or prev.lower() in words("functions") or prev.isalpha()):
        return "capitalised word before the name (title, function, sentence start)"
    if any(p.lower() in particles and p[:1].isupper() for p in parts[1:]) or \
            (len(parts) > 1 and parts[0].lower() in particles and parts[0][:1].isupper()):
        return "capitalised particle (Van, De, Van den ...)"
    if len(parts) == 1:
        if span.lower() in first_names:
            return "given name alone (listed)"
        if re.fullmatch(r"\w+s", span) and span[:-1].lower() in first_names | words("surnames_sourced"):
            return "possessive (Leopolds)"
        return "one word, not a listed given name (surname alone, unlisted given name, pen name)"
    if re.fullmatch(r"(?:[A-Z]\.)+", parts[0]):
        return "initials + surname"
    if parts[0].lower() not in first_names:
        return "full name, given name not in the lists"
    if not before:
        return "name at the start of a line (heading, list item)"
    return "full name, given name listed"


def miss_report(records: list[dict]) -> str:
    predict = analyzer_predict([])
    kinds: Counter = Counter()
    examples: dict[str, Counter] = {}
    fps: Counter = Counter()
    for rec in records:
        text, pred = rec["text"], predict(rec)
        for s, e, cat in rec["spans"]:
            covered = [False] * (e - s)
            for ps, pe, pc in pred:
                if pc == cat:
                    for i in range(max(s, ps), min(e, pe)):
                        covered[i - s] = True
            if not all(ok or text[s + i].isspace() for i, ok in enumerate(covered)):
                kind = miss_kind(text, s, e, pred)
                kinds[kind] += 1
                examples.setdefault(kind, Counter())[text[s:e]] += 1
        for ps, pe, pc in pred:
            if pc == "name" and not any(ps < e and s < pe for s, e, _ in rec["spans"]):
                fps[text[ps:pe]] += 1
    lines = [f"rule layer, names missed on the dev set: {sum(kinds.values())}, by kind"]
    for kind, n in kinds.most_common():
        ex = ", ".join(f"{t} ({c})" if c > 1 else t for t, c in examples[kind].most_common(12))
        lines.append(f"  {n:4d}  {kind}: {ex}")
    missed = Counter()
    for kind, ex in examples.items():
        for t, c in ex.items():
            missed[(t, kind)] += c
    lines.append("the 30 most frequent misses (name, times, kind):")
    lines += [f"  {t} ({c}) - {k}" for (t, k), c in missed.most_common(30)]
    lines.append(f"rule layer, false positives on the dev set: {sum(fps.values())}; most frequent:")
    lines.append("  " + "; ".join(f"{t} ({c})" if c > 1 else t for t, c in fps.most_common(40)))
    return "\n".join(lines)


def table(name: str, records: list[dict], results: dict[str, dict], markdown: bool) -> str:
    systems = list(results)
    cats = sorted({c for r in results.values() for c in r if not c.startswith("_") and r[c]["gold"]})
    gold = {c: next(r[c]["gold"] for r in results.values() if c in r) for c in cats}
    if markdown:
        head = "| category | gold | " + " | ".join(f"{s} P | {s} R" for s in systems) + " |"
        lines = [f"{name}: {len(records)} records, {sum(gold.values())} labelled spans, {tokens(records):,} tokens",
                 "", head, "|" + " --- |" * (2 + 2 * len(systems))]
        for c in cats:
            cells = [f"{results[s][c]['precision']:.2f} | {results[s][c]['recall']:.2f}" if c in results[s]
                     else "- | -" for s in systems]
            lines.append(f"| {c} | {gold[c]} | " + " | ".join(cells) + " |")
        return "\n".join(lines)
    lines = [f"{name}: {len(records)} records, {sum(gold.values())} labelled spans, {tokens(records):,} tokens",
             f"{'category':10} {'gold':>5} | " + " | ".join(f"{s + ' P':>12} {'R':>5}" for s in systems)]
    for c in cats:
        cells = [f"{results[s][c]['precision']:12.3f} {results[s][c]['recall']:5.3f}" if c in results[s]
                 else f"{'-':>12} {'-':>5}" for s in systems]
        lines.append(f"{c:10} {gold[c]:5d} | " + " | ".join(cells))
    return "\n".join(lines)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sets", default="eval,dev")
    ap.add_argument("--systems", default="rules,rules+frog,frog,deduce")
    ap.add_argument("--markdown", action="store_true")
    args = ap.parse_args()
    systems = args.systems.split(",")
    data = {name: em.load(SETS[name]) for name in args.sets.split(",")}
    results: dict[str, dict] = {name: {} for name in data}
    speed: dict[str, list[str]] = {s: [] for s in systems}
    memory: dict[str, str] = {}
    if "rules" in systems:
        for name, recs in data.items():
            results[name]["rules"], dt = run_rules(recs)
            speed["rules"].append(f"{name} {tokens(recs) / dt:,.0f}")
        memory["rules"] = f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB (this process)"
    if "rules+frog" in systems or "frog" in systems:
        sampler = Sampler()
        sampler.start()
        frog.shared_server.pinned = True
        try:
            for name, recs in data.items():
                both, only, t_frog, t_both, start = run_frog(recs, sampler)
                if "rules+frog" in systems:
                    results[name]["rules+frog"] = both
                    speed["rules+frog"].append(f"{name} {tokens(recs) / t_both:,.0f}")
                if "frog" in systems:
                    results[name]["frog"] = only
                    speed["frog"].append(f"{name} {tokens(recs) / t_frog:,.0f} (start {start:.1f} s)")
        except RuntimeError as e:
            print(f"Frog left out: {e}", file=sys.stderr)
            systems = [s for s in systems if s not in ("rules+frog", "frog")]
        finally:
            frog.shared_server.pinned = False
            frog.shared_server.close()
            sampler.stop.set()
        mem = f"Frog server {sampler.rss / 1024:.0f} MB RSS, {sampler.pss / 1024:.0f} MB PSS"
        memory["rules+frog"] = memory["frog"] = mem
    if "deduce" in systems:
        try:
            for name, recs in data.items():
                results[name]["deduce"], dt, load, rss = run_deduce(recs)
                speed["deduce"].append(f"{name} {tokens(recs) / dt:,.0f} (start {load:.1f} s)")
                memory["deduce"] = f"{rss / 1024:.0f} MB (its process)"
        except RuntimeError as e:
            print(f"deduce left out: {e}", file=sys.stderr)
            systems.remove("deduce")
    for name, recs in data.items():
        print(table(name, recs, {s: results[name][s] for s in systems if s in results[name]}, args.markdown))
        print()
    print("speed, tokens/s (start-up apart) and peak memory:")
    for s in systems:
        print(f"  {s:11} {'; '.join(speed[s])}; {memory.get(s, '-')}")
    if "dev" in data:
        print()
        print(miss_report(data["dev"]))


if __name__ == "__main__":
    main()

#!/usr/bin/env python3
"""Precision and recall per category on tests/redaction/eval_set.jsonl: the rule layer alone and
rules + Frog, side by side (the same scoring as tests/redaction/test_eval.py).

    python bench/eval_ner.py
"""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.redaction import eval_metrics as em  # noqa: E402
from woo_collector.redaction import Analyzer, Policy  # noqa: E402
from woo_collector.redaction import frog  # noqa: E402


def predictor(layers):
    def predict(rec):
        policy = Policy(keep=tuple(rec["keep"]), org_domains=em.ORG_DOMAINS, keep_numbers=em.KEEP_NUMBERS)
        analyzer = Analyzer(policy, known_people=rec["known_people"], layers=layers)
        return [(f.start, f.end, f.category) for f in analyzer.analyze(rec["text"])]
    return predict


def main() -> None:
    records = em.load()
    rules = em.score(records, predictor([]))
    layer = frog.FrogLayer()
    layer.prepare([r["text"] for r in records])
    if layer.error:
        sys.exit(f"Frog failed: {layer.error}")
    both = em.score(records, predictor([layer]))
    frog.shared_server.close()
    print(f"{'category':10} {'gold':>5} | {'rules P':>7} {'R':>5} | {'rules+frog P':>12} {'R':>5}")
    for cat in sorted(k for k in set(rules) | set(both) if not k.startswith("_")):
        a, b = rules.get(cat), both.get(cat)
        gold = (a or b)["gold"]
        fmt = lambda r: (f"{r['precision']:7.3f} {r['recall']:5.3f}" if r else f"{'-':>7} {'-':>5}")  # noqa: E731
        print(f"{cat:10} {gold:5d} | {fmt(a)} | {fmt(b):>18}")
    extra = [m for m in both["_misses"].get("fp:name", []) if m not in rules["_misses"].get("fp:name", [])]
    print(f"names Frog adds that the set does not label ({len(extra)}):", "; ".join(t for _, t in extra[:20]))
    lost = [m for m in both["_misses"].get("name", []) if m not in rules["_misses"].get("name", [])]
    print(f"names found by the rules alone but missed with Frog ({len(lost)}):", "; ".join(t for _, t in lost[:20]))


if __name__ == "__main__":
    main()

"""Precision and recall per category on the labelled evaluation set (shared by test and bench).

A labelled span counts as found when predicted spans of the same category cover every
non-blank character of it (a partly covered name still leaks). A predicted span counts as right
when it overlaps a labelled span of the same category.
"""

from __future__ import annotations

import json
import re
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
EVAL_SET = HERE / "eval_set.jsonl"
ORG_DOMAINS = ("dijkstad.nl",)
KEEP_NUMBERS = ("0299 450 000", "0299 450 100")


def load(path: Path = EVAL_SET) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def score(records: list[dict], predict) -> dict[str, dict[str, float]]:
    """``predict(record) -> [(start, end, category), ...]``; returns per category tp/fn/fp, P, R."""
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"tp": 0, "fn": 0, "fp": 0, "gold": 0, "pred": 0})
    misses: dict[str, list] = defaultdict(list)
    for rec in records:
        text = rec["text"]
        pred = [tuple(p) for p in predict(rec)]
        for s, e, cat in rec["spans"]:
            c = counts[cat]
            c["gold"] += 1
            covered = [False] * (e - s)
            for ps, pe, pc in pred:
                if pc == cat:
                    for i in range(max(s, ps), min(e, pe)):
                        covered[i - s] = True
            if all(ok or text[s + i].isspace() for i, ok in enumerate(covered)):
                c["tp"] += 1
            else:
                c["fn"] += 1
                misses[cat].append((rec["id"], text[s:e]))
        for ps, pe, pc in pred:
            c = counts[pc]
            c["pred"] += 1
            if not any(pc == cat and ps < e and s < pe for s, e, cat in rec["spans"]):
                c["fp"] += 1
                misses["fp:" + pc].append((rec["id"], text[ps:pe]))
    out = {}
    for cat, c in counts.items():
        correct = c["pred"] - c["fp"]
        out[cat] = dict(c, precision=correct / c["pred"] if c["pred"] else 1.0,
                        recall=c["tp"] / c["gold"] if c["gold"] else 1.0)
    out["_misses"] = dict(misses)
    return out


def kept_occurrences(rec: dict) -> list[tuple[int, int, str]]:
    """Every place a kept name (full name, surname, first name) stands in the text."""
    from woo_collector.redaction import name_variants

    spans = []
    for name in rec["keep"]:
        for form in name_variants(name):
            if "." in form and " " not in form:
                continue
            rx = re.compile(r"(?<!\w)" + re.escape(form) + r"(?!\w)", re.I)
            spans += [(m.start(), m.end(), form) for m in rx.finditer(rec["text"])]
    return spans


def table(result: dict) -> str:
    lines = [f"{'category':10} {'gold':>5} {'found':>5} {'pred':>5} {'precision':>9} {'recall':>7}"]
    for cat in sorted(k for k in result if not k.startswith("_")):
        r = result[cat]
        lines.append(f"{cat:10} {r['gold']:5d} {r['tp']:5d} {r['pred']:5d} {r['precision']:9.3f} {r['recall']:7.3f}")
    return "\n".join(lines)

"""Build ``eval_set.jsonl`` from the hand-written ``eval_source.txt``.

Run ``python tests/redaction/build_eval.py`` after editing the source. Each text becomes one JSON
object ``{"id", "text", "spans": [[start, end, category], ...], "known_people": [...],
"keep": [...]}``; offsets are computed here from the inline ``[[text|category]]`` markup, never
typed by hand.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "eval_source.txt"
TARGET = HERE / "eval_set.jsonl"
MARK = re.compile(r"\[\[(.+?)\|([a-z]+)\]\]", re.S)


def strip_markup(marked: str) -> tuple[str, list[list]]:
    """The plain text and its spans [start, end, category] from inline markup."""
    out: list[str] = []
    spans: list[list] = []
    pos = 0
    length = 0
    for m in MARK.finditer(marked):
        before = marked[pos:m.start()]
        out.append(before)
        length += len(before)
        spans.append([length, length + len(m.group(1)), m.group(2)])
        out.append(m.group(1))
        length += len(m.group(1))
        pos = m.end()
    out.append(marked[pos:])
    return "".join(out), spans


def parse_source(source: str) -> list[dict]:
    """Every text of the source file, with its header lists and computed spans."""
    records = []
    blocks = re.split(r"^=== ", source, flags=re.M)[1:]
    for block in blocks:
        head, _, body = block.partition("\n\n")
        lines = head.splitlines()
        meta = {"known": [], "keep": []}
        for line in lines[1:]:
            key, _, value = line.partition(":")
            meta[key.strip()] = [v.strip() for v in value.split(";") if v.strip()]
        text, spans = strip_markup(body.rstrip("\n") + "\n")
        records.append({"id": lines[0].strip(), "text": text, "spans": spans,
                        "known_people": meta["known"], "keep": meta["keep"]})
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def main() -> None:
    records = parse_source(SOURCE.read_text(encoding="utf-8"))
    TARGET.write_text(render(records), encoding="utf-8")
    n = sum(len(r["spans"]) for r in records)
    print(f"{len(records)} texts, {n} entities -> {TARGET}")


if __name__ == "__main__":
    main()

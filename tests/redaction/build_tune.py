"""Build tune_set.jsonl from tune_source.txt (sentences of UD_Dutch-Alpino's train file, CC BY-SA 4.0,
person names marked by hand with [[...]]; the source and licence are in the head of tune_source.txt).

    python -m tests.redaction.build_tune

One record per document: its sentences joined by a space, in the order they were read (a document cut
by a page boundary continues where its "D" line comes again). The format is eval_set.jsonl's.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

HERE = Path(__file__).resolve().parent
SOURCE = HERE / "tune_source.txt"
TUNE_SET = HERE / "tune_set.jsonl"
ORIGIN = "UD_Dutch-Alpino nl_alpino-ud-train.conllu @0850627 (CC BY-SA 4.0), document "
MARK = re.compile(r"\[\[(.+?)\]\]")


def parse_source(source: str) -> list[dict]:
    docs: dict[str, list[str]] = {}
    current = None
    for line in source.splitlines():
        if line.startswith("D "):
            current = docs.setdefault(line[2:].strip(), [])
        elif line.startswith("S "):
            current.append(line[2:])
    return [{"id": doc, "sentences": sents} for doc, sents in docs.items()]


def render(docs: list[dict]) -> str:
    lines = []
    for doc in docs:
        text, spans = "", []
        for sentence in doc["sentences"]:
            text += " " if text else ""
            pos = 0
            for m in MARK.finditer(sentence):
                text += sentence[pos:m.start()]
                spans.append([len(text), len(text) + len(m.group(1)), "name"])
                text += m.group(1)
                pos = m.end()
            text += sentence[pos:]
        lines.append(json.dumps({"id": doc["id"], "text": text, "spans": spans, "known_people": [], "keep": [],
                                 "source": ORIGIN + doc["id"]}, ensure_ascii=False))
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    TUNE_SET.write_text(render(parse_source(SOURCE.read_text(encoding="utf-8"))), encoding="utf-8")
    print(f"wrote {TUNE_SET}")

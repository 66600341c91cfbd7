#!/usr/bin/env python3
"""Rebuild tests/redaction/dev_set.jsonl: Dutch sentences from the Universal Dependencies treebanks
(CC BY-SA 4.0, see dev_source.txt) with the person names the project annotated in them
(tests/redaction/dev_annotations.jsonl).

    python tests/redaction/build_dev_set.py                 # downloads the pinned .conllu files
    python tests/redaction/build_dev_set.py KEY=PATH ...    # or reads local copies (KEY from SOURCES)
    python tests/redaction/build_dev_set.py --update        # accept treebank texts that differ

Run by hand (it needs the network unless every file is given). Every annotated sentence is looked
up in its treebank by sent_id; every name span is checked against the treebank text (the annotation
stores the name's characters): a missing sentence or a different text stops the build with the
sentence named; so does a sentence whose text in the committed dev_set.jsonl is not exactly the
treebank's (the committed texts were transcribed by hand; --update takes the treebank's). The test
(test_dev_set.py) rebuilds the set from the annotations and the texts stored in dev_set.jsonl
itself, so it runs offline.

Annotation file, one JSON object a line, in record order::

    {"source": "lassysmall-test", "sent_id": "wiki-9720.p.2.s.1", "names": [[62, 74, "Jan van Eyck"]]}

Records: the sentences of one source document (the part of the sent_id before the backslash in
Alpino, before ".p." in LassySmall), in annotation order, joined by newlines.
"""

from __future__ import annotations

import html
import json
import re
import sys
import urllib.request
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ANNOTATIONS = HERE / "dev_annotations.jsonl"
DEV_SET = HERE / "dev_set.jsonl"


@dataclass(frozen=True)
class Source:
    repo: str
    commit: str
    path: str

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.path}"

    @property
    def pinned(self) -> str:
        return f"{self.repo}@{self.commit}"


SOURCES = {
    "alpino-test": Source("UniversalDependencies/UD_Dutch-Alpino", "045b10b725b2254f55fb6aca90fc71ab9ad503d6",
                          "nl_alpino-ud-test.conllu"),
    "alpino-test-2.5": Source("UniversalDependencies/UD_Dutch-Alpino", "44d2ab89626fd3d7cea46f2f7bbc60faf7a26a42",
                              "nl_alpino-ud-test.conllu"),
    "alpino-dev": Source("UniversalDependencies/UD_Dutch-Alpino", "085062764f495e67b132a3440de38b18e13d71ef",
                         "nl_alpino-ud-dev.conllu"),
    "alpino-dev-2.4": Source("UniversalDependencies/UD_Dutch-Alpino", "672a362f952294dc2198a6c1fed32f6eb4f3be2d",
                             "nl_alpino-ud-dev.conllu"),
    "lassysmall-test": Source("UniversalDependencies/UD_Dutch-LassySmall", "060444435fc3068ee83149914adeb08475dad99e",
                              "nl_lassysmall-ud-test.conllu"),
    "lassysmall-test-2.8": Source("UniversalDependencies/UD_Dutch-LassySmall", "7def7cfdf9f195750007859cbb5d9e8a4c0a2ee3",
                                  "nl_lassysmall-ud-test.conllu"),
    "lassysmall-dev-1.x": Source("UniversalDependencies/UD_Dutch-LassySmall", "9605fd4f807964e74f740885ad7480594342231f",
                                 "nl-ud-dev.conllu"),
    "lassysmall-dev-2.8": Source("UniversalDependencies/UD_Dutch-LassySmall", "96a87eedbf28af4f203792131894dc62503c1d2b",
                                 "nl_lassysmall-ud-dev.conllu"),
    "lassysmall-dev": Source("UniversalDependencies/UD_Dutch-LassySmall", "01597dbf3cab25689466102ca1aabf4821a862eb",
                             "nl_lassysmall-ud-dev.conllu"),
    "lassysmall-train": Source("UniversalDependencies/UD_Dutch-LassySmall", "ccd0244f5bc393ccce28e2def08125b8b24a4269",
                               "nl_lassysmall-ud-train.conllu"),
}

NO_SPACE_BEFORE = {",", ".", ";", ":", "!", "?", "!!", "?!", ")", "»", "...", "%"}
NO_SPACE_AFTER = {"(", "«", "`"}


def detokenize(tokens: list[str]) -> tuple[str, list[tuple[int, int]]]:
    """Text of a sentence given as tokens only (the older LassySmall files have no ``# text``
    line), with each token's (start, end). Punctuation attaches to its word; straight quotes
    alternate between opening and closing."""
    out, offsets = "", []
    quote_open = {'"': False, "'": False}
    glue_next = True
    for tok in tokens:
        tok = html.unescape(tok)
        closing = tok in quote_open and quote_open[tok]
        if out and not (glue_next or tok in NO_SPACE_BEFORE or closing):
            out += " "
        offsets.append((len(out), len(out) + len(tok)))
        out += tok
        glue_next = tok in NO_SPACE_AFTER
        if tok == "`":
            quote_open["'"] = True
        elif tok in quote_open:
            quote_open[tok] = not closing
            glue_next = not closing
    return out, offsets


def read_conllu(text: str) -> dict[str, str]:
    """sent_id -> sentence text. Newer files carry ``# sent_id =`` and ``# text =``; the older
    LassySmall files name a sentence in a comment (``# wiki-208.p.62.s.1.xml``) and give tokens only."""
    out: dict[str, str] = {}
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n")):
        sent_id = sent_text = None
        tokens = []
        for line in block.split("\n"):
            if line.startswith("# sent_id = "):
                sent_id = line[len("# sent_id = "):].strip()
            elif line.startswith("# text = "):
                sent_text = line[len("# text = "):]
            elif line.startswith("# ") and sent_id is None and "=" not in line:
                sent_id = re.sub(r"\.xml$", "", line[2:].strip())
            elif line and not line.startswith("#"):
                cols = line.split("\t")
                if len(cols) >= 2 and cols[0].isdigit():
                    tokens.append(cols[1])
        if sent_id is None:
            continue
        out[sent_id] = sent_text if sent_text is not None else detokenize(tokens)[0]
    return out


def doc_id(sent_id: str) -> str:
    return sent_id.split("\\")[0] if "\\" in sent_id else sent_id.split(".p.")[0]


def load_annotations(path: Path = ANNOTATIONS) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


class Mismatch(ValueError):
    pass


def check(ann: dict, text: str | None) -> None:
    where = f"{ann['source']} {ann['sent_id']}"
    if text is None:
        raise Mismatch(f"{where}: sentence not in the treebank")
    for s, e, surface in ann["names"]:
        if text[s:e] != surface:
            raise Mismatch(f"{where}: expected {surface!r} at {s}-{e}, the treebank has {text[s:e]!r} in {text!r}")


def build(annotations: list[dict], texts: dict[tuple[str, str], str]) -> list[dict]:
    """The records, from the annotations and ``(source key, sent_id) -> sentence text``."""
    groups: dict[tuple[str, str], list[dict]] = {}
    for ann in annotations:
        if ann["source"] not in SOURCES:
            raise Mismatch(f"unknown source {ann['source']!r}")
        check(ann, texts.get((ann["source"], ann["sent_id"])))
        groups.setdefault((ann["source"], doc_id(ann["sent_id"])), []).append(ann)
    records = []
    for (key, doc), anns in groups.items():
        text, spans = "", []
        for ann in anns:
            if text:
                text += "\n"
            spans += [[len(text) + s, len(text) + e, "name"] for s, e, _ in ann["names"]]
            text += texts[(key, ann["sent_id"])]
        src = SOURCES[key]
        records.append({"id": f"dev-{key}-{doc}", "text": text, "spans": spans, "known_people": [], "keep": [],
                        "source": {"treebank": src.pinned, "file": src.path,
                                   "sent_ids": [a["sent_id"] for a in anns]}})
    return records


def render(records: list[dict]) -> str:
    return "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records)


def texts_from_records(records: list[dict]) -> dict[tuple[str, str], str]:
    """``(source key, sent_id) -> text`` as stored in dev_set.jsonl (one sentence a line)."""
    keys = {(s.pinned, s.path): k for k, s in SOURCES.items()}
    out = {}
    for rec in records:
        key = keys[(rec["source"]["treebank"], rec["source"]["file"])]
        lines = rec["text"].split("\n")
        if len(lines) != len(rec["source"]["sent_ids"]):
            raise Mismatch(f"{rec['id']}: {len(lines)} lines for {len(rec['source']['sent_ids'])} sentences")
        out.update(((key, sid), line) for sid, line in zip(rec["source"]["sent_ids"], lines))
    return out


def fetch(source: Source, local: str | None) -> str:
    if local:
        return Path(local).read_text(encoding="utf-8")
    print(f"downloading {source.url}", file=sys.stderr)
    with urllib.request.urlopen(source.url, timeout=120) as r:
        return r.read().decode("utf-8")


def compare_with_stored(texts: dict[tuple[str, str], str], stored: dict[tuple[str, str], str]) -> list[str]:
    """Sentences whose text in the committed dev_set.jsonl differs from the treebank's."""
    return [f"{key} {sid}: dev_set.jsonl has {old!r}, the treebank has {texts.get((key, sid))!r}"
            for (key, sid), old in sorted(stored.items()) if texts.get((key, sid)) != old]


def main(argv: list[str]) -> None:
    update = "--update" in argv
    argv = [a for a in argv if a != "--update"]
    local = dict(a.split("=", 1) for a in argv)
    unknown = set(local) - set(SOURCES)
    if unknown:
        sys.exit(f"unknown source key(s) {sorted(unknown)}; known: {sorted(SOURCES)}")
    annotations = load_annotations()
    texts: dict[tuple[str, str], str] = {}
    for key in sorted({a["source"] for a in annotations}):
        sents = read_conllu(fetch(SOURCES[key], local.get(key)))
        texts.update(((key, sid), t) for sid, t in sents.items())
    try:
        records = build(annotations, texts)
    except Mismatch as e:
        sys.exit(f"build_dev_set: {e}")
    if DEV_SET.exists():
        # The committed texts were transcribed; every one must be the treebank's text exactly.
        differ = compare_with_stored(texts, texts_from_records(
            [json.loads(line) for line in DEV_SET.read_text(encoding="utf-8").splitlines() if line.strip()]))
        if differ and not update:
            sys.exit("build_dev_set: sentence text differs from the treebank (fix the annotation offsets, "
                     "or pass --update to take the treebank text):\n  " + "\n  ".join(differ))
    DEV_SET.write_text(render(records), encoding="utf-8")
    print(f"{DEV_SET}: {len(records)} records, {sum(len(a['names']) for a in annotations)} names, "
          f"{len(annotations)} sentences", file=sys.stderr)


if __name__ == "__main__":
    main(sys.argv[1:])

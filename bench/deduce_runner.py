#!/usr/bin/env python3
"""deduce (UMC Utrecht, https://github.com/vmenger/deduce) as a subprocess for bench/eval_ner.py.

Runs in deduce's own venv (never in the project's environment; benchmark only):

    python -m venv /work/venv-deduce && /work/venv-deduce/bin/pip install deduce==3.0.6
    /work/venv-deduce/bin/python bench/deduce_runner.py < texts.jsonl

stdin: one JSON string (a text) a line. stdout: one JSON line {"load_s": ...} after deduce has
loaded, then one line per text: [[start, end, tag, text], ...] (deduce's annotations, tags as
deduce names them), then {"process_s": ..., "maxrss_kb": ...}. Imports nothing of woo_collector.
"""

import json
import resource
import sys
import time


def main() -> None:
    t = time.perf_counter()
    from deduce import Deduce

    deduce = Deduce()
    deduce.deidentify("Warm-up: Jan Jansen woont in Utrecht.")
    print(json.dumps({"load_s": time.perf_counter() - t}), flush=True)
    texts = [json.loads(line) for line in sys.stdin if line.strip()]
    t = time.perf_counter()
    for text in texts:
        doc = deduce.deidentify(text)
        print(json.dumps([[int(a.start_char), int(a.end_char), a.tag, a.text] for a in sorted(
            doc.annotations, key=lambda a: (a.start_char, a.end_char))], ensure_ascii=False))
    print(json.dumps({"process_s": time.perf_counter() - t,
                      "maxrss_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}), flush=True)


if __name__ == "__main__":
    main()

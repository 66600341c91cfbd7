"""Special categories of personal data (5.1.1d), proposed applied.

Keywords per category (health, religion, ethnicity, sexuality, politics, union membership,
criminal data, biometrics) come from ``data/special_keywords.txt``. 5.1.1d is an absolute ground:
a keyword is boxed by default (``ik ben hartpatiënt``), and the handler may lift a box where the
sentence reveals nothing about a person. The safe side is the default.
"""

from __future__ import annotations

import ahocorasick

from ..lexicon import special_keywords
from ..model import Finding
from .base import Context, Recognizer


class SpecialRecognizer(Recognizer):
    name = "special"
    categories = ("special",)

    def __init__(self) -> None:
        super().__init__()
        self._automaton = ahocorasick.Automaton()
        for cat, kw in special_keywords():
            stem = kw.rstrip("*")
            self._automaton.add_word(stem, (stem, cat, kw.endswith("*")))
        self._automaton.make_automaton()

    def analyze(self, text: str, ctx: Context) -> list[Finding]:
        low = text.lower()
        if len(low) != len(text):
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        n = len(low)
        best: dict[int, tuple[int, str]] = {}
        for last, (stem, kind, prefix) in self._automaton.iter(low):
            start = last - len(stem) + 1
            if start and (low[start - 1].isalnum() or low[start - 1] in "-_"):
                continue
            end = last + 1
            if prefix:
                while end < n and (low[end].isalnum() or low[end] == "-"):
                    end += 1
            elif end < n and (low[end].isalnum() or low[end] == "-"):
                continue
            if end - start > best.get(start, (0, ""))[0]:
                best[start] = (end - start, kind)
        out = []
        last_end = -1
        for start in sorted(best):
            length, kind = best[start]
            if start < last_end:
                continue
            last_end = start + length
            out.append(self.make(text, start, start + length, "special", 0.6, f"keyword-{kind}",
                                 ["base 0.60", f"{kind} keyword", "absolute ground, applied until the handler lifts it"]))
        return out

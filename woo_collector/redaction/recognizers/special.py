"""Special categories of personal data (5.1.1d), flagged as suggestions only.

Keywords per category (health, religion, ethnicity, sexuality, politics, union membership,
criminal data, biometrics) come from ``data/special_keywords.txt``. A keyword shows the handler
where special data may be; whether a sentence reveals something about a person is the handler's
judgement, so these findings have ``suggestion_only=True`` and are not applied by default.
"""

from __future__ import annotations

import re

from ..lexicon import special_keywords
from ..model import Finding
from .base import Context, Recognizer


class SpecialRecognizer(Recognizer):
    name = "special"
    categories = ("special",)

    def __init__(self) -> None:
        super().__init__()
        alts = []
        self._category = {}
        for cat, kw in special_keywords():
            stem = kw.rstrip("*")
            self._category.setdefault(stem, cat)
            tail = r"[\w-]*" if kw.endswith("*") else ""
            alts.append((len(stem), re.escape(stem).replace(r"\ ", r"\s+") + tail))
        alts.sort(reverse=True)
        self._rx = re.compile(r"(?<![\w-])(?:" + "|".join(a for _, a in alts) + r")(?![\w-])", re.I)

    def _category_of(self, word: str) -> str:
        low = re.sub(r"\s+", " ", word.lower())
        best = max((s for s in self._category if low.startswith(s)), key=len, default="")
        return self._category.get(best, "special")

    def analyze(self, text: str, ctx: Context) -> list[Finding]:
        out = []
        for m in self._rx.finditer(text):
            kind = self._category_of(m.group(0))
            out.append(self.make(text, m.start(), m.end(), "special", 0.6, f"keyword-{kind}",
                                 ["base 0.60", f"{kind} keyword"], suggestion_only=True))
        return out

"""Dates of birth (5.1.2e): a date counts only with a word such as "geboren" or "geb." before it."""

from __future__ import annotations

import re
from datetime import date

from .base import Pattern, Recognizer

MONTHS = ("januari|februari|maart|april|mei|juni|juli|augustus|september|oktober|november|december|"
          "jan|feb|mrt|apr|jun|jul|aug|sep|sept|okt|nov|dec")


class BirthdateRecognizer(Recognizer):
    name = "birthdate"
    categories = ("birthdate",)
    patterns = (
        Pattern("d-m-y", r"(?<![\w/.-])\d{1,2}[-/.]\d{1,2}[-/.](?:19|20)\d{2}(?![\w/.-]\d)", 0.25),
        Pattern("d-month-y", r"(?<![\w])\d{1,2}\s(?:" + MONTHS + r")\.?\s(?:19|20)\d{2}(?![\w])", 0.25, re.I),
        Pattern("iso", r"(?<![\w-])(?:19|20)\d{2}-\d{2}-\d{2}(?![\w-])", 0.25),
    )
    context = ("geboren", "geb.", "geb", "geboortedatum", "geb.datum", "geboorte", "dob",
               "date of birth", "born", "geboren op", "birthdate", "verjaardag")
    context_before = 30
    _cue = re.compile(r"\b(?:geb\b|geboren|geboorte\w*|dob\b|date of birth|born|birth\w*|verjaardag)", re.I)

    def analyze(self, text, ctx):
        """Dates only matter after a birth word, so only the stretches after one are scanned."""
        out = []
        covered = -1
        for m in self._cue.finditer(text):
            start = max(m.start(), covered)
            stop = min(len(text), m.end() + self.context_before + 20)
            if start >= stop:
                continue
            for pattern, rx in self._compiled:
                for d in rx.finditer(text, start, stop):
                    value = d.group(0)
                    validation = self.validate(value)
                    if validation is False:
                        continue
                    score, notes = self.score(text, d.start(), d.end(), pattern.score, validation)
                    out.append(self.make(text, d.start(), d.end(), "birthdate", score, pattern.name, notes))
            covered = stop
        return out

    def validate(self, value: str) -> bool | None:
        m = re.match(r"(\d{1,2})[-/.](\d{1,2})[-/.](\d{4})$", value)
        if m:
            d, mo, y = map(int, m.groups())
        else:
            m = re.match(r"(\d{4})-(\d{2})-(\d{2})$", value)
            if not m:
                return None
            y, mo, d = map(int, m.groups())
        try:
            date(y, mo, d)
        except ValueError:
            return False
        return None

    def score(self, text, start, end, base, validation):
        score, notes = super().score(text, start, end, base, validation)
        if not any("context word" in n for n in notes):
            score = min(score, 0.3)
        return score, notes

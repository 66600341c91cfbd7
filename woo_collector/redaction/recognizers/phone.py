"""Telephone numbers (5.1.2e), Dutch and international, validated with ``phonenumbers``.

Notations: ``06-12345678``, ``06 1234 5678``, ``020-1234567``, ``0201234567``, ``(020) 123 4567``,
``+31 6 12345678``, ``+31 (0)6 ...``, ``0031 20 ...``, ``+44 7911 123456``. General numbers stay:
``0800``/``0900``/``090x`` service numbers, the ``14 0xx`` municipal numbers, and the policy's
``keep_numbers``.
"""

from __future__ import annotations

import re

import phonenumbers

from ..model import Finding
from .base import Context, Pattern, Recognizer

_DATE_START = re.compile(r"^\(?\d{1,4}[-/.]\d{1,2}[-/.]\d{2,4}")
_GENERAL = re.compile(r"^(?:0|\+?31|0031)\D*(?:\(0\)\D*)?(?:800|90[069])")


def _parse(candidate: str):
    cleaned = candidate.replace("(0)", "")
    if cleaned.startswith("00"):
        cleaned = "+" + cleaned[2:]
    try:
        num = phonenumbers.parse(cleaned, "NL")
    except phonenumbers.NumberParseException:
        return None
    return num if phonenumbers.is_valid_number(num) else None


class PhoneRecognizer(Recognizer):
    """Candidate digit runs starting with ``+``, ``00`` or ``0``; valid numbers only."""

    name = "phone"
    categories = ("phone",)
    patterns = (
        Pattern("international", r"(?<![\w+@/=&.-])(?:\+|00)[1-9][\d \t().\-/]{6,22}\d(?![\w@])", 0.6),
        Pattern("national", r"(?<![\w+@/=&.-])\(?0\d[\d \t().\-/]{6,18}\d(?![\w@])", 0.55),
    )
    context = ("tel", "tel.", "telefoon", "telefoonnummer", "telefonisch", "mobiel", "mob", "gsm",
               "nummer", "06", "bel", "bellen", "gebeld", "belde", "bereikbaar", "whatsapp", "sms",
               "phone", "call", "t", "m")

    def analyze(self, text: str, ctx: Context) -> list[Finding]:
        out = []
        for pattern, rx in self._compiled:
            for m in rx.finditer(text):
                found = self._best(text, m.start(), m.group(0))
                if found is None:
                    continue
                start, end = found
                value = text[start:end]
                if _GENERAL.match(re.sub(r"\s", "", value)) or ctx.policy.keeps_number(value):
                    continue
                score, notes = self.score(text, start, end, pattern.score, True)
                out.append(self.make(text, start, end, "phone", score, pattern.name, notes))
        return out

    def _best(self, text: str, offset: int, candidate: str) -> tuple[int, int] | None:
        """The longest valid number at the start of ``candidate`` (dropping trailing groups)."""
        if _DATE_START.match(candidate) and not candidate.startswith(("+", "00")):
            return None
        cand = candidate.rstrip()
        while cand:
            if sum(c.isdigit() for c in cand) >= 8 and _parse(cand) is not None:
                lead = len(cand) - len(cand.lstrip("("))
                start = offset + (lead if not cand.startswith("(0") else 0)
                return start, offset + len(cand.rstrip())
            cut = re.search(r"[ \t().\-/]+\d+\)?$", cand)
            if not cut:
                return None
            cand = cand[:cut.start()].rstrip()
        return None

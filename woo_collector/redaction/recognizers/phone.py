"""Telephone numbers (5.1.2e), Dutch and international: the shape and the context decide,
the numbering plan (``phonenumbers``) only raises confidence.

A Dutch shape is ten digits starting with ``0`` (``06 98765432``, ``06-99887766``,
``06.29.38.47.56``, ``020-1234567``) or ``+31``/``0031`` and nine digits. A mobile shape
(``06`` and eight digits) is a phone number on its own; another Dutch shape needs a context word
("tel", "bel", "mobiel") or a number the numbering plan knows. A range ``phonenumbers`` says is not
allocated is still a phone number: a typo or a new range leaks the same.

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

_DATE_START = re.compile(r"^\(?(\d{1,4})[-/.](\d{1,2})[-/.]\d{2,4}(?!\d)")
MOBILE_SCORE = 0.55  # 06 + eight digits: boxed without context
SHAPE_SCORE = 0.4  # another Dutch shape: boxed with a context word or a known range


def _dutch_shape(candidate: str) -> str | None:
    """"mobile" or "fixed" when the digits have a Dutch phone number's shape, else None."""
    d = re.sub(r"\D", "", candidate.replace("(0)", ""))
    if candidate.lstrip("(").startswith("+"):
        d = "0" + d[2:] if d.startswith("31") else ""
    elif d.startswith("0031"):
        d = "0" + d[4:]
    if len(d) != 10 or d[0] != "0" or d[1] == "0":
        return None
    return "mobile" if d.startswith("06") and d[2] != "0" else "fixed"


def _is_date(candidate: str) -> bool:
    m = _DATE_START.match(candidate)
    if not m:
        return False
    a, b = int(m.group(1)), int(m.group(2))
    return 1 <= b <= 12 and (1 <= a <= 31 or len(m.group(1)) == 4)
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
                start, end, valid, shape = found
                value = text[start:end]
                if _GENERAL.match(re.sub(r"\s", "", value)) or ctx.policy.keeps_number(value):
                    continue
                if valid:
                    score, notes = self.score(text, start, end, pattern.score, True)
                    notes.insert(1, "numbering plan knows the number")
                else:
                    base = MOBILE_SCORE if shape == "mobile" else SHAPE_SCORE
                    score, notes = self.score(text, start, end, base, None)
                    notes = [f"Dutch {shape} number shape", *notes[:1],
                             "numbering plan does not know the range (shape decides)", *notes[1:]]
                out.append(self.make(text, start, end, "phone", score, pattern.name, notes))
        return out

    def _best(self, text: str, offset: int, candidate: str) -> tuple[int, int, bool, str | None] | None:
        """(start, end, valid, shape) of the longest number at the start of ``candidate`` (dropping
        trailing groups) that the numbering plan knows or that has a Dutch shape."""
        if not candidate.startswith(("+", "00")) and _is_date(candidate):
            return None
        cand = candidate.rstrip()
        while cand:
            if sum(c.isdigit() for c in cand) >= 8:
                valid = _parse(cand) is not None
                shape = _dutch_shape(cand)
                if valid or shape:
                    lead = len(cand) - len(cand.lstrip("("))
                    start = offset + (lead if not cand.startswith("(0") else 0)
                    return start, offset + len(cand.rstrip()), valid, shape
            cut = re.search(r"[ \t().\-/]+\d+\)?$", cand)
            if not cut:
                return None
            cand = cand[:cut.start()].rstrip()
        return None

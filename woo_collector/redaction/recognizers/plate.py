"""Dutch licence plates (5.1.2e) in the side codes (sidecodes) 1 to 14, written with dashes.

Examples: ``XX-99-99`` (1), ``99-XX-XX`` (6), ``99-XXX-9`` (7), ``XX-999-X`` (9), ``X-999-XX`` (10),
``XXX-99-X`` (11). Without dashes a plate only counts next to a word such as "kenteken".
"""

from __future__ import annotations

import re

from .base import Recognizer

SIDECODES = ("LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D",
             "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D")
_CANDIDATE = re.compile(r"(?<![\w-])[A-Za-z0-9]{1,3}-[A-Za-z0-9]{2,3}-[A-Za-z0-9]{1,3}(?![\w-])")
_COMPACT = re.compile(r"(?<![\w-])[A-Z0-9]{6}(?![\w-])")
_SHAPES = {code.replace("-", ""): code for code in SIDECODES}


def sidecode(value: str) -> str | None:
    """The side code of a plate written with dashes (``"34-KLB-7"`` -> ``"DD-LLL-D"``), or None."""
    shape = "-".join("".join("L" if c.isalpha() else "D" for c in part) for part in value.split("-"))
    return shape if shape in SIDECODES and value.upper() == value else None


class PlateRecognizer(Recognizer):
    """Dashed plates in any side code; compact plates only next to a vehicle word."""

    name = "plate"
    categories = ("plate",)
    context = ("kenteken", "kentekens", "kentekenplaat", "auto", "voertuig", "bus", "wagen",
               "scooter", "motor", "geparkeerd", "parkeren", "rijbewijs", "bestelbus", "busje")

    def analyze(self, text, ctx):
        out = []
        for m in _CANDIDATE.finditer(text):
            code = sidecode(m.group(0))
            if code is None:
                continue
            score, notes = self.score(text, m.start(), m.end(), 0.6, None)
            out.append(self.make(text, m.start(), m.end(), "plate", score, f"sidecode {code}", notes))
        for m in _COMPACT.finditer(text):
            value = m.group(0)
            shape = "".join("L" if c.isalpha() else "D" for c in value)
            if shape not in _SHAPES:
                continue
            score, notes = self.score(text, m.start(), m.end(), 0.2, None)
            if score >= 0.5:
                out.append(self.make(text, m.start(), m.end(), "plate", score, f"sidecode {_SHAPES[shape]} (no dashes)", notes))
        return out

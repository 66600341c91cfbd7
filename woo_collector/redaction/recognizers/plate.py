"""Dutch licence plates (5.1.2e) in the side codes (sidecodes) 1 to 14, written with dashes.

Examples: ``XX-99-99`` (1), ``99-XX-XX`` (6), ``99-XXX-9`` (7), ``XX-999-X`` (9), ``X-999-XX`` (10),
``XXX-99-X`` (11). Without dashes a plate only counts next to a word such as "kenteken".
"""

from __future__ import annotations

from .base import Pattern, Recognizer

L, D = "[A-Z]", r"\d"
SIDECODES = ("LL-DD-DD", "DD-DD-LL", "DD-LL-DD", "LL-DD-LL", "LL-LL-DD", "DD-LL-LL", "DD-LLL-D",
             "D-LLL-DD", "LL-DDD-L", "L-DDD-LL", "LLL-DD-L", "L-DD-LLL", "D-LL-DDD", "DDD-LL-D")


def _regex(code: str, sep: str) -> str:
    parts = []
    for group in code.split("-"):
        kind = L if group[0] == "L" else D
        parts.append(f"{kind}{{{len(group)}}}")
    return sep.join(parts)


def _any(sep: str) -> str:
    return r"(?<![\w-])(?:" + "|".join(_regex(c, sep) for c in SIDECODES) + r")(?![\w-])"


class PlateRecognizer(Recognizer):
    name = "plate"
    categories = ("plate",)
    patterns = (Pattern("sidecode-dashed", _any("-"), 0.6),
                Pattern("sidecode-compact", _any(""), 0.2))
    context = ("kenteken", "kentekens", "kentekenplaat", "auto", "voertuig", "bus", "wagen",
               "scooter", "motor", "geparkeerd", "parkeren", "rijbewijs", "bestelbus", "busje")

    def validate(self, value: str) -> bool | None:
        letters = [c for c in value if c.isalpha()]
        digits = [c for c in value if c.isdigit()]
        if not letters or not digits:
            return False
        return None

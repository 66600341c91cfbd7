"""IBAN account numbers (5.1.2e), validated with the mod-97 check (``stdnum.iban``).

Dutch ``NL91ABNA0417164300`` or grouped ``NL91 ABNA 0417 1643 00``, and foreign IBANs (``DE89 ...``,
``BE71 ...``). A number failing mod-97 is not reported.
"""

from __future__ import annotations

import re

from stdnum import iban

from .base import Pattern, Recognizer


class IbanRecognizer(Recognizer):
    name = "iban"
    categories = ("iban",)
    patterns = (
        Pattern("iban", r"(?<![\w])[A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,3})?(?![\w])", 0.5),
    )
    context = ("iban", "rekeningnummer", "rekening", "rekeningnr", "bankrekening", "rek.nr",
               "overmaken", "overgemaakt", "storten", "terugstorten", "betalen", "t.n.v.")

    def validate(self, value: str) -> bool | None:
        compact = re.sub(r"\s", "", value).upper()
        return iban.is_valid(compact)

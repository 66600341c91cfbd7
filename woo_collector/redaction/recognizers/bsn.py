"""Burgerservicenummer (5.1.1e): nine digits passing the elfproef (``stdnum.nl.bsn``).

Notations: ``123456782``, ``1234.56.782``, ``123 456 782``, ``123-456-782``; eight-digit BSNs
are the same number with its leading zero dropped. A number failing the elfproef is not a BSN.
Numbers labelled as something else (zaaknummer, ordernummer, factuurnummer) are lowered.
"""

from __future__ import annotations

import re

from stdnum.nl import bsn

from .base import Pattern, Recognizer


class BsnRecognizer(Recognizer):
    name = "bsn"
    categories = ("bsn",)
    patterns = (
        Pattern("nine-digits", r"(?<![\w.,/=?&-])\d{8,9}(?![\w]|[.,/-]\d)", 0.6),
        Pattern("grouped", r"(?<![\w.,/-])(?:\d{4}\.\d{2}\.\d{3}|\d{3}[ .-]\d{3}[ .-]\d{3})(?![\w]|[.,/-]\d)", 0.6),
    )
    context = ("bsn", "burgerservicenummer", "burgerservicenr", "sofinummer", "sofi-nummer",
               "sofinr", "persoonsnummer", "bsn-nummer")
    negative_context = ("zaaknummer", "ordernummer", "factuurnummer", "kenmerk", "referentie",
                        "dossiernummer", "klantnummer", "artikelnummer", "polisnummer", "order",
                        "factuur", "bedrag", "euro", "€", "tel", "telefoon")
    context_before = 40

    def validate(self, value: str) -> bool | None:
        digits = re.sub(r"\D", "", value)
        return bsn.is_valid(digits)

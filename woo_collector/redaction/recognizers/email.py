"""E-mail addresses (5.1.2e), except functional mailboxes (``info@``, ``woo@``, ...)."""

from __future__ import annotations

import re

from ..lexicon import words
from ..model import Finding
from .base import Context, Pattern, Recognizer


class EmailRecognizer(Recognizer):
    """Personal e-mail addresses; functional mailboxes of any organisation stay."""

    name = "email"
    categories = ("email",)
    patterns = (Pattern("address", r"(?<![\w.+-])[A-Za-z0-9][\w.+'-]*@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?![\w-])", 0.9),)

    def keep(self, finding: Finding, text: str, ctx: Context) -> bool:
        local = finding.text.split("@", 1)[0].lower()
        functional = words("functional_mailboxes") | set(ctx.policy.functional)
        return not (local in functional or re.sub(r"[\d._-]+$", "", local) in functional)

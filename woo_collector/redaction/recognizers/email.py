"""E-mail addresses (5.1.2e), except functional mailboxes (``info@``, ``woo@``, ...).

At the organisation's own domains (``Policy.org_domains``) a local part without separators and
without any name in it (``inkomen@``, ``vergunningen@``) is taken as a functional mailbox too.
"""

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
        local, _, domain = finding.text.lower().partition("@")
        functional = words("functional_mailboxes") | set(ctx.policy.functional)
        if local in functional or re.sub(r"[\d._-]+$", "", local) in functional:
            return False
        if ctx.policy.is_org_domain(domain) and not self._personal(local, ctx):
            return False
        return True

    @staticmethod
    def _personal(local: str, ctx: Context) -> bool:
        """At the organisation's own domain a mailbox is personal when its local part looks like a
        name (separators, a listed given name or surname, a participant's name part)."""
        if re.search(r"[._]", local):
            return True
        names = words("first_names") | words("surnames")
        known = {p.lower() for person in ctx.known_people for p in str(person).split() if len(p) > 2}
        return any(n in local for n in names | known if len(n) > 3) or len(local) <= 3

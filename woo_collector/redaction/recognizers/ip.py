"""IP addresses (5.1.2e): IPv4 and IPv6, validated with ``ipaddress``.

Private, loopback and reserved addresses (``10.x``, ``192.168.x``) name a machine inside an
organisation, not a person; they are not reported.
"""

from __future__ import annotations

import ipaddress
import re

from .base import Pattern, Recognizer

_V4 = re.compile(r"\d\.\d{1,3}\.\d")


class IpRecognizer(Recognizer):
    name = "ip"
    categories = ("ip",)
    patterns = (
        Pattern("ipv4", r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?![\w]|\.\d)", 0.7),
        Pattern("ipv6", r"(?<![\w:])(?:[0-9A-Fa-f]{1,4}:){1,7}(?::|(?::?[0-9A-Fa-f]{1,4}){1,7})(?![\w:])", 0.7),
    )
    context = ("ip", "ip-adres", "ipadres", "inlog", "ingelogd", "inlogpogingen", "vanaf", "adres")

    def analyze(self, text, ctx):
        if ":" not in text and not _V4.search(text):
            return []
        return super().analyze(text, ctx)

    def validate(self, value: str) -> bool | None:
        try:
            addr = ipaddress.ip_address(value)
        except ValueError:
            return False
        if addr.version == 6 and value.count(":") < 2:
            return False
        if addr.is_private or addr.is_loopback or addr.is_reserved or addr.is_unspecified:
            return False
        return None

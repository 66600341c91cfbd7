"""URLs that carry a personal identifier (5.1.2e).

Reported: social-media profiles (``linkedin.com/in/...``, ``facebook.com/<name>``), URLs with a
personal query parameter (``?bsn=``, ``user=``, ``email=``), personal folders
(``/personal/<user>/`` on SharePoint, ``/users/``, ``/~name``) and URLs holding an e-mail
address or a valid BSN. A plain web page of an organisation is not personal data.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlsplit

from stdnum.nl import bsn

from ..model import Finding
from .base import Context, Pattern, Recognizer

SOCIAL = ("linkedin.com", "facebook.com", "instagram.com", "twitter.com", "x.com", "tiktok.com",
          "youtube.com/@", "github.com", "threads.net", "mastodon")
PERSONAL_KEYS = {"bsn", "user", "username", "userid", "user_id", "uid", "email", "mail", "e-mail",
                 "naam", "name", "klant", "klantnummer", "klantid", "client", "clientid", "burger",
                 "persoon", "person", "personid", "profile", "profiel", "account", "login", "telefoon",
                 "phone", "iban", "geboortedatum", "dob"}
PERSONAL_PATHS = re.compile(r"/(?:personal|users?|profiel|profile|people|persoon|members?|~)[/_-]?", re.I)


class UrlRecognizer(Recognizer):
    name = "url"
    categories = ("url",)
    patterns = (Pattern("url", r"(?:https?://|www\.)[^\s<>\"'()\[\]]+", 0.85, re.I),)

    def _why(self, url: str) -> str | None:
        parts = urlsplit(url if "://" in url else "http://" + url)
        host = parts.netloc.lower()
        path = parts.path
        for s in SOCIAL:
            dom, _, sub = s.partition("/")
            if (host == dom or host.endswith("." + dom)) and len(path.strip("/")) > 1 \
                    and (not sub or path.startswith("/" + sub)):
                return f"profile on {dom}"
        for key, value in parse_qsl(parts.query, keep_blank_values=True):
            if key.lower() in PERSONAL_KEYS and value:
                return f"personal parameter {key!r}"
        if PERSONAL_PATHS.search(path):
            return "personal folder in path"
        if "@" in url.split("://", 1)[-1]:
            return "e-mail address in URL"
        for digits in re.findall(r"(?<!\d)\d{9}(?!\d)", url):
            if bsn.is_valid(digits):
                return "valid BSN in URL"
        return None

    def analyze(self, text: str, ctx: Context) -> list[Finding]:
        out = []
        for pattern, rx in self._compiled:
            for m in rx.finditer(text):
                url = m.group(0).rstrip(".,;:!?")
                why = self._why(url)
                if why is None:
                    continue
                inside = any(k in why.lower() for k in ("bsn", "e-mail", "email", "mail"))
                score = 0.95 if inside else 0.9
                out.append(self.make(text, m.start(), m.start() + len(url), "url", score, pattern.name,
                                     ["base 0.85", why]))
        return out

"""Dutch postcodes (``1234 AB``) and street addresses (``Kerkstraat 12a``), 5.1.2e.

Only homes are personal data: an address or postcode of a public building or a business (the
town hall on ``Stadhuisplein 1``, "ons kantoor is gevestigd aan ...") is left alone. A street
name without house number is never reported. Postcode letters SA, SD and SS are not issued;
units such as ``4200 KW`` or ``1200 MW`` only count with an address or the word "postcode".
"""

from __future__ import annotations

import re

from ..model import Finding
from .base import Context, Pattern, Recognizer, word_regex

SUFFIXES = ("straat", "laan", "weg", "plein", "gracht", "kade", "singel", "dijk", "pad", "steeg",
            "hof", "park", "dreef", "plantsoen", "markt", "baan", "ring", "allee", "wal", "haven",
            "veld", "erf", "akker", "hoeve", "burg", "dam", "zijde", "oord", "werf", "boulevard",
            "promenade", "lei", "vaart", "sloot", "tuin", "tuinen", "hoek", "horst", "rade", "brink",
            "kamp", "gang", "poort", "donk", "berg", "dal", "meer", "kanaal", "pier", "kwartier",
            "hage", "hout", "weide", "wei", "polder", "dreve", "loop", "wijk", "stede", "hof")
PREFIXES = ("Burgemeester", "Burg.", "Van", "Sint", "St.", "Oude", "Nieuwe", "Korte", "Lange",
            "Hoge", "Lage", "Kleine", "Grote", "Gedempte", "Prins", "Prinses", "Koningin", "Koning",
            "Dokter", "Dr.", "Professor", "Prof.", "Generaal", "Pastoor", "Pater", "Meester", "Mr.",
            "Graaf", "Admiraal", "Kapitein", "Wethouder", "Noorder", "Zuider", "Ooster", "Wester",
            "Binnen", "Buiten", "Achter", "Voor", "Eerste", "Tweede", "Derde", "De", "Het", "'t")
PUBLIC_STREETS = ("stadhuis", "raadhuis", "gemeentehuis", "provinciehuis", "stationsplein")
PUBLIC_CONTEXT = ("stadhuis", "gemeentehuis", "raadhuis", "provinciehuis", "gemeentekantoor",
                  "kantoor", "kantoren", "gevestigd", "vestiging", "hoofdkantoor", "bedrijf",
                  "b.v.", "bv", "n.v.", "buurthuis", "dorpshuis", "wijkcentrum", "opvanglocatie",
                  "locatie", "school", "sporthal", "bibliotheek", "raadzaal", "ziekenhuis",
                  "winkel", "kerk", "moskee", "hotel", "restaurant", "gemeente", "politiebureau",
                  "theater", "museum", "zwembad", "bedrijventerrein")
UNITS = {"MW", "KW", "KM", "CM", "MM", "GB", "MB", "KB", "TB", "PK", "KG", "GR", "ML", "CC", "HA",
         "DB", "HZ", "KV", "WH", "AM", "PM", "EU", "NL", "BV", "NV", "ZZ"}

_prefix = "|".join(re.escape(p) for p in PREFIXES)
ADDRESS_RE = re.compile(
    r"(?<![\w-])(?P<street>(?:(?:" + _prefix + r")\s+(?:(?:van|de|der|den|het|'t|ter|ten)\s+)*){0,3}"
    r"[A-Z][\w'’-]+)\s(?P<nr>\d{1,5}(?:\s?[a-zA-Z](?![\w])|-\d{1,4}(?![\w])|\s?-\s?[A-Za-z](?![\w])|\s(?:hs|bis|I{1,3})(?![\w]))?)(?![\w,.]\d|\d|\s?%|\s?(?:euro|km|m2|m²|meter|uur|jaar|dagen|woningen|personen|minuten|procent|keer|kW|MW))")
POSTCODE_RE = re.compile(r"(?<![\w-])[1-9]\d{3}\s?(?!SA|SD|SS)[A-Z]{2}(?![\w])")


class PostcodeRecognizer(Recognizer):
    """Street + house number (category ``address``) and postcodes (category ``postcode``)."""

    name = "postcode"
    categories = ("postcode", "address")
    patterns = (Pattern("street-house-number", ADDRESS_RE.pattern, 0.6),
                Pattern("postcode", POSTCODE_RE.pattern, 0.6))
    context = ("woont", "wonen", "woonachtig", "adres", "woonadres", "thuisadres", "huisadres",
               "postadres", "postcode", "verhuisd", "bewoner", "bewoners", "ingeschreven",
               "woning", "buurman", "buurvrouw", "op de", "aan de")
    _public = word_regex(PUBLIC_CONTEXT)

    def _is_street(self, street: str) -> bool:
        last = street.split()[-1].lower().rstrip("'’-")
        return len(last) > 3 and any(last.endswith(s) for s in SUFFIXES) or last in SUFFIXES

    def _public_place(self, text: str, start: int, street: str) -> str | None:
        low = street.lower()
        for p in PUBLIC_STREETS:
            if p in low:
                return f"public street {p!r}"
        line_start = text.rfind("\n", 0, start) + 1
        sentence_start = max(text.rfind(". ", line_start, start) + 1, line_start, start - 90)
        m = self._public.search(text, sentence_start, start)
        if m:
            return f"public or business place ({m.group(0)!r})"
        return None

    def analyze(self, text: str, ctx: Context) -> list[Finding]:
        out: list[Finding] = []
        public_until: list[tuple[int, int]] = []
        homes: list[int] = []
        for m in ADDRESS_RE.finditer(text):
            street = m.group("street")
            if not self._is_street(street):
                continue
            why = self._public_place(text, m.start(), street)
            if why:
                public_until.append((m.start(), m.end() + 40))
                continue
            score, notes = self.score(text, m.start(), m.end(), 0.6, None)
            out.append(self.make(text, m.start(), m.end(), "address", score, "street-house-number", notes))
            homes.append(m.end())
        for m in POSTCODE_RE.finditer(text):
            s = m.start()
            if any(a <= s <= b for a, b in public_until):
                continue
            letters = m.group(0)[-2:]
            near_home = any(0 <= s - e <= 40 for e in homes)
            score, notes = self.score(text, s, m.end(), 0.6, None)
            if near_home:
                score = max(score, 0.9)
                notes.append("follows a home address")
            elif letters in UNITS and "context" not in " ".join(notes):
                continue
            line_start = text.rfind("\n", 0, s) + 1
            if self._public.search(text, line_start, s) and not near_home:
                continue
            out.append(self.make(text, s, m.end(), "postcode", score, "postcode", notes))
        return out

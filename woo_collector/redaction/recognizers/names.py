"""Person names (5.1.2e) in Dutch e-mail and chat, from structure, context and name lists.

Signals, strongest first (participants named in headers and chat lines are matched by the
analyzer from ``known_people``; this recognizer finds everyone else):

- position: the speaker of a chat line (``[12-03-2024 09:14] Sanne de Boer: ...``,
  ``Wim de Groot (14:22): ...``, ``bram: ...``), the name part of ``Van:``/``Aan:``/``Cc:`` header
  lines, the line after a closing ("Met vriendelijke groet,"), label lines ("Naam:", "Aanvrager:");
- a title or form of address before it ("mevrouw", "mw.", "dhr.", "de heer", "meneer", "collega",
  "wethouder", "buurman") or a salutation ("Beste", "Hoi", "Geachte");
- Dutch name structure: initials ("P.J."), given names from the lists, tussenvoegsels in lower
  case after a given name ("Pieter van der Meulen") or capitalised when the surname stands alone
  ("Van der Meulen"), surnames from the list;
- lower-case chat writing ("sanne zei dat ...") through an Aho-Corasick scan of given names,
  taken only with a second cue (a verb or a preposition next to it, a vocative comma, message start).

Capitalised ordinary words are kept out with ``data/not_names.txt`` (months, weekdays,
organisation words, places): "Den Haag. De Koning" gives no name, neither do "Gemeente
Dijkstad" or "Dorpshuis De Kern". Given names that are also ordinary words ("Roos", "Wil")
need a second signal.
"""

from __future__ import annotations

import re
from functools import lru_cache

import ahocorasick

from ..lexicon import section, tussenvoegsels, words
from ..model import Finding
from .base import Context, Recognizer

_UP = "".join(chr(c) for c in range(0xC0, 0x250) if chr(c).isupper()) + "İ"
_LO = "".join(chr(c) for c in range(0xC0, 0x250) if chr(c).islower()) + "ı"
UP = f"A-Z{_UP}"
LO = f"a-z{_LO}"
CAPW = (rf"(?:[{UP}]['’](?=[{UP}]))?[{UP}][{LO}'’]*[{LO}](?:[{UP}][{LO}]+)?"
        rf"(?:-(?:[{UP}][{LO}'’]*[{LO}]|(?:de|van|el|al|ter|ten)(?=[ \t])))*")
INIT = rf"(?:(?:Th|Chr|Ph|Joh|IJ|[{UP}])\.[ \t]?){{1,5}}"
CAPITAL_PARTICLES = {"el", "al", "ben", "bin", "ait", "abou", "abu", "a"}
ADDRESS_FORMS = {"mevrouw", "mevr", "mw", "mej", "juffrouw", "meneer", "mijnheer", "de heer", "heer",
                 "dhr", "hr", "fam", "familie", "gezin", "mr", "dr", "drs", "ir", "ing", "prof", "bc",
                 "beste", "hoi", "hallo", "hai", "hey", "hi", "dag", "lieve", "geachte", "dear", "mrs",
                 "ms", "miss", "goedemorgen", "goedemiddag", "goedenavond"}
STREET_END = ("straat", "laan", "weg", "plein", "gracht", "kade", "singel", "steeg", "dreef",
              "plantsoen", "markt", "allee", "boulevard", "pad", "hof", "park")
VERBS = {"zei", "zegt", "zeggen", "vroeg", "vraagt", "belde", "belt", "heeft", "had", "is", "was",
         "komt", "kwam", "gaat", "ging", "wil", "wilde", "kan", "kon", "moet", "moest", "weet",
         "wist", "mailde", "mailt", "stuurde", "stuurt", "doet", "deed", "neemt", "nam", "zit", "zat",
         "staat", "stond", "heb", "kun", "zal", "gaf", "geeft", "vindt", "vond", "denkt", "dacht",
         "graag", "ook", "en", "jij", "je", "krijgt", "kreeg", "werkt", "woont", "regelt", "zou",
         "gezien", "gesproken", "gebeld", "gemaild", "gevraagd", "heet", "heette", "noemt", "zelf"}
BEFORE = {"hoi", "hey", "hi", "hallo", "dag", "beste", "dank", "bedankt", "thanks", "sorry", "met",
          "van", "aan", "voor", "bij", "naar", "door", "tegen", "en", "of", "dat", "zei", "vroeg",
          "heb", "heeft", "ik", "collega", "als", "want", "@"}
# a capitalised word right before one of these is a person speaking ("Djindjic zei", "vindt Luns" is the cue
# before); news agencies and bodies are kept out by not_names.txt
SPEECH_AFTER = {"zei", "zegt", "vindt", "vond", "meent", "meende", "verklaarde", "verklaart", "stelt", "stelde",
                "schreef", "schrijft", "benadrukte", "benadrukt", "antwoordde", "antwoordt", "reageerde", "reageert",
                "vertelde", "vertelt", "denkt", "dacht", "weigert", "weigerde", "erkent", "erkende", "ontkent",
                "ontkende", "waarschuwt", "waarschuwde", "beaamt", "beaamde", "zegde", "vroeg", "vraagt"}
# a single unlisted word after a function word that ends like this names a department, not a person
# ("adviseur Ruimte", "directeur Bedrijfsvoering", "minister Financiën")
DEPARTMENT_END = ("heid", "heden", "voering", "having", "lening", "dening", "planning", "vergunning", "iering",
                  "vesting", "rijding", "leiding", "wikkeling", "richting", "houding", "ziening", "ingen", "zaken", "beleid", "beheer", "zorg", "werken", "schap",
                  "schappen", "iteit", "ië", "iën", "tie", "ties", "sie", "isme", "kunde", "wezen", "recht",
                  "bouw", "onderwijs", "verkeer", "cultuur", "economie", "sport", "jeugd", "ruimte", "milieu", "wonen")
# surname endings that are (nearly) never ordinary words: Frisian, Slavic, Romanian
SURNAME_END = ("sma", "stra", "inga", "enga", "ski", "sky", "vić", "vic", "ović", "wicz", "enko", "escu")
FUNCTION_PREFIXES = ("ex-", "oud-", "vice-", "interim-", "waarnemend-", "adjunct-", "hoofd-", "mede-")
HEADER = re.compile(r"^[ \t>]*(?:Van|Aan|Cc|Bcc|From|To|Afzender|Ontvanger|Verzender|Geadresseerde)[ \t]*:", re.I | re.M)
LABEL = re.compile(r"^[ \t]*(?:naam|aanvrager|aanvraagster|contactpersoon|partner|verzoeker|verzoekster|"
                   r"klager|melder|eigenaar|huurder|verhuurder|bewoner|getuige|inspreker|behandelaar|"
                   r"referentie|notulist|verslag|voorzitter|secretaris|aanwezig|afwezig|contact|"
                   r"maandag|dinsdag|woensdag|donderdag|vrijdag|zaterdag|zondag)[ \t]*:", re.I | re.M)
STAMP = r"\[?\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4},?[ \t]+\d{1,2}:\d{2}(?::\d{2})?\]?[ \t]*(?:-[ \t]*)?"
NAMEISH = rf"[{UP}{LO}][{UP}{LO}'’.-]*(?:[ \t]+[{UP}{LO}][{UP}{LO}'’.-]*){{0,4}}"
SPEAKER_STAMPED = re.compile(rf"^{STAMP}(?P<v>{NAMEISH})[ \t]*:", re.M)
SPEAKER_TIME = re.compile(rf"^(?P<v>{NAMEISH})[ \t]+(?:\(\d{{1,2}}:\d{{2}}\)|\d{{1,2}}:\d{{2}})[ \t]*(?::|$)", re.M)
# a byline: "Door Guy Verhofstadt", "DOOR GUY VERHOFSTADT", "Door Marc Peeters en Anne De Smet"
_BYWORD = rf"[{UP}][{UP}{LO}'’-]*[{UP}{LO}]"
_BYNAME = rf"{_BYWORD}(?:[ \t]+(?:(?i:van|de|der|den|het|ten|ter|te|la|le|du|des|d'|el|al)[ \t]+)*{_BYWORD}){{1,3}}"
BYLINE = re.compile(rf"^[ \t]*(?:door|DOOR|Door|tekst|TEKST|Tekst)[ \t:]+(?P<v>{_BYNAME})"
                    rf"(?:[ \t]+(?:en|EN|&)[ \t]+(?P<w>{_BYNAME}))?[ \t]*$", re.M)
SPEAKER_BARE = re.compile(rf"^(?P<v>{NAMEISH})[ \t]*:[ \t]", re.M)
# a chat message pasted into another: "[5/2, 16:08] Coen Goedhart: ...", anywhere on a line, year optional
SPEAKER_QUOTED = re.compile(rf"\[\d{{1,2}}[-/.]\d{{1,2}}(?:[-/.]\d{{2,4}})?,?[ \t]+\d{{1,2}}[:.]\d{{2}}(?:[:.]\d{{2}})?\][ \t]*"
                            rf"(?P<v>{NAMEISH})[ \t]*:")


def trie_regex(words) -> str:
    """One regex alternation for ``words`` factored as a trie (much faster than a flat list)."""
    trie: dict = {}
    for w in words:
        node = trie
        for ch in w:
            node = node.setdefault(ch, {})
        node[""] = {}

    def build(node: dict) -> str:
        alts = [re.escape(ch) + build(sub) for ch, sub in sorted(node.items()) if ch]
        if not alts:
            return ""
        if "" in node:
            return "(?:" + "|".join(alts) + ")?"
        return alts[0] if len(alts) == 1 else "(?:" + "|".join(alts) + ")"

    return build(trie)


_TITLE_LOWER = re.compile(
    r"(?<![\w])(?P<t>mevrouw|mevr\.?|mw\.?|meneer|mijnheer|de heer|heer|dhr\.?|fam\.?|familie)[ \t]+"
    r"(?P<name>(?P<tv>(?:van der|van den|van de|van|de|den|ter|ten|el)[ \t]+)?(?P<w>[a-z" + _LO + r"][a-z" + _LO + r"'-]+))(?![\w])")
_WORDS = re.compile(r"[\w@]+")
_NEXT_WORD = re.compile(r"[ \t]*(\w+)")
_PUNCT = re.compile(r"[ \t]*[,?!]")
_MSG_START = re.compile(r"(?:^|:[ \t]|[.!?][ \t])[ \t]*$")
_WORD_BEFORE = re.compile(r"(?<![\w-])([a-z]+)[ \t]+$")
_WORD_AFTER = re.compile(r"[ \t]+([a-z]+)(?![\w-])(?:[ \t]+(ik|jij|wij|we)(?![\w-]))?")
_COORD_HINT = re.compile(r"[ \t](?:en|of)[ \t]")
_COORD_AFTER = re.compile(rf"(?:[ \t]*\([^()\n]{{1,12}}\))?[ \t]+(?:en|of)[ \t]+(?P<w>{CAPW})(?![\w@'’-]|[ \t]+[{UP}])")
_COORD_BEFORE = re.compile(rf"(?<![\w@'’-])(?P<w>{CAPW})[ \t]+(?:en|of)[ \t]+$")
_LOWER_TV = re.compile(r"[ \t]+(van der|van den|van de|van|de|den|ter|ten|el)[ \t]+([a-z" + _LO + r"]{2,})\b")


@lru_cache(maxsize=1)
def _lexicon() -> dict:
    tv = tussenvoegsels()
    closing = sorted(words("closings"), key=len, reverse=True)
    titles = sorted(words("titles"), key=len, reverse=True)
    salut = sorted(words("salutations"), key=len, reverse=True)
    first = words("first_names")
    automaton = ahocorasick.Automaton()
    for name in first - words("first_names_ambiguous"):
        automaton.add_word(name, name)
    automaton.make_automaton()
    tv_alt = trie_regex(tv)
    tv_first = re.escape("".join(sorted({t[0] for t in tv} | {t[0].upper() for t in tv})))
    # the lookaheads only let the alternations run where a name or particle can start (speed)
    name_re = re.compile(
        rf"(?<![\w@.'’-])(?=[{UP}{tv_first}])(?P<init>{INIT}[ \t]*(?:\({CAPW}\)[ \t]+)?)?"
        rf"(?P<given>(?:(?=[{UP}])(?!(?i:{tv_alt})[ \t]){CAPW}[ \t]+){{0,4}})"
        rf"(?P<tv>(?:(?=[{tv_first}])(?i:{tv_alt})[ \t]+){{0,2}})"
        rf"(?P<sur>{CAPW})(?![\w@'’-]|\.\w)")
    return {
        # the sourced lists (data/README.txt) widen capitalised detection; lower-case chat writing
        # only looks for the hand-written given names (the automaton above)
        "first": first | (words("first_names_sourced") - words("first_names_ambiguous")),
        "amb": words("first_names_ambiguous"),
        "sur": words("surnames") | words("surnames_sourced"),
        "not": words("not_names"),
        # places are surnames and given names too ("Els Sydney", "Sydney Jansen"): in name position they stay
        "places": section("not_names", "Dutch places") | section("not_names", "foreign places"),
        "org": words("organisation_words") | section("not_names", "organisation and government words")
        | section("not_names", "companies"),
        "tv": set(tv),
        "titles": set(titles),
        "functions": {w for w in words("functions") if not w.startswith("-")},
        "function_ends": tuple(w[1:] for w in words("functions") if w.startswith("-")),
        "cues": set(words("name_cues")),
        "salut": set(salut),
        "closing": re.compile(r"^[ \t]*(?:" + "|".join(re.escape(c) for c in closing) + r")[ \t]*[,.!:]?[ \t]*$", re.I | re.M),
        "automaton": automaton,
        "name_re": name_re,
    }


def _sentence_start(text: str, start: int) -> bool:
    before = text[max(0, start - 3):start].rstrip(" \t")
    return not before or before[-1] in ".!?:\n>\"'(" or start == 0


class NameRecognizer(Recognizer):
    """Person names from position, titles, name structure and name lists."""

    name = "names"
    categories = ("name",)

    def __init__(self) -> None:
        super().__init__()
        self.lex = _lexicon()
        self._function_words: dict[str, bool] = {}

    # evidence of position ------------------------------------------------------------------
    def _positions(self, text: str) -> tuple[dict[int, str], list[tuple[int, int, str]]]:
        """Line starts with a positional cue, and explicit speaker spans."""
        cues: dict[int, tuple[str, int]] = {}
        speakers: list[tuple[int, int, str]] = []
        for m in HEADER.finditer(text):
            cues[m.start()] = ("header line", m.end())
        for m in LABEL.finditer(text):
            cues[m.start()] = ("label line", m.end())
        for m in self.lex["closing"].finditer(text):
            pos = m.end()
            for _ in range(3):
                nl = text.find("\n", pos)
                if nl < 0:
                    break
                nxt = text.find("\n", nl + 1)
                line = text[nl + 1: nxt if nxt >= 0 else len(text)]
                if line.strip():
                    cues[nl + 1] = ("signature line", nl + 1)
                    break
                pos = nl + 1
        for m in BYLINE.finditer(text):
            for g in ("v", "w"):
                if m.group(g):
                    speakers.append((m.start(g), m.end(g), "byline"))
        for rx, why in ((SPEAKER_STAMPED, "chat speaker"), (SPEAKER_TIME, "chat speaker"),
                        (SPEAKER_QUOTED, "speaker of a pasted chat message"),
                        (SPEAKER_BARE, "chat speaker (no time)")):
            for m in rx.finditer(text):
                speakers.append((m.start("v"), m.end("v"), why))
        return cues, speakers

    # scoring of one capitalised candidate ------------------------------------------------------
    def _evaluate(self, text: str, start: int, init: str, given: list[str], tv: str, sur: str,
                  cue: str | None) -> tuple[float, list[str], int]:
        """(score, notes, start offset after trimming leading titles) of one candidate."""
        lx = self.lex
        notes: list[str] = []
        skip = 0
        title = None
        role = False
        cue_word = None
        dropped = False     # an ordinary word was left out before the candidate ('Beste Hotel Sydney')
        while given:
            word = given[0]
            lw = word.lower()
            if lw in lx["titles"] or lw in lx["salut"]:
                title, role = word, self._is_function(lw)
            elif self._is_function(lw):
                title, role = word, True
            elif lw in lx["cues"]:
                title, role, cue_word = word, True, word
            elif lw.rstrip(".") in lx["not"] or lw in lx["not"]:
                if lw in lx["places"] and title is not None and not role and not dropped:
                    break   # 'Beste Sydney Jansen': a place word right after a salutation is a given name
                dropped = True
            elif (len(given) + 1 >= 3 and lw not in lx["first"] and lw not in lx["sur"] and not init
                  and _sentence_start(text, start + skip)):
                notes.append(f"sentence start {word!r} left out")  # "Volgens Alain Hubert"
            else:
                break
            given.pop(0)
            skip = text.index(word, start + skip) - start + len(word)
            while start + skip < len(text) and text[start + skip] in " \t":
                skip += 1
        if title is None and not init:
            title = self._title_before(text, start)
            if title is not None and self._is_function_word(title):
                role = True
            elif title is None and cue is None:
                cue_word = self._cue_before(text, start + skip)
                if cue_word is None and not given and not tv and (dropped or not self._inside_proper_noun(text, start + skip)):
                    verb = self._speech_after(text, start + skip + len(sur))
                    if verb is not None:
                        cue_word = verb
                        notes.append(f"before {verb!r}")
                if cue_word is not None:
                    title, role = cue_word, True
        if title:
            notes.append(f"title/salutation {title!r}")
        if cue:
            notes.append(cue)
        tokens = given + tv.split() + [sur]
        low = [t.lower() for t in tokens]
        first_ok = bool(given) and low[0] in lx["first"] and low[0] not in lx["amb"]
        first_amb = bool(given) and low[0] in lx["amb"]
        if tv and given and tv[0].isupper() and not init and tv.lower() not in CAPITAL_PARTICLES:
            # Flemish and Dutch names: "Luc Van den Bossche", "Vincent De Poortere"; not "Hotel De Wereld"
            if not (first_ok or first_amb or (title is not None and cue_word is None) or cue is not None
                    or (len(given) == 1 and len(low[0]) <= 8 and low[0] not in lx["not"] and sur.lower() not in lx["not"]
                        and not _sentence_start(text, start + skip))):
                return 0.0, notes + ["capitalised tussenvoegsel after a word"], skip
            notes.append("capitalised tussenvoegsel after a given name")
        if tv and tv[0].islower() and not given and not init and role and low[-1] not in lx["sur"]:
            return 0.0, notes + [f"'{title} {tv} ...' names an office, not a person"], skip
        if tv and tv[0].islower() and given and not init and not (first_ok or first_amb) and title is None \
                and cue is None and (low[-1] not in lx["sur"] or self._inside_proper_noun(text, start + skip)):
            return 0.0, notes + ["word + 'van' + word: no listed given name, or part of a longer proper noun"], skip
        if tv and not given and not init and title is not None and re.match(rf"[ \t]+[{UP}]", self._after(text, start + skip, tokens)):
            return 0.0, notes + ["a capitalised word follows: an office or a body ('Minister Van Buitenlandse Zaken')"], skip
        if tv and tv[0].islower() and not init and any(p in lx["places"] for p in sur.lower().split("-")):
            return 0.0, notes + ["a place after 'van' ('Jan Bruin van Rotterdam-Zuid')"], skip
        after = start + skip + len(" ".join(tokens))
        if sur.lower().endswith(STREET_END) and re.match(r"[ \t]*\d", text[after:after + 3] or " "):
            return 0.0, notes + ["street name"], skip
        if any(s in sur.lower() for s in ("straat", "laan", "plein", "gracht")):
            return 0.0, notes + ["street name"], skip
        # name position: a salutation, a form of address, a header, label or signature line; there a
        # capitalised word that is also a place is a name ('Beste Els Sydney', 'mevrouw Sydney')
        position = cue is not None or (title is not None and not role)
        if not given and not tv and not init and (sur.lower() in lx["not"] or sur.lower() in lx["titles"]
                                                  or sur.lower() + "." in lx["titles"]) \
                and not (position and not dropped and sur.lower() in lx["places"]):
            return 0.0, notes + ["ordinary word"], skip
        sur_known = low[-1] in lx["sur"]
        bad = [t for t in low if t in lx["not"] and not (t in lx["sur"] and (first_ok or tv or init))]
        if (first_ok or first_amb) and cue is not None:
            # a listed given name in name position ('Van: Els Sydney'): its surname may be a word or a place
            bad = [t for t in bad if t not in (low[0], low[-1])]
        if position and not dropped:
            bad = [t for t in bad if t not in lx["places"]]
        if bad == [low[-1]] and first_ok and len(tokens) == 2 and not _sentence_start(text, start + skip) \
                and low[-1] not in lx["org"] and not re.match(rf"[ \t]+[{UP}]", self._after(text, start + skip, tokens)):
            bad = []    # a listed given name and then a word that is also a surname ('Frederick West', 'Sanne Maandag')
            notes.append(f"listed given name before {tokens[-1]!r}")
        if tv:
            bad = [b for b in bad if b not in lx["tv"]]
        if bad:
            return 0.0, notes + [f"ordinary word {bad[0]!r}"], skip
        listed = any(t in lx["first"] or t in lx["sur"] for t in low) or bool(tv) or bool(init)
        address_form = title is not None and title.lower().rstrip(".") in ADDRESS_FORMS
        lone = len(tokens) == 1 and (not dropped or cue_word is not None) and self._surname_like(text, start + skip, start + skip + len(sur), sur)
        if title is not None and not address_form and not listed and cue is None:
            if len(tokens) < 2 and not lone:
                return 0.0, notes + ["role word before an unlisted word"], skip
            if len(tokens) >= 2 and self._function_line(text, start, skip, tokens):
                return 0.0, notes + ["a function and department line"], skip
        if cue_word is not None and not any(t in lx["first"] or t in lx["sur"] for t in low) \
                and not (lone or (len(tokens) >= 2 and not _sentence_start(text, start + skip))):
            return 0.0, notes + [f"{cue_word!r} before unlisted words"], skip
        strong = title is not None or cue is not None
        if init:
            score = 0.85 if (tv or sur_known or strong or given) else 0.65
            notes.append("initials + surname")
        elif given and tv:
            score = 0.9 if first_ok or first_amb else 0.7
            notes.append("given name + tussenvoegsel + surname")
        elif given:
            if first_ok:
                score = 0.95 if sur_known else 0.85
                notes.append("given name from list + surname")
            elif first_amb and (sur_known or low[-1] in lx["first"]):
                score = 0.75
                notes.append("ambiguous given name + surname")
            elif strong:
                score = 0.75
            elif first_amb:
                score = 0.5
            elif (len(given) == 1 and (low[-1] in lx["sur"] or low[-1] in lx["first"]) and len(low[0]) >= 3
                  and not _sentence_start(text, start + skip) and not self._after_article(text, start + skip)):
                score = 0.6
                notes.append("unlisted given name + listed surname inside a sentence")
            else:
                score = 0.0
        elif tv:
            if strong:
                score = 0.8
            elif not _sentence_start(text, start + skip) and tv[0].isupper() and sur_known \
                    and not re.search(rf"[{UP}][\w-]*[ \t]+$", text[max(0, start + skip - 30):start + skip]):
                score = 0.55
                notes.append("capitalised tussenvoegsel + known surname")
            else:
                score = 0.0
        else:
            word = low[-1]
            if title is None and cue is None and len(word) >= 6 and word.endswith(SURNAME_END) and not sur.isupper() \
                    and not self._after_article(text, start + skip):
                score = 0.7
                notes.append("a surname by its ending ('-sma', '-stra', '-vić', '-ski')")
            elif title is None and cue is None and word in lx["amb"] and _sentence_start(text, start + skip) \
                    and text[start + skip + len(sur): start + skip + len(sur) + 1] == ",":
                score = 0.6
                notes.append("given name spoken to ('Jan, doe jij de deur dicht?')")
            elif title is not None and cue is None:
                score = 0.8
            elif cue:
                score = 0.8 if (word in lx["first"] or word in lx["sur"] or cue != "label line") else 0.6
            elif word in lx["first"] and word not in lx["amb"]:
                score = 0.7
                notes.append("given name from list")
            else:
                score = 0.0
        if strong and score:
            score = min(1.0, max(score, 0.8) + 0.05)
        return score, notes, skip

    @staticmethod
    def _after(text: str, start: int, tokens: list[str]) -> str:
        """The text right after the candidate's last token."""
        end = text.find(tokens[-1], start) + len(tokens[-1])
        return text[end:end + 3]

    @staticmethod
    def _after_article(text: str, start: int) -> bool:
        """"de Brent Spar", "het Bolshoi Theater": an article or a preposition of place right before."""
        m = re.search(r"(\w+)[ \t]+$", text[max(0, start - 12):start])
        return m is not None and m.group(1).lower() in ("de", "het", "een", "der", "des", "in", "te", "naar", "uit")

    @staticmethod
    def _inside_proper_noun(text: str, start: int) -> bool:
        """"de Olympische Spelen van Parijs": an article or a capitalised word right before."""
        before = text[max(0, start - 20):start].split()
        return bool(before) and (before[-1] in ("de", "het", "een", "der", "des") or before[-1][:1].isupper()
                                 and not before[-1].endswith((".", ":", "!", "?")))

    @staticmethod
    def _function_line(text: str, start: int, skip: int, tokens: list[str]) -> bool:
        """"Medewerker Openbare Orde en Veiligheid" alone on its line (a signature's function line)."""
        line_start = text.rfind("\n", 0, start) + 1
        if text[line_start:start].strip():
            return False
        end = text.find(tokens[-1], start + skip) + len(tokens[-1])
        line_end = text.find("\n", end)
        rest = text[end: line_end if line_end >= 0 else len(text)]
        return re.match(r"^[ \t]*(?:(?:en|&|/|,)[ \t].*)?[ \t]*$", rest) is not None

    def _is_function(self, word: str) -> bool:
        """A job title or function ("kamerlid", "hoofdredacteur", "oud-minister")."""
        return word in self.lex["functions"] or word in self.lex["titles"] and word.rstrip(".") not in ADDRESS_FORMS \
            or (len(word) > 6 and word.endswith(self.lex["function_ends"]))

    def _is_function_word(self, word: str) -> bool:
        """A function word, also with a prefix or as the last part of a compound ("ex-president",
        "PvdA-fractievoorzitter", "oud-minister")."""
        known = self._function_words.get(word)
        if known is None:
            low = word.lower()
            known = self._is_function(low) or any(
                low.startswith(p) and self._is_function(low[len(p):]) for p in FUNCTION_PREFIXES) \
                or ("-" in low and self._is_function(low.rsplit("-", 1)[1]))
            if len(self._function_words) < 20000:
                self._function_words[word] = known
        return known

    def _title_before(self, text: str, start: int) -> str | None:
        """The title, salutation or function right before ``start`` ("mevrouw", "de heer", "Beste",
        "premier", "ex-president"), if any."""
        before = text[max(0, start - 40):start].rstrip(" \t,").split()
        if not before:
            return None
        lx = self.lex
        last = before[-1].lower()
        if len(before) >= 2:
            two = before[-2].lower() + " " + last
            if two in lx["titles"] or two in lx["salut"]:
                return before[-2] + " " + before[-1]
        if last in lx["titles"] or last in lx["salut"]:
            return before[-1]
        if text[start - 1:start] in " \t" and self._is_function_word(before[-1].rstrip(":")):
            return before[-1].rstrip(":")      # "premier Djindjic", "schrijver: Victo Conzemius"
        return None

    def _cue_before(self, text: str, start: int) -> str | None:
        """A lower-case reporting word right before ``start`` ("zei", "aldus", "volgens"), if any."""
        m = _WORD_BEFORE.search(text, max(0, start - 20), start)
        if m and m.group(1) in self.lex["cues"] and m.group(1) != "door":
            return m.group(1)
        return None

    def _speech_after(self, text: str, end: int) -> str | None:
        """A reporting verb right after ``end`` ("Djindjic zei"), if any."""
        m = _WORD_AFTER.match(text, end, end + 24)
        if m and m.group(1) == "en" and m.group(2):
            return "en " + m.group(2)       # "Schuitemaker en ik zijn het eens": people pair with "ik"
        return m.group(1) if m and m.group(1) in SPEECH_AFTER else None

    def _surname_like(self, text: str, start: int, end: int, word: str) -> bool:
        """A lone capitalised word after a function or reporting word that reads as a surname: not an
        abbreviation, not a department word, not a function line of a signature ("Beleidsadviseur Ruimte")."""
        low = word.lower()
        if len(word) < 2 or word.isupper() or low in self.lex["not"] or low.endswith(DEPARTMENT_END):
            return False
        if re.search(r"(?:\n|,)[ \t]*$", text[max(0, start - 40):start]):
            return False    # the word before is on another line or behind a comma ("Thanks, Tuesday works")
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        rest = text[end: line_end if line_end >= 0 else len(text)].strip()
        head = text[line_start:start].split()
        return not (len(head) <= 2 and not rest and head and self._is_function_word(head[-1]))

    def _cue_for(self, text: str, start: int, cues: dict[int, tuple[str, int]]) -> str | None:
        line_start = text.rfind("\n", 0, start) + 1
        cue, label_end = cues.get(line_start, (None, 0))
        if cue is None or start < label_end:
            return None
        if cue == "label line":
            between = text[label_end:start].strip(" \t").lower()
            return cue if not between or between.rstrip(".") in self.lex["titles"] or between in self.lex["titles"] else None
        if cue == "signature line":
            line_end = text.find("\n", start)
            line = text[line_start: line_end if line_end >= 0 else len(text)]
            return cue if len(line.split()) <= 6 else None
        return cue

    # the main scan --------------------------------------------------------------------------
    def analyze(self, text: str, ctx: Context) -> list[Finding]:
        lx = self.lex
        cues, speakers = self._positions(text)
        out: list[Finding] = []
        for s, e, why in speakers:
            value = text[s:e]
            first = value.split()[0].lower()
            if first in lx["not"] or value.lower() in lx["not"]:
                continue
            if why.endswith("(no time)") and first not in lx["first"] and not self._known_first(first, ctx):
                continue
            if why == "byline":
                if any(w.lower() in lx["not"] or w.lower() in lx["titles"] for w in value.split()):
                    continue
                out.append(self.make(text, s, e, "name", 0.85, "byline", [why]))
                continue
            out.append(self.make(text, s, e, "name", 0.9, "chat-speaker", [why]))
        pos = 0
        rx = lx["name_re"]
        deferred: list[tuple[int, int, str]] = []    # "Sissy van Alebeek": no listed given name, no list surname
        while True:
            m = rx.search(text, pos)
            if m is None:
                break
            pos = m.end()
            if not m.group("given") and not m.group("init") and m.group("tv")[:1].islower() \
                    and m.group("sur").lower() in lx["first"]:
                pos = m.start("sur")
                continue
            init = (m.group("init") or "").strip()
            given = m.group("given").split()
            tv = " ".join(m.group("tv").split())
            sur = m.group("sur")
            if not given and not init and tv == "Ben":
                given, tv = ["Ben"], ""     # 'Ben Korsten': the given name, not the particle of 'Ben Ali'
            if not (given or tv or init) and sur.lower() in lx["not"] and (
                    sur.lower() not in lx["places"] or self._title_before(text, m.start()) is None):
                continue    # a place is only read as a surname after a title or salutation ('mevrouw Sydney')
            cue = self._cue_for(text, m.start(), cues)
            score, notes, skip = self._evaluate(text, m.start(), init, list(given), tv, sur, cue)
            if score <= 0 and tv and given and not init:
                first_skip = skip
                # "Jeroen Bakker van Omgevingsdienst": retry without the part after the particle
                g_text = " ".join(given)
                g_end = text.index(g_text.split()[-1], m.start()) + len(g_text.split()[-1])
                g = given[:-1]
                score, notes, skip = self._evaluate(text, m.start(), "", g, "", given[-1], cue)
                if score > 0:
                    start = m.start() + skip
                    out.append(self.make(text, start, g_end, "name", score, "name-structure", notes))
                elif tv[0].islower() and len(given) - (first_skip > 0) >= 1:
                    deferred.append((m.start() + first_skip, m.end(), f"{tv} {sur}"))
                continue
            if score <= 0:
                if not given and not init and tv[:1].islower():
                    pos = m.start("sur")
                continue
            start = m.start() + skip
            if start >= m.end():
                continue
            out.append(self.make(text, start, m.end(), "name", score, "name-structure", notes))
        out.extend(self._confirmed(text, out, deferred))
        out.extend(self._coordinated(text, out))
        out.extend(self._lowercase(text, ctx))
        out.extend(self._lowercase_after_title(text))
        return out

    def _confirmed(self, text: str, found: list[Finding], deferred: list[tuple[int, int, str]]) -> list[Finding]:
        """"Sissy van Alebeek ... Van Alebeek won": a given name + 'van' + surname that the lists do not
        know is a name when the same text names "Van Alebeek" on its own elsewhere."""
        if not deferred:
            return []
        out = []
        for s, e, surname in deferred:
            capital = surname[0].upper() + surname[1:]
            alone = any(not re.search(rf"[{UP}][{LO}]+[ \t]+$", text[max(0, m.start() - 30):m.start()])
                        for m in re.finditer(rf"(?<![\w'’-]){re.escape(capital)}(?![\w'’-])", text))
            if alone and not any(f.start < e and s < f.end for f in found if " " in f.text):
                out.append(self.make(text, s, e, "name", 0.8, "name-structure",
                                     [f"given name + {surname!r}, and {surname[0].upper() + surname[1:]!r} stands alone in the text"]))
        return out

    def _coordinated(self, text: str, found: list[Finding]) -> list[Finding]:
        """"Thole en Bartels", "Eef en Harm": a lone capitalised word joined by "en"/"of" to a name
        found is a name too (not an ordinary, place or organisation word, not an abbreviation)."""
        lx = self.lex
        out = []
        for f in found:
            if f.score < 0.6:
                continue
            spots = []
            m = _COORD_AFTER.match(text, f.end, f.end + 60) if _COORD_HINT.search(text, f.end, f.end + 20) else None
            if m:
                spots.append((m.start("w"), m.end("w")))
            m = _COORD_BEFORE.search(text, max(0, f.start - 60), f.start) \
                if text[max(0, f.start - 4):f.start] in (" en ", " of ") else None
            if m and not _sentence_start(text, m.start("w")) and not self._inside_proper_noun(text, m.start("w")):
                spots.append((m.start("w"), m.end("w")))
            for s, e in spots:
                word = text[s:e]
                low = word.lower()
                if word.isupper() or low in lx["not"] or low in lx["titles"] or self._is_function_word(word) \
                        or low.endswith(DEPARTMENT_END) or any(g.start < e and s < g.end for g in found):
                    continue
                out.append(self.make(text, s, e, "name", 0.6, "name-structure", [f"joined by 'en'/'of' to the name {f.text!r}"]))
        return out

    def _lowercase_after_title(self, text: str) -> list[Finding]:
        """"meneer de bruijn", "mevrouw jansen": a listed surname in lower case after a form of address."""
        lx = self.lex
        out = []
        for m in _TITLE_LOWER.finditer(text):
            tv, word = m.group("tv"), m.group("w")
            if word in lx["not"] or word in VERBS or word in BEFORE:
                continue
            if word not in lx["sur"]:
                continue
            out.append(self.make(text, m.start("name"), m.end("name"), "name", 0.75, "lower-case-after-title",
                                 [f"form of address {m.group('t')!r}", "listed surname" + (" with tussenvoegsel" if tv else "")]))
        return out

    def _known_first(self, word: str, ctx: Context) -> bool:
        return any(str(p).split()[0].lower() == word for p in ctx.known_people if str(p).strip())

    def _lowercase(self, text: str, ctx: Context) -> list[Finding]:
        """Lower-case given names in chat writing, with a second cue next to them."""
        lx = self.lex
        low = text.lower()
        if len(low) != len(text):  # "İ" lowers to two characters: keep offsets aligned
            low = "".join(c if len(c.lower()) != 1 else c.lower() for c in text)
        out = []
        for end, name in lx["automaton"].iter(low):
            start = end - len(name) + 1
            end += 1
            if text[start].isupper():
                continue
            if (start > 0 and (low[start - 1].isalnum() or low[start - 1] in "@.-_'")) or \
                    (end < len(low) and (low[end].isalnum() or low[end] in "@-_'")):
                continue
            if end < len(low) and low[end] == "." and end + 1 < len(low) and low[end + 1].isalnum():
                continue
            prev = _WORDS.findall(low, max(0, start - 20), start)
            after = _NEXT_WORD.match(low, end, end + 20)
            punct = _PUNCT.match(low, end, end + 3)
            line_start = low.rfind("\n", 0, start) + 1
            at_msg_start = _MSG_START.search(low, line_start, start) is not None
            cue = None
            span_end = end
            tvm = _LOWER_TV.match(low, end, end + 40)
            if tvm and (tvm.group(2) in lx["sur"] or tvm.group(1).startswith("van")) and tvm.group(2) not in lx["not"]:
                cue = "lower-case given name + tussenvoegsel + surname"
                span_end = tvm.end()
            elif prev and prev[-1] in BEFORE:
                cue = f"after {prev[-1]!r}"
            elif after and after.group(1) in VERBS:
                cue = f"before {after.group(1)!r}"
            elif punct:
                cue = "vocative"
            elif at_msg_start:
                cue = "message start"
            if cue is None:
                continue
            out.append(self.make(text, start, span_end, "name", 0.65, "lower-case-given-name",
                                 [f"given name {name!r} (Aho-Corasick)", cue]))
        return out

"""Propagation: once a name is redacted, every form of it goes, in the whole request.

``name_variants("Pieter van der Meulen")`` gives the literal forms a handler would look for:
the full name, "Pieter", "P. van der Meulen", "van der Meulen", and the e-mail local parts
"pieter.vandermeulen", "p.vandermeulen", "pvdmeulen", ... A ``Propagator`` learns the names of
redacted findings (``learn``) and finds all their forms in other texts (``apply``): in any case,
with possessives ("Pieters", "Van der Meulens"), and initials forms with initials it never saw
("P.J. van der Meulen" after learning "Pieter van der Meulen").

Single-word forms that are also ordinary words ("Roos", "Bos", "Storm"), or that no name list has,
are only matched capitalised (``capital_only``), so "een roos" stays; the package's defence in depth
(``exports.render.Needles``) follows the same rule.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import ahocorasick

from .lexicon import tussenvoegsels, words
from .model import GROUND_PRIVACY, Finding

INITIAL = re.compile(r"^(?:[A-Z]|Th|Chr|Ph|Joh|Wm|IJ)\.?$|^(?:(?:[A-Z]|Th|Chr|Ph|IJ)\.){2,}$")
_DOMAIN = re.compile(r"@(?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,24}(?![\w-])")
_INITIALS = re.compile(r"(?<![\w.])([A-Za-z])\.[ \t]?(?:[A-Za-z]\.[ \t]?){0,4}[ \t]*")
SMALL = 80  # up to this many forms a plain str.find scan beats building an Aho-Corasick automaton
POSSESSIVE = r"(?:'s|’s|s|'|’)?"
TV_SHORT = {"van der": "vd", "van den": "vd", "van de": "vd", "van het": "vh", "van 't": "vt",
            "van": "v", "de": "d", "den": "d", "ter": "t", "ten": "t", "te": "t"}
TITLE_WORDS = ("mevrouw", "mevr.", "mevr", "mw.", "mw", "dhr.", "dhr", "de heer", "heer", "meneer",
               "mr.", "dr.", "drs.", "ir.", "ing.", "prof.", "fam.", "familie")


@dataclass(frozen=True)
class NameParts:
    """A personal name taken apart: given names, initials, tussenvoegsel, surname."""

    given: tuple[str, ...]
    initials: str
    tv: str
    surname: str

    @property
    def surname_full(self) -> str:
        return f"{self.tv} {self.surname}".strip()


def fold(text: str) -> str:
    """Lower case without diacritics and dotless i, for e-mail local parts (Öztürk -> ozturk)."""
    text = text.replace("ı", "i").replace("ł", "l").replace("Ł", "L").replace("ß", "ss")
    nfkd = unicodedata.normalize("NFKD", text)
    return "".join(c for c in nfkd if not unicodedata.combining(c)).lower()


@lru_cache(maxsize=4096)
def split_name(full_name: str) -> NameParts:
    """Split "P.J. (Pieter) van der Meulen" into given, initials, tussenvoegsel and surname."""
    name = re.sub(r"\s+", " ", full_name.strip())
    low = name.lower()
    for title in sorted(TITLE_WORDS, key=len, reverse=True):
        if low.startswith(title + " "):
            name = name[len(title) + 1:]
            low = name.lower()
    tokens = re.findall(r"\([^)]*\)|[^\s()]+", name)
    given: list[str] = []
    initials = ""
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.startswith("("):
            given.insert(0, tok.strip("()"))
        elif INITIAL.match(tok) and i < len(tokens) - 1:
            initials += "".join(p + "." for p in re.findall(r"Th|Chr|Ph|Joh|Wm|IJ|[A-Z]", tok))
        else:
            break
        i += 1
    rest = tokens[i:]
    tvs = tussenvoegsels()
    j = 0
    while j < len(rest) - 1:
        for n in (3, 2, 1):
            cand = " ".join(rest[j:j + n]).lower()
            if j + n < len(rest) and cand in tvs and (j > 0 or given or initials or n >= 1):
                tv_start = j
                tv = " ".join(rest[j:j + n])
                surname = " ".join(rest[j + n:])
                given += rest[:tv_start]
                return NameParts(tuple(given), initials, tv, surname)
        j += 1
    if len(rest) >= 2:
        return NameParts(tuple(given + rest[:-1]), initials, "", rest[-1])
    if rest and (given or initials):
        return NameParts(tuple(given), initials, "", rest[0])
    if rest and rest[0][:1].isupper() and rest[0].lower() in words("surnames"):
        return NameParts((), "", "", rest[0])
    return NameParts(tuple(rest), initials, "", "")


def _initials_of(parts: NameParts) -> str:
    if parts.initials:
        return parts.initials
    return "".join(g[0].upper() + "." for g in parts.given if g)


def email_locals(parts: NameParts) -> set[str]:
    """Local parts a mailbox of this person is likely to have (folded to ascii lower case)."""
    out: set[str] = set()
    if not parts.surname:
        return out
    sur = fold(parts.surname).replace(" ", "").replace("-", "")
    tv = fold(parts.tv).replace(" ", "").replace("'", "")
    tv_short = TV_SHORT.get(fold(parts.tv), tv[:1])
    firsts = [fold(g) for g in parts.given[:1]]
    inits = fold(_initials_of(parts)).replace(".", "")
    init1 = inits[:1]
    full_sur = tv + sur
    for f in firsts:
        out |= {f"{f}.{full_sur}", f"{f}{full_sur}", f"{f}_{full_sur}", f"{f}-{full_sur}",
                ".".join([f] + fold(parts.tv).replace("'", "").split() + [sur])}
    if init1:
        out |= {f"{init1}.{full_sur}", f"{init1}{full_sur}", f"{inits}.{full_sur}", f"{inits}{full_sur}",
                f"{init1}{tv_short}{sur}", f"{init1}.{tv_short}{sur}"}
    if tv:
        out.add(full_sur)
        if len(tv_short) >= 2:
            out.add(f"{tv_short}{sur}")
    return {o for o in out if len(o) >= 4}


def name_variants(full_name: str) -> set[str]:
    """Every literal form of a person's name worth redacting (see the module docstring)."""
    return set(_name_variants(full_name))


@lru_cache(maxsize=4096)
def _name_variants(full_name: str) -> frozenset[str]:
    parts = split_name(full_name)
    out = set()
    if (parts.surname or len(parts.given) == 1) and not (parts.initials and parts.given):
        out.add(" ".join(p for p in (parts.initials, " ".join(parts.given), parts.surname_full) if p))
    sur = parts.surname_full
    if parts.given:
        out.add(parts.given[0])
        if sur:
            out.add(f"{parts.given[0]} {sur}")
            out.add(" ".join(parts.given) + " " + sur)
    if sur:
        out.add(sur)
        if parts.tv:
            out.add(sur[0].upper() + sur[1:])
        inits = _initials_of(parts)
        if inits:
            out.add(f"{inits[:2]} {sur}")
            out.add(f"{inits} {sur}")
        if "-" in parts.surname and not parts.tv:
            out |= {p for p in parts.surname.split("-") if len(p) > 2}
    out |= email_locals(parts)
    return frozenset(v for v in out if v and len(v) >= 2)


FUNCTION_WORDS = {"ben", "wil", "will", "toon", "hoop", "mark", "bas", "roos", "storm", "jet", "els",
                  "ans", "leen", "pier", "ad", "bo", "jo", "ko", "can", "may", "ton", "cor", "nel",
                  "job", "jan", "max", "sky", "kim", "ali", "said", "hope", "faith", "gift", "ion"}


def whole_name_forms(full_name: str) -> set[str]:
    """For a person named by the source (a chat author "Carol Christmas Work"): every run of
    consecutive words of the name, so that no part of it stays readable ("Carol Christmas",
    "Christmas"); single words of three letters or more, particles only inside a run."""
    parts = split_name(full_name)
    tokens = [*parts.given, *parts.tv.split(), *parts.surname.split()]
    tvs = set(tussenvoegsels())
    out = set()
    for i in range(len(tokens)):
        for j in range(i + 1, len(tokens) + 1):
            run = tokens[i:j]
            if run[0].lower() in tvs and i == 0 or (len(run) == 1 and (len(run[0]) < 3 or run[0].lower() in tvs)):
                continue
            if run[-1].lower() in tvs:
                continue
            out.add(" ".join(run))
    return out


def _ordinary(word: str, lenient: bool = False) -> bool:
    low = word.lower()
    if lenient:
        return low in FUNCTION_WORDS or low in words("not_names") or len(low) <= 2
    return low in words("first_names_ambiguous") or low in words("not_names") or len(low) <= 2


def _listed(word: str) -> bool:
    return word in words("first_names") or word in words("surnames")


def capital_only(form: str, lenient: bool = False) -> bool:
    """Whether a one-word form of a name counts only where it is written with a capital: when it is
    an ordinary word ("Roos", "Bos", "Storm"), or, but for ``lenient``, when no name list has it
    ("Windturbines" read as a person in a subject): its lower-case uses ("een roos", "de geplande
    windturbines") are the word, not the name. A listed name that is no ordinary word ("Jansen",
    "Pieter") counts in any case, as does, with ``lenient``, a person named by the source (a chat
    participant written in lower case)."""
    return _ordinary(form, lenient) or not (lenient or _listed(form.lower()))


def _literal(variant: str) -> str:
    return r"\s+".join(re.escape(p) for p in variant.split())


class Propagator:
    """Learns redacted names and finds every form of them in further texts."""

    def __init__(self, lenient: bool = False) -> None:
        """``lenient``: match given names that are also words in lower case too (for the
        participants of a conversation, who are named in lower case in chats)."""
        self.lenient = lenient
        self.people: dict[str, NameParts] = {}
        self._names: dict[str, str] = {}
        self.blocked: set[str] = set()
        self._rx: _Matcher | None = None

    def block(self, names) -> None:
        """Names that must never be propagated (the policy's keep list), with all their forms."""
        for n in names:
            self.blocked |= {v.lower() for v in name_variants(n)}
        self._rx = None

    def learn(self, findings) -> None:
        """Remember the person names among ``findings`` (category ``name``)."""
        for f in findings:
            text = f.text if isinstance(f, Finding) else str(f)
            if isinstance(f, Finding) and f.category != "name":
                continue
            self.add(text)

    def add(self, name: str) -> None:
        name = re.sub(r"\s+", " ", name.strip())
        key = name.lower()
        if not name or key in self.people or key in self.blocked or "@" in name:
            return
        self.people[key] = split_name(name)
        self._names[key] = name
        self._rx = None

    def _matcher(self) -> _Matcher:
        if self._rx is None:
            self._rx = _matcher_for(tuple(sorted(self._names.values())), frozenset(self.blocked), self.lenient)
        return self._rx

    def apply(self, text: str) -> list[Finding]:
        """Findings for every form of every learned name in ``text`` (may overlap each other)."""
        if not self.people:
            return []
        out = []
        for start, end, variant, key, is_local in self._matcher().find(text):
            category, what = "name", "form"
            if is_local:
                domain = _DOMAIN.match(text, end)
                if domain:
                    end, category, what = domain.end(), "email", "e-mail address"
            out.append(Finding(start=start, end=end, text=text[start:end], category=category,
                               ground=GROUND_PRIVACY, score=0.9, recognizer="propagation", pattern=variant,
                               explanation=f"propagation/{variant}: {what} of {key!r}, redacted elsewhere -> 0.90"))
        return out


class _Matcher:
    """All forms of a set of names in one Aho-Corasick automaton plus one initials regex."""

    def __init__(self, people: tuple[str, ...], blocked: frozenset, lenient: bool) -> None:
        self.automaton = ahocorasick.Automaton()
        entries: dict[str, list] = {}
        surnames: dict[str, set[str]] = {}
        for name in people:
            key = name.lower()
            parts = split_name(name)
            given = {g.lower() for g in parts.given}
            forms = _name_variants(name) | (whole_name_forms(name) if lenient else set())
            for v in forms:
                low = re.sub(r"\s+", " ", v.lower())
                if low in blocked:
                    continue
                single = " " not in v and "." not in v
                is_local = bool(re.fullmatch(r"[a-z0-9._-]+", v)) and low not in given
                # a single word is matched in lower case only when it is a listed name (or a person
                # named by the source): a wrong capitalised candidate must not spread "omzet" or "winst"
                capital = single and not is_local and capital_only(v, lenient)
                entries.setdefault(low, []).append((v, key, is_local, capital))
            if parts.surname_full and (parts.given or parts.initials):
                ini = _initials_of(parts)[:1]
                if ini:
                    surnames.setdefault(parts.surname_full.lower(), set()).add((ini.upper(), key))

        self.entries = entries
        self.empty = not entries
        self.small = len(entries) <= SMALL
        if not self.small:
            for low, items in entries.items():
                self.automaton.add_word(low, (low, items))
            self.automaton.make_automaton()
        self.by_surname = surnames

    def _hits(self, low: str):
        """(last index, (word, items)) for every occurrence of every form in ``low``."""
        if not self.small:
            yield from self.automaton.iter(low)
            return
        for word, items in self.entries.items():
            i = low.find(word)
            while i >= 0:
                yield i + len(word) - 1, (word, items)
                i = low.find(word, i + 1)

    def find(self, text: str):
        low = text.lower()
        if len(low) == len(text) and not self.empty:
            n = len(text)
            for last, (word, items) in self._hits(low):
                start = last - len(word) + 1
                end = last + 1
                for v, key, is_local, capital_only in items:
                    before = text[start - 1] if start else " "
                    if is_local:
                        if before.isalnum() or before in "_.-" or (end < n and (text[end].isalnum() or text[end] in "_-")):
                            continue
                        yield start, end, v, key, True
                        continue
                    if before.isalnum() or before in "_@.-":
                        continue
                    if capital_only and not text[start].isupper():
                        continue
                    stop = end
                    for suffix in ("'s", "’s", "s", "'", "’"):
                        if text.startswith(suffix, end) and not (end + len(suffix) < n and text[end + len(suffix)].isalnum()):
                            stop = end + len(suffix)
                            break
                    after = text[stop] if stop < n else " "
                    if after.isalnum() or after in "_@-" or (after == "." and stop + 1 < n and text[stop + 1].isalnum()):
                        continue
                    yield start, stop, v, key, False
        if self.by_surname:
            for m in _INITIALS.finditer(text):
                rest = low[m.end():m.end() + 60] if len(low) == len(text) else text[m.end():m.end() + 60].lower()
                for sur, owners in self.by_surname.items():
                    if not rest.startswith(sur.split()[0]):
                        continue
                    tail = _tail(sur).match(rest)
                    if not tail:
                        continue
                    for ini, key in owners:
                        if m.group(1).upper() == ini:
                            yield m.start(), m.end() + tail.end(), f"{ini}. {sur}", key, False
                            break


@lru_cache(maxsize=4096)
def _tail(surname: str) -> re.Pattern:
    return re.compile(_literal(surname) + POSSESSIVE + r"(?![\w-])")


@lru_cache(maxsize=256)
def _matcher_for(people: tuple[str, ...], blocked: frozenset, lenient: bool) -> _Matcher:
    return _Matcher(people, blocked, lenient)

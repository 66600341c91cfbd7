"""The analyzer: runs every recognizer, adds known people and policy terms, applies the keep
policy, propagates names within the text (and across texts with a shared ``Propagator``), and
resolves overlaps into a sorted list of non-overlapping findings.

Detection never edits text; the findings are proposals with their ground and explanation.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from .model import Finding, Policy, normalise_ground
from .normalise import Normalised
from .propagation import Propagator, email_locals, fold, name_variants, split_name
from .recognizers import BUILTIN, Context, Recognizer

DEFAULT_THRESHOLD = 0.5
# a rule name candidate with one of these cues (a `Van:` line, a title, a chat author), or this sure
# (given name and surname both listed), is strong: no layer vetoes it
STRONG_CUES = ("header line", "label line", "signature line", "title/salutation")
STRONG_NAME = 0.95
_ANGLE = re.compile(r"^(.*?)\s*<([^<>@\s]+@[^<>\s]+)>\s*$")


def parse_person(entry) -> tuple[str, str]:
    """``"Pieter van der Meulen <p.vandermeulen@x.nl>"``, ``(name, address)``, a bare name or a
    bare address -> (name, address); either may be empty."""
    if isinstance(entry, (tuple, list)):
        name, addr = (list(entry) + ["", ""])[:2]
        return str(name or "").strip(), str(addr or "").strip()
    entry = str(entry).strip()
    m = _ANGLE.match(entry)
    if m:
        return m.group(1).strip().strip('"'), m.group(2)
    if "@" in entry and " " not in entry:
        return "", entry
    return entry, ""


class Analyzer:
    """Detect personal data in one text at a time.

    ``Analyzer(policy, known_people=(), propagator=None, threshold=0.5)``; ``analyze(text)``
    returns non-overlapping findings sorted by position. With a ``propagator`` the analyzer both
    applies the names it has learned and teaches it the names it finds.

    ``layers`` are further detection layers beside the rules (``frog.FrogLayer``): each has a
    ``name``, ``prepare(texts)`` (a batch run before ``analyze_many``), ``ran`` and
    ``analyze(text) -> (findings, vetoes)``. Their findings join the rule layer's; a veto span
    (Frog's LOC/ORG) removes the rule layer's weaker name candidates it overlaps (see ``_veto``).
    """

    def __init__(self, policy: Policy | None = None, known_people: Iterable = (),
                 propagator: Propagator | None = None, threshold: float = DEFAULT_THRESHOLD,
                 recognizers: Sequence[Recognizer] | None = None, layers: Sequence = ()) -> None:
        self.policy = policy or Policy()
        self.layers = list(layers)
        self.known_people = tuple(known_people)
        self.propagator = propagator
        self.threshold = threshold
        self.recognizers = list(recognizers) if recognizers is not None else [r() for r in BUILTIN]
        self._keep_rx = self._keep_regex(self.policy.keep)
        self._keep_variants = {v.lower() for k in self.policy.keep for v in name_variants(k)}
        self._keep_locals = {loc for k in self.policy.keep for loc in email_locals(split_name(k))}
        self._redact_rx = [(re.compile(r"(?<![\w])" + r"\s+".join(map(re.escape, t.split())) + r"(?![\w])", re.I), t, g)
                           for t, g in self.policy.redact.items()]
        self._known_cache: dict[tuple, Propagator] = {}
        if propagator is not None:
            propagator.block(self.policy.keep)

    @staticmethod
    def _keep_regex(keep: Iterable[str]) -> re.Pattern | None:
        forms = set()
        for k in keep:
            forms |= {v for v in name_variants(k) if "." not in v or " " in v}
        if not forms:
            return None
        alts = sorted(forms, key=len, reverse=True)
        return re.compile(r"(?<![\w])(?:" + "|".join(r"\s+".join(map(re.escape, a.split())) for a in alts)
                          + r")(?:'s|’s|s)?(?![\w])", re.I)

    # pieces ------------------------------------------------------------------------------
    def _known(self, known: tuple) -> Propagator:
        prop = self._known_cache.get(known)
        if prop is None:
            prop = Propagator(lenient=True)
            prop.block(self.policy.keep)
            for entry in known:
                name, _ = parse_person(entry)
                if name and len(name) > 1:
                    prop.add(name)
            self._known_cache = {known: prop}
        return prop

    def _policy_terms(self, text: str) -> list[Finding]:
        out = []
        for rx, term, ground in self._redact_rx:
            for m in rx.finditer(text):
                out.append(Finding(m.start(), m.end(), m.group(0), "name", normalise_ground(ground), 1.0,
                                   "policy", term, f"policy/redact: term {term!r} is always redacted -> 1.00"))
        return out

    def _kept(self, text: str) -> list[tuple[int, int]]:
        if self._keep_rx is None:
            return []
        return [m.span() for m in self._keep_rx.finditer(text)]

    def _is_kept(self, f: Finding, kept: list[tuple[int, int]]) -> bool:
        if not self._keep_variants:
            return False
        if f.category == "name" and f.recognizer != "policy":
            if any(a <= f.start and f.end <= b for a, b in kept):
                return True
            core = re.sub(r"(?:'s|’s|s)$", "", f.text.strip()).lower()
            return f.text.lower() in self._keep_variants or core in self._keep_variants
        if f.category == "email":
            return fold(f.text.split("@", 1)[0]) in self._keep_locals
        return False

    @staticmethod
    def merge_names(findings: list[Finding], text: str) -> list[Finding]:
        """Overlapping name findings become one finding over their union (a name is never split
        into a redacted and a readable part); the best-scored one explains it."""
        names = sorted((f for f in findings if f.category == "name"), key=lambda f: (f.start, -f.end))
        others = [f for f in findings if f.category != "name"]
        merged: list[list[Finding]] = []
        for f in names:
            if merged and f.start < max(g.end for g in merged[-1]):
                merged[-1].append(f)
            else:
                merged.append([f])
        for group in merged:
            best = max(group, key=lambda f: (f.score, f.end - f.start))
            start, end = min(f.start for f in group), max(f.end for f in group)
            if best.recognizer != "frog" and any(f.recognizer == "frog" for f in group):
                best = replace(best, explanation=best.explanation + "; frog NER: person (PER) too")
            if (start, end) != (best.start, best.end):
                best = replace(best, start=start, end=end, text=text[start:end],
                               explanation=best.explanation + f"; merged with {len(group) - 1} overlapping name finding(s)")
            others.append(best)
        return others

    @staticmethod
    def resolve(findings: Iterable[Finding]) -> list[Finding]:
        """Non-overlapping findings: higher score first, then the longer span; a finding that wholly
        contains the ones it clashes with replaces them (the wider box hides more: a URL with a name in it)."""
        chosen: list[Finding] = []
        for f in sorted(findings, key=lambda f: (-f.score, -(f.end - f.start), f.start)):
            clash = [c for c in chosen if f.overlaps(c)]
            if not clash:
                chosen.append(f)
            elif all(f.start <= c.start and c.end <= f.end for c in clash) and any(c.end - c.start < f.end - f.start for c in clash):
                chosen = [c for c in chosen if c not in clash] + [f]
        return sorted(chosen, key=lambda f: (f.start, f.end))

    def _parsed_people(self, known: tuple) -> tuple:
        """Names of the known people, parsed once per list (a request has thousands of texts)."""
        if getattr(self, "_parsed_for", None) is not known:
            self._parsed_for = known
            self._parsed = tuple(parse_person(k)[0] for k in known)
        return self._parsed

    # the whole job ------------------------------------------------------------------------
    def analyze(self, text: str, known_people: Iterable | None = None) -> list[Finding]:
        """Findings in ``text``: non-overlapping, sorted, above the threshold, policy applied.
        Detection runs on the normalised text (NFC, soft hyphens, line-end hyphens joined); the
        findings' spans are in ``text``."""
        norm = Normalised(text)
        if norm.changed:
            return [norm.restore(f) for f in self.analyze(norm.text, known_people)]
        known = tuple(known_people) if known_people is not None else self.known_people
        ctx = Context(policy=self.policy, known_people=self._parsed_people(known))
        found: list[Finding] = []
        for rec in self.recognizers:
            found.extend(rec.analyze(text, ctx))
        found = self._layers(text, found)
        if known:
            found.extend(replace(f, score=0.95, recognizer="known-people",
                                 explanation=f.explanation.replace("propagation/", "known-people/")
                                 .replace("redacted elsewhere -> 0.90", "participant of the conversation -> 0.95"))
                         for f in self._known(known).apply(text))
        if self.propagator is not None:
            found.extend(self.propagator.apply(text))
        kept = self._kept(text)
        found = [f for f in found if f.score >= self.threshold and not self._is_kept(f, kept)]
        local = Propagator()
        local.block(self.policy.keep)
        local.learn(f for f in found if self._teaches(f))
        found.extend(f for f in local.apply(text) if not self._is_kept(f, kept))
        found.extend(self._policy_terms(text))
        result = self.resolve(self.merge_names(found, text))
        if self.propagator is not None:
            self.propagator.learn(f for f in result if self._teaches(f))
        return result

    # the layer hook ------------------------------------------------------------------------
    def layers_ran(self) -> list[str]:
        """The layers whose findings are in the results: "rules" always, then each layer that ran."""
        return ["rules"] + [layer.name for layer in self.layers if layer.ran]

    def prepare_layers(self, texts: Iterable[str]) -> None:
        """Hand the layers, in one batch, every text ``analyze`` will hand them later (normalised as
        ``analyze`` normalises), so a layer runs once over all of them (Frog: one batch run)."""
        if self.layers:
            normalised = [Normalised(t).text for t in texts]
            for layer in self.layers:
                layer.prepare(normalised)

    def _layers(self, text: str, found: list[Finding]) -> list[Finding]:
        """The rule layer's findings with the other layers' added and their vetoes applied."""
        for layer in self.layers:
            extra, vetoes = layer.analyze(text)
            structured = [f for f in found if f.category != "name"]
            extra = [g for g in (self._clip(x, structured, text) for x in extra) if g is not None]
            found = [f for f in found if not self._veto(f, vetoes, extra)] + extra
        return found

    @staticmethod
    def _clip(f: Finding, structured: list[Finding], text: str) -> Finding | None:
        """A layer's name span cut back where it runs into a rule finding of another category (Frog
        reads "Esther van Leeuwen <e" of "<e.vanleeuwen@...>"): the address stays one box."""
        start, end = f.start, f.end
        for s in structured:
            if s.start < end and start < s.end:
                if s.start > start:
                    end = s.start
                else:
                    start = max(start, s.end)
        while start < end and not text[start].isalnum():
            start += 1
        while end > start and not text[end - 1].isalnum():
            end -= 1
        if start >= end:
            return None
        return f if (start, end) == (f.start, f.end) else replace(f, start=start, end=end, text=text[start:end])

    @staticmethod
    def _teaches(f: Finding) -> bool:
        """Whether propagation learns a name from ``f``: not from a policy term, and not from a
        layer's one-word person (Frog reads a subject's "Windturbines" as a person now and then;
        boxed where Frog saw it, it must not spread to every "windturbines" of the request)."""
        if f.category != "name" or f.recognizer == "policy":
            return False
        return not (f.recognizer == "frog" and len(f.text.split()) < 2)

    @staticmethod
    def _veto(f: Finding, vetoes, persons: list[Finding]) -> bool:
        """A weaker rule name candidate that overlaps a place or organisation the layer found, and
        none of its persons, is not a name. Weaker: found by the name recognizer's structure alone,
        below ``STRONG_NAME`` and without a ``STRONG_CUES`` cue; known people, chat authors and policy
        terms are never vetoed."""
        if (f.category != "name" or f.recognizer != "names" or f.pattern == "chat-speaker"
                or f.score >= STRONG_NAME or any(c in f.explanation for c in STRONG_CUES)):
            return False
        return (any(v.start < f.end and f.start < v.end for v in vetoes)
                and not any(p.start < f.end and f.start < p.end for p in persons))

    def analyze_many(self, texts: Sequence[str], known_people: Iterable | None = None) -> list[list[Finding]]:
        """Analyse the texts of one request so that every name found anywhere is found everywhere:
        a first pass learns, a second pass applies (uses the analyzer's propagator, or a new one)."""
        if self.propagator is None:
            self.propagator = Propagator()
            self.propagator.block(self.policy.keep)
        self.prepare_layers(texts)
        for t in texts:
            self.analyze(t, known_people)
        return [self.analyze(t, known_people) for t in texts]

"""The recognizer base: named patterns with base scores, context words and validation.

Modelled on Presidio's ``PatternRecognizer``: a subclass declares its ``name``, ``categories``,
``patterns`` (``Pattern(name, regex, score)``), ``context`` words that raise the score when they
occur shortly before a match, ``negative_context`` words that lower it, and may override
``validate`` (True confirms, False rejects, None leaves the score). Every ``Finding`` explains
itself: recognizer, pattern, base score, validation outcome, context word.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from ..model import DEFAULT_GROUNDS, Finding, Policy

CONTEXT_BOOST = 0.35
VALIDATED_SCORE = 0.85


@dataclass(frozen=True)
class Pattern:
    """A named regular expression and the score a bare match earns."""

    name: str
    regex: str
    score: float
    flags: int = 0


@dataclass
class Context:
    """What a recognizer may know besides the text: the policy and the known people."""

    policy: Policy
    known_people: tuple = ()


def word_regex(words: Iterable[str]) -> re.Pattern | None:
    """One case-insensitive regex matching any of ``words`` as whole words."""
    alts = sorted({w.lower() for w in words if w}, key=len, reverse=True)
    if not alts:
        return None
    return re.compile(r"(?<![\w])(?:" + "|".join(re.escape(a) for a in alts) + r")(?![\w])", re.I)


class Recognizer:
    """Base class: find candidates with ``patterns``, score them, validate, explain."""

    name = "recognizer"
    categories: tuple[str, ...] = ()
    patterns: tuple[Pattern, ...] = ()
    context: tuple[str, ...] = ()
    negative_context: tuple[str, ...] = ()
    context_before = 50
    context_after = 0

    def __init__(self) -> None:
        self._compiled = [(p, re.compile(p.regex, p.flags)) for p in self.patterns]
        self._context_re = word_regex(self.context)
        self._negative_re = word_regex(self.negative_context)

    # hooks -------------------------------------------------------------------------------
    def validate(self, value: str) -> bool | None:
        """True confirms the candidate, False rejects it, None has no opinion."""
        return None

    def category(self, value: str, pattern: Pattern) -> str:
        return self.categories[0]

    def ground(self, category: str) -> str:
        return DEFAULT_GROUNDS[category]

    def span(self, match: re.Match) -> tuple[int, int]:
        """The part of a match that is the entity (group ``v`` when the pattern has one)."""
        if "v" in match.re.groupindex and match.group("v") is not None:
            return match.span("v")
        return match.span()

    def keep(self, finding: Finding, text: str, ctx: Context) -> bool:
        """Last word on a finding (policy exceptions); True keeps it as a finding."""
        return True

    # machinery ---------------------------------------------------------------------------
    def context_word(self, text: str, start: int, end: int, regex: re.Pattern | None) -> str | None:
        if regex is None:
            return None
        window = text[max(0, start - self.context_before):start]
        found = regex.findall(window)
        if found:
            return found[-1]
        if self.context_after:
            after = regex.search(text[end:end + self.context_after])
            if after:
                return after.group(0)
        return None

    def score(self, text: str, start: int, end: int, base: float, validation: bool | None) -> tuple[float, list[str]]:
        """Final score of a candidate and the parts of its explanation."""
        notes = [f"base {base:.2f}"]
        score = base
        if validation is True:
            score = max(score, VALIDATED_SCORE)
            notes.append("validation passed")
        elif validation is None and type(self).validate is not Recognizer.validate:
            notes.append("validation undecided")
        word = self.context_word(text, start, end, self._context_re)
        if word:
            score = min(1.0, score + CONTEXT_BOOST)
            notes.append(f"context word {word!r} raised it")
        neg = self.context_word(text, start, end, self._negative_re)
        if neg:
            score = max(0.0, score - 0.4)
            notes.append(f"context word {neg!r} lowered it")
        return score, notes

    def make(self, text: str, start: int, end: int, category: str, score: float, pattern: str,
             notes: list[str], suggestion_only: bool = False) -> Finding:
        expl = f"{self.name}/{pattern}: " + ", ".join(notes) + f" -> {score:.2f}"
        return Finding(start=start, end=end, text=text[start:end], category=category,
                       ground=self.ground(category), score=round(score, 3), recognizer=self.name,
                       pattern=pattern, explanation=expl, suggestion_only=suggestion_only)

    def analyze(self, text: str, ctx: Context) -> list[Finding]:
        out = []
        for pattern, rx in self._compiled:
            for m in rx.finditer(text):
                start, end = self.span(m)
                if start >= end:
                    continue
                value = text[start:end]
                validation = self.validate(value)
                if validation is False:
                    continue
                score, notes = self.score(text, start, end, pattern.score, validation)
                f = self.make(text, start, end, self.category(value, pattern), score, pattern.name, notes)
                if self.keep(f, text, ctx):
                    out.append(f)
        return out

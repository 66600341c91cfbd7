"""Item text with redactions applied, as runs: plain text and black boxes carrying a ground code.

Three layers of redaction, applied to every field a reader will see (body, subject, sender,
recipients, cc, file name, title, and any free text of the letter or the inventory):

1. the decided spans: each applied ``Redaction`` of this item and field whose ``[start, end)``
   still holds its ``text``;
2. defence in depth: every other occurrence, anywhere in the request, of the text of any applied
   redaction (case and whitespace ignored, whole words: "Jan" is not found in "januari");
3. numbers: the digits of every applied redaction with six or more digits, wherever they occur
   with other punctuation ("06-12345678" also removes "0612345678" and "06 1234 5678").

Overlapping or touching spans merge into one box; a box shows the codes of its spans
(``5.1.2e``, or ``5.1.1e; 5.1.2e``) and never reveals the length of what it replaced.
``Needles`` is the matcher shared with the leak guard, so what the guard looks for is exactly
what the renderer removes.

    >>> r = Redactor([doc])   # the documents of the request
    >>> r.runs("Bel Pieter op 06-12345678", item_id="m1", fields=("body",))
    [Run('Bel '), Run('Pieter', '5.1.2e'), Run(' op '), Run('06-12345678', '5.1.2e')]
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Iterable, Iterator, Sequence
from xml.sax.saxutils import escape

import ahocorasick
import phonenumbers

from woo_collector import dates
from woo_collector.documents import Document, Redaction
from woo_collector.redaction.normalise import Normalised, normalise
from woo_collector.text import BOX_GAP, unbracket

MONTHS = ("januari", "februari", "maart", "april", "mei", "juni", "juli", "augustus",
          "september", "oktober", "november", "december")
WEEKDAYS = ("maandag", "dinsdag", "woensdag", "donderdag", "vrijdag", "zaterdag", "zondag")
MIN_DIGITS = 6
NBSP = "\u00a0"
_INVALID_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPACES = re.compile(r"\s+")
_DIGIT = re.compile(r"\d")


def local(dt: datetime | None) -> datetime | None:
    """A UTC (or any aware) time in the local zone (the workspace's timezone setting)."""
    return dates.local(dt) if dt is not None else None


def nl_date(dt, time: bool = True, weekday: bool = False) -> str:
    """'12 maart 2025 14:05' (local time); a plain date gives '12 maart 2025'."""
    if dt is None:
        return ""
    if isinstance(dt, datetime):
        dt = local(dt) if dt.tzinfo else dt
    text = f"{dt.day} {MONTHS[dt.month - 1]} {dt.year}"
    if weekday:
        text = f"{WEEKDAYS[dt.weekday()]} {text}"
    if time and isinstance(dt, datetime):
        text += f" {dt:%H:%M}"
    return text


def fold(text: str) -> str:
    """Case and whitespace folded text, the form needles and haystacks are compared in; normalised
    the way detection normalises (NFC, soft hyphens and line-end hyphens), so "José" written in NFD
    or "Korte-\nkaas" is the same needle."""
    return _SPACES.sub(" ", normalise(text).casefold()).strip()


def digits(text: str) -> str:
    return "".join(_DIGIT.findall(text))


def _alnum(text: str) -> int:
    return sum(c.isalnum() for c in text)


@dataclass(frozen=True)
class Run:
    """A piece of text; ``ground`` set means a black box showing that code instead of ``text``."""

    text: str
    ground: str = ""

    @property
    def box(self) -> bool:
        return bool(self.ground)

    @property
    def shown(self) -> str:
        """What a reader sees: the text, or the code in the box."""
        return box_text(self.ground) if self.ground else self.text

    def __repr__(self) -> str:
        return f"Run({self.text!r}, {self.ground!r})" if self.ground else f"Run({self.text!r})"


def box_text(ground: str) -> str:
    return f"{NBSP}{ground}{NBSP}"


@dataclass(frozen=True)
class Needle:
    """One thing that must never be shown: a redacted text, or the digits of a redacted number."""

    text: str  # folded text, or the digit string for a digit needle
    ground: str
    key: str  # the redaction's key (or "item:field:start")
    category: str
    document: str  # number of the document the redaction belongs to
    is_digits: bool = False
    capital: bool = False  # found only where written with a capital (a one-word name that is also a word)

    def describe(self) -> str:
        """How to name this needle in a message without repeating the personal data itself."""
        what = "cijfers van" if self.is_digits else "tekst van"
        return f"{what} lakking {self.key} ({self.category}, {self.ground}, document {self.document})"


class Needles:
    """Whole-word, case-insensitive search for redacted texts, and digit search for numbers."""

    def __init__(self, needles: Iterable[Needle]):
        self.text: dict[str, Needle] = {}
        self.digit: dict[str, Needle] = {}
        for n in needles:
            table = self.digit if n.is_digits else self.text
            if table.setdefault(n.text, n).capital and not n.capital:
                table[n.text] = n   # the same text also redacted as a word of any case: any case counts
        self._text_ac = self._automaton(self.text)
        self._digit_ac = self._automaton(self.digit)

    @staticmethod
    def _automaton(table: dict[str, Needle]):
        if not table:
            return None
        a = ahocorasick.Automaton()
        for key in table:
            a.add_word(key, key)
        a.make_automaton()
        return a

    @classmethod
    def from_redactions(cls, pairs: Iterable[tuple[str, Redaction]]) -> "Needles":
        """Needles from (document nr, redaction) pairs; only applied redactions count."""
        out = []
        for nr, r in pairs:
            if not r.apply:
                continue
            key = r.key or f"{r.item_id}:{r.field}:{r.start}"
            text = fold(r.text)
            if _alnum(text) >= 2 and (len(digits(text)) >= MIN_DIGITS or any(c.isalpha() for c in text)):
                out.append(Needle(text, r.ground, key, r.category, nr, capital=_capital_only(r)))
            d = digits(r.text)
            if len(d) >= MIN_DIGITS:
                out.append(Needle(d, r.ground, key, r.category, nr, is_digits=True))
        return cls(out)

    def __bool__(self) -> bool:
        return bool(self.text or self.digit)

    def find_text(self, folded: str, capital=None) -> Iterator[tuple[int, int, Needle]]:
        """Whole-word hits [start, end) of text needles in an already folded haystack. ``capital(i)``:
        whether the character at folded index ``i`` is written as a capital in the original; a
        ``capital`` needle is found only there (without ``capital`` it is found in any case)."""
        if self._text_ac is None or not folded:
            return
        for end, key in self._text_ac.iter(folded):
            start = end - len(key) + 1
            if key[0].isalnum() and start > 0 and folded[start - 1].isalnum():
                continue
            if key[-1].isalnum() and end + 1 < len(folded) and folded[end + 1].isalnum():
                continue
            needle = self.text[key]
            if needle.capital and capital is not None and not capital(start):
                continue
            yield start, end + 1, needle

    def find_words(self, text: str) -> Iterator[tuple[int, int, Needle]]:
        """Whole-word hits [start, end) of text needles in ``text`` as written, normalised as
        detection normalises (``normalise``): folded here, and the case decides for a ``capital`` needle."""
        if self._text_ac is None or not text:
            return
        folded, idx = _fold_with_map(text)
        for s, e, n in self.find_text(folded, lambda i: text[idx[i] if idx is not None else i].isupper()):
            yield (s, e, n) if idx is None else (idx[s], idx[e - 1] + 1, n)

    def find_digits(self, digit_text: str) -> Iterator[tuple[int, int, Needle]]:
        """Hits [start, end) of digit needles in a digit-only string."""
        if self._digit_ac is None or len(digit_text) < MIN_DIGITS:
            return
        for end, key in self._digit_ac.iter(digit_text):
            yield end - len(key) + 1, end + 1, self.digit[key]

    def scan(self, text: str) -> list[Needle]:
        """Every needle found in ``text`` (used by the leak guard)."""
        found = [n for _, _, n in self.find_words(normalise(text))]
        found += [n for _, _, n in self.find_digits(digits(text))]
        return found


def _capital_only(r: Redaction) -> bool:
    """A one-word name that is also a word, or no listed name, is boxed elsewhere only where it is
    written with a capital, as propagation finds it (``propagation.capital_only``): "Windturbines"
    wrongly boxed as a person in one subject must not box "de geplande windturbines" in every
    document. A listed name ("Jansen", "Pieter") is boxed in any case."""
    from woo_collector.redaction.propagation import capital_only

    word = r.text.strip()
    return (r.category == "name" and bool(word) and word.replace("-", "").isalpha()
            and word[:1].isupper() and capital_only(word))


def _fold_with_map(text: str) -> tuple[str, list[int] | None]:
    """Folded text and, when positions moved, a map from folded index to original index."""
    cf = text.casefold()
    if len(cf) == len(text):
        if not re.search(r"\s\s|[^\S ]", text):
            return cf, None
        pieces: list[str] = []
        index: list[int] = []
        at = 0
        for m in _SPACES.finditer(cf):
            s, e = m.span()
            pieces += [cf[at:s], " "]
            index.extend(range(at, s + 1))
            at = e
        pieces.append(cf[at:])
        index.extend(range(at, len(cf)))
        return "".join(pieces), index
    out: list[str] = []
    idx: list[int] = []
    prev_space = False
    for i, c in enumerate(text):
        if c.isspace():
            if not prev_space:
                out.append(" ")
                idx.append(i)
            prev_space = True
            continue
        prev_space = False
        for f in c.casefold():
            out.append(f)
            idx.append(i)
    return "".join(out), idx


def merge(spans: Iterable[tuple[int, int, str]]) -> list[tuple[int, int, tuple[str, ...]]]:
    """Merge overlapping or touching spans; each merged span keeps the sorted set of its grounds."""
    merged: list[list] = []
    for s, e, g in sorted(spans):
        if merged and s <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], e)
            merged[-1][2].add(g)
        else:
            merged.append([s, e, {g}])
    return [(s, e, tuple(sorted(gs))) for s, e, gs in merged]


PHONE_THREADS = ("sms:", "mms:", "signal:")  # conversation keys made of the other parties' phone numbers
PARTY_GROUND = "5.1.2e"


def party_numbers(d: Document) -> list[Redaction]:
    """Boxes for the phone numbers an SMS/MMS (or Signal) conversation is keyed by (``sms:+31612345678``):
    the numbers of the chat's other parties are personal data wherever they appear in the package (a
    chat's participants 'Contact <+31612345678>', a title where the contact had no name), also when the
    detectors do not know the number's range. Each number is searched as written and by its national
    significant digits, so '+31 6 1234 5678', '0031612345678' and '06-12345678' are all found."""
    keys = {d.thread} | {i.conversation for i in d.items}
    out: list[Redaction] = []
    seen: set[str] = set()
    for key in sorted(k for k in keys if k and k.lower().startswith(PHONE_THREADS)):
        for part in re.split(r"[,~;]", key.split(":", 1)[1]):
            number = re.sub(r"[\s\-().]", "", part)
            if not re.fullmatch(r"\+?\d{6,17}", number):
                continue  # an e-mail address, an RCS group id, a short code: not a phone number
            for text in (number, _national(number)):
                if len(digits(text)) >= MIN_DIGITS and text not in seen:
                    seen.add(text)
                    out.append(Redaction("", "", 0, len(text), text, "phone", PARTY_GROUND, key=f"party:{d.nr}:{text}",
                                         explanation="phone number of a party of the conversation"))
    return out


def _national(number: str) -> str:
    """The national significant digits of a phone number ('+31612345678' -> '612345678')."""
    try:
        return str(phonenumbers.parse(number, "NL").national_number)
    except phonenumbers.NumberParseException:  # not a number it can read: the digits as written
        return digits(number).lstrip("0")


class Redactor:
    """Applies the request's redactions to any text shown in the package."""

    def __init__(self, documents: Sequence[Document]):
        self.spans: dict[tuple[str, str], list[Redaction]] = {}
        pairs = []
        for d in documents:
            for r in d.applied():
                self.spans.setdefault((r.item_id, r.field), []).append(r)
                pairs.append((d.nr, r))
            pairs += [(d.nr, r) for r in party_numbers(d)]
        self.needles = Needles.from_redactions(pairs)
        self.seen: set[str] | None = None  # when a set, collects the grounds of every box produced

    def spans_of(self, text: str, item_id: str = "", fields: Sequence[str] = ()) -> list[tuple[int, int, tuple[str, ...]]]:
        """Merged [start, end) spans of ``text`` to replace, with their grounds."""
        if not text:
            return []
        spans: list[tuple[int, int, str]] = []
        for f in fields:
            for r in self.spans.get((item_id, f), ()):
                if 0 <= r.start < r.end <= len(text) and fold(text[r.start:r.end]) == fold(r.text):
                    spans.append((r.start, r.end, r.ground))
        if self.needles:
            norm = Normalised(text)
            for s, e, n in self.needles.find_words(norm.text):
                spans.append((*norm.span(s, e), n.ground))
            if self.needles.digit:
                spans += self._digit_spans(text)
        return merge(spans)

    def _digit_spans(self, text: str) -> list[tuple[int, int, str]]:
        """Spans of redacted numbers in any punctuation: the digits of each line, as the guard reads a paragraph."""
        spans = []
        at = 0
        for line in text.split("\n"):
            pos = [at + m.start() for m in _DIGIT.finditer(line)]
            if len(pos) >= MIN_DIGITS:
                dtext = "".join(text[p] for p in pos)
                for s, e, n in self.needles.find_digits(dtext):
                    spans.append((pos[s], pos[e - 1] + 1, n.ground))
            at += len(line) + 1
        return spans

    def runs(self, text: str, item_id: str = "", fields: Sequence[str] = ()) -> list[Run]:
        """``text`` as runs, every redacted span replaced by a box."""
        out: list[Run] = []
        at = 0
        for s, e, grounds in self.spans_of(text, item_id, fields):
            if s > at:
                out.append(Run(clean_text(text[at:s])))
            out.append(Run(text[s:e], "; ".join(grounds)))
            if self.seen is not None:
                self.seen.update(grounds)
            at = e
        if at < len(text):
            out.append(Run(clean_text(text[at:])))
        return tidy([r for r in out if r.text or r.box])

    def marked(self, text: str, item_id: str = "", fields: Sequence[str] = ()) -> str:
        """``text`` with each redacted span replaced by a marker such as '[5.1.2e]' (inventory, JSON)."""
        return "".join(f"[{r.ground}]" if r.box else r.text for r in self.runs(text, item_id, fields))



def _grounds(*runs: Run) -> str:
    out: list[str] = []
    for r in runs:
        for g in r.ground.split("; "):
            if g and g not in out:
                out.append(g)
    return "; ".join(sorted(out))


def tidy(runs: list[Run]) -> list[Run]:
    """No stray punctuation beside a box: a box alone between brackets loses them ("<[box]>" ->
    "[box]", as in "Pieter <p@x.nl>"), and boxes with only spaces between them become one box."""
    out = list(runs)
    for i in range(1, len(out) - 1):
        before, box, after = out[i - 1], out[i], out[i + 1]
        trimmed = box.box and not before.box and not after.box and unbracket(before.text, after.text)
        if trimmed:
            out[i - 1], out[i + 1] = Run(trimmed[0]), Run(trimmed[1])
    out = [r for r in out if r.box or r.text]
    merged: list[Run] = []
    for r in out:
        if r.box and len(merged) >= 2 and merged[-2].box and not merged[-1].box and BOX_GAP.fullmatch(merged[-1].text):
            gap = merged.pop()
            prev = merged.pop()
            merged.append(Run(prev.text + gap.text + r.text, _grounds(prev, r)))
        elif r.box and merged and merged[-1].box:
            prev = merged.pop()
            merged.append(Run(prev.text + r.text, _grounds(prev, r)))
        else:
            merged.append(r)
    return merged


def clean_text(text: str) -> str:
    """Text that XML can hold: control characters removed, line ends normalised."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return _INVALID_XML.sub("", text)


def lines(runs: Sequence[Run]) -> list[list[Run]]:
    """Split runs at line ends into lines of runs (a box never holds a line end in the output)."""
    out: list[list[Run]] = [[]]
    for run in runs:
        if run.box:
            out[-1].append(run)
            continue
        parts = run.text.split("\n")
        for i, part in enumerate(parts):
            if i:
                out.append([])
            if part:
                out[-1].append(Run(part))
    return out


# WordprocessingML builders -------------------------------------------------------------------

W_NS = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
BOX_RPR = '<w:rPr><w:b/><w:color w:val="FFFFFF"/><w:shd w:val="clear" w:color="auto" w:fill="000000"/></w:rPr>'


def _t(text: str) -> str:
    return f'<w:t xml:space="preserve">{escape(clean_text(text))}</w:t>'


def run_xml(run: Run, bold: bool = False) -> str:
    """One w:r: plain text, or a box (white bold text on black shading) with the ground code."""
    if run.box:
        return f"<w:r>{BOX_RPR}{_t(box_text(run.ground))}</w:r>"
    rpr = "<w:rPr><w:b/></w:rPr>" if bold else ""
    return f"<w:r>{rpr}{_t(run.text)}</w:r>"


def runs_xml(runs: Sequence[Run], bold: bool = False, breaks: bool = True) -> str:
    """Runs as w:r elements; line ends become w:br when ``breaks`` (else they are kept as spaces)."""
    out = []
    for i, line in enumerate(lines(runs) if breaks else [list(runs)]):
        if i:
            out.append("<w:r><w:br/></w:r>")
        for run in line:
            if not breaks and not run.box:
                run = Run(run.text.replace("\n", " "))
            out.append(run_xml(run, bold))
    return "".join(out)


def paragraph_xml(body: str, style: str = "", page_break: bool = False, keep_next: bool = False) -> str:
    """A w:p around already built runs (``body``), with an optional style id and page break."""
    ppr = ""
    if style or page_break or keep_next:
        ppr = "<w:pPr>"
        if style:
            ppr += f'<w:pStyle w:val="{style}"/>'
        if keep_next:
            ppr += "<w:keepNext/>"
        if page_break:
            ppr += "<w:pageBreakBefore/>"
        ppr += "</w:pPr>"
    return f"<w:p>{ppr}{body}</w:p>"

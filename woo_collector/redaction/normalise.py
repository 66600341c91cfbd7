"""Text normalisation before detection, shared with the renderer and the leak guard.

What one reader sees as one word may be written several ways; detection and the leak scan see
them all as the same text:

- Unicode NFC: "José" written as ``J o s e U+0301`` (macOS, NFD) becomes the composed ``é``;
- invisible characters inside a word (soft hyphen U+00AD, zero-width space, word joiner, BOM)
  are dropped: ``Korte\\u00adkaas`` is ``Kortekaas``;
- a word hyphenated over a line end is joined: ``Korte-\\nkaas`` is ``Kortekaas`` (the next line
  goes on in lower case); before a capital the hyphen stays and only the line end goes
  (``Noord-\\nHolland`` is ``Noord-Holland``).

``Normalised(text)`` keeps a map from every character of the normalised text back to the
original, so a span found in ``.text`` is ``.span(start, end)`` in the original. Plain ASCII text
without a line-end hyphen is left as it is and costs one scan.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import replace

INVISIBLE = "\u00ad\u200b\u2060\ufeff\u180e"
_INVISIBLE_RE = re.compile(f"[{INVISIBLE}]")
_LINE_HYPHEN = re.compile(r"(?<=\w)-[ \t]*\r?\n[ \t>]*(?=\w)")
_CHANGES = re.compile(rf"[{INVISIBLE}]|-[ \t]*\r?\n")


def _needs_work(text: str) -> bool:
    if not text.isascii() and not unicodedata.is_normalized("NFC", text):
        return True
    return _CHANGES.search(text) is not None


class Normalised:
    """``text`` normalised for detection, with the way back to the original's offsets."""

    __slots__ = ("original", "text", "changed", "_start", "_end")

    def __init__(self, original: str) -> None:
        self.original = original
        self.changed = _needs_work(original)
        if not self.changed:
            self.text = original
            self._start = self._end = None
            return
        once = Normalised._once(original)
        if once is None:
            self.changed = False
            self.text = original
            self._start = self._end = None
            return
        self.text, self._start, self._end = once
        for _ in range(8):  # rare orders of combining marks need another pass
            if not _needs_work(self.text):
                break
            again = Normalised._once(self.text)
            if again is None:
                break
            text, s2, e2 = again
            self.text, self._start, self._end = text, [self._start[k] for k in s2], [self._end[k - 1] for k in e2]
        if self.text == original:
            self.changed = False
            self._start = self._end = None

    @staticmethod
    def _once(text: str) -> tuple[str, list[int], list[int]] | None:
        """One pass over ``text``: (normalised, start map, end map), or None when nothing changed."""
        out: list[str] = []
        starts: list[int] = []
        ends: list[int] = []
        n = len(text)
        i = 0
        while i < n:
            c = text[i]
            if c in INVISIBLE:
                i += 1
                continue
            if c == "-":
                m = _LINE_HYPHEN.match(text, i)
                if m and i > 0 and text[i - 1].isalnum():
                    if text[m.end()].isupper():  # a real hyphen: Noord-\nHolland
                        out.append("-")
                        starts.append(i)
                        ends.append(m.end())
                    elif out:  # hyphenation: the join belongs to the letter before it
                        ends[-1] = m.end()
                    i = m.end()
                    continue
            # a base character and the combining marks after it compose as one cluster
            j = i + 1
            while j < n and unicodedata.combining(text[j]):
                j += 1
            cluster = text[i:j] if j > i + 1 else c
            if unicodedata.combining(c) and out:  # marks after a dropped invisible character
                joined = unicodedata.normalize("NFC", out[-1] + cluster)
                if len(joined) == 1:
                    out[-1] = joined
                    ends[-1] = j
                    i = j
                    continue
            if not cluster.isascii():
                cluster = unicodedata.normalize("NFC", cluster)
            for ch in cluster:
                out.append(ch)
                starts.append(i)
                ends.append(j)
            i = j
        result = "".join(out)
        return None if result == text else (result, starts, ends)

    def span(self, start: int, end: int) -> tuple[int, int]:
        """The original span of ``text[start:end]``."""
        if self._start is None:
            return start, end
        if start >= end:
            at = self._start[start] if start < len(self._start) else len(self.original)
            return at, at
        return self._start[start], self._end[end - 1]

    def restore(self, finding):
        """A finding on ``.text`` as a finding on the original text."""
        if self._start is None:
            return finding
        s, e = self.span(finding.start, finding.end)
        return replace(finding, start=s, end=e, text=self.original[s:e])


def normalise(text: str) -> str:
    """The normalised form of ``text`` (see the module docstring)."""
    return Normalised(text).text if _needs_work(text) else text

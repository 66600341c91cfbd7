"""Names inside identifiers: file names, attachment names, Message-IDs, conversation ids.

A name in ``CV_Jan_Jansen.docx``, ``jan-jansen-zienswijze.docx``, a Message-ID host
``LAPTOP-JAN-JANSEN`` or a conversation id reaches the package as readable as in a sentence. An
identifier is split on ``_ - . @`` (and ``: / + = < >``) and at camel-case boundaries
(``JanJansen``), and its words are checked like text:

- the words joined by spaces go through the analyzer (its propagation included: a name found
  anywhere in the request is found in the file name too);
- a given name from the lists followed by a surname word ("jan" "jansen", "JAN" "JANSEN", with
  particles between) is a name whatever the case: identifiers are often all lower or upper case;
- an RFC 2047 encoded-word left in a text (``=?utf-8?B?Sm9yaXMgS29ydGVrYWFz?=``) is decoded and
  checked; a finding in the decoded text boxes the whole encoded word.

A finding covers the original characters from its first word to its last (separators between
them included), so the box hides ``Jan_Jansen`` and the needle the renderer and the leak guard
search for is that same text.
"""

from __future__ import annotations

import base64
import binascii
import quopri
import re
from dataclasses import replace

from .lexicon import tussenvoegsels, words
from .model import Finding

_WORD = re.compile(r"[^\W\d_]+")
_CAMEL = re.compile(r"(?<=[a-zà-ÿ])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-zà-ÿ])")
EXTENSIONS = frozenset("doc docx xls xlsx ppt pptx pdf txt rtf odt ods odp csv msg eml jpg jpeg png gif heic tif tiff "
                       "mp3 mp4 m4a opus wav mov zip vcf html htm xml json".split())
# identifier-like tokens inside running text: with an underscore, a file extension, or two hyphens
_TOKEN = re.compile(r"[\w.@+-]*_[\w.@+-]*|[\w-]+(?:\.[\w-]+)*\.(?:" + "|".join(sorted(EXTENSIONS)) + r")\b"
                    r"|\b\w+-\w+-[\w-]+\b|\b[a-zà-ÿ]+(?:[A-Z][a-zà-ÿ]+){2,}\b", re.I)
_ENCODED = re.compile(r"=\?([\w-]+)\?([BbQq])\?([^?\s]+)\?=")


def words_of(identifier: str) -> list[tuple[int, int, str]]:
    """(start, end, word) of the letter runs of ``identifier``, split at camel-case boundaries."""
    out = []
    for m in _WORD.finditer(identifier):
        at = m.start()
        for piece in _CAMEL.split(m.group(0)):
            if piece:
                out.append((at, at + len(piece), piece))
            at += len(piece)
    return out


def _lexicon_names(parts: list[tuple[int, int, str]]) -> list[tuple[int, int]]:
    """Spans (first word start, last word end) of given name + particles + surname word sequences."""
    first, amb, sur, not_names = words("first_names"), words("first_names_ambiguous"), words("surnames"), words("not_names")
    tvs = set(tussenvoegsels())
    out = []
    for i, (s, _e, w) in enumerate(parts):
        low = w.lower()
        if low not in first or len(low) < 2:
            continue
        j = i + 1
        while j < len(parts) and parts[j][2].lower() in tvs:
            j += 1
        if j >= len(parts):
            continue
        cand = parts[j][2]
        clow = cand.lower()
        if len(clow) < 2 or clow in EXTENSIONS or (clow in not_names and clow not in sur):
            continue
        listed = clow in sur
        shaped = cand[:1].isupper() and w[:1].isupper() and (cand[1:].islower() or cand.isupper())
        if low in amb and not listed:
            continue
        if listed or shaped:
            out.append((s, parts[j][1]))
    return out


def identifier_findings(analyzer, identifier: str) -> list[Finding]:
    """Findings for the names (and numbers) inside one identifier string."""
    parts = [p for p in words_of(identifier) if p[2].lower() not in EXTENSIONS]
    out: list[Finding] = []
    for s, e in _lexicon_names(parts):
        out.append(Finding(s, e, identifier[s:e], "name", "5.1.2e", 0.8, "identifiers", "given-name+surname",
                           "identifiers/given-name+surname: a listed given name and a surname word inside an "
                           "identifier or file name -> 0.80"))
    if parts:
        spaced, offsets = "", []
        for s, e, w in parts:
            if spaced:
                spaced += " "
            offsets.append((len(spaced), s, e))
            spaced += w
        for f in analyzer.analyze(spaced):
            if f.category != "name":
                continue
            inside = [(s, e) for at, s, e in offsets if at < f.end and f.start < at + (e - s)]
            if inside:
                s, e = inside[0][0], inside[-1][1]
                out.append(replace(f, start=s, end=e, text=identifier[s:e],
                                   explanation=f.explanation + "; inside an identifier or file name"))
    return out


def embedded(analyzer, text: str) -> list[Finding]:
    """Findings in the identifier-like tokens and the encoded-words of a running text."""
    out: list[Finding] = []
    if "_" in text or "." in text or "-" in text:
        for m in _TOKEN.finditer(text):
            if "@" in m.group(0) and "_" not in m.group(0):
                continue  # an e-mail address: the e-mail recognizer's
            for f in identifier_findings(analyzer, m.group(0)):
                out.append(replace(f, start=f.start + m.start(), end=f.end + m.start()))
    if "=?" in text:
        for m in _ENCODED.finditer(text):
            decoded = _decode(m)
            if decoded:
                found = [f for f in analyzer.analyze(decoded)]
                if found:
                    best = max(found, key=lambda f: f.score)
                    out.append(Finding(m.start(), m.end(), m.group(0), best.category, best.ground, best.score,
                                       "identifiers", "encoded-word",
                                       f"identifiers/encoded-word: decodes to text with a {best.category} "
                                       f"({best.explanation}) -> {best.score:.2f}"))
    return out


def _decode(m: re.Match) -> str:
    charset, enc, data = m.groups()
    try:
        raw = base64.b64decode(data + "=" * (-len(data) % 4)) if enc in "Bb" else quopri.decodestring(data.replace("_", " "), header=True)
        return raw.decode(charset, "replace")
    except (binascii.Error, LookupError, ValueError):
        return ""

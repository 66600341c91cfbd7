"""The leak guard: open every file of a written package and look for every redacted text.

Nothing is trusted to the writers. Each file is read back as a reader's software would see it:

- file names (every path in the package, and every member name of a zip);
- docx/xlsx/pptx: every XML part inside the zip (document, headers, footers, shared strings,
  sheets, docProps). Text is joined across runs within a paragraph (w:p), a cell (c), a shared
  string (si), and also across the whole part, so a name split over two runs or two paragraphs
  is found; every attribute value (link targets, alt texts) is searched as well;
- json: every string; xml and text: the text; pdf: the text layer of each page (pypdf), the
  document properties and the XMP metadata stream.

What is searched: every applied redaction's text, whole words, any case, whitespace folded (the
same ``Needles`` the renderer uses), and the digits of every redacted number of six or more
digits, compared with the digit-only text of each paragraph, cell or value (so "0612345678" is
found in "06 - 1234 5678" or split over runs). The digits are compared per paragraph, not per
whole part, because the digit stream of a whole inventory (numbers 1, 2, 3, ...) would raise false
alarms. A hit names the file and the place, and the redaction by its key, never by its text.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from lxml import etree

from exports.render import Needle, Needles
from woo_collector.redaction.normalise import normalise

UNIT_TAGS = {"p", "si", "c"}  # paragraph (w:p, a:p), shared string, cell (inline strings included)
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True, recover=True)


@dataclass(frozen=True)
class Hit:
    file: str
    place: str
    needle: Needle

    def __str__(self) -> str:
        return f"{self.file}: {self.place}: {self.needle.describe()}"


@lru_cache(maxsize=4096)
def _local(tag) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


_HEXLIKE = re.compile(r"[0-9a-f]{16,}")
_VISIBLE_ATTRS = {"descr", "title", "name", "Target", "tooltip", "alt"}


def xml_units(data: bytes, part: str) -> Iterator[tuple[str, str, bool]]:
    """(place, text, digits_too) units of one XML part.

    Units are paragraphs, cells and shared strings (runs joined), leaf elements outside them
    (document properties), attribute values, and the whole part (units joined by spaces).
    Digits are checked where a reader sees them: not in layout numbers of attributes, shared
    string indexes or the float serials of dates.
    """
    try:
        root = etree.fromstring(data, _PARSER)
    except etree.XMLSyntaxError:
        root = None
    if root is None:
        yield part, data.decode("utf-8", "replace"), True
        return
    counters: dict[str, int] = {}
    labels = {"p": "alinea", "si": "tekst", "c": "cel"}
    texts: list[str] = []
    for el in root.iter():
        if not isinstance(el.tag, str):
            continue
        name = _local(el.tag)
        for attr, value in el.attrib.items():
            yield f"{part}, attribuut {_local(attr)} van {name}", value, _local(attr) in _VISIBLE_ATTRS
        if name in UNIT_TAGS:
            counters[name] = counters.get(name, 0) + 1
            where = el.get("r") or str(counters[name])
            text = "".join(el.itertext())
            texts.append(text)
            digits_too = not (name == "c" and (el.get("t") == "s" or (el.get("t") in (None, "n") and not text.strip().isdigit())))
            yield f"{part}, {labels[name]} {where}", text, digits_too
        elif el.text and el.text.strip() and len(el) == 0 and not _in_unit(el):
            texts.append(el.text)
            yield f"{part}, {name}", el.text, True
    yield f"{part}, hele onderdeel", " ".join(texts), False


def _in_unit(el) -> bool:
    return any(_local(a.tag) in UNIT_TAGS for a in el.iterancestors())


def file_units(name: str, data: bytes) -> Iterator[tuple[str, str, bool]]:
    """(place, text, digits_too) units of one file (or zip member) by its type."""
    lower = name.lower()
    if lower.endswith((".docx", ".xlsx", ".pptx", ".zip", ".odt", ".ods")):
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            for info in z.infolist():
                yield f"naam van onderdeel {info.filename}", info.filename, True
                member = z.read(info)
                if info.filename.lower().endswith((".xml", ".rels")):
                    yield from xml_units(member, info.filename)
                elif lower.endswith(".zip"):
                    for place, text, digits_too in file_units(info.filename, member):
                        yield f"{info.filename}: {place}", text, digits_too
                else:
                    yield info.filename, member.decode("utf-8", "replace"), False
    elif lower.endswith(".json"):
        yield from _json_units(json.loads(data.decode("utf-8")), "")
    elif lower.endswith(".xml"):
        yield from xml_units(data, "xml")
    elif lower.endswith(".pdf"):
        from pypdf import PdfReader

        reader = PdfReader(io.BytesIO(data))
        for n, page in enumerate(reader.pages, start=1):
            text = page.extract_text() or ""
            yield f"pagina {n}", text, False
            for k, line in enumerate(text.splitlines(), start=1):
                yield f"pagina {n}, regel {k}", line, True
        for key, value in (reader.metadata or {}).items():
            yield f"eigenschap {key}", str(value), True
        xmp = reader.trailer["/Root"].get("/Metadata")
        if xmp is not None:
            yield from xml_units(xmp.get_object().get_data(), "XMP-metadata")
    else:
        yield "inhoud", data.decode("utf-8", "replace"), True


def _json_units(value, path: str) -> Iterator[tuple[str, str, bool]]:
    if isinstance(value, dict):
        for k, v in value.items():
            yield f"sleutel {path}/{k}", str(k), True
            yield from _json_units(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _json_units(v, f"{path}/{i}")
    elif value is not None:
        # numbers, hashes and item ids are no text a reader sees; their digits would give false alarms
        shown = not isinstance(value, (int, float)) and not _HEXLIKE.fullmatch(str(value))
        yield f"waarde {path or '/'}", str(value), shown


def scan_file(path: Path, root: Path, needles: Needles) -> list[Hit]:
    """Every hit in one file of the package (its name included)."""
    rel = path.relative_to(root).as_posix()
    hits = [Hit(rel, "bestandsnaam", n) for n in needles.scan(rel)]
    seen: dict[tuple[str, bool], list[Needle]] = {}  # attribute values and labels repeat a lot
    for place, text, digits_too in file_units(path.name, path.read_bytes()):
        found = seen.get((text, digits_too))
        if found is None:
            found = needles.scan(text) if digits_too else [n for _, _, n in needles.find_words(normalise(text))]
            if len(text) < 200:
                seen[(text, digits_too)] = found
        hits += [Hit(rel, place, n) for n in found]
    return hits


def scan_package(root: Path, needles: Needles) -> list[Hit]:
    """Every hit in every file under ``root`` (one hit per file, place and needle)."""
    if not needles:
        return []
    hits: list[Hit] = []
    for path in sorted(root.rglob("*")):
        if path.is_dir():
            rel = path.relative_to(root).as_posix()
            hits += [Hit(rel, "mapnaam", n) for n in needles.scan(rel)]
        else:
            hits += scan_file(path, root, needles)
    return _unique(hits)


def _unique(hits: list[Hit]) -> list[Hit]:
    """One hit per file, place and needle; a whole-part hit only where no finer place was found."""
    finer = {(h.file, h.needle.key) for h in hits if not h.place.endswith("hele onderdeel")}
    seen = set()
    unique = []
    for h in hits:
        key = (h.file, h.place, h.needle.key, h.needle.is_digits)
        if key in seen or (h.place.endswith("hele onderdeel") and (h.file, h.needle.key) in finer):
            continue
        seen.add(key)
        unique.append(h)
    return unique

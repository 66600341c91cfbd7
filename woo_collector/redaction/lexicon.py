"""Word lists from ``data/`` (hand-written, see ``data/README.txt``), loaded once per process."""

from __future__ import annotations

from functools import cache
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


@cache
def words(name: str) -> frozenset[str]:
    """The entries of ``data/<name>.txt`` in lower case, comments and blank lines left out."""
    out = set()
    for line in (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            out.add(line.lower())
    return frozenset(out)


@cache
def section(name: str, heading: str) -> frozenset[str]:
    """The entries of ``data/<name>.txt`` under the comment lines that start with ``# <heading>``
    (up to the next comment line), lower case."""
    out, inside = set(), False
    for line in (DATA / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line.startswith("#"):
            inside = line[1:].strip().lower().startswith(heading.lower())
        elif line and inside:
            out.add(line.lower())
    return frozenset(out)


@cache
def special_keywords() -> tuple[tuple[str, str], ...]:
    """(category, keyword) pairs of special personal data; a trailing ``*`` marks a prefix."""
    pairs = []
    for line in (DATA / "special_keywords.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            cat, _, kw = line.partition("\t")
            pairs.append((cat.strip(), kw.strip().lower()))
    return tuple(pairs)


@cache
def tussenvoegsels() -> tuple[str, ...]:
    """Surname particles, longest first so "van der" wins over "van"."""
    return tuple(sorted(words("tussenvoegsels"), key=lambda t: (-len(t), t)))

"""Rebuild ``first_names_sourced.txt`` and ``surnames_sourced.txt`` in woo_collector/redaction/data/.

The names come from the person providers of Faker (MIT licence, https://github.com/joke2k/faker),
one locale per origin that people in the Netherlands and Flanders have (see LOCALES and
data/README.txt for the upstream source each provider cites). Faker is not a dependency: fetch its
wheel and point this script at it::

    pip download --no-deps -d /tmp/faker faker
    python tests/redaction/build_names.py /tmp/faker/faker-*.whl [--lexicon /usr/share/frog/nld/Frog.mbt.1.0.lex]

A name that is also an ordinary Dutch word ("Dan", "Elke", "Roos") would box sentence starts, so
such names are left out. Which words are ordinary is read, at build time only, from the
project's own lists (not_names, titles, functions, tussenvoegsels, first_names_ambiguous) and,
when given, from the word counts of Frog's Dutch tagger lexicon (frogdata): a name whose lower-case
form Frog saw five times or more as an ordinary word is left out. Nothing of Frog's data is written.
Names already in the hand-written lists are left out too, so the sourced files only add.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import tempfile
import unicodedata
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "woo_collector" / "redaction" / "data"
sys.path.insert(0, str(ROOT))

# Faker locale -> which people in NL and Flanders it stands for
LOCALES = {
    "nl_NL": "Dutch",
    "nl_BE": "Flemish (and Belgian residents of Moroccan and Turkish origin)",
    "fr_BE": "Walloon and Brussels French",
    "fr_FR": "French",
    "fr_DZ": "Maghrebi (Algerian, in French transliteration: close to Moroccan names in NL and BE)",
    "tr_TR": "Turkish",
    "pl_PL": "Polish",
    "en_IN": "Indian (Surinamese Hindustani given names and surnames overlap)",
    "en_PK": "Arabic and Urdu Muslim names in Latin transliteration",
    "id_ID": "Indonesian (Indo and Moluccan families)",
    "es_ES": "Spanish (Antillean and Latin American names overlap)",
    "pt_PT": "Portuguese (Cape Verdean and Antillean names overlap)",
}
FIRST_ATTRS = ("first_names", "first_names_male", "first_names_female")
LAST_ATTRS = ("last_names", "last_names_male", "last_names_female")


def _latin(name: str) -> bool:
    return all(c.isalpha() or c in " '-’" for c in name) and all(
        unicodedata.name(c, "").startswith("LATIN") for c in name if c.isalpha())


def faker_names(wheel: Path) -> dict[str, tuple[set[str], set[str]]]:
    """locale -> (given names, surnames) from the Faker wheel (imported from a temporary folder)."""
    tmp = Path(tempfile.mkdtemp(prefix="faker-"))
    with zipfile.ZipFile(wheel) as z:
        z.extractall(tmp)
    sys.path.append(str(tmp))
    out = {}
    for loc in LOCALES:
        provider = importlib.import_module(f"faker.providers.person.{loc}").Provider
        first = {n for a in FIRST_ATTRS for n in getattr(provider, a, ())}
        last = {n for a in LAST_ATTRS for n in getattr(provider, a, ())}
        out[loc] = ({n.strip() for n in first if _latin(n)}, {n.strip() for n in last if _latin(n) and n != "Doe"})
    return out


def ordinary_words(lexicon: Path | None) -> set[str]:
    """Lower-case words that are ordinary Dutch: the project's lists, and Frog's lexicon if given."""
    from woo_collector.redaction.lexicon import words

    out = set()
    for name in ("not_names", "titles", "functions", "tussenvoegsels", "first_names_ambiguous", "salutations",
                 "closings", "name_cues", "organisation_words"):
        out |= words(name)
    if lexicon is not None:
        for line in lexicon.read_text(encoding="utf-8", errors="replace").splitlines():
            parts = line.split()
            if len(parts) < 3 or not parts[1].islower():
                continue
            ordinary = sum(int(t.rsplit(":", 1)[1]) for t in parts[2:] if ":" in t and not t.startswith("SPEC"))
            if ordinary >= 5:
                out.add(parts[1])
    return out


def build(wheel: Path, lexicon: Path | None) -> tuple[list[str], list[str]]:
    from woo_collector.redaction.lexicon import words

    ordinary = ordinary_words(lexicon)
    have_first, have_sur = words("first_names") | words("first_names_ambiguous"), words("surnames")
    first, sur = set(), set()
    for f, s in faker_names(wheel).values():
        first |= {n for n in f if len(n) >= 3 and " " not in n}
        sur |= {n.split()[-1] for n in s if len(n.split()[-1]) >= 3}  # the surname without its particles

    def keep(n: str, have: frozenset) -> bool:
        return n.lower() not in ordinary and n.lower() not in have

    return (sorted((n for n in first if keep(n, have_first)), key=str.lower),
            sorted((n for n in sur if keep(n, have_sur)), key=str.lower))


HEADER = ("# {what} from the person providers of Faker {version} (MIT licence), locales {locales};\n"
          "# built by tests/redaction/build_names.py (sources and licences: README.txt). Do not edit by hand.\n")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("wheel", type=Path, help="the Faker wheel (pip download --no-deps faker)")
    ap.add_argument("--lexicon", type=Path, default=None, help="Frog's Frog.mbt.1.0.lex, to leave ordinary words out")
    args = ap.parse_args()
    version = args.wheel.name.split("-")[1]
    first, sur = build(args.wheel, args.lexicon)
    locales = ", ".join(LOCALES)
    (DATA / "first_names_sourced.txt").write_text(
        HEADER.format(what="Given names", version=version, locales=locales) + "\n".join(first) + "\n", encoding="utf-8")
    (DATA / "surnames_sourced.txt").write_text(
        HEADER.format(what="Surnames", version=version, locales=locales) + "\n".join(sur) + "\n", encoding="utf-8")
    print(f"{len(first)} given names, {len(sur)} surnames")


if __name__ == "__main__":
    main()

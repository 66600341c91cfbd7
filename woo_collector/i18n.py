"""The command line in Dutch or English: Python's stdlib gettext, catalogue ``woo`` in the package.

The language is picked as gettext picks it: the first of ``LANGUAGE``, ``LC_ALL``, ``LC_MESSAGES``
and ``LANG`` that is set (``LANGUAGE`` may list several, ``nl:en``); Dutch when that is a Dutch
locale (``nl_NL.UTF-8``, ``nl_BE``, ``nl``), English (the msgids) otherwise, ``C`` included.
The environment is read at every lookup, so one process can answer in either language.

Catalogue: ``woo_collector/locale/nl/LC_MESSAGES/woo.po`` (edited by hand) and its compiled
``woo.mo`` (committed, shipped in the wheel). There is no msgfmt here, so this module compiles it::

    python -m woo_collector.i18n extract   # new msgids of the CLI (and Click's) into woo.po, msgstr empty
    python -m woo_collector.i18n compile   # woo.po -> woo.mo (deterministic: the test checks the committed one)

Click 8 looks its own strings ("Usage:", "Options:", "Error: No such option ...") up with
``gettext.gettext``, that is in the process's global text domain; ``use_for_click()`` (called when
``woo_collector.cli`` is imported) makes that domain ``woo``, so the same catalogue holds Click's
strings. JSON output is for scripts and is never translated; command and option names neither.
"""

from __future__ import annotations

import ast
import gettext
import inspect
import re
import struct
import sys
from pathlib import Path

DOMAIN = "woo"
LOCALEDIR = Path(__file__).resolve().parent / "locale"
PO = LOCALEDIR / "nl" / "LC_MESSAGES" / f"{DOMAIN}.po"
MO = PO.with_suffix(".mo")
COLUMN = "column"  # the msgctxt of table headers (short words such as 'source', 'type')

gettext.bindtextdomain(DOMAIN, str(LOCALEDIR))


def _(message: str) -> str:
    """``message`` in the user's language."""
    return gettext.dgettext(DOMAIN, message)


def ngettext(singular: str, plural: str, n: int) -> str:
    """The form of ``singular``/``plural`` for count ``n``, in the user's language."""
    return gettext.dngettext(DOMAIN, singular, plural, n)


def column(name: str) -> str:
    """A table header in the user's language (msgctxt ``column``); JSON and CSV keep the key ``name``."""
    return gettext.dpgettext(DOMAIN, COLUMN, name)


def N_(message: str) -> str:
    """Marks ``message`` for the catalogue where it is defined; it is translated with ``_`` where shown."""
    return message


def help_text(text: str | None) -> str | None:
    """A docstring or an option's help in the user's language (the msgid is the cleaned docstring)."""
    if not text:
        return text
    msgid = inspect.cleandoc(text)
    found = _(msgid)
    return text if found is msgid else found


def use_for_click() -> None:
    """Make ``woo`` the global text domain, where Click looks its own messages up."""
    gettext.textdomain(DOMAIN)


def dutch() -> bool:
    """Whether the user's locale answers in Dutch (for callers that choose between whole texts)."""
    return gettext.find(DOMAIN, str(LOCALEDIR)) is not None


# --- the catalogue: .po read, .mo written (what msgfmt does), msgids extracted (what xgettext does) ---


class Entry:
    """One message of a .po file: context, msgid (and plural), the Dutch msgstr(s), flags."""

    def __init__(self, msgid: str, plural: str | None = None, ctxt: str | None = None,
                 strs: list[str] | None = None, comments: list[str] | None = None) -> None:
        self.msgid, self.plural, self.ctxt = msgid, plural, ctxt
        self.strs = strs if strs is not None else ([""] if plural is None else ["", ""])
        self.comments = comments or []

    @property
    def key(self) -> tuple[str | None, str]:
        return self.ctxt, self.msgid

    @property
    def fuzzy(self) -> bool:
        return any(c.startswith("#,") and "fuzzy" in c for c in self.comments)


def _unquote(s: str) -> str:
    s = s.strip()
    if not (s.startswith('"') and s.endswith('"')):
        raise ValueError(f"not a quoted .po string: {s!r}")
    return ast.literal_eval(s)


def read_po(path: Path = PO) -> list[Entry]:
    """The entries of a .po file, the header (msgid "") first, in file order."""
    entries: list[Entry] = []
    cur: dict = {}
    comments: list[str] = []
    field = None

    def flush() -> None:
        nonlocal cur, comments
        if "msgid" in cur:
            strs = [cur[k] for k in sorted(k for k in cur if isinstance(k, int))] if "plural" in cur else [cur.get(0, "")]
            entries.append(Entry(cur["msgid"], cur.get("plural"), cur.get("ctxt"), strs, comments))
        cur, comments = {}, []

    for lineno, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = line.strip()
        if not line:
            flush()
            field = None
            continue
        if line.startswith("#"):
            if "msgid" in cur:
                flush()
            comments.append(line)
            continue
        m = re.match(r'(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+(".*")$', line)
        if m:
            kw, idx, value = m.group(1), m.group(2), _unquote(m.group(3))
            if kw == "msgctxt" or (kw == "msgid" and "msgid" in cur):
                flush()
            field = {"msgctxt": "ctxt", "msgid": "msgid", "msgid_plural": "plural"}.get(kw, int(idx or 0))
            cur[field] = value
        elif line.startswith('"') and field is not None:
            cur[field] += _unquote(line)
        else:
            raise ValueError(f"{path}:{lineno}: cannot read {line!r}")
    flush()
    return entries


def compile_mo(entries: list[Entry]) -> bytes:
    """The GNU .mo of ``entries`` (as CPython's Tools/i18n/msgfmt.py writes it): keys sorted, no hash table.

    Untranslated and fuzzy entries are left out (gettext then answers the msgid, English)."""
    messages: dict[bytes, bytes] = {}
    for e in entries:
        if e.fuzzy and e.msgid:
            continue
        if not any(e.strs):
            continue
        key = e.msgid if e.plural is None else e.msgid + "\0" + e.plural
        if e.ctxt is not None:
            key = e.ctxt + "\x04" + key
        messages[key.encode("utf-8")] = "\0".join(e.strs).encode("utf-8")
    keys = sorted(messages)
    ids = strs = b""
    offsets = []
    for k in keys:
        offsets.append((len(ids), len(k), len(strs), len(messages[k])))
        ids += k + b"\0"
        strs += messages[k] + b"\0"
    keystart = 7 * 4 + 16 * len(keys)
    valuestart = keystart + len(ids)
    koffsets: list[int] = []
    voffsets: list[int] = []
    for o1, l1, o2, l2 in offsets:
        koffsets += [l1, o1 + keystart]
        voffsets += [l2, o2 + valuestart]
    out = struct.pack("Iiiiiii", 0x950412DE, 0, len(keys), 7 * 4, 7 * 4 + len(keys) * 8, 0, 0)
    out += struct.pack(f"{len(koffsets)}i", *koffsets) if koffsets else b""
    out += struct.pack(f"{len(voffsets)}i", *voffsets) if voffsets else b""
    return out + ids + strs


class Message:
    """A translatable string found in the code: where, msgid, plural, context."""

    def __init__(self, msgid: str, where: str, plural: str | None = None, ctxt: str | None = None) -> None:
        self.msgid, self.where, self.plural, self.ctxt = msgid, where, plural, ctxt

    @property
    def key(self) -> tuple[str | None, str]:
        return self.ctxt, self.msgid


def _literal(node: ast.AST) -> str | None:
    return node.value if isinstance(node, ast.Constant) and isinstance(node.value, str) else None


def _callee(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def _is_command_decorator(d: ast.AST) -> bool:
    """``@cli.command()``, ``@request.command("show")``, ``@click.group()``, ``@cli.group()``."""
    return isinstance(d, ast.Call) and _callee(d) in ("command", "group")


def extract(paths: list[Path]) -> list[Message]:
    """Every translatable string of ``paths``: ``_()``, ``N_()``, ``ngettext()``, ``column()`` and the
    columns of ``emit(rows, [...])``, the ``help=`` and ``prompt=`` of options, command docstrings."""
    found: list[Message] = []
    for path in paths:
        tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
        for node in ast.walk(tree):
            where = f"{path.name}:{getattr(node, 'lineno', 0)}"
            if isinstance(node, ast.Call):
                name, args = _callee(node), node.args
                if name in ("_", "N_", "help_text") and args and _literal(args[0]) is not None:
                    found.append(Message(_literal(args[0]), where))
                elif name == "ngettext" and len(args) >= 2 and _literal(args[0]) is not None:
                    found.append(Message(_literal(args[0]), where, plural=_literal(args[1])))
                elif name == "column" and args and _literal(args[0]) is not None:
                    found.append(Message(_literal(args[0]), where, ctxt=COLUMN))
                elif name == "emit" and len(args) >= 2 and isinstance(args[1], (ast.List, ast.Tuple)):
                    found += [Message(_literal(c), where, ctxt=COLUMN) for c in args[1].elts if _literal(c)]
                elif name in ("option", "version_option", "prompt", "confirm"):
                    for kw in node.keywords:
                        if kw.arg in ("help", "prompt") and _literal(kw.value):
                            found.append(Message(_literal(kw.value), where))
                    if name in ("prompt", "confirm") and args and _literal(args[0]):
                        found.append(Message(_literal(args[0]), where))
            elif isinstance(node, ast.FunctionDef) and any(_is_command_decorator(d) for d in node.decorator_list):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    found.append(Message(doc, f"{path.name}:{node.lineno}"))
    return found


def cli_sources() -> list[Path]:
    """The modules whose strings the catalogue must hold: the CLI."""
    return sorted((Path(__file__).resolve().parent / "cli").glob("*.py"))


def click_sources() -> list[Path]:
    import click

    return sorted(Path(click.__file__).resolve().parent.glob("*.py"))


def _po_string(s: str) -> str:
    body = s.replace("\\", "\\\\").replace('"', '\\"').replace("\t", "\\t").replace("\b", "\\b")
    lines = body.split("\n")
    if len(lines) == 1:
        return f'"{body}"'
    parts = [line + "\\n" for line in lines[:-1]] + ([lines[-1]] if lines[-1] else [])
    return '""\n' + "\n".join(f'"{p}"' for p in parts)


def write_po(entries: list[Entry], path: Path = PO) -> None:
    out = []
    for e in entries:
        block = list(e.comments)
        if e.ctxt is not None:
            block.append(f"msgctxt {_po_string(e.ctxt)}")
        block.append(f"msgid {_po_string(e.msgid)}")
        if e.plural is None:
            block.append(f"msgstr {_po_string(e.strs[0])}")
        else:
            block.append(f"msgid_plural {_po_string(e.plural)}")
            block += [f"msgstr[{i}] {_po_string(s)}" for i, s in enumerate(e.strs)]
        out.append("\n".join(block))
    path.write_text("\n\n".join(out) + "\n", encoding="utf-8")


def _update() -> int:
    """Add the msgids of the CLI and of Click that woo.po lacks (empty msgstr), keeping every translation."""
    found = extract(cli_sources()) + extract(click_sources())
    wanted = {m.key for m in found}
    # msgids the code no longer has go (an entry with a '#. keep' comment is looked up by a variable and stays)
    entries = [e for e in read_po(PO) if not e.msgid or e.key in wanted or any(c.startswith("#. keep") for c in e.comments)]
    have = {e.key for e in entries}
    added = 0
    for m in found:
        if m.key not in have:
            entries.append(Entry(m.msgid, m.plural, m.ctxt, comments=[f"#: {m.where}"]))
            have.add(m.key)
            added += 1
    write_po(entries)
    return added


def main(argv: list[str]) -> int:
    if argv[:1] == ["compile"]:
        MO.write_bytes(compile_mo(read_po(PO)))
        print(f"wrote {MO}")
    elif argv[:1] == ["extract"]:
        print(f"{_update()} new msgid(s) in {PO} (and the ones the code no longer has removed)")
    else:
        print("usage: python -m woo_collector.i18n extract|compile", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

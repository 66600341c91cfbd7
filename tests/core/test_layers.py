"""The import graph follows the layout: data moves one way, and the core never reaches back up.

    connectors/  ->  woo_collector (core: models, store, catalog, index, requests, redaction)  ->  exports/
                                         woo_collector/cli (the application) wires them together

- The core (every module of ``woo_collector`` except ``cli/`` and ``__main__``) never imports
  ``connectors`` or ``exports``: it finds connector classes by name through
  ``woo_collector.registry``, and whoever calls a library function hands it what it needs.
- The CLI is the application layer: it may import ``exports`` (it calls ``exports.package.export``),
  but it reaches connectors only through the registry too, so built-in and installed connectors
  are treated the same.
- Connectors import the core's models, errors and helpers, never ``exports``, the CLI, the
  requests or the index.
- Exports never import connectors.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports(path: Path) -> set[str]:
    """Every module ``path`` imports, relative imports resolved, wherever in the file they stand."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names}  # 'from woo_collector import cli' imports woo_collector.cli
    return found


def modules(top: str) -> list[Path]:
    return sorted((ROOT / top).rglob("*.py"))


def within(mod: str, prefix: str) -> bool:
    return mod == prefix or mod.startswith(prefix + ".")


def is_core(path: Path) -> bool:
    rel = path.relative_to(ROOT / "woo_collector").as_posix()
    return not (rel.startswith("cli/") or rel == "__main__.py")


RULES = [  # (which modules, what they must not import, why)
    ("core", lambda p: p.is_relative_to(ROOT / "woo_collector") and is_core(p), ("connectors", "exports"),
     "the core finds connectors through woo_collector.registry and is handed what exports need"),
    ("cli", lambda p: p.is_relative_to(ROOT / "woo_collector" / "cli"), ("connectors",),
     "the CLI reaches connectors through woo_collector.registry, like the core"),
    ("connectors", lambda p: p.is_relative_to(ROOT / "connectors"),
     ("exports", "woo_collector.cli", "woo_collector.requests", "woo_collector.index"),
     "a connector yields items; it knows nothing of the index, requests, packages or the CLI"),
    ("exports", lambda p: p.is_relative_to(ROOT / "exports"), ("connectors",),
     "an export writer knows nothing of where items came from"),
]
ALL = [p for top in ("woo_collector", "connectors", "exports") for p in modules(top)]


@pytest.mark.parametrize("layer, selects, forbidden, why", RULES, ids=[r[0] for r in RULES])
def test_layer_imports(layer, selects, forbidden, why):
    chosen = [p for p in ALL if selects(p)]
    assert chosen, f"no modules found for {layer}"
    wrong = sorted(f"{p.relative_to(ROOT)} imports {m}" for p in chosen for m in imports(p)
                   if any(within(m, f) for f in forbidden))
    assert not wrong, f"{why}:\n  " + "\n  ".join(wrong)


def test_the_import_parser_sees_what_it_must():
    """The checker itself: plain, from, relative and function-local imports are all found."""
    src = ROOT / "woo_collector" / "cli" / "requests.py"
    assert "exports.package" in imports(src)  # a function-local import
    assert "woo_collector.cli.common" in imports(src)
    assert "woo_collector.registry" in imports(ROOT / "woo_collector" / "ingest.py")

"""``woo doctor``: is everything where it should be, and how to mend what is not."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from woo_collector import registry
from woo_collector.errors import ConfigError
from woo_collector.workspace import Workspace


def check(ws: Workspace, quick: bool = False, progress: bool = True) -> tuple[list[str], dict[str, Any]]:
    from woo_collector.progress import Progress

    problems: list[str] = []
    facts: dict[str, Any] = {"workspace": str(ws.root.resolve())}
    problems += ws.permission_problems()
    cat = ws.catalog
    problems += audit_problems(ws, facts)
    facts["catalog schema"] = cat.schema_version
    facts["items"] = cat.count_items()

    missing, damaged, n = [], [], 0
    originals = list(cat.originals())
    with Progress("doctor: originals", total=len(originals), unit="files", quiet=not progress) as prog:
        for sha, _size in originals:
            n += 1
            if quick:
                if not ws.store.has(sha):
                    missing.append(sha)
            elif not ws.store.has(sha):
                missing.append(sha)
            elif not ws.store.verify(sha):
                damaged.append(sha)
            prog.update(1)
    facts["originals"] = n
    if missing:
        problems.append(f"{len(missing)} originals are missing from the store (first: {missing[0]}); restore store/ from backup")
    if damaged:
        problems.append(f"{len(damaged)} originals no longer match their SHA-256 (first: {damaged[0]}); restore them from backup")
    unref = cat.referenced_shas() - {s for s, _ in originals}
    unref = {s for s in unref if s and not ws.store.has(s)}
    if unref:
        problems.append(f"{len(unref)} items point to originals that are not in the store; re-import their source")

    cat_ids = cat.item_ids()
    idx_ids = ws.index.ids()
    facts["index engine"] = ws.settings.engine
    facts["indexed documents"] = len(idx_ids)
    advice = engine_advice(ws.settings.engine, len(cat_ids))
    if advice:
        facts["advice"] = advice
    pending = cat.count_unindexed()
    only_cat = cat_ids - idx_ids
    only_idx = idx_ids - cat_ids
    if pending or only_cat or only_idx:
        problems.append(f"catalog and index are out of step ({len(only_cat)} items not in the index, {len(only_idx)} index "
                        f"entries without item, {pending} marked unindexed); run 'woo reindex' (or any 'woo ingest' mends it)")
    interrupted = [r for r in cat.runs(limit=1000) if r.status == "running"]
    if interrupted:
        facts["runs still marked running"] = len(interrupted)
    fails = cat.open_failures()
    facts["open failures"] = len(fails)
    for name, spec in ws.sources().items():
        try:
            cls = registry.get(spec.type)
            cls.check_settings(spec)
        except ConfigError as e:  # an unknown type or bad settings: a configuration problem to report, not to crash on
            problems.append(str(e) if str(e).startswith(f"source {name}:") else f"source {name}: {e}")
            continue
        if not cls.network and spec.path and not Path(spec.path).exists():
            problems.append(f"source {name}: path {spec.path} does not exist; fix it in woo.toml or re-add the source")
    problems += export_problems(ws, facts, quick)
    from woo_collector.redaction import layers

    facts["redaction layers"] = layers.describe(ws.config)
    return problems, facts


# Past this many items Whoosh's searches take seconds (bench/bench_search.py, bench/RESULTS.md, issue 17):
# CPU time of one search, Whoosh, 2026-12-01: a common phrase 0.3 s at 10,000 items and 3.1 s at
# 100,000 (linear: 1.5 s at 50,000), AND 0.5 s at 100,000; tantivy answers every kind in 10 ms at
# 100,000 and 66 ms at 1,000,000. The budget of a term with a period (p95 <= 300 ms at 100,000) Whoosh
# now meets far past 100,000 (22 ms CPU there); the ceiling is set by the other kinds.
WHOOSH_CEILING = 50_000


def engine_advice(engine: str, items: int) -> str:
    """What doctor recommends about the index engine for a workspace of ``items`` items."""
    if engine == "whoosh" and items > WHOOSH_CEILING:
        return (f"{items} items: past {WHOOSH_CEILING} Whoosh searches get slow (seconds); switch to the tantivy "
                "engine with 'woo reindex --engine tantivy' (same queries, same hits)")
    return ""


def export_problems(ws: Workspace, facts: dict[str, Any], quick: bool = False) -> list[str]:
    """The output folders of earlier exports: leftovers of interrupted exports (never through the
    leak guard), an unfinished swap, a package that does not match its manifest (with ``quick``: files
    missing or unlisted, without re-hashing them), a stale zip."""
    from woo_collector import outputs

    problems: list[str] = []
    folders = outputs.recorded(ws.root)
    facts["export folders"] = len(folders)
    for out, rec in sorted(folders.items()):
        problems += outputs.package_problems(Path(out), str(rec.get("request", "REQ")), rehash=not quick)
    return problems


def audit_problems(ws: Workspace, facts: dict[str, Any]) -> list[str]:
    """The audit log: chain, HMAC under audit.key, and the count and head recorded in audit.anchor."""
    verdict = ws.catalog.audit_check()
    facts["audit rows"] = len(verdict.rows)
    if verdict.unanchored:
        facts["audit rows not yet anchored"] = verdict.unanchored  # a crash after a commit; the next audit row anchors them
    if verdict.ok:
        return []
    where = f"at row {verdict.first_broken}" if verdict.first_broken else "(its key or anchor)"
    return [f"the audit log was altered {where}: {'; '.join(verdict.problems)}. Keep this workspace as evidence (copy it "
            f"whole, {ws.root.resolve()}, before anything else runs), report it, and restore catalog.sqlite, audit.key and "
            "audit.anchor from the last backup that 'woo doctor' finds clean (compare audit.anchor with its off-host copy)"]

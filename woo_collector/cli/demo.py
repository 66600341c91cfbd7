"""woo demo: a fictional municipality, end to end, with no server and no network.

It runs the same library functions as the commands it stands for (``add_source``,
``ingest_sources``, request ``create``/``collect``, ``exports.package.export``), so the demo takes
the lock and writes the same audit rows as ``woo source add``, ``woo ingest`` and ``woo request ...``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Callable

import os

import click

from woo_collector.cli import cli
from woo_collector.cli.common import AppContext, handle_errors, local_short, pass_app
from woo_collector.dates import local, show_day
from woo_collector.i18n import _, ngettext


def default_demo_dir() -> Path:
    """Where ``woo demo`` without DIR builds: the user's data folder, never the current one
    (``$XDG_DATA_HOME/woo-collector/demo``, else ``~/.local/share/woo-collector/demo``)."""
    xdg = os.environ.get("XDG_DATA_HOME", "")
    base = Path(xdg) if xdg and Path(xdg).is_absolute() else Path.home() / ".local" / "share"  # a relative XDG value is ignored (XDG spec)
    return base / "woo-collector" / "demo"


@cli.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@pass_app
@handle_errors
def demo(app: AppContext, directory: Path | None) -> None:
    """Build a demo workspace of Gemeente Voorbeeld, ingest it, search it, and run a Woo request.

    Without DIR it builds in your data folder ($XDG_DATA_HOME/woo-collector/demo, default
    ~/.local/share/woo-collector/demo), not in the current folder. Running it again changes nothing
    but the package, which is written anew.

    Example: woo demo /tmp/woo-demo
    """
    from woo_collector import demo as demodata
    from woo_collector import policy, registry
    from woo_collector.ingest import add_source, ingest_sources
    from woo_collector.models import SourceSpec
    from woo_collector.workspace import Workspace

    if directory is None:
        directory = default_demo_dir()
        click.echo(_("Demo folder: {path} (give a folder, woo demo DIR, to build it elsewhere)").format(path=directory.resolve()))
    root = directory.resolve()
    data = root / "data"
    click.echo(_("Demo data of {organisation}: {path}").format(organisation=demodata.ORGANISATION, path=data))
    sources = demodata.generate(data)
    ws, _created = Workspace.init(root / "workspace", demodata.ORGANISATION)
    if not ws.config.get("policy", {}).get("keep"):  # through the library, so the demo's audit log is complete
        policy.keep(ws, list(demodata.KEEP))
        policy.add_domains(ws, [demodata.DOMAIN])
    known = ws.sources()
    available = registry.available()
    for name, type_, path, custodian in sources:
        if type_ not in available:
            click.echo("  " + _("(skipping {name}: the {type} connector is not installed)").format(name=name, type=type_))
            continue
        if name not in known:
            add_source(ws, SourceSpec(name=name, type=type_, path=str(path), custodian=custodian))
    specs = ws.sources()

    def line(r) -> None:
        click.echo(f"  {r.source:<18} {specs[r.source].type:<9} {r.status:<8} "
                   + _("{new} new, {unchanged} unchanged, {failed} failed").format(new=r.new, unchanged=r.unchanged, failed=r.failed))

    ingest_sources(ws, (), what="woo demo", quiet=app.quiet, on_report=line)
    total, hits = ws.index.search("windturbine", limit=10, texts=ws.catalog.get_bodies)
    click.echo("\n" + ngettext("woo search windturbine: {n} hit", "woo search windturbine: {n} hits", total).format(n=total))
    for h in hits:
        click.echo(f"  {local_short(h.date)}  {h.kind:<10} {h.custodian[:22]:<22} {h.title[:60]}")
    demo_request(ws, root, echo=click.echo)
    click.echo("\n" + _("Workspace: {path}").format(path=ws.root))
    click.echo(_('Try: woo --workspace {path} search "windturbines AND geluid"').format(path=ws.root))
    ws.close()


def demo_request(ws, root: Path, echo: Callable[[str], None]) -> None:
    """The demo's sample request: created once, collected, and exported to root/pakket."""
    from exports.package import export
    from woo_collector.requests import create, load_documents
    from woo_collector.requests.collect import collect

    req_id = "WOO-2025-001"
    if ws.catalog.requests.get(req_id, missing_ok=True) is None:
        create(ws, req_id, "alle documenten over de windturbines bij het Kraaiennest", date(2025, 3, 1), date(2025, 6, 30),
               terms=["windturbines", "windpark", "Kraaiennest", "geluidsonderzoek"], received=date.today(),
               requester="Stichting Windalarm")
    res = collect(ws, req_id)
    echo("\n" + _("woo request collect {request}: {hits} hits, {selected} items with their families, {duplicates} duplicates "
                  "removed, {documents} documents, {near} possible near-duplicates, {redactions} redactions proposed").format(
        request=req_id, hits=res.items_hit, selected=res.items_selected, duplicates=res.duplicates, documents=res.documents,
        near=res.near_duplicates, redactions=res.redactions))
    docs = load_documents(ws, req_id)
    cats: dict[str, int] = {}
    for d in docs:
        for r in d.redactions:
            cats[r.category] = cats.get(r.category, 0) + 1
    echo("  " + _("proposed redactions by category: {counts}").format(counts=", ".join(f"{k} {v}" for k, v in sorted(cats.items()))))
    for d in docs[:8]:
        echo(f"  {d.nr:>5}  {show_day(local(d.date).date())} {d.kind:<10} {d.decision:<15} {';'.join(d.grounds):<14} {d.title[:50]}"
             if d.date else f"  {d.nr:>5}  {d.kind:<10} {d.title[:50]}")
    if len(docs) > 8:
        echo("  " + _("... {n} more: woo --workspace {path} request show {request}").format(n=len(docs) - 8, path=ws.root, request=req_id))
    out = root / "pakket"
    result = export(ws, req_id, out, replace=True)  # a demo run again replaces its own package, kept aside
    echo("\n" + _("Disclosure package written to {path}:").format(path=out))
    if result.previous:
        echo("  " + _("(the earlier package was moved to {path})").format(path=result.previous))
    for f in sorted(result.files):
        echo(f"  {f}")

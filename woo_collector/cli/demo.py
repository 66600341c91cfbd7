"""woo demo: a fictional municipality, end to end, with no server and no network."""

from __future__ import annotations

from pathlib import Path

import click

from woo_collector.cli import cli
from woo_collector.cli.common import AppContext, handle_errors, local_short, pass_app


@cli.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@pass_app
@handle_errors
def demo(app: AppContext, directory: Path | None) -> None:
    """Build a demo workspace of Gemeente Voorbeeld, ingest it, search it, and run a Woo request.

    Running it again changes nothing but the package, which is written anew.

    Example: woo demo /tmp/woo-demo
    """
    from woo_collector import registry
    from woo_collector.models import SourceSpec
    from woo_collector import demo as demodata
    from woo_collector.ingest import run_source
    from woo_collector.workspace import Workspace

    root = (directory or Path("woo-demo")).resolve()
    data = root / "data"
    click.echo(f"Demo data of {demodata.ORGANISATION}: {data}")
    sources = demodata.generate(data)
    ws, _ = Workspace.init(root / "workspace", demodata.ORGANISATION)
    pol = ws.config.setdefault("policy", {})
    if not pol.get("keep"):
        pol["keep"] = list(demodata.KEEP)
        pol["org_domains"] = [demodata.DOMAIN]
        ws.save_config()
    known = ws.sources()
    available = registry.available()
    for name, type_, path, custodian in sources:
        if type_ not in available:
            click.echo(f"  (skipping {name}: the {type_} connector is not installed)")
            continue
        if name not in known:
            ws.add_source(SourceSpec(name=name, type=type_, path=str(path), custodian=custodian))
    with ws.lock("woo demo"):
        for spec in ws.sources().values():
            r = run_source(ws, spec, "ingest", quiet=app.quiet)
            click.echo(f"  {spec.name:<18} {spec.type:<9} {r.status:<8} {r.new} new, {r.unchanged} unchanged, {r.failed} failed")
            ws.audit("ingest", {"sources": [spec.name], "by": "woo demo"}, f"{r.status} (+{r.new}, {r.failed} failed)")
    total, hits = ws.index.search("windturbine", limit=10, texts=ws.catalog.get_bodies)
    click.echo(f"\nwoo search windturbine: {total} hits")
    for h in hits:
        click.echo(f"  {local_short(h.date)}  {h.kind:<10} {h.custodian[:22]:<22} {h.title[:60]}")
    try:
        from woo_collector.requests import demo_request
    except ImportError:
        click.echo("\nWoo requests and disclosure packages are not part of this version yet; the demo stops after search.")
    else:
        demo_request(ws, root, echo=click.echo)
    click.echo(f"\nWorkspace: {ws.root}\nTry: woo --workspace {ws.root} search \"windturbines AND geluid\"")
    ws.close()

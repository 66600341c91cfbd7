"""woo search, woo show."""

from __future__ import annotations

import json
import sys

import click

from woo_collector.cli import cli
from woo_collector.cli.common import AppContext, emit, format_option, handle_errors, local_iso, local_short, option, parse_day, pass_app
from woo_collector.dates import day_bounds
from woo_collector.text import printable


@cli.command()
@click.argument("query", nargs=-1)
@option("--from", "date_from", metavar="DATE", help="First day (YYYY-MM-DD, local time, inclusive).")
@option("--to", "date_to", metavar="DATE", help="Last day (inclusive).")
@option("--source", "sources", multiple=True, help="Only this source (repeatable).")
@option("--custodian", "custodians", multiple=True, help="Only this custodian (repeatable).")
@option("--kind", "kinds", multiple=True, type=click.Choice(["email", "attachment", "chat", "file"]), help="Only this kind (repeatable).")
@option("--limit", default=20, show_default=True, help="Hits to show (the count is always complete).")
@format_option()
@pass_app
@handle_errors
def search(app: AppContext, query: tuple[str, ...], date_from: str | None, date_to: str | None, sources, custodians, kinds, limit: int, fmt: str) -> None:
    """Search the index: words, "phrases", AND/OR/NOT, from:, to:, subject:, custodian:, source:, wildcards.

    Dutch stemming: windturbine also finds windturbines.

    Example: woo search windturbine --from 2025-03-01 --to 2025-06-30 --format json
    """
    from woo_collector.index import SearchError

    ws = app.ws
    first, last = parse_day(date_from, "--from"), parse_day(date_to, "--to")
    if first and last and last < first:  # as 'woo request create' refuses it; a bad option, so exit 2
        raise click.BadParameter(f"the period ends ({last}) before it starts ({first})", param_hint="--to")
    lo, hi = day_bounds(first, last)
    try:
        total, hits = ws.index.search(" ".join(query), limit=limit, texts=ws.catalog.get_bodies, date_from=lo, date_to=hi,
                                      sources=sources, custodians=custodians, kinds=kinds)
    except SearchError as e:
        raise click.ClickException(f"{e}. Quote phrases with \"...\" and write fields as field:value.") from e
    rows = [{"id": h.id, "kind": h.kind, "source": h.source, "custodian": h.custodian, "date": local_iso(h.date),
             "title": h.title, "sender": h.sender, "snippet": h.snippet, "score": round(h.score, 3)} for h in hits]
    if fmt == "table":
        if rows:
            click.echo(_table_line("id", "date", "kind", "sender", "custodian", "title"))
        for r, h in zip(rows, hits):
            click.echo(_table_line(r["id"], local_short(h.date), r["kind"], _name(r["sender"]), r["custodian"], r["title"]))
            if r["snippet"]:
                click.echo(f"    {printable(r['snippet'][:160])}")
        click.echo(f"{total} hits" + (f", {len(hits)} shown" if total > len(hits) else ""), err=True)
        return
    emit(rows, ["id", "kind", "source", "custodian", "date", "title", "sender", "snippet", "score"], fmt)
    click.echo(f"{total} hits", err=True)


_WIDTHS = (24, 16, 10, 24, 20, 60)  # id, date, kind, sender, custodian, title


def _table_line(*cells: str) -> str:
    """One row of the search table: each cell escaped (``printable``), cut and padded to its column."""
    shown = [printable(" ".join(c.split()))[:w].ljust(w) for c, w in zip(cells, _WIDTHS)]
    return "  ".join(shown).rstrip()


def _name(sender: str) -> str:
    """The name of ``Name <address>``; the sender as it is when it has no name (an address, a phone number)."""
    name, sep, _ = sender.partition("<")
    name = name.strip().strip('"').strip()
    return name if sep and name else sender


@cli.command()
@click.argument("item_id")
@format_option(("text", "json"), default="text")
@pass_app
@handle_errors
def show(app: AppContext, item_id: str, fmt: str) -> None:
    """One item with its metadata, its family and where its original lies in the store.

    Example: woo show 3f1c2a9e0b7d4c55e6f7a8b9
    """
    ws = app.ws
    item = ws.catalog.get_item(item_id)
    if item is None:
        raise click.ClickException(f"no item {item_id}; ids are the first column of 'woo search'")
    parent = ws.catalog.get_item(item.parent) if item.parent else None
    children = ws.catalog.children(item.id)
    conversation = [] if item.kind != "chat" or not item.conversation else ws.catalog.conversation(item.conversation)
    original = ws.store.path(item.sha256)
    if fmt == "json":
        doc = {"id": item.id, "kind": item.kind, "source": item.source, "custodian": item.custodian, "date": local_iso(item.sent),
               "sender": item.sender, "to": list(item.recipients), "cc": list(item.cc), "bcc": list(item.bcc),
               "title": item.subject, "body": item.body, "conversation": item.conversation, "message_id": item.message_id,
               "message_id_derived": item.message_id_derived, "folder": item.folder, "filetype": item.filetype,
               "platform": item.platform, "seq": item.seq, "identity": item.identity, "meta": dict(item.meta), "original": {"sha256": item.sha256, "path": str(original), "locator": item.locator,
                                                     "present": original.exists()},
               "family": {"parent": parent.id if parent else None, "children": [{"id": c.id, "title": c.subject} for c in children],
                          "conversation_items": len(conversation)}}
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2, default=str))
        return
    out = [f"Item        {item.id} ({item.kind})", f"Bron        {item.source}  (beheerder: {item.custodian})",
           f"Datum       {local_short(item.sent)}", f"Van         {item.sender}"]
    if item.recipients:
        out.append(f"Aan         {', '.join(item.recipients)}")
    if item.cc:
        out.append(f"CC          {', '.join(item.cc)}")
    out += [f"Onderwerp   {item.subject}", f"Origineel   {original}  (sha256 {item.sha256}{', ' + item.locator if item.locator else ''})"]
    if parent:
        out.append(f"Hoort bij   {parent.id}  {parent.subject}")
    for c in children:
        out.append(f"Bijlage     {c.id}  {c.subject}")
    if conversation:
        out.append(f"Gesprek     {item.conversation} ({len(conversation)} berichten)")
    out = [printable(line) for line in out] + ["", printable(item.body, lines=True)]
    click.echo("\n".join(out))
    sys.stdout.flush()

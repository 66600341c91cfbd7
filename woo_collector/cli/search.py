"""woo search, woo show."""

from __future__ import annotations

import json
import sys

import click

from woo_collector.cli import cli
from woo_collector.cli.common import AppContext, emit, format_option, handle_errors, local_iso, local_short, option, parse_day, pass_app
from woo_collector.dates import day_bounds
from woo_collector.i18n import _, column, ngettext
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
        raise click.BadParameter(_("the period ends ({last}) before it starts ({first})").format(last=last, first=first), param_hint="--to")
    lo, hi = day_bounds(first, last)
    try:
        total, hits = ws.index.search(" ".join(query), limit=limit, texts=ws.catalog.get_bodies, date_from=lo, date_to=hi,
                                      sources=sources, custodians=custodians, kinds=kinds)
    except SearchError as e:
        raise click.ClickException(_('{error}. Quote phrases with "..." and write fields as field:value.').format(error=e)) from e
    rows = [{"id": h.id, "kind": h.kind, "source": h.source, "custodian": h.custodian, "date": local_iso(h.date),
             "title": h.title, "sender": h.sender, "snippet": h.snippet, "score": round(h.score, 3)} for h in hits]
    if fmt == "table":
        if rows:
            click.echo(_table_line(column("id"), column("date"), column("kind"), column("sender"), column("custodian"), column("title")))
        for r, h in zip(rows, hits):
            click.echo(_table_line(r["id"], local_short(h.date), r["kind"], _name(r["sender"]), r["custodian"], r["title"]))
            if r["snippet"]:
                click.echo(f"    {printable(r['snippet'][:160])}")
        if total > len(hits):
            click.echo(ngettext("{total} hit, {shown} shown", "{total} hits, {shown} shown", total).format(total=total, shown=len(hits)),
                       err=True)
        else:
            click.echo(ngettext("{total} hit", "{total} hits", total).format(total=total), err=True)
        return
    emit(rows, ["id", "kind", "source", "custodian", "date", "title", "sender", "snippet", "score"], fmt)
    click.echo(ngettext("{total} hit", "{total} hits", total).format(total=total), err=True)


_WIDTHS = (24, 16, 10, 24, 20, 60)  # id, date, kind, sender, custodian, title


def _table_line(*cells: str) -> str:
    """One row of the search table: each cell escaped (``printable``), cut and padded to its column."""
    shown = [printable(" ".join(c.split()))[:w].ljust(w) for c, w in zip(cells, _WIDTHS)]
    return "  ".join(shown).rstrip()


def _name(sender: str) -> str:
    """The name of ``Name <address>``; the sender as it is when it has no name (an address, a phone number)."""
    name, sep, _address = sender.partition("<")
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
        raise click.ClickException(_("no item {id}; ids are the first column of 'woo search'").format(id=item_id))
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

    def row(label: str, value: str) -> str:
        return f"{label:<11} {value}"

    out = [row(_("Item"), f"{item.id} ({item.kind})"),
           row(_("Source"), _("{source}  (custodian: {custodian})").format(source=item.source, custodian=item.custodian)),
           row(_("Date"), local_short(item.sent)), row(_("From"), item.sender)]
    if item.recipients:
        out.append(row(_("To"), ", ".join(item.recipients)))
    if item.cc:
        out.append(row(_("CC"), ", ".join(item.cc)))
    out += [row(_("Subject"), item.subject),
            row(_("Original"), f"{original}  (sha256 {item.sha256}{', ' + item.locator if item.locator else ''})")]
    if parent:
        out.append(row(_("Part of"), f"{parent.id}  {parent.subject}"))
    for c in children:
        out.append(row(_("Attachment"), f"{c.id}  {c.subject}"))
    if conversation:
        out.append(row(_("Conversation"), ngettext("{conversation} ({n} message)", "{conversation} ({n} messages)",
                                                    len(conversation)).format(conversation=item.conversation, n=len(conversation))))
    out = [printable(line) for line in out] + ["", printable(item.body, lines=True)]
    click.echo("\n".join(out))
    sys.stdout.flush()

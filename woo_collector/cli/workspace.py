"""woo init, doctor, reindex, runs, failures, audit."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from woo_collector.cli import cli
from woo_collector.cli.common import AppContext, emit, format_option, handle_errors, option, pass_app
from woo_collector.i18n import N_, _, ngettext
from woo_collector.settings import ENGINES
from woo_collector.text import printable


@cli.command()
@click.argument("directory", required=False, type=click.Path(path_type=Path))
@option("--organisation", envvar="WOO_ORGANISATION", show_envvar=True,
              help="Name of the public body, e.g. 'Gemeente Utrecht': it goes into every letter and "
              "inventory. Asked for on a terminal when left out; required otherwise.")
@option("--engine", type=click.Choice(ENGINES), help="Search engine of the index: whoosh (default) or tantivy "
              "(for large archives, hundreds of thousands of items and more).")
@pass_app
@handle_errors
def init(app: AppContext, directory: Path | None, organisation: str | None, engine: str | None) -> None:
    """Create a workspace (owner-only permissions); an existing one is left as it is.

    Example: woo init /srv/woo --organisation "Gemeente Utrecht" --engine tantivy
    """
    from woo_collector.workspace import CONFIG, Workspace

    root = directory or app.root
    if not (root / CONFIG).exists():
        organisation = _organisation(organisation)
    ws, created = Workspace.init(root, organisation, engine)
    if created:
        click.echo(_("Workspace created at {path}").format(path=root.resolve()))
        click.echo(_("Next: woo source add NAME --type TYPE --path PATH --custodian NAME, or woo import PATH --custodian NAME"))
    else:
        click.echo(_("A workspace already exists at {path}; nothing was changed.").format(path=root.resolve()))
    ws.close()


def _organisation(given: str | None) -> str:
    """The public body's name for a new workspace: given, asked for on a terminal, or refused."""
    if given is None and sys.stdin.isatty():
        given = click.prompt(_("Name of the public body (it goes into every letter and inventory), e.g. Gemeente Utrecht"))
    if not (given or "").strip():
        raise click.ClickException(_('woo init needs the name of the public body: give --organisation NAME (or set '
                                     'WOO_ORGANISATION), e.g. --organisation "Gemeente Utrecht"'))
    return given.strip()


DOCTOR_FACTS = (N_("workspace"), N_("catalog schema"), N_("items"), N_("originals"), N_("index engine"), N_("indexed documents"), N_("advice"),
                N_("runs still marked running"), N_("open failures"), N_("redaction layers"), N_("export folders"),
                N_("audit rows"), N_("audit rows not yet anchored"))  # the facts woo_collector.doctor.check reports


@cli.command()
@option("--quick", is_flag=True, help="Check that originals exist without re-hashing them.")
@format_option(("table", "json"))
@pass_app
@handle_errors
def doctor(app: AppContext, quick: bool, fmt: str) -> None:
    """Check the workspace: originals and hashes, catalog and index in step, sources, permissions.

    Example: woo doctor
    """
    from woo_collector.doctor import check

    problems, facts = check(app.ws, quick=quick, progress=not app.quiet)
    if fmt == "json":
        click.echo(json.dumps({"ok": not problems, "problems": problems, "facts": facts}, ensure_ascii=False, indent=2))
    else:
        for k, v in facts.items():
            click.echo(f"{_(k)}: {v}")  # the names of DOCTOR_FACTS in the user's language
        if problems:
            click.echo("")
            for p in problems:
                click.echo(_("PROBLEM: {problem}").format(problem=printable(p, lines=True)))
        else:
            click.echo("\n" + _("All clean."))
    if problems:
        sys.exit(1)


@cli.command()
@option("--engine", type=click.Choice(ENGINES), help="Switch the workspace to this search engine "
              "(whoosh or tantivy) and build its index; the query language stays the same.")
@pass_app
@handle_errors
def reindex(app: AppContext, engine: str | None) -> None:
    """Rebuild the search index from the catalog (the index is derived data); --engine switches engine.

    Example: woo reindex --engine tantivy
    """
    from woo_collector.ingest import reindex as rebuild

    before = app.ws.settings.engine
    n = rebuild(app.ws, quiet=app.quiet, engine=engine)
    now = app.ws.settings.engine
    if now != before:
        click.echo(ngettext("Index rebuilt: {n} item ({engine}, was {before}).", "Index rebuilt: {n} items ({engine}, was {before}).",
                            n).format(n=n, engine=now, before=before))
    else:
        click.echo(ngettext("Index rebuilt: {n} item ({engine}).", "Index rebuilt: {n} items ({engine}).", n).format(n=n, engine=now))


@cli.command()
@click.argument("source", required=False)
@option("--limit", default=30, show_default=True, help="How many runs to show.")
@format_option()
@pass_app
@handle_errors
def runs(app: AppContext, source: str | None, limit: int, fmt: str) -> None:
    """The ingest and import runs, newest first, with counts and duration.

    Example: woo runs mailbox-sanne --format json
    """
    rows = [{"run": r.id, "source": r.source, "kind": r.kind, "started": r.started, "status": r.status,
             "new": r.new, "changed": r.changed, "unchanged": r.unchanged, "failed": r.failed, "deleted": r.deleted,
             "seconds": round(r.seconds, 1), "message": r.message}
            for r in app.ws.catalog.runs(source, limit)]
    emit(rows, ["run", "source", "kind", "started", "status", "new", "changed", "unchanged", "failed", "seconds", "message"], fmt, times=["started"])


@cli.command()
@click.argument("source", required=False)
@option("--dismiss", type=int, metavar="ID", help="Mark failure ID as handled (it stops being listed).")
@option("--note", default="afgehandeld", help="Why it is dismissed (with --dismiss).")
@format_option()
@pass_app
@handle_errors
def failures(app: AppContext, source: str | None, dismiss: int | None, note: str, fmt: str) -> None:
    """Items that could not be read: kept in the store, retried by every run until they succeed.

    Example: woo failures --dismiss 12 --note "leeg bestand, door IT bevestigd"
    """
    from woo_collector.ingest import dismiss_failure

    ws = app.ws
    if dismiss is not None:
        if not dismiss_failure(ws, dismiss, note):
            raise click.ClickException(_("no open failure with id {id}; see 'woo failures'").format(id=dismiss))
        click.echo(_("Failure {id} dismissed.").format(id=dismiss))
        return
    rows = ws.catalog.open_failures(source)
    emit(rows, ["id", "source", "path", "locator", "reason", "attempts", "last_seen", "sha256"], fmt, times=["last_seen"])


@cli.command()
@click.argument("request", required=False)
@format_option()
@pass_app
@handle_errors
def audit(app: AppContext, request: str | None, fmt: str) -> None:
    """The audit log (append-only, hash-chained, sealed outside the catalog): who did what, when; breaks are shown.

    Example: woo audit WOO-2025-014
    """
    verdict = app.ws.catalog.audit_check()
    rows = [r for r in verdict.rows if not request or r["request"] == request]
    for r in rows:  # the values as they are in JSON and CSV; the table shows them in the user's language
        r["check"] = "ok" if r["intact"] else "BROKEN"
        if fmt == "table":
            r["check"] = _("ok") if r["intact"] else _("BROKEN")
    emit(rows, ["id", "ts", "user", "action", "request", "args", "outcome", "check", "why"], fmt, times=["ts"])
    if not verdict.ok:
        click.echo(_("The audit log has been altered (BROKEN); run 'woo doctor' for what to do:"), err=True)
        for p in verdict.problems:
            click.echo(_("BROKEN: {problem}").format(problem=p), err=True)
        sys.exit(1)

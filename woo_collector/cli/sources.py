"""woo source add/list, woo ingest, woo import."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from woo_collector.cli import EXIT_FAIL, cli
from woo_collector.cli.common import AppContext, emit, format_option, handle_errors, option, pass_app
from woo_collector.dates import show_time
from woo_collector.errors import ConfigError, LockHeld
from woo_collector.i18n import _, ngettext
from woo_collector.registry import types_help
from woo_collector.text import printable


@cli.group()
def source() -> None:
    """Recurring sources: mailboxes, export folders."""


@source.command("add")
@click.argument("name")
@option("--type", "type_", required=True, help="Connector: {types}.", help_values={"types": types_help()})
@option("--path", type=click.Path(path_type=Path), help="File or folder to read (file connectors).")
@option("--custodian", default="", help="Whose data this is (the official or the shared mailbox).")
@option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="A connector setting; secrets only as KEY_env=VARIABLE.")
@pass_app
@handle_errors
def source_add(app: AppContext, name: str, type_: str, path: Path | None, custodian: str, settings: tuple[str, ...]) -> None:
    """Register a source that `woo ingest` pulls every night.

    The settings are checked against what the connector declares (its module docstring lists them):
    unknown keys, missing required ones and bad values are refused, and nothing is written.

    Example: woo source add mailbox-sanne --type maildir --path /srv/mail/sanne --custodian "Sanne de Vries"
    """
    from woo_collector import registry
    from woo_collector.ingest import add_source
    from woo_collector.models import SourceSpec

    ws = app.ws
    cls = registry.get(type_)
    if name in ws.sources():
        raise ConfigError(_("a source named {name!r} exists already; choose another name or edit woo.toml").format(name=name))
    kv = parse_set(settings)
    if not cls.network and not path:
        raise ConfigError(_("a {type} source reads files: give --path").format(type=type_))
    spec = SourceSpec(name=name, type=type_, path=str(path.resolve()) if path else "", custodian=custodian, settings=kv)
    cls.check_settings(spec)  # refuses (ConfigError) what can never run; nothing is written then
    add_source(ws, spec)
    click.echo(_("Source {name} ({type}) added. Run: woo ingest {name}").format(name=name, type=type_))


def parse_set(settings: tuple[str, ...]) -> dict[str, str]:
    """The ``--set KEY=VALUE`` options as a dict (the connector checks the keys and values)."""
    kv = {}
    for s in settings:
        if "=" not in s:
            raise ConfigError(_("--set takes KEY=VALUE (one was given without '='; it is not shown, it may be a secret)"))
        k, v = s.split("=", 1)
        kv[k.strip()] = v.strip()
    return kv


@source.command("list")
@format_option()
@pass_app
@handle_errors
def source_list(app: AppContext, fmt: str) -> None:
    """The sources with their last run, item counts, open failures and sync state.

    Example: woo source list --format json
    """
    ws = app.ws
    stats = ws.catalog.source_stats()
    rows = []
    names = list(ws.sources()) + sorted(n for n in stats if n not in ws.sources())
    for name in names:
        spec = ws.sources().get(name)
        st = stats.get(name, {})
        last = st.get("last_run") or {}
        custodian = spec.custodian if spec else ", ".join(st.get("custodians", []))  # an import: whose items it holds
        rows.append({"name": name, "type": spec.type if spec else "import", "custodian": custodian,
                     "path": spec.path if spec else "", "items": st.get("items", 0),
                     "last_run": last.get("started", ""), "status": last.get("status") or (_("never run") if fmt == "table" else "never run"),
                     "open_failures": st.get("open_failures", 0), "sync_keys": st.get("sync_keys", 0)})
    emit(rows, ["name", "type", "custodian", "items", "last_run", "status", "open_failures", "sync_keys", "path"], fmt, times=["last_run"])


def _summary(report) -> str:
    line = _("{source}: {status}, {new} new, {changed} changed, {unchanged} unchanged, {failed} failed, {deleted} deleted "
             "({seconds:.1f} s)").format(source=report.source, status=report.status, new=report.new, changed=report.changed,
                                         unchanged=report.unchanged, failed=report.failed, deleted=report.deleted,
                                         seconds=report.seconds)
    if report.message:
        line += f" - {report.message}"
    return printable(line)


@cli.command()
@click.argument("names", nargs=-1)
@pass_app
@handle_errors
def ingest(app: AppContext, names: tuple[str, ...]) -> None:
    """Pull every source (or the named ones): new and changed items only. Safe from cron.

    Exit codes: 0 all taken in; 3 some items could not be read (kept, listed in 'woo runs' and
    'woo failures', retried next run); 1 nothing could run (lock held, bad settings, unreachable).

    Example: woo ingest            (in cron: 15 2 * * * woo -w /srv/woo ingest)
    """
    from woo_collector.ingest import ingest_sources

    def started(result) -> None:
        _took_over(result)
        if result.mended:
            click.echo(ngettext("mended the index: {n} item from an interrupted run",
                                "mended the index: {n} items from an interrupted run", result.mended).format(n=result.mended), err=True)

    try:
        result = ingest_sources(app.ws, names, quiet=app.quiet, on_start=started, on_report=_report)
    except LockHeld as e:
        click.echo(_("Error: {message}").format(message=printable(e)), err=True)
        sys.exit(EXIT_FAIL)
    sys.exit(result.exit_code)


def _report(report) -> None:
    """The one-line summary, then what could not be read (kept, listed by 'woo failures')."""
    click.echo(_summary(report), err=True)
    for note in report.notes[:5]:
        click.echo("  " + _("note: {note}").format(note=printable(note)), err=True)
    if len(report.notes) > 5:
        more = len(report.notes) - 5
        click.echo("  " + ngettext("... and {n} more note", "... and {n} more notes", more).format(n=more), err=True)
    for f in report.failures[:20]:
        click.echo("  " + _("could not read: {what}").format(what=printable(f)), err=True)
    if len(report.failures) > 20:
        more = len(report.failures) - 20
        click.echo("  " + ngettext("... and {n} more: see 'woo failures'", "... and {n} more: see 'woo failures'", more).format(n=more),
                   err=True)


def _took_over(result) -> None:
    if result.took_over:
        click.echo(_("note: took over the lock of an earlier run that is no longer running (pid {pid}, started {started})").format(
            pid=result.took_over.get("pid"), started=show_time(result.took_over.get("started"), "?")), err=True)


@cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@option("--type", "type_", help="Connector ({types}); left out, the format is recognised from the content "
              "(in a folder, file by file).", help_values={"types": types_help()})
@option("--custodian", required=True, help="Whose data this is, e.g. the official who handed in the export.")
@option("--source", "source_name", help="Source name to file it under (default: import:<custodian>:<file name>; "
              "a folder of several formats: one source per format, <name>:<type>).")
@option("--set", "settings", multiple=True, metavar="KEY=VALUE",
        help="A connector setting for this import, as on 'woo source add' (e.g. the chattable columns: "
        "--set text_column=Bericht); secrets only as KEY_env=VARIABLE.")
@pass_app
@handle_errors
def import_(app: AppContext, path: Path, type_: str | None, custodian: str, source_name: str | None,
            settings: tuple[str, ...]) -> None:
    """A one-off upload: a WhatsApp export, a PST from IT, a folder of .msg. Twice adds nothing.

    The --set settings are the connector's, checked as for 'woo source add': unknown keys, missing
    required ones and bad values are refused before anything is read.

    Example: woo import "WhatsApp-chat met Team Wind.zip" --custodian "Pieter Jansen"
    """
    from woo_collector import registry
    from woo_collector.ingest import import_path

    if not path.exists():
        raise ConfigError(_("{path} does not exist").format(path=path))
    kv = parse_set(settings)
    ws = app.ws
    parts = None
    if not type_:
        parts = registry.plan(path)
        click.echo(_recognised(path, parts), err=True)
    try:
        result = import_path(ws, path, type_, custodian, source_name, quiet=app.quiet, on_start=_took_over, parts=parts,
                             settings=kv)
    except LockHeld as e:
        click.echo(_("Error: {message}").format(message=printable(e)), err=True)
        sys.exit(EXIT_FAIL)
    for report in result.reports:
        _report(report)
    if path.is_dir() and next(registry.walk_files(path), None) is None:  # the connectors' walk: hidden files and links skipped
        click.echo(_("Nothing to import: the folder {path} holds no files (hidden files are skipped).").format(path=printable(path)),
                   err=True)
    sys.exit(result.exit_code)


def _recognised(path: Path, parts) -> str:
    """'recognised X as whatsapp', or for a folder read file by file 'recognised 3 files as eml, 1 as files'."""
    if len(parts) == 1 and parts[0].files is None:
        return _("recognised {name} as {type}").format(name=printable(path.name), type=parts[0].type)
    counts = [(len(p.files or ()), p.type) for p in parts]
    text = ", ".join(ngettext("{n} file as {type}", "{n} files as {type}", n).format(n=n, type=t) if i == 0
                     else _("{n} as {type}").format(n=n, type=t) for i, (n, t) in enumerate(counts))
    unreadable = sum(len(p.unreadable) for p in parts)
    if unreadable:
        text += " " + _("({n} could not be read)").format(n=unreadable)
    return _("recognised {what}").format(what=text)

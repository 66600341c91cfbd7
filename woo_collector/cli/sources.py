"""woo source add/list, woo ingest, woo import."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from woo_collector.cli import EXIT_FAIL, EXIT_PARTIAL, cli
from woo_collector.cli.common import AppContext, emit, format_option, handle_errors, pass_app
from woo_collector.errors import ConfigError, LockHeld


@cli.group()
def source() -> None:
    """Recurring sources: mailboxes, export folders."""


@source.command("add")
@click.argument("name")
@click.option("--type", "type_", required=True, help="Connector: exchange, graph, imap, eml, mbox, maildir, msg, pst, teams, whatsapp, sms, signal, telegram, files.")
@click.option("--path", type=click.Path(path_type=Path), help="File or folder to read (file connectors).")
@click.option("--custodian", default="", help="Whose data this is (the official or the shared mailbox).")
@click.option("--set", "settings", multiple=True, metavar="KEY=VALUE", help="A connector setting; secrets only as KEY_env=VARIABLE.")
@pass_app
@handle_errors
def source_add(app: AppContext, name: str, type_: str, path: Path | None, custodian: str, settings: tuple[str, ...]) -> None:
    """Register a source that `woo ingest` pulls every night.

    The settings are checked against what the connector declares (its module docstring lists them):
    unknown keys, missing required ones and bad values are refused, and nothing is written.

    Example: woo source add mailbox-sanne --type maildir --path /srv/mail/sanne --custodian "Sanne de Vries"
    """
    import connectors
    from woo_collector.models import SourceSpec

    ws = app.ws
    cls = connectors.get(type_)
    if name in ws.sources():
        raise ConfigError(f"a source named {name!r} exists already; choose another name or edit woo.toml")
    kv = {}
    for s in settings:
        if "=" not in s:
            raise ConfigError(f"--set {s!r}: write KEY=VALUE")
        k, v = s.split("=", 1)
        kv[k.strip()] = v.strip()
    if not cls.network and not path:
        raise ConfigError(f"a {type_} source reads files: give --path")
    spec = SourceSpec(name=name, type=type_, path=str(path.resolve()) if path else "", custodian=custodian, settings=kv)
    cls.check_settings(spec)  # refuses (ConfigError) what can never run; nothing is written then
    ws.add_source(spec)
    ws.audit("source add", {"name": name, "type": type_, "path": spec.path, "custodian": custodian, "settings": kv}, "ok")
    click.echo(f"Source {name} ({type_}) added. Run: woo ingest {name}")


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
        rows.append({"name": name, "type": spec.type if spec else "import", "custodian": spec.custodian if spec else "",
                     "path": spec.path if spec else "", "items": st.get("items", 0),
                     "last_run": last.get("started", ""), "status": last.get("status", "never run"),
                     "open_failures": st.get("open_failures", 0), "sync_keys": st.get("sync_keys", 0)})
    emit(rows, ["name", "type", "custodian", "items", "last_run", "status", "open_failures", "sync_keys", "path"], fmt)


def _summary(report) -> str:
    line = (f"{report.source}: {report.status}, {report.new} new, {report.changed} changed, {report.unchanged} unchanged, "
            f"{report.failed} failed, {report.deleted} deleted ({report.seconds:.1f} s)")
    if report.message:
        line += f" - {report.message}"
    return line


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
    from woo_collector.ingest import mend_index, run_source

    ws = app.ws
    sources = ws.sources()
    if names:
        unknown = [n for n in names if n not in sources]
        if unknown:
            raise ConfigError(f"unknown source(s): {', '.join(unknown)}; see 'woo source list'")
        selected = [sources[n] for n in names]
    else:
        selected = list(sources.values())
    if not selected:
        raise ConfigError("no sources registered; add one with 'woo source add' or use 'woo import'")
    try:
        lock = ws.lock("woo ingest").acquire()
    except LockHeld as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(EXIT_FAIL)
    try:
        _took_over(lock)
        ws.catalog.mark_interrupted_runs()
        mended = mend_index(ws)
        if mended:
            click.echo(f"mended the index: {mended} items from an interrupted run", err=True)
        reports = []
        for spec in selected:
            report = run_source(ws, spec, "ingest", quiet=app.quiet)
            reports.append(report)
            _report(report)
        ws.audit("ingest", {"sources": [s.name for s in selected]},
                 "; ".join(f"{r.source}: {r.status} (+{r.new}, {r.failed} failed)" for r in reports))
    finally:
        lock.release()
    sys.exit(_exit_code(reports))


def _report(report) -> None:
    """The one-line summary, then what could not be read (kept, listed by 'woo failures')."""
    click.echo(_summary(report), err=True)
    for f in report.failures[:20]:
        click.echo(f"  could not read: {f}", err=True)
    if len(report.failures) > 20:
        click.echo(f"  ... and {len(report.failures) - 20} more: see 'woo failures'", err=True)


def _took_over(lock) -> None:
    if lock.previous:
        click.echo(f"note: took over the lock of an earlier run that is no longer running "
                   f"(pid {lock.previous.get('pid')}, started {lock.previous.get('started')})", err=True)


def _exit_code(reports) -> int:
    if reports and all(r.status == "error" for r in reports):
        return EXIT_FAIL
    if any(r.status in ("partial", "error") for r in reports):
        return EXIT_PARTIAL
    return 0


@cli.command("import")
@click.argument("path", type=click.Path(path_type=Path))
@click.option("--type", "type_", help="Connector; left out, the format is recognised from the content.")
@click.option("--custodian", required=True, help="Whose data this is, e.g. the official who handed in the export.")
@click.option("--source", "source_name", help="Source name to file it under (default: import:<file name>).")
@pass_app
@handle_errors
def import_(app: AppContext, path: Path, type_: str | None, custodian: str, source_name: str | None) -> None:
    """A one-off upload: a WhatsApp export, a PST from IT, a folder of .msg. Twice adds nothing.

    Example: woo import "WhatsApp-chat met Team Wind.zip" --custodian "Pieter Jansen"
    """
    import connectors
    from woo_collector.models import SourceSpec
    from woo_collector.ingest import mend_index, run_source

    if not path.exists():
        raise ConfigError(f"{path} does not exist")
    ws = app.ws
    if type_:
        connectors.get(type_)
    else:
        type_, _score = connectors.detect(path)
        click.echo(f"recognised {path.name} as {type_}", err=True)
    spec = SourceSpec(name=source_name or f"import:{path.resolve().name}", type=type_, path=str(path.resolve()), custodian=custodian)
    try:
        lock = ws.lock(f"woo import {path.name}").acquire()
    except LockHeld as e:
        click.echo(f"Error: {e}", err=True)
        sys.exit(EXIT_FAIL)
    try:
        _took_over(lock)
        ws.catalog.mark_interrupted_runs()
        mend_index(ws)
        report = run_source(ws, spec, "import", quiet=app.quiet)
        ws.audit("import", {"path": str(path.resolve()), "type": type_, "custodian": custodian, "source": spec.name},
                 f"{report.status}: {report.new} new, {report.failed} failed")
    finally:
        lock.release()
    _report(report)
    sys.exit(_exit_code([report]))

"""What the commands share: the context object, the --format option, output and dates."""

from __future__ import annotations

import csv
import json
import sqlite3
import sys
from dataclasses import dataclass, field
from datetime import date, datetime
from functools import wraps
from pathlib import Path
from typing import Any, Callable, Sequence

import click

from woo_collector.errors import ConfigError, WooError, storage_error

from woo_collector.dates import local, show_time
from woo_collector.i18n import _, column, help_text, use_for_click
from woo_collector.text import printable

use_for_click()  # Click's own strings ("Usage:", "Error: No such option") from the woo catalogue too


class _TranslatedHelp:
    """``help`` in the user's language at the moment it is shown (the msgid is the English text given)."""

    @property
    def help(self) -> str | None:
        return help_text(self._help)

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value


class WooOption(_TranslatedHelp, click.Option):
    """An option whose help text is translated when shown; ``help_values`` fill its ``{...}`` fields after that
    (``help="Connector: {types}."``, ``help_values={"types": ...}``), so the msgid stays one string."""

    def __init__(self, *args: Any, help_values: dict[str, str] | None = None, **kwargs: Any) -> None:
        self.help_values = help_values or {}
        super().__init__(*args, **kwargs)

    @property
    def help(self) -> str | None:
        text = help_text(self._help)
        return text.format(**self.help_values) if text and self.help_values else text

    @help.setter
    def help(self, value: str | None) -> None:
        self._help = value


class WooCommand(_TranslatedHelp, click.Command):
    """A command whose docstring (its help) is translated when shown, and Click's --help option too."""

    def get_help_option(self, ctx: click.Context) -> click.Option | None:
        opt = super().get_help_option(ctx)
        if opt is not None:  # Click makes it once, in the language of that moment
            opt.help = _("Show this message and exit.")
        return opt


class WooGroup(WooCommand, click.Group):
    """A group of commands: its subcommands and subgroups are WooCommand and WooGroup."""

    command_class = WooCommand
    group_class = type


def option(*decls: str, **attrs: Any) -> Callable:
    """``click.option`` with the help translated when shown (WooOption)."""
    attrs.setdefault("cls", WooOption)
    return click.option(*decls, **attrs)


@dataclass
class AppContext:
    root: Path
    quiet: bool = False
    _ws: Any = field(default=None, repr=False)

    @property
    def ws(self):
        """The open workspace (ConfigError with what to do when there is none)."""
        if self._ws is None:
            from woo_collector.workspace import Workspace

            self._ws = Workspace.open(self.root)
        return self._ws

    def close(self) -> None:
        if self._ws is not None:
            self._ws.close()


pass_app = click.make_pass_decorator(AppContext)


def format_option(choices: Sequence[str] = ("table", "json", "csv"), default: str = "table") -> Callable:
    return option("--format", "fmt", type=click.Choice(list(choices)), default=default, show_default=True,
                  help="Output format: a table for people, json or csv for scripts (never translated).")


def handle_errors(fn: Callable) -> Callable:
    """Turn our exceptions into messages that say how to fix things (exit 1)."""

    @wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except WooError as e:
            raise click.ClickException(printable(str(e), lines=True)) from e
        except (OSError, sqlite3.Error) as e:
            app = click.get_current_context().find_object(AppContext)
            storage = storage_error(e, app.root if app else Path("."))
            if storage is None:
                raise
            raise click.ClickException(printable(str(storage), lines=True)) from e

    return wrapper


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise click.BadParameter(_("{value!r} is not a date; write YYYY-MM-DD, e.g. 2025-03-01").format(value=value),
                                 param_hint=option) from None


def local_iso(dt: datetime | None) -> str | None:
    return local(dt).isoformat() if dt else None


def local_short(dt: datetime | None) -> str:
    return show_time(dt, unknown="onbekend")


def emit(rows: list[dict[str, Any]], columns: Sequence[str], fmt: str, *, json_doc: Any = None,
         times: Sequence[str] = ()) -> None:
    """Print rows as a table, JSON (one document) or CSV on stdout.

    The ``times`` columns hold stored timestamps (ISO, UTC): the table shows them in local time
    (``dates.show_time``), JSON and CSV keep the stored value for scripts.

    Table and CSV cells are ``printable``: a file name's newline, ESC or bidi override is shown escaped
    (JSON escapes them itself and stays valid JSON).
    """
    if fmt == "json":
        click.echo(json.dumps(rows if json_doc is None else json_doc, ensure_ascii=False, indent=2, default=str))
        return
    if fmt == "csv":
        w = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
        w.writeheader()
        for r in rows:
            w.writerow({c: _cell(r.get(c)) for c in columns})
        return
    if not rows:
        click.echo(_("(nothing)"))
        return
    if times:
        rows = [{**r, **{c: show_time(r.get(c)) for c in times if c in r}} for r in rows]
    heads = {c: column(c) for c in columns}  # the table's header in the user's language; the keys stay
    widths = {c: min(60, max(len(heads[c]), *(len(_cell(r.get(c))) for r in rows))) for c in columns}
    click.echo("  ".join(heads[c].ljust(widths[c]) for c in columns))
    for r in rows:
        click.echo("  ".join(_cell(r.get(c))[:widths[c]].ljust(widths[c]) for c in columns).rstrip())


def _cell(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, (list, tuple)):
        v = "; ".join(map(str, v))
    return " ".join(printable(v).split())  # a newline shows as \n; runs of spaces are one


def require(cond: bool, message: str) -> None:
    if not cond:
        raise ConfigError(message)

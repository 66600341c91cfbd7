"""The ``woo`` command. Commands parse options and call library code; nothing else lives here.

Data goes to stdout, progress and messages to stderr, so ``--format json`` stays clean.
Exit codes: 0 done; 1 could not run (with what to do); 2 wrong usage; 3 finished but some items
could not be read (kept and listed); 4 a package would leak redacted text (removed).
"""

from __future__ import annotations

import logging
import os
import sys
from pathlib import Path

import click

from woo_collector import __version__
from woo_collector.cli.common import AppContext, WooGroup, WooOption, option
from woo_collector.i18n import _

EXIT_FAIL, EXIT_PARTIAL, EXIT_LEAK = 1, 3, 4  # 0 done, 2 wrong usage (click)


@click.group(cls=WooGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@option("--workspace", "-w", type=click.Path(path_type=Path), envvar="WOO_HOME", default=None,
              help="Workspace folder (env WOO_HOME; default ./woo-workspace).")
@option("--quiet", "-q", is_flag=True, help="No progress output.")
@click.version_option(__version__, prog_name="woo", cls=WooOption, help="Show the version and exit.")
@click.pass_context
def cli(ctx: click.Context, workspace: Path | None, quiet: bool) -> None:
    """woo-collector: collect mail, chats and files for Woo requests.

    \b
    Example:
      woo init && woo import inbox.mbox --custodian "Sanne de Vries" && woo search windturbine
    """
    old_umask = os.umask(0o077)  # everything woo writes holds personal data: owner-only
    ctx.call_on_close(lambda: os.umask(old_umask))
    _log_to_stderr()
    ctx.obj = AppContext(root=workspace or Path(os.environ.get("WOO_HOME") or "woo-workspace"), quiet=quiet)
    ctx.call_on_close(ctx.obj.close)


class _StderrHandler(logging.Handler):
    """Warnings of the library and the connectors on (the current) stderr, escaped with ``printable``."""

    def emit(self, record: logging.LogRecord) -> None:
        from woo_collector.text import printable

        try:
            text = printable(record.getMessage())  # a file name's newline forges no line
            if record.exc_info:
                text += "\n" + logging.Formatter().formatException(record.exc_info)
            sys.stderr.write(text + "\n")
        except Exception:
            self.handleError(record)


def _log_to_stderr() -> None:
    root = logging.getLogger()
    if not any(isinstance(h, _StderrHandler) for h in root.handlers):
        root.addHandler(_StderrHandler(logging.WARNING))


def main() -> None:
    try:
        cli.main(prog_name="woo", standalone_mode=True)
    except KeyboardInterrupt:
        click.echo(_("interrupted; the next run completes what this one began"), err=True)
        sys.exit(130)


def _register() -> None:
    from woo_collector.cli import demo, policy, requests, review, search, sources, workspace  # noqa: F401  (register commands)


_register()

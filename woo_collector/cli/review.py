"""woo review: the review of one request as a local web page (``woo_collector.review_web``)."""

from __future__ import annotations

import click

from woo_collector.cli import cli
from woo_collector.cli.common import AppContext, handle_errors, option, pass_app
from woo_collector.i18n import _


@cli.command("review")
@click.argument("req_id", metavar="REQ")
@option("--port", type=click.IntRange(0, 65535), default=0, show_default=True, help="Port on 127.0.0.1 (0: a free one).")
@option("--no-browser", is_flag=True, help="Print the address only; do not open a browser.")
@pass_app
@handle_errors
def review(app: AppContext, req_id: str, port: int, no_browser: bool) -> None:
    """Review a request in the browser: documents as they will be published, boxes, decisions.

    Serves this workspace only, on 127.0.0.1, behind a one-off token in the address it prints;
    every change is audited and shows in the next 'woo request export'. Ctrl-C stops it.

    Example: woo review WOO-2025-014 --no-browser
    """
    from exports.render import Redactor
    from woo_collector.requests import refuse_withdrawn
    from woo_collector.review_web import create_app, serve

    refuse_withdrawn(app.ws.catalog.requests.get(req_id), "reviewed")
    web = create_app(app.ws.root, req_id, published=Redactor)

    def ready(url: str) -> None:
        click.echo(_("Reviewing {request} at {url}").format(request=req_id, url=url), err=True)
        click.echo(_("The address holds a one-off token: do not share it. Ctrl-C stops the server."), err=True)
        if not no_browser:
            import webbrowser

            webbrowser.open(url)

    try:
        serve(web, port, ready)
    except OSError as e:
        raise click.ClickException(_("cannot listen on 127.0.0.1:{port} ({error}); choose another --port").format(
            port=port, error=e.strerror or e))
    except KeyboardInterrupt:
        click.echo(_("stopped"), err=True)

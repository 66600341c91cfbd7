"""woo policy keep / redact / list: the redaction policy in woo.toml."""

from __future__ import annotations

import click

from woo_collector import policy as policy_lib
from woo_collector.cli import cli
from woo_collector.cli.common import AppContext, emit, format_option, handle_errors, option, pass_app
from woo_collector.i18n import N_, _, ngettext


@cli.group()
def policy() -> None:
    """The redaction policy: names never redacted, terms always redacted."""


@policy.command("keep")
@click.argument("names", nargs=-1, required=True)
@pass_app
@handle_errors
def policy_keep(app: AppContext, names: tuple[str, ...]) -> None:
    """Names never redacted: public office holders (burgemeester, wethouders), a spokesperson.

    Example: woo policy keep "Jan de Burgemeester" "Fatima el Amrani"
    """
    added, total = policy_lib.keep(app.ws, list(names))
    click.echo(ngettext("{n} name added to the keep list ({total} in all).", "{n} names added to the keep list ({total} in all).",
                        len(added)).format(n=len(added), total=total))


@policy.command("redact")
@click.argument("terms", nargs=-1, required=True)
@option("--ground", default="5.1.2e", show_default=True, help="Woo ground code, e.g. 5.1.2e, 5.1.1d.")
@pass_app
@handle_errors
def policy_redact(app: AppContext, terms: tuple[str, ...], ground: str) -> None:
    """Terms always redacted, with their ground.

    Example: woo policy redact "Wilgenlaan 12" --ground 5.1.2e
    """
    from woo_collector.documents import normalise_ground

    try:
        code = normalise_ground(ground)
    except ValueError as e:
        raise click.BadParameter(str(e), param_hint="--ground") from None
    policy_lib.redact(app.ws, list(terms), code)
    click.echo(ngettext("{n} term will always be redacted under {code}.", "{n} terms will always be redacted under {code}.",
                        len(terms)).format(n=len(terms), code=code))


@policy.command("domain")
@click.argument("domains", nargs=-1, required=True)
@pass_app
@handle_errors
def policy_domain(app: AppContext, domains: tuple[str, ...]) -> None:
    """The organisation's own mail domains: functional mailboxes there (info@, woo@) stay, personal addresses go.

    Example: woo policy domain voorbeeld.nl
    """
    added, have = policy_lib.add_domains(app.ws, list(domains))
    click.echo(ngettext("{n} domain added ({domains}).", "{n} domains added ({domains}).", len(added)).format(
        n=len(added), domains=", ".join(have)))


@policy.command("list")
@format_option()
@pass_app
@handle_errors
def policy_list(app: AppContext, fmt: str) -> None:
    """The policy as it stands.

    Example: woo policy list --format json
    """
    pol = app.ws.config.get("policy", {})
    rule = {"keep": N_("keep"), "redact": N_("redact"), "organisation domain": N_("organisation domain")}
    if fmt == "table":  # the rule in the user's language; CSV and JSON keep the values
        rule = {k: _(v) for k, v in rule.items()}
    rows = [{"rule": rule["keep"], "text": n, "ground": ""} for n in pol.get("keep", [])]
    rows += [{"rule": rule["redact"], "text": t, "ground": g} for t, g in (pol.get("redact") or {}).items()]
    rows += [{"rule": rule["organisation domain"], "text": d, "ground": ""} for d in pol.get("org_domains", [])]
    emit(rows, ["rule", "text", "ground"], fmt, json_doc={"keep": pol.get("keep", []), "redact": pol.get("redact", {}),
                                                          "org_domains": pol.get("org_domains", [])})

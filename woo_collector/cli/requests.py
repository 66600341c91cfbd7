"""woo request create / edit / withdraw / collect / show / list / extend / suspend / review / export / finalise / publish.

Each command parses its options, calls the library function that does the work and writes the
audit row (``woo_collector.requests``, ``requests.collect``, ``requests.review``,
``exports.package``), and prints what it returns.
"""

from __future__ import annotations

import json
import sys
from datetime import date
from pathlib import Path

import click

from woo_collector.cli import EXIT_LEAK, cli
from woo_collector.cli.common import AppContext, emit, format_option, handle_errors, option, parse_day, pass_app
from woo_collector.dates import show_day, show_time
from woo_collector.errors import LeakError
from woo_collector.i18n import N_, _, ngettext
from woo_collector.text import printable


# what 'request edit' reports as changed, and what 'request show' says made the collect out of date (the JSON keeps the keys)
FIELDS = {"subject": N_("subject"), "from": N_("from"), "to": N_("to"), "terms": N_("terms"), "query": N_("query"),
          "received": N_("received"), "deadline": N_("deadline"), "undated": N_("undated"), "period": N_("period"),
          "sources": N_("sources"), "custodians": N_("custodians")}


def field_names(names) -> str:
    return ", ".join(_(FIELDS[n]) if n in FIELDS else n for n in names)


@cli.group()
def request() -> None:
    """Woo requests: search, deduplicate, number, review and export."""


@request.command("create")
@click.argument("req_id", metavar="REQ")
@option("--subject", required=True, help="What the requester asks for, in their words.")
@option("--from", "date_from", required=True, metavar="DATE", help="First day of the period (YYYY-MM-DD).")
@option("--to", "date_to", required=True, metavar="DATE", help="Last day of the period (inclusive).")
@option("--query", help="Whoosh query; without it the terms are taken from the subject.")
@option("--terms-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="Agreed search terms (zoektermen), one term or phrase per line; combined into the query.")
@option("--custodian", "custodians", multiple=True, help="Search only this custodian (repeatable).")
@option("--source", "sources", multiple=True, help="Search only this source (repeatable).")
@option("--received", metavar="DATE", help="Day the request was received (default today): the deadline runs from it.")
@option("--requester", default="", help="Who asked (kept internal, never exported).")
@option("--undated", type=click.Choice(["include", "exclude"]), default=None,
              help="Items that match but have no date: include them, marked 'datum onbekend' (the default), or leave "
                   "them out. Stored on the request; 'request collect' uses it unless given --undated.")
@pass_app
@handle_errors
def request_create(app: AppContext, req_id: str, subject: str, date_from: str, date_to: str, query: str | None,
                   terms_file: Path | None, custodians, sources, received: str | None, requester: str,
                   undated: str | None) -> None:
    """Record a Woo request.

    REQ is its id: letters, digits, '-', '_' and '.', not starting with '.', at most 64 characters
    (what the national Woo platform's ids allow).

    Example: woo request create WOO-2025-014 --subject "windturbines Kraaiennest" --from 2025-03-01 --to 2025-06-30
    """
    from woo_collector.requests import create

    terms = read_terms(terms_file) if terms_file else []
    ws = app.ws
    req = create(ws, req_id, subject, parse_day(date_from, "--from"), parse_day(date_to, "--to"), query=query, terms=terms,
                 custodians=list(custodians), sources=list(sources), received=parse_day(received, "--received"), requester=requester,
                 undated=undated or "")
    click.echo(_("Request {request} recorded; query: {query}; decision due {deadline}.").format(
        request=req_id, query=req.query, deadline=show_day(req.deadline)))
    click.echo(_("Next: woo request collect {request}").format(request=req_id))


def read_terms(path: Path) -> list[str]:
    """The agreed search terms of a terms file: one term or phrase per line; blank lines and '#' lines skipped."""
    return [ln.strip() for ln in path.read_text(encoding="utf-8-sig").splitlines() if ln.strip() and not ln.startswith("#")]


@request.command("edit")
@click.argument("req_id", metavar="REQ")
@option("--subject", help="The subject, corrected.")
@option("--from", "date_from", metavar="DATE", help="First day of the period (YYYY-MM-DD).")
@option("--to", "date_to", metavar="DATE", help="Last day of the period (inclusive).")
@option("--terms-file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The agreed search terms, replacing the earlier ones (one term or phrase per line).")
@option("--query", help="Whoosh query replacing the one the request searches with.")
@option("--received", metavar="DATE", help="Day the request was received: the deadline runs from it.")
@option("--undated", type=click.Choice(["include", "exclude"]), default=None,
              help="What collects do with matching items that have no date (include, marked 'datum onbekend', or exclude).")
@pass_app
@handle_errors
def request_edit(app: AppContext, req_id: str, subject: str | None, date_from: str | None, date_to: str | None,
                 terms_file: Path | None, query: str | None, received: str | None, undated: str | None) -> None:
    """Correct a request: only what is given changes (audited).

    A new period, terms or query after a collect is allowed: the earlier selection is kept as history
    and 'woo request show' says the collect is out of date until 'woo request collect REQ' runs again.

    Example: woo request edit WOO-2025-014 --from 2025-02-01 --received 2025-07-02
    """
    from woo_collector.requests import edit

    req, changes, stale = edit(app.ws, req_id, subject=subject, period_from=parse_day(date_from, "--from"),
                               period_to=parse_day(date_to, "--to"), terms=read_terms(terms_file) if terms_file else None,
                               query=query, received=parse_day(received, "--received"), undated=undated)
    if not changes:
        click.echo(_("Request {request}: nothing changed (the values given are the current ones).").format(request=req_id))
    for field, (old, new) in changes.items():
        click.echo(printable(f"{req_id} {field_names([field])}: {old} -> {new}"))
    if stale:
        click.echo(_("The last collect is out of date ({what} changed); it is kept as history. Next: woo request collect {request}")
                   .format(what=field_names(stale), request=req_id))


@request.command("withdraw")
@click.argument("req_id", metavar="REQ")
@option("--reason", required=True, help="Why (for example: the requester withdrew it by mail of 2025-07-08).")
@pass_app
@handle_errors
def request_withdraw(app: AppContext, req_id: str, reason: str) -> None:
    """The requester withdrew the request: status 'ingetrokken' (audited).

    Its documents, selections and audit rows are kept; collect, review and export refuse it from now
    on. 'woo request list' still lists it, as 'ingetrokken' and never as overdue.

    Example: woo request withdraw WOO-2025-014 --reason "ingetrokken door verzoeker, mail 8 juli"
    """
    from woo_collector.requests import withdraw

    req = withdraw(app.ws, req_id, reason)
    click.echo(printable(_("Request {request} withdrawn on {day} ({reason}); its record is kept.").format(
        request=req_id, day=req.withdrawn, reason=req.withdrawal_reason)))


@request.command("collect")
@click.argument("req_id", metavar="REQ")
@option("--undated", type=click.Choice(["include", "exclude"]), default=None,
              help="Items that match but have no date: include them, marked 'datum onbekend', or leave them out. "
                   "Without it, the request's own choice (request create/edit --undated) holds, else include; a choice "
                   "given here becomes the request's for later collects.")
@format_option(("table", "json"))
@pass_app
@handle_errors
def request_collect(app: AppContext, req_id: str, undated: str | None, fmt: str) -> None:
    """Search, freeze the selection, remove duplicates, group into documents, number them, propose redactions.

    Example: woo request collect WOO-2025-014
    """
    from woo_collector.requests.collect import collect

    res = collect(app.ws, req_id, undated=undated)
    if res.undated:
        click.echo(ngettext("warning: {n} item(s) match the query but have no date, so no period can place them: {handling}",
                            "warning: {n} item(s) match the query but have no date, so no period can place them: {handling}",
                            res.undated).format(
            n=res.undated, handling=_("included, marked 'datum onbekend' (--undated exclude leaves them out)")
            if res.undated_mode == "include" else _("left out (--undated include takes them in)")), err=True)
    for w in res.warnings:
        click.echo(w, err=True)
    if fmt == "json":
        click.echo(json.dumps({"selection": res.selection, "items_hit": res.items_hit, "items_selected": res.items_selected,
                               "documents": res.documents, "duplicates": res.duplicates, "near_duplicates": res.near_duplicates,
                               "redactions": res.redactions, "added": res.added, "dropped": res.dropped, "terms": res.term_hits,
                               "undated": {"items": res.undated, "handling": res.undated_mode},
                               "awaiting_decision": len(res.awaiting_decision),
                               "awaiting_decision_documents": res.awaiting_decision,
                               "layers": res.layers}, ensure_ascii=False, indent=2))
        return
    click.echo(_("{hits} items hit, {selected} with their families; {duplicates} duplicates removed; {documents} documents; "
                 "{near} possible near-duplicates; {redactions} redactions proposed.").format(
        hits=res.items_hit, selected=res.items_selected, duplicates=res.duplicates, documents=res.documents,
        near=res.near_duplicates, redactions=res.redactions))
    click.echo(_("Detection layers that ran: {layers}").format(layers=", ".join(res.layers)))
    if res.awaiting_decision:
        n = len(res.awaiting_decision)
        click.echo(ngettext("{n} chat medium/media without text (photos, videos, voice notes) get no automatic decision: "
                            "'nog te beoordelen' until a handler decides them ({documents}).",
                            "{n} chat medium/media without text (photos, videos, voice notes) get no automatic decision: "
                            "'nog te beoordelen' until a handler decides them ({documents}).", n).format(
            n=n, documents=", ".join(res.awaiting_decision)))
    for t in res.term_hits:
        click.echo("  " + _("term {term!r}: {before} items, {after} documents").format(term=t["term"], before=t["before"], after=t["after"]))
    if res.added or res.dropped:
        click.echo(_("Changed since the last collect: added {added}; dropped {dropped} (numbers of released documents are kept)").format(
            added=", ".join(res.added) or _("none"), dropped=", ".join(res.dropped) or _("none")))
    click.echo(_("Next: woo request review {request} --export beoordeling.xlsx").format(request=req_id))


@request.command("show")
@click.argument("req_id", metavar="REQ")
@format_option()
@pass_app
@handle_errors
def request_show(app: AppContext, req_id: str, fmt: str) -> None:
    """The documents: number, date, type, description, decision, grounds, redaction count.

    Example: woo request show WOO-2025-014 --format json
    """
    from woo_collector.requests import show_doc

    doc = show_doc(app.ws, req_id)
    if fmt == "json":
        click.echo(json.dumps(doc, ensure_ascii=False, indent=2, sort_keys=False))
        return
    if fmt == "table":
        click.echo(printable(_("{request}: {subject} ({first} to {last}); status {status}, decision due {deadline}").format(
            request=doc["id"], subject=doc["subject"], first=doc["period"]["from"], last=doc["period"]["to"], status=doc["status"],
            deadline=doc["deadline"])) + "\n" + _("query: {query}").format(query=printable(doc["query"])))
        if doc["withdrawn"]:
            click.echo(printable(_("withdrawn on {day}: {reason}").format(day=doc["withdrawn"]["on"], reason=doc["withdrawn"]["reason"])))
        if doc["collect_out_of_date"]:
            click.echo(_("collect out of date: {what} changed since the last collect; run 'woo request collect {request}' again").format(
                what=field_names(doc["collect_out_of_date"]), request=doc["id"]))
    rows = [{**d, "date": show_time(d["date"]), "grounds": ";".join(d["grounds"]), "items": len(d["items"])}
            for d in doc["documents"]]
    emit(rows, ["nr", "date", "kind", "title", "decision", "grounds", "redactions", "items", "note"], fmt)


@request.command("list")
@format_option()
@pass_app
@handle_errors
def request_list(app: AppContext, fmt: str) -> None:
    """The requests with status, deadline and days left (overdue in red on a terminal).

    Example: woo request list
    """
    today = date.today()
    rows = [{"id": r.id, "subject": r.subject, "received": r.received.isoformat(), "deadline": r.deadline.isoformat(),
             "days_left": r.days_left(today), "status": r.status, "extended": bool(r.extension_reason)}
            for r in app.ws.catalog.requests.all()]
    if fmt != "table":
        emit(rows, ["id", "subject", "received", "deadline", "days_left", "status", "extended"], fmt)
        return
    if not rows:
        click.echo(_("(no requests)"))
    for r in rows:
        days = ngettext("{n:>4} day", "{n:>4} days", abs(r["days_left"])).format(n=r["days_left"])
        line = printable(_("{request:<16} {status:<14} due {deadline}  {days}  {subject}").format(
            request=r["id"], status=r["status"], deadline=r["deadline"], days=days, subject=r["subject"][:60]))
        click.echo(click.style(line, fg="red") if r["days_left"] < 0 and r["status"] not in ("besloten", "ingetrokken") else line, color=None)


@request.command("extend")
@click.argument("req_id", metavar="REQ")
@option("--reason", required=True, help="Why the decision needs two more weeks (goes in the letter).")
@pass_app
@handle_errors
def request_extend(app: AppContext, req_id: str, reason: str) -> None:
    """Extend the deadline once by two weeks, with a reason.

    Example: woo request extend WOO-2025-014 --reason "omvang en complexiteit"
    """
    from woo_collector.requests import extend

    old, req = extend(app.ws, req_id, reason)
    click.echo(_("Decision now due {deadline} (was {old}).").format(deadline=show_day(req.deadline), old=show_day(old)))


@request.command("suspend")
@click.argument("req_id", metavar="REQ")
@option("--from", "date_from", required=True, metavar="DATE", help="Day the clock stopped (third parties asked for their views).")
@option("--to", "date_to", metavar="DATE", help="Day it runs again; leave out while the views are awaited, give it later.")
@option("--reason", default="zienswijze derde-belanghebbenden", show_default=True, help="Why the clock is suspended.")
@pass_app
@handle_errors
def request_suspend(app: AppContext, req_id: str, date_from: str, date_to: str | None, reason: str) -> None:
    """Suspend the deadline while third parties give their views (zienswijze); run again with --to to end it.

    Example: woo request suspend WOO-2025-014 --from 2025-07-10 --to 2025-07-24
    """
    from woo_collector.requests import suspend

    end = parse_day(date_to, "--to")
    old, req = suspend(app.ws, req_id, parse_day(date_from, "--from"), end, reason)
    if end:
        click.echo(_("Decision now due {deadline} (was {old}).").format(deadline=show_day(req.deadline), old=show_day(old)))
    else:
        click.echo(_("Decision now due {deadline} (was {old}); the clock stays stopped until you give --to.").format(
            deadline=show_day(req.deadline), old=show_day(old)))


@request.command("review")
@click.argument("req_id", metavar="REQ")
@option("--export", "export_path", type=click.Path(dir_okay=False, path_type=Path), help="Write the review workbook.")
@option("--import", "import_path", type=click.Path(exists=True, dir_okay=False, path_type=Path), help="Read the reviewed workbook back.")
@pass_app
@handle_errors
def request_review(app: AppContext, req_id: str, export_path: Path | None, import_path: Path | None) -> None:
    """The assessment round trip in Excel (sheets Documenten and Lakken).

    Example: woo request review WOO-2025-014 --export beoordeling.xlsx   (then --import beoordeling.xlsx)
    """
    from woo_collector.requests.review import ReviewError, export_workbook, import_workbook

    if bool(export_path) == bool(import_path):
        raise click.UsageError(_("give either --export FILE.xlsx or --import FILE.xlsx"))
    ws = app.ws
    if export_path:
        n_docs, n_texts, n_places = export_workbook(ws, req_id, export_path)
        click.echo(_("Wrote {path}: {documents} documents, {texts} redacted texts in {places} places (internal file: it lists the "
                     "texts to redact).").format(path=export_path, documents=n_docs, texts=n_texts, places=n_places))
        return
    try:
        changes = import_workbook(ws, req_id, import_path)
    except ReviewError as e:
        click.echo(str(e), err=True)
        sys.exit(1)
    click.echo(ngettext("Imported {path}: {n} change, recorded in the audit log.", "Imported {path}: {n} changes, each recorded in "
                        "the audit log.", len(changes)).format(path=import_path, n=len(changes)))
    for c in changes:  # every one: a list cut short would hide what changed
        where = (ngettext("Lakken {text!r} ({n} place)", "Lakken {text!r} ({n} places)", c.places).format(text=c.key, n=c.places)
                 if c.places else f"{c.sheet} {c.key}")
        click.echo(f"  {printable(where)}: {c.column} {printable(repr(c.old))} -> {printable(repr(c.new))}")


@request.command("export")
@click.argument("req_id", metavar="REQ")
@option("--out", required=True, type=click.Path(file_okay=False, path_type=Path), help="Folder for the package.")
@option("--pdf", is_flag=True, help="Also a PDF of each bundle (LibreOffice headless, when installed).")
@option("--diwoo", is_flag=True, help="Also a DiWoo metadata sitemap for the Woo-index.")
@option("--zip", "zip_", is_flag=True,
              help="Also a zip of the package (beside it, DIR.zip) and the upload zips for the national Woo platform "
                   "(upload/*-documenten-NN.zip in the package: the documenten/<ID>.pdf files only, at most 4 GB each). "
                   "Refused while a document waits for a handler's decision.")
@option("--replace", is_flag=True,
              help="Replace an earlier package of this request in --out; it is moved aside whole as OUT.vorige-<time>, never deleted.")
@format_option(("table", "json"))
@pass_app
@handle_errors
def request_export(app: AppContext, req_id: str, out: Path, pdf: bool, diwoo: bool, zip_: bool, replace: bool,
                   fmt: str) -> None:
    """Write the disclosure package; if any redacted text is found in it, it is removed (exit 4).

    Chat media without text (photos, videos, voice notes) get no automatic decision: they are in the
    inventory as 'nog te beoordelen' and left out of the bundles until a handler decides them in the
    review workbook; the export says how many are waiting (json: "awaiting_decision").

    Example: woo request export WOO-2025-014 --out pakket/   (again into pakket/: add --replace)
    """
    from exports.package import export

    try:
        result = export(app.ws, req_id, out, pdf=pdf, diwoo=diwoo, zip_=zip_, replace=replace)
    except LeakError as e:
        click.echo(_("Error: {message}").format(message=e), err=True)
        sys.exit(EXIT_LEAK)
    waiting = result.awaiting_decision
    if fmt == "json":
        click.echo(json.dumps({"out": str(out), "files": dict(sorted(result.files.items())), "parts": result.parts,
                               "zip": str(result.zip_path) if result.zip_path else None, "counts": result.counts,
                               "awaiting_decision": len(waiting), "awaiting_decision_documents": waiting,
                               "previous": str(result.previous) if result.previous else None,
                               "warnings": result.warnings}, ensure_ascii=False, indent=2))
        for w in result.warnings:
            click.echo(_("warning: {message}").format(message=w), err=True)
        return
    click.echo(_("Package written to {path}:").format(path=out))
    for f in sorted(result.files):
        click.echo(f"  {f}")
    if result.zip_path:
        click.echo(_("Zip: {path}").format(path=result.zip_path))
    if result.previous:
        click.echo(_("The earlier package was moved to {path} (with any edits and added files in it).").format(path=result.previous))
    if waiting:
        click.echo(ngettext("{n} medium/media waiting for a handler's decision (no automatic decision for a photo, video or voice "
                            "note), left out of the bundles: {documents}. Decide them in the review workbook (woo request review "
                            "{request} --export beoordeling.xlsx) and export again.",
                            "{n} medium/media waiting for a handler's decision (no automatic decision for a photo, video or voice "
                            "note), left out of the bundles: {documents}. Decide them in the review workbook (woo request review "
                            "{request} --export beoordeling.xlsx) and export again.", len(waiting)).format(
            n=len(waiting), documents=", ".join(waiting), request=req_id))
    for w in result.warnings:
        click.echo(_("warning: {message}").format(message=w), err=True)


@request.command("finalise")
@click.argument("req_id", metavar="REQ")
@option("--letter", required=True, type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="The decision letter as the handler edited it (besluit-concept.docx, saved under any name).")
@option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="The package folder (default: the folder the request was exported to).")
@pass_app
@handle_errors
def request_finalise(app: AppContext, req_id: str, letter: Path, out: Path | None) -> None:
    """Turn the edited decision letter into besluit.pdf in the package, checked by the leak guard (exit 4 on a leak).
    Refused (exit 1) while a document waits for a handler's decision (nog te beoordelen), or the package
    was exported while one waited.

    Example: woo request finalise WOO-2025-014 --letter besluit-definitief.docx
    """
    from exports.finalise import finalise

    try:
        done = finalise(app.ws, req_id, letter, out)
    except LeakError as e:
        click.echo(_("Error: {message}").format(message=e), err=True)
        sys.exit(EXIT_LEAK)
    click.echo(ngettext("Wrote {path} ({n} page, sha256 {sha256}); recorded in manifest.json.",
                        "Wrote {path} ({n} pages, sha256 {sha256}); recorded in manifest.json.", done.pages).format(
        path=done.pdf, n=done.pages, sha256=done.sha256))


@request.command("publish")
@click.argument("req_id", metavar="REQ")
@option("--gpp", "url", required=True, metavar="URL",
              help="Base URL of the GPP-Woo publicatiebank (https://publicaties.example.nl); the API key is read from "
                   "the environment variable WOO_GPP_TOKEN (or the one named by --token-env), never from woo.toml.")
@option("--token-env", default="WOO_GPP_TOKEN", show_default=True, metavar="VAR",
              help="The environment variable that holds the publicatiebank's API key.")
@option("--out", type=click.Path(file_okay=False, path_type=Path),
              help="The package folder (default: the folder the request was exported to).")
@pass_app
@handle_errors
def request_publish(app: AppContext, req_id: str, url: str, token_env: str, out: Path | None) -> None:
    """Publish the released documents, the inventory and the letter to GPP-Woo (resumable: run it again after a failure).
    Refused (exit 1) while a document waits for a handler's decision (nog te beoordelen), or the package
    was exported while one waited.

    Example: WOO_GPP_TOKEN=... woo request publish WOO-2025-014 --gpp https://publicaties.example.nl
    """
    from exports.gpp import publish

    try:
        done = publish(app.ws, req_id, url, out=out, token_env=token_env)
    except LeakError as e:
        click.echo(_("Error: {message}").format(message=e), err=True)
        sys.exit(EXIT_LEAK)
    click.echo(_("Publication {publication} (concept): {total} documents; {registered} registered and {parts} part(s) uploaded "
                 "now, {skipped} done by an earlier run.").format(publication=done.publication, total=done.total,
                                                                   registered=done.registered, parts=done.uploaded_parts,
                                                                   skipped=done.skipped))

"""The assessment round trip in Excel: export a workbook, let the handler decide, import it back.

Sheets: ``Verzoek`` (the request, the query and the period), ``Documenten`` (one row per
document; Beoordeling, Beoordelingsgrond and Toelichting are the handler's), ``Lakken`` (one row
per redacted text and ground, with its number of places, a context snippet and the documents it is
in; Grond and Toepassen are the handler's and apply to every place; a handler may add rows: a text,
a ground and, optionally, the documents, else it is boxed wherever it occurs). Import refuses a
workbook of another request in one line, then checks the whole workbook and changes nothing when
any row is wrong, listing every problem of every wrong row.
A chat medium without text reads ``nog te beoordelen`` in Documenten until the handler chooses a
decision for it.

The workbook lists the very texts proposed for redaction: it is an internal working file, written
with owner-only permissions and never part of a package.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from woo_collector.dates import local
from woo_collector.documents import DECISIONS, GROUNDS, PENDING, normalise_ground
from woo_collector.errors import ConfigError, WooError
from woo_collector.requests import refuse_withdrawn
from woo_collector.workspace import Workspace

DOC_COLUMNS = ["Nr", "Datum", "Type", "Omschrijving", "Van", "Aan", "Bron", "Familie", "Thread ID",
               "Beoordeling", "Beoordelingsgrond", "Toelichting", "Opmerkingen"]
DOC_OPTIONAL = {"Opmerkingen"}  # read-only and internal; a workbook exported before it existed still imports
DOC_EDITABLE = {"Beoordeling", "Beoordelingsgrond", "Toelichting"}
RED_COLUMNS = ["Tekst", "Categorie", "Grond", "Plaatsen", "Context", "Documenten", "Toepassen", "Sleutel"]
RED_EDITABLE = {"Grond", "Toepassen"}
# Excel number formats of the date cells: Dutch day-month-year (Excel shows dd-mm-jjjj in a Dutch locale)
DAY_FORMAT = "dd-mm-yyyy"
TIME_FORMAT = "dd-mm-yyyy hh:mm"
MIXED = "gemengd"  # Toepassen of a text accepted in some places and not in others: left as it is unless changed
CONTEXT = 40  # characters either side of the first place in the Context snippet
CELL_MAX = 30000  # Excel holds 32,767 characters a cell


class ReviewError(WooError):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__(f"the workbook was not imported: {len(problems)} problem(s); nothing was changed:\n  "
                         + "\n  ".join(problems))


def _doc_rows(ws: Workspace, req_id: str, docs=None) -> list[dict[str, str]]:
    from woo_collector.requests import load_documents

    rows = []
    for d in (docs if docs is not None else load_documents(ws, req_id)):
        first = d.items[0] if d.items else None
        if d.kind == "chat":
            van = ", ".join(sorted({i.sender for i in d.items if i.sender}))
            aan = ""
        else:
            van = first.sender if first else ""
            aan = ", ".join(first.recipients) if first else ""
        rows.append({"Nr": d.nr, "Datum": _excel_time(d.date) or "",
                     "Type": d.filetype, "Omschrijving": d.title, "Van": van, "Aan": aan, "Bron": "; ".join(d.places),
                     "Familie": d.family, "Thread ID": d.thread, "Beoordeling": d.decision,
                     "Beoordelingsgrond": "; ".join(d.grounds), "Toelichting": d.note,
                     "Opmerkingen": d.remarks})
    return rows


def _excel_time(dt):
    """A document's date as an Excel date cell: local wall-clock time to the minute (Excel cells carry no zone)."""
    return local(dt).replace(tzinfo=None, second=0, microsecond=0) if dt else None


def _read_day(value) -> str:
    """A Datum to compare, to the minute: a date cell reads back as '2025-03-11 09:14:00', a text
    cell of an older workbook as '2025-03-11 09:14'."""
    from datetime import datetime

    v = str(value).strip()
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"):
        try:
            return datetime.strptime(v, fmt).strftime("%Y-%m-%d %H:%M")
        except ValueError:
            continue
    return v


def _red_groups(ws: Workspace, req_id: str, docs=None) -> dict[str, dict]:
    """One row per redacted text (case and white space aside) and ground: its places, context and documents."""
    from woo_collector.models import stable_id
    from woo_collector.requests import load_documents
    from woo_collector.requests.decide import fold
    from woo_collector.requests.redact import field_text

    groups: dict[str, dict] = {}
    for r in ws.catalog.requests.redactions(req_id):
        key = stable_id(req_id, "tekst", fold(r["text"]), r["ground"])
        g = groups.get(key)
        if g is None:
            g = groups[key] = {"Tekst": r["text"], "categories": {}, "Grond": r["ground"], "reds": [], "docs": {}, "Sleutel": key}
        g["reds"].append(r)
        g["categories"][r["category"]] = g["categories"].get(r["category"], 0) + 1
        g["docs"][r["nr"]] = None
    items = {i.id: i for d in (docs if docs is not None else load_documents(ws, req_id)) for i in d.items}
    for g in groups.values():
        first = g["reds"][0]
        applies = {bool(r["apply"]) for r in g["reds"]}
        g["Toepassen"] = MIXED if len(applies) > 1 else ("ja" if applies.pop() else "nee")
        g["Categorie"] = "; ".join(sorted(g["categories"], key=lambda c: -g["categories"][c]))
        g["Plaatsen"] = len(g["reds"])
        item = items.get(first["item_id"])
        text = field_text(item, first["field"]) if item else ""
        a, b = max(0, first["start"] - CONTEXT), min(len(text), first["end"] + CONTEXT)
        g["Context"] = ("…" if a else "") + " ".join(text[a:b].split()) + ("…" if b < len(text) else "")
        g["Documenten"] = _joined(list(g["docs"]))
    return groups


def _joined(nrs: list[str]) -> str:
    """Document numbers for one cell; where they do not fit, it says how many more there are."""
    out = ", ".join(nrs)
    if len(out) <= CELL_MAX:
        return out
    shown = out[:CELL_MAX].rsplit(", ", 1)[0]
    n = shown.count(", ") + 1
    return f"{shown} … and {len(nrs) - n} more"


def _red_rows(ws: Workspace, req_id: str, docs=None) -> list[dict]:
    return list(_red_groups(ws, req_id, docs).values())


def export_workbook(ws: Workspace, req_id: str, path: Path) -> tuple[int, int, int]:
    """Write the review workbook (audited); returns (documents, redacted texts, places boxed or proposed)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    repo = ws.catalog.requests
    req = repo.get(req_id)
    refuse_withdrawn(req, "reviewed")
    from woo_collector.requests import load_documents

    documents = load_documents(ws, req_id)
    docs, reds = _doc_rows(ws, req_id, documents), _red_rows(ws, req_id, documents)
    wb = Workbook()
    cover = wb.active
    cover.title = "Verzoek"
    for k, v in [("Verzoek", req.id), ("Onderwerp", req.subject), ("Zoekvraag", req.query),
                 ("Periode van", req.period_from), ("Periode tot en met", req.period_to), ("Ontvangen", req.received),
                 ("Beslistermijn", req.deadline), ("Documenten", len(docs)), ("Gelakte teksten", len(reds)),
                 ("Voorgestelde lakkingen", sum(r["Plaatsen"] for r in reds)),
                 ("Let op", "Intern werkbestand: bevat de te lakken teksten. Niet verspreiden of publiceren."),
                 ("Invullen", "Documenten: kolommen Beoordeling, Beoordelingsgrond (codes gescheiden door ;) en Toelichting "
                              "(openbaar: komt in de inventarislijst; Opmerkingen zijn intern en blijven hier). "
                              "Lakken (een rij per tekst, voor al zijn plaatsen): kolommen Grond en Toepassen (ja/nee). "
                              "Een nieuwe rij: Tekst, Grond, Toepassen en eventueel Documenten (nummers gescheiden door ,; "
                              "leeg: overal in het verzoek); Sleutel leeg laten. Andere kolommen niet wijzigen."),
                 ("Nog te beoordelen", f"{sum(1 for d in docs if d['Beoordeling'] == PENDING)} media uit chats (foto's, video's, "
                                       "spraakberichten) zonder tekst: geen automatische beoordeling. Ze blijven buiten het pakket "
                                       "tot u in Beoordeling een keuze maakt.")]:
        cover.append([k, v])
    cover.column_dimensions["A"].width = 24
    cover.column_dimensions["B"].width = 100
    for c in cover["A"]:
        c.font = Font(bold=True)
    for c in cover["B"]:
        if isinstance(c.value, date):
            c.number_format = DAY_FORMAT
            c.alignment = Alignment(horizontal="left")
    lists = wb.create_sheet("Lijsten")
    for n, code in enumerate(GROUNDS, 1):
        lists.cell(n, 1, code)
        lists.cell(n, 2, GROUNDS[code])
    lists.sheet_state = "hidden"
    editable_fill = PatternFill("solid", fgColor="FFF2CC")

    def sheet(title: str, columns: list[str], rows: list[dict], editable: set[str], widths: dict[str, int]):
        sh = wb.create_sheet(title)
        sh.append(columns)
        for r in rows:
            sh.append([r[c] for c in columns])
        for c in sh[1]:
            c.font = Font(bold=True)
        sh.freeze_panes = "A2"
        sh.auto_filter.ref = sh.dimensions
        for i, col in enumerate(columns, 1):
            letter = sh.cell(1, i).column_letter
            sh.column_dimensions[letter].width = widths.get(col, 14)
            if col in editable:
                for cell in sh[letter][1:]:
                    cell.fill = editable_fill
        for row in sh.iter_rows(min_row=2):
            for cell in row:
                cell.alignment = Alignment(vertical="top", wrap_text=(title, cell.column_letter) in (("Documenten", "D"), ("Lakken", "E")))
                cell.number_format = "@"
        return sh

    dsh = sheet("Documenten", DOC_COLUMNS, docs, DOC_EDITABLE,
                {"Nr": 7, "Datum": 17, "Omschrijving": 50, "Van": 30, "Aan": 30, "Bron": 30, "Thread ID": 20,
                 "Beoordeling": 16, "Beoordelingsgrond": 20, "Toelichting": 40, "Opmerkingen": 40})
    datum = DOC_COLUMNS.index("Datum") + 1
    for row in dsh.iter_rows(min_row=2, min_col=datum, max_col=datum):
        for cell in row:
            if cell.value:
                cell.number_format = TIME_FORMAT
    n = max(2, len(docs) + 1)
    dv = DataValidation(type="list", formula1='"' + ",".join(DECISIONS) + '"', allow_blank=False,
                        error="Kies openbaar, deels openbaar, niet openbaar of reeds openbaar.", errorTitle="Beoordeling")
    dv.add(f"J2:J{n}")
    dsh.add_data_validation(dv)
    gv = DataValidation(type="list", formula1=f"Lijsten!$A$1:$A${len(GROUNDS)}", allow_blank=True, showErrorMessage=False,
                        prompt="Woo-grond(en), bijvoorbeeld 5.1.2e; meerdere gescheiden door ;", promptTitle="Beoordelingsgrond")
    gv.add(f"K2:K{n}")
    dsh.add_data_validation(gv)
    rsh = sheet("Lakken", RED_COLUMNS, reds, RED_EDITABLE, {"Tekst": 32, "Categorie": 12, "Grond": 10, "Plaatsen": 9, "Context": 60,
                                                            "Documenten": 24, "Toepassen": 11, "Sleutel": 26})
    for row in rsh.iter_rows(min_row=2, min_col=4, max_col=4):
        for cell in row:
            cell.number_format = "0"
    m = max(2, len(reds) + 1)
    tv = DataValidation(type="list", formula1=f'"ja,nee,{MIXED}"', allow_blank=False, error="Vul ja of nee in.", errorTitle="Toepassen")
    tv.add(f"G2:G{m}")
    rsh.add_data_validation(tv)
    rv = DataValidation(type="list", formula1=f"Lijsten!$A$1:$A${len(GROUNDS)}", allow_blank=False, error="Onbekende Woo-grond.")
    rv.add(f"C2:C{m}")
    rsh.add_data_validation(rv)
    wb.properties.creator = ws.settings.organisation
    wb.properties.title = f"Beoordeling {req.id}"
    path = Path(path)
    tmp = path.with_name(path.name + ".tmp")
    old = os.umask(0o077)
    try:
        wb.save(tmp)
        os.chmod(tmp, 0o600)
        os.replace(tmp, path)
    finally:
        os.umask(old)
    ws.audit("request review export", {"id": req_id, "file": str(path)},
             f"{len(docs)} documents, {len(reds)} redacted texts in {sum(r['Plaatsen'] for r in reds)} places", request=req_id)
    return len(docs), len(reds), sum(r["Plaatsen"] for r in reds)


@dataclass
class Change:
    sheet: str
    key: str  # the document number, or the redacted text
    column: str
    old: str
    new: str
    places: int = 0  # a Lakken change: how many places it changes


def _read(path: Path, sheet: str, columns: list[str], problems: list[str],
          optional: set[str] = frozenset()) -> list[tuple[int, dict[str, str]]]:
    import pandas as pd

    try:
        df = pd.read_excel(path, sheet_name=sheet, dtype=str, keep_default_na=False)
    except ValueError:
        problems.append(f"sheet {sheet!r} is missing")
        return []
    missing = [c for c in columns if c not in df.columns and c not in optional]
    if missing:
        problems.append(f"sheet {sheet}: column(s) {', '.join(missing)} are missing")
        return []
    present = [c for c in columns if c in df.columns]
    return [(n + 2, {c: str(row[c]).strip() for c in present}) for n, row in enumerate(df.to_dict("records"))]


def workbook_request(path: Path) -> str | None:
    """The request id on the workbook's Verzoek sheet (None when the sheet or the row is missing)."""
    import pandas as pd

    try:
        df = pd.read_excel(path, sheet_name="Verzoek", header=None, dtype=str, keep_default_na=False)
    except ValueError:
        return None
    for row in df.itertuples(index=False):
        if len(row) >= 2 and str(row[0]).strip() == "Verzoek":
            return str(row[1]).strip()
    return None


def import_workbook(ws: Workspace, req_id: str, path: Path) -> list[Change]:
    """Check everything, then apply the handler's changes; every change is audited. ReviewError lists all problems."""
    from woo_collector.requests import load_documents

    repo = ws.catalog.requests
    refuse_withdrawn(repo.get(req_id), "reviewed")
    other = workbook_request(Path(path))
    if other is not None and other != req_id:
        raise ConfigError(f"{path} is the review workbook of request {other}, not {req_id}: nothing was imported")
    problems: list[str] = []
    documents = load_documents(ws, req_id)
    current_docs = {r["Nr"]: r for r in _doc_rows(ws, req_id, documents)}
    current_reds = _red_groups(ws, req_id, documents)
    changes: list[Change] = []
    doc_updates: dict[str, tuple[str, list[str], str]] = {}
    for rownum, row in _read(Path(path), "Documenten", DOC_COLUMNS, problems, DOC_OPTIONAL):
        nr = row["Nr"]
        cur = current_docs.get(nr)
        where = f"Documenten row {rownum} (Nr {nr or '?'})"
        if cur is None:
            problems.append(f"{where}: unknown document number")
            continue
        bad = len(problems)
        for col in DOC_COLUMNS:
            if col == "Datum" and _read_day(row[col]) == _read_day(cur[col]):
                continue
            if col not in DOC_EDITABLE and col in row and _norm(row[col]) != _norm(cur[col]):
                problems.append(f"{where}: column {col} is read-only (was {cur[col]!r}, now {row[col]!r})")
        decision = row["Beoordeling"].lower()
        if cur["Beoordeling"] == PENDING and decision in ("", PENDING):
            continue  # a medium no automatic decision was made for, still undecided: it stays out of the package
        if decision not in DECISIONS:
            pending = f" ('{PENDING}' only for a medium still waiting for its decision)" if decision == PENDING else ""
            problems.append(f"{where}: Beoordeling {row['Beoordeling']!r} is not one of {', '.join(DECISIONS)}{pending}")
        grounds = []
        for g in filter(None, (x.strip() for x in row["Beoordelingsgrond"].replace(",", ";").split(";"))):
            try:
                grounds.append(normalise_ground(g))
            except ValueError:
                problems.append(f"{where}: unknown ground code {g!r}")
        if decision in ("deels openbaar", "niet openbaar") and not grounds and row["Beoordelingsgrond"].strip() == "":
            problems.append(f"{where}: '{decision}' needs at least one ground (Beoordelingsgrond)")
        note = row["Toelichting"]
        if len(note) > 1000:
            problems.append(f"{where}: Toelichting is longer than 1,000 characters")
        if len(problems) > bad:
            continue
        new = (decision, sorted(set(grounds)), note)
        old = (cur["Beoordeling"], [g.strip() for g in cur["Beoordelingsgrond"].split(";") if g.strip()], cur["Toelichting"])
        if new != (old[0], sorted(old[1]), old[2]):
            doc_updates[nr] = new
            for col, o, n in (("Beoordeling", old[0], new[0]), ("Beoordelingsgrond", "; ".join(old[1]), "; ".join(new[1])),
                              ("Toelichting", old[2], new[2])):
                if o != n:
                    changes.append(Change("Documenten", nr, col, o, n))
    red_updates: dict[str, tuple[bool, str]] = {}
    additions: list[tuple[list[str], str, str, bool, str]] = []  # (nrs or [] for everywhere, text, ground, apply, where)
    for rownum, row in _read(Path(path), "Lakken", RED_COLUMNS, problems):
        key = row["Sleutel"]
        cur = current_reds.get(key)
        where = f"Lakken row {rownum}"
        if not key:
            added = _addition(row, where, current_docs, problems)
            if added:
                additions.append((*added, where))
                changes.append(Change("Lakken", "nieuw", "Tekst", "", added[1]))
            continue
        if cur is None:
            problems.append(f"{where}: unknown redacted text (Sleutel {key!r}); do not edit the Sleutel of a row")
            continue
        where = f"Lakken row {rownum} ({cur['Plaatsen']} places)"
        bad = len(problems)
        for col in ("Tekst", "Categorie", "Plaatsen", "Context", "Documenten"):
            if _norm(row[col]) != _norm(cur[col]):
                problems.append(f"{where}: column {col} is read-only")
        apply = row["Toepassen"].lower()
        if apply not in ("ja", "nee") and not (apply == MIXED and cur["Toepassen"] == MIXED):
            problems.append(f"{where}: Toepassen must be ja or nee, not {row['Toepassen']!r}")
        try:
            ground = normalise_ground(row["Grond"])
        except ValueError:
            problems.append(f"{where}: unknown ground code {row['Grond']!r}")
        if len(problems) > bad:
            continue
        if (apply, ground) != (cur["Toepassen"], cur["Grond"]):
            for r in cur["reds"]:
                red_updates[r["key"]] = (bool(r["apply"]) if apply == MIXED else apply == "ja", ground)
            for col, o, n in (("Toepassen", cur["Toepassen"], apply), ("Grond", cur["Grond"], ground)):
                if o != n:
                    changes.append(Change("Lakken", cur["Tekst"], col, o, n, places=cur["Plaatsen"]))
    new_reds = _addition_redactions(req_id, documents, additions, problems) if additions else []
    if problems:
        ws.audit("request review import", {"id": req_id, "file": str(path)}, f"rejected: {len(problems)} problems", request=req_id)
        raise ReviewError(problems)
    added_docs: dict[str, tuple[str, list[str], str]] = {}
    for nr, red in new_reds:  # an applied new redaction makes an open document 'deels openbaar' under its ground
        cur = current_docs[nr]
        if red.apply and nr not in doc_updates and cur["Beoordeling"] in ("openbaar", "deels openbaar"):
            grounds = sorted({g.strip() for g in cur["Beoordelingsgrond"].split(";") if g.strip()} | {red.ground})
            added_docs[nr] = ("deels openbaar", grounds, cur["Toelichting"])
            cur["Beoordeling"], cur["Beoordelingsgrond"] = "deels openbaar", "; ".join(grounds)
    if not changes:
        return changes
    first, *rest = [{"sheet": c.sheet, "row": c.key, "column": c.column, "old": c.old, "new": c.new,
                     **({"places": c.places} if c.places else {})} for c in changes]
    with ws.change("request review", first, request=req_id) as entry:  # the changes and one row each: all or nothing
        entry.outcome = "changed"
        for args in rest:
            entry.also("request review", args, "changed")
        repo.apply_review(req_id, ws.user, {**doc_updates, **added_docs}, red_updates, new_reds)
    return changes


def _addition(row: dict[str, str], where: str, docs: dict, problems: list[str]) -> tuple[list[str], str, str, bool] | None:
    """A row the handler added to Lakken (empty Sleutel): Tekst, Grond, Toepassen and, optionally, Documenten."""
    text = row["Tekst"]
    nrs = [n.strip() for n in row["Documenten"].replace(";", ",").split(",") if n.strip()]
    bad = len(problems)
    unknown = [n for n in nrs if n not in docs]
    if unknown:
        problems.append(f"{where}: a new redaction's Documenten must be numbers of documents (unknown: {', '.join(unknown)})")
    if len(text.strip()) < 2:
        problems.append(f"{where}: a new redaction needs the text to redact (Tekst)")
    try:
        ground = normalise_ground(row["Grond"])
    except ValueError:
        problems.append(f"{where}: unknown ground code {row['Grond']!r}")
    apply = row["Toepassen"].lower() or "ja"
    if apply not in ("ja", "nee"):
        problems.append(f"{where}: Toepassen must be ja or nee, not {row['Toepassen']!r}")
    if len(problems) > bad:
        return None
    return nrs, " ".join(text.split()), ground, apply == "ja"


def _addition_redactions(req_id: str, documents, additions, problems: list[str]):
    """Every occurrence (whole words, any case: as ``woo policy redact`` matches) of each added text, in the
    documents given on its row, or in the whole request."""
    from woo_collector.documents import Redaction
    from woo_collector.models import stable_id
    from woo_collector.requests.decide import term_pattern
    from woo_collector.requests.redact import FIELDS, field_text

    out = []
    for nrs, text, ground, apply, where in additions:
        rx = term_pattern(text)
        found = 0
        for d in documents:
            if nrs and d.nr not in nrs:
                continue
            for item in d.items:
                for f in FIELDS:
                    for m in rx.finditer(field_text(item, f)):
                        found += 1
                        out.append((d.nr, Redaction(item_id=item.id, field=f, start=m.start(), end=m.end(), text=m.group(0),
                                                    category="handmatig", ground=ground, apply=apply,
                                                    key=stable_id(req_id, "handmatig", item.id, f, m.start(), m.end()),
                                                    explanation="toegevoegd door de behandelaar in het werkbestand")))
        if not found:
            problems.append(f"{where}: the text {text!r} does not occur in "
                            + (f"document{'s' if len(nrs) > 1 else ''} {', '.join(nrs)}" if nrs else f"request {req_id}"))
    return out


def _norm(v: str) -> str:
    return " ".join(str(v).split())

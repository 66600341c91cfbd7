"""The disclosure package: what leaves the building after a Woo decision.

``write_package`` writes, into a temporary folder beside ``out``::

    documenten/documenten-deel-01.docx ...   the released documents, redacted (bundle.py)
    documenten/<ID>.pdf                       one per openbaar / deels openbaar document (pdf.py)
    inventarislijst.xlsx, inventarislijst.docx  one row per document (inventory.py)
    besluit-concept.docx                      the draft decision letter (decision.py)
    manifest.json                             request, documents, originals' SHA-256, files' SHA-256
    [*.pdf]  [diwoo-metadata.xml]             with pdf=True / diwoo=True
    [upload/<context>-documenten-01.zip ...]  with zip_=True: the <ID>.pdf files for the platform (upload.py);
                                              refused while a document waits for a handler's decision (ready.py)

then checks every Office file for leftovers (clean.py) and every file for every redacted text
(leakguard.py). Only a complete and clean package (and its zip of everything but ``upload/``, written
beside it under a temporary name) is put in place as ``out`` (and ``out.zip``), by one journalled step that an export killed
halfway finishes the next time (place.py); what an interrupted export left beside ``out`` is removed
by the next one. A package that would leak is deleted and ``LeakError`` names the file and the
place.

An existing non-empty ``out`` is the handler's work (an edited ``besluit-concept.docx``, a file
added by hand): an export into it refuses unless ``replace=True``, and refuses anyway when it is not
an earlier package of the same request. With ``replace=True`` the earlier package is moved aside
whole, as ``<out>.vorige-<time>`` beside it (``PackageResult.previous``): nothing in it is deleted.

``write_package`` knows nothing of workspaces; ``exports.package.export(ws, req_id, out)`` is the
library function that reads a request from the workspace, calls it and writes the audit row.
Exports import the core (documents, errors, requests), never ``connectors``.
"""

from __future__ import annotations

import shutil
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Sequence

from exports import bundle, clean, diwoo as diwoo_mod, inventory, manifest, pdf as pdf_mod, place, ready, upload
from exports.decision import write_letter
from exports.leakguard import scan_package
from exports.render import Redactor
from woo_collector import faults
from woo_collector.outputs import sha256_file
from woo_collector.documents import DECISIONS, PENDING, Document, RequestInfo
from woo_collector.errors import ExportError, LeakError

__all__ = ["PackageResult", "write_package", "guard"]


@dataclass
class PackageResult:
    """What was written: ``files`` maps each package-relative path to its SHA-256."""

    out: Path
    files: dict[str, str]
    parts: int
    counts: dict[str, int]
    zip_path: Path | None = None
    warnings: list[str] = field(default_factory=list)
    seconds: float = 0.0
    awaiting_decision: list[str] = field(default_factory=list)  # numbers of media left out until a handler decides them
    previous: Path | None = None  # where the earlier package in ``out`` was moved (replace=True)


def guard(root: Path, documents: Sequence[Document]) -> None:
    """Scan a written package; on any hit delete it and raise LeakError naming file and place."""
    hits = scan_package(root, Redactor(documents).needles)
    if hits:
        shutil.rmtree(root, ignore_errors=True)
        shown = "\n".join(f"  {h}" for h in hits[:20])
        more = f"\n  ... en nog {len(hits) - 20}" if len(hits) > 20 else ""
        err = LeakError(f"Het pakket bevatte gelakte tekst en is verwijderd ({len(hits)} vondst(en)):\n{shown}{more}")
        err.hits = hits
        raise err


def _check_out(out: Path, request_id: str, replace: bool) -> Path | None:
    """Where the earlier package in ``out`` goes (``None``: ``out`` is absent or empty); refuses a folder
    that is not an earlier package of this request, and an earlier package without ``replace``."""
    if not out.exists():
        return None
    if not out.is_dir():
        raise ExportError(f"{out} bestaat al en is geen map; kies een andere --out")
    if not any(out.iterdir()):
        return None
    earlier = manifest.request_of(out)
    if earlier != request_id:
        raise ExportError(f"{out} is niet leeg en bevat geen eerder pakket van verzoek {request_id}; "
                          "kies een lege of nieuwe map voor --out")
    if not replace:
        raise ExportError(f"{out} already holds a package of request {request_id}, perhaps with a handler's work in it "
                          "(an edited besluit-concept.docx, files added by hand); choose a new folder for --out, or "
                          f"pass --replace: the earlier package is then moved aside whole, as {out.name}.vorige-<time>, "
                          "and nothing in it is lost")
    return place.aside(out)


def _check_documents(documents: Sequence[Document]) -> None:
    seen = set()
    for d in documents:
        if d.decision not in DECISIONS and not (d.needs_decision and d.decision == PENDING):
            raise ExportError(f"document {d.nr}: onbekende beoordeling {d.decision!r} (kies uit {', '.join(DECISIONS)})")
        if d.nr in seen:
            raise ExportError(f"documentnummer {d.nr} komt twee keer voor")
        seen.add(d.nr)


def write_package(info: RequestInfo, documents: Sequence[Document], out: Path, *,
                  organisation: str, original_path: Callable[[str], Path] | None = None,
                  has_original: Callable[[str], bool] | None = None, tool_version: str, now: datetime | None = None,
                  part_max_docs: int = 250, part_max_bytes: int = 20_000_000,
                  pdf: bool = False, diwoo: bool = False, zip_: bool = False,
                  upload_max_bytes: int = upload.MAX_BYTES,
                  author_letters: bool = True, replace: bool = False) -> PackageResult:
    """Write the disclosure package of ``info`` to ``out``; see the module docstring."""
    started = time.monotonic()
    out = Path(out)
    now = (now or datetime.now(timezone.utc))
    now = now if now.tzinfo else now.replace(tzinfo=timezone.utc)
    _check_documents(documents)
    if zip_:  # the upload zips are for the platform, which takes no 'nog te beoordelen' row
        ready.require_decided(info.id, documents, f"cannot write the upload zips (--zip) of request {info.id}",
                              "export with --zip again (without --zip the draft package is written)")
    out.parent.mkdir(parents=True, exist_ok=True)
    with place.exclusive(out):
        place.prepare(out)
        previous = _check_out(out, info.id, replace)
        return _write(info, documents, out, organisation=organisation, original_path=original_path,
                      has_original=has_original, tool_version=tool_version, now=now, part_max_docs=part_max_docs,
                      part_max_bytes=part_max_bytes, pdf=pdf, diwoo=diwoo, zip_=zip_, started=started,
                      upload_max_bytes=upload_max_bytes, author_letters=author_letters, previous=previous)


def _write(info: RequestInfo, documents: Sequence[Document], out: Path, *, organisation: str,
           original_path: Callable[[str], Path] | None, tool_version: str, now: datetime, part_max_docs: int,
           has_original: Callable[[str], bool] | None = None,
           part_max_bytes: int, pdf: bool, diwoo: bool, zip_: bool, started: float,
           upload_max_bytes: int = upload.MAX_BYTES, author_letters: bool = True,
           previous: Path | None = None) -> PackageResult:
    tmp = out.parent / f".{out.name}.tmp-{uuid.uuid4().hex[:8]}"
    tmp.mkdir()
    warnings: list[str] = []
    zip_tmp: Path | None = None
    try:
        redactor = Redactor(documents)
        parts = bundle.split_parts(documents, part_max_docs, part_max_bytes)
        folder = tmp / "documenten"
        folder.mkdir()
        writer = bundle.BundleWriter(info.id, organisation, redactor, documents, now, author_letters=author_letters,
                                     original=original_path)
        office = [writer.write(p, len(parts), folder) for p in parts]
        for nr, grounds in sorted(writer.extra.items(), key=lambda kv: bundle.nr_key(kv[0])):
            warnings.append(f"document {nr}: gelakt ({', '.join(sorted(grounds))}) omdat het tekst bevat die elders "
                            "in het verzoek is gelakt; controleer de beoordeling")
        pdf_jobs = pdf_mod.jobs_for(info.id, organisation, writer, documents, folder)
        warnings += [writer.picture_notes[nr] for nr in sorted(writer.picture_notes, key=bundle.nr_key)]
        written = pdf_mod.write_documents(pdf_jobs)
        for job, (_, missing) in zip(pdf_jobs, written):
            if missing:
                warnings.append(f"document {job.nr}: {len(missing)} teken(s) die het lettertype van de PDF niet kan tonen "
                                f"({''.join(missing[:10])}{'…' if len(missing) > 10 else ''}); de PDF {job.doc_id}.pdf toont "
                                "ze niet, de docx-bundel bevat ze wel: controleer dit document voor publicatie")
        released_pdfs = [path for path, _ in written]
        if zip_:
            upload.write_zips(tmp, info.id, released_pdfs, upload_max_bytes)
        table = inventory.rows(info.id, documents, redactor, writer.extra)
        office.append(inventory.write_xlsx(tmp / "inventarislijst.xlsx", table, organisation, info.id, now))
        office.append(inventory.write_docx(tmp / "inventarislijst.docx", table, organisation, info.id, now))
        office.append(write_letter(tmp / "besluit-concept.docx", info, documents, redactor, organisation, now,
                                   [f"documenten/{p.filename}" for p in parts], writer.extra))
        problems = [p for f in office for p in clean.audit(f, organisation)]
        if problems:
            raise ExportError("Het pakket is niet schoon:\n  " + "\n  ".join(problems))
        if pdf:
            pdf_mod.convert([f for f in office if f.suffix == ".docx"])
        if original_path is not None:
            warnings += _check_originals(documents, has_original or (lambda sha: Path(original_path(sha)).is_file()))
        if diwoo:
            rels = [p.relative_to(tmp).as_posix() for p in sorted(tmp.rglob("*")) if p.is_file()]
            diwoo_mod.write(tmp, info.id, organisation, rels, now, documents, redactor)
        files = manifest.package_files(tmp)
        manifest.write(tmp, manifest.build(info, documents, redactor, organisation, tool_version, now, files, writer.extra))
        guard(tmp, documents)
        faults.point("export-guarded")
        files = manifest.package_files(tmp)
        files[manifest.NAME] = sha256_file(tmp / manifest.NAME)
        zip_tmp = place.zip_temp(tmp, out.name) if zip_ else None
        place.commit(tmp, out, zip_tmp, previous)
    except OSError as e:
        _discard(out, tmp, zip_tmp)
        raise ExportError(f"kon het pakket niet schrijven in {out.parent}: {e}") from e
    except BaseException:
        _discard(out, tmp, zip_tmp)
        raise
    zip_path = place.zip_target(out) if zip_ else None
    counts = {d: sum(1 for doc in documents if doc.decision == d) for d in DECISIONS}
    return PackageResult(out, files, len(parts), counts, zip_path, warnings, time.monotonic() - started,
                         [d.nr for d in documents if d.needs_decision],
                         previous if previous is not None and previous.exists() else None)


def _check_originals(documents: Sequence[Document], has_original: Callable[[str], bool]) -> list[str]:
    """Warnings for originals the evidence store no longer holds (their SHA-256 is in the manifest)."""
    missing = []
    for sha in sorted({i.sha256 for d in documents for i in d.items if i.sha256}):
        try:
            present = has_original(sha)
        except (OSError, KeyError, ValueError):
            present = False
        if not present:
            missing.append(f"origineel {sha[:12]}… ontbreekt in de opslag")
    return missing


def _discard(out: Path, tmp: Path, zip_tmp: Path | None) -> None:
    """An export that failed before its commit leaves nothing; one that failed during it is finished
    by the next export (its journal stays)."""
    if place.journal(out).exists():
        return
    shutil.rmtree(tmp, ignore_errors=True)
    if zip_tmp is not None:
        zip_tmp.unlink(missing_ok=True)

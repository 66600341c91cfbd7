"""``finalise(ws, req_id, letter)``: the handler's edited decision letter as ``besluit.pdf`` in the package.

The handler edits ``besluit-concept.docx`` in Word; ``woo request finalise REQ --letter
EDITED.docx`` then:

1. strips it like every Office file of the package (``clean.prepare_docx``: properties of the
   organisation, no comments, custom XML or template baggage: Word's author is the handler);
2. reads it back with the leak guard (every XML part: body, headers, footers, properties) and
   refuses, naming the paragraph, when it holds a redacted text; refuses when tracked changes or
   hidden text remain (accept or reject them in Word first);
3. converts it to PDF with LibreOffice, then sets the PDF's properties and XMP metadata to the
   organisation (LibreOffice writes its own name as producer);
4. reads the PDF back with the leak guard (text layer, properties, XMP) and refuses, naming page
   and line, when anything is found;
5. puts ``besluit.pdf`` into the package (an atomic rename), records its SHA-256 in
   ``manifest.json`` (``files`` and ``letter``), rewrites the package's zip when there is one, and
   writes the audit row, also when it refuses.

It refuses (``ready.py``) while a document of the request waits for a handler's decision, and a package
exported while one waited, until it is exported again: the platform takes no 'nog te beoordelen' row.

The package is the one the request was last exported to (the workspace's record of exports) or
the folder given as ``out``.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from exports import clean, manifest, pdf, place, ready
from exports.leakguard import Hit, scan_package
from exports.render import Needles, Redactor
from woo_collector.errors import ExportError, LeakError
from woo_collector.outputs import recorded, sha256_file, zip_target
from woo_collector.requests import load_documents
from woo_collector.workspace import Workspace

NAME = "besluit.pdf"


@dataclass(frozen=True)
class Finalised:
    package: Path
    pdf: Path
    sha256: str
    pages: int


def package_of(ws: Workspace, req_id: str, out: Path | None = None) -> Path:
    """The package folder of ``req_id``: ``out``, or the one folder the request was exported to."""
    if out is not None:
        folders = [Path(out)]
    else:
        folders = [Path(p) for p, v in sorted(recorded(ws.root).items())
                   if v.get("request") == req_id and (Path(p) / manifest.NAME).is_file()]
        if not folders:
            raise ExportError(f"request {req_id} has no exported package: run 'woo request export {req_id} --out DIR' "
                              "first, or name the package with --out")
        if len(folders) > 1:
            raise ExportError(f"request {req_id} was exported to {len(folders)} folders "
                              f"({', '.join(map(str, folders))}); name the package with --out")
    folder = folders[0]
    earlier = manifest.request_of(folder)
    if earlier != req_id:
        raise ExportError(f"{folder} holds no package of request {req_id} (no manifest.json of it); "
                          f"run 'woo request export {req_id} --out {folder}' first")
    return folder


def _refuse(hits: list[Hit], what: str) -> LeakError:
    shown = "\n".join(f"  {h}" for h in hits[:20])
    more = f"\n  ... and {len(hits) - 20} more" if len(hits) > 20 else ""
    err = LeakError(f"{what} holds redacted text ({len(hits)} hit(s)); remove it from the letter and run finalise "
                    f"again:\n{shown}{more}")
    err.hits = hits
    return err


def letter_pdf(letter: Path, workdir: Path, needles: Needles, organisation: str, title: str) -> Path:
    """The cleaned, converted and checked PDF of an edited letter, in ``workdir``; raises LeakError."""
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    src = workdir / "in"
    src.mkdir()
    edited = src / "besluit.docx"
    shutil.copyfile(letter, edited)
    try:
        document = docx.Document(str(edited))
    except (PackageNotFoundError, ValueError, KeyError, OSError) as e:
        raise ExportError(f"{letter} is not a Word document (.docx) that can be read: {e}") from e
    clean.prepare_docx(document, organisation, title, datetime.now(timezone.utc))
    document.save(str(edited))
    hits = scan_package(src, needles) if needles else []
    if hits:
        raise _refuse(hits, f"the edited letter {letter.name}")
    problems = clean.audit(edited, organisation)
    if problems:
        raise ExportError("the edited letter still holds what a published file must not (accept or reject tracked "
                          "changes, remove hidden text, then finalise again):\n  " + "\n  ".join(problems))
    converted = pdf.convert([edited])[0]
    final = workdir / "out" / NAME
    final.parent.mkdir()
    pdf.set_metadata(converted, final, organisation, title)
    hits = scan_package(final.parent, needles) if needles else []
    if hits:
        raise _refuse(hits, f"the PDF of {letter.name}")
    return final


def finalise(ws: Workspace, req_id: str, letter: Path, out: Path | None = None) -> Finalised:
    """Turn the edited letter into the package's ``besluit.pdf``; see the module docstring."""
    letter = Path(letter)
    if not letter.is_file():
        raise ExportError(f"{letter} not found: give the edited decision letter (.docx) with --letter")
    docs = load_documents(ws, req_id)
    refused = f"cannot finalise request {req_id}"
    ready.require_decided(req_id, docs, refused, "export again and finalise")
    ws.catalog.check_audit()
    folder = package_of(ws, req_id, out)
    ready.require_current(folder, req_id, refused)
    args = {"id": req_id, "letter": str(letter), "out": str(folder)}
    organisation = ws.settings.organisation
    with place.exclusive(folder), tempfile.TemporaryDirectory(prefix="woo-finalise-") as tmp:
        try:
            made = letter_pdf(letter, Path(tmp), Redactor(docs).needles, organisation, f"Besluit op Woo-verzoek {req_id}")
        except LeakError:
            ws.audit("request finalise", args, "refused: leak found in the letter", request=req_id)
            raise
        target = folder / NAME
        staged = folder.parent / f".{folder.name}.{NAME}.tmp"
        shutil.copyfile(made, staged)
        sha = sha256_file(staged)
        os.replace(staged, target)
        data = json.loads((folder / manifest.NAME).read_text(encoding="utf-8"))
        data.setdefault("files", {})[NAME] = sha
        data["files"] = dict(sorted(data["files"].items()))
        data["letter"] = {"file": NAME, "sha256": sha, "from": letter.name,
                          "finalised": datetime.now(timezone.utc).isoformat(timespec="seconds")}
        staged_manifest = folder / f".{manifest.NAME}.tmp"
        staged_manifest.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
        os.replace(staged_manifest, folder / manifest.NAME)
        zp = zip_target(folder)
        if zp.exists():  # the package's zip must hold the package beside it
            os.replace(place.zip_temp(folder, folder.name), zp)
    from pypdf import PdfReader

    pages = len(PdfReader(target).pages)
    ws.audit("request finalise", args, f"{NAME} sha256 {sha}", request=req_id)
    return Finalised(folder, target, sha, pages)

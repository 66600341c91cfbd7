"""``export(ws, req_id, out)``: a request's disclosure package, from the workspace, audited.

The library function behind ``woo request export``: it reads the request's recorded selection and
current documents and decisions from the workspace, records ``out`` in the workspace's
``exports.json`` (so ``woo doctor`` checks that folder for leftovers of interrupted exports), hands
them to ``write_package`` (this package's writers and leak guard) and writes the audit row, also when the package is refused
because it would leak. It lives here, not in the core, because the core never imports ``exports``.
"""

from __future__ import annotations

from pathlib import Path

from exports import PackageResult, write_package
from woo_collector import __version__, outputs
from woo_collector.errors import ConfigError, LeakError
from woo_collector.requests import load_documents, request_info
from woo_collector.workspace import Workspace


def export(ws: Workspace, req_id: str, out: Path, *, pdf: bool = False, diwoo: bool = False, zip_: bool = False,
           replace: bool = False) -> PackageResult:
    """Write the disclosure package; raises LeakError (package removed) or ExportError. An earlier package in
    ``out`` is refused unless ``replace``, and then moved aside whole (``PackageResult.previous``)."""
    info = request_info(ws, req_id)
    if not ws.settings.organisation.strip():
        raise ConfigError(
            f"the workspace has no organisation, and every letter, inventory and document property of the package "
            f"carries it: set it in {ws.config_path} under [settings] as  organisation = \"Gemeente ...\"  "
            f"(or in the environment variable WOO_ORGANISATION), then export again")
    docs = load_documents(ws, req_id)
    ws.catalog.check_audit()  # an export that could not be audited is not written (AuditError says what to do)
    outputs.record(ws.root, Path(out), req_id)  # before anything is written: doctor checks this folder from now on
    try:
        result = write_package(info, docs, Path(out), organisation=ws.settings.organisation, original_path=ws.store.path,
                               has_original=ws.store.has,
                               tool_version=__version__, part_max_docs=ws.settings.part_max_docs, pdf=pdf, diwoo=diwoo, zip_=zip_,
                               author_letters=ws.settings.chat_author_letters, replace=replace)
    except LeakError:
        ws.audit("request export", {"id": req_id, "out": str(out)}, "refused: leak found, package removed", request=req_id)
        raise
    ws.audit("request export", {"id": req_id, "out": str(out), "replace": replace},
             f"{len(result.files)} files" + (f", earlier package moved to {result.previous}" if result.previous else ""),
             request=req_id)
    return result

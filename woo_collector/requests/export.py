"""``woo request export``: the request's current documents and decisions, handed to the package writer."""

from __future__ import annotations

from pathlib import Path

from woo_collector import __version__
from woo_collector.requests import load_documents, request_info
from woo_collector.workspace import Workspace


def export(ws: Workspace, req_id: str, out: Path, *, pdf: bool = False, diwoo: bool = False, zip_: bool = False):
    """Write the disclosure package; raises LeakError (package removed) or ExportError."""
    from exports import write_package

    info = request_info(ws, req_id)
    docs = load_documents(ws, req_id)
    return write_package(info, docs, Path(out), organisation=ws.settings.organisation, original_path=ws.store.path,
                         tool_version=__version__, part_max_docs=ws.settings.part_max_docs, pdf=pdf, diwoo=diwoo, zip_=zip_)

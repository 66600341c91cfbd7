"""The identifiers a package gives its documents, as the national Woo platform links them.

The platform links an uploaded file to its inventory row by the leading ``[A-Za-z0-9]+`` run of
the file name, so an ID holding a hyphen or a dot can never be linked. Every ID here is purely
alphanumeric: the request id without its separators, ``D`` and the four-digit document number,
and per family level ``B`` and a two-digit member number::

    WOO-2025-014, "12"   -> WOO2025014D0012
    WOO-2025-014, "12.1" -> WOO2025014D0012B01

``Documentnummer`` keeps the human number (12, 12.1); the released file is ``<ID>.pdf``.
"""

from __future__ import annotations

import re

_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")


def context_id(request_id: str) -> str:
    """The request id as the platform's ``Publicatiecontext`` and as the IDs' prefix."""
    out = _NOT_ALNUM.sub("", request_id).upper()
    if not out:
        raise ValueError(f"request id {request_id!r} has no letter or digit to build an ID from")
    return out


def document_id(request_id: str, nr: str) -> str:
    """The alphanumeric ID of document ``nr`` ("12", "12.1") of a request."""
    top, *members = str(nr).split(".")
    out = f"{context_id(request_id)}D{int(top):04d}"
    for member in members:
        out += f"B{int(member):02d}"
    return out

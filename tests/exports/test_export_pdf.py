"""The package opens in LibreOffice: each docx converts to a PDF with a text layer, no leaks."""

from __future__ import annotations

import sys
from datetime import datetime, timezone
from pathlib import Path

import pytest
from pypdf import PdfReader

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, REDACTED, documents, request_info  # noqa: E402

from exports import write_package  # noqa: E402
from exports.pdf import soffice  # noqa: E402

NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


@pytest.mark.skipif(soffice() is None, reason="LibreOffice (soffice) is not installed")
def test_each_docx_converts_to_pdf_with_text_layer(tmp_path):
    out = tmp_path / "pkg"
    result = write_package(request_info(), documents(), out, organisation=ORG, tool_version="t", now=NOW, pdf=True)
    pdfs = sorted(p.relative_to(out).as_posix() for p in out.rglob("*.pdf") if not (p.parent.name == "documenten" and p.stem.isalnum()))  # not the <ID>.pdf
    assert pdfs == ["besluit-concept.pdf", "documenten/documenten-deel-01.pdf", "inventarislijst.pdf"]
    assert set(pdfs) <= set(result.files)  # in the manifest, checked by the leak guard
    text = {p: "\n".join(page.extract_text() for page in PdfReader(out / p).pages) for p in pdfs}
    bundle = text["documenten/documenten-deel-01.pdf"]
    assert "Document 1.1" in bundle and "Karin Smit" in bundle
    assert "5.1.2e" in bundle and "5.1.1e" in bundle
    assert "Document 4" not in bundle
    assert len(PdfReader(out / "documenten/documenten-deel-01.pdf").pages) >= 6  # title page + 5 documents
    assert "[naam verzoeker]" in text["besluit-concept.pdf"]
    assert "Vertrouwelijk: grondaankoop" in text["inventarislijst.pdf"]
    for needle in REDACTED:
        for name, t in text.items():
            assert needle.casefold() not in t.casefold(), f"{needle} in {name}"

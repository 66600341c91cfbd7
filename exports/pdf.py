"""Optional PDF copies of the package's Word files, through LibreOffice headless.

``soffice --headless --convert-to pdf`` renders each docx with a real text layer (the boxes are
text too, so the ground codes stay readable and the redacted words are simply absent). A private
LibreOffice profile in a temporary folder keeps parallel runs and a user's open LibreOffice apart.
One PDF per bundle is written (``documenten-deel-01.pdf``); the Woo-index prefers one PDF per
document, which needs one docx per document first (not done yet: the bundles are the unit).
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Sequence

from woo_collector.errors import ExportError


def soffice() -> str | None:
    """The LibreOffice executable on PATH, or None."""
    return shutil.which("soffice") or shutil.which("libreoffice")


def convert(files: Sequence[Path], timeout: float = 600) -> list[Path]:
    """Convert docx files to PDF beside them; returns the PDFs. Raises ExportError on failure."""
    exe = soffice()
    if exe is None:
        raise ExportError("PDF gevraagd, maar LibreOffice (soffice) is niet gevonden: installeer "
                          "libreoffice-writer-nogui of schrijf het pakket zonder --pdf.")
    out: list[Path] = []
    by_folder: dict[Path, list[Path]] = {}
    for f in files:
        by_folder.setdefault(f.parent, []).append(f)
    with tempfile.TemporaryDirectory(prefix="woo-lo-") as profile:
        for folder, group in by_folder.items():
            cmd = [exe, f"-env:UserInstallation=file://{profile}", "--headless", "--norestore",
                   "--convert-to", "pdf", "--outdir", str(folder), *map(str, group)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
            except subprocess.TimeoutExpired as e:
                raise ExportError(f"LibreOffice reageerde niet binnen {timeout:.0f} s bij het maken van PDF's") from e
            for f in group:
                pdf = f.with_suffix(".pdf")
                if not pdf.exists():
                    raise ExportError(f"LibreOffice maakte geen PDF van {f.name}: {proc.stderr.strip()[-500:]}")
                out.append(pdf)
    return out

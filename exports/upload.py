"""Upload zips for the national Woo platform: the ``documenten/<ID>.pdf`` files, nothing else.

The platform's upload takes the released documents as files (or zips of them) and links each to
its inventory row by the leading ``[A-Za-z0-9]+`` run of the file name; the inventory and the
decision letter have upload fields of their own. So an upload zip holds the per-document PDFs at
its root, under their own names, and nothing the platform cannot take (no docx bundles, no
manifest, no folders). Zips are split so that none exceeds ``max_bytes`` (4 GB by default, the
platform's limit per upload; a parameter so a test can split small): a file goes into the next
zip when the current one, with that file's size and its entry overhead, would pass the limit.
PDFs are already compressed, so they are stored (``ZIP_STORED``) and the size is known exactly.

    upload/<Publicatiecontext>-documenten-01.zip, -02.zip, ...   (written into the package)
"""

from __future__ import annotations

import zipfile
from pathlib import Path

from exports.ids import context_id

FOLDER = "upload"
MAX_BYTES = 4_000_000_000
_END = 22  # end of central directory record
_ENTRY = 30 + 46  # local header + central directory entry, before the name


def _entry_size(path: Path) -> int:
    return path.stat().st_size + _ENTRY + 2 * len(path.name.encode("utf-8"))


def plan(files: list[Path], max_bytes: int = MAX_BYTES) -> list[list[Path]]:
    """The files in zips of at most ``max_bytes`` each (a file larger than that alone in its own)."""
    groups: list[list[Path]] = [[]]
    size = _END
    for f in files:
        need = _entry_size(f)
        if groups[-1] and size + need > max_bytes:
            groups.append([])
            size = _END
        groups[-1].append(f)
        size += need
    return [g for g in groups if g]


def write_zips(root: Path, request_id: str, files: list[Path], max_bytes: int = MAX_BYTES) -> list[Path]:
    """Write the upload zips of ``files`` into ``root/upload``; returns them in order."""
    folder = root / FOLDER
    folder.mkdir(exist_ok=True)
    out = []
    for n, group in enumerate(plan(sorted(files, key=lambda p: p.name), max_bytes), start=1):
        target = folder / f"{context_id(request_id)}-documenten-{n:02d}.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_STORED) as z:
            for f in group:
                info = zipfile.ZipInfo(f.name, date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_STORED
                info.external_attr = 0o644 << 16
                with open(f, "rb") as src, z.open(info, "w") as dst:
                    while chunk := src.read(1 << 20):
                        dst.write(chunk)
        out.append(target)
    return out

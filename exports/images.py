"""A released chat photo as a picture in the package: verified, bounded, and without its metadata.

A photo sent in a chat (a document of its own, ``Document.filetype == "image"``) that a handler
decided ``openbaar`` is shown in the bundle and in its PDF as the picture itself, not only by its
file name. ``picture(data)`` prepares it:

- **Verified by content**, not by name: only PNG, JPEG and GIF, recognised by their magic bytes and
  read by Pillow as the same format (a ``.jpg`` that is really a BMP or a TIFF is not embedded).
- **Bounded**: at most ``MAX_BYTES`` of file and ``MAX_PIXELS`` pixels, checked from the header
  before anything is decoded, so a decompression bomb (a small file that decodes to gigapixels) is
  refused, not decoded; the reason goes to the handler and the file name stays in the document.
- **Re-encoded**, never copied: the pixels are decoded (the EXIF orientation applied), scaled to at
  most ``MAX_SIDE`` pixels on the long side and written into a new image that carries nothing else
  (JPEG stays JPEG, PNG and GIF become PNG; a GIF's first frame). EXIF (GPS position, camera, owner,
  time), XMP, IPTC, ICC and PNG text chunks of the original never reach the package: python-docx
  and reportlab embed the bytes they are given, so they are given these. ``metadata_in`` says what
  metadata a JPEG or PNG still holds; ``clean.audit`` refuses a Word file whose media hold any.

Which photos are embedded is the bundle's rule (``bundle.BundleWriter``): ``openbaar`` with no box
on the document. A photo cannot be partly redacted, so one with any box, or decided ``deels
openbaar``, is kept out and the handler is told.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

MAX_BYTES = 50_000_000  # the original file
MAX_PIXELS = 50_000_000  # width x height, from the header, before decoding
MAX_SIDE = 2000  # the long side of the embedded picture (16 cm at about 300 dpi)
JPEG_QUALITY = 85

_MAGIC = ((b"\x89PNG\r\n\x1a\n", "PNG"), (b"\xff\xd8\xff", "JPEG"), (b"GIF87a", "GIF"), (b"GIF89a", "GIF"))


@dataclass(frozen=True)
class Picture:
    """A cleaned picture: its bytes, ``png`` or ``jpeg``, and its size in pixels."""

    data: bytes
    kind: str
    width: int
    height: int


class Refused(ValueError):
    """The file is not embedded; the message says why (English, for the handler)."""


def sniff(data: bytes) -> str:
    """'PNG', 'JPEG' or 'GIF' by the magic bytes, '' for anything else."""
    for magic, fmt in _MAGIC:
        if data.startswith(magic):
            return fmt
    return ""


def picture(data: bytes) -> Picture:
    """The cleaned picture of an image file's bytes; raises ``Refused`` with the reason."""
    if len(data) > MAX_BYTES:
        raise Refused(f"the file is {len(data):,} bytes, more than the limit of {MAX_BYTES:,}")
    fmt = sniff(data)
    if not fmt:
        raise Refused("its content is not a PNG, JPEG or GIF image")
    try:
        from PIL import Image, ImageOps
    except ImportError as e:  # reportlab brings Pillow; without it no image is re-encoded, so none is embedded
        raise Refused("Pillow is not installed, so its metadata cannot be stripped") from e
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as im:
                if im.format != fmt:
                    raise Refused(f"its header says {fmt}, but it reads as {im.format}")
                w, h = im.size
                if w < 1 or h < 1 or w * h > MAX_PIXELS:
                    raise Refused(f"it is {w} x {h} pixels, more than the limit of {MAX_PIXELS:,} pixels "
                                  "(a decompression bomb?)")
                if fmt == "JPEG":
                    im.draft("RGB", (MAX_SIDE, MAX_SIDE))  # decode at a reduced scale where JPEG allows
                im.seek(0)
                im.load()
                im = ImageOps.exif_transpose(im)  # the orientation the camera recorded; the EXIF is dropped below
                alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
                mode = "RGBA" if alpha and fmt != "JPEG" else "RGB"
                im = im.convert(mode)
                im.thumbnail((MAX_SIDE, MAX_SIDE))
                bare = Image.frombytes(mode, im.size, im.tobytes())  # the pixels only: no info, EXIF, ICC, text
    except Refused:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as e:
        raise Refused(f"it is more than the limit of {MAX_PIXELS:,} pixels (a decompression bomb?): {e}") from e
    except (OSError, ValueError, SyntaxError, EOFError) as e:
        raise Refused(f"it cannot be read as an image ({e.__class__.__name__}: {e})") from e
    out = io.BytesIO()
    if mode == "RGB" and fmt == "JPEG":
        bare.save(out, "JPEG", quality=JPEG_QUALITY, optimize=True)
        kind = "jpeg"
    else:
        bare.save(out, "PNG", optimize=True)
        kind = "png"
    return Picture(out.getvalue(), kind, bare.width, bare.height)


def metadata_in(data: bytes) -> list[str]:
    """The metadata blocks a JPEG or PNG holds ('EXIF', 'XMP', 'ICC', 'IPTC', 'PNG text'): none for a
    picture made by ``picture``."""
    found: list[str] = []
    if data.startswith(b"\xff\xd8"):
        i = 2
        while i + 4 <= len(data) and data[i] == 0xFF:
            marker, size = data[i + 1], int.from_bytes(data[i + 2:i + 4], "big")
            if marker in (0xD9, 0xDA):  # end of image, start of scan: the headers are over
                break
            body = data[i + 4:i + 2 + size]
            if marker == 0xE1:
                found.append("EXIF" if body.startswith(b"Exif") else "XMP")
            elif marker == 0xE2 and body.startswith(b"ICC_PROFILE"):
                found.append("ICC")
            elif marker == 0xED:
                found.append("IPTC")
            i += 2 + size
    elif data.startswith(b"\x89PNG\r\n\x1a\n"):
        i = 8
        while i + 8 <= len(data):
            size, kind = int.from_bytes(data[i:i + 4], "big"), data[i + 4:i + 8]
            if kind == b"eXIf":
                found.append("EXIF")
            elif kind in (b"tEXt", b"zTXt", b"iTXt"):
                found.append("PNG text")
            elif kind == b"iCCP":
                found.append("ICC")
            if kind == b"IEND":
                break
            i += 12 + size
    return sorted(set(found))

"""A chat photo the handler decided 'openbaar' is shown in the bundle and its PDF as the picture itself.

Verified by content (PNG, JPEG, GIF only), bounded (a decompression bomb is refused and reported,
its file name stays), re-encoded so that no EXIF (GPS position, owner) reaches the package; a photo
with a box or decided 'deels openbaar' is kept out and the handler is told. Through the CLI, on a
real WhatsApp export from ../shared/samples and on photos built here.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from pathlib import Path

import docx
import pytest
from PIL import Image
from pypdf import PdfReader

from exports.ids import document_id
from exports.images import metadata_in
from tests.conftest import decide, sample, woo

GPS = {1: "N", 2: (52.0, 22.0, 7.25), 3: "E", 4: (4.0, 53.0, 11.5)}
OWNER = "Jan Jansen"


def gps_jpeg() -> bytes:
    """A photo as a phone writes it: EXIF with the owner, the camera and a GPS position."""
    im = Image.new("RGB", (1200, 900))
    im.putdata([(x % 256, (x // 7) % 256, 90) for x in range(1200 * 900)])
    exif = Image.Exif()
    exif[0x013B] = OWNER  # Artist
    exif[0x010F] = "Fairphone"  # Make
    exif[0x8825] = GPS  # GPSInfo
    out = io.BytesIO()
    im.save(out, "JPEG", exif=exif.tobytes(), quality=90)
    data = out.getvalue()
    assert metadata_in(data) == ["EXIF"] and OWNER.encode() in data
    return data


def bomb_png() -> bytes:
    """A small file that decodes to 400 million pixels."""
    out = io.BytesIO()
    Image.new("1", (20000, 20000)).save(out, "PNG")
    assert len(out.getvalue()) < 100_000
    return out.getvalue()


def bmp_named_jpg() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (10, 200, 10)).save(out, "BMP")
    return out.getvalue()


MEDIA = {"00000002-PHOTO-2025-03-11-09-02-00.jpg": gps_jpeg, "00000003-PHOTO-2025-03-11-09-03-00.png": bomb_png,
         "00000004-PHOTO-2025-03-11-09-04-00.jpg": bmp_named_jpg}


def whatsapp_zip(path: Path) -> Path:
    with zipfile.ZipFile(path, "w") as z:
        lines = ["[11-03-2025 09:00:00] Anne: Foto's van de windturbines bij de dijk\r\n"]
        for n, name in enumerate(MEDIA, 2):
            lines.append(f"\u200e[11-03-2025 09:0{n}:00] Bert: \u200e<bijgevoegd: {name}>\r\n")
        z.writestr("_chat.txt", "".join(lines))
        for name, make in MEDIA.items():
            z.writestr(name, make())
    return path


def media_parts(out: Path) -> dict[str, bytes]:
    parts = {}
    for f in (out / "documenten").glob("*.docx"):
        with zipfile.ZipFile(f) as z:
            parts.update({n: z.read(n) for n in z.namelist() if n.startswith("word/media/")})
    return parts


def pdf_images(path: Path) -> list:
    return [img for page in PdfReader(path).pages for img in page.images]


def bundle_text(out: Path) -> str:
    return "\n".join(p.text for f in sorted((out / "documenten").glob("*.docx")) for p in docx.Document(str(f)).paragraphs)


def photos_by_title(ws: Path, req: str) -> dict[str, str]:
    r = woo(ws, "request", "show", req, "--format", "json")
    return {d["title"]: d["nr"] for d in json.loads(r.stdout)["documents"] if d["kind"] == "attachment"}


def export(ws: Path, req: str, out: Path) -> dict:
    r = woo(ws, "request", "export", req, "--out", str(out), "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


def test_a_real_whatsapp_photo_is_shown_and_a_partly_public_one_kept_out(ws, tmp_path):
    folder = sample("DSA-WhatsApp-merger/Demo Data/Chats") / "Alice Wonderland" / "Export 1"
    if not folder.is_dir():
        pytest.skip(f"real sample {folder} not present (WOO_SAMPLES, default ../shared/samples)")
    r = woo(ws, "import", str(folder / "WhatsApp Chat with Test export.txt"), "--type", "whatsapp", "--custodian", "Alice")
    assert r.exit_code == 0, r.output
    woo(ws, "request", "create", "R3", "--subject", "manifesto", "--query", "Publicatieblad", "--from", "2022-05-01", "--to", "2022-05-31")
    assert woo(ws, "request", "collect", "R3").exit_code == 0
    nrs = photos_by_title(ws, "R3")
    shown, partly = nrs["IMG-20220502-WA0003.jpg"], nrs["IMG-20220502-WA0005.jpg"]
    decide(ws, "R3", tmp_path, {shown: ("openbaar", ""), partly: ("deels openbaar", "5.1.2e")})
    out = tmp_path / "pakket"
    result = export(ws, "R3", out)

    (data,) = media_parts(out).values()  # the one shown photo, once
    assert data.startswith(b"\xff\xd8\xff") and metadata_in(data) == []
    original = (folder / "IMG-20220502-WA0003.jpg").read_bytes()
    with Image.open(io.BytesIO(data)) as im, Image.open(io.BytesIO(original)) as orig:
        assert im.format == "JPEG" and im.size == orig.size  # 899 x 1599: under the size limit, not scaled
    assert data != original  # re-encoded, never the original's bytes
    assert len(pdf_images(out / "documenten" / f"{document_id('R3', shown)}.pdf")) == 1
    assert pdf_images(out / "documenten" / f"{document_id('R3', partly)}.pdf") == []
    text = bundle_text(out)
    assert "IMG-20220502-WA0003.jpg" in text and "IMG-20220502-WA0005.jpg" in text  # the file names stay
    (warning,) = [w for w in result["warnings"] if w.startswith(f"document {partly}:")]
    assert "photo not shown" in warning and "deels openbaar" in warning and "cannot be partly redacted" in warning


def test_exif_never_reaches_the_package_and_a_bomb_or_a_disguised_file_is_refused(ws, tmp_path):
    r = woo(ws, "import", str(whatsapp_zip(tmp_path / "WhatsApp Chat - Windpark.zip")), "--type", "whatsapp",
            "--custodian", "Anne")
    assert r.exit_code in (0, 3), r.output
    woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-11", "--to", "2025-03-11")
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    nrs = photos_by_title(ws, "R1")
    gps, bomb, bmp = (nrs[name] for name in MEDIA)
    decide(ws, "R1", tmp_path, {nr: ("openbaar", "") for nr in (gps, bomb, bmp)})
    out = tmp_path / "pakket"
    result = export(ws, "R1", out)

    (data,) = media_parts(out).values()  # the GPS photo only
    assert metadata_in(data) == [] and b"Exif" not in data and OWNER.encode() not in data and b"Fairphone" not in data
    with Image.open(io.BytesIO(data)) as im:
        assert im.size == (1200, 900) and not im.getexif() and "exif" not in im.info
    pdf = out / "documenten" / f"{document_id('R1', gps)}.pdf"
    assert len(pdf_images(pdf)) == 1
    raw = pdf.read_bytes()
    assert b"Exif" not in raw and OWNER.encode() not in raw and b"Fairphone" not in raw
    for f in out.rglob("*"):  # not anywhere in the package
        if f.is_file():
            assert OWNER.encode() not in f.read_bytes() and b"Fairphone" not in f.read_bytes(), f

    notes = {w.split(":", 1)[0]: w for w in result["warnings"]}
    assert re.search(r"20000 x 20000 pixels|decompression bomb", notes[f"document {bomb}"])
    assert "not a PNG, JPEG or GIF" in notes[f"document {bmp}"]
    assert f"document {gps}" not in notes
    for nr in (bomb, bmp):
        assert pdf_images(out / "documenten" / f"{document_id('R1', nr)}.pdf") == []
    text = bundle_text(out)
    assert all(name in text for name in MEDIA)  # every file name stays
    assert text.count("[afbeelding niet weergegeven]") == 2


def test_the_office_check_refuses_a_word_file_whose_picture_holds_exif(tmp_path):
    from exports.bundle import new_document
    from exports.clean import audit

    doc = new_document("Gemeente Test", "t", None, footer="t")
    doc.add_picture(io.BytesIO(gps_jpeg()))  # python-docx embeds the bytes as given, EXIF and all
    doc.save(str(tmp_path / "t.docx"))
    assert any("image metadata (EXIF)" in p for p in audit(tmp_path / "t.docx", "Gemeente Test"))


def test_a_photo_decided_openbaar_with_a_box_on_its_file_name_is_kept_out(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from export_corpus import ORG, documents, request_info

    from exports import write_package
    from woo_collector.documents import Document, Redaction
    from woo_collector.models import Item

    original = tmp_path / "store" / "photo.jpg"
    original.parent.mkdir()
    original.write_bytes(gps_jpeg())
    name = "foto-Anna de Boer.jpg"
    photo = Item(id="p1", kind="attachment", source="wa", custodian="x", sha256="ab" * 32, subject=name,
                 platform="whatsapp", parent="chat1")
    box = Redaction("p1", "filename", 5, 18, "Anna de Boer", "name", "5.1.2e", key="p1-name")
    clean = Item(id="p2", kind="attachment", source="wa", custodian="x", sha256="cd" * 32, subject="foto.jpg",
                 platform="whatsapp", parent="chat1")
    docs = documents() + [
        Document("2.1", "2", "attachment", "image", None, name, (photo,), decision="openbaar", redactions=(box,)),
        Document("2.2", "2", "attachment", "image", None, "foto.jpg", (clean,), decision="openbaar")]
    result = write_package(request_info(), docs, tmp_path / "pakket", organisation=ORG, tool_version="t",
                           original_path=lambda sha: original)
    assert len(media_parts(tmp_path / "pakket")) == 1  # 2.2 only
    (note,) = [w for w in result.warnings if w.startswith("document 2.1:")]
    assert "a box applies to it (5.1.2e)" in note and "cannot be partly redacted" in note
    assert not any(w.startswith("document 2.2:") for w in result.warnings)

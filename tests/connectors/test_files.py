"""The files connector on folders and zips of documents built here (docx, xlsx, pptx, pdf, odt,
mail), on real samples in place, and on hostile input: zip bombs, path traversal, zips nested too
deep, broken documents and a 2 GB file, each refused in bounded time and memory."""

from __future__ import annotations

import hashlib
import io
import os
import threading
import time
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
import test_documents as docs
from conftest import MemorySink, drain, run_connector, sample

from connectors.base import SourceSpec
from connectors.files import FilesConnector
from woo_collector.errors import ConnectorError
from woo_collector.safezip import MAX_DEPTH

MAIL = (b"From: Sanne de Vries <s.devries@gemeente.example>\r\nTo: team@gemeente.example\r\n"
        b"Subject: Windturbines Kraaiennest\r\nDate: Tue, 11 Mar 2025 09:14:00 +0100\r\n"
        b"Message-ID: <abc@gemeente.example>\r\n\r\nBeste collega's, de notitie volgt.\r\n")
MBOX = (b"From sanne@gemeente.example Tue Mar 11 09:14:00 2025\n" + MAIL.replace(b"\r\n", b"\n")
        + b"\nFrom jan@gemeente.example Wed Mar 12 10:00:00 2025\nFrom: Jan <jan@gemeente.example>\n"
        + b"Subject: Re: Windturbines\nDate: Wed, 12 Mar 2025 10:00:00 +0100\nMessage-ID: <def@gemeente.example>\n\nAkkoord.\n")


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, (2025, 3, 11, 9, 14, 0)), data, compress_type=zipfile.ZIP_DEFLATED)
    return buf.getvalue()


def connector(path: Path, sink: MemorySink | None = None, **settings) -> FilesConnector:
    spec = SourceSpec(name="test-files", type="files", path=str(path), custodian="tester", settings=settings)
    return FilesConnector(spec, sink or MemorySink())


class PathSink(MemorySink):
    """A sink that is handed big originals as paths (the real store streams those to disk) and
    records them without reading; small ones are kept in memory as usual."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[Path] = []

    def keep(self, data, name: str = "") -> str:
        if isinstance(data, (str, Path)) and os.path.getsize(data) > 1024 * 1024:
            self.paths.append(Path(data))
            return sha(f"{data}:{os.path.getsize(data)}".encode())
        return super().keep(data, name)


class PeakRss:
    """The growth of this process's resident memory while the block runs, sampled every 5 ms."""

    def __enter__(self) -> PeakRss:
        psutil = pytest.importorskip("psutil")
        self._proc = psutil.Process()
        self.base = self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()
        return self

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(0.005)

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self.peak = max(self.peak, self._proc.memory_info().rss)

    @property
    def growth_mb(self) -> float:
        return (self.peak - self.base) / 1024**2


@pytest.fixture
def project(tmp_path) -> Path:
    """A shared project folder as a department keeps it."""
    root = tmp_path / "Windturbines Kraaiennest"
    (root / "Raad").mkdir(parents=True)
    (root / "Raad" / "Raadsvoorstel.docx").write_bytes(docs.build_docx())
    (root / "Begroting.xlsx").write_bytes(docs.build_xlsx())
    (root / "Bewonersavond.pptx").write_bytes(docs.build_pptx())
    (root / "Besluit.pdf").write_bytes(docs.build_pdf(["Besluit op het Woo-verzoek"], {"Author": "Gemeente", "ModDate": "D:20250312100000Z"}))
    (root / "Voorstel.odt").write_bytes(docs.build_odt())
    (root / "Mail van Sanne.eml").write_bytes(MAIL)
    (root / "lijst.csv").write_bytes(b"naam;straat\nJan;Dorpsstraat 1\n")
    (root / "foto.jpg").write_bytes(b"\xff\xd8\xff\xe0" + bytes(200))
    (root / ".DS_Store").write_bytes(b"verborgen")
    os.utime(root / "lijst.csv", (1741684440, 1741684440))  # 2025-03-11 09:14 UTC
    return root


def by_subject(items) -> dict:
    return {i.subject: i for i in items}


def test_folder_of_documents(project):
    sink = MemorySink()
    out = drain(connector(project, sink))
    assert out["failures"] == []
    items = by_subject(out["items"])
    assert set(items) == {"Raadsvoorstel.docx", "Begroting.xlsx", "Bewonersavond.pptx", "Besluit.pdf", "Voorstel.odt",
                          "Windturbines Kraaiennest", "lijst.csv", "foto.jpg"}
    doc = items["Raadsvoorstel.docx"]
    assert doc.kind == "file" and doc.locator == "Raad/Raadsvoorstel.docx"
    assert "Pieter van der Meulen\twethouder\t06-12345678" in doc.body
    assert doc.sent == datetime(2025, 3, 11, 9, 14, 30, tzinfo=timezone.utc)
    assert doc.sender == ""
    assert doc.meta["author"] == "Sanne de Vries" and doc.filetype == "doc"
    assert doc.meta["path"] == "Raad/Raadsvoorstel.docx" and doc.meta["size"] == len(docs.build_docx())
    assert sink.blobs[doc.sha256] == (project / "Raad" / "Raadsvoorstel.docx").read_bytes()
    assert "Spreker: noem de klachten" in items["Bewonersavond.pptx"].body
    assert items["Besluit.pdf"].meta["pages"] == 1 and items["Besluit.pdf"].sent == datetime(2025, 3, 12, 10, tzinfo=timezone.utc)
    assert items["Voorstel.odt"].meta["lastModifiedBy"] == "Els de Wit"
    assert items["lijst.csv"].sent == datetime(2025, 3, 11, 9, 14, tzinfo=timezone.utc)  # no metadata: the file's mtime
    photo = items["foto.jpg"]
    assert photo.body == "" and photo.filetype == "image" and photo.sha256 in sink.blobs
    mail = items["Windturbines Kraaiennest"]
    assert mail.kind == "email" and mail.sender == "Sanne de Vries <s.devries@gemeente.example>"
    assert mail.locator == "Mail van Sanne.eml" and "notitie volgt" in mail.body
    assert len({c.key for c in out["checkpoints"]}) == 8


def test_rerun_adds_nothing_and_ids_are_stable(project):
    sink = MemorySink()
    first = drain(connector(project, sink))
    again = drain(connector(project, sink))
    assert again["items"] == [] and again["failures"] == []
    fresh = drain(connector(project, MemorySink()))
    assert sorted(i.id for i in fresh["items"]) == sorted(i.id for i in first["items"])


def test_same_document_twice_is_listed_once(tmp_path):
    data = docs.build_docx()
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "kopie.docx").write_bytes(data)
    (tmp_path / "origineel.docx").write_bytes(data)
    out = drain(connector(tmp_path))
    assert len(out["items"]) == 1


def test_zip_download_with_nested_zip(tmp_path):
    inner = zip_bytes({"bijlagen/Besluit.pdf": docs.build_pdf(["Besluit"]), "notitie.txt": "Geachte heer Müller".encode("cp1252")})
    outer = zip_bytes({
        "wetransfer/Raadsvoorstel.docx": docs.build_docx(),
        "wetransfer/bijlagen.zip": inner,
        "wetransfer/mail.eml": MAIL,
        "__MACOSX/wetransfer/._Raadsvoorstel.docx": b"junk",
    })
    path = tmp_path / "wetransfer_2025-03-11.zip"
    path.write_bytes(outer)
    sink = MemorySink()
    out = drain(connector(path, sink))
    assert out["failures"] == []
    locs = {i.locator: i for i in out["items"]}
    assert set(locs) == {
        "wetransfer_2025-03-11.zip!/wetransfer/Raadsvoorstel.docx",
        "wetransfer_2025-03-11.zip!/wetransfer/bijlagen.zip!/bijlagen/Besluit.pdf",
        "wetransfer_2025-03-11.zip!/wetransfer/bijlagen.zip!/notitie.txt",
        "wetransfer_2025-03-11.zip!/wetransfer/mail.eml",
    }
    note = locs["wetransfer_2025-03-11.zip!/wetransfer/bijlagen.zip!/notitie.txt"]
    assert note.body == "Geachte heer Müller" and note.subject == "notitie.txt"
    assert note.sent == datetime(2025, 3, 11, 8, 14, tzinfo=timezone.utc)  # zip time, Dutch local time
    assert sink.blobs[note.sha256] == "Geachte heer Müller".encode("cp1252")
    assert sha(outer) in sink.blobs and sha(inner) in sink.blobs
    keys = {c.key for c in out["checkpoints"]}
    assert f"file:{sha(outer)}" in keys and f"file:{sha(inner)}" in keys
    assert drain(connector(path, sink))["items"] == []


def test_zip_score_and_detection(tmp_path, project):
    office = tmp_path / "x.docx"
    office.write_bytes(docs.build_docx())
    plain = tmp_path / "download.zip"
    plain.write_bytes(zip_bytes({"a.txt": b"a"}))
    chat = tmp_path / "WhatsApp Chat - Team.zip"
    chat.write_bytes(zip_bytes({"_chat.txt": b"[11-03-2025 09:14:00] Jan: hoi"}))
    pdf = tmp_path / "besluit.pdf"
    pdf.write_bytes(docs.build_pdf(["x"]))

    def score(p: Path) -> float:
        head = p.read_bytes()[:65536] if p.is_file() else b""
        return FilesConnector.score(p, head)

    assert score(project) == 0.2
    assert score(plain) == 0.6
    assert score(chat) < 0.5
    assert score(office) == 0.7 and score(pdf) == 0.7
    import connectors

    assert connectors.detect(plain)[0] == "files"
    assert connectors.detect(office)[0] == "files"


def test_single_zip_bomb_is_refused_with_the_file_name(tmp_path):
    path = tmp_path / "bom.zip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf, zf.open("nullen.bin", "w") as f:
        for _ in range(200):
            f.write(bytes(1024 * 1024))
    start = time.monotonic()
    with PeakRss() as rss, pytest.raises(ConnectorError) as e:
        drain(connector(path))
    assert time.monotonic() - start < 2 and rss.growth_mb < 50
    assert "zip bomb" in e.value.reason and "bom.zip" in str(e.value)


def test_zip_bomb_inside_a_folder_is_a_failure_and_the_run_goes_on(tmp_path):
    with zipfile.ZipFile(tmp_path / "bom.zip", "w", zipfile.ZIP_DEFLATED) as zf, zf.open("nullen.bin", "w") as f:
        for _ in range(200):
            f.write(bytes(1024 * 1024))
    (tmp_path / "brief.txt").write_text("gewone brief")
    out = drain(connector(tmp_path))
    assert [i.subject for i in out["items"] if not i.meta.get("problems")] == ["brief.txt"]
    [failure] = out["failures"]
    assert failure.path.endswith("bom.zip") and "zip bomb" in failure.reason
    assert failure.sha256 == sha((tmp_path / "bom.zip").read_bytes())
    refused = by_subject(out["items"])["bom.zip"]
    assert refused.filetype == "archive" and "zip bomb" in refused.meta["problems"][0]
    assert f"file:{failure.sha256}" not in {c.key for c in out["checkpoints"]}  # tried again next run


@pytest.mark.parametrize("member", ["../../etc/cron.d/evil", "/etc/passwd"])
def test_zip_with_traversal_lists_that_member_and_reads_the_rest(tmp_path, member):
    path = tmp_path / "download.zip"
    path.write_bytes(zip_bytes({"ok.txt": b"ok", member: b"evil"}))
    out = drain(connector(path))
    assert [i.subject for i in out["items"]] == ["ok.txt"]
    [failure] = out["failures"]
    assert "path traversal" in failure.reason and failure.path == str(path) and failure.locator == member
    assert failure.sha256 == sha(path.read_bytes())
    assert f"file:{failure.sha256}" not in {c.key for c in out["checkpoints"]}  # tried again next run


def test_zip_with_only_a_traversal_member_is_refused(tmp_path):
    path = tmp_path / "download.zip"
    path.write_bytes(zip_bytes({"/etc/passwd": b"evil"}))
    with pytest.raises(ConnectorError) as e:
        drain(connector(path))
    assert "path traversal" in e.value.reason and "download.zip" in str(e.value)


def test_zip_nested_deeper_than_max_depth(tmp_path):
    data = zip_bytes({"diepste.txt": b"bodem"})
    for level in range(MAX_DEPTH + 1, 0, -1):
        data = zip_bytes({f"niveau{level}.zip": data, f"los{level}.txt": f"niveau {level}".encode()})
    path = tmp_path / "matroesjka.zip"
    path.write_bytes(data)
    out = drain(connector(path))
    bodies = {i.body for i in out["items"]}
    assert {f"niveau {n}" for n in range(1, MAX_DEPTH + 1)} <= bodies
    assert "bodem" not in bodies and f"niveau {MAX_DEPTH + 1}" not in bodies
    [failure] = out["failures"]
    # matroesjka.zip is level 1, niveau1.zip level 2, ...: niveau{MAX_DEPTH}.zip is one too deep
    assert "nested" in failure.reason and failure.locator.endswith(f"niveau{MAX_DEPTH}.zip")
    assert failure.path == str(path)


def test_broken_document_is_listed_reported_and_retried(tmp_path):
    data = docs.build_docx()
    (tmp_path / "half.docx").write_bytes(data[: len(data) // 2])
    (tmp_path / "bom.docx").write_bytes(docs.replace_parts(data, {"word/document.xml": docs.BILLION_LAUGHS}))
    sink = MemorySink()
    start = time.monotonic()
    out = drain(connector(tmp_path, sink))
    assert time.monotonic() - start < 3
    items = by_subject(out["items"])
    assert items["half.docx"].body == "" and "zip" in items["half.docx"].meta["problems"][0]
    assert "XML bomb" in items["bom.docx"].meta["problems"][0]
    assert {f.path for f in out["failures"]} == {str(tmp_path / "half.docx"), str(tmp_path / "bom.docx")}
    assert all(f.sha256 in sink.blobs for f in out["failures"])
    assert out["checkpoints"] == []
    assert len(drain(connector(tmp_path, sink))["failures"]) == 2


def test_protected_pdf_is_reported(tmp_path):
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(docs.build_pdf(["geheim"]))))
    writer.encrypt(user_password="geheim", algorithm="AES-128")
    writer.write(tmp_path / "slot.pdf")
    out = drain(connector(tmp_path / "slot.pdf"))
    assert out["items"][0].meta["problems"][0].startswith("document is protected with a password")
    assert out["failures"][0].reason.startswith("document is protected with a password")


def test_scan_without_text_layer_is_flagged(tmp_path):
    (tmp_path / "scan.pdf").write_bytes(docs.build_pdf([""]))
    [item] = drain(connector(tmp_path, ocr="no"))["items"]
    assert item.meta["no_text_layer"] is True and item.body == "" and "ocr" not in item.meta


def test_two_gigabyte_file_is_kept_not_read(tmp_path):
    path = tmp_path / "groot.pdf"
    with open(path, "wb") as f:
        f.truncate(2 * 1024**3)
    sink = PathSink()
    start = time.monotonic()
    with PeakRss() as rss:
        out = drain(connector(tmp_path, sink))
    assert time.monotonic() - start < 3 and rss.growth_mb < 50
    assert sink.paths == [path]  # handed over as a path, to be streamed into the store
    [item] = out["items"]
    assert item.body == "" and item.meta["size"] == 2 * 1024**3 and "larger than" in item.meta["problems"][0]
    [failure] = out["failures"]
    assert "kept, text not extracted" in failure.reason and failure.sha256 == item.sha256


def test_long_single_line_text_is_truncated_and_reported(tmp_path):
    path = tmp_path / "een-regel.txt"
    with open(path, "wb") as f:
        for _ in range(100):
            f.write(b"woord " * 174763)
    start = time.monotonic()
    with PeakRss() as rss:
        out = drain(connector(path))
    assert time.monotonic() - start < 15 and rss.growth_mb < 600
    [item] = out["items"]
    assert item.meta["truncated"] is True and item.body.startswith("woord woord")
    assert "only the beginning is indexed" in out["failures"][0].reason


def test_mail_files_inside_are_handed_to_the_mail_connectors(tmp_path):
    msg = sample("ingest-file/tests/fixtures/piste.msg").read_bytes()
    (tmp_path / "post.zip").write_bytes(zip_bytes({"archief/plan.mbox": MBOX, "archief/piste.msg": msg}))
    (tmp_path / "Inbox").write_bytes(MBOX)
    out = drain(connector(tmp_path))
    assert out["failures"] == []
    mails = [i for i in out["items"] if i.kind == "email"]
    subjects = sorted(i.subject for i in mails)
    assert subjects.count("Windturbines Kraaiennest") == 1  # the same mbox twice (loose and in the zip): read once
    assert "Ab auf die Piste!" in subjects and "Re: Windturbines" in subjects
    piste = next(i for i in mails if i.subject == "Ab auf die Piste!")
    assert piste.locator == "post.zip!/archief/piste.msg" and piste.meta["files_path"] == "post.zip!/archief/piste.msg"
    assert not any(c.key.startswith("mbox:") and "woo-files-" in c.key for c in out["checkpoints"])


def test_real_pdfs_in_place():
    folder = sample("DSA-WhatsApp-merger/Demo Data/Chats/Carol Christmas/Export Carol")
    out = run_connector("files", folder)
    assert out["failures"] == []
    # DOC-20220502-WA0006 and DOC-20220502-WA0006.pdf hold the same bytes: listed once, recognised by content
    assert sorted(i.subject for i in out["items"]) == [
        "DOC-20220502-WA0006", "IMG-20220502-WA0001.jpg", "IMG-20220502-WA0005.jpg", "IMG-20220502-WA0007.jpg",
        "WhatsApp-chat met Test export.txt"]
    pdf = out["items"][0]
    assert pdf.filetype == "pdf" and pdf.meta["pages"] == 6 and pdf.meta["author"] == "Publications Office"
    assert pdf.sent == datetime(2017, 5, 18, 16, 44, 37, tzinfo=timezone.utc)
    assert "UITVOERINGSBESLUIT" in pdf.body


def test_empty_and_missing_input(tmp_path):
    assert drain(connector(tmp_path)) == {"items": [], "failures": [], "deletions": [], "checkpoints": []}
    (tmp_path / "leeg.txt").write_bytes(b"")
    [item] = drain(connector(tmp_path))["items"]
    assert item.body == "" and item.meta["size"] == 0
    with pytest.raises(ConnectorError, match="no such file"):
        drain(connector(tmp_path / "bestaat-niet"))


def test_pipe_and_unreadable_file_in_a_folder_are_failures(tmp_path):
    os.mkfifo(tmp_path / "pijp")
    (tmp_path / "brief.txt").write_text("gewone brief")
    start = time.monotonic()
    out = drain(connector(tmp_path))
    assert time.monotonic() - start < 2
    assert [i.subject for i in out["items"]] == ["brief.txt"]
    [failure] = out["failures"]
    assert failure.path == str(tmp_path / "pijp") and "not a regular file" in failure.reason


def test_loose_outlook_message_in_a_folder(tmp_path):
    (tmp_path / "post").mkdir()
    (tmp_path / "post" / "piste.msg").write_bytes(sample("ingest-file/tests/fixtures/piste.msg").read_bytes())
    sink = MemorySink()
    out = drain(connector(tmp_path, sink))
    mail = next(i for i in out["items"] if i.kind == "email")
    assert mail.subject == "Ab auf die Piste!" and mail.locator == "post/piste.msg"
    assert out["failures"] == [] and drain(connector(tmp_path, sink))["items"] == []


# --- OCR, where Tesseract is installed ---------------------------------------------------------

def rendered_png(text: str, tmp_path: Path) -> bytes:
    """``text`` in large type, rendered to a greyscale PNG by pdftoppm."""
    import shutil
    import subprocess

    if not (shutil.which("tesseract") and shutil.which("pdftoppm")):
        pytest.skip("OCR needs tesseract and pdftoppm, which are not installed here")
    pdf = tmp_path / "bron.pdf"
    pdf.write_bytes(docs.build_pdf([text]).replace(b"/F1 12 Tf 72 720 Td", b"/F1 28 Tf 40 700 Td"))
    subprocess.run(["pdftoppm", "-r", "150", "-gray", "-png", "-singlefile", str(pdf), str(tmp_path / "bron")], check=True)
    return (tmp_path / "bron.png").read_bytes()


def image_only_pdf(png: bytes) -> bytes:
    """A PDF holding one 8-bit PNG as an image and no text layer: what a scanner writes.
    The PNG's compressed rows go into the PDF unchanged (FlateDecode with PNG predictors)."""
    pos, idat, width, height, colors = 8, b"", 0, 0, 1
    while pos < len(png):
        length = int.from_bytes(png[pos:pos + 4], "big")
        kind, body = png[pos + 4:pos + 8], png[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            width, height = int.from_bytes(body[:4], "big"), int.from_bytes(body[4:8], "big")
            assert body[8] == 8 and body[9] in (0, 2), "expects 8-bit grey or RGB"
            colors = 1 if body[9] == 0 else 3
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    content = b"q 612 0 0 %d 0 0 cm /Im1 Do Q" % (612 * height // width)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /XObject << /Im1 4 0 R >> >> /Contents 5 0 R >>",
        b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /Device%s /BitsPerComponent 8 /Filter /FlateDecode "
        b"/DecodeParms << /Predictor 15 /Colors %d /BitsPerComponent 8 /Columns %d >> /Length %d >>\nstream\n"
        % (width, height, b"Gray" if colors == 1 else b"RGB", colors, width, len(idat))
        + idat + b"\nendstream",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for n, obj in enumerate(objects, 1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + obj + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def test_scanned_pdf_and_photo_are_read_with_tesseract(tmp_path):
    png = rendered_png("Windturbine Kraaiennest vergunning", tmp_path)
    folder = tmp_path / "scans"
    folder.mkdir()
    (folder / "scan.pdf").write_bytes(image_only_pdf(png))
    (folder / "foto.png").write_bytes(png)
    default = by_subject(drain(connector(folder))["items"])
    scan = default["scan.pdf"]
    assert scan.meta["no_text_layer"] is True and scan.meta["ocr"] is True
    assert "Kraaiennest" in scan.body
    assert default["foto.png"].body == ""  # photos only with ocr=all
    everything = drain(connector(folder, MemorySink(), ocr="all"))
    assert everything["failures"] == []
    photo = by_subject(everything["items"])["foto.png"]
    assert "Kraaiennest" in photo.body and photo.meta["ocr"] is True
    quiet = drain(connector(folder, MemorySink(), ocr="no"))
    assert all(i.body == "" for i in quiet["items"])


def test_pst_inside_a_zip_goes_to_the_pst_connector(tmp_path):
    pytest.importorskip("pypff")
    pst = sample("ingest-file/tests/fixtures/testPST.pst").read_bytes()
    (tmp_path / "export.zip").write_bytes(zip_bytes({"testPST.pst": pst}))
    out = drain(connector(tmp_path / "export.zip"))
    assert out["failures"] == []
    mails = [i for i in out["items"] if i.kind == "email"]
    assert len(mails) == 6 and "Feature Generators" in {m.subject for m in mails}
    assert all(m.locator.startswith("export.zip!/testPST.pst#") for m in mails)
    assert f"file:{sha(pst)}" in {c.key for c in out["checkpoints"]}

"""PDF: one file per released document (``documenten/<ID>.pdf``), and optional PDF copies of the
Word files through LibreOffice.

**Per document** (always written): every ``openbaar`` and ``deels openbaar`` document, family
members as their own files, named by its alphanumeric ID (``ids.document_id``), so the national
Woo platform links each file to its inventory row. The content is exactly what the bundle shows
for that document: ``BundleWriter.document_xml`` gives its paragraphs as WordprocessingML, which
``paragraphs`` reads back into styled runs, and reportlab sets them in DejaVu Sans (Latin, Greek,
Cyrillic and more; ``FONT_DIRS``). So the redaction is burned in by construction: a redacted span
never reaches the PDF, it was already replaced by its box, a black rectangle carrying the ground
code (``5.1.2e``) as real white text. Everything else is a real text layer. Each page carries the
document number and ID in its header and the page number in its footer. Document properties
(Author, Creator, Producer) and the XMP metadata stream name the organisation and nothing else;
the title is the document's ID; reportlab's ``invariant`` mode (a fixed date, 2000-01-01, and a
fixed file ID), so a re-export writes the same bytes. The documents are set by two worker processes (``workers``), one per core.

Measured on bench/bench_export.py's 2,000 documents (bench/RESULTS.md, bench/bench_pdf.py): reportlab about 30 ms a
document; LibreOffice as a converter about ten times that, so LibreOffice is kept only for the
optional ``--pdf`` copies of the bundles, the inventory and the draft letter (``convert``), and for
the handler's edited decision letter (``finalise``).

**Through LibreOffice**: ``soffice --headless --convert-to pdf`` renders each docx with a real
text layer (the boxes are text too). A private LibreOffice profile in a temporary folder keeps
parallel runs and a user's open LibreOffice apart.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import unicodedata
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Sequence
from xml.sax.saxutils import escape

from lxml import etree

from woo_collector.children import die_with_parent
from exports.bundle import EMU_PER_CM, PICTURE_STYLE, picture_size
from exports.render import W_NS, box_text
from woo_collector.errors import ExportError

FONT_DIRS = ("/usr/share/fonts/truetype/dejavu", "/usr/share/fonts/dejavu", "/usr/local/share/fonts/dejavu",
             "/usr/share/fonts/TTF")
FONT = "DejaVuSans"
FONT_BOLD = "DejaVuSans-Bold"
_W = f"{{{W_NS}}}"


# reading the bundle's paragraphs back --------------------------------------------------------

@dataclass(frozen=True)
class Span:
    """A piece of a paragraph: text (``\\n`` is a line break), bold, or a box with its code."""

    text: str
    bold: bool = False
    box: bool = False


@dataclass(frozen=True)
class Para:
    style: str  # "Heading1", "NoSpacing", "Title", "" ...
    spans: tuple[Span, ...]


def paragraphs(fragments: Iterable[str]) -> list[Para]:
    """The w:p fragments of one document (``BundleWriter.document_xml``) as paragraphs of spans.

    A run shaded black (the bundle's box) becomes a box span; its text is the ground code the
    bundle put there, never the redacted text. Unknown elements contribute their text.
    """
    root = etree.fromstring(f'<w:body xmlns:w="{W_NS}">{"".join(fragments)}</w:body>'.encode("utf-8"))
    out = []
    for p in root.iter(f"{_W}p"):
        style_el = p.find(f"{_W}pPr/{_W}pStyle")
        style = style_el.get(f"{_W}val") if style_el is not None else ""
        spans: list[Span] = []
        for r in p.iter(f"{_W}r"):
            rpr = r.find(f"{_W}rPr")
            bold = rpr is not None and rpr.find(f"{_W}b") is not None
            shd = rpr.find(f"{_W}shd") if rpr is not None else None
            box = shd is not None and (shd.get(f"{_W}fill") or "").upper() == "000000"
            text = []
            for el in r:
                tag = el.tag.rsplit("}", 1)[-1] if isinstance(el.tag, str) else ""
                if tag == "t":
                    text.append(el.text or "")
                elif tag in ("br", "cr"):
                    text.append("\n")
                elif tag == "tab":
                    text.append("\t")
            if text:
                spans.append(Span("".join(text), bold, box))
        out.append(Para(style, tuple(spans)))
    return out


# setting them with reportlab ---------------------------------------------------------------

def font_path(name: str) -> Path:
    for d in FONT_DIRS:
        p = Path(d) / f"{name}.ttf"
        if p.is_file():
            return p
    raise ExportError(f"font {name}.ttf not found in {', '.join(FONT_DIRS)}: install fonts-dejavu-core")


_registered = False


def _register_fonts() -> None:
    global _registered
    if _registered:
        return
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    pdfmetrics.registerFont(TTFont(FONT, str(font_path(FONT))))
    pdfmetrics.registerFont(TTFont(FONT_BOLD, str(font_path(FONT_BOLD))))
    addMapping(FONT, 0, 0, FONT)
    addMapping(FONT, 1, 0, FONT_BOLD)
    addMapping(FONT, 0, 1, FONT)
    addMapping(FONT, 1, 1, FONT_BOLD)
    _registered = True


def _styles():
    from reportlab.lib.styles import ParagraphStyle

    base = ParagraphStyle("Normal", fontName=FONT, fontSize=10, leading=13.5, spaceAfter=4)
    return {
        "": base,
        "NoSpacing": ParagraphStyle("NoSpacing", parent=base, spaceAfter=0),
        "Heading1": ParagraphStyle("Heading1", parent=base, fontName=FONT_BOLD, fontSize=15, leading=19,
                                   spaceBefore=0, spaceAfter=8),
        "Heading2": ParagraphStyle("Heading2", parent=base, fontName=FONT_BOLD, fontSize=12, leading=16, spaceAfter=6),
        "Title": ParagraphStyle("Title", parent=base, fontName=FONT_BOLD, fontSize=18, leading=23, spaceAfter=10),
    }


def _markup(spans: Sequence[Span]) -> str:
    """reportlab paragraph markup of spans: the box is white bold text on black."""
    out = []
    for s in spans:
        text = escape(box_text(s.text.strip()) if s.box else s.text)
        text = text.replace("\t", "    ").replace("\n", "<br/>")
        if s.box:
            out.append(f'<font name="{FONT_BOLD}" color="white" backColor="black">{text}</font>')
        elif s.bold:
            out.append(f'<font name="{FONT_BOLD}">{text}</font>')
        else:
            out.append(text)
    return "".join(out)


def _xmp(organisation: str, title: str) -> bytes:
    org, title = escape(organisation), escape(title)
    return ('<?xpacket begin="\ufeff" id="W5M0MpCehiHzreSzNTczkc9d"?>\n'
            '<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
            '<rdf:Description rdf:about="" xmlns:dc="http://purl.org/dc/elements/1.1/" '
            'xmlns:pdf="http://ns.adobe.com/pdf/1.3/" xmlns:xmp="http://ns.adobe.com/xap/1.0/">'
            f'<dc:creator><rdf:Seq><rdf:li>{org}</rdf:li></rdf:Seq></dc:creator>'
            f'<dc:title><rdf:Alt><rdf:li xml:lang="x-default">{title}</rdf:li></rdf:Alt></dc:title>'
            f'<pdf:Producer>{org}</pdf:Producer><xmp:CreatorTool>{org}</xmp:CreatorTool>'
            '</rdf:Description></rdf:RDF></x:xmpmeta>\n<?xpacket end="w"?>').encode("utf-8")


@dataclass(frozen=True)
class Job:
    """One PDF to write: ``fragments`` are the document's w:p paragraphs from the bundle writer."""

    path: str
    doc_id: str
    nr: str
    header: str  # "Woo-verzoek WOO-2025-014"
    organisation: str
    fragments: tuple[str, ...]
    picture: bytes | None = None  # the cleaned photo (images.picture) where ``fragments`` hold bundle.PICTURE_MARK


def write_one(job: Job) -> str:
    """Write one document's PDF; returns its path."""
    return _write_one(job)[0]


def _write_one(job: Job) -> tuple[str, list[str]]:
    """Write one document's PDF; returns its path and the characters the font cannot show."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import cm
    from reportlab.pdfbase.pdfdoc import XMP
    from reportlab.platypus import Paragraph, SimpleDocTemplate

    _register_fonts()
    styles = _styles()
    story = []
    paras = paragraphs(job.fragments)
    for p in paras:
        if p.style == PICTURE_STYLE:
            if job.picture is not None:
                story.append(_picture_flowable(job.picture))
            continue
        style = styles.get(p.style, styles[""])
        story.append(Paragraph(_markup(p.spans) or "&nbsp;", style))
    if not story:
        story.append(Paragraph(f"Document {escape(job.nr)}", styles["Heading1"]))
    head = f"{job.header} · document {job.nr} · {job.doc_id}"

    def page(canvas, doc):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.setFillGray(0.35)
        canvas.drawString(2.5 * cm, A4[1] - 1.5 * cm, head)
        canvas.drawRightString(A4[0] - 2.5 * cm, 1.3 * cm, f"pagina {doc.page}")
        canvas.restoreState()

    def meta(canvas, doc):
        page(canvas, doc)
        if doc.page == 1:
            canvas._doc.Catalog.Metadata = XMP(creator=lambda _doc: _xmp(job.organisation, job.doc_id))

    template = SimpleDocTemplate(job.path, pagesize=A4, leftMargin=2.5 * cm, rightMargin=2.5 * cm,
                                 topMargin=2.2 * cm, bottomMargin=2.2 * cm, title=job.doc_id,
                                 author=job.organisation, creator=job.organisation, subject="", keywords="",
                                 producer=job.organisation, invariant=1, lang="nl", initialFontName=FONT)
    template.build(story, onFirstPage=meta, onLaterPages=page)
    return job.path, uncovered(paras)


def _picture_flowable(data: bytes):
    """The photo at 96 dpi, scaled down to the bundle's size (``bundle.picture_size``), centred. The bytes
    are the cleaned picture (``images.picture``): reportlab embeds a JPEG as given."""
    import io

    from reportlab.lib.units import cm
    from reportlab.lib.utils import ImageReader
    from reportlab.platypus import Image

    w, h = ImageReader(io.BytesIO(data)).getSize()
    cx, cy = picture_size(w, h)
    return Image(io.BytesIO(data), width=cx / EMU_PER_CM * cm, height=cy / EMU_PER_CM * cm, hAlign="CENTER")


RELEASED = ("openbaar", "deels openbaar")


def jobs_for(request_id: str, organisation: str, writer, documents, folder: Path) -> list[Job]:
    """One job per ``openbaar`` / ``deels openbaar`` document, its paragraphs from the bundle writer."""
    from exports.bundle import ordered
    from exports.ids import document_id

    out = []
    for d in ordered(documents):
        if d.decision in RELEASED:
            doc_id = document_id(request_id, d.nr)
            fragments = tuple(writer.document_xml(d))
            pic = writer.pictures.get(d.nr)
            out.append(Job(str(folder / f"{doc_id}.pdf"), doc_id, d.nr, f"Woo-verzoek {request_id}", organisation,
                           fragments, pic.data if pic is not None else None))
    return out


def uncovered(paras: Sequence[Para]) -> list[str]:
    """The characters of the paragraphs' text that the PDF font has no glyph for (CJK in DejaVu Sans,
    for one), in first-seen order: the PDF cannot show them, so the export says so instead of dropping
    them without a word (the docx bundle and the index keep them)."""
    from reportlab.pdfbase import pdfmetrics

    _register_fonts()
    covered = pdfmetrics.getFont(FONT).face.charToGlyph
    out: dict[str, None] = {}
    for p in paras:
        for span in p.spans:
            if span.box:
                continue
            for ch in span.text:
                if ord(ch) not in covered and not ch.isspace() and unicodedata.category(ch)[0] != "C":
                    out[ch] = None
    return list(out)


def workers() -> int:
    """Worker processes for the per-document PDFs: one per core, at most two."""
    return max(1, min(2, os.cpu_count() or 1))


def write_documents(jobs: Sequence[Job], processes: int | None = None) -> list[tuple[Path, list[str]]]:
    """Write every job's PDF (in parallel when there are enough); returns, in job order, each path
    with the characters of its text the font cannot show (``uncovered``)."""
    _register_fonts()  # fails early, in this process, when the font is missing
    processes = workers() if processes is None else processes
    if processes <= 1 or len(jobs) < 8:
        return [(Path(p), missing) for p, missing in map(_write_one, jobs)]
    chunk = max(1, len(jobs) // (processes * 8))
    # the workers die with us: a killed export leaves no orphan holding the lock or the pipes
    with ProcessPoolExecutor(processes, initializer=die_with_parent) as pool:
        return [(Path(p), missing) for p, missing in pool.map(_write_one, jobs, chunksize=chunk)]


def set_metadata(src: Path, dst: Path, organisation: str, title: str) -> Path:
    """Copy the PDF ``src`` to ``dst`` with properties and XMP naming the organisation only."""
    from pypdf import PdfReader, PdfWriter

    writer = PdfWriter(clone_from=PdfReader(src))
    writer.metadata = {"/Author": organisation, "/Creator": organisation, "/Producer": organisation, "/Title": title}
    writer.xmp_metadata = _xmp(organisation, title)
    from pypdf.generic import NameObject

    stream = writer.root_object["/Metadata"].get_object()
    stream[NameObject("/Type")] = NameObject("/Metadata")  # pypdf leaves them out; readers want them
    stream[NameObject("/Subtype")] = NameObject("/XML")
    with open(dst, "wb") as f:
        writer.write(f)
    return dst


# LibreOffice -------------------------------------------------------------------------------

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

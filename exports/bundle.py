"""The released documents as Word bundles: ``documenten/documenten-deel-01.docx`` and on.

Each released document starts on a new page under a Heading 1 with its number ("Document 12",
"Document 12.1"), then a header block of label/value lines, then its text:

- e-mail: Datum, Van, Aan, CC, Onderwerp (and Bijlagen: the numbers of its attachments);
- attachment / file: Bestandsnaam, Datum (and Bijlage bij: the e-mail's number);
- chat (one conversation on one day): Gesprek, Deelnemers, Dag (and Bijlagen: the numbers of the
  media sent that day); then a transcript, one paragraph per message: time, author (bold), message. A
  redacted author is told apart from the others by a letter that stays the same for that person in the
  whole request (``5.1.2e A``, ``5.1.2e B``; ``author_letters=False`` turns it off); a line without an
  author (encryption notice, "X heeft de groep gemaakt") is a "systeembericht"; a photo or other medium
  sent in the chat is its own document, assessed apart, and its message says so ("[afbeelding, apart
  beoordeeld]"); a medium without text waits for the handler's decision and stays out of the bundle
  until then. A photo the handler decided ``openbaar`` is shown as the picture itself under its file
  name (``images.py``: PNG, JPEG or GIF by content, bounded, re-encoded without EXIF), fitted to the
  page width; one with any box or decided ``deels openbaar`` is not (a photo cannot be partly
  redacted) and the handler is told why (``BundleWriter.picture_notes``).

Each document is a section of its own whose page header names it ("Woo-verzoek X – document 12"),
so every page says which document it belongs to; each part opens with a table of contents whose
lines link to the documents.

Times are shown in local time (the workspace's ``timezone``), in Dutch ("12 maart 2025 14:05"). Every shown field goes
through the ``Redactor``; a redacted span is replaced by a box with its ground code. ``niet
openbaar`` documents are not in a bundle (only in the inventory), nor are chat media waiting for a
handler's decision (``Document.needs_decision``: a photo, a video, a voice note); ``reeds openbaar`` ones get a
line saying so. Documents are split into parts at family boundaries (an e-mail and its
attachments stay together) by count and by amount of text, so Word opens every part quickly.
"""

from __future__ import annotations

import copy
import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Callable, Sequence
from xml.sax.saxutils import escape

import docx
from docx.enum.section import WD_ORIENT
from docx.opc.constants import CONTENT_TYPE as CT, RELATIONSHIP_TYPE as RT
from docx.opc.packuri import PackURI
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import qn
from docx.parts.hdrftr import HeaderPart
from docx.shared import Cm, Pt

from exports import images
from exports.clean import prepare_docx
from exports.render import W_NS, Redactor, Run, _t, clean_text, lines, local, nl_date, paragraph_xml, runs_xml
from woo_collector.documents import Document
from woo_collector.requests.grouping import needs_decision as decided_by_handler
from woo_collector.text import filetype_of

SYSTEM_LINE = "systeembericht"
PICTURE_STYLE = "WooPicture"  # the paragraph that stands for a document's picture in ``document_xml``
PICTURE_MARK = f'<w:p><w:pPr><w:pStyle w:val="{PICTURE_STYLE}"/></w:pPr></w:p>'
EMU_PER_CM, EMU_PER_PX = 360_000, 9_525  # a pixel at 96 dpi
MESSAGE_PEOPLE = ("sender", "recipients", "cc")  # fields of a medium that its document does not show
PICTURE_MAX_CM = (16.0, 17.0)  # A4 portrait inside its margins, less the document's heading and fields
MEDIUM_WORDS = {"image": "afbeelding", "video": "video", "audio": "geluidsopname", "doc": "document", "pdf": "document"}


def nr_key(nr: str) -> tuple:
    """Sort key of a document number: '2' < '10' < '10.1' < '10.2' < '11'."""
    parts = []
    for p in str(nr).split("."):
        parts.append((0, int(p), "") if p.isdigit() else (1, 0, p))
    return tuple(parts)


def ordered(documents: Sequence[Document]) -> list[Document]:
    return sorted(documents, key=lambda d: nr_key(d.nr))


def released(documents: Sequence[Document]) -> list[Document]:
    """The documents that go into the bundles, in number order (``niet openbaar`` left out, and the
    media no automatic decision could be made for until a handler decides them: ``needs_decision``)."""
    return [d for d in ordered(documents) if d.decision != "niet openbaar" and not d.needs_decision]


def new_document(organisation: str, title: str, now: datetime | None, footer: str, landscape: bool = False):
    """An empty, clean A4 Word document with Dutch styles and a footer with page numbers."""
    doc = docx.Document()
    prepare_docx(doc, organisation, title, now)
    sec = doc.sections[0]
    if landscape:
        sec.orientation = WD_ORIENT.LANDSCAPE
        sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    else:
        sec.page_width, sec.page_height = Cm(21.0), Cm(29.7)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(2.0 if landscape else 2.5))
    for name in ("Normal", "No Spacing"):
        style = doc.styles[name]
        style.font.name = "Calibri"
        style.font.size = Pt(11)
    p = sec.footer.paragraphs[0]
    p.text = f"{footer} – pagina "
    p._p.append(parse_xml(f'<w:fldSimple xmlns:w="{W_NS}" w:instr=" PAGE "><w:r><w:t>1</w:t></w:r></w:fldSimple>'))
    return doc


def append_xml(doc, fragments: Sequence[str]) -> None:
    """Append paragraphs built as WordprocessingML strings to the body (before its sectPr)."""
    if not fragments:
        return
    body = doc.element.body
    parsed = parse_xml(f'<w:body xmlns:w="{W_NS}">{"".join(fragments)}</w:body>')
    anchor = _final_sectPr(body)
    for child in list(parsed):
        if anchor is not None:
            anchor.addprevious(child)
        else:
            body.append(child)


def _final_sectPr(body):
    """The body's own section properties: its last child (``body.sectPr`` scans every child to find it)."""
    try:
        last = body[-1]  # lxml finds the last child from the end; len() would count them all
    except IndexError:
        return None
    return last if last.tag == qn("w:sectPr") else body.sectPr


class Sections:
    """Each document a section of its own, whose page header names it.

    python-docx's ``add_section`` and header API look up the next part name and the body's last
    section for every call (quadratic in a part of 250 documents); this builds the same XML
    directly: a header part per section, and each section's properties in the last paragraph of
    that section, as Word writes them."""

    def __init__(self, doc):
        self.doc = doc
        self.body = doc.element.body
        self.n = 0

    def _header(self, text: str) -> str:
        self.n += 1
        xml = (f'<w:hdr xmlns:w="{W_NS}"><w:p><w:pPr><w:pStyle w:val="Header"/></w:pPr>'
               f'<w:r><w:t xml:space="preserve">{escape(clean_text(text))}</w:t></w:r></w:p></w:hdr>')
        part = HeaderPart(PackURI(f"/word/woo-header{self.n}.xml"), CT.WML_HEADER, parse_xml(xml), self.doc.part.package)
        rid = f"rIdWooHeader{self.n}"  # our own ids: relate_to would scan every relationship for each header
        self.doc.part.rels.add_relationship(RT.HEADER, part, rid)
        return rid

    def _point_header(self, sect, text: str) -> None:
        for ref in sect.findall(qn("w:headerReference")):
            sect.remove(ref)
        ref = OxmlElement("w:headerReference")
        ref.set(qn("w:type"), "default")
        ref.set(qn("r:id"), self._header(text))
        sect.insert(0, ref)

    def first(self, header: str) -> None:
        """The header of the section being written (the part's first)."""
        self._point_header(_final_sectPr(self.body), header)

    def next(self, header: str) -> None:
        """End the section so far in its last paragraph; what is appended next starts a new page under ``header``."""
        final = _final_sectPr(self.body)
        last = final.getprevious()
        ended = copy.deepcopy(final)
        if last is None or last.tag != qn("w:p") or last.xpath("./w:pPr/w:sectPr"):
            last = OxmlElement("w:p")
            final.addprevious(last)
        last.get_or_add_pPr().append(ended)
        self._point_header(final, header)


@dataclass(frozen=True)
class Part:
    number: int
    documents: tuple[Document, ...]

    @property
    def filename(self) -> str:
        return f"documenten-deel-{self.number:02d}.docx"


def text_size(d: Document) -> int:
    """Bytes of text a document adds to a bundle (what ``part_max_bytes`` counts)."""
    return sum(len(i.body.encode("utf-8")) + len(i.subject) + len(i.sender) + 64 for i in d.items) + len(d.title)


def split_parts(documents: Sequence[Document], max_docs: int, max_bytes: int) -> list[Part]:
    """Released documents in parts of at most ``max_docs`` documents / ``max_bytes`` of text.

    A family (an e-mail and its attachments) is kept in one part unless it alone is too large.
    """
    families: list[list[Document]] = []
    for d in released(documents):
        if families and d.family == families[-1][0].family and d.family:
            families[-1].append(d)
        else:
            families.append([d])
    parts: list[list[Document]] = []
    size = 0
    for fam in families:
        fam_size = sum(text_size(d) for d in fam)
        if parts and parts[-1] and (len(parts[-1]) + len(fam) > max_docs or size + fam_size > max_bytes):
            parts.append([])
            size = 0
        if not parts:
            parts.append([])
        for d in fam:
            if parts[-1] and (len(parts[-1]) >= max_docs or size + text_size(d) > max_bytes):
                parts.append([])
                size = 0
            parts[-1].append(d)
            size += text_size(d)
    return [Part(i + 1, tuple(p)) for i, p in enumerate(parts) if p]


def picture_size(width_px: int, height_px: int) -> tuple[int, int]:
    """(cx, cy) in EMU: the picture at 96 dpi, scaled down (never up) to ``PICTURE_MAX_CM``."""
    cx, cy = width_px * EMU_PER_PX, height_px * EMU_PER_PX
    scale = min(1.0, PICTURE_MAX_CM[0] * EMU_PER_CM / cx, PICTURE_MAX_CM[1] * EMU_PER_CM / cy)
    return int(cx * scale), int(cy * scale)


def letter(n: int) -> str:
    """0 -> 'A', 25 -> 'Z', 26 -> 'AA'."""
    out = ""
    n += 1
    while n:
        n, rest = divmod(n - 1, 26)
        out = chr(65 + rest) + out
    return out


def person_key(who: str) -> str:
    """One person however a chat writes the author: 'Sanne de Vries <+31612345678>' is 'sanne de vries'."""
    name = who.split("<", 1)[0] if "<" in who and who.split("<", 1)[0].strip() else who
    return " ".join(name.casefold().split())


def bookmark(nr: str) -> str:
    return "doc_" + nr.replace(".", "_")


class BundleWriter:
    """Writes the parts of one request."""

    def __init__(self, request_id: str, organisation: str, redactor: Redactor, documents: Sequence[Document],
                 now: datetime | None = None, author_letters: bool = True,
                 original: Callable[[str], Path] | None = None):
        self.request_id = request_id
        self.original = original  # the stored original of a SHA-256 (a photo to show); None: no picture is shown
        self.pictures: dict[str, images.Picture | None] = {}  # document nr -> its cleaned picture (None: not shown)
        self.picture_notes: dict[str, str] = {}  # document nr -> why its photo is not shown (for the handler)
        self._shapes = 0
        self.organisation = organisation
        self.redactor = redactor
        self.now = now
        self.letters: dict[str, str] = {}  # folded redacted chat author -> its letter in this request
        if author_letters:
            for d in ordered(documents):
                if d.kind == "chat" and d.decision != "niet openbaar":
                    for item in d.items:
                        for who, f in [(item.sender, "sender")] + [(r, "recipients") for r in item.recipients]:
                            self._letter(who, item.id, f)
        self.attachments: dict[str, list[str]] = {}
        for d in ordered(documents):
            if d.kind == "attachment" and d.family and d.family != d.nr:
                self.attachments.setdefault(d.family, []).append(d.nr)
        self.withheld = {d.nr for d in documents if d.decision == "niet openbaar"}
        self.pending = {d.nr for d in documents if d.needs_decision}
        self._order: dict[str, int] = {}
        self.extra: dict[str, set[str]] = {}  # grounds of boxes a document got beyond its own redactions

    def _letter(self, who: str, item_id: str, field: str) -> str:
        """The letter of a chat author whose name is wholly redacted ('' for a name that is shown)."""
        if not who:
            return ""
        key = person_key(who)
        if key in self.letters:
            return self.letters[key]
        runs = self.redactor.runs(who, item_id, (field,))
        if not runs or any(not r.box and any(c.isalnum() for c in r.text) for r in runs):
            return ""
        self.letters[key] = letter(len(self.letters))
        return self.letters[key]

    def _author(self, who: str, item_id: str, field: str) -> list[Run]:
        """A chat author's runs: a redacted one as one box with its letter ('5.1.2e A')."""
        runs = self.redactor.runs(who, item_id, (field,))
        key = person_key(who)
        if key in self.letters and runs and all(r.box or not r.text.strip() for r in runs):
            grounds = "; ".join(sorted({g for r in runs if r.box for g in r.ground.split("; ")}))
            return [Run(who, f"{grounds} {self.letters[key]}")]
        return runs

    def write(self, part: Part, total: int, folder: Path) -> Path:
        title = f"Documenten {self.request_id}"
        doc = new_document(self.organisation, title, self.now, footer=f"Woo-verzoek {self.request_id}, deel {part.number}")
        sections = Sections(doc)
        sections.first(f"Woo-verzoek {self.request_id} – documenten, deel {part.number}")
        doc.add_paragraph(f"Documenten bij het besluit op Woo-verzoek {self.request_id}", style="Title")
        first, last = part.documents[0].nr, part.documents[-1].nr
        doc.add_paragraph(f"Deel {part.number} van {total}: documenten {first} tot en met {last}.")
        doc.add_paragraph(
            "Gelakte passages zijn vervangen door een zwart vak met de weigeringsgrond uit de Wet open "
            "overheid, bijvoorbeeld 5.1.2e (persoonlijke levenssfeer). Tijden staan in Nederlandse tijd."
            + (" In chats staat achter de grond van een gelakte naam een letter (5.1.2e A, 5.1.2e B): "
               "dezelfde letter is in alle documenten van dit verzoek dezelfde persoon." if self.letters else "")
        )
        append_xml(doc, self.contents_xml(part))
        for d in part.documents:
            fragments = self.document_xml(d)
            if PICTURE_MARK in fragments and self.pictures.get(d.nr) is not None:
                fragments = [self._drawing_xml(doc, self.pictures[d.nr]) if f == PICTURE_MARK else f for f in fragments]
            sections.next(f"Woo-verzoek {self.request_id} – document {d.nr}")
            append_xml(doc, fragments)
        path = folder / part.filename
        doc.save(str(path))
        return path

    def contents_xml(self, part: Part) -> list[str]:
        """'Inhoud': one line per document of the part, linked to its heading."""
        out = [paragraph_xml(runs_xml([Run("Inhoud")], bold=True), keep_next=True)]
        for d in part.documents:
            first = d.items[0].id if d.items else ""
            title = self.redactor.runs(d.title, first, ("title", "subject", "filename"))
            body = runs_xml([Run(f"Document {d.nr}  ")], bold=True) + runs_xml(title, breaks=False)
            out.append(paragraph_xml(f'<w:hyperlink w:anchor="{bookmark(d.nr)}" w:history="1">{body}</w:hyperlink>',
                                     style="NoSpacing"))
        return out

    # one document ----------------------------------------------------------------------------

    def document_xml(self, d: Document) -> list[str]:
        """The paragraphs of one document; records grounds boxed beyond the document's own."""
        self.redactor.seen = set()
        try:
            out = self._document_xml(d)
            own = set(d.grounds) | {r.ground for r in d.applied()}
            extra = self.redactor.seen - own
            if extra:
                self.extra[d.nr] = extra
        finally:
            self.redactor.seen = None
        return out

    def _document_xml(self, d: Document) -> list[str]:
        mark = f'<w:bookmarkStart w:id="{self._bookmark_id(d)}" w:name="{bookmark(d.nr)}"/>'
        end = f'<w:bookmarkEnd w:id="{self._bookmark_id(d)}"/>'
        out = [paragraph_xml(mark + runs_xml([Run(f"Document {d.nr}")]) + end, style="Heading1", page_break=True, keep_next=True)]
        if d.decision == "reeds openbaar":
            out.append(paragraph_xml(runs_xml([Run(
                f"Document {d.nr} is reeds openbaar en wordt daarom niet opnieuw verstrekt.")])))
            if d.note:
                out.append(self._field("Vindplaats", d.note, "", ()))
            return out
        if d.kind == "chat":
            out.extend(self._chat(d))
        elif d.kind == "email":
            out.extend(self._mail(d))
        else:
            out.extend(self._file(d))
        return out

    def _bookmark_id(self, d: Document) -> int:
        return self._order.setdefault(d.nr, len(self._order) + 1)

    def _field(self, label: str, value: str, item_id: str, fields: Sequence[str]) -> str:
        runs = self.redactor.runs(value, item_id, fields)
        body = runs_xml([Run(f"{label}: ")], bold=True) + runs_xml(runs, breaks=False)
        return paragraph_xml(body, style="NoSpacing")

    def _body(self, item) -> list[str]:
        """The text, line by line as in the original (runs of blank lines shortened to one)."""
        out = [paragraph_xml("")]
        blank = True
        for line in _split_lines(self.redactor.runs(item.body, item.id, ("body",))):
            if not line:
                if not blank:
                    out.append(paragraph_xml("", style="NoSpacing"))
                blank = True
                continue
            blank = False
            out.append(paragraph_xml(runs_xml(line), style="NoSpacing"))
        return out

    def _mail(self, d: Document) -> list[str]:
        out = []
        for item in d.items[:1]:
            out.append(self._field("Datum", nl_date(item.sent or d.date), "", ()))
            out.append(self._field("Van", item.sender, item.id, ("sender",)))
            out.append(self._field("Aan", "; ".join(item.recipients), item.id, ("recipients",)))
            if item.cc:
                out.append(self._field("CC", "; ".join(item.cc), item.id, ("cc",)))
            out.append(self._field("Onderwerp", item.subject or d.title, item.id, ("subject", "title")))
            if self.attachments.get(d.nr):
                out.append(self._attachments_field(d))
            out.extend(self._body(item))
        return out

    def _attachments_field(self, d: Document) -> str:
        shown = [n + (" (niet openbaar)" if n in self.withheld else " (nog te beoordelen)" if n in self.pending else "")
                 for n in self.attachments[d.nr]]
        return self._field("Bijlagen", ("documenten " if len(shown) > 1 else "document ") + ", ".join(shown), "", ())

    def _file(self, d: Document) -> list[str]:
        out = []
        for item in d.items[:1]:
            out.append(self._field("Bestandsnaam", item.subject or d.title, item.id, ("filename", "subject", "title")))
            when = item.sent or d.date
            if when is not None:
                out.append(self._field("Datum", nl_date(when), "", ()))
            if d.kind == "attachment" and d.family and d.family != d.nr:
                out.append(self._field("Bijlage bij", f"document {d.family}", "", ()))
            out.extend(self._body(item))
            if decided_by_handler(item) and d.filetype == "image":
                out.extend(self._picture(d, item))
        return out

    # a photo ----------------------------------------------------------------------------------

    def _picture(self, d: Document, item) -> list[str]:
        """The photo's paragraph (``PICTURE_MARK``, made a picture by ``write`` and by the PDF), or a line
        saying it is not shown; the reason goes to ``picture_notes`` for the handler."""
        if d.nr not in self.pictures:
            self.pictures[d.nr] = None
            # the boxes on what the document shows (its file name, its text, and any drawn so far); those on the
            # sender and recipients of its chat message box the people of the message, not the picture
            boxes = sorted({r.ground for r in d.applied() if r.field not in MESSAGE_PEOPLE} | set(self.redactor.seen or ()))
            if d.decision != "openbaar" or boxes:
                why = (f"a box applies to it ({', '.join(boxes)})" if boxes else f"it is decided '{d.decision}'")
                self.picture_notes[d.nr] = (
                    f"document {d.nr}: photo not shown in the bundle and the PDF, only its file name: {why}, and a photo "
                    "cannot be partly redacted; decide it 'openbaar' without boxes to show it, or 'niet openbaar'")
            else:
                try:
                    self.pictures[d.nr] = images.picture(self._original_bytes(item))
                except images.Refused as e:
                    self.picture_notes[d.nr] = f"document {d.nr}: photo not shown in the bundle and the PDF, only its file name: {e}"
        if self.pictures[d.nr] is not None:
            return [paragraph_xml(""), PICTURE_MARK]
        return [paragraph_xml(runs_xml([Run("[afbeelding niet weergegeven]")]))]

    def _original_bytes(self, item) -> bytes:
        if self.original is None or not item.sha256:
            raise images.Refused("its original is not at hand")
        try:
            path = Path(self.original(item.sha256))
            if path.stat().st_size > images.MAX_BYTES:
                raise images.Refused(f"the file is {path.stat().st_size:,} bytes, more than the limit of {images.MAX_BYTES:,}")
            return path.read_bytes()
        except (OSError, KeyError, ValueError) as e:
            raise images.Refused(f"its original cannot be read from the store ({e})") from e

    def _drawing_xml(self, doc, pic: images.Picture) -> str:
        """A centred paragraph holding ``pic`` at 96 dpi, scaled down to fit the page."""
        from docx.oxml.shape import CT_Inline
        from lxml import etree

        rid, _ = doc.part.get_or_add_image(io.BytesIO(pic.data))
        cx, cy = picture_size(pic.width, pic.height)
        self._shapes += 1
        inline = CT_Inline.new_pic_inline(self._shapes, rid, f"afbeelding.{'jpg' if pic.kind == 'jpeg' else 'png'}", cx, cy)
        drawing = etree.tostring(inline, encoding="unicode")
        return f'<w:p><w:pPr><w:jc w:val="center"/></w:pPr><w:r><w:drawing>{drawing}</w:drawing></w:r></w:p>'

    def _chat(self, d: Document) -> list[str]:
        first = d.items[0] if d.items else None
        name = (first.subject if first and first.subject else d.title)
        out = [self._field("Gesprek", name, first.id if first else "", ("subject", "title"))]
        people: list[tuple[str, str, str]] = []
        seen = set()
        for item in d.items:
            for who, field in [(item.sender, "sender")] + [(r, "recipients") for r in item.recipients]:
                if who and person_key(who) not in seen:
                    seen.add(person_key(who))
                    people.append((who, item.id, field))
        runs: list[Run] = []
        for i, (who, item_id, field) in enumerate(people):
            if i:
                runs.append(Run(", "))
            runs.extend(self._author(who, item_id, field))
        out.append(paragraph_xml(runs_xml([Run("Deelnemers: ")], bold=True) + runs_xml(runs, breaks=False), style="NoSpacing"))
        day = local(d.date or (first.sent if first else None))
        out.append(self._field("Dag", nl_date(day, time=False, weekday=True) if day else "onbekend", "", ()))
        if self.attachments.get(d.nr):  # the media sent that day
            out.append(self._attachments_field(d))
        out.append(paragraph_xml(""))
        for item in d.items:
            when = local(item.sent)
            stamp = f"{when:%H:%M}  " if when else ""
            text = self.redactor.runs(_message_text(item), item.id, ("body",))
            medium = _medium_note(item)
            if medium:
                text = text + ([Run(" ")] if text else []) + [Run(medium)]
            if item.meta.get("event") or not item.sender:  # the app's own line, nobody's words
                head = f'<w:r><w:rPr><w:i/></w:rPr>{_t(SYSTEM_LINE + ": ")}</w:r>'
                body = runs_xml([Run(stamp)]) + head + runs_xml(text)
            else:
                author = self._author(item.sender, item.id, "sender")
                body = runs_xml([Run(stamp)]) + runs_xml(author, bold=True) + runs_xml([Run(": ")], bold=True) + runs_xml(text)
            out.append(paragraph_xml(body))
        return out


_MEDIA_MARKER = ("<media omitted>", "<media weggelaten>", "<medien ausgeschlossen>", "<bijlage weggelaten>")


def _message_text(item) -> str:
    """The message's words; the line that only says a medium was sent ('IMG-0001.jpg (bestand
    bijgevoegd)', '<Media weggelaten>') is said by ``_medium_note`` instead."""
    body = item.body or ""
    if item.meta.get("media") is None and not item.meta.get("media_omitted"):
        return body
    names = [n for n in (item.meta.get("media_referenced") or ()) if n]
    kept = []
    for line in body.split("\n"):
        bare = line.strip().strip("\u200e\u200f").strip().casefold()
        if bare in _MEDIA_MARKER or bare.endswith((" omitted", " weggelaten")) or any(n in line for n in names):
            continue
        kept.append(line)
    return "\n".join(kept).strip()


def _medium_note(item) -> str:
    """'[afbeelding, apart beoordeeld]' for a medium sent in the chat: it is a document of its own."""
    media = item.meta.get("media")
    if not media and not item.meta.get("media_omitted"):
        return ""
    names = list(item.meta.get("media_referenced") or ()) or [m.get("name", "") if isinstance(m, dict) else str(m)
                                                            for m in (media or [])]
    kinds = {MEDIUM_WORDS.get(filetype_of(n), "bestand") for n in names if n}
    if item.meta.get("media_omitted") and not kinds:
        return "[bijlage, niet in de chatexport]"
    word = " en ".join(sorted(kinds)) if kinds else "bijlage"
    return f"[{word}, apart beoordeeld]"


def _split_lines(runs: list[Run]) -> list[list[Run]]:
    """Lines of runs; a line holding only white space becomes empty."""
    return [line if any(r.box or r.text.strip() for r in line) else [] for line in lines(runs)]

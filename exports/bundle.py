"""The released documents as Word bundles: ``documenten/documenten-deel-01.docx`` and on.

Each released document starts on a new page under a Heading 1 with its number ("Document 12",
"Document 12.1"), then a header block of label/value lines, then its text:

- e-mail: Datum, Van, Aan, CC, Onderwerp (and Bijlagen: the numbers of its attachments);
- attachment / file: Bestandsnaam, Datum (and Bijlage bij: the e-mail's number);
- chat (one conversation on one day): Gesprek, Deelnemers, Dag (and Bijlagen: the numbers of the
  media sent that day); then a transcript, one paragraph per message: time, author (bold), message.

Times are shown in local time (the workspace's ``timezone``), in Dutch ("12 maart 2025 14:05"). Every shown field goes
through the ``Redactor``; a redacted span is replaced by a box with its ground code. ``niet
openbaar`` documents are not in a bundle (only in the inventory), nor are chat media waiting for a
handler's decision (``Document.needs_decision``: a photo, a video, a voice note); ``reeds openbaar`` ones get a
line saying so. Documents are split into parts at family boundaries (an e-mail and its
attachments stay together) by count and by amount of text, so Word opens every part quickly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Sequence

import docx
from docx.enum.section import WD_ORIENT
from docx.oxml import parse_xml
from docx.shared import Cm, Pt

from exports.clean import prepare_docx
from exports.render import W_NS, Redactor, Run, lines, local, nl_date, paragraph_xml, runs_xml
from woo_collector.documents import Document


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
    anchor = body.sectPr
    for child in list(parsed):
        if anchor is not None:
            anchor.addprevious(child)
        else:
            body.append(child)


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


class BundleWriter:
    """Writes the parts of one request."""

    def __init__(self, request_id: str, organisation: str, redactor: Redactor, documents: Sequence[Document],
                 now: datetime | None = None):
        self.request_id = request_id
        self.organisation = organisation
        self.redactor = redactor
        self.now = now
        self.attachments: dict[str, list[str]] = {}
        for d in ordered(documents):
            if d.kind == "attachment" and d.family and d.family != d.nr:
                self.attachments.setdefault(d.family, []).append(d.nr)
        self.withheld = {d.nr for d in documents if d.decision == "niet openbaar"}
        self.pending = {d.nr for d in documents if d.needs_decision}
        self.extra: dict[str, set[str]] = {}  # grounds of boxes a document got beyond its own redactions

    def write(self, part: Part, total: int, folder: Path) -> Path:
        title = f"Documenten {self.request_id}"
        doc = new_document(self.organisation, title, self.now, footer=f"Woo-verzoek {self.request_id}, deel {part.number}")
        doc.add_paragraph(f"Documenten bij het besluit op Woo-verzoek {self.request_id}", style="Title")
        first, last = part.documents[0].nr, part.documents[-1].nr
        doc.add_paragraph(f"Deel {part.number} van {total}: documenten {first} tot en met {last}.")
        doc.add_paragraph(
            "Gelakte passages zijn vervangen door een zwart vak met de weigeringsgrond uit de Wet open "
            "overheid, bijvoorbeeld 5.1.2e (persoonlijke levenssfeer). Tijden staan in Nederlandse tijd."
        )
        fragments: list[str] = []
        for d in part.documents:
            fragments.extend(self.document_xml(d))
        append_xml(doc, fragments)
        path = folder / part.filename
        doc.save(str(path))
        return path

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
        out = [paragraph_xml(runs_xml([Run(f"Document {d.nr}")]), style="Heading1", page_break=True, keep_next=True)]
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
        return out

    def _chat(self, d: Document) -> list[str]:
        first = d.items[0] if d.items else None
        name = (first.subject if first and first.subject else d.title)
        out = [self._field("Gesprek", name, first.id if first else "", ("subject", "title"))]
        people: list[tuple[str, str, str]] = []
        seen = set()
        for item in d.items:
            for who, field in [(item.sender, "sender")] + [(r, "recipients") for r in item.recipients]:
                if who and who.casefold() not in seen:
                    seen.add(who.casefold())
                    people.append((who, item.id, field))
        runs: list[Run] = []
        for i, (who, item_id, field) in enumerate(people):
            if i:
                runs.append(Run(", "))
            runs.extend(self.redactor.runs(who, item_id, (field,)))
        out.append(paragraph_xml(runs_xml([Run("Deelnemers: ")], bold=True) + runs_xml(runs, breaks=False), style="NoSpacing"))
        day = local(d.date or (first.sent if first else None))
        out.append(self._field("Dag", nl_date(day, time=False, weekday=True) if day else "onbekend", "", ()))
        if self.attachments.get(d.nr):  # the media sent that day
            out.append(self._attachments_field(d))
        out.append(paragraph_xml(""))
        for item in d.items:
            when = local(item.sent)
            stamp = f"{when:%H:%M}  " if when else ""
            author = self.redactor.runs(item.sender or "onbekend", item.id, ("sender",))
            text = self.redactor.runs(item.body, item.id, ("body",))
            body = runs_xml([Run(stamp)]) + runs_xml(author, bold=True) + runs_xml([Run(": ")], bold=True) + runs_xml(text)
            out.append(paragraph_xml(body))
        return out


def _split_lines(runs: list[Run]) -> list[list[Run]]:
    """Lines of runs; a line holding only white space becomes empty."""
    return [line if any(r.box or r.text.strip() for r in line) else [] for line in lines(runs)]

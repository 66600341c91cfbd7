"""What the review pages show, computed from the catalog: the overview's counts, the filtered document
list and one document as it will be published, cut into segments (plain text, boxes with their
redactions, "mogelijk naam" words). Plain data: the templates render it, escaped.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Sequence

from woo_collector.dates import local
from woo_collector.documents import Document, Redaction
from woo_collector.requests.redact import field_text
from woo_collector.text import BOX_GAP, unbracket

PAGE = 50
NEAR = "mogelijk duplicaat van nr "


def notes(row) -> str:
    """A document row's internal remarks and its Toelichting (the near-duplicate remark is a remark;
    catalogs from before the remarks column held it in the note)."""
    return "; ".join(x for x in (row.get("remarks") or "", row.get("note") or "") if x)
# (text, item_id, fields) -> merged [start, end) spans with their grounds, as the package will box them
Published = Callable[[str, str, Sequence[str]], list[tuple[int, int, tuple[str, ...]]]]


def state(r: dict) -> str:
    """accepted / rejected by the handler, or still proposed (boxed by default when ``apply``)."""
    if r["decided_by"]:
        return "accepted" if r["apply"] else "rejected"
    return "proposed"


def overview(ws, req_id: str, facts: dict[str, dict]) -> dict[str, Any]:
    repo = ws.catalog.requests
    req = repo.get(req_id)
    docs = repo.document_rows(req_id)
    table: dict[tuple[str, str], dict[str, int]] = {}
    for r in sorted(repo.redaction_stats(req_id), key=lambda r: (r["category"], r["ground"])):
        st = ("accepted" if r["apply"] else "rejected") if r["decided"] else "proposed"
        cell = table.setdefault((r["category"], r["ground"]), {"proposed": 0, "accepted": 0, "rejected": 0})
        cell[st] += r["n"]
    sel = repo.last_selection(req_id)
    waiting = [d["nr"] for d in docs if facts.get(d["nr"], {}).get("needs_decision") and not d["reviewed"]]
    return {
        "req": req, "days_left": req.days_left(), "deadline": req.deadline, "total": len(docs),
        "reviewed": sum(1 for d in docs if d["reviewed"]),
        "decisions": Counter(d["decision"] for d in docs),
        "boxes": [{"category": c, "ground": g, **v} for (c, g), v in table.items()],
        "undated": sum(1 for d in docs if not d["date"]),
        "near": sum(1 for d in docs if NEAR in notes(d)),
        "media_waiting": waiting,
        "out_of_scope": repo.out_of_scope(req_id),
        "selection": sel,
    }


@dataclass
class Filters:
    status: str = ""  # "" | unreviewed | reviewed
    special: bool = False
    media: bool = False
    near: bool = False
    custodian: str = ""
    source: str = ""
    kind: str = ""
    person: str = ""
    page: int = 1

    @classmethod
    def from_args(cls, args) -> "Filters":
        try:
            page = max(1, int(args.get("page", "1")))
        except ValueError:
            page = 1
        return cls(status=args.get("status", "") if args.get("status") in ("unreviewed", "reviewed") else "",
                   special=args.get("special") == "1", media=args.get("media") == "1", near=args.get("near") == "1",
                   custodian=args.get("custodian", "").strip(), source=args.get("source", "").strip(),
                   kind=args.get("kind", "").strip(), person=args.get("person", "").strip(), page=page)

    def query(self, **change) -> dict[str, str]:
        """The filters as URL parameters (for links), with ``change`` applied."""
        d = {"status": self.status, "special": "1" if self.special else "", "media": "1" if self.media else "",
             "near": "1" if self.near else "", "custodian": self.custodian, "source": self.source, "kind": self.kind,
             "person": self.person, "page": str(self.page)}
        d.update({k: str(v) for k, v in change.items()})
        return {k: v for k, v in d.items() if v and not (k == "page" and v == "1")}


def place_parts(place: str) -> tuple[str, str]:
    """(custodian, source) of a place "custodian / source / folder"."""
    parts = [p.strip() for p in place.split(" / ")]
    return (parts[0] if parts else ""), (parts[1] if len(parts) > 1 else "")


def document_list(ws, req_id: str, f: Filters, facts: dict[str, dict]) -> dict[str, Any]:
    import json

    repo = ws.catalog.requests
    docs = repo.document_rows(req_id)
    counts = repo.applied_counts(req_id)
    special = repo.documents_with_redactions(req_id, special=True) if f.special else None
    person = repo.documents_with_redactions(req_id, text=f.person) if f.person else None
    places_of = {raw: [place_parts(p) for p in json.loads(raw)] for raw in {d["places"] for d in docs}}  # few distinct
    custodian, source = f.custodian.casefold(), f.source.casefold()
    out = []
    for d in docs:
        if f.status == "unreviewed" and d["reviewed"] or f.status == "reviewed" and not d["reviewed"]:
            continue
        if f.kind and d["kind"] != f.kind:
            continue
        if f.near and NEAR not in notes(d):
            continue
        if f.media and not facts.get(d["nr"], {}).get("media"):
            continue
        if custodian and custodian not in {c.casefold() for c, _ in places_of[d["places"]]}:
            continue
        if source and source not in {s.casefold() for _, s in places_of[d["places"]]}:
            continue
        if special is not None and d["nr"] not in special or person is not None and d["nr"] not in person:
            continue
        out.append(d)
    pages = max(1, -(-len(out) // PAGE))
    page = min(f.page, pages)
    rows = [{**d, "grounds": json.loads(d["grounds"]), "boxes": counts.get(d["nr"], 0)} for d in out[(page - 1) * PAGE: page * PAGE]]
    custodians = sorted({c for ps in places_of.values() for c, _ in ps if c})
    sources = sorted({s for ps in places_of.values() for _, s in ps if s})
    return {"rows": rows, "matched": len(out), "page": page, "pages": pages,
            "custodians": custodians, "sources": sources, "kinds": sorted({d["kind"] for d in docs})}


def neighbours(ws, req_id: str, nr: str) -> tuple[str | None, str | None]:
    """The previous and next unreviewed documents around ``nr`` (in number order)."""
    marks = ws.catalog.requests.document_marks(req_id)
    nrs = [n for n, _ in marks]
    at = nrs.index(nr) if nr in nrs else -1
    prev = next((n for n, rev in reversed(marks[:max(at, 0)]) if not rev), None)
    nxt = next((n for n, rev in marks[at + 1:] if not rev), None)
    return prev, nxt


# one document ---------------------------------------------------------------------------------------

@dataclass
class Segment:
    text: str
    kind: str = "plain"  # plain | maybe (mogelijk naam) | box
    state: str = ""  # for a box: accepted | proposed | rejected | propagated (boxed because accepted elsewhere)
    boxed: bool = False  # the package replaces this text
    grounds: str = ""
    reds: list[dict] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.reds[0]["key"] if self.reds else ""



def _as_published(segs: list[Segment]) -> list[Segment]:
    """The package's tidying (exports.render.tidy) on the page's segments: a box alone between brackets
    loses them ("Pieter <p@x.nl>"), and the spaces between two boxes are boxed with them, so the page
    shows the very characters the package replaces; each box keeps its own buttons."""
    out = list(segs)
    for i in range(1, len(out) - 1):
        before, seg, after = out[i - 1], out[i], out[i + 1]
        trimmed = seg.boxed and not before.boxed and not after.boxed and unbracket(before.text, after.text)
        if trimmed:
            before.text, after.text = trimmed
    out = [x for x in out if x.boxed or x.text or x.reds]
    for i in range(1, len(out) - 1):
        gap = out[i]
        if not gap.boxed and not gap.reds and out[i - 1].boxed and out[i + 1].boxed and BOX_GAP.fullmatch(gap.text):
            out[i] = Segment(gap.text, "box", out[i - 1].state, True, out[i - 1].grounds)
    return out


_CAPITAL = re.compile(r"(?<![\w@.])[A-ZÀ-ÖØ-Þ][a-zß-öø-ÿ]+(?:-[A-Z][a-zß-öø-ÿ]+)?(?![\w@])")


class Segmenter:
    """Cuts a field's text into plain, box and "mogelijk naam" segments."""

    def __init__(self, reds: Sequence[dict], published: Published | None, keep: Sequence[str] = (), organisation: str = ""):
        from woo_collector.redaction.lexicon import words
        from woo_collector.redaction.propagation import name_variants

        self.by_field: dict[tuple[str, str], list[dict]] = {}
        for r in reds:
            self.by_field.setdefault((r["item_id"], r["field"]), []).append(r)
        self.published = published
        self.lexicon = words("not_names") | words("titles") | words("salutations") | words("closings")
        self.kept = {v.casefold() for k in keep for v in name_variants(k)} | {w.casefold() for k in keep for w in k.split()}
        self.kept |= {w.casefold() for w in organisation.split()}
        self.names = words("first_names") | words("surnames")

    def cut(self, text: str, item_id: str, fields: Sequence[str]) -> list[Segment]:
        if not text:
            return []
        own = [r for f in fields for r in self.by_field.get((item_id, f), ())
               if 0 <= r["start"] < r["end"] <= len(text) and text[r["start"]:r["end"]].casefold() == r["text"].casefold()]
        # boxed: this field's own accepted spans, and every text accepted anywhere in the request (as the package boxes)
        pub = [(r["start"], r["end"], (r["ground"],)) for r in own if r["apply"]]
        if self.published is not None:
            pub += self.published(text, item_id, fields)
        cuts = sorted({0, len(text)} | {r["start"] for r in own} | {r["end"] for r in own}
                      | {s for s, _, _ in pub} | {e for _, e, _ in pub})
        out: list[Segment] = []
        for a, b in zip(cuts, cuts[1:]):
            rs = [r for r in own if r["start"] <= a and b <= r["end"]]
            gs = sorted({g for s, e, g3 in pub if s <= a and b <= e for g in g3})
            boxed = bool(gs)
            if boxed:
                st = "accepted" if any(r["apply"] and r["decided_by"] for r in rs) else \
                    "proposed" if any(r["apply"] for r in rs) else "propagated"
            elif rs:
                st = "rejected" if all(r["decided_by"] for r in rs) else "proposed"
            else:
                st = ""
            seg = Segment(text[a:b], "box" if (boxed or rs) else "plain", st, boxed, "; ".join(gs) or
                          "; ".join(sorted({r["ground"] for r in rs})), rs)
            last = out[-1] if out else None
            if last and last.kind == seg.kind and last.state == seg.state and last.grounds == seg.grounds and \
                    [r["key"] for r in last.reds] == [r["key"] for r in seg.reds]:
                last.text += seg.text
            else:
                out.append(seg)
        out = _as_published(out)
        res: list[Segment] = []
        for i, part in enumerate(out):
            res += self._maybe(part, after_box=i > 0 and not out[i - 1].text.endswith("\n")) if part.kind == "plain" else [part]
        return res

    def _maybe(self, seg: Segment, after_box: bool = False) -> list[Segment]:
        """Capitalised words that are not boxed, not in the lexicon and not kept by policy: "mogelijk naam"."""
        out: list[Segment] = []
        at = 0
        for m in _CAPITAL.finditer(seg.text):
            w = m.group(0)
            if w.casefold() in self.lexicon or w.casefold() in self.kept or len(w) < 3:
                continue
            before = seg.text[:m.start()].rstrip(" \t")
            starts = before[-1] in "\n.!?:;'\"(" if before else not after_box
            if starts and w.casefold() not in self.names:
                continue  # a sentence starts with a capital anyway: only a known name is suspect there
            if m.start() > at:
                out.append(Segment(seg.text[at:m.start()]))
            out.append(Segment(w, "maybe"))
            at = m.end()
        if at < len(seg.text):
            out.append(Segment(seg.text[at:]))
        return out


@dataclass
class Field:
    label: str
    segments: list[Segment]


@dataclass
class Message:  # a chat line
    when: str
    author: list[Segment]
    text: list[Segment]


def _when(dt: datetime | None, with_time: bool = True) -> str:
    t = local(dt)
    if t is None:
        return "datum onbekend"
    return f"{t:%Y-%m-%d %H:%M}" if with_time else f"{t:%Y-%m-%d}"


def document_page(d: Document, seg: Segmenter, family: Sequence[dict]) -> dict[str, Any]:
    """The document as the package will show it: its header block, body or chat lines, images."""
    header: list[Field] = []
    body: list[Segment] = []
    chat: list[Message] = []
    images: list[dict] = []
    first = d.items[0] if d.items else None
    if d.kind == "chat":
        header.append(Field("Gesprek", seg.cut(first.subject if first and first.subject else d.title,
                                                first.id if first else "", ("subject",))))
        header.append(Field("Dag", [Segment(_when(d.date or (first.sent if first else None), False))]))
        for it in d.items:
            chat.append(Message(_when(it.sent)[11:] if it.sent else "", (seg.cut(it.sender, it.id, ("sender",)) if it.sender else [Segment("systeembericht")]),
                                seg.cut(it.body, it.id, ("body",))))
    elif first is not None:
        if d.kind == "email":
            header += [Field("Datum", [Segment(_when(first.sent or d.date))]),
                       Field("Van", seg.cut(first.sender, first.id, ("sender",))),
                       Field("Aan", seg.cut(field_text(first, "recipients"), first.id, ("recipients",)))]
            if first.cc:
                header.append(Field("CC", seg.cut(field_text(first, "cc"), first.id, ("cc",))))
            header.append(Field("Onderwerp", seg.cut(first.subject or d.title, first.id, ("subject",))))
        else:
            header.append(Field("Bestandsnaam", seg.cut(first.subject or d.title, first.id, ("subject",))))
            header.append(Field("Datum", [Segment(_when(first.sent or d.date))]))
        body = seg.cut(first.body, first.id, ("body",))
    for it in d.items:
        if it.filetype == "image" or is_image_name(it.subject):
            images.append({"id": it.id, "name": it.subject})
    return {"header": header, "body": body, "chat": chat, "images": images, "family": family}


def is_image_name(name: str) -> bool:
    return bool(re.search(r"\.(png|jpe?g|gif|webp)$", name or "", re.I))


IMAGE_MAGIC = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"\xff\xd8\xff", "image/jpeg"), (b"GIF87a", "image/gif"),
               (b"GIF89a", "image/gif"))


def image_type(head: bytes) -> str | None:
    """The MIME type of a PNG, JPEG, GIF or WebP by its first bytes (never SVG: it can hold script)."""
    for magic, mime in IMAGE_MAGIC:
        if head.startswith(magic):
            return mime
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp"
    return None


def facts_of(docs: Sequence[Document]) -> dict[str, dict]:
    """What does not change during a review, per document: media, and media waiting for a decision."""
    out = {}
    for d in docs:
        media = d.filetype in ("image", "video", "audio") or any(it.filetype in ("image", "video", "audio") for it in d.items)
        out[d.nr] = {"media": media, "needs_decision": bool(getattr(d, "needs_decision", False))}
    return out


def redaction_of(r: dict) -> Redaction:
    return Redaction(item_id=r["item_id"], field=r["field"], start=r["start"], end=r["end"], text=r["text"],
                     category=r["category"], ground=r["ground"], apply=bool(r["apply"]), key=r["key"],
                     explanation=r["explanation"] or "")


def needle_documents(rows: Sequence[dict]) -> list[Document]:
    """Redactions as documents without items: what a Redactor needs to box, in any text, every text the package
    boxes wherever it occurs (a field's own spans are added by the Segmenter)."""
    reds: dict[str, list[Redaction]] = {}
    for r in rows:
        reds.setdefault(r["nr"], []).append(redaction_of(r))
    return [Document(nr=nr, family=nr.split(".")[0], kind="", filetype="", date=None, title="", items=(),
                     redactions=tuple(rs)) for nr, rs in reds.items()]


def fold(text: str) -> str:
    return " ".join(text.casefold().split())


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)


class Boxes:
    """What the package boxes wherever it occurs, kept in step with the changes this server makes.

    Built once from one applied redaction per distinct text (``make``: the package's Redactor); a text
    boxed since gets a small Redactor of its own, a text no longer boxed anywhere is filtered out, so a
    change costs a query per changed text, not a rebuild."""

    def __init__(self, make: Callable[[Sequence[Document]], Any], repo, req_id: str):
        self.make, self.req_id = make, req_id  # (no repo kept: a SQLite connection belongs to its thread)
        rows = repo.applied_texts(req_id)
        self.parts = [make(needle_documents(rows))]
        self.on = {fold(r["text"]) for r in rows}
        self.off: set[str] = set()
        self.off_digits: set[str] = set()

    def update(self, repo, texts: Sequence[str]) -> None:
        for t in dict.fromkeys(texts):
            f = fold(t)
            rows = repo.applied_of_text(self.req_id, t)
            if rows and f not in self.on:
                self.parts.append(self.make(needle_documents(rows[:1])))
                self.on.add(f)
            elif rows:
                self.off.discard(f)
                self.off_digits.discard(digits(t))
            elif f in self.on:
                self.off.add(f)
                if len(digits(t)) >= 6:
                    self.off_digits.add(digits(t))

    def spans(self, text: str, item_id: str, fields: Sequence[str]) -> list[tuple[int, int, tuple[str, ...]]]:
        out = []
        for part in self.parts:
            for s, e, g in part.spans_of(text, item_id, fields):
                piece = text[s:e]
                if self.off and fold(piece) in self.off or self.off_digits and digits(piece) in self.off_digits:
                    continue
                out.append((s, e, g))
        return out


def today() -> date:
    return date.today()

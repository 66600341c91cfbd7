"""The draft decision letter (besluit-concept.docx), in Dutch, filled in from the request.

Sections as a Woo handler expects them (DOMAIN.md): 1 Uw verzoek, 2 Procedure, 3 Besluit,
4 Zoekslag (the recorded search: sources, custodians, terms with hits before and after
deduplication, period, counts), 5 Wettelijk kader en motivering (each ground used, with its legal
text and a reasoning paragraph to edit), 6 Wijze van openbaarmaking, 7 Bezwaar (six weeks, to the
same body), Bijlagen. What only the handler can write stays as a highlighted placeholder in
square brackets, "[naam verzoeker]" first of all: the letter never holds the requester's name.
Every free text from the request (subject, query, custodians) goes through the ``Redactor``.
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime
from pathlib import Path
from typing import Sequence
from xml.sax.saxutils import escape

from docx.enum.text import WD_COLOR_INDEX
from docx.oxml import parse_xml

from exports.bundle import new_document, ordered
from exports.inventory import grounds_of
from exports.render import W_NS, Redactor, Run, clean_text, nl_date, runs_xml
from woo_collector.documents import DECISIONS, GROUNDS, PENDING, Document, RequestInfo, medium_of

ABSOLUTE = ("5.1.1a", "5.1.1b", "5.1.1c", "5.1.1d", "5.1.1e")
COUNT_LABELS = {
    "items_hit": "items die de zoekvraag trof",
    "items_selected": "items met hun bijlagen en gespreksdagen",
    "redactions": "voorgestelde lakkingen",
    "items": "items gevonden met de zoekvraag",
    "duplicates": "dubbele items verwijderd",
    "near_duplicates": "bijna-dubbele items gemarkeerd",
    "documents": "documenten na ontdubbeling",
    "out_of_scope": "documenten buiten de reikwijdte geplaatst (na beoordeling)",
}
REASONS = {
    "5.1.2e": (
        "In de documenten staan namen, contactgegevens en andere gegevens van natuurlijke personen: "
        "burgers en medewerkers die niet uit hoofde van hun functie in de openbaarheid treden. "
        "Wij vinden het belang van hun persoonlijke levenssfeer zwaarder wegen dan het belang van "
        "openbaarheid. Namen van bestuurders en woordvoerders die in hun functie optreden, zijn niet gelakt."
    ),
    "5.1.1e": (
        "In de documenten staan burgerservicenummers (BSN). Een BSN is een identificatienummer bij wet "
        "voorgeschreven; het verstrekken daarvan blijft achterwege."
    ),
    "5.1.1d": (
        "In de documenten staan bijzondere persoonsgegevens, zoals gegevens over gezondheid. Deze gegevens "
        "maken wij niet openbaar, tenzij de betrokkene ze kennelijk zelf openbaar heeft gemaakt."
    ),
    "5.2": (
        "In de documenten voor intern beraad staan persoonlijke beleidsopvattingen van ambtenaren. In het "
        "belang van een goede en democratische bestuursvoering maken wij die niet in tot personen "
        "herleidbare vorm openbaar. Feiten, prognoses en beleidsalternatieven zijn wel openbaar gemaakt."
    ),
}


# how the letter names what was searched: (what, of whom); never a source's own name
MEDIA = {"email": "e-mail", "whatsapp": "WhatsApp-berichten", "sms": "sms-berichten", "teams": "Teams-chats",
         "signal": "Signal-berichten", "telegram": "Telegram-berichten", "chat": "chatberichten", "file": "bestanden",
         "overig": "overige bestanden"}
# the request's own words that the sentence "U vraagt om openbaarmaking van documenten over: ..." already says
_SUBJECT_SAYS_DOCUMENTS = re.compile(r"^\s*(alle\s+)?(documenten|stukken|informatie|correspondentie|e-?mails?|berichten)\b", re.I)
_OPERATORS = {"OR": "of", "AND": "en", "NOT": "niet"}
_FIELDS = {"subject": "in het onderwerp", "from": "als afzender", "to": "als geadresseerde", "custodian": "bij de bewaarder",
           "source": "in de bron", "body": "in de tekst"}


def joined(words: Sequence[str], last: str = "en") -> str:
    """'a', 'a en b', 'a, b en c'."""
    words = list(words)
    if len(words) <= 1:
        return "".join(words)
    return f"{', '.join(words[:-1])} {last} {words[-1]}"


def query_in_words(query: str) -> str:
    """A search query as a reader says it: 'windturbines OR windpark OR Kraaiennest' -> 'windturbines,
    windpark of Kraaiennest'; 'windturbine*' -> 'woorden die beginnen met windturbine'."""
    tokens = re.findall(r'"[^"]*"|\(|\)|[^\s()]+', query or "")
    terms: list[str] = []
    ops: list[str] = []
    out: list[str] = []
    for tok in tokens:
        if tok == ")":
            out.append(tok)
            continue
        if tok in _OPERATORS:
            ops.append(tok)
            out.append(_OPERATORS[tok])
            continue
        if out and out[-1] not in _OPERATORS.values() and out[-1] != "(":
            ops.append("AND")  # words side by side must all occur
            out.append("en")
        if tok == "(":
            out.append(tok)
            continue
        terms.append(_term_in_words(tok))
        out.append(terms[-1])
    if not terms:
        return ""
    if ops and all(o == ops[0] for o in ops) and ops[0] in ("OR", "AND"):
        return joined(terms, _OPERATORS[ops[0]])
    return " ".join(out).replace("( ", "(").replace(" )", ")")


def _term_in_words(tok: str) -> str:
    where = ""
    m = re.match(r"^([a-z]+):(.+)$", tok)
    if m and m.group(1) in _FIELDS:
        where, tok = " " + _FIELDS[m.group(1)], m.group(2)
    if tok.startswith('"') and tok.endswith('"') and len(tok) > 1:
        return f"“{tok[1:-1]}”{where}"
    if tok.endswith("*") and len(tok) > 1 and "*" not in tok[:-1]:
        return f"woorden die beginnen met “{tok[:-1]}”{where}"
    return tok + where


def article(code: str) -> str:
    """'5.1.2e' -> 'artikel 5.1, tweede lid, aanhef en onder e, van de Woo'."""
    lid = {"5.1.1": "eerste", "5.1.2": "tweede"}
    if code[:5] in lid and len(code) == 6:
        return f"artikel 5.1, {lid[code[:5]]} lid, aanhef en onder {code[5]}, van de Woo"
    if code == "5.1.5":
        return "artikel 5.1, vijfde lid, van de Woo"
    return f"artikel {code} van de Woo"


class LetterWriter:
    def __init__(self, info: RequestInfo, documents: Sequence[Document], redactor: Redactor,
                 organisation: str, now: datetime | None, bundles: Sequence[str], extra=None):
        self.info = info
        self.documents = ordered(documents)
        self.r = redactor
        self.org = organisation
        self.now = now
        self.bundles = list(bundles)
        self.extra = extra or {}
        self.doc = new_document(organisation, f"Woo-besluit {info.id}", now, footer=f"Besluit op Woo-verzoek {info.id}")

    # building blocks -----------------------------------------------------------------------

    def para(self, *pieces, style: str | None = None):
        """A paragraph of pieces: str (plain), ('b', str) bold, ('?', str) placeholder, Run list (redacted)."""
        p = self.doc.add_paragraph(style=style)
        for piece in pieces:
            if isinstance(piece, list):
                append_runs(p, piece)
            elif isinstance(piece, tuple) and piece[0] == "b":
                p.add_run(piece[1]).bold = True
            elif isinstance(piece, tuple) and piece[0] == "?":
                run = p.add_run(piece[1])
                run.font.highlight_color = WD_COLOR_INDEX.YELLOW
            else:
                p.add_run(str(piece))
        return p

    def heading(self, text: str, level: int = 1):
        return self.doc.add_heading(text, level=level)

    def red(self, text: str) -> list[Run]:
        return self.r.runs(text)

    # the letter ------------------------------------------------------------------------------

    def write(self, path: Path) -> Path:
        i = self.info
        self.para(("b", self.org))
        self.para("CONCEPT – besluit nog niet vastgesteld", style="Subtitle")
        self.para("Aan: ", ("?", "[naam verzoeker]"))
        self.para(("?", "[adres verzoeker]"))
        self.para("Datum: ", ("?", "[datum besluit]"))
        append_nobreak(self.para("Ons kenmerk: "), i.id)
        self.para("Onderwerp: besluit op uw verzoek op grond van de Wet open overheid")
        append_nobreak(self.doc.add_heading("Besluit op Woo-verzoek ", level=0), i.id)
        self.para("Geachte ", ("?", "[aanhef]"), ",")
        self.section_request()
        self.section_procedure()
        self.section_decision()
        self.section_search()
        self.section_grounds()
        self.section_disclosure()
        self.section_objection()
        self.section_annexes()
        self.doc.save(str(path))
        return path

    def section_request(self) -> None:
        i = self.info
        self.heading("1. Uw verzoek")
        received = nl_date(i.received, time=False) if i.received else None
        asked = (["openbaarmaking van ", self.red(i.subject.strip().rstrip("."))] if _SUBJECT_SAYS_DOCUMENTS.match(i.subject)
                 else ["openbaarmaking van documenten over: ", self.red(i.subject.strip().rstrip("."))])
        self.para("Op ", received or ("?", "[datum ontvangst]"),
                  " hebben wij uw verzoek ontvangen op grond van de Wet open overheid (Woo). U vraagt om ", *asked, ".")
        self.para(f"Uw verzoek gaat over de periode van {nl_date(i.period_from, time=False)} tot en met "
                  f"{nl_date(i.period_to, time=False)}.")

    def section_procedure(self) -> None:
        i = self.info
        self.heading("2. Procedure")
        self.para("Wij hebben de ontvangst van uw verzoek bevestigd op ", ("?", "[datum ontvangstbevestiging]"), ".")
        if i.deadline:
            self.para(f"De beslistermijn van vier weken na ontvangst eindigt op {nl_date(i.deadline, time=False)}.")
        else:
            self.para("De beslistermijn is vier weken na de dag van ontvangst.")
        if i.extended:
            self.para("Wij hebben de beslistermijn met twee weken verdaagd, omdat ", ("?", "[reden verdaging]"), ".")
        self.para(("?", "[Vermeld hier of uw verzoek is verduidelijkt en of derden in de gelegenheid zijn gesteld "
                        "een zienswijze te geven; de beslistermijn is dan opgeschort.]"))

    def decision_counts(self) -> Counter:
        return Counter(d.decision for d in self.documents)

    def section_decision(self) -> None:
        c = self.decision_counts()
        self.heading("3. Besluit")
        shown = c["openbaar"] + c["deels openbaar"]
        if shown and not (c["niet openbaar"] or c["deels openbaar"]):
            verdict = "geheel toe te wijzen"
        elif shown:
            verdict = "gedeeltelijk toe te wijzen"
        elif c["reeds openbaar"] and not c["niet openbaar"]:
            verdict = "toe te wijzen voor zover de documenten niet al openbaar zijn"
        else:
            verdict = "af te wijzen"
        n = len(self.documents)
        if not n:
            self.para("Wij hebben geen documenten gevonden die onder uw verzoek vallen. Wij kunnen daarom geen "
                      "documenten openbaar maken en wijzen uw verzoek af. In paragraaf 4 leest u hoe wij hebben gezocht.")
            return
        found = "1 document gevonden dat" if n == 1 else f"{n} documenten gevonden die"
        self.para(f"Wij hebben besloten uw verzoek {verdict}. Wij hebben {found} onder uw verzoek "
                  + ("valt. Wij beslissen daarover als volgt:" if n == 1 else "vallen. Wij beslissen daarover als volgt:"))
        labels = {
            "openbaar": "geheel openbaar",
            "deels openbaar": "gedeeltelijk openbaar (met gelakte passages)",
            "niet openbaar": "niet openbaar",
            "reeds openbaar": "reeds openbaar (niet opnieuw verstrekt)",
        }
        for decision in DECISIONS:
            self.para(f"{labels[decision]}: {c[decision]}", style="List Bullet")
        if c[PENDING]:  # chat media without text that no handler has decided yet: left out of the bundles
            self.para(f"[nog te beoordelen (foto's, video's of spraakberichten; nog niet beoordeeld): {c[PENDING]}]",
                      style="List Bullet")

    def section_search(self) -> None:
        i = self.info
        self.heading("4. Zoekslag")
        self.para("Wij hebben als volgt naar documenten gezocht. De selectie is vastgelegd "
                  + (f"(selectie {i.selection_id}" + (f", {nl_date(i.collected_at)})" if i.collected_at else ")")
                     if i.selection_id else "")
                  + " en kan worden herhaald en gecontroleerd.")
        self.para(("b", "Periode: "), f"{nl_date(i.period_from, time=False)} tot en met {nl_date(i.period_to, time=False)}")
        self.para(("b", "Bronnen: "), *self.sources_in_words())
        self.para(("b", "Gezocht bij: "), *self.custodians_in_words(i.custodians))
        self.para(("b", "Zoektermen: "), self.red(query_in_words(i.query or i.subject) or i.subject))
        if i.terms:
            table = self.doc.add_table(rows=1, cols=3)
            table.style = "Table Grid"
            hdr = table.rows[0].cells
            for cell, text in zip(hdr, ("Zoekterm", "Treffers vóór ontdubbeling", "Documenten na ontdubbeling")):
                cell.paragraphs[0].add_run(text).bold = True
            table.rows[0]._tr.get_or_add_trPr().append(parse_xml(f'<w:tblHeader xmlns:w="{W_NS}"/>'))
            for t in i.terms:
                cells = table.add_row().cells
                append_runs(cells[0].paragraphs[0], self.red(t.term))
                cells[1].text = str(t.before)
                cells[2].text = str(t.after)
        undated = i.counts.get("undated", 0)
        if undated:  # a period cannot place an item without a date: say what was done with them
            one = undated == 1
            included = i.undated_handling == "include"
            self.para(("b", "Zonder datum: "),
                      f"{undated} {'document' if one else 'documenten'} zonder datum {'is' if one else 'zijn'} "
                      + ("meegenomen" if included else "niet meegenomen")
                      + (". Het valt onder de zoekvraag, maar een periode kan het niet plaatsen" if one
                         else ". Zij vallen onder de zoekvraag, maar een periode kan ze niet plaatsen")
                      + ("; in de inventarislijst staat er 'datum onbekend' bij." if included else "."))
        if i.counts:
            self.para("Resultaat van de zoekslag:")
            for key, value in i.counts.items():
                if key in ("undated", "redaction_layers"):
                    continue
                self.para(f"{COUNT_LABELS.get(key, key.replace('_', ' '))}: {value}", style="List Bullet")

    def _person(self, name: str) -> bool:
        """A custodian whose name is redacted is a person who does not appear in public for the job."""
        return bool(self.r.spans_of(name))

    def _whose(self, custodians: Sequence[str]) -> str:
        """'Afdeling Ruimte en 3 medewerkers': names only where they are not redacted."""
        named = sorted({c for c in custodians if c and not self._person(c)})
        persons = len({c.casefold() for c in custodians if c and self._person(c)})
        if persons:
            named.append("1 medewerker" if persons == 1 else f"{persons} medewerkers")
        return joined(named)

    def searched(self) -> list[tuple[str, str]]:
        """(medium, custodian) of what was searched: recorded with the selection, else read off the documents."""
        if self.info.searched:
            return list(self.info.searched)
        return sorted({(medium_of(it.kind, it.platform), it.custodian) for d in self.documents for it in d.items
                       if it.kind != "attachment"})

    def sources_in_words(self) -> list:
        """The sources by kind and by whom ('e-mail van 3 medewerkers; bestanden van Afdeling Ruimte'), never
        by their names, which often hold a person's name."""
        by_medium: dict[str, list[str]] = {}
        for medium, custodian in self.searched():
            by_medium.setdefault(medium, []).append(custodian)
        if not by_medium:
            return ["alle aangesloten bronnen"]
        parts = []
        for medium in sorted(by_medium, key=lambda m: list(MEDIA).index(m) if m in MEDIA else 99):
            whose = self._whose(by_medium[medium])
            parts.append(MEDIA.get(medium, medium) + (f" van {whose}" if whose else ""))
        return [clean_text("; ".join(parts))]

    def custodians_in_words(self, custodians: Sequence[str]) -> list:
        whose = self._whose(custodians)
        return [whose] if whose else ["alle medewerkers in de bronnen"]

    def used_grounds(self) -> dict[str, list[str]]:
        used: dict[str, list[str]] = {}
        for d in self.documents:
            for g in grounds_of(d, self.extra):
                used.setdefault(g, []).append(d.nr)
        return dict(sorted(used.items(), key=lambda kv: list(GROUNDS).index(kv[0]) if kv[0] in GROUNDS else 99))

    def section_grounds(self) -> None:
        self.heading("5. Wettelijk kader en motivering")
        self.para("Uitgangspunt van de Woo is dat informatie openbaar is (artikel 1.1). Openbaarmaking blijft "
                  "alleen achterwege voor zover een uitzonderingsgrond uit hoofdstuk 5 van de Woo dat vereist. "
                  "Gelakte passages zijn in de documenten vervangen door een zwart vak met de code van de grond.")
        used = self.used_grounds()
        if not used:
            self.para("Wij hebben geen uitzonderingsgronden toegepast.")
        for code, nrs in used.items():
            text = GROUNDS.get(code, code)
            if code == "dubbel":
                self.heading("Dubbele documenten", level=2)
                self.para((f"Document {nrs[0]} is" if len(nrs) == 1 else f"De documenten {joined(nrs)} zijn")
                          + " al beoordeeld als onderdeel van een ander document en worden daar verstrekt.")
                continue
            self.heading(f"{code}: {text}", level=2)
            if code in ABSOLUTE:
                self.para(f"Op grond van {article(code)} blijft het openbaar maken van informatie achterwege "
                          f"voor zover dit {text} betreft.")
            elif code == "5.1.5":
                self.para(f"Op grond van {article(code)} kan openbaarmaking achterwege blijven als dit leidt tot "
                          "onevenredige benadeling van een ander belang dan de belangen in artikel 5.1, eerste en "
                          "tweede lid, en het algemeen belang van openbaarheid niet opweegt tegen die benadeling.")
            else:
                self.para(f"Op grond van {article(code)} blijft openbaarmaking achterwege voor zover het belang "
                          f"daarvan niet opweegt tegen het belang van {text}.")
            shown = ", ".join(nrs[:40]) + (f" en {len(nrs) - 40} andere" if len(nrs) > 40 else "")
            self.para(f"Deze grond is toegepast in {len(nrs)} document{'en' if len(nrs) != 1 else ''} ({shown}).")
            self.para(("?", "[Motivering: " + REASONS.get(code, "licht toe welk belang deze grond hier beschermt "
                       "en waarom het zwaarder weegt dan het belang van openbaarheid.") + "]"))

    def section_disclosure(self) -> None:
        self.heading("6. Wijze van openbaarmaking")
        self.para("U ontvangt de openbaar gemaakte documenten digitaal, samen met een inventarislijst. "
                  "Wij publiceren dit besluit, de inventarislijst en de documenten ook op ",
                  ("?", "[website / Woo-platform]"), ", zodat iedereen ze kan inzien. Persoonsgegevens zijn daarbij gelakt.")

    def section_objection(self) -> None:
        self.heading("7. Bezwaar")
        self.para("Bent u het niet eens met dit besluit? Dan kunt u binnen zes weken na de dag waarop dit besluit "
                  f"bekend is gemaakt bezwaar maken bij {self.info.competent_body or self.org}. Stuur uw bezwaarschrift naar ",
                  ("?", "[adres]"), ". Vermeld daarin uw naam en adres, de datum, het kenmerk van dit besluit, "
                  "waarom u het er niet mee eens bent, en onderteken het.")
        self.para("Met vriendelijke groet,")
        self.para(("?", "[naam en functie ondertekenaar]"))
        self.para(self.org)

    def section_annexes(self) -> None:
        self.heading("Bijlagen")
        self.para("Inventarislijst (inventarislijst.xlsx en inventarislijst.docx)", style="List Bullet")
        if self.bundles:
            self.para("Documenten: " + ", ".join(self.bundles), style="List Bullet")


def append_nobreak(paragraph, text: str):
    """Append ``text`` as one run whose hyphens are non-breaking (``w:noBreakHyphen``): a request id such
    as WOO-2025-001 never breaks over two lines."""
    pieces = "<w:noBreakHyphen/>".join(f'<w:t xml:space="preserve">{escape(clean_text(p))}</w:t>' if p else ""
                                       for p in text.split("-"))
    paragraph._p.append(parse_xml(f'<w:r xmlns:w="{W_NS}">{pieces}</w:r>'))
    return paragraph


def append_runs(paragraph, runs: Sequence[Run]) -> None:
    """Append redacted runs (boxes included) to a python-docx paragraph."""
    parsed = parse_xml(f'<w:p xmlns:w="{W_NS}">{runs_xml(runs, breaks=False)}</w:p>')
    for child in list(parsed):
        paragraph._p.append(child)


def write_letter(path: Path, info: RequestInfo, documents: Sequence[Document], redactor: Redactor,
                 organisation: str, now: datetime | None, bundles: Sequence[str], extra=None) -> Path:
    """Write besluit-concept.docx; ``extra`` maps document numbers to grounds boxed beyond their own."""
    return LetterWriter(info, documents, redactor, organisation, now, bundles, extra).write(path)

"""The full-text index, behind one small interface (add, delete, search, count, snippets), with two engines:

- ``whoosh`` (``whoosh-reloaded`` 2.7.5, pinned): the default for a new workspace, pure Python;
- ``tantivy`` (the official Python bindings of the Rust engine, ``woo_collector/index_tantivy.py``):
  the embedded engine for large archives (hundreds of thousands of items and more).

The workspace's ``engine`` setting says which one runs; ``woo reindex --engine NAME`` switches (the
index is derived data: it is rebuilt from the catalog). ``open_index(path, engine)`` opens either.

One query language for both: every query is parsed once by Whoosh's ``QueryParser`` (``parse``) and
the query tree is searched by Whoosh or translated to tantivy. One analysis for both: the text is
analysed in Python by ``dutch_analyzer`` (tokens lower-cased, accents folded, Dutch stop words removed,
words stemmed with the classic Snowball Dutch stemmer plus our plural rule, so ``windturbine`` finds
``windturbines``); tantivy is handed those tokens with their positions, so both engines hold the same
terms and find the same documents. Large text is indexed but never stored: titles and senders are
stored for result lists; snippets are made from the catalog's text for the hits shown only.

Periods are applied as a *filter* and a Woo selection collects with ``limit=None``: Whoosh's
``len(results)`` of a term AND a DateRange with a limit under-counts on large indexes. Counts are
exact in both engines.
"""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from woo_collector import faults
from woo_collector.models import Item

SCHEMA_VERSION = "1"
ENGINES = ("whoosh", "tantivy")
DEFAULT_ENGINE = "whoosh"


def open_index(path: Path, engine: str = DEFAULT_ENGINE):
    """The index of engine ``engine`` under ``path`` (the workspace's ``index/``), created when absent.

    Whoosh keeps its files in ``index/`` itself (as workspaces always had), tantivy in ``index/tantivy/``."""
    if engine == "whoosh":
        return WhooshIndex(path)
    if engine == "tantivy":
        from woo_collector.index_tantivy import TantivyIndex

        return TantivyIndex(Path(path) / "tantivy")
    raise ValueError(f"unknown index engine {engine!r}; known engines: {', '.join(ENGINES)}")


def prepare(engine: str, item: Item) -> None:
    """Do the per-item work of indexing ``item`` that needs nothing but the item (its analysis), and
    keep it with the item (``Item.memo``): an ingest worker process does this for what it parsed."""
    if engine not in ENGINES:
        raise ValueError(f"unknown index engine {engine!r}; known engines: {', '.join(ENGINES)}")
    item.memo("index terms", index_terms)


def remove_index(path: Path, engine: str) -> None:
    """Delete the files of engine ``engine`` under ``path`` (after a switch to the other engine)."""
    import shutil

    path = Path(path)
    if engine == "tantivy":
        shutil.rmtree(path / "tantivy", ignore_errors=True)
    elif engine == "whoosh" and path.is_dir():
        for p in path.iterdir():
            if p.is_file():
                p.unlink()


_snowball_nl = None


def dutch_stem(word: str) -> str:
    """Snowball Dutch, plus the plurals it leaves alone: -s after -e (windturbines) and 's (auto's)."""
    global _snowball_nl
    if _snowball_nl is None:
        from whoosh.lang import stemmer_for_language

        _snowball_nl = stemmer_for_language("nl")
    if word.endswith(("'s", "’s")):
        word = word[:-2]
    elif len(word) >= 7 and word.endswith("es"):
        word = word[:-1]
    return _snowball_nl(word)


def dutch_analyzer():
    from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
    from whoosh.lang import stopwords_for_language
    from whoosh.support.charset import accent_map

    return (RegexTokenizer(r"\w+(?:['’-]\w+)*")
            | LowercaseFilter()
            | CharsetFilter(accent_map)
            | StopFilter(stoplist=stopwords_for_language("nl"), minsize=1)
            | StemFilter(stemfn=dutch_stem, lang=None, cachesize=100_000))


def _schema():
    from whoosh.analysis import SimpleAnalyzer
    from whoosh.fields import DATETIME, ID, STORED, TEXT, Schema

    nl = dutch_analyzer()
    addr = SimpleAnalyzer(expression=r"[\w.+-]+(?:@[\w.-]+)?")
    return Schema(**{
        "id": ID(stored=True, unique=True),
        "kind": ID(stored=True),
        "source_id": ID(stored=True),
        "custodian_id": ID(stored=True),
        "conversation": ID(stored=True),
        "source": TEXT(analyzer=SimpleAnalyzer(), phrase=False),
        "custodian": TEXT(analyzer=SimpleAnalyzer(), phrase=False),
        "date": DATETIME(stored=True, sortable=True),
        "from": TEXT(analyzer=addr, phrase=False),
        "to": TEXT(analyzer=addr, phrase=False),
        "subject": TEXT(analyzer=nl, phrase=True),
        "body": TEXT(analyzer=nl, phrase=True),
        "title": STORED(),
        "sender": STORED(),
    })


def _doc(item: Item) -> dict:
    sent = item.sent.astimezone(timezone.utc).replace(tzinfo=None) if item.sent else None
    title = f"{item.subject}: {item.body[:80]}" if item.kind == "chat" and item.subject else item.subject or item.body[:80]
    doc = {
        "id": item.id, "kind": item.kind, "source_id": item.source, "custodian_id": item.custodian,
        "conversation": item.conversation or "", "source": item.source, "custodian": item.custodian,
        "from": item.sender, "to": " ".join(item.recipients + item.cc + item.bcc),
        "subject": item.subject, "body": f"{item.subject}\n{item.body}" if item.kind != "chat" else item.body,
        "title": title[:300], "sender": item.sender[:200],
    }
    if sent:
        doc["date"] = sent
    return doc


ANALYSED = ("source", "custodian", "from", "to", "subject", "body")  # the fields both engines index as terms


def index_terms(item: Item) -> dict[str, tuple[str | list[str], int | list[int]]]:
    """The analysed fields of ``item``, as the Whoosh schema's analyzers make them (``FastAnalyzer``):
    the analysis both engines index, done by an ingest worker for the items it parsed (``Item.memo``).
    Each field's terms are packed to cross from the worker cheaply (``pack_terms``; ``unpack_terms``)."""
    fields = _doc(item)
    return {name: pack_terms(*fast_analyzer(name).words(fields[name] or "")) for name in ANALYSED}


def pack_terms(words: list[str], positions: int | list[int]) -> tuple[str | list[str], int | list[int]]:
    """A field's terms in the form that costs least to pickle: (the terms joined by spaces, the first
    position) where they follow one by one and hold no space (a pickled list of a few hundred terms
    costs the worker and the ingesting process ten times more), else as they are."""
    if isinstance(positions, int):
        joined = " ".join(words)
        if joined.count(" ") == max(len(words) - 1, 0) and all(words):
            return joined, positions
        positions = list(range(positions, positions + len(words)))
    return list(words), positions


def unpack_terms(packed: tuple[str | list[str], int | list[int]]) -> tuple[list[str], Sequence[int]]:
    """(terms, positions) of a field packed by ``pack_terms``."""
    words, positions = packed
    if isinstance(words, str):
        words = words.split(" ") if words else []
    if isinstance(positions, int):
        positions = range(positions, positions + len(words))
    return words, positions


def _whoosh_doc(item: Item) -> dict:
    """Whoosh's document of ``item`` with the analysed fields given as their terms: Whoosh numbers
    them 0, 1, 2, ... (its analyzer numbers from the first word kept: the same distances, which is
    all a phrase compares)."""
    doc = _doc(item)
    for name, packed in item.memo("index terms", index_terms).items():
        doc[name] = unpack_terms(packed)[0]
    return doc


@dataclass
class Hit:
    id: str
    kind: str
    source: str
    custodian: str
    date: datetime | None
    title: str
    sender: str
    score: float
    snippet: str = ""


class SearchError(ValueError):
    """The query cannot be parsed."""


def _racing_a_commit(open_, attempts: int = 20):
    """``open_()`` (an index or a searcher on its newest commit), again when it raced a writer's commit.

    A reader that read the name of the newest generation can find it already replaced: Whoosh deletes
    the old TOC and segment files right after a commit. Reading the newest generation again is right;
    failing a search because an ingest committed at that moment is not.
    """
    for attempt in range(attempts):
        try:
            return open_()
        except FileNotFoundError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05)


class IndexEngine:
    """What the two engines share. Each also has: ``add(new, changed, procs=)``, ``upsert``, ``delete``,
    ``clear``, ``optimize``, ``ids``, ``doc_count``, ``filter_for``, ``search``, ``select_ids``,
    ``select_undated_ids`` and ``close``."""

    path: Path

    def size_bytes(self) -> int:
        return sum(p.stat().st_size for p in self.path.iterdir() if p.is_file())

    def parse(self, query: str):
        """The contract's query syntax, parsed once by Whoosh's QueryParser for either engine."""
        return parse_query(query)

    def release(self) -> None:
        """Let go of what searching keeps in memory (the next search opens it again): called before
        a long step that searches no more, such as a collect's redaction proposals."""


_whoosh_tuned = False


def tune_whoosh() -> None:
    """Two shortcuts in whoosh-reloaded's writer, each giving what its own code gives (tests compare
    them with it); once a process. The ingesting process's profile of a Whoosh import named both.

    - A field handed as its list of terms (the analysis an ingest worker made): its postings values
      are counted in one loop, not passed through a stream of Token objects and two generators.
    - A segment's missing column (a field with no lengths) is remembered: ``W3PerDocReader`` looked
      for the column's file on disk again for every document it was asked about (a segment's files
      never change once written)."""
    global _whoosh_tuned
    if _whoosh_tuned:
        return
    from whoosh import formats
    from whoosh.codec import whoosh3
    from whoosh.system import pack_uint

    def positions(cls, original):
        def word_values(self, value, analyzer, **kwargs):
            if type(value) is not list or type(self) is not cls or kwargs.keys() - {"mode"}:
                return original(self, value, analyzer, **kwargs)
            poses: dict[str, list[int]] = {}
            for pos, word in enumerate(value):  # numbered from 0, as whoosh's entoken numbers a list
                if (found := poses.get(word)) is None:
                    poses[word] = [pos]
                else:
                    found.append(pos)
            fb, encode = self.field_boost, self.encode
            return [(w, len(ps), float(len(ps)) * fb, encode(ps)) for w, ps in poses.items()]
        return word_values

    def frequency(cls, original):
        def word_values(self, value, analyzer, **kwargs):
            if type(value) is not list or type(self) is not cls or kwargs.keys() - {"mode"}:
                return original(self, value, analyzer, **kwargs)
            freqs: dict[str, int] = {}
            for word in value:
                freqs[word] = freqs.get(word, 0) + 1
            fb = self.field_boost
            return [(w, f, float(f) * fb, pack_uint(f)) for w, f in freqs.items()]
        return word_values

    def cached_reader(self, fieldname, column):
        try:
            return self._readers[fieldname]
        except KeyError:
            reader = self._readers[fieldname] = self.column_reader(fieldname, column) if self.has_column(fieldname) else None
            return reader

    for cls, fast in ((formats.Positions, positions), (formats.Frequency, frequency)):
        cls._whoosh_word_values = vars(cls)["word_values"]  # a subclass (Characters, PositionBoosts) keeps its own
        cls.word_values = fast(cls, vars(cls)["word_values"])
    whoosh3.W3PerDocReader._whoosh_cached_reader = whoosh3.W3PerDocReader._cached_reader
    whoosh3.W3PerDocReader._cached_reader = cached_reader
    _whoosh_tuned = True


class WhooshIndex(IndexEngine):
    def __init__(self, path: Path):
        from whoosh import index as windex

        tune_whoosh()
        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        where = str(self.path)
        self._open_lock, self._open_searchers = threading.Lock(), {}  # thread: its searcher
        self.ix = _racing_a_commit(lambda: windex.open_dir(where) if windex.exists_in(where) else None)
        if self.ix is None:
            self.ix = windex.create_in(str(self.path), _schema())
            (self.path / "SCHEMA").write_text(SCHEMA_VERSION)

    # writing ------------------------------------------------------------------------------------
    def add(self, new: Sequence[Item], changed: Sequence[Item] = (), *, procs: int = 1) -> None:
        """Add new items and replace changed ones, in one commit."""
        if not new and not changed:
            return
        writer = self.ix.writer(limitmb=256, procs=procs, multisegment=procs > 1)
        try:
            for item in new:
                writer.add_document(**_whoosh_doc(item))
            for item in changed:
                writer.update_document(**_whoosh_doc(item))
        except BaseException:
            writer.cancel()
            raise
        faults.point("index-commit")
        writer.commit()
        faults.point("index-committed")

    def upsert(self, items: Iterable[Item]) -> int:
        """Replace-or-add (used when mending after a crash: the item may or may not be there)."""
        writer = self.ix.writer(limitmb=256)
        n = 0
        try:
            for item in items:
                writer.update_document(**_whoosh_doc(item))
                n += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        return n

    def delete(self, ids: Iterable[str]) -> int:
        writer = self.ix.writer()
        n = 0
        for i in ids:
            n += writer.delete_by_term("id", i)
        writer.commit()
        return n

    def clear(self) -> None:
        from whoosh import index as windex

        self._close_searchers()
        self.ix.close()
        for p in self.path.iterdir():
            if p.is_file():
                p.unlink()
        self.ix = windex.create_in(str(self.path), _schema())
        (self.path / "SCHEMA").write_text(SCHEMA_VERSION)

    def optimize(self) -> None:
        self.ix.optimize()

    # reading ------------------------------------------------------------------------------------
    def _searcher(self):
        """The searcher of the newest commit, as a context manager that leaves it open: one searcher
        is kept per thread and opened again only when a commit made a new generation. Opening one
        copies every file of every segment into memory (whoosh-reloaded reads its memory-mapped
        segment files through ``BytesIO``): at 100,000 items that was 2 of the 2.3 s of a search with
        a period. The searchers of ended threads are closed when a thread opens one. Not Whoosh's
        ``refresh()``: reusing the old reader it keeps merged-away segments."""
        from contextlib import nullcontext

        me = threading.current_thread()
        held = self._open_searchers.get(me)
        if held is None or held.reader().generation() != self.ix.latest_generation():
            fresh = _racing_a_commit(self.ix.searcher)
            with self._open_lock:
                gone = [t for t in self._open_searchers if t is me or not t.is_alive()]  # and those of ended threads
                for t in gone:
                    self._open_searchers.pop(t).close()
                self._open_searchers[me] = held = fresh
        return nullcontext(held)

    def release(self) -> None:
        """Close the searchers kept per thread: each holds a copy of every segment file in memory
        (about 1 GB at 200,000 items), which a collect's redaction step does not need."""
        self._close_searchers()

    def _close_searchers(self) -> None:
        with self._open_lock:
            for s in self._open_searchers.values():
                s.close()
            self._open_searchers.clear()

    def ids(self) -> set[str]:
        with self._searcher() as s:
            return {fields["id"] for fields in s.all_stored_fields()}

    def doc_count(self) -> int:
        with self._searcher() as s:
            return s.doc_count()

    def filter_for(self, date_from: datetime | None = None, date_to: datetime | None = None,
                   sources: Sequence[str] = (), custodians: Sequence[str] = (), kinds: Sequence[str] = (),
                   ids: Sequence[str] | None = None):
        """The filters as one Whoosh query (a period as a DateRange), or None."""
        from whoosh.query import And, DateRange

        parts = []
        if date_from or date_to:
            lo = date_from.astimezone(timezone.utc).replace(tzinfo=None) if date_from else None
            hi = date_to.astimezone(timezone.utc).replace(tzinfo=None) if date_to else None
            parts.append(DateRange("date", lo, hi, startexcl=False, endexcl=True))
        rest = self._other_filters(sources, custodians, kinds, ids)
        if rest is not None:
            parts.append(rest)
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(parts)

    @staticmethod
    def _other_filters(sources: Sequence[str] = (), custodians: Sequence[str] = (), kinds: Sequence[str] = (),
                       ids: Sequence[str] | None = None):
        from whoosh.query import And, Or, Term

        parts = []
        for field, values in (("source_id", sources), ("custodian_id", custodians), ("kind", kinds)):
            if values:
                parts.append(Or([Term(field, v) for v in values]))
        if ids is not None:
            parts.append(Or([Term("id", i) for i in ids]))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(parts)

    @staticmethod
    def _on_candidates(q, flt):
        """``q`` with each phrase checking positions only on the documents of the filter set ``flt``."""
        return _phrases_on(q, flt) if isinstance(flt, set) else q

    def _filter(self, s, date_from: datetime | None = None, date_to: datetime | None = None, **rest):
        """The filter to search with: None, a query, or, with a period, the set of document numbers
        within it. A period is read from the date column (one sorted copy per index generation,
        cut with two bisections), not searched as a DateRange: at 100,000 items that range alone
        took seconds. Document numbers of deleted documents may be in the set; no query matches them."""
        other = self._other_filters(**rest)
        if not (date_from or date_to):
            return other
        docs = self._dated(s).between(date_from, date_to)
        if other is not None:
            docs &= set(s.docs_for_query(other))
        return docs

    def _dated(self, s) -> "_DateColumn":
        reader = s.reader()
        segments = tuple((seg.segment_id(), seg.deleted_count()) if seg is not None else None
                         for seg in (r.segment() for r, _ in reader.leaf_readers()))
        key = (reader.generation(), reader.doc_count_all(), segments)  # segment ids are random: a rebuilt index differs
        cached = getattr(self, "_date_column", None)
        if cached is None or cached.key != key or None in segments:
            cached = self._date_column = _DateColumn(reader, key)
        return cached

    def search(self, query: str, *, limit: int | None = 20, texts: "callable | None" = None, **filters) -> tuple[int, list[Hit]]:
        """(total number of matching items, the first ``limit`` hits with snippets).

        ``texts(ids) -> {id: text}`` supplies the text for snippets of the hits shown.
        """
        q = self.parse(query)
        with self._searcher() as s:
            flt = self._filter(s, **filters)
            if flt == set():  # a period with nothing in it (Whoosh reads an empty filter set as no filter)
                return 0, []
            searched = self._on_candidates(q, flt)  # q stays the parsed query: its phrases are highlighted
            if flt is None and limit is not None and _counted_in_one_pass(searched):
                results = _top_and_count(s, searched, limit)
                total = len(results)  # counted in the pass that found the top hits
            else:
                results = s.search(searched, filter=flt, limit=limit)  # never terms=True: it breaks the filtered count
                total = len(results) if flt is None or limit is None else _count(s, searched, flt)
            shown = [results[i] for i in range(results.scored_length())]  # list(results) would ask len(): Whoosh's slow count
            bodies = texts([h["id"] for h in shown]) if texts and shown else {}
            hits, terms = [], highlight_terms(q)
            for h in shown:  # snippets as a Whoosh hit's highlights(), made by the fast analyzer
                d = h.get("date")
                hits.append(Hit(id=h["id"], kind=h["kind"], source=h["source_id"], custodian=h["custodian_id"],
                                date=d.replace(tzinfo=timezone.utc) if d else None, title=h.get("title", ""),
                                sender=h.get("sender", ""), score=float(h.score or 0.0),
                                snippet=make_snippet(bodies.get(h["id"], ""), q, terms)))
            return total, hits

    def select_ids(self, query: str, **filters) -> list[str]:
        """Every matching id (a Woo selection): period as a filter, no limit."""
        q = self.parse(query)
        with self._searcher() as s:
            flt = self._filter(s, **filters)
            if flt == set():  # nothing in the period: Whoosh would read the empty set as no filter
                return []
            return [h["id"] for h in s.search(self._on_candidates(q, flt), filter=flt, limit=None)]

    def select_undated_ids(self, query: str, **filters) -> list[str]:
        """Every matching id that has no date (a mail without a Date header, a file without
        metadata): a period filter can never place these, so a selection reports them."""
        filters = {k: v for k, v in filters.items() if k not in ("date_from", "date_to")}
        q = self.parse(query)
        with self._searcher() as s:
            flt = self._filter(s, **filters)
            if flt == set():
                return []
            return [h["id"] for h in s.search(self._on_candidates(q, flt), filter=flt, limit=None) if h.get("date") is None]

    def close(self) -> None:
        self._close_searchers()
        self.ix.close()


_parser = None
_analysis_schema = None


def whoosh_schema():
    """The Whoosh schema (one a process): its fields' analyzers are the analysis of both engines.
    Made without the query parser, which an ingest worker never needs (importing it was a quarter
    of a second of each worker's start)."""
    global _analysis_schema
    if _analysis_schema is None:
        _analysis_schema = _schema()
    return _analysis_schema


def _query_parser():
    global _parser
    if _parser is None:
        from whoosh.qparser import FieldsPlugin, QueryParser, WildcardPlugin
        from whoosh.qparser.dateparse import DateParserPlugin

        qp = QueryParser("body", whoosh_schema())
        qp.add_plugin(DateParserPlugin(free=False))
        for plugin in (FieldsPlugin, WildcardPlugin):
            if not any(isinstance(p, plugin) for p in qp.plugins):
                qp.add_plugin(plugin())
        _parser = qp
    return _parser


def parse_query(query: str):
    """The Whoosh query tree of ``query`` (the contract's query language), for either engine; an
    empty query or ``*`` is every item. ``SearchError`` when it cannot be read."""
    qp = _query_parser()
    q = query.strip() or "*"
    try:
        return _words_for_phrases(qp.parse(q), qp.schema) if q != "*" else _every()
    except Exception as e:  # whoosh raises assorted errors on malformed queries
        raise SearchError(f"cannot read the query {query!r}: {e}") from e


class FastAnalyzer:
    """Whoosh's analyzer chain run as one loop: the same tokens and positions as
    ``analyzer(text, positions=True, chars=True, mode="index")``, in a fraction of the time (no token
    object passed through five generators, stems looked up in a dict). It reads its parameters from
    the Whoosh analyzer itself (tokenizer expression, charset map, stop list, stem function); a chain
    with a filter it does not know is run by Whoosh."""

    STEMS_KEPT = 500_000

    def __init__(self, analyzer):
        from whoosh.analysis import CharsetFilter, LowercaseFilter, RegexTokenizer, StemFilter, StopFilter

        self.analyzer = analyzer
        items = list(getattr(analyzer, "items", [analyzer]))
        self.fast = bool(items) and type(items[0]) is RegexTokenizer and not items[0].gaps
        self.expression = items[0].expression if self.fast else None
        # the same expression with ASCII classes: on an ASCII text it finds the same words, faster
        self.ascii_expression = re.compile(self.expression.pattern, (self.expression.flags & ~re.UNICODE) | re.ASCII) if self.fast else None
        self.steps = []
        for f in items[1:]:
            if type(f) is LowercaseFilter:
                self.steps.append(("lower", None))
            elif type(f) is CharsetFilter:
                self.steps.append(("charset", f.charmap))
            elif type(f) is StopFilter and f.renumber:
                self.steps.append(("stop", (f.stops, f.min, f.max)))
            elif type(f) is StemFilter and not f.ignore:
                self.steps.append(("stem", f.stemfn))
            else:
                self.fast = False
        kinds = [k for k, _ in self.steps]
        self.fast = self.fast and kinds in (["lower"], ["lower", "charset", "stop", "stem"])
        if self.fast and len(kinds) == 4:
            self.charmap, (self.stops, self.min, self.max), self.stemfn = (v for _, v in self.steps[1:])
            self.fast = all(self.charmap.get(c, c) in (c, chr(c)) for c in range(128) if not chr(c).isupper())
        self.stems: dict[str, str] = {}

    def new_stem(self, word: str) -> str:
        """The stem of a word not in ``stems`` yet, kept there (the cache emptied when full). The loops
        look a word up in ``stems`` themselves and call this only on a miss: one dict lookup a token."""
        if len(self.stems) >= self.STEMS_KEPT:
            self.stems.clear()
        stem = self.stems[word] = self.stemfn(word)
        return stem

    def tokens(self, text: str) -> list[tuple[str, int, int, int]]:
        """(term, position, start, end) of each token of ``text``, as Whoosh indexes them."""
        if not self.fast:
            return [(t.text, t.pos, t.startchar, t.endchar)
                    for t in self.analyzer(text, positions=True, chars=True, mode="index")]
        if len(self.steps) == 1:
            return [(m.group().lower(), i, m.start(), m.end()) for i, m in enumerate(self.expression.finditer(text))]
        out = []
        charmap, stops, lo, hi, stems = self.charmap, self.stops, self.min, self.max, self.stems
        pos = None
        for i, m in enumerate(self.expression.finditer(text)):
            word = m.group().lower()
            if not word.isascii():  # the charset map folds accents; lower-case ASCII it maps to itself
                word = word.translate(charmap)
            if len(word) < lo or (hi is not None and len(word) > hi) or word in stops:
                continue
            pos = i if pos is None else pos + 1  # Whoosh's StopFilter renumbers from the first word kept
            stem = stems.get(word) or self.new_stem(word)
            out.append((stem, pos, m.start(), m.end()))
        return out


    def terms(self, text: str) -> list[tuple[str, int]]:
        """(term, position) of each token of ``text``: ``tokens`` without the offsets."""
        return list(zip(*unpack_terms(self.words(text))))

    def words(self, text: str) -> tuple[list[str], int | list[int]]:
        """The terms of ``text`` and their positions: (terms, the first one's position) where they
        follow one by one, as the fast loop numbers them, else (terms, each position). Faster than
        ``tokens`` (an ASCII text is lower-cased once; the matches are taken as strings)."""
        if not self.fast or self.expression.groups:
            tokens = self.tokens(text)
            return [t for t, _, _, _ in tokens], [p for _, p, _, _ in tokens]
        if text.isascii():
            words = self.ascii_expression.findall(text.lower())  # ASCII: lower-casing keeps every character a word character or not
        else:  # each match lower-cased, as ``tokens`` does (lower-casing first could split a word), and folded
            words = [w.lower() for w in self.expression.findall(text)]
            if len(self.steps) > 1:
                charmap = self.charmap
                words = [w if w.isascii() else w.translate(charmap) for w in words]
        if len(self.steps) == 1:
            return words, 0
        stops, lo, hi, stems, new_stem = self.stops, self.min, self.max, self.stems, self.new_stem
        if hi is None:
            kept = [w for w in words if len(w) >= lo and w not in stops]
        else:
            kept = [w for w in words if lo <= len(w) <= hi and w not in stops]
        first = 0  # Whoosh's StopFilter renumbers from the first word kept
        if kept:
            while words[first] != kept[0]:  # an equal word earlier would have been kept too
                first += 1
        found = list(map(stems.get, kept))  # the stems known, None for the rest
        if None in found:
            found = [s if s is not None else new_stem(w) for s, w in zip(found, kept)]
        return found, first


    def marked(self, text: str, words: set[str], patterns: list) -> Iterator:
        """Whoosh's tokens of ``text`` for highlighting (stop words kept, unstemmed), each with
        ``matched`` set when its term is one of ``words`` or matches one of ``patterns``."""
        from whoosh.analysis import Token

        def matches(term: str) -> bool:
            return term in words or any(p.fullmatch(term) for p in patterns)

        if not self.fast or len(self.steps) != 4:
            for t in self.analyzer(text, positions=True, chars=True, mode="index", removestops=False):
                t.matched = matches(t.text)
                yield t
            return
        t = Token(positions=False, chars=True, removestops=False)
        charmap, stops, lo, hi, stems = self.charmap, self.stops, self.min, self.max, self.stems
        for m in self.expression.finditer(text):
            word = m.group().lower()
            if not word.isascii():
                word = word.translate(charmap)
            if not (len(word) < lo or (hi is not None and len(word) > hi) or word in stops):
                stem = stems.get(word) or self.new_stem(word)
                word = stem
            t.text, t.startchar, t.endchar = word, m.start(), m.end()
            t.matched = matches(word)
            yield t


_fast_analyzers: dict[str, FastAnalyzer] = {}


def fast_analyzer(field: str) -> FastAnalyzer:
    """The ``FastAnalyzer`` of a field of the Whoosh schema (one per process)."""
    if field not in _fast_analyzers:
        _fast_analyzers[field] = FastAnalyzer(whoosh_schema()[field].analyzer)
    return _fast_analyzers[field]


def highlight_terms(q, fieldname: str = "body") -> tuple[set[str], list]:
    """The terms of ``q`` a snippet marks in ``fieldname``: the words of its terms and phrases, and its
    prefixes and wildcards as patterns over the words of the text (nothing under a NOT)."""
    import fnmatch
    import re

    words, patterns = set(), []
    for sub in _leaves(q):
        if getattr(sub, "fieldname", None) != fieldname:
            continue
        name = type(sub).__name__
        if name == "Term":
            words.add(sub.text)
        elif name == "Phrase":
            words.update(sub.words)
        elif name == "Prefix":
            patterns.append(re.compile(re.escape(sub.text) + ".*", re.S))
        elif name == "Wildcard":
            patterns.append(re.compile(fnmatch.translate(sub.text), re.S))
    return words, patterns


def highlight(text: str, q, fieldname: str = "body", top: int = 2, fast: bool = True) -> str:
    """Whoosh's highlighting of ``text`` for the terms of ``q`` in ``fieldname`` (what a Whoosh hit's
    ``highlights`` makes when handed the text): for an engine that has no Whoosh hit. Prefixes and
    wildcards mark the words of the text they match."""
    from whoosh.highlight import BasicFragmentScorer, ContextFragmenter, HtmlFormatter, Highlighter, top_fragments

    words, patterns = highlight_terms(q, fieldname)
    if not words and not patterns:
        return ""
    if fast:
        tokens = fast_analyzer(fieldname).marked(text, words, patterns)
    else:  # Whoosh's own chain (what the fast one is tested against)
        tokens = whoosh_schema()[fieldname].analyzer(text, positions=True, chars=True, mode="index", removestops=False)
        tokens = _set_matched(tokens, words, patterns)
    hl = Highlighter()
    fragments = ContextFragmenter().fragment_tokens(text, hl._merge_matched_tokens(tokens))
    fragments = top_fragments(fragments, top, BasicFragmentScorer(), hl.order, minscore=1)
    return HtmlFormatter(tagname="b").format(fragments)


_UNSEEN = object()


def plain_highlight(text: str, words: set[str], patterns: list, fieldname: str = "body", top: int = 2) -> str | None:
    """``_plain(highlight(text, q))`` for the ``highlight_terms`` of ``q``, in one loop over the words
    of ``text``: Whoosh's ContextFragmenter (200 characters, 20 around, the first 32 KB), its fragment
    score (matches times 100 times distinct terms), the best ``top`` in text order, joined by "...",
    HTML-escaped as Whoosh's formatter does. Five to ten times faster than the generator chain, which
    was most of a tantivy search. None when the field's analyzer is not one ``FastAnalyzer`` runs."""
    import html
    from collections import deque

    fa = fast_analyzer(fieldname)
    if not fa.fast or len(fa.steps) != 4:
        return None
    if not words and not patterns:
        return ""
    maxchars, surround, charlimit = 200, 20, 2 ** 15
    charmap, stops, lo, hi, stems = fa.charmap, fa.stops, fa.min, fa.max, fa.stems
    seen: dict[str, str | None] = {}  # the lower-cased word: its term when it matches, else None
    frags = []  # (score, start, end)
    first, firsts, countdown, tks, currentlen, endchar = None, deque(), -1, [], 0, None

    def done(first, endchar, tks):
        start = (first if first is not None else 0)
        score = len(tks) * ((len(set(tks)) * 100) or 1)
        frags.append((score, max(0, start), min(len(text), endchar)))

    ascii_text = text.isascii()  # then lower-casing keeps every offset: the words are matched lower-cased
    popleft, append = firsts.popleft, firsts.append
    for m in fa.expression.finditer(text.lower() if ascii_text else text):
        startchar, endchar = m.span()
        if endchar > charlimit:
            break
        word = m.group() if ascii_text else m.group().lower()
        term = seen.get(word, _UNSEEN)
        if term is _UNSEEN:
            term = word.translate(charmap) if not word.isascii() else word
            if not (len(term) < lo or (hi is not None and len(term) > hi) or term in stops):
                stem = stems.get(term) or fa.new_stem(term)
                term = stem
            if not (term in words or any(p.fullmatch(term) for p in patterns)):
                term = None
            seen[word] = term
        tlength = endchar - startchar
        if countdown < 0 and term is None:
            append(startchar)
            while firsts and endchar - firsts[0] > surround:
                popleft()
        elif currentlen + tlength > maxchars:
            countdown = 0
        elif term is not None:
            countdown = surround
            if first is None:
                if firsts:
                    first = firsts[0]
                else:
                    first = startchar
                    countdown += surround
            tks.append(term)
        if countdown >= 0:
            currentlen += tlength
            countdown -= tlength
            if countdown <= 0:
                done(first, endchar, tks)
                tks, first, currentlen = [], None, 0
                firsts.clear()
    if tks:
        done(first, endchar, tks)
    best = sorted((f for f in sorted(frags, key=lambda f: (f[0], f[1]), reverse=True)[:top] if f[0] >= 1), key=lambda f: f[1])
    return _plain("...".join(html.escape(text[a:b], quote=False) for _, a, b in best))


def _set_matched(tokens, words, patterns):
    for t in tokens:
        t.matched = t.text in words or any(p.fullmatch(t.text) for p in patterns)
        yield t


def _leaves(q):
    """Every query of the tree ``q`` that is not a compound of others, except what lies under a NOT."""
    name = type(q).__name__
    if name in ("Not",):
        return
    if name == "AndNot":
        yield from _leaves(q.a)
        return
    children = list(q.children()) if hasattr(q, "children") else []
    if not children:
        yield q
    for c in children:
        yield from _leaves(c)


def make_snippet(text: str, q, terms: tuple[set[str], list] | None = None) -> str:
    """The snippet of a hit: the highlighted fragments, else the text's start; plain text.
    ``terms``: ``highlight_terms(q)``, when the caller makes the snippets of several hits."""
    if not text:
        return ""
    try:
        snippet = plain_highlight(text, *(terms or highlight_terms(q)))
        if snippet is None:
            snippet = _plain(highlight(text, q) or "")
    except Exception:  # highlighting is cosmetic; a failure must not break a search
        snippet = ""
    return snippet or _plain(" ".join(text.split())[:200])


class _DateColumn:
    """The date column of one index generation, sorted: document numbers by date, undated left out."""

    UNDATED = 2 ** 64 - 1  # what Whoosh's date column holds for a document without a date

    def __init__(self, reader, key):
        self.key = key
        empty = not reader.doc_count_all() or not reader.has_column("date")  # an empty index has no column
        values = [] if empty else list(reader.column_reader("date", translate=False))
        order = sorted((i for i, v in enumerate(values) if v != self.UNDATED), key=values.__getitem__)
        self.values = [values[i] for i in order]
        self.docs = order

    def between(self, lo: datetime | None, hi: datetime | None) -> set[int]:
        """Document numbers dated in [lo, hi)."""
        import bisect

        from whoosh.util.times import datetime_to_long

        a = bisect.bisect_left(self.values, datetime_to_long(lo.astimezone(timezone.utc).replace(tzinfo=None))) if lo else 0
        b = bisect.bisect_left(self.values, datetime_to_long(hi.astimezone(timezone.utc).replace(tzinfo=None))) if hi else len(self.values)
        return set(self.docs[a:b])


def _words_for_phrases(q, schema):
    """``q`` with each phrase on a field that keeps no positions (from, to, custodian, source) read as
    all of its words in that field: ``custodian:"Carol Christmas"`` is custodian:carol AND
    custodian:christmas. Whoosh would refuse such a phrase only when searching ("field has no
    positions"). Word order is not checked there; for names and addresses that is what is meant."""
    from whoosh.query import And, NullQuery, Phrase, Term

    if isinstance(q, Phrase) and q.fieldname in schema:
        fmt = schema[q.fieldname].format
        if not fmt or not fmt.supports("positions"):
            terms = [Term(q.fieldname, w, boost=q.boost) for w in q.words]
            return NullQuery if not terms else terms[0] if len(terms) == 1 else And(terms, boost=q.boost)
        return q
    return q.apply(lambda sub: _words_for_phrases(sub, schema))


def _every():
    from whoosh.query import Every

    return Every()


def _phrases_on(q, flt: set[int]):
    """``q`` with every phrase replaced by one that reads positions only on the documents in ``flt``
    (the top searcher's document numbers): Whoosh's phrase matcher checks the positions of every
    document holding all the words, then the filter drops most of them. Searched with ``flt`` as the
    filter, the matches are the same; outside ``flt`` such a phrase matches nothing."""
    from whoosh.query import Phrase

    if type(q) is Phrase and len(q.words) > 1:
        return _CandidatePhrase(q, sorted(flt))
    if type(q) is Phrase:
        return q
    return q.apply(lambda sub: _phrases_on(sub, flt))


def _candidate_phrase_class():
    from bisect import bisect_left

    from whoosh import matching
    from whoosh.query import Phrase, SpanNear2, Term

    class SpansOnCandidates(SpanNear2.SpanNear2Matcher):
        """Whoosh's phrase matcher, moving its words' matchers from candidate to candidate: positions
        are read only where all the words are in a document of the filter."""

        def __init__(self, ms, allowed, slop=1, ordered=True, mindist=1):
            self.allowed, self.allowed_set = allowed, set(allowed)
            super().__init__(ms, slop=slop, ordered=ordered, mindist=mindist)

        def copy(self):
            return self.__class__([m.copy() for m in self.ms], self.allowed, slop=self.slop, ordered=self.ordered,
                                  mindist=self.mindist)

        def _find_next(self):
            child, allowed, r = self.child, self.allowed, False
            while child.is_active():
                d = child.id()
                if d in self.allowed_set:
                    spans = self._get_spans()
                    if spans:
                        self._spans = spans
                        return r
                    r = child.next() or r
                    continue
                j = bisect_left(allowed, d)
                r = child.skip_to(allowed[j] if j < len(allowed) else 2 ** 62) or r
            self._spans = []
            return True

    class CandidatePhrase(Phrase):
        def __init__(self, phrase, allowed: list[int]):
            super().__init__(phrase.fieldname, phrase.words, slop=phrase.slop, boost=phrase.boost,
                             char_ranges=phrase.char_ranges)
            self.allowed = allowed

        def matcher(self, searcher, context=None):
            """Phrase.matcher, with the matcher above on this segment's share of the candidates."""
            fieldname = self.fieldname
            field = searcher.schema[fieldname] if fieldname in searcher.schema else None
            if field is None or not field.format or not field.format.supports("positions"):
                return Phrase.matcher(self, searcher, context)
            reader = searcher.reader()
            terms = []
            for word in self.words:
                try:
                    word = field.to_bytes(word)
                except ValueError:
                    return matching.NullMatcher()
                if (fieldname, word) not in reader:
                    return matching.NullMatcher()
                terms.append(Term(fieldname, word))
            offset = _segment_offset(searcher)
            lo, hi = bisect_left(self.allowed, offset), bisect_left(self.allowed, offset + reader.doc_count_all())
            local = [d - offset for d in self.allowed[lo:hi]]
            if not local:
                return matching.NullMatcher()
            m = SpansOnCandidates([t.matcher(searcher, context) for t in terms], local, slop=self.slop)
            return matching.WrappingMatcher(m, boost=self.boost) if self.boost != 1.0 else m

    return CandidatePhrase


def _segment_offset(searcher) -> int:
    """The first document number of ``searcher``'s segment in its parent searcher (0 alone)."""
    ref = getattr(searcher, "parent", None)  # a weak reference, or None for a top searcher
    parent = ref() if ref is not None else None
    if parent is None or parent is searcher:
        return 0
    for sub, offset in parent.leaf_searchers():
        if sub is searcher:
            return offset
    raise RuntimeError("a segment searcher that its parent does not list")


_CandidatePhraseClass = None


def _CandidatePhrase(phrase, allowed):
    global _CandidatePhraseClass
    if _CandidatePhraseClass is None:
        _CandidatePhraseClass = _candidate_phrase_class()
    return _CandidatePhraseClass(phrase, allowed)


def _count(searcher, q, flt) -> int:
    """Exact number of matches within the filter. Whoosh's own filtered len(results) tests the allow
    bitset's truth once per candidate (a scan of the whole set each time): quadratic, minutes at a
    million documents. Intersecting the two matchers (or the matches with the set) counts in one pass."""
    from whoosh.query import And

    if isinstance(flt, set):
        return sum(1 for d in searcher.docs_for_query(q) if d in flt)
    return sum(1 for _ in searcher.docs_for_query(And([q, flt])))


def _counted_in_one_pass(q) -> bool:
    """Whether the top hits and the exact count of ``q`` (no filter) are better found in one pass.

    Whoosh's top-N search skips the blocks that cannot reach the top by their score, so it does not
    count; ``len(results)`` then runs the query a second time to count. For a phrase that is a second
    check of the positions of every document holding its words (at 100,000 items 200,000 checks for
    the common disclaimer, 3.9 s CPU; 2.2 s in one pass), and for AND, OR and field queries the
    second pass also costs more than it saves. A single term or a wildcard is counted cheaply from
    its posting lists and gains from the skipping: those keep Whoosh's two passes."""
    from whoosh.query import MultiTerm, Term

    return not isinstance(q, (Term, MultiTerm))


def _top_and_count(searcher, q, limit: int):
    """Whoosh's top ``limit`` hits of ``q`` (same order, same scores) with the exact number of matches,
    in one pass over the matches: no block skipping and no pruning of sub-matchers by score
    (``replace=0``: a pruned sub-matcher would leave its documents out of the count)."""
    from whoosh.collectors import TopCollector

    collector = TopCollector(limit, usequality=False, replace=0)
    searcher.search_with_collector(q, collector)
    return collector.results()


def _plain(snippet: str) -> str:
    import re

    return re.sub(r"</?b[^>]*>", "", snippet).replace("&hellip;", "…").replace("\n", " ")

"""The tantivy engine of the index: the same interface, query language and analysis as ``WhooshIndex``.

Queries are parsed by Whoosh's ``QueryParser`` (``index.parse_query``) and the query tree is
translated here: Term, Phrase (positions), And/Or/Not/AndNot/AndMaybe/Require, Prefix and Wildcard
(regular expressions over the term dictionary, as Whoosh expands them), TermRange, DateRange, Every.
Text is analysed in Python with the analyzers of Whoosh's schema and handed to tantivy as its terms
joined by spaces, which tantivy's ``whitespace`` tokenizer splits again (the terms hold no space; where
they could, or where their positions are not one by one, as pre-tokenized text, ``PreTokenizedString``,
with each token's position), so both engines index the same terms: tantivy's own Dutch stemmer is
Snowball's newer Dutch algorithm, which stems differently. An index made before the tokenizer was
``whitespace`` (its fields say ``raw``) is handed pre-tokenized text only.

Counts come from tantivy's Count collector: exact. The index lives in the workspace's
``index/tantivy/``; each ``add`` is one commit (one fsync), made under the workspace lock.
"""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path
from typing import Iterable, Sequence

from woo_collector import faults
from woo_collector.index import (ANALYSED, SCHEMA_VERSION, Hit, IndexEngine, SearchError, fast_analyzer, highlight_terms,
                                 index_terms, make_snippet, unpack_terms)
from woo_collector.models import Item

RAW = ("id", "kind", "source_id", "custodian_id", "conversation")
TOKENIZED = {name: "position" if name in ("subject", "body") else "freq" for name in ANALYSED}
STORED_BYTES = ("title", "sender")
HEAP = 128_000_000


def _schema(tokenizer: str = "whitespace"):
    """The index's schema; ``tokenizer``: of the analysed fields (``raw`` in indexes made before
    2026-12-02, which are handed pre-tokenized text only)."""
    import tantivy

    sb = tantivy.SchemaBuilder()
    for name in RAW:
        sb.add_text_field(name, stored=True, tokenizer_name="raw", fast=name == "id")
    for name, option in TOKENIZED.items():
        sb.add_text_field(name, stored=False, tokenizer_name=tokenizer, index_option=option)
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    for name in STORED_BYTES:
        sb.add_bytes_field(name, stored=True, indexed=False)
    return sb.build()


def _analyzers():
    return {name: fast_analyzer(name) for name in TOKENIZED}


def to_document(item: Item, joined: bool = True):
    """The tantivy document of ``item``: the fields of Whoosh's document, analysed by Whoosh's analyzers
    (the analysis kept with the item when a worker made it). ``joined``: the analysed fields split on
    spaces (``whitespace``), so terms joined by spaces are handed as one text, with no Python object a
    token; else every field is pre-tokenized. Offsets are left 0: snippets are made from the catalog's
    text."""
    import tantivy

    from woo_collector.index import _doc

    fields = _doc(item)
    terms = item.memo("index terms", index_terms)
    Token, Pre = tantivy.Token, tantivy.PreTokenizedString
    doc = tantivy.Document()
    for name in RAW:
        doc.add_text(name, fields[name])
    for name in TOKENIZED:
        if joined and isinstance(terms[name][0], str):
            doc.add_text(name, terms[name][0])  # the positions are one by one: the distances a phrase compares
            continue
        words, positions = unpack_terms(terms[name])
        doc.add_pre_tokenized_text(name, Pre(fields[name] or "", [Token(t, p, 0, 0) for t, p in zip(words, positions)]))
    if "date" in fields:
        doc.add_date("date", fields["date"].replace(tzinfo=timezone.utc))
    for name in STORED_BYTES:
        doc.add_bytes(name, fields[name].encode("utf-8", "surrogatepass"))
    return doc


def _tokenizer(path: Path, field: str) -> str:
    """The tokenizer the index at ``path`` records for ``field`` (its ``meta.json``)."""
    import json

    meta = json.loads((path / "meta.json").read_text())
    return next((f["options"].get("indexing", {}).get("tokenizer", "") for f in meta.get("schema", []) if f.get("name") == field), "")


class TantivyIndex(IndexEngine):
    engine = "tantivy"

    def __init__(self, path: Path):
        import tantivy

        self.path = Path(path)
        self.path.mkdir(parents=True, exist_ok=True)
        if tantivy.Index.exists(str(self.path)):
            self.ix = tantivy.Index.open(str(self.path))
        else:
            self.ix = tantivy.Index(_schema(), path=str(self.path))
            (self.path / "SCHEMA").write_text(SCHEMA_VERSION)
        self.schema = self.ix.schema
        self.joined = _tokenizer(self.path, "body") == "whitespace"

    # writing ------------------------------------------------------------------------------------
    _writer = None

    def _write(self, body) -> int:
        """Run ``body(writer)`` and commit. The writer stays open from one commit to the next until
        ``close``: tantivy merges segments in the background after a commit, and a writer dropped
        at once throws the merge away, to start it again after the next commit (at 100,000 mails
        the merges so begun again were 34 s of the importing process's 83 s of CPU)."""
        if self._writer is None:
            self._writer = self.ix.writer(heap_size=HEAP)
        writer = self._writer
        try:
            n = body(writer)
            faults.point("index-commit")
            writer.commit()
            faults.point("index-committed")
        except BaseException:
            self._writer = None
            try:
                writer.rollback()
            finally:
                del writer  # releases the writer's lock on the directory
            raise
        self.ix.reload()
        return n

    def _release(self) -> None:
        """Let the writer finish its merges, then give up its lock on the directory."""
        writer, self._writer = self._writer, None
        if writer is not None:
            writer.wait_merging_threads()

    def add(self, new: Sequence[Item], changed: Sequence[Item] = (), *, procs: int = 1) -> None:
        """Add new items and replace changed ones, in one commit."""
        if not new and not changed:
            return

        def body(writer):
            for item in new:
                writer.add_document(to_document(item, self.joined))
            for item in changed:
                writer.delete_documents_by_term("id", item.id)
                writer.add_document(to_document(item, self.joined))
            return len(new) + len(changed)

        self._write(body)

    def upsert(self, items: Iterable[Item]) -> int:
        """Replace-or-add (used when mending after a crash: the item may or may not be there)."""
        def body(writer):
            n = 0
            for item in items:
                writer.delete_documents_by_term("id", item.id)
                writer.add_document(to_document(item, self.joined))
                n += 1
            return n

        return self._write(body)

    def delete(self, ids: Iterable[str]) -> int:
        ids = list(ids)
        present = self._searcher()
        n = sum(1 for i in ids if present.search(self._term("id", i), 1).count)

        def body(writer):
            for i in ids:
                writer.delete_documents_by_term("id", i)
            return n

        return self._write(body)

    def clear(self) -> None:
        def body(writer):
            writer.delete_all_documents()
            return 0

        self._write(body)

    def optimize(self) -> None:
        if self._writer is None:
            self._writer = self.ix.writer(heap_size=HEAP)
        self._writer.garbage_collect_files()
        self._release()
        self.ix.reload()

    # reading ------------------------------------------------------------------------------------
    def _searcher(self):
        self.ix.reload()
        return self.ix.searcher()

    def _term(self, field: str, value):
        import tantivy

        return tantivy.Query.term_query(self.schema, field, value)

    def ids(self) -> set[str]:
        s = self._searcher()
        n = s.num_docs
        if not n:
            return set()
        import tantivy

        out = s.aggregate(tantivy.Query.all_query(), {"ids": {"terms": {"field": "id", "size": n}}})
        return {b["key"] for b in out["ids"]["buckets"]}

    def doc_count(self) -> int:
        return self._searcher().num_docs

    def filter_for(self, date_from: datetime | None = None, date_to: datetime | None = None,
                   sources: Sequence[str] = (), custodians: Sequence[str] = (), kinds: Sequence[str] = (),
                   ids: Sequence[str] | None = None):
        """The filters as tantivy queries (each a Must clause), or [] for none."""
        import tantivy

        parts = []
        if date_from or date_to:
            parts.append(tantivy.Query.range_query(
                self.schema, "date", tantivy.FieldType.Date,
                _utc(date_from) if date_from else tantivy.MIN_DATETIME,
                _utc(date_to) if date_to else tantivy.MAX_DATETIME,
                include_lower=True, include_upper=not date_to))
        for field, values in (("source_id", sources), ("custodian_id", custodians), ("kind", kinds)):
            if values:
                parts.append(tantivy.Query.term_set_query(self.schema, field, list(values)))
        if ids is not None:
            parts.append(tantivy.Query.term_set_query(self.schema, "id", list(ids)))
        return parts

    def _query(self, searcher, query: str, filters: dict, undated: bool = False):
        import tantivy

        wq = self.parse(query)
        q = translate(wq, self.schema, searcher)
        flt = self.filter_for(**filters)
        if undated:
            flt.append(_must_not(tantivy.Query.exists_query("date")))
        if flt:
            q = tantivy.Query.boolean_query([(tantivy.Occur.Must, q)] + [(tantivy.Occur.Must, f) for f in flt])
        return wq, q

    def search(self, query: str, *, limit: int | None = 20, texts: "callable | None" = None, **filters) -> tuple[int, list[Hit]]:
        """(total number of matching items, the first ``limit`` hits with snippets)."""
        s = self._searcher()
        wq, q = self._query(s, query, filters)
        if limit is None:
            limit = s.search(q, 1, count=True).count
        found = s.search(q, max(1, limit), count=True)  # one pass: the top hits and the exact count
        total, shown = found.count, (found.hits if limit else [])
        docs = [(score, s.doc(addr)) for score, addr in shown]
        bodies = texts([d.get_first("id") for _, d in docs]) if texts and docs else {}
        hits, terms = [], highlight_terms(wq)
        for score, d in docs:
            i = d.get_first("id")
            date = d.get_first("date")
            hits.append(Hit(id=i, kind=d.get_first("kind"), source=d.get_first("source_id"),
                            custodian=d.get_first("custodian_id"),
                            date=date.astimezone(timezone.utc) if date else None,
                            title=_text(d.get_first("title")), sender=_text(d.get_first("sender")),
                            score=float(score or 0.0), snippet=make_snippet(bodies.get(i, ""), wq, terms)))
        return total, hits

    def _all_ids(self, s, q) -> list[str]:
        n = s.search(q, 1, count=True).count
        if not n:
            return []
        return [s.doc(addr).get_first("id") for _, addr in s.search(q, n, count=False).hits]

    def select_ids(self, query: str, **filters) -> list[str]:
        """Every matching id (a Woo selection): period as a filter, no limit."""
        s = self._searcher()
        return self._all_ids(s, self._query(s, query, filters)[1])

    def select_undated_ids(self, query: str, **filters) -> list[str]:
        """Every matching id that has no date: a period filter can never place these."""
        filters = {k: v for k, v in filters.items() if k not in ("date_from", "date_to")}
        s = self._searcher()
        return self._all_ids(s, self._query(s, query, filters, undated=True)[1])

    def close(self) -> None:
        self._release()


def _utc(d: datetime) -> datetime:
    return d.astimezone(timezone.utc)


def _text(v) -> str:
    return bytes(v).decode("utf-8", "surrogatepass") if v is not None else ""


def _must_not(q):
    import tantivy

    return tantivy.Query.boolean_query([(tantivy.Occur.Must, tantivy.Query.all_query()), (tantivy.Occur.MustNot, q)])


_REGEX_SPECIAL = set(r"\.+*?()|[]{}^$#&-~\"<>@")


def _escape(text: str) -> str:
    return "".join("\\" + c if c in _REGEX_SPECIAL else c for c in text)


def wildcard_regex(pattern: str) -> str:
    """Whoosh's wildcard (``*`` any run of characters, ``?`` one) as a regular expression over whole terms."""
    out = []
    for c in pattern:
        if c == "*":
            out.append(".*")
        elif c == "?":
            out.append(".")
        elif c in _REGEX_SPECIAL:
            out.append("\\" + c)
        else:
            out.append(c)
    return "".join(out)


def translate(q, schema, searcher):
    """The tantivy query of the Whoosh query tree ``q`` (what ``parse_query`` returned)."""
    import tantivy

    from whoosh import query as wq

    T = tantivy.Query
    Occur = tantivy.Occur

    def known(field: str) -> bool:
        return field in RAW or field in TOKENIZED or field == "date"

    def boosted(t, b):
        return T.boost_query(t, float(b)) if b not in (None, 1, 1.0) else t

    def go(q):
        if q is wq.NullQuery or isinstance(q, type(wq.NullQuery)):
            return T.empty_query()
        if isinstance(q, wq.Every):
            if not q.fieldname or q.fieldname == "*":
                return T.all_query()
            if q.fieldname == "date":
                return T.exists_query("date")
            return T.regex_query(schema, q.fieldname, ".*") if known(q.fieldname) else T.empty_query()
        if isinstance(q, wq.Term):
            if not known(q.fieldname) or q.fieldname == "date":
                return T.empty_query()
            return boosted(T.term_query(schema, q.fieldname, q.text), q.boost)
        if isinstance(q, wq.Phrase):
            if not known(q.fieldname) or q.fieldname == "date" or not q.words:
                return T.empty_query()
            if len(q.words) == 1:
                return boosted(T.term_query(schema, q.fieldname, q.words[0]), q.boost)
            slop = max(0, int(q.slop) - 1)  # Whoosh's slop 1 is adjacent words, tantivy's 0
            return boosted(T.phrase_query(schema, q.fieldname, list(q.words), slop=slop), q.boost)
        if isinstance(q, (wq.Prefix, wq.Wildcard)):
            if not known(q.fieldname) or q.fieldname == "date":
                return T.empty_query()
            pattern = _escape(q.text) + ".*" if isinstance(q, wq.Prefix) else wildcard_regex(q.text)
            return boosted(T.regex_query(schema, q.fieldname, pattern), q.boost)
        if isinstance(q, wq.DateRange):
            if q.fieldname != "date":
                return T.empty_query()
            lo = q.startdate.replace(tzinfo=timezone.utc) if q.startdate else tantivy.MIN_DATETIME
            hi = q.enddate.replace(tzinfo=timezone.utc) if q.enddate else tantivy.MAX_DATETIME
            return T.range_query(schema, "date", tantivy.FieldType.Date, lo, hi,
                                 include_lower=not q.startexcl, include_upper=not q.endexcl)
        if isinstance(q, wq.TermRange):
            return _term_range(q, schema, searcher)
        if isinstance(q, wq.Not):
            return _must_not(go(q.query))
        if isinstance(q, wq.AndNot):
            return T.boolean_query([(Occur.Must, go(q.a)), (Occur.MustNot, go(q.b))])
        if isinstance(q, wq.AndMaybe):
            return T.boolean_query([(Occur.Must, go(q.a)), (Occur.Should, go(q.b))])
        if isinstance(q, wq.Require):
            return T.boolean_query([(Occur.Must, go(q.a)), (Occur.Must, T.const_score_query(go(q.b), 0.0))])
        if isinstance(q, wq.And):
            return boosted(_bool(Occur.Must, [go(s) for s in q.subqueries]), q.boost)
        if isinstance(q, (wq.Or, wq.DisjunctionMax)):
            return boosted(_bool(Occur.Should, [go(s) for s in q.subqueries]), q.boost)
        raise SearchError(f"the query part {q!r} cannot be searched with the tantivy engine")

    return go(q)


def _bool(occur, subs):
    import tantivy

    if not subs:
        return tantivy.Query.empty_query() if occur == tantivy.Occur.Should else tantivy.Query.all_query()
    if len(subs) == 1:
        return subs[0]
    return tantivy.Query.boolean_query([(occur, s) for s in subs])


def _term_range(q, schema, searcher):
    """Whoosh's TermRange (``subject:[a TO c]``): the terms of the field's dictionary within the range."""
    import tantivy

    if q.fieldname not in RAW and q.fieldname not in TOKENIZED:
        return tantivy.Query.empty_query()
    lo, hi = q.start, q.end
    terms = []
    for term, _ in searcher.terms_with_prefix(q.fieldname, ""):
        if lo is not None and (term < lo or (q.startexcl and term == lo)):
            continue
        if hi is not None and (term > hi or (q.endexcl and term == hi)):
            continue
        terms.append(term)
    return tantivy.Query.term_set_query(schema, q.fieldname, terms) if terms else tantivy.Query.empty_query()

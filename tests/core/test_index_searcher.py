"""A search sees every commit, also one made by another process's index; Whoosh keeps its searcher
between searches (opening one copies the segment files into memory) and opens a new one only after
a commit."""

from __future__ import annotations

from datetime import datetime, timezone

from woo_collector.index import WhooshIndex, open_index
from woo_collector.models import Item


def item(i: str, body: str) -> Item:
    return Item(id=i, kind="email", source="s", custodian="c", sha256="0" * 64, body=body,
                sent=datetime(2025, 3, 1, tzinfo=timezone.utc))


def test_a_search_sees_the_commits_of_another_index_object(tmp_path, engine):
    reader = open_index(tmp_path / "index", engine)
    writer = open_index(tmp_path / "index", engine)
    writer.add([item("a", "windturbine")])
    lo = datetime(2025, 1, 1, tzinfo=timezone.utc)
    assert reader.search("windturbine")[0] == 1 and reader.select_ids("windturbine", date_from=lo) == ["a"]
    writer.add([item("b", "windturbine geluid")])
    assert reader.search("windturbine")[0] == 2 and sorted(reader.select_ids("windturbine", date_from=lo)) == ["a", "b"]
    assert writer.delete(["a"]) == 1
    assert reader.search("windturbine")[0] == 1 and reader.select_ids("windturbine", date_from=lo) == ["b"]
    assert reader.doc_count() == 1 and reader.ids() == {"b"}
    writer.clear()
    assert reader.search("windturbine")[0] == 0 and reader.doc_count() == 0
    reader.close()
    writer.close()


def test_whoosh_opens_a_searcher_only_after_a_commit(tmp_path, monkeypatch):
    ix = WhooshIndex(tmp_path / "index")
    ix.add([item("a", "windturbine")])
    opened = []
    real = type(ix.ix).searcher

    def searcher(self, **kwargs):
        opened.append(1)
        return real(self, **kwargs)

    monkeypatch.setattr(type(ix.ix), "searcher", searcher)
    for _ in range(5):
        assert ix.search("windturbine")[0] == 1
    assert len(opened) == 1
    ix.add([item("b", "windturbine")])
    for _ in range(3):
        assert ix.search("windturbine")[0] == 2
    assert len(opened) == 2
    ix.close()


def test_whoosh_closes_the_searchers_of_ended_threads(tmp_path):
    """A searcher holds a copy of the index's files: one per live thread, not one per thread ever run."""
    import threading

    ix = WhooshIndex(tmp_path / "index")
    ix.add([item("a", "windturbine")])
    for _ in range(4):
        t = threading.Thread(target=lambda: ix.search("windturbine"))
        t.start()
        t.join()
    ix.add([item("b", "windturbine")])
    assert ix.search("windturbine")[0] == 2
    assert list(ix._open_searchers) == [threading.current_thread()]
    ix.close()


def test_a_collect_does_not_hold_a_searcher_through_its_redaction(tmp_path, monkeypatch):
    """A kept searcher holds a copy of the whole index in memory (about 1 GB at 200,000 items): a
    collect lets go of it once its selection is made, before the redaction proposals and after."""
    from tests.conftest import woo
    from woo_collector.requests import redact
    from woo_collector.workspace import Workspace

    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    w = Workspace(ws)
    w.catalog.apply_batch("test", 0, [item("a", "windturbine geluid"), item("b", "windturbine")], [], [], [], [])
    w.index.add([item("a", "windturbine geluid"), item("b", "windturbine")])
    w.catalog.db.execute("UPDATE items SET indexed=1")
    from woo_collector.requests import create
    from woo_collector.requests.collect import collect

    create(w, "R1", "windturbines", datetime(2025, 1, 1).date(), datetime(2025, 12, 31).date())
    held_during = []
    real = redact.propose

    def propose(*a, **k):
        held_during.append(len(getattr(w.index, "_open_searchers", {})))
        return real(*a, **k)

    monkeypatch.setattr(redact, "propose", propose)
    res = collect(w, "R1", "tester")
    assert res.items_selected == 2 and held_during == [0]
    assert len(getattr(w.index, "_open_searchers", {})) == 0
    w.close()

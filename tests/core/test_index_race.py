"""A search that races an ingest's commit reads the newest commit instead of failing.

Whoosh deletes the previous TOC and segment files right after a commit, so a reader that has just
read the name of the newest generation can find its file gone (seen as a rare FileNotFoundError in
tests/core/test_disk.py's search-during-ingest test). Here the race is made certain: the first
opens of a TOC fail as if a commit had replaced it that instant.
"""

from __future__ import annotations

from datetime import datetime, timezone

from whoosh.filedb.filestore import FileStorage

from woo_collector.index import WhooshIndex
from woo_collector.models import Item


def _vanishing_toc(monkeypatch, times: int) -> list[str]:
    real = FileStorage.open_file
    missed: list[str] = []

    def open_file(self, name, *args, **kwargs):
        if name.endswith(".toc") and len(missed) < times:
            missed.append(name)
            raise FileNotFoundError(2, "No such file or directory", name)
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(FileStorage, "open_file", open_file)
    return missed


def test_open_and_search_survive_a_toc_replaced_by_a_commit(tmp_path, monkeypatch):
    ix = WhooshIndex(tmp_path / "index")
    ix.add([Item(id="a", kind="email", source="s", custodian="c", sha256="0" * 64, body="begroting windturbine",
                 sent=datetime(2025, 3, 1, tzinfo=timezone.utc))])
    ix.close()
    missed = _vanishing_toc(monkeypatch, 2)
    ix = WhooshIndex(tmp_path / "index")  # opening the index meets the vanished TOC
    assert missed and ix.doc_count() == 1
    ix.add([Item(id="b", kind="email", source="s", custodian="c", sha256="0" * 64, body="parkeren")])  # a commit:
    missed.clear()  # a search reuses its searcher until one, then opens the new generation
    total, hits = ix.search("begroting", limit=10)  # and so does the searcher
    assert missed and total == 1 and [h.id for h in hits] == ["a"]
    ix.close()

"""Internal remarks ("mogelijk duplicaat van nr 7", "gevonden op 3 plaatsen") are the handler's, not
the public's: collect writes them apart from the Toelichting, and a catalog of an older version,
which had them in the Toelichting, is split when it is opened."""

from __future__ import annotations

import sqlite3

from woo_collector.requests import load_documents
from woo_collector.workspace import Workspace


def test_an_older_catalog_moves_the_tools_notes_out_of_the_toelichting(ws):
    Workspace.open(ws).close()  # the catalog at the current version
    db = sqlite3.connect(ws / "catalog.sqlite")
    db.execute("ALTER TABLE documents DROP COLUMN remarks")
    db.execute("PRAGMA user_version = 5")
    row = "INSERT INTO documents(request, nr, key, family, sort_key, kind, filetype, title, items, decision, note) VALUES(?,?,?,?,?,?,?,?,?,?,?)"
    db.execute(row, ("R1", "1", "k1", "1", "a", "email", "email", "x", "[]", "openbaar",
                     "datum onbekend; zelfde Message-ID als nr 3, andere inhoud; mogelijk duplicaat van nr 7; gevonden op 3 plaatsen"))
    db.execute(row, ("R1", "2", "k2", "2", "b", "email", "email", "y", "[]", "niet openbaar", "Intern beraad; zie besluit"))
    db.commit()
    db.close()

    w = Workspace.open(ws)
    try:
        docs = {d.nr: d for d in load_documents(w, "R1")}
    finally:
        w.close()
    assert docs["1"].note == "datum onbekend"
    assert docs["1"].remarks == "zelfde Message-ID als nr 3, andere inhoud; mogelijk duplicaat van nr 7; gevonden op 3 plaatsen"
    assert (docs["2"].note, docs["2"].remarks) == ("Intern beraad; zie besluit", "")

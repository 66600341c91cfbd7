"""A chat medium waiting for a handler's decision (``needs_decision``, Beoordeling 'nog te beoordelen')
in the package: it has no ground yet, whatever boxes were proposed on it."""

from __future__ import annotations

import sys
from dataclasses import replace
from datetime import datetime, timezone
from pathlib import Path

import docx

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import CHAT, ORG, documents, item, redact_all, request_info  # noqa: E402

from exports import manifest  # noqa: E402
from exports.decision import write_letter  # noqa: E402
from exports.inventory import grounds_of, rows  # noqa: E402
from exports.render import Redactor  # noqa: E402
from woo_collector.documents import PENDING, Document  # noqa: E402

NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)
PHOTO = item("photo1", "attachment", 9, sent=CHAT[2].sent, parent="chat3", sender="Jeroen Bakker",
             subject="IMG-20250314-WA0001.jpg", body="")


def waiting_photo() -> Document:
    reds = tuple(redact_all(PHOTO))  # a proposed 5.1.2e box on its sender
    assert reds and {r.ground for r in reds} == {"5.1.2e"}
    return Document("2.1", "2", "attachment", "image", PHOTO.sent, PHOTO.subject, (PHOTO,), thread="wa-windpark",
                    decision=PENDING, redactions=reds, needs_decision=True)


def test_a_medium_waiting_for_a_decision_has_no_ground_anywhere(tmp_path):
    photo = waiting_photo()
    docs = documents()[:3] + [photo] + documents()[3:]
    assert grounds_of(photo) == [] and grounds_of(photo, {"2.1": {"5.1.2e"}}) == []
    by_nr = {r["Documentnummer"]: r for r in rows("2025-014", docs, Redactor(docs))}
    assert by_nr["2.1"]["Beoordeling"] == PENDING and by_nr["2.1"]["Beoordelingsgrond"] == ""
    built = manifest.build(request_info(), docs, Redactor(docs), ORG, "test", NOW, {})
    assert next(d for d in built["documents"] if d["nr"] == "2.1")["grounds"] == []
    path = write_letter(tmp_path / "besluit-concept.docx", request_info(), docs, Redactor(docs), ORG, NOW, [])
    text = "\n".join(p.text for p in docx.Document(str(path)).paragraphs)
    assert "Deze grond is toegepast in 3 documenten (1, 1.1, 2)." in text  # 5.1.2e: not in the waiting 2.1
    # once the handler decides it, its grounds count as any other document's
    decided = replace(photo, decision="niet openbaar", grounds=("5.1.2e",), needs_decision=False)
    assert grounds_of(decided) == ["5.1.2e"]

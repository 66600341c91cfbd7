"""One Frog for a whole `request collect`: every text the run analyses (fields, id fields, file
names, identifiers and encoded-words inside a body) goes to Frog in the up-front batch, and the
server is started once and closed when the run ends (issue 13: a Frog start per id text made a
collect of a 72-message chat take many minutes)."""

from __future__ import annotations

import base64

import pytest

from tests.conftest import mail, sample, woo
from woo_collector.redaction import frog

needs_frog = pytest.mark.skipif(frog.frog_path() is None, reason="Frog is not installed (apt-get install frog frogdata uctodata)")

ENCODED = "=?utf-8?b?" + base64.b64encode("Yves Leterme".encode()).decode() + "?="
BODY = (f"Beste Pieter,\n\nIn de bijlage het verslag_Kees_Bakker_2025.txt van het overleg met {ENCODED}.\n"
        "Zie ook LAPTOP-JAN-JANSEN en https://voorbeeld.nl/jan-jansen-zienswijze.pdf\n\nGroet,\nSanne")


@pytest.fixture
def starts(monkeypatch):
    """A fresh shared server (not the test session's pinned one) whose Frog processes are counted; a
    second fails the test at once (before the fix a collect started Frog hundreds of times)."""
    shared = frog._Shared()
    monkeypatch.setattr(frog, "shared_server", shared)
    count = []
    real = frog.FrogProcess.spawn

    def start(self):
        count.append(self)
        if len(count) > 1:
            raise AssertionError(f"Frog started {len(count)} times in one collect")
        return real(self)

    monkeypatch.setattr(frog.FrogProcess, "spawn", start)
    yield shared, count
    shared.close()


@needs_frog
def test_a_collect_starts_frog_once_for_every_text_and_closes_it_at_the_end(tmp_path, monkeypatch, starts):
    shared, count = starts
    monkeypatch.delenv("WOO_REDACTION_LAYERS", raising=False)
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    chat = sample("DSA-WhatsApp-merger/Demo Data/Chats/Alice Wonderland/Export 1")
    assert woo(ws, "import", str(chat), "--custodian", "alice").exit_code == 0
    folder = tmp_path / "mail"
    folder.mkdir()
    (folder / "overleg.eml").write_bytes(mail(
        "Overleg windturbines", BODY, msgid="<CAB=x1@LAPTOP-KEES-BAKKER.voorbeeld.nl>",
        date="Tue, 11 Mar 2025 09:14:00 +0100",
        attachments=[("CV_Jan_Jansen.txt", b"Curriculum vitae van Jan Jansen, Dijkstad.\n")]))
    assert woo(ws, "import", str(folder), "--type", "eml", "--custodian", "sanne").exit_code == 0
    assert woo(ws, "request", "create", "R1", "--subject", "alles", "--query", "*",
                "--from", "2000-01-01", "--to", "2030-12-31").exit_code == 0
    with open(ws / "woo.toml", "a", encoding="utf-8") as f:
        f.write('\n[redaction]\nlayers = ["rules", "frog"]\n')

    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    assert "Detection layers that ran: rules, frog" in r.stdout
    assert "warning" not in r.stderr
    assert len(count) == 1
    assert shared.server is None                          # released when the run ended
    assert count[0].proc is None                          # and its process is gone

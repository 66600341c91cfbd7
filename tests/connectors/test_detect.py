"""`woo import` without --type: every format is recognised from its content, not its name."""

import shutil

import pytest

import connectors
from tests.conftest import sample

SAMPLES = [
    ("ingest-file/tests/fixtures/email_multipart_mixed.eml", "eml"),
    ("ingest-file/tests/fixtures/plaintext.emlx", "eml"),
    ("ingest-file/tests/fixtures/plan.mbox", "mbox"),
    ("ingest-file/tests/fixtures/piste.msg", "msg"),
    ("ingest-file/tests/fixtures/fnf.msg", "msg"),
    ("mail-parser/tests/mails/mail_outlook_1", "msg"),
    ("ingest-file/tests/fixtures/testPST.pst", "pst"),
    ("java-libpst/src/test/resources/dist-list.pst", "pst"),
    ("DSA-WhatsApp-merger/Demo Data/Chats/Bob Bobsen/Export Bob/WhatsApp Chat with Test export.txt", "whatsapp"),
    ("DSA-WhatsApp-merger/Demo Data/Chats/Dave Davidson/Dave 1 media/_chat.txt", "whatsapp"),
    ("whats_json/test/data/ios/WhatsApp Chat - Elon Musk (RU).zip", "whatsapp"),
    ("chat-analytics/tests/samples/whatsapp/4A_11M.zip", "whatsapp"),
    ("sms-backup-reader-2/packages/lib/test-assets/sms_and_mms.xml", "sms"),
    ("msgraph-docs/chat-list-messages_example1_no-prefer-header.json", "teams"),
    ("chat-analytics/tests/samples/telegram/DM_2A_7M.json", "telegram"),
    ("DSA-WhatsApp-merger/Demo Data/Chats/Alice Wonderland/Export 1/Manifesto.pdf", "files"),
]


@pytest.mark.parametrize("rel,expected", SAMPLES, ids=[e + ":" + r.rsplit("/", 1)[-1] for r, e in SAMPLES])
def test_real_files_are_recognised_by_content(rel, expected):
    assert connectors.detect(sample(rel))[0] == expected


@pytest.mark.parametrize("rel,expected", [s for s in SAMPLES if s[1] in ("eml", "mbox", "msg", "pst", "sms", "teams", "telegram") and "fnf" not in s[0]],
                         ids=lambda v: v if isinstance(v, str) and "/" not in v else None)
def test_a_misleading_name_does_not_fool_it(tmp_path, rel, expected):
    """(fnf.msg is MIME text under a .msg name: renamed, it is simply mail, so it is left out here.)"""
    disguised = tmp_path / "bestand.dat"
    shutil.copyfile(sample(rel), disguised)
    assert connectors.detect(disguised)[0] == expected

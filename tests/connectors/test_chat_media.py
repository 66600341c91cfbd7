"""Chat media are items of their conversation, one way for every chat connector
(``connectors.support.chat.read_medium`` and ``media_items``): each medium an export holds is kept bit
for bit, yielded as an ``attachment`` item whose parent is its message (same conversation, time,
sender and platform), with the text document extraction reads from it where it has any."""

import base64
import hashlib
import json
import zipfile

from tests.conftest import MemorySink, run_connector, sample
from tests.connectors.test_documents import build_docx, build_pdf

PDF = build_pdf(["Notulen windturbines Kraaiennest"])
JPG = b"\xff\xd8\xff\xe0" + b"JFIF" + bytes(200)


def _media(out):
    chats = {i.id: i for i in out["items"] if i.kind == "chat"}
    media = [i for i in out["items"] if i.kind == "attachment"]
    for m in media:
        parent = chats[m.parent]
        assert (m.conversation, m.sent, m.sender, m.platform, m.source, m.custodian) == (
            parent.conversation, parent.sent, parent.sender, parent.platform, parent.source, parent.custodian)
    return chats, media


def test_whatsapp_sample_manifesto_text_is_read():
    folder = sample("DSA-WhatsApp-merger/Demo Data/Chats/Alice Wonderland/Export 1")
    sink = MemorySink()
    chats, media = _media(run_connector("whatsapp", folder / "WhatsApp Chat with Test export.txt", sink))
    by_name = {m.subject: m for m in media}
    assert sorted(by_name) == ["IMG-20220502-WA0003.jpg", "IMG-20220502-WA0005.jpg", "IMG-20220502-WA0006.jpg", "Manifesto.pdf"]
    pdf = by_name["Manifesto.pdf"]
    assert "Publicatieblad van de Europese Unie" in pdf.body and pdf.filetype == "pdf"
    assert sink.blobs[pdf.sha256] == (folder / "Manifesto.pdf").read_bytes()
    assert "Manifesto.pdf" in chats[pdf.parent].body or chats[pdf.parent].meta["media"][0]["name"] == "Manifesto.pdf"
    for name in ("IMG-20220502-WA0003.jpg", "IMG-20220502-WA0005.jpg", "IMG-20220502-WA0006.jpg"):
        assert by_name[name].body == "" and by_name[name].filetype == "image"


def test_whatsapp_document_without_extension_is_read_by_content():
    folder = sample("DSA-WhatsApp-merger/Demo Data/Chats/Carol Christmas/Export Carol")
    _, media = _media(run_connector("whatsapp", folder / "WhatsApp-chat met Test export.txt"))
    texts = {m.subject: m.body for m in media}
    assert texts["DOC-20220502-WA0006"].strip()  # no extension: recognised as a document by its bytes


def test_whatsapp_zip_media_with_text(tmp_path):
    path = tmp_path / "WhatsApp Chat - Raad.zip"
    with zipfile.ZipFile(path, "w") as z:
        z.writestr("_chat.txt", "[11-03-2025 09:00:00] Anne: Zie bijlage\r\n"
                                "\u200e[11-03-2025 09:01:00] Anne: \u200e<bijgevoegd: 00000001-notulen.pdf>\r\n"
                                "\u200e[11-03-2025 09:02:00] Anne: \u200e<bijgevoegd: 00000002-PHOTO-2025-03-11-09-02-00.jpg>\r\n"
                                "\u200e[11-03-2025 09:03:00] Anne: \u200e<bijgevoegd: 00000003-brief.docx>\r\n")
        z.writestr("00000001-notulen.pdf", PDF)
        z.writestr("00000002-PHOTO-2025-03-11-09-02-00.jpg", JPG)
        z.writestr("00000003-brief.docx", build_docx())
    chats, media = _media(run_connector("whatsapp", path))
    assert [m.subject for m in media] == ["00000001-notulen.pdf", "00000002-PHOTO-2025-03-11-09-02-00.jpg", "00000003-brief.docx"]
    assert "Notulen windturbines Kraaiennest" in media[0].body and media[1].body == "" and media[2].body.strip()
    assert [m.filetype for m in media] == ["pdf", "image", "doc"]
    assert len({m.parent for m in media}) == 3


def test_signal_media_items(tmp_path):
    chat = tmp_path / "signal-chats" / "Sanne"
    (chat / "media").mkdir(parents=True)
    (chat / "media" / "notulen.pdf").write_bytes(PDF)
    (chat / "media" / "foto.jpg").write_bytes(JPG)
    (chat / "data.json").write_text(json.dumps({
        "date": "2025-03-11T09:14:00", "sender": "Sanne", "body": "Zie bijlagen", "quote": "", "sticker": "",
        "reactions": [], "attachments": [{"name": "notulen.pdf", "path": "media/notulen.pdf"},
                                          {"name": "foto.jpg", "path": "media/foto.jpg"},
                                          {"name": "weg.jpg", "path": "media/weg.jpg"}]}) + "\n")
    _, media = _media(run_connector("signal", tmp_path / "signal-chats"))
    assert [(m.subject, m.filetype) for m in media] == [("notulen.pdf", "pdf"), ("foto.jpg", "image")]
    assert "Notulen windturbines" in media[0].body and media[1].body == ""
    assert media[0].sha256 == hashlib.sha256(PDF).hexdigest()


def test_telegram_media_items(tmp_path):
    (tmp_path / "files").mkdir()
    (tmp_path / "photos").mkdir()
    (tmp_path / "files" / "notulen.pdf").write_bytes(PDF)
    (tmp_path / "photos" / "photo_1.jpg").write_bytes(JPG)
    (tmp_path / "result.json").write_text(json.dumps({"name": "Raad", "type": "private_group", "id": 7, "messages": [
        {"id": 1, "type": "message", "date": "2025-03-11T10:00:00", "date_unixtime": "1741683600", "from": "Piet",
         "text": "", "file": "files/notulen.pdf", "file_name": "notulen.pdf", "mime_type": "application/pdf"},
        {"id": 2, "type": "message", "date": "2025-03-11T10:01:00", "date_unixtime": "1741683660", "from": "Piet",
         "text": "", "photo": "photos/photo_1.jpg"},
        {"id": 3, "type": "message", "date": "2025-03-11T10:02:00", "date_unixtime": "1741683720", "from": "Piet",
         "text": "", "voice_message": "", "file": "(File not included. Change data exporting settings to download.)"}]}))
    _, media = _media(run_connector("telegram", tmp_path))
    assert [(m.subject, m.filetype) for m in media] == [("notulen.pdf", "pdf"), ("photo_1.jpg", "image")]
    assert "Notulen windturbines" in media[0].body and media[1].body == ""


def test_teams_attachment_held_beside_the_export(tmp_path):
    (tmp_path / "attachments").mkdir()
    (tmp_path / "attachments" / "notulen.pdf").write_bytes(PDF)
    msg = {"id": "1616964509832", "messageType": "message", "createdDateTime": "2021-03-28T20:48:29.832Z",
           "chatId": "19:abc@thread.v2", "from": {"user": {"id": "u1", "displayName": "Robin Kline"}},
           "body": {"contentType": "html", "content": "<p>Zie <attachment id=\"a1\"></attachment></p>"},
           "attachments": [{"id": "a1", "contentType": "reference", "name": "notulen.pdf",
                            "contentUrl": "https://contoso.sharepoint.com/notulen.pdf"},
                           {"id": "a2", "contentType": "reference", "name": "elders.docx",
                            "contentUrl": "https://contoso.sharepoint.com/elders.docx"}]}
    (tmp_path / "chat.json").write_text(json.dumps({"value": [msg]}))
    chats, media = _media(run_connector("teams", tmp_path / "chat.json"))
    assert [(m.subject, m.platform) for m in media] == [("notulen.pdf", "teams")]  # the one only linked stays in meta
    assert "Notulen windturbines" in media[0].body
    (chat,) = chats.values()
    assert [a["name"] for a in chat.meta["attachments"]] == ["notulen.pdf", "elders.docx"]


def test_mms_parts_are_items(tmp_path):
    png = base64.b64encode(JPG).decode()
    pdf = base64.b64encode(PDF).decode()
    (tmp_path / "sms.xml").write_text(
        "<?xml version='1.0' encoding='UTF-8' standalone='yes' ?>\n<smses count=\"1\">\n"
        "<mms date=\"1741681900000\" msg_box=\"1\" address=\"+31612345678\" m_id=\"m1\" contact_name=\"Sanne\">"
        "<parts><part seq=\"-1\" ct=\"application/smil\" text=\"&lt;smil/&gt;\" />"
        f"<part seq=\"0\" ct=\"image/jpeg\" name=\"IMG_0042.jpg\" data=\"{png}\" />"
        f"<part seq=\"0\" ct=\"application/pdf\" name=\"notulen.pdf\" data=\"{pdf}\" />"
        "<part seq=\"0\" ct=\"text/plain\" text=\"Kijk\" /></parts>"
        "<addrs><addr address=\"+31612345678\" type=\"137\" /></addrs></mms>\n</smses>\n")
    chats, media = _media(run_connector("sms", tmp_path / "sms.xml"))
    assert [(m.subject, m.filetype, m.platform) for m in media] == [("IMG_0042.jpg", "image", "mms"), ("notulen.pdf", "pdf", "mms")]
    assert "Notulen windturbines" in media[1].body and media[0].body == ""
    assert [c.body for c in chats.values()] == ["Kijk"]

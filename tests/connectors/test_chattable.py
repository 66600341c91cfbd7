"""The chattable connector on chat tables built the way such exports are written.

No Kaizala export is public (Microsoft never published its columns; see the connector's docstring
for what is known), so the archive below is built as the admin portal's "Export tenant data" was
described: one zip of several CSV files, one per group here, with a table that is not a chat among
them (a user list), written the way export tools write CSV (UTF-8 with a BOM for Excel, quoted
cells holding commas and line breaks, Dutch Excel's semicolons, epoch milliseconds, ISO with offset).
"""

from __future__ import annotations

import io
import json
import zipfile
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

import pytest

from connectors.chattable import ChatTableSettings, parse_time, recognise
from tests.conftest import run_connector, woo
from woo_collector.errors import ConfigError, ConnectorError

AMS = ZoneInfo("Europe/Amsterdam")
BOM = "\ufeff"


def team_wind() -> bytes:  # English headers, ISO times with offset, conversation by file name
    rows = [
        "Date,Sender Name,Sender Phone,Message Type,Message",
        "2025-03-11T09:14:00+01:00,Sanne de Vries,+31611111111,Text,Staat de windturbine op de agenda?",
        '2025-03-11T09:20:30+01:00,Pieter van der Meulen,+31622222222,Text,"Ja, donderdag. Ashoogte 135 meter."',
        '2025-03-12T08:02:00+01:00,Sanne de Vries,+31611111111,Text,"Verslag:\nregel twee, met komma"',
    ]
    return (BOM + "\r\n".join(rows) + "\r\n").encode("utf-8")


def crisisteam() -> bytes:  # Dutch Excel: semicolons, separate date and clock, local time without zone
    rows = [
        "Datum;Tijd;Afzender;Bericht",
        "11-03-2025;17:45;Fatima El Amrani;Geluidsmeting bij het Kraaiennest gepland",
        "29-03-2025;23:30;Fatima El Amrani;Laatste bericht in wintertijd",
        "30-03-2025;03:30;Pieter van der Meulen;Eerste bericht in zomertijd",
    ]
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


def handhaving() -> bytes:  # a conversation column, epoch milliseconds, an author as a phone number
    t1 = int(datetime(2025, 3, 11, 8, 0, tzinfo=timezone.utc).timestamp() * 1000)
    t2 = int(datetime(2025, 3, 11, 8, 5, tzinfo=timezone.utc).timestamp() * 1000)
    rows = ["Timestamp,Group,Sender,Text", f"{t1},Handhaving Noord,+31633333333,Controle Wilgenlaan",
            f"{t2},Handhaving Noord,Jan Bakker,Akkoord"]
    return (BOM + "\n".join(rows) + "\n").encode("utf-8")


USERS = (BOM + "Name,Phone,Role\nSanne de Vries,+31611111111,Admin\n").encode("utf-8")


def kaizala_zip(path, extra: dict[str, bytes] | None = None):
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("Team Wind.csv", team_wind())
        z.writestr("Crisisteam.csv", crisisteam())
        z.writestr("Groups/handhaving.csv", handhaving())
        z.writestr("Users.csv", USERS)
        for name, data in (extra or {}).items():
            z.writestr(zipfile.ZipInfo(name), data)
    return path


def local(dt: datetime) -> str:
    return dt.astimezone(AMS).strftime("%Y-%m-%d %H:%M:%S")


def test_the_kaizala_zip_gives_each_message_with_its_author_conversation_and_local_time(tmp_path):
    out = run_connector("chattable", kaizala_zip(tmp_path / "kaizala-export.zip"))
    assert out["failures"] == []
    got = [(i.subject, i.sender, local(i.sent), i.body) for i in out["items"]]
    assert got == [
        ("Team Wind", "Sanne de Vries", "2025-03-11 09:14:00", "Staat de windturbine op de agenda?"),
        ("Team Wind", "Pieter van der Meulen", "2025-03-11 09:20:30", "Ja, donderdag. Ashoogte 135 meter."),
        ("Team Wind", "Sanne de Vries", "2025-03-12 08:02:00", "Verslag:\nregel twee, met komma"),
        ("Crisisteam", "Fatima El Amrani", "2025-03-11 17:45:00", "Geluidsmeting bij het Kraaiennest gepland"),
        ("Crisisteam", "Fatima El Amrani", "2025-03-29 23:30:00", "Laatste bericht in wintertijd"),
        ("Crisisteam", "Pieter van der Meulen", "2025-03-30 03:30:00", "Eerste bericht in zomertijd"),
        ("Handhaving Noord", "+31633333333", "2025-03-11 09:00:00", "Controle Wilgenlaan"),
        ("Handhaving Noord", "Jan Bakker", "2025-03-11 09:05:00", "Akkoord"),
    ]
    first = out["items"][0]
    assert first.kind == "chat" and first.conversation == "chattable:team wind" and first.locator == "Team Wind.csv row 2"
    assert first.meta["columns"] == {"Sender Phone": "+31611111111", "Message Type": "Text"}
    assert out["items"][4].sent == datetime(2025, 3, 29, 22, 30, tzinfo=timezone.utc)  # CET
    assert out["items"][5].sent == datetime(2025, 3, 30, 1, 30, tzinfo=timezone.utc)  # CEST
    assert len({i.id for i in out["items"]}) == 8
    again = run_connector("chattable", tmp_path / "kaizala-export.zip")
    assert [i.id for i in again["items"]] == [i.id for i in out["items"]]  # stable ids


def test_a_table_that_is_not_a_chat_is_left_out_and_named_in_the_notes(tmp_path):
    import connectors
    from connectors.base import SourceSpec
    from tests.conftest import MemorySink, drain

    conn = connectors.get("chattable")(SourceSpec("k", "chattable", str(kaizala_zip(tmp_path / "k.zip")), "X"), MemorySink())
    out = drain(conn)
    assert len(out["items"]) == 8 and not out["failures"]
    assert any("Users.csv" in n for n in conn.notes), conn.notes


def test_woo_import_of_the_kaizala_zip_and_a_request_groups_the_messages_per_conversation_per_day(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    z = kaizala_zip(tmp_path / "kaizala-export.zip")
    r = woo(ws, "import", str(z), "--type", "chattable", "--custodian", "X", "--source", "kaizala")
    assert r.exit_code == 0, r.output
    r = woo(ws, "search", "windturbine OR ashoogte OR verslag", "--format", "json")
    hits = sorted((h["sender"], h["date"]) for h in json.loads(r.stdout))
    assert hits == [("Pieter van der Meulen", "2025-03-11T09:20:30+01:00"), ("Sanne de Vries", "2025-03-11T09:14:00+01:00"),
                    ("Sanne de Vries", "2025-03-12T08:02:00+01:00")]
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-03-01", "--to", "2025-03-31",
               "--query", "*").exit_code == 0
    r = woo(ws, "request", "collect", "R1")
    assert r.exit_code == 0, r.output
    docs = json.loads(woo(ws, "request", "show", "R1", "--format", "json").stdout)["documents"]
    per_day = sorted((d["date"][:10], d["title"], len(d["items"])) for d in docs)
    assert [(day, n) for day, _t, n in per_day] == [
        ("2025-03-11", 1), ("2025-03-11", 2), ("2025-03-11", 2), ("2025-03-12", 1), ("2025-03-29", 1), ("2025-03-30", 1)]
    titles = {t for _d, t, _n in per_day}
    assert "Chat-gesprek Team Wind, 11 maart 2025" in titles and "Chat-gesprek Handhaving Noord, 11 maart 2025" in titles


def test_the_platform_setting_names_the_tool_in_the_titles(tmp_path):
    out = run_connector("chattable", kaizala_zip(tmp_path / "k.zip"), platform="kaizala")
    assert {i.platform for i in out["items"]} == {"kaizala"}


def test_a_bad_row_is_one_failure_with_file_and_row_and_the_rest_is_read(tmp_path):
    f = tmp_path / "chat.csv"
    f.write_text("tijd,afzender,bericht\n"
                 "11-03-2025 09:14,Sanne,Eerste\n"
                 "gisteren,Sanne,Tijd onleesbaar\n"
                 "11-03-2025 09:16,Sanne,te,veel,cellen\n"
                 ",,\n"
                 "11-03-2025 09:18,,\n"
                 "11-03-2025 09:20,Pieter,Laatste\n", encoding="utf-8")
    out = run_connector("chattable", f)
    assert [i.body for i in out["items"]] == ["Eerste", "Tijd onleesbaar", "Laatste"]
    assert out["items"][1].sent is None
    fails = sorted((x.locator, x.reason.split(";")[0]) for x in out["failures"])
    assert fails == [("row 3", "unreadable time 'gisteren'"), ("row 4", "the row has 5 cells, the header 3"),
                     ("row 6", "a row with neither an author nor a text")]
    assert all(x.path == str(f) for x in out["failures"])


def test_a_hostile_zip_member_fails_alone(tmp_path):
    z = kaizala_zip(tmp_path / "k.zip", {"../../evil.csv": b"Date,Sender,Message\n2025-03-11T09:00:00Z,x,y\n"})
    out = run_connector("chattable", z)
    assert len(out["items"]) == 8
    assert len(out["failures"]) == 1 and "path traversal" in out["failures"][0].reason


def test_a_corrupt_zip_member_fails_alone(tmp_path):
    z = kaizala_zip(tmp_path / "k.zip")
    raw = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("Crisisteam.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start:start + 8] = b"\xff" * 8  # the deflate stream of one member broken
    z.write_bytes(bytes(raw))
    out = run_connector("chattable", z)
    assert {i.subject for i in out["items"]} == {"Team Wind", "Handhaving Noord"}
    assert [f.locator.split(" ")[0] for f in out["failures"]] == ["Crisisteam.csv"]


@pytest.mark.parametrize("header, expected", [
    (["Date", "Sender Name", "Message"], ("Date", "Sender Name", "Message", None)),
    (["Tijdstempel", "Afzender", "Bericht", "Groep"], ("Tijdstempel", "Afzender", "Bericht", "Groep")),
    (["timestamp", "author", "text", "conversation"], ("timestamp", "author", "text", "conversation")),
    (["Datum", "Naam", "Tekst", "Groepsnaam"], ("Datum", "Naam", "Tekst", "Groepsnaam")),
    (["time", "from", "body", "chat"], ("time", "from", "body", "chat")),
    (["Verzonden op", "Gebruiker", "Inhoud", "Kanaal"], ("Verzonden op", "Gebruiker", "Inhoud", "Kanaal")),
    (["Group Name", "Sender Phone", "Message Text", "Created On"], ("Created On", "Sender Phone", "Message Text", "Group Name")),
])
def test_columns_are_recognised_from_dutch_and_english_headers(header, expected):
    cols, why = recognise(header, ChatTableSettings())
    assert why == "" and (cols.time, cols.author, cols.text, cols.conversation) == expected


def test_a_date_and_a_clock_column_are_joined():
    cols, _ = recognise(["Datum", "Tijd", "Afzender", "Bericht"], ChatTableSettings())
    assert (cols.time, cols.clock) == ("Datum", "Tijd")


def test_columns_can_be_named_in_settings(tmp_path):
    f = tmp_path / "export.csv"
    f.write_text("Wanneer,Wie,Wat,Waar\n2025-03-11 09:14,Sanne,Hallo,Overleg wind\n", encoding="utf-8")
    with pytest.raises(ConnectorError, match="time_column"):
        run_connector("chattable", f)
    out = run_connector("chattable", f, time_column="Wanneer", author_column="wie", text_column="Wat",
                        conversation_column="Waar")
    [item] = out["items"]
    assert (item.sender, item.body, item.subject, local(item.sent)) == ("Sanne", "Hallo", "Overleg wind", "2025-03-11 09:14:00")


def test_a_table_that_is_not_a_chat_table_says_which_columns_it_has_and_what_to_set(tmp_path):
    f = tmp_path / "users.csv"
    f.write_bytes(USERS)
    with pytest.raises(ConnectorError) as e:
        run_connector("chattable", f)
    assert "'Role'" in str(e.value) and "--set text_column" in str(e.value)


def test_an_empty_file_and_a_zip_without_chat_tables_are_refused_with_the_reason(tmp_path):
    (tmp_path / "empty.csv").write_bytes(b"")
    with pytest.raises(ConnectorError, match="empty"):
        run_connector("chattable", tmp_path / "empty.csv")
    with zipfile.ZipFile(tmp_path / "users.zip", "w") as z:
        z.writestr("Users.csv", USERS)
    with pytest.raises(ConnectorError, match="no chat table"):
        run_connector("chattable", tmp_path / "users.zip")


def test_json_lines_are_read_with_their_keys_as_columns(tmp_path):
    f = tmp_path / "Team Wind.jsonl"
    f.write_text(json.dumps({"timestamp": 1741680840, "sender": "Sanne", "message": "Hallo", "id": "m1"}) + "\n"
                 + "{broken\n"
                 + json.dumps({"timestamp": "2025-03-11T09:20:00Z", "sender": "Pieter", "message": "Dag"}) + "\n")
    out = run_connector("chattable", f)
    assert [(i.sender, i.body, local(i.sent)) for i in out["items"]] == [("Sanne", "Hallo", "2025-03-11 09:14:00"),
                                                                        ("Pieter", "Dag", "2025-03-11 10:20:00")]
    assert out["items"][0].message_id == "m1" and out["items"][0].subject == "Team Wind"
    assert [f.locator for f in out["failures"]] == ["row 2"]


@pytest.mark.parametrize("written, order, expected", [
    ("2025-03-11T09:14:00+01:00", "dmy", "2025-03-11 08:14"),
    ("2025-07-11T09:14:00Z", "dmy", "2025-07-11 09:14"),
    ("2025-07-11 09:14:00", "dmy", "2025-07-11 07:14"),  # naive: the zone's summer time
    ("1741680840", "dmy", "2025-03-11 08:14"),  # epoch seconds
    ("1741680840000", "dmy", "2025-03-11 08:14"),  # epoch milliseconds
    ("11-03-2025 09:14", "dmy", "2025-03-11 08:14"),
    ("11.03.2025 09:14:30", "dmy", "2025-03-11 08:14"),
    ("11/03/25 09:14", "dmy", "2025-03-11 08:14"),
    ("3/11/2025 9:14 AM", "mdy", "2025-03-11 08:14"),
    ("3/11/2025 9:14 PM", "mdy", "2025-03-11 20:14"),
    ("3/11/2025 12:05 AM", "mdy", "2025-03-10 23:05"),
    ("2025/03/11 09:14", "dmy", "2025-03-11 08:14"),
    ("11-03-2025 09:14 +00:00", "dmy", "2025-03-11 09:14"),
])
def test_times_in_several_formats_and_zones(written, order, expected):
    dt = parse_time(written, AMS, order)
    assert dt is not None and dt.strftime("%Y-%m-%d %H:%M") == expected


@pytest.mark.parametrize("written", ["gisteren", "31-02-2025 10:00", "13/13/2025 10:00", "", "3/11/2025 13:14 PM"])
def test_times_that_are_no_times_are_none(written):
    assert parse_time(written, AMS, "dmy") is None


def test_the_timezone_setting_reads_naive_times_and_time_format_reads_odd_ones(tmp_path):
    f = tmp_path / "chat.csv"
    f.write_text("time,sender,text\n2025-03-11 09:14,Sanne,Hallo\n", encoding="utf-8")
    [item] = run_connector("chattable", f, timezone="UTC")["items"]
    assert item.sent == datetime(2025, 3, 11, 9, 14, tzinfo=timezone.utc)
    f.write_text("time,sender,text\n11-03-2025 om 09u14,Sanne,Hallo\n", encoding="utf-8")
    [item] = run_connector("chattable", f, time_format="%d-%m-%Y om %Hu%M")["items"]
    assert local(item.sent) == "2025-03-11 09:14:00"


def test_day_or_month_first_is_decided_from_the_whole_file(tmp_path):
    f = tmp_path / "chat.csv"
    f.write_text("time,sender,text\n03/04/2025 10:00,A,x\n13/04/2025 10:00,A,y\n", encoding="utf-8")
    assert [i.sent.astimezone(AMS).day for i in run_connector("chattable", f)["items"]] == [3, 13]
    f.write_text("time,sender,text\n03/04/2025 10:00,A,x\n04/13/2025 10:00,A,y\n", encoding="utf-8")
    assert [i.sent.astimezone(AMS).month for i in run_connector("chattable", f)["items"]] == [3, 4]
    f.write_text("time,sender,text\n03/04/2025 10:00 AM,A,x\n", encoding="utf-8")
    assert run_connector("chattable", f)["items"][0].sent.astimezone(AMS).month == 3
    assert run_connector("chattable", f, date_order="dmy")["items"][0].sent.astimezone(AMS).month == 4


def test_unknown_settings_and_bad_choices_are_refused(tmp_path):
    f = tmp_path / "chat.csv"
    f.write_text("time,sender,text\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="date_order"):
        run_connector("chattable", f, date_order="ymd")


def test_a_chat_csv_is_recognised_without_type(tmp_path):
    from woo_collector.registry import detect

    f = tmp_path / "Team Wind.csv"
    f.write_bytes(team_wind())
    assert detect(f)[0] == "chattable"
    assert detect(kaizala_zip(tmp_path / "k.zip"))[0] == "chattable"
    plain = tmp_path / "begroting.csv"
    plain.write_text("post,bedrag\nwind,100\n")
    assert detect(plain)[0] != "chattable"


def test_a_long_message_and_a_big_table_stream(tmp_path):
    f = tmp_path / "chat.csv"
    long_text = "wind " * 60_000  # past the csv module's default field limit
    buf = io.StringIO()
    buf.write("time,sender,text\n")
    buf.write(f'2025-03-11 09:14,Sanne,"{long_text}"\n')
    for n in range(3000):
        buf.write(f"2025-03-11 10:{n % 60:02d},P{n % 7},bericht {n}\n")
    f.write_text(buf.getvalue(), encoding="utf-8")
    out = run_connector("chattable", f)
    assert not out["failures"] and len(out["items"]) == 3001 and out["items"][0].body == long_text.strip()


def test_a_kaizala_source_names_its_documents_kaizala_gesprek(tmp_path):
    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    z = kaizala_zip(tmp_path / "kaizala-export.zip")
    r = woo(ws, "source", "add", "kaizala", "--type", "chattable", "--path", str(z), "--custodian", "X", "--set", "platform=kaizala")
    assert r.exit_code == 0, r.output
    assert woo(ws, "ingest").exit_code == 0
    assert woo(ws, "request", "create", "R1", "--subject", "wind", "--from", "2025-03-11", "--to", "2025-03-11",
               "--query", "*", "--source", "kaizala").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    docs = json.loads(woo(ws, "request", "show", "R1", "--format", "json").stdout)["documents"]
    assert sorted(d["title"] for d in docs) == ["Kaizala-gesprek Crisisteam, 11 maart 2025", "Kaizala-gesprek Handhaving Noord, 11 maart 2025",
                                                "Kaizala-gesprek Team Wind, 11 maart 2025"]


def test_recognising_a_zip_whose_table_member_is_corrupt_does_not_crash(tmp_path):
    from woo_collector.registry import detect

    z = tmp_path / "k.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("Team Wind.csv", team_wind() * 50)
    raw = bytearray(z.read_bytes())
    with zipfile.ZipFile(z) as zf:
        info = zf.getinfo("Team Wind.csv")
    start = info.header_offset + 30 + len(info.filename.encode()) + len(info.extra)
    raw[start:start + 8] = b"\xff" * 8  # its deflate stream broken
    z.write_bytes(bytes(raw))
    assert detect(z)[0] != "chattable"

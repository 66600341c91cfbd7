"""safezip: hostile zips are refused before anything is expanded; good zips read as written."""

from __future__ import annotations

import io
import struct
import time
import zipfile

import pytest

from woo_collector.errors import ConnectorError
from woo_collector.safezip import (
    MAX_DEPTH,
    Refused,
    check_depth,
    copy_member,
    is_zip,
    iter_members,
    open_zip,
    read_member,
    safe_name,
)


def build_zip(files: dict[str, bytes], compression: int = zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression) as zf:
        for name, data in files.items():
            zf.writestr(zipfile.ZipInfo(name, (2024, 3, 11, 9, 14, 0)), data, compress_type=compression)
    return buf.getvalue()


def zeros_bomb(path, megabytes: int = 200) -> None:
    """A zip with one member of ``megabytes`` MB of zeros, written streaming (it compresses ~1000x)."""
    chunk = bytes(1024 * 1024)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        with zf.open("nullen.bin", "w", force_zip64=True) as f:
            for _ in range(megabytes):
                f.write(chunk)


@pytest.mark.parametrize("name, expected", [
    ("map/bestand.txt", "map/bestand.txt"),
    ("./map//bestand.txt", "map/bestand.txt"),
    ("map\\sub\\x.docx", "map/sub/x.docx"),
    ("../buiten.txt", None),
    ("map/../../buiten.txt", None),
    ("/etc/passwd", None),
    ("C:\\Windows\\x.dll", None),
    ("c:x", None),
    ("", None),
    ("nul\x00byte.txt", None),
])
def test_safe_name(name, expected):
    assert safe_name(name) == expected


def test_good_zip_reads_every_member_as_written():
    data = build_zip({"a.txt": b"hallo" * 1000, "map/b.txt": b"wereld", "leeg.txt": b""})
    zf, members = open_zip(io.BytesIO(data), "goed.zip")
    got = {m.name: content for m, content in iter_members(zf, members, "goed.zip")}
    assert got == {"a.txt": b"hallo" * 1000, "map/b.txt": b"wereld", "leeg.txt": b""}
    out = io.BytesIO()
    assert copy_member(zf, members[0], out, "goed.zip") == 5000
    assert out.getvalue() == b"hallo" * 1000
    assert is_zip(data[:4]) and not is_zip(b"%PDF-1.7")


def test_not_a_zip_is_refused_with_the_label():
    with pytest.raises(ConnectorError) as e:
        open_zip(io.BytesIO(b"dit is geen zip"), "kapot.zip")
    assert "not a readable zip" in str(e.value) and "kapot.zip" in str(e.value)


@pytest.mark.parametrize("member", ["../../etc/cron.d/evil", "/etc/passwd", "..\\..\\boot.ini"])
def test_traversal_and_absolute_members_are_refused(member):
    data = build_zip({"ok.txt": b"ok", member: b"evil"})
    with pytest.raises(ConnectorError) as e:
        open_zip(io.BytesIO(data), "wetransfer.zip")
    assert "path traversal" in e.value.reason and "wetransfer.zip" in str(e.value)


def test_zip_bomb_is_refused_in_bounded_time(tmp_path):
    path = tmp_path / "bom.zip"
    zeros_bomb(path)
    assert path.stat().st_size < 1024 * 1024
    start = time.monotonic()
    with pytest.raises(ConnectorError) as e:
        open_zip(path, "bom.zip")
    assert time.monotonic() - start < 1
    assert "zip bomb" in e.value.reason and "nullen.bin" in e.value.reason


def test_many_small_high_ratio_members_are_refused_as_a_whole():
    # each member stays under the per-member ratio floor (1 MiB), the archive as a whole does not
    data = build_zip({f"deel{i}.bin": bytes(1024 * 1000) for i in range(40)})
    for refused in (None, []):  # what is told only of the whole refuses the whole, member list or not
        with pytest.raises(ConnectorError) as e:
            open_zip(io.BytesIO(data), "veel.zip", refused)
        assert "zip bomb" in e.value.reason and "expands to" in e.value.reason


def test_with_a_refused_list_bad_members_are_listed_and_the_good_ones_kept(tmp_path):
    path = tmp_path / "gemengd.zip"
    zeros_bomb(path, megabytes=5)
    with zipfile.ZipFile(path, "a") as zf:
        zf.writestr("goed.txt", b"goed")
        zf.writestr(zipfile.ZipInfo("../buiten.txt"), b"ontsnapt")
        zf.writestr(zipfile.ZipInfo("/etc/passwd"), b"root")
        link = zipfile.ZipInfo("link")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, b"/etc/shadow")
    refused: list[Refused] = []
    zf, members = open_zip(path, "gemengd.zip", refused)
    assert [m.name for m in members] == ["goed.txt"] and read_member(zf, members[0], "gemengd.zip") == b"goed"
    assert [r.name for r in refused] == ["nullen.bin", "../buiten.txt", "/etc/passwd", "link"]
    assert "zip bomb" in refused[0].reason and "path traversal" in refused[1].reason and "path traversal" in refused[2].reason
    assert "symbolic link" in refused[3].reason
    with pytest.raises(ConnectorError, match="zip bomb"):  # without the list, one bad member refuses the zip
        open_zip(path, "gemengd.zip")


def test_overlapping_members_are_refused():
    """The non-recursive zip bomb: two central-directory entries point at one local file."""
    data = bytearray(build_zip({"a.txt": b"x" * 100}))
    eocd = data.rindex(b"PK\x05\x06")
    cd_size, cd_offset = struct.unpack("<II", data[eocd + 12:eocd + 20])
    central = bytes(data[cd_offset:cd_offset + cd_size])
    twin = central.replace(b"a.txt", b"b.txt")
    out = data[:cd_offset] + central + twin
    tail = bytearray(data[eocd:])
    struct.pack_into("<HHII", tail, 8, 2, 2, len(central) * 2, cd_offset)
    for refused in (None, []):
        with pytest.raises(ConnectorError) as e:
            open_zip(io.BytesIO(bytes(out + tail)), "dubbel.zip", refused)
        assert "overlapping" in e.value.reason


def test_lying_header_stops_at_the_declared_size():
    data = bytearray(build_zip({"a.txt": b"A" * 5000}, zipfile.ZIP_STORED))
    # declare 10 bytes in the central directory while 5000 are stored
    cd = data.rindex(b"PK\x01\x02")
    struct.pack_into("<I", data, cd + 24, 10)
    zf, members = open_zip(io.BytesIO(bytes(data)), "liegt.zip")
    with pytest.raises(ConnectorError) as e:
        read_member(zf, members[0], "liegt.zip")
    assert "a.txt" in e.value.reason


def test_password_protected_member_says_so():
    data = bytearray(build_zip({"geheim.txt": b"x" * 50}, zipfile.ZIP_STORED))
    for sig, offset in ((b"PK\x03\x04", 6), (b"PK\x01\x02", 8)):
        pos = data.index(sig)
        flags = struct.unpack_from("<H", data, pos + offset)[0]
        struct.pack_into("<H", data, pos + offset, flags | 1)
    zf, members = open_zip(io.BytesIO(bytes(data)), "slot.zip")
    with pytest.raises(ConnectorError) as e:
        read_member(zf, members[0], "slot.zip")
    assert "password" in e.value.reason


def test_corrupt_deflate_stream_is_a_connector_error():
    data = bytearray(build_zip({"a.txt": bytes(range(256)) * 200}))
    start = data.index(b"a.txt") + len(b"a.txt")
    data[start + 10:start + 60] = b"\xff" * 50
    zf, members = open_zip(io.BytesIO(bytes(data)), "stuk.zip")
    with pytest.raises(ConnectorError):
        read_member(zf, members[0], "stuk.zip")


def test_check_depth():
    check_depth(MAX_DEPTH, "ok.zip")
    with pytest.raises(ConnectorError) as e:
        check_depth(MAX_DEPTH + 1, "diep.zip")
    assert "nested" in e.value.reason and "diep.zip" in str(e.value)


def test_directories_and_symlinks_are_not_members():
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("map/", b"")
        link = zipfile.ZipInfo("link")
        link.external_attr = (0o120777 << 16)
        zf.writestr(link, b"/etc/passwd")
        zf.writestr("map/echt.txt", b"echt")
    zf, members = open_zip(io.BytesIO(buf.getvalue()), "links.zip")
    assert [m.name for m in members] == ["map/echt.txt"]

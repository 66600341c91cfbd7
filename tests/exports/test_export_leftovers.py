"""What an interrupted export leaves beside its package: removed by the next export, reported by doctor.

An export works in hidden `.<name>.tmp-*` (a package not yet through the leak guard), `.<name>.old-*`
and `.<name>.zip.tmp-*` entries beside `out`, and puts package and zip in place by one journalled
step (exports/place.py). The SIGKILL loop over these steps is tests/core/test_crash_requests.py.
"""

from __future__ import annotations

import json
import os
import sys
import zipfile
from datetime import datetime, timezone
from pathlib import Path

import pytest
from click.testing import CliRunner

sys.path.insert(0, str(Path(__file__).parent))
from export_corpus import ORG, documents, request_info  # noqa: E402

from exports import write_package  # noqa: E402
from woo_collector import outputs  # noqa: E402
from woo_collector.cli import cli  # noqa: E402
from woo_collector.doctor import check  # noqa: E402
from woo_collector.errors import ExportError  # noqa: E402
from woo_collector.workspace import Workspace  # noqa: E402
from tests.conftest import woo

NOW = datetime(2025, 4, 20, 9, 0, tzinfo=timezone.utc)


def export(out: Path, zip_: bool = False, now: datetime = NOW):
    """An export into ``out``, replacing an earlier package there (moved aside as ``pkg.vorige-*``)."""
    return write_package(request_info(), documents(), out, organisation=ORG, tool_version="0.1.0", now=now, zip_=zip_,
                         replace=True)


def beside(folder: Path) -> list[str]:
    """What lies in ``folder``, earlier packages moved aside (``pkg.vorige-*``) counted as one name."""
    return sorted({"pkg.vorige-*" if p.name.startswith("pkg.vorige-") else p.name for p in folder.iterdir()})


def new_workspace(root: Path) -> Workspace:
    assert woo(root, "init", "--organisation", "Gemeente Test").exit_code == 0
    return Workspace.open(root)


def leave_leftovers(out: Path) -> list[Path]:
    """What the SIGKILLs of the issue left: unguarded bundles, a package moved aside, a half zip."""
    tmp = out.parent / f".{out.name}.tmp-0badf00d"
    (tmp / "documenten").mkdir(parents=True)
    (tmp / "documenten" / "documenten-deel-01.docx").write_bytes(b"never through the leak guard")
    old = out.parent / f".{out.name}.old-0ddba11a"
    old.mkdir()
    (old / "manifest.json").write_text("{}")
    half = out.parent / f".{out.name}.zip.tmp-5ca1ab1e"
    half.write_bytes(b"PK\x03\x04")
    return [tmp, old, half]


def test_the_next_export_removes_what_interrupted_exports_left(tmp_path):
    out = tmp_path / "pkg"
    export(out)
    left = leave_leftovers(out)
    export(out, zip_=True)
    assert [p for p in left if p.exists()] == []
    assert beside(tmp_path) == ["pkg", "pkg.vorige-*", "pkg.zip"]


def test_an_export_without_zip_takes_the_old_zip_away(tmp_path):
    """A zip of the previous package beside a new one would release what the new one withholds."""
    out = tmp_path / "pkg"
    export(out, zip_=True)
    export(out, now=datetime(2025, 4, 21, 9, 0, tzinfo=timezone.utc))
    assert not (tmp_path / "pkg.zip").exists()


def test_the_zip_is_of_the_package_beside_it(tmp_path):
    out = tmp_path / "pkg"
    export(out, zip_=True)
    export(out, zip_=True, now=datetime(2025, 4, 21, 9, 0, tzinfo=timezone.utc))
    with zipfile.ZipFile(tmp_path / "pkg.zip") as z:
        assert z.read("pkg/manifest.json") == (out / "manifest.json").read_bytes()


def test_an_export_killed_between_the_two_renames_is_finished_by_the_next_one(tmp_path):
    """Where the system cannot swap two folders at once, out is renamed aside and the new package
    renamed to out; killed in between there is no package, only the journal: the next export finishes it."""
    from exports import place

    out = tmp_path / "pkg"
    export(out, zip_=True)
    new = tmp_path / "staging" / "pkg"
    export(new, zip_=True, now=datetime(2025, 4, 21, 9, 0, tzinfo=timezone.utc))
    tmp = tmp_path / ".pkg.tmp-12345678"
    zip_tmp = tmp_path / ".pkg.zip.tmp-12345678"
    new.rename(tmp)
    (new.parent / "pkg.zip").rename(zip_tmp)
    token = outputs.sha256_file(tmp / "manifest.json")
    outputs.write_json_atomic(outputs.journal(out), {"tmp": str(tmp), "zip": str(zip_tmp), "manifest": token})
    (tmp_path / "pkg.zip").unlink()
    out.rename(tmp_path / ".pkg.old-87654321")  # the kill came here

    place.prepare(out)
    assert outputs.sha256_file(out / "manifest.json") == token
    with zipfile.ZipFile(tmp_path / "pkg.zip") as z:
        assert z.read("pkg/manifest.json") == (out / "manifest.json").read_bytes()
    assert beside(tmp_path) == ["pkg", "pkg.zip", "staging"]


def test_a_second_export_into_the_same_folder_stops_at_once(tmp_path):
    """It would otherwise take the first one's work folder for a leftover and delete it."""
    import fcntl

    fd = os.open(tmp_path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running export holds it
        with pytest.raises(ExportError, match="another export is writing into"):
            export(tmp_path / "pkg")
    finally:
        os.close(fd)
    assert list(tmp_path.iterdir()) == []


def test_a_previous_package_moved_aside_without_journal_is_put_back_before_the_next_export(tmp_path):
    """What a kill between the two renames left before there was a journal: no package, only
    `.pkg.old-*` (the previous package) and `.pkg.tmp-*`. The previous package goes back first."""
    from exports import place

    out = tmp_path / "pkg"
    export(out)
    before = (out / "manifest.json").read_bytes()
    out.rename(tmp_path / ".pkg.old-0ddba11a")
    (tmp_path / ".pkg.tmp-0badf00d").mkdir()
    place.prepare(out)  # what every export does first, before it writes anything
    assert (out / "manifest.json").read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pkg"]


def test_doctor_reports_leftovers_and_a_stale_zip_and_how_to_mend_them(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    out = tmp_path / "pkg"
    outputs.record(ws.root, out, "WOO-2025-014")
    export(out, zip_=True)
    assert check(ws, progress=False)[0] == []
    leave_leftovers(out)
    stale = tmp_path / "stale"
    export(stale, zip_=True, now=datetime(2025, 4, 21, 9, 0, tzinfo=timezone.utc))
    (tmp_path / "stale.zip").replace(tmp_path / "pkg.zip")  # an old zip beside a newer package
    problems = check(ws, progress=False)[0]
    assert any("3 leftover(s)" in p and "never passed the leak guard" in p
               and f"woo request export WOO-2025-014 --out {out.resolve()}" in p for p in problems), problems
    assert any("pkg.zip is not a zip of the package beside it" in p for p in problems), problems
    ws.close()
    r = CliRunner().invoke(cli, ["--workspace", str(tmp_path / "ws"), "--quiet", "doctor", "--format", "json"])
    assert r.exit_code == 1 and not json.loads(r.stdout)["ok"]

    export(out, zip_=True)
    ws = Workspace.open(tmp_path / "ws")
    assert check(ws, progress=False)[0] == []
    ws.close()


def test_doctor_finds_a_package_file_changed_after_the_export(tmp_path):
    ws = new_workspace(tmp_path / "ws")
    out = tmp_path / "pkg"
    outputs.record(ws.root, out, "WOO-2025-014")
    export(out)
    (out / "inventarislijst.docx").write_bytes(b"half written")
    problems = check(ws, progress=False)[0]
    assert any("does not match its manifest.json" in p and "inventarislijst.docx" in p for p in problems), problems
    ws.close()


def test_export_records_its_output_folder_in_the_workspace_and_doctor_checks_it(tmp_path):
    from email.message import EmailMessage

    ws = tmp_path / "ws"
    assert woo(ws, "init", "--organisation", "Gemeente Test").exit_code == 0
    m = EmailMessage()
    m["From"], m["To"], m["Subject"] = "a@voorbeeld.nl", "b@voorbeeld.nl", "windturbines"
    m["Date"], m["Message-ID"] = "Mon, 03 Mar 2025 10:00:00 +0100", "<wind-1@voorbeeld.nl>"
    m.set_content("Over de windturbines bij de dijk.")
    (tmp_path / "mail").mkdir()
    (tmp_path / "mail" / "1.eml").write_bytes(m.as_bytes())
    assert woo(ws, "import", str(tmp_path / "mail"), "--type", "eml", "--custodian", "Sanne").exit_code == 0
    assert woo(ws, "request", "create", "R1", "--subject", "windturbines", "--from", "2025-01-01", "--to", "2025-12-31").exit_code == 0
    assert woo(ws, "request", "collect", "R1").exit_code == 0
    out = tmp_path / "pkg"
    assert woo(ws, "request", "export", "R1", "--out", str(out)).exit_code == 0
    assert outputs.recorded(ws) == {str(out.resolve()): {"request": "R1"}}
    assert woo(ws, "doctor").exit_code == 0
    leave_leftovers(out)
    r = woo(ws, "doctor")
    assert r.exit_code == 1 and "leftover(s) of interrupted exports" in r.stdout


def test_exports_at_the_same_moment_are_all_recorded(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from woo_collector import outputs

    outs = [tmp_path / f"pakket-{k}" for k in range(40)]
    with ThreadPoolExecutor(8) as pool:
        list(pool.map(lambda o: outputs.record(tmp_path, o, "R1"), outs))
    assert set(outputs.recorded(tmp_path)) == {str(o.resolve()) for o in outs}

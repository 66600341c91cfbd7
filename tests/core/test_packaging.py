"""What `pip install .` puts on a user's machine: every module and every data file the code reads."""

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_wheel_holds_the_packages_and_their_data(tmp_path):
    r = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(tmp_path), str(ROOT)],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    wheel = next(tmp_path.glob("woo_collector-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    data = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "woo_collector" / "redaction" / "data").glob("*.txt"))
    assert data and set(data) <= names, set(data) - names
    web = sorted(p.relative_to(ROOT).as_posix() for d in ("templates", "static")
                 for p in (ROOT / "woo_collector" / "review_web" / d).iterdir())  # woo review's pages, script and style
    assert len(web) >= 8 and set(web) <= names, set(web) - names
    for pkg in ("woo_collector", "woo_collector/cli", "woo_collector/catalog", "woo_collector/requests", "woo_collector/redaction",
                "woo_collector/redaction/recognizers", "connectors", "exports"):
        assert f"{pkg}/__init__.py" in names, pkg
    modules = {p.relative_to(ROOT).as_posix() for d in ("connectors", "exports", "woo_collector") for p in (ROOT / d).rglob("*.py")}
    assert modules <= names, modules - names

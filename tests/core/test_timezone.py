"""The workspace's ``timezone`` setting is the one local zone: dates, display and chat exports."""

from datetime import date, datetime, timezone

import pytest

from tests.conftest import MemorySink, drain, sample
from woo_collector import dates, registry
from woo_collector.errors import ConfigError
from woo_collector.models import SourceSpec
from woo_collector.workspace import Workspace

DM = "chat-analytics/tests/samples/telegram/DM_2A_7M.json"
BA = "America/Argentina/Buenos_Aires"


@pytest.fixture(autouse=True)
def default_zone_after():
    yield
    dates.configure(dates.DEFAULT_TIMEZONE)  # the zone is process-wide: leave the default for the next test


def workspace(tmp_path, zone: str) -> Workspace:
    ws, _ = Workspace.init(tmp_path / "ws")
    ws.config["settings"]["timezone"] = zone
    ws.save_config()
    ws.close()
    return Workspace.open(tmp_path / "ws")


def test_opening_a_workspace_sets_the_local_zone(tmp_path):
    assert dates.zone().key == "Europe/Amsterdam"
    ws = workspace(tmp_path, BA)
    assert dates.zone().key == BA
    lo, hi = dates.day_bounds(date(2025, 3, 1), date(2025, 3, 1))
    assert lo == datetime(2025, 3, 1, 3, 0, tzinfo=timezone.utc) and hi == datetime(2025, 3, 2, 3, 0, tzinfo=timezone.utc)
    assert dates.local(lo).hour == 0
    ws.close()


def test_an_unknown_zone_says_what_to_write(tmp_path):
    ws, _ = Workspace.init(tmp_path / "ws")
    ws.config["settings"]["timezone"] = "Mars/Olympus"
    ws.save_config()
    ws.close()
    with pytest.raises(ConfigError, match="unknown time zone 'Mars/Olympus'"):
        Workspace.open(tmp_path / "ws")


def test_chat_connectors_default_to_the_workspace_zone_and_a_source_may_override(tmp_path):
    path = sample(DM)
    ws = workspace(tmp_path, BA)
    ws.add_source(SourceSpec(name="tg", type="telegram", path=str(path), custodian="c"))
    spec = ws.sources()["tg"]
    assert spec.timezone == BA
    cls = registry.get("telegram")
    from_workspace = drain(cls(spec, MemorySink()))["items"]
    explicit = drain(cls(SourceSpec("tg", "telegram", str(path), "c", {"timezone": BA}), MemorySink()))["items"]
    assert from_workspace[0].sent == explicit[0].sent == datetime(2019, 7, 5, 19, 55, 32, tzinfo=timezone.utc)
    override = drain(cls(SourceSpec("tg", "telegram", str(path), "c", {"timezone": "UTC"}, timezone=BA), MemorySink()))["items"]
    assert override[0].sent == datetime(2019, 7, 5, 16, 55, 32, tzinfo=timezone.utc)
    ws.close()

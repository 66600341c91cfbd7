"""A workspace: ``woo.toml``, ``store/`` (originals), the catalog, ``index/`` and ``logs/``.

Created with owner-only permissions: it holds a municipality's mail and chats.
"""

from __future__ import annotations

import getpass
import os
import stat
from contextlib import contextmanager
from functools import cached_property
from pathlib import Path
from typing import Any, Iterator

import tomli_w

from woo_collector import dates
from woo_collector.models import SourceSpec
from woo_collector.errors import ConfigError
from woo_collector.settings import Settings, check_no_secrets, read_toml

CONFIG = "woo.toml"
CATALOG = "catalog.sqlite"


def default_root() -> Path:
    return Path(os.environ.get("WOO_HOME", "woo-workspace"))


def os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return str(os.getuid())


class Workspace:
    def __init__(self, root: Path):
        self.root = Path(root)
        self.config_path = self.root / CONFIG

    # creation -----------------------------------------------------------------------------------
    @classmethod
    def init(cls, root: Path, organisation: str | None = None, engine: str | None = None) -> tuple["Workspace", bool]:
        """Create a workspace (audited); on an existing one change nothing. Returns (workspace, created).

        ``engine``: the index engine (``whoosh``, the default, or ``tantivy``), recorded in the settings."""
        root = Path(root)
        if (root / CONFIG).exists():
            return cls.open(root), False
        if engine:
            Settings.load({"engine": engine})  # refuses an unknown engine before anything is written
        old_umask = os.umask(0o077)
        try:
            root.mkdir(parents=True, exist_ok=True)
            os.chmod(root, 0o700)
            for sub in ("store", "index", "logs", "requests"):
                (root / sub).mkdir(exist_ok=True)
            # no organisation given: none is written (never a made-up one); export refuses until it is set
            settings = {"organisation": organisation} if organisation else {}
            if engine:
                settings["engine"] = engine
            config = {"settings": settings, "sources": {},
                      "policy": {"keep": [], "redact": {}, "org_domains": []}}
            tmp = root / (CONFIG + ".tmp")
            tmp.write_text(_header() + tomli_w.dumps(config))
            os.replace(tmp, root / CONFIG)
        finally:
            os.umask(old_umask)
        ws = cls(root)
        dates.configure(ws.settings.timezone)
        ws.catalog  # creates the schema
        ws.index
        args = {"workspace": str(root.resolve()), "organisation": ws.settings.organisation}
        if engine:
            args["engine"] = engine
        ws.audit("init", args, "ok")
        return ws, True

    @classmethod
    def open(cls, root: Path) -> "Workspace":
        ws = cls(root)
        if not ws.config_path.exists():
            raise ConfigError(f"no workspace at {Path(root).resolve()}: run 'woo init {root}' first, "
                              "or point --workspace / WOO_HOME at an existing one")
        dates.configure(ws.settings.timezone)  # times are shown, and chat exports read, in the workspace's zone
        return ws

    # configuration ------------------------------------------------------------------------------
    @cached_property
    def config(self) -> dict[str, Any]:
        return read_toml(self.config_path)

    @cached_property
    def settings(self) -> Settings:
        return Settings.load(self.config.get("settings", {}))

    def save_config(self) -> None:
        tmp = self.config_path.with_suffix(".tmp")
        old_umask = os.umask(0o077)
        try:
            tmp.write_text(_header() + tomli_w.dumps(self.config))
            os.replace(tmp, self.config_path)
        finally:
            os.umask(old_umask)

    def sources(self) -> dict[str, SourceSpec]:
        out = {}
        for name, s in (self.config.get("sources") or {}).items():
            out[name] = SourceSpec(name=name, type=s.get("type", ""), path=s.get("path", ""),
                                   custodian=s.get("custodian", ""), settings=dict(s.get("settings", {})),
                                   timezone=self.settings.timezone)
        return out

    def add_source(self, spec: SourceSpec) -> None:
        check_no_secrets(dict(spec.settings), f"source {spec.name}")
        entry: dict[str, Any] = {"type": spec.type, "custodian": spec.custodian}
        if spec.path:
            entry["path"] = spec.path
        if spec.settings:
            entry["settings"] = dict(spec.settings)
        self.config.setdefault("sources", {})[spec.name] = entry
        self.save_config()

    # parts --------------------------------------------------------------------------------------
    @cached_property
    def store(self):
        from woo_collector.store import EvidenceStore

        return EvidenceStore(self.root / "store")

    @cached_property
    def catalog(self):
        from woo_collector.catalog import SQLiteCatalog

        return SQLiteCatalog(self.root / CATALOG)

    @cached_property
    def index(self):
        from woo_collector.index import open_index

        return open_index(self.root / "index", self.settings.engine)

    def close_index(self) -> None:
        """Close the index (``ws.index`` opens it again, with the engine the settings name then)."""
        if "index" in self.__dict__:
            self.__dict__.pop("index").close()

    def lock(self, what: str):
        from woo_collector.lock import WorkspaceLock

        return WorkspaceLock(self.root / ".lock", what)

    @property
    def user(self) -> str:
        return os_user()

    def audit(self, action: str, args: dict[str, Any], outcome: str, request: str = "") -> None:
        """An audit row on its own (for what changes nothing in the catalog: an export, a run's summary)."""
        self.catalog.append_audit(self.user, action, args, outcome, request)

    def change(self, action: str, args: dict[str, Any], request: str = ""):
        """``with ws.change("request extend", args, request=id) as entry:`` the catalog writes of the
        body and their audit row commit together, or neither; ``AuditError`` first when the audit
        log cannot be written. The body sets ``entry.outcome``."""
        return self.catalog.change(self.user, action, args, request)

    @contextmanager
    def config_change(self, action: str, args: dict[str, Any]) -> Iterator[Any]:
        """A change of ``woo.toml`` with its audit row: the body edits ``ws.config``; the row is inserted
        in an open catalog transaction, then woo.toml is replaced, then the row committed. When the
        audit log cannot be written nothing is saved; when the commit fails woo.toml is put back. (Only a
        crash between the replace and the commit leaves a woo.toml change without its row.)"""
        old = self.config_path.read_bytes()
        saved = False
        try:
            with self.change(action, args) as entry:
                yield entry
                self.save_config()
                saved = True
        except BaseException:
            self.__dict__.pop("config", None)
            self.__dict__.pop("settings", None)
            if saved:
                tmp = self.config_path.with_suffix(".restore")
                tmp.write_bytes(old)
                os.replace(tmp, self.config_path)
            raise

    def permission_problems(self) -> list[str]:
        """Paths readable or writable by others than the owner."""
        problems = []
        for p in [self.root, self.config_path, self.root / CATALOG, self.root / "store", self.root / "index",
                  self.root / "audit.key", self.root / "audit.anchor"]:
            if p.exists() and stat.S_IMODE(p.stat().st_mode) & 0o077:
                problems.append(f"{p} is accessible to other users (mode {oct(stat.S_IMODE(p.stat().st_mode))}); run: chmod -R go-rwx {self.root}")
        return problems

    def close(self) -> None:
        if "catalog" in self.__dict__:
            self.catalog.close()
        if "index" in self.__dict__:
            self.index.close()


def _header() -> str:
    return ("# woo-collector workspace settings. Secrets never go here: a source names the\n"
            "# environment variable holding its password (password_env = \"VAR\").\n\n")

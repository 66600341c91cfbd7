"""Which connector reads which TYPE: a table of ``module:Class`` names, imported only when used.

The core reaches connectors only through here, never by importing the ``connectors`` package, so
a built-in connector and one installed from elsewhere (entry point group
``woo_collector.connectors`` in its ``setup.cfg``) are found, listed and recognised the same way.
Classes are imported on first use, which keeps ``woo --help`` fast.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from woo_collector.errors import ConfigError

ENTRY_POINT_GROUP = "woo_collector.connectors"

# One line per TYPE of the command-line contract. The order is the order detect() asks them in
# (the first of equal scorers wins) and the order the --type help lists them.
BUILT_IN: dict[str, str] = {
    "eml": "connectors.eml:EmlConnector",
    "mbox": "connectors.mbox:MboxConnector",
    "maildir": "connectors.maildir:MaildirConnector",
    "msg": "connectors.msg:MsgConnector",
    "pst": "connectors.pst:PstConnector",
    "imap": "connectors.imap:ImapConnector",
    "exchange": "connectors.exchange:ExchangeConnector",
    "graph": "connectors.graph:GraphConnector",
    "whatsapp": "connectors.whatsapp:WhatsAppConnector",
    "sms": "connectors.sms:SmsConnector",
    "teams": "connectors.teams:TeamsConnector",
    "signal": "connectors.signal:SignalConnector",
    "telegram": "connectors.telegram:TelegramConnector",
    "files": "connectors.files:FilesConnector",
}


def _entry_points() -> dict[str, str]:
    from importlib.metadata import entry_points

    return {ep.name: ep.value for ep in entry_points(group=ENTRY_POINT_GROUP)}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except ModuleNotFoundError:  # its parent package is missing
        return False


def available() -> dict[str, str]:
    """TYPE -> 'module:Class' for every connector whose module is installed."""
    return {name: target for name, target in {**BUILT_IN, **_entry_points()}.items() if _installed(target.split(":")[0])}


def types_help() -> str:
    """The connector TYPEs as a comma-separated list (built-in ones in the contract's order)."""
    return ", ".join(available())


def get(name: str):
    """The connector class for a TYPE; ConfigError naming the valid types otherwise."""
    target = available().get(name)
    if target is None:
        raise ConfigError(f"unknown source type {name!r}; choose one of: {', '.join(sorted(available()))}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def detect(path: Path) -> tuple[str, float]:
    """Recognise the format of ``path`` from its content (and name): (TYPE, score); the highest scorer wins."""
    path = Path(path)
    head = b""
    if path.is_file():
        with open(path, "rb") as f:
            head = f.read(65536)
    best, score = "", 0.0
    for name in available():
        cls = get(name)
        if cls.network:
            continue
        s = cls.score(path, head)
        if s > score:
            best, score = name, s
    if not best:
        raise ConfigError(f"cannot tell what kind of file {path} is; give --type (one of: {', '.join(sorted(available()))})")
    return best, score

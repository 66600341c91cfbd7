"""The built-in connectors, one module each, and how a format is recognised.

``CONNECTORS`` maps each TYPE of the command-line contract to ``module:Class``; modules are
imported only when used, so ``woo --help`` stays fast. Outside connectors may come in through the
``woo_collector.connectors`` entry point group.
"""

from __future__ import annotations

import importlib
import importlib.util
from pathlib import Path

from woo_collector.errors import ConfigError

CONNECTORS: dict[str, str] = {
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

    return {ep.name: ep.value for ep in entry_points(group="woo_collector.connectors")}


def available() -> dict[str, str]:
    """TYPE -> 'module:Class' for every connector whose module is installed."""
    out = {}
    for name, target in {**CONNECTORS, **_entry_points()}.items():
        module = target.split(":")[0]
        if importlib.util.find_spec(module) is not None:
            out[name] = target
    return out


def get(name: str):
    """The connector class for a TYPE; ConfigError naming the valid types otherwise."""
    target = available().get(name)
    if target is None:
        raise ConfigError(f"unknown source type {name!r}; choose one of: {', '.join(sorted(available()))}")
    module, cls = target.split(":")
    return getattr(importlib.import_module(module), cls)


def detect(path: Path) -> tuple[str, float]:
    """Recognise the format of ``path`` from its content (and name): (TYPE, score)."""
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

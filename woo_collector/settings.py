"""Settings: one dataclass with defaults, overridden by ``woo.toml`` and ``WOO_*`` variables.

Secrets never live here: a source names the environment variable that holds its password
(``password_env``), and only that name is written to ``woo.toml``.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from woo_collector.dates import DEFAULT_TIMEZONE
from woo_collector.errors import ConfigError

SECRET_WORDS = ("password", "secret", "token", "passwd", "apikey", "api_key")


def _s(default: Any, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class Settings:
    organisation: str = _s("Gemeente Voorbeeld", "name of the public body; used in packages and document properties")
    timezone: str = _s(DEFAULT_TIMEZONE, "local time zone for command-line dates and chat exports")
    batch_size: int = _s(2000, "items per catalog/index commit during ingestion")
    index_procs: int = _s(1, "processes Whoosh may use to index (2 on a 2-core server speeds up large imports)")
    index_limitmb: int = _s(256, "memory (MB) per Whoosh indexing process")
    log_keep: int = _s(1000, "run log files kept in logs/ (older ones are removed)")
    part_max_docs: int = _s(250, "documents per docx bundle part in a disclosure package")

    @classmethod
    def help(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in fields(cls)}

    @classmethod
    def load(cls, data: dict[str, Any]) -> "Settings":
        s = cls()
        known = {f.name: f for f in fields(cls)}
        for key, value in (data or {}).items():
            if key not in known:
                raise ConfigError(f"woo.toml [settings] has an unknown key {key!r}; known keys: {', '.join(known)}")
            setattr(s, key, _coerce(known[key].type, value, key))
        for key, f in known.items():
            env = os.environ.get(f"WOO_{key.upper()}")
            if env is not None:
                setattr(s, key, _coerce(f.type, env, f"WOO_{key.upper()}"))
        return s

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _coerce(type_name: Any, value: Any, where: str) -> Any:
    if type_name in (int, "int"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a whole number, not {value!r}") from None
    return str(value)


def check_no_secrets(settings: dict[str, str], where: str) -> None:
    """Refuse secrets written as settings: they belong in the environment."""
    for key in settings:
        k = key.lower()
        if any(w in k for w in SECRET_WORDS) and not k.endswith("_env"):
            raise ConfigError(
                f"{where}: '{key}' looks like a secret; secrets are never written to woo.toml. "
                f"Put it in an environment variable and pass --set {key}_env=VARIABLE_NAME instead.")


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing: is this a workspace? Run 'woo init' first.") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None

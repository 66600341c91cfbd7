"""Settings: one dataclass with defaults, overridden by ``woo.toml`` and ``WOO_*`` variables.

Secrets never live here: a source names the environment variable that holds its password
(``password_env``), and only that name is written to ``woo.toml``.
"""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from woo_collector.dates import DEFAULT_TIMEZONE
from woo_collector.errors import ConfigError

# Parts of a setting's name that say it holds a secret (English and Dutch). A part is a piece of the
# name between "_", "-", "." or a change of case: "wachtwoord" and "api_key" are secrets, "mailboxes",
# "username", "tenant_id", "client_id" and "authority" are not. Long words count anywhere in a part
# ("adminpassword"); short ones only as a whole part ("pw", "pass"). "auth" is not among them: it is
# exchange's login method (auth=ntlm); a credential given as its value is refused by SECRET_VALUE.
SECRET_WORDS = ("password", "passwd", "passphrase", "wachtwoord", "wachtzin", "secret", "geheim", "token",
                "apikey", "credential", "authorization", "authorisation", "bearer", "sleutel", "privatekey",
                "cookie")
SECRET_PARTS = ("pass", "pw", "pwd", "pin", "creds", "cred", "otp", "key", "keys", "authz")
ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Values that are credentials whatever their key: an HTTP Authorization value, a URL with a password.
SECRET_VALUE = re.compile(r"^\s*(bearer|basic|digest|negotiate|ntlm|token)\s+\S{4,}|://[^/@\s:]*:[^/@\s]+@", re.I)


ENGINES = ("whoosh", "tantivy")  # woo_collector.index.ENGINES


def _s(default: Any, help: str):
    return field(default=default, metadata={"help": help})


@dataclass
class Settings:
    organisation: str = _s("", "name of the public body (woo init asks for it); every letter, inventory and document "
                              "property carries it, so a package is not exported until it is set")
    timezone: str = _s(DEFAULT_TIMEZONE, "local time zone for command-line dates and chat exports")
    engine: str = _s("whoosh", "the search engine of the index: whoosh (default) or tantivy (for large archives); "
                               "switch with 'woo reindex --engine NAME'")
    batch_size: int = _s(2000, "items per catalog/index commit during ingestion")
    parse_procs: int = _s(0, "worker processes that parse mail files (maildir, eml), keep them in the store and analyse "
                             "them while this process writes the catalog and the index; 0: one per core, 1: all in the "
                             "ingesting process itself")
    index_procs: int = _s(1, "processes Whoosh may use to index (2 on a 2-core server speeds up large imports)")
    index_limitmb: int = _s(256, "memory (MB) per Whoosh indexing process")
    log_keep: int = _s(1000, "run log files kept in logs/ (older ones are removed)")
    part_max_docs: int = _s(250, "documents per docx bundle part in a disclosure package")
    chat_author_letters: bool = _s(True, "in a package's chats, tell redacted authors apart by a letter per person within "
                                         "the request (5.1.2e A, 5.1.2e B); false shows every one as 5.1.2e")
    competent_body: str = _s("het college van burgemeester en wethouders",
                             "the body that decides on a Woo request and hears an objection (the decision letter's 'bezwaar maken bij ...')")

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
        if s.engine not in ENGINES:
            raise ConfigError(f"the index engine {s.engine!r} is unknown (woo.toml [settings] engine or WOO_ENGINE); "
                              f"known engines: {', '.join(ENGINES)}")
        return s

    def to_dict(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _coerce(type_name: Any, value: Any, where: str) -> Any:
    if type_name in (bool, "bool"):
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("true", "1", "yes", "ja", "on"):
            return True
        if text in ("false", "0", "no", "nee", "off"):
            return False
        raise ConfigError(f"{where} must be true or false, not {value!r}")
    if type_name in (int, "int"):
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ConfigError(f"{where} must be a whole number, not {value!r}") from None
    return str(value)


def _name_parts(key: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", key)
    return [p for p in re.split(r"[^a-z0-9]+", spaced.lower()) if p]


def secret_key(key: str) -> bool:
    """Whether a setting's name says it holds a secret (``*_env`` names a variable, so it never does)."""
    parts = _name_parts(key)
    if parts and parts[-1] == "env":
        return False
    joined = "".join(parts)
    return (any(w in joined for w in SECRET_WORDS)
            or any(p in SECRET_PARTS or p.startswith("wachtwoord") for p in parts))


def secret_problems(settings: dict[str, Any]) -> list[str]:
    """What is wrong with secrets in these settings, never quoting a value (it may be the secret)."""
    problems = []
    for key, value in settings.items():
        text = str(value if value is not None else "")
        if _name_parts(key)[-1:] == ["env"]:
            if text.strip() and not ENV_NAME.fullmatch(text.strip()):
                problems.append(
                    f"{key} must be the name of an environment variable (letters, digits and _, e.g. WOO_IMAP_PASSWORD), "
                    f"not the secret itself; the value given is not a name and is not shown or written. "
                    f"Put the secret in an environment variable and pass --set {key}=VARIABLE_NAME")
        elif secret_key(key):
            problems.append(
                f"'{key}' looks like a secret; secrets are never written to woo.toml. "
                f"Put it in an environment variable and pass --set {_env_key(key)}=VARIABLE_NAME instead")
        elif SECRET_VALUE.search(text):
            problems.append(
                f"the value of '{key}' looks like a credential (a bearer or basic token, or a URL with a password); "
                "it is not shown or written. Put the secret in an environment variable and name it with "
                "a KEY_env=VARIABLE_NAME setting")
    return problems


def _env_key(key: str) -> str:
    return f"{key}_env" if ENV_NAME.fullmatch(key) else "KEY_env"


def check_no_secrets(settings: dict[str, str], where: str) -> None:
    """Refuse secrets written as settings (they belong in the environment), naming keys, never values."""
    problems = secret_problems(settings)
    if problems:
        raise ConfigError(f"{where}: " + "; ".join(problems))


def read_toml(path: Path) -> dict[str, Any]:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"{path} is missing: is this a workspace? Run 'woo init' first.") from None
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path} is not valid TOML: {e}") from None

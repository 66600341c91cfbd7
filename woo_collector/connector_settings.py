"""Connector settings: each connector declares its ``--set KEY=VALUE`` settings as a dataclass.

A declaration is a dataclass of ``ConnectorSettings`` whose fields are made with ``setting(default,
help)`` (like ``woo_collector.settings``): the field's type (``str``, ``int``, ``float``, ``bool``,
``tuple[str, ...]`` for comma-separated lists), its default, whether it is ``required`` and its
help text. The connector class names it in ``settings_class``. ``parse_settings`` turns the
strings of ``woo.toml`` or ``--set`` into that dataclass and refuses, with one ``ConfigError``
naming every wrong key with its help, what can never run: unknown keys, required keys left out,
values of the wrong type or outside the choices, and the declaration's own rules
(``problems()``, e.g. "tenant_id and client_id, or token_env"). It needs no server and no
environment: ``woo source add`` and ``run_source`` both call it. Secrets are never settings: a
``*_env`` key names the environment variable that holds one (``secret("password")`` reads it).

This module is core: it does not import the ``connectors`` package.
"""

from __future__ import annotations

import dataclasses
import os
import typing
from dataclasses import dataclass, field, fields
from typing import Any, Mapping, TypeVar

from woo_collector.errors import ConfigError
from woo_collector.settings import ENV_NAME, check_no_secrets

TRUE = ("1", "true", "yes", "ja", "on")
FALSE = ("0", "false", "no", "nee", "off")

T = TypeVar("T", bound="ConnectorSettings")


def setting(default: Any, help: str, *, required: bool = False, choices: tuple[str, ...] = (), split: str = ","):
    """A declared setting. An empty value counts as not given: the default, or missing when required.

    ``choices`` limits a ``str``; ``split`` are the separators of a ``tuple[str, ...]`` list.
    """
    return field(default=default, metadata={"help": help, "required": required, "choices": choices, "split": split})


@dataclass(frozen=True)
class ConnectorSettings:
    """Base of the declarations; with no fields of its own it is the declaration of "no settings"."""

    def problems(self) -> list[str]:
        """Rules across settings (one of two keys, a value allowed only with another); no environment."""
        return []

    def secret(self, key: str) -> str:
        """The secret named by the ``<key>_env`` setting, from the environment ("" when not set)."""
        var = getattr(self, f"{key}_env", "")
        return os.environ.get(var, "") if var and ENV_NAME.fullmatch(var) else ""  # parse_settings refuses a non-name

    @classmethod
    def help(cls) -> dict[str, str]:
        return {f.name: f.metadata.get("help", "") for f in fields(cls)}


def _usage(f: dataclasses.Field) -> str:
    help_text = f.metadata.get("help", "")
    return f"(--set {f.name}=...{f': {help_text}' if help_text else ''})"


def _coerce(kind: Any, f: dataclasses.Field, raw: str) -> tuple[Any, str]:
    """(value, "") or (None, what is wrong)."""
    value = raw.strip()
    if kind is bool:
        if value.lower() in TRUE:
            return True, ""
        if value.lower() in FALSE:
            return False, ""
        return None, f"{f.name}={raw!r} must be yes or no"
    if kind is int:
        try:
            return int(value), ""
        except ValueError:
            return None, f"{f.name}={raw!r} must be a whole number"
    if kind is float:
        try:
            return float(value), ""
        except ValueError:
            return None, f"{f.name}={raw!r} must be a number"
    if typing.get_origin(kind) is tuple:
        for sep in f.metadata.get("split", ",")[1:]:
            value = value.replace(sep, f.metadata["split"][0])
        return tuple(v.strip() for v in value.split(f.metadata.get("split", ",")[0]) if v.strip()), ""
    choices = f.metadata.get("choices", ())
    if choices and value.lower() not in choices:
        listed = ", ".join(choices[:-1]) + f" or {choices[-1]}" if len(choices) > 1 else choices[0]
        return None, f"{f.name}={raw!r}; choose {listed}"
    return (value.lower() if choices else value), ""


def parse_settings(cls: type[T], values: Mapping[str, str], source: str, type_: str = "") -> T:
    """The declaration ``cls`` filled from ``values``; ConfigError listing every problem and how to fix it."""
    where = f"source {source}"
    check_no_secrets(dict(values), where)
    declared = {f.name: f for f in fields(cls)}
    hints = typing.get_type_hints(cls)
    problems: list[str] = []
    unknown = sorted(k for k in values if k not in declared)
    if unknown:
        what = f"type {type_}" if type_ else "this source"
        known = ", ".join(declared) or "none"
        problems.append(f"unknown setting{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} for {what} (known: {known})")
    given: dict[str, Any] = {}
    for name, f in declared.items():
        raw = str(values.get(name, "") or "")
        if not raw.strip():
            if f.metadata.get("required"):
                problems.append(f"no {name} set {_usage(f)}")
            continue
        value, problem = _coerce(hints[name], f, raw)
        if problem:
            problems.append(f"{problem} {_usage(f)}")
        else:
            given[name] = value
    parsed = cls(**given)  # what is wrong above keeps its default, so the rules below still speak
    problems += parsed.problems()
    if not problems:
        return parsed
    raise ConfigError(f"{where}: " + "; ".join(problems))


@dataclass(frozen=True)
class DeviceClockSettings(ConnectorSettings):
    """The settings of a chat export whose times carry no zone (Signal, Telegram)."""

    timezone: str = setting("", "the time zone the phone's clock was set to (default Europe/Amsterdam), e.g. UTC")

"""Which detection layers run: the workspace's ``[redaction] layers`` setting.

    [redaction]
    layers = ["rules", "frog"]     # the default where Frog is installed; ["rules"] where it is not
    frog_processes = 1             # Frog processes a run may use (default: one a core, at most 2)

``WOO_REDACTION_LAYERS=rules,frog`` overrides ``woo.toml``. The rule layer always runs (patterns,
context, checksums, the policy, propagation); ``frog`` adds Frog's statistical Dutch NER
(``woo_collector.redaction.frog``). Where Frog is wanted but missing, or fails during a run, the
run goes on with the rule layer alone and says so in one line (``missing_note``, ``failed_note``).
"""

from __future__ import annotations

import os

from woo_collector.errors import ConfigError

from . import frog

LAYERS = ("rules", "frog")
ENV = "WOO_REDACTION_LAYERS"
# measured on a held-out Dutch news corpus with 1,098 annotated person names (issue 13)
RECALL = {"rules": 0.44, "frog": 0.82}


def configured(config: dict) -> tuple[list[str], bool]:
    """(the layers asked for, whether they were asked for explicitly) from ``woo.toml``'s
    ``[redaction] layers`` or ``WOO_REDACTION_LAYERS``; by default rules, and frog where installed."""
    env = os.environ.get(ENV)
    if env is not None:
        names, where = [p.strip() for p in env.split(",") if p.strip()], ENV
    else:
        value = (config.get("redaction") or {}).get("layers")
        if value is None:
            return (["rules", "frog"] if frog.frog_path() else ["rules"]), False
        if isinstance(value, str):
            value = [p.strip() for p in value.split(",") if p.strip()]
        names, where = [str(v) for v in value], "woo.toml [redaction] layers"
    unknown = [n for n in names if n not in LAYERS]
    if unknown:
        raise ConfigError(f"{where}: unknown layer {unknown[0]!r}; known layers: {', '.join(LAYERS)}")
    if "rules" not in names:
        raise ConfigError(f"{where}: the rule layer always runs; write e.g. layers = [\"rules\", \"frog\"]")
    return [n for n in LAYERS if n in names], True


def frog_processes(config: dict) -> int | None:
    """``[redaction] frog_processes``: how many Frog processes a run may use (each loads its own
    models: ~840 MB; one runs on one core). None: the default (one a core, at most two)."""
    value = (config.get("redaction") or {}).get("frog_processes")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ConfigError(f"woo.toml [redaction] frog_processes: {value!r} is no positive whole number; "
                          f"write e.g. frog_processes = 1")
    return value


def missing_note() -> str:
    return (f"warning: Frog is not installed, so names are found by the rule layer alone (person-name recall "
            f"{RECALL['rules']:.2f} instead of {RECALL['frog']:.2f} with Frog on held-out Dutch news); "
            f"install it with: {frog.INSTALL_HINT}")


def failed_note(error: str) -> str:
    return (f"warning: the Frog layer failed ({error}); these proposals come from the rule layer alone "
            f"(person-name recall {RECALL['rules']:.2f} instead of {RECALL['frog']:.2f}): collect again once "
            f"Frog runs ('woo doctor' checks it)")


def build(config: dict) -> tuple[list, list[str]]:
    """(the extra layer objects for the analyzer, one-line warnings) for a run."""
    names, _explicit = configured(config)
    if "frog" not in names:
        return [], ([] if _explicit else [missing_note()])
    if not frog.frog_path():
        return [], [missing_note()]
    return [frog.FrogLayer(workers=frog_processes(config))], []


def describe(config: dict) -> str:
    """What ``woo doctor`` says about the layers (without starting Frog)."""
    try:
        names, explicit = configured(config)
        frog_processes(config)
    except ConfigError as e:
        return f"misconfigured: {e}"
    exe = frog.frog_path()
    if "frog" in names:
        return f"rules, frog (Frog {frog.frog_version()} at {exe})" if exe else "rules only: " + missing_note()
    if explicit:
        return "rules (frog not asked for in [redaction] layers)"
    return "rules only: " + missing_note()

"""The ``--help`` of ``start`` and ``start-dev``, derived from the registry."""

from __future__ import annotations

import textwrap
from collections.abc import Mapping

from ostium.config.parsing import DEFAULT_CONFIG_FILE
from ostium.config.registry import ENV_PREFIX, MODE_DEFAULTS, OPTIONS, Mode, Option

__all__ = ["help_text"]

_MODE_SUMMARY: Mapping[Mode, str] = {
    "dev": (
        "Starts Ostium in development mode: SQLite under data/, local caches, plain HTTP on"
        " port 8080, no hostname needed. Not for production."
    ),
    "prod": (
        "Starts Ostium in production mode. It refuses to start without --hostname, and without"
        " HTTPS unless --http-enabled=true says a proxy in front terminates TLS. Keycloak's"
        " --optimized is accepted: Ostium has no build step, so every start is optimized."
    ),
}


def _metavar(option: Option) -> str:
    if option.kind == "choice":
        return f"<{'|'.join(option.choices)}>"
    if option.kind == "bool":
        return "<true|false>"
    return {"int": "<number>", "path": "<path>", "list": "<value,...>"}.get(option.kind, "<value>")


def _default_text(option: Option, mode: Mode) -> str | None:
    if option.default_label is not None:
        return option.default_label
    mode_defaults = MODE_DEFAULTS[mode]
    value = mode_defaults.get(option.name, option.default())
    if value is None or value == []:
        return None
    text = option.format(value, reveal=True)
    return f"{text} (in development mode)" if option.name in mode_defaults else text


def help_text(mode: Mode) -> str:
    """The ``--help`` of ``start``/``start-dev``: every option, grouped as in the docs."""
    command = "start-dev" if mode == "dev" else "start"
    lines = [
        f"Usage: ostium {command} [OPTIONS]",
        "",
        *textwrap.wrap(_MODE_SUMMARY[mode], width=88),
        "",
        *textwrap.wrap(
            "Each option is read from the command line (--name=value or --name value), else"
            f" from the environment ({ENV_PREFIX}NAME), else from the conf file"
            f" ({DEFAULT_CONFIG_FILE}: name=value), else from its default.",
            width=88,
        ),
    ]
    categories: dict[str, list[Option]] = {}
    for option in OPTIONS:
        categories.setdefault(option.category, []).append(option)
    for category, options in categories.items():
        lines += ["", f"{category}:"]
        for option in options:
            lines += ["", f"  {option.flag} {_metavar(option)}"]
            lines += textwrap.wrap(
                option.description, width=88, initial_indent="      ", subsequent_indent="      "
            )
            facts = []
            default = _default_text(option, mode)
            if default is not None:
                facts.append(f"Default: {default}.")
            # A no-break space keeps "Env:" with its name when the line wraps.
            facts.append(f"Env:\u00a0{option.env_var}.")
            if not option.in_conf_file:
                facts.append("Not read from the conf file.")
            wrapped = textwrap.wrap(
                " ".join(facts), width=88, initial_indent="      ", subsequent_indent="      "
            )
            lines += [line.replace("\u00a0", " ") for line in wrapped]
    return "\n".join(lines) + "\n"

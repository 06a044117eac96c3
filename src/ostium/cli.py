"""The ``ostium`` command: Keycloak's sub-commands (``start-dev``, ``start``, ``show-config``).

Only the standard library and `ostium.config` are imported here; the web stack is imported by
the handler that serves, so that ``--help`` and ``show-config`` answer at once.
"""

from __future__ import annotations

import difflib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from ostium import __version__
from ostium.config import (
    OPTIONS,
    Config,
    ConfigError,
    Mode,
    check_production,
    database_url,
    display_value,
    help_text,
    load_config,
    option_named,
)

__all__ = ["COMMANDS", "Command", "main", "usage"]

HELP_FLAGS = ("-h", "--help")
OPTIMIZED = "--optimized"


@dataclass(frozen=True)
class Command:
    """A sub-command: what ``ostium --help`` says about it and the handler given its arguments."""

    summary: str
    run: Callable[[Sequence[str]], int]


def _wants_help(args: Sequence[str]) -> bool:
    return any(arg in HELP_FLAGS for arg in args)


def _start(args: Sequence[str], mode: Mode) -> int:
    if _wants_help(args):
        print(help_text(mode), end="")
        return 0
    if mode == "prod" and OPTIMIZED in args:
        # Keycloak's `start --optimized` skips its build step; Ostium has none, so every start
        # is an optimized one. A command flag, as in Keycloak, not a configuration option.
        args = [arg for arg in args if arg != OPTIMIZED]
    config = load_config(args, os.environ, mode)
    if mode == "prod":
        check_production(config)
    # Resolving the URL now turns a bad database setting into a one-line error, before the
    # server starts and would report it as a failure deep inside start-up.
    database_url(config)
    from ostium.server import serve  # the web stack, only when serving

    return serve(config, mode)


def _start_dev(args: Sequence[str]) -> int:
    return _start(args, "dev")


def _start_prod(args: Sequence[str]) -> int:
    return _start(args, "prod")


def _show_config(args: Sequence[str]) -> int:
    if _wants_help(args):
        print(
            "Usage: ostium show-config [OPTIONS]\n\n"
            "Shows the configuration 'ostium start' would run with, given the same options,\n"
            "environment and conf file: each option's value and where it came from.\n"
            "Secrets are masked. See 'ostium start --help' for the options."
        )
        return 0
    config = load_config(args, os.environ, "prod")
    # Capped so that one very long Keycloak name does not push every value off the screen.
    width = min(max(len(option.name) for option in OPTIONS), 26)
    lines = [
        "Current Mode: production (ostium start)",
        f"Database URL: {_redacted_database_url(config)}",
        "Current Configuration:",
    ]
    for option in OPTIONS:
        value = display_value(config, option.name)
        lines.append(f"  {option.name:<{width}} = {value}  ({config.source_of(option.name)})")
    print("\n".join(lines))
    return 0


def _redacted_database_url(config: Config) -> str:
    return option_named("db-url").format(database_url(config))


# Keycloak's `export` and `import` (realm files) are registered here when they exist.
def _export(args: Sequence[str]) -> int:
    from ostium.transfer import export_command  # lazily: keeps --help free of the stack

    return export_command(args)


def _import(args: Sequence[str]) -> int:
    from ostium.transfer import import_command

    return import_command(args)


def _keys(args: Sequence[str]) -> int:
    from ostium.key_commands import keys_command  # lazily, like export

    return keys_command(args)


def _token(args: Sequence[str]) -> int:
    from ostium.tools import token_command  # lazily, like export

    return token_command(args)


def _clients(args: Sequence[str]) -> int:
    from ostium.tools import clients_command

    return clients_command(args)


def _config(args: Sequence[str]) -> int:
    # Lazily, like export: `ostium --help` need not load the config generators.
    from ostium.loadbalancer import USAGE, LoadBalancerConfigError, config_from_arguments

    if _wants_help(args):
        print(USAGE, end="")
        return 0
    try:
        text = config_from_arguments(args)
    except LoadBalancerConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    print(text, end="")
    return 0


COMMANDS: Mapping[str, Command] = {
    "start-dev": Command("Start in development mode: no set-up, not for production.", _start_dev),
    "start": Command("Start in production mode.", _start_prod),
    "show-config": Command(
        "Show the resolved configuration and where each value comes from.", _show_config
    ),
    "export": Command(
        "Export realms to Keycloak's JSON files: --realm R (--file F | --dir D) "
        "[--users realm_file|different_files|same_file|skip] [--users-per-file 50] "
        "[--include-keys]. Reads a snapshot, also beside a running server.",
        _export,
    ),
    "import": Command(
        "Import Keycloak realm files: (--file F | --dir D) [--override true|false]. Refused"
        " while a server runs on the same SQLite data directory.",
        _import,
    ),
    "keys": Command(
        "Rotate a realm's keys, offline: rotate --realm R [--algorithm RS256] "
        "[--grace-period 86400] (old keys stay passive for the grace period).",
        _keys,
    ),
    "token": Command(
        "Inspect a token offline against the database: inspect TOKEN [--realm R]; exits 0 if"
        " valid.",
        _token,
    ),
    "clients": Command(
        "Client tools on the database: regenerate-secret --realm R --client C [--grace-period S].",
        _clients,
    ),
    "config": Command(
        "Print a load-balancer configuration routing on AUTH_SESSION_ID: haproxy|nginx "
        "--node NAME=HOST:PORT[/MGMT_PORT] [--node ...] [--listen HOST:PORT].",
        _config,
    ),
}


def usage() -> str:
    """The top-level help, listing the sub-commands from `COMMANDS`."""
    width = max(len(name) for name in COMMANDS)
    commands = "\n".join(
        f"  {name:<{width}}  {command.summary}" for name, command in COMMANDS.items()
    )
    return (
        "Usage: ostium <command> [OPTIONS]\n\n"
        "Ostium, a Keycloak-compatible identity and access management server.\n\n"
        f"Commands:\n{commands}\n\n"
        "Options:\n"
        "  -h, --help   Show this help; 'ostium <command> --help' shows a command's options.\n"
        "  --version    Show the version.\n"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status (2 for a usage or configuration error)."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args:
        print(usage(), end="", file=sys.stderr)
        return 2
    name, rest = args[0], args[1:]
    if name in HELP_FLAGS:
        print(usage(), end="")
        return 0
    if name == "--version":
        print(f"Ostium {__version__}")
        return 0
    command = COMMANDS.get(name)
    if command is None:
        close = difflib.get_close_matches(name, list(COMMANDS), n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        print(f"ERROR: Unknown command: {name!r}{hint}\n", file=sys.stderr)
        print(usage(), end="", file=sys.stderr)
        return 2
    try:
        return command.run(rest)
    except ConfigError as exc:
        # The message names the option; a traceback would only bury it.
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2

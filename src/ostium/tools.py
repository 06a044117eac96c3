"""Command-line tools that act on the database without a server:
`ostium token inspect` and `ostium clients regenerate-secret`.

They find the database exactly as `start`, `export` and `import` do: the same `--db`,
`--db-url`, `--db-username`, `--db-password`, `--data-dir` options, environment and conf
file (`transfer.split_options` and `transfer.offline_database`). Exit status: 0 done (a
valid token), 1 the answer is no (an invalid token, an unknown realm or client, or a
server holding the data directory), 2 a usage or configuration error.

`token inspect` only reads, and runs beside a live server. A running server keeps its
cached copy of a client until it restarts, so `regenerate-secret` refuses beside a server
on the same SQLite data directory (the admin API's regenerate reaches every node at once);
on PostgreSQL, where it cannot know about the nodes, restart them afterwards.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Coroutine, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, unquote

from ostium.clock import Clock, SystemClock
from ostium.config import ConfigError
from ostium.domain import Realm, RealmKey
from ostium.domain.client_secret import rotated_secret_expires
from ostium.keys.rotation import as_of
from ostium.protocol.tokens import (
    ACCESS,
    ID,
    OFFLINE,
    REFRESH,
    TokenProblem,
    check_token,
    peek,
    shown,
    when,
)
from ostium.services.clients import regenerate_secret
from ostium.storage.sql.lock import DataDirectoryInUseError
from ostium.transfer import OFFLINE_ERRORS, offline_database, refused, split_options

__all__ = ["CLIENTS_USAGE", "TOKEN_USAGE", "OfflineRealm", "clients_command", "token_command"]

HELP_FLAGS = ("-h", "--help")
DATABASE_OPTIONS = (
    "Database options, as for 'ostium start': --db, --db-url, --db-username, --db-password,\n"
    "--data-dir (and their OSTIUM_* variables and conf/ostium.conf lines).\n"
)
TOKEN_USAGE = (
    "Usage: ostium token inspect TOKEN [--realm R] [--audience A] [DATABASE OPTIONS]\n\n"
    "Prints the token's JOSE header and claims, then the verdict, checked offline against\n"
    "the database: keys, realm, issuer, lifetime, revocation, user, client and session.\n"
    "The last line is 'valid' or 'invalid: <reason>: <description>'. TOKEN '-' reads it\n"
    "from standard input (so it stays out of the process list).\n\n"
    "  --realm R      The realm to check against; by default the one in the token's 'iss'.\n"
    "  --audience A   Also require A in the token's 'aud'.\n\n"
    "Offline there is no request to compare the issuer's scheme and host with: the token's\n"
    "own 'iss' is accepted when it ends with /realms/<realm>, and the output says so.\n\n"
    + DATABASE_OPTIONS
    + "\nIt only reads the database, and may run beside a live server.\n"
    "Exit status: 0 valid, 1 invalid or unreadable, 2 usage error.\n"
)
CLIENTS_USAGE = (
    "Usage: ostium clients regenerate-secret --realm R --client CLIENT_ID\n"
    "                                        [--grace-period SECONDS] [DATABASE OPTIONS]\n\n"
    "Gives the client a new secret and prints it alone on the last line.\n\n"
    "  --grace-period SECONDS  Keep accepting the previous secret for that long (Keycloak's\n"
    "                          client secret rotation); 0 ends it at once. Default: the\n"
    "                          client's 'client.secret.rotated.expiration.period' attribute,\n"
    "                          or 0.\n\n"
    + DATABASE_OPTIONS
    + "\nA running server keeps its cached copy of the client, so this refuses while one runs\n"
    "on the same SQLite data directory (use the admin API's regenerate instead); on\n"
    "PostgreSQL, restart the nodes afterwards.\n"
    "Exit status: 0 done, 1 unknown realm or client, or a server running, 2 usage error.\n"
)
# What `token inspect` accepts: every token a client holds (as introspection does).
INSPECTABLE = frozenset({ACCESS, ID, REFRESH, OFFLINE})


class _Refused(Exception):
    """The database says no (unknown realm or client): the message, then exit status 1."""


def _options(args: Sequence[str], names: set[str]) -> tuple[dict[str, str], list[str]]:
    """`transfer.split_options`, refusing an option as another one's value
    (`--realm --data-dir=…` is a forgotten value, not a realm named `--data-dir=…`)."""
    own, rest = split_options(args, names)
    for name, value in own.items():
        if value.startswith("--"):
            raise ConfigError(f"Option '--{name}' needs a value")
    return own, rest


def _run(coro: Coroutine[Any, Any, int]) -> int:
    try:
        return asyncio.run(coro)
    except _Refused as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 1
    except OFFLINE_ERRORS as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


def _subcommand(args: Sequence[str], name: str, usage: str) -> list[str] | int:
    """The arguments after `name`, or the exit status when there is nothing to run."""
    if not args or args[0] in HELP_FLAGS:
        print(usage, end="", file=sys.stdout if args else sys.stderr)
        return 0 if args else 2
    if args[0] != name:
        print(f"ERROR: Unknown sub-command: {args[0]!r}; expected '{name}'\n", file=sys.stderr)
        print(usage, end="", file=sys.stderr)
        return 2
    if any(arg in HELP_FLAGS for arg in args[1:]):
        print(usage, end="")
        return 0
    return list(args[1:])


# --- token inspect ------------------------------------------------------------------------


@dataclass(frozen=True)
class OfflineRealm:
    """A `TokenContext` without a request: the realm and its keys from the database."""

    realm: Realm
    issuer: str
    keys: Sequence[RealmKey]
    clock: Clock


def token_command(args: Sequence[str]) -> int:
    """`ostium token inspect TOKEN …`: TOKEN comes first, so that no option's value can be
    taken for it."""
    rest = _subcommand(args, "inspect", TOKEN_USAGE)
    if isinstance(rest, int):
        return rest
    if not rest or (rest[0].startswith("-") and rest[0] != "-"):
        print("ERROR: Missing TOKEN: ostium token inspect TOKEN [options]", file=sys.stderr)
        return 2
    try:
        own, database = _options(rest[1:], {"realm", "audience"})
    except ConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    token = (sys.stdin.read() if rest[0] == "-" else rest[0]).strip()
    return _run(_inspect(token, own, database))


def _realm_named_by(iss: object) -> str | None:
    if not isinstance(iss, str) or "/realms/" not in iss:
        return None
    name = unquote(iss.rsplit("/realms/", 1)[1]).rstrip("/")
    return name or None


def _issuer_for(realm: Realm, iss: object) -> tuple[str, str]:
    """Offline there is no request whose host the issuer must match: the token's own `iss`
    is accepted when it names this realm, and the output says so."""
    suffixes = (f"/realms/{realm.name}", f"/realms/{quote(realm.name, safe='')}")
    if isinstance(iss, str) and iss.endswith(suffixes):
        return iss, (
            f"Issuer: '{shown(iss, 200)}' accepted offline because it ends with {suffixes[0]}"
            " (there is no request to compare its scheme and host with)"
        )
    expected = f"<this server>/realms/{realm.name}"
    return expected, f"Issuer: expected '{expected}' (any scheme and host, offline)"


async def _inspect(token: str, own: dict[str, str], database: list[str]) -> int:
    peeked = peek(token)
    if peeked is None:
        print("invalid: malformed: the token is not three base64url-encoded JSON parts")
        return 1
    header, claims = peeked
    print("Header:")
    print(json.dumps(header, indent=2, ensure_ascii=False))
    print("Claims:")
    print(json.dumps(claims, indent=2, ensure_ascii=False))
    clock = SystemClock()
    times = [
        f"{claim} {when(value)}"
        for claim in ("iat", "nbf", "exp")
        if isinstance(value := claims.get(claim), int)
    ]
    if times:
        print(f"Times: {', '.join(times)} (now {when(clock.now())})")
    name = own.get("realm") or _realm_named_by(claims.get("iss"))
    if name is None:
        print("invalid: wrong_issuer: the token's 'iss' names no realm; give --realm")
        return 1
    async with offline_database(database, writes=False) as storage, storage.transaction() as repos:
        realm = await repos.realms.get_by_name(name)
        if realm is None:
            if "realm" in own:
                raise _Refused(f"Realm '{name}' does not exist (check the database options)")
            print(
                f"invalid: wrong_issuer: realm '{shown(name)}' named by the token's 'iss'"
                " does not exist in this database (check the database options)"
            )
            return 1
        issuer, note = _issuer_for(realm, claims.get("iss"))
        print(note)
        keys = as_of(await repos.keys.list_all(realm.id), clock.now())  # grace periods over
        context = OfflineRealm(realm, issuer, keys, clock)
        try:
            await check_token(
                context, repos, token, types=INSPECTABLE, audience=own.get("audience")
            )
        except TokenProblem as problem:
            print(f"invalid: {problem.reason}: {problem.description}")
            return 1
    print("valid")
    return 0


# --- clients regenerate-secret ------------------------------------------------------------


def clients_command(args: Sequence[str]) -> int:
    """`ostium clients regenerate-secret --realm R --client C [--grace-period S]`."""
    rest = _subcommand(args, "regenerate-secret", CLIENTS_USAGE)
    if isinstance(rest, int):
        return rest
    try:
        own, database = _options(rest, {"realm", "client", "grace-period"})
        for required in ("realm", "client"):
            if not own.get(required):
                raise ConfigError(f"Missing option '--{required}'")
        grace = _grace_period(own.get("grace-period"))
    except ConfigError as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    try:
        return _run(_regenerate(own["realm"], own["client"], grace, database))
    except DataDirectoryInUseError as exc:
        return refused(
            exc,
            f"use its admin API: POST /admin/realms/{own['realm']}/clients/<id>/client-secret",
        )


def _grace_period(raw: str | None) -> int | None:
    if raw is None:
        return None
    if not raw.strip().isdigit():
        raise ConfigError(
            f"Invalid value for option '--grace-period': {raw!r}; expected whole seconds, 0 or more"
        )
    return int(raw.strip())


async def _regenerate(
    realm_name: str, client_id: str, grace: int | None, database: list[str]
) -> int:
    now = SystemClock().now()
    async with offline_database(database, writes=True) as storage, storage.transaction() as repos:
        realm = await repos.realms.get_by_name(realm_name)
        if realm is None:
            raise _Refused(f"Realm '{realm_name}' does not exist")
        client = await repos.clients.get_by_client_id(realm.id, client_id)
        if client is None:
            raise _Refused(f"Client '{client_id}' does not exist in realm '{realm_name}'")
        if client.public_client:
            raise _Refused(f"Client '{client_id}' is a public client: it has no secret")
        secret = await regenerate_secret(repos, client, now=now, grace_period=grace)
    print(f"Client '{client_id}' of realm '{realm_name}' has a new secret.")
    expires = rotated_secret_expires(client)
    if expires is not None:
        print(f"The previous secret is still accepted until {when(expires)} ({expires - now} s).")
    else:
        print("The previous secret no longer works.")
    print(secret)
    return 0

"""`ostium keys rotate`: key rotation on the database, no server needed.

Keycloak has no command for this (its admin creates a new provider by hand); Ostium's does
what `POST /admin/realms/{realm}/keys/rotate` does, on the database named by the options of
`ostium start`, so an operator can rotate before a server starts or from a maintenance job.
A running node reads keys through its `keys` cache, so beside a server on the same SQLite
data directory this refuses, naming the server's PID: the admin API rotates there. On
PostgreSQL a node takes a rotation done here at its next start or when that cache entry
expires; on a running cluster prefer the admin API, whose invalidation reaches every node
at once.
"""

from __future__ import annotations

import asyncio
import datetime
import sys
from collections.abc import Sequence

from ostium.clock import SystemClock
from ostium.config import ConfigError
from ostium.keys.providers import KeyProviderError
from ostium.keys.rotation import Rotation
from ostium.services.keys import DEFAULT_GRACE_PERIOD, rotate_keys
from ostium.storage.sql.lock import DataDirectoryInUseError
from ostium.transfer import OFFLINE_ERRORS, offline_database, refused, split_options

__all__ = ["USAGE", "keys_command"]

USAGE = f"""Usage: ostium keys rotate --realm REALM [--algorithm ALG] [--grace-period SECONDS]
                          [--db ... --db-url ... --data-dir ...]

Rotates a realm's keys: a new key provider of the same kind with a higher priority becomes
the active key of ALG (default: the realm's default signature algorithm, RS256); the keys
it replaces become passive (still in the JWKS, tokens they signed still verify) for the
grace period (default {DEFAULT_GRACE_PERIOD} seconds, one day), then disabled. Prints the
new kid on the last line.

The database is the one 'ostium start' uses with the same --db, --db-url, --db-username,
--db-password and --data-dir options (and environment, and conf file). While a server
runs on the same SQLite data directory this refuses (exit status 1): rotate through its
admin API, POST /admin/realms/REALM/keys/rotate. On PostgreSQL a running node picks the
new key up at its next start, or within the lifetime of its keys cache; on a running
cluster, the admin API reaches every node at once.
"""

_OWN = {"realm", "algorithm", "grace-period"}


def keys_command(args: Sequence[str]) -> int:
    items = list(args)
    if not items or items[0] in ("-h", "--help") or any(a in ("-h", "--help") for a in items):
        print(USAGE, end="", file=sys.stdout if items else sys.stderr)
        return 0 if items else 2
    if items[0] != "rotate":
        print(f"ERROR: Unknown keys command: {items[0]!r} (expected 'rotate')", file=sys.stderr)
        return 2
    try:
        own, rest = split_options(items[1:], _OWN)
        if not own.get("realm"):
            raise ConfigError("Missing option '--realm'")
        grace = _grace_period(own.get("grace-period"))
        rotation = asyncio.run(_rotate(own, rest, grace))
    except DataDirectoryInUseError as exc:
        return refused(exc, f"use its admin API: POST /admin/realms/{own['realm']}/keys/rotate")
    except (*OFFLINE_ERRORS, KeyProviderError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    key = rotation.new
    if rotation.retired:
        until = datetime.datetime.fromtimestamp(key.created + grace, datetime.UTC)
        print(
            f"Rotated {key.algorithm} in realm '{own['realm']}': "
            f"{len(rotation.retired)} previous key(s) passive until "
            f"{until:%Y-%m-%dT%H:%M:%SZ}, then disabled."
        )
    else:
        print(f"Rotated {key.algorithm} in realm '{own['realm']}': no previous active key.")
    print(key.kid)
    return 0


def _grace_period(value: str | None) -> int:
    if value is None:
        return DEFAULT_GRACE_PERIOD
    try:
        seconds = int(value)
    except ValueError:
        seconds = -1
    if seconds < 0:
        raise ConfigError(
            f"Invalid value for option '--grace-period': {value!r}; expected seconds, at least 0"
        )
    return seconds


async def _rotate(own: dict[str, str], rest: list[str], grace: int) -> Rotation:
    async with offline_database(rest, writes=True) as storage, storage.transaction() as repos:
        realm = await repos.realms.get_by_name(own["realm"])
        if realm is None:
            raise ConfigError(f"Realm '{own['realm']}' does not exist")
        return await rotate_keys(
            repos,
            realm,
            now=SystemClock().now(),
            algorithm=own.get("algorithm"),
            grace_period=grace,
        )

"""`ostium export` and `ostium import`, in Keycloak's file layout and options.

Export writes `<realm>-realm.json` (and `<realm>-users-<n>.json` with
`--users different_files`); import reads the same, one transaction per realm, so a bad
file changes nothing.

Beside a server running on the same SQLite data directory, export reads one consistent
snapshot (SQLite's WAL lets a reader and the server's writer go on together); import
refuses, naming the server's PID, since the server would serve stale copies of what it
replaced from its caches: stop it first, or import through its admin API.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import sys
from collections.abc import AsyncIterator, Collection, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from ostium.admin.export import export_realm, export_users
from ostium.clock import SystemClock
from ostium.config import ConfigError, database_url, load_config
from ostium.json_input import JsonInputError, loads
from ostium.services import password_blacklists
from ostium.services.realm_import import RealmImportError, parse_realm
from ostium.services.realm_setup import write_bundle
from ostium.storage.interfaces import Storage
from ostium.storage.sql import DatabaseNewerThanCodeError, DatabaseUnavailableError, open_storage
from ostium.storage.sql.lock import DataDirectoryInUseError, acquire, sqlite_directory

__all__ = [
    "EXPORT_USAGE",
    "IMPORT_USAGE",
    "OFFLINE_ERRORS",
    "export_command",
    "import_command",
    "offline_database",
    "refused",
    "split_options",
]

# What an offline command reports as one line and exit status 2: the text says what to fix.
OFFLINE_ERRORS = (
    ConfigError,
    DatabaseUnavailableError,
    DatabaseNewerThanCodeError,
    OSError,
    ValueError,
)

USER_MODES = ("realm_file", "different_files", "same_file", "skip")
HELP_FLAGS = ("-h", "--help")
_DATABASE = (
    "The database is the one 'ostium start' uses with the same --db, --db-url,\n"
    "--db-username, --db-password and --data-dir options (and environment, and conf file).\n"
)
EXPORT_USAGE = (
    "Usage: ostium export [--realm R] (--file F | --dir D)\n"
    "                     [--users realm_file|different_files|same_file|skip]\n"
    "                     [--users-per-file 50] [--include-keys] [DATABASE OPTIONS]\n\n"
    "Writes realms as Keycloak's export files. It only reads the database, as one\n"
    "consistent snapshot, and may run beside a live server.\n\n"
    + _DATABASE
    + "\nExit status: 0 done, 2 an error.\n"
)
IMPORT_USAGE = (
    "Usage: ostium import (--file F | --dir D) [--override true|false] [DATABASE OPTIONS]\n\n"
    "Imports Keycloak realm files, one transaction per realm. A server keeps cached copies\n"
    "of what an import replaces, so this refuses while one runs on the same SQLite data\n"
    "directory (import through its admin API instead); on PostgreSQL, restart the nodes\n"
    "afterwards.\n\n" + _DATABASE + "\nExit status: 0 done, 1 a server is running, 2 an error.\n"
)
_OWN = {"realm", "file", "dir", "users", "users-per-file", "override"}
_FLAGS = {"include-keys"}


def split_options(
    args: Sequence[str], own_names: Collection[str], flags: Collection[str] = ()
) -> tuple[dict[str, str], list[str]]:
    """A command's own options, and the rest (`--db`, `--data-dir`, …) for the
    configuration registry, which reads them as `ostium start` does. A flag stands alone
    (`--include-keys`) or takes `=true`/`=false`."""
    own: dict[str, str] = {}
    rest: list[str] = []
    items = list(args)
    while items:
        arg = items.pop(0)
        name, eq, value = arg[2:].partition("=") if arg.startswith("--") else ("", "", "")
        if name in flags:
            value = value.lower() if eq else "true"
            if value not in ("true", "false"):
                raise ConfigError(f"Invalid value for option '--{name}': expected true or false")
            own[name] = value
        elif name in own_names:
            if not eq:
                if not items:
                    raise ConfigError(f"Option '--{name}' needs a value")
                value = items.pop(0)
            own[name] = value
        else:
            rest.append(arg)
    return own, rest


def _split(args: Sequence[str]) -> tuple[dict[str, str], list[str]]:
    return split_options(args, _OWN, _FLAGS)


@asynccontextmanager
async def offline_database(rest: Sequence[str], *, writes: bool) -> AsyncIterator[Storage]:
    """The database `ostium start` would use given the same options, environment and conf
    file (migrated to the current schema): the offline commands act on it.

    A command that `writes` holds the SQLite data directory's lock while it runs, so it
    refuses beside a live server (`DataDirectoryInUseError`) and no server starts under
    it. A reader takes no lock: its one transaction reads a WAL snapshot, and the busy
    timeout covers the moments the server checkpoints."""
    config = load_config(list(rest), os.environ, "prod")
    url = database_url(config)
    directory = sqlite_directory(url) if writes else None
    lock = acquire(directory) if directory is not None else None
    try:
        storage = await open_storage(url)
        try:
            yield storage
        finally:
            await storage.close()
    finally:
        if lock is not None:
            lock.release()


def refused(exc: DataDirectoryInUseError, instead: str) -> int:
    """A writing command beside a live server: one line naming its PID and what to do
    instead; exit status 1, as for a refusal."""
    print(f"ERROR: {exc}: stop that server first, or {instead}", file=sys.stderr)
    return 1


def _run(coro: Any) -> int:
    try:
        return int(asyncio.run(coro))
    except DataDirectoryInUseError as exc:
        return refused(exc, "import through its admin API (POST /admin/realms, or partialImport)")
    except (*OFFLINE_ERRORS, RealmImportError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2


def export_command(args: Sequence[str]) -> int:
    """Reads in one async step, writes files in a plain one: the event loop never does
    blocking file I/O."""
    if any(arg in HELP_FLAGS for arg in args):
        print(EXPORT_USAGE, end="")
        return 0
    try:
        own, rest = _split(args)
        documents = asyncio.run(_collect(own, rest))
        _write(own, documents)
    except (*OFFLINE_ERRORS, RealmImportError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    return 0


def import_command(args: Sequence[str]) -> int:
    if any(arg in HELP_FLAGS for arg in args):
        print(IMPORT_USAGE, end="")
        return 0
    try:
        own, rest = _split(args)
        documents = _documents(own)  # read and parsed before anything is written
    except (ConfigError, RealmImportError, OSError) as exc:
        print(f"ERROR: {exc}", file=sys.stderr)
        return 2
    return _run(_import(own, rest, documents))


Exported = list[tuple[str, dict[str, Any], list[dict[str, Any]]]]


async def _collect(own: dict[str, str], rest: list[str]) -> Exported:
    users_mode = own.get("users", "realm_file" if "file" in own else "different_files")
    if users_mode not in USER_MODES:
        raise ConfigError(
            f"Invalid value for option '--users': '{users_mode}'; expected one of: {', '.join(USER_MODES)}"
        )
    if ("file" in own) == ("dir" in own):
        raise ConfigError("Give exactly one of --file or --dir")
    async with offline_database(rest, writes=False) as storage, storage.transaction() as repos:
        realms = await repos.realms.list_all()
        if "realm" in own:
            realms = [r for r in realms if r.name == own["realm"]]
            if not realms:
                raise ConfigError(f"Realm '{own['realm']}' does not exist")
        documents: Exported = []
        for realm in realms:
            inline = users_mode in ("realm_file", "same_file")
            document = await export_realm(
                repos,
                realm,
                include_users=inline,
                include_keys=own.get("include-keys") == "true",
            )
            users = await export_users(repos, realm) if users_mode == "different_files" else []
            documents.append((realm.name, document, users))
    return documents


def _write(own: dict[str, str], documents: Exported) -> None:
    per_file = int(own.get("users-per-file", "50"))
    if per_file < 1:
        raise ConfigError("Invalid value for option '--users-per-file': must be at least 1")
    if "file" in own:
        target = Path(own["file"])
        if len(documents) != 1:
            # Keycloak writes an array of realms into one file when exporting them all.
            target.write_text(json.dumps([d for _, d, _ in documents], indent=2))
        else:
            target.write_text(json.dumps(documents[0][1], indent=2))
        print(f"Exported {len(documents)} realm(s) to {target}")
        return
    directory = Path(own["dir"])
    directory.mkdir(parents=True, exist_ok=True)
    for name, document, users in documents:
        (directory / f"{name}-realm.json").write_text(json.dumps(document, indent=2))
        for index in range(0, len(users), per_file):
            chunk = {"realm": name, "users": users[index : index + per_file]}
            (directory / f"{name}-users-{index // per_file}.json").write_text(
                json.dumps(chunk, indent=2)
            )
    print(f"Exported {len(documents)} realm(s) to {directory}")


_USERS_FILE = re.compile(r"^(?P<realm>.+)-users-\d+\.json$")


def _documents(own: dict[str, str]) -> list[tuple[str, Any]]:
    if ("file" in own) == ("dir" in own):
        raise ConfigError("Give exactly one of --file or --dir")
    if "file" in own:
        path = Path(own["file"])
        data = _load(path)
        return [(path.name, d) for d in (data if isinstance(data, list) else [data])]
    directory = Path(own["dir"])
    if not directory.is_dir():
        raise ConfigError(f"Directory '{directory}' does not exist")
    documents: list[tuple[str, Any]] = []
    for path in sorted(directory.glob("*-realm.json")):
        data = _load(path)
        realm = path.name.removesuffix("-realm.json")
        for users_file in sorted(directory.glob(f"{realm}-users-*.json")):
            if _USERS_FILE.match(users_file.name) and isinstance(data, dict):
                extra = _load(users_file)
                if isinstance(extra, dict) and isinstance(extra.get("users"), list):
                    data.setdefault("users", []).extend(extra["users"])
        documents.append((path.name, data))
    return documents


def _load(path: Path) -> Any:
    try:
        return loads(path.read_bytes())
    except JsonInputError as exc:
        raise RealmImportError(f"{path.name}: not valid JSON ({exc})") from None


async def _import(own: dict[str, str], rest: list[str], documents: list[tuple[str, Any]]) -> int:
    override = own.get("override", "true").lower()
    if override not in ("true", "false"):
        raise ConfigError("Invalid value for option '--override': expected true or false")
    now = SystemClock().now()
    # The policy's passwordBlacklist files are read from the server's data directory.
    config = load_config(list(rest), os.environ, "prod")
    password_blacklists.configure_folder(
        password_blacklists.folder_of(
            Path(config.data_dir), config.spi_password_policy_password_blacklist_blacklists_path
        )
    )
    bundles = []
    for name, data in documents:
        try:
            bundles.append(parse_realm(data, now=now, env=os.environ, source=name))
        except RealmImportError as exc:
            raise RealmImportError(f"{name}: {exc}") from None
    async with offline_database(rest, writes=True) as storage:
        for bundle in bundles:
            async with storage.transaction() as repos:
                existing = await repos.realms.get_by_name(bundle.realm.name)
                if existing is not None:
                    if override == "false":
                        print(f"Realm '{bundle.realm.name}' exists, skipped")
                        continue
                    await repos.realms.delete(existing.id)
                await write_bundle(repos, bundle)
            print(f"Imported realm '{bundle.realm.name}'")
            for warning in bundle.warnings:
                print(f"WARNING: {warning}", file=sys.stderr)
    return 0

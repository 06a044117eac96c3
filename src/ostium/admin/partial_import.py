"""POST /realms/{realm}/partialImport: Keycloak's PartialImportRepresentation applied to
an existing realm, answered with PartialImportResults.

The body's `clients`, `roles` {`realm`, `client`}, `groups` and `users` are parsed by the
same functions a realm file goes through (services/realm_import.py), resolved against
what the realm already holds, and written in the caller's one transaction. What happens
to a resource that already exists is `ifResourceExists`, as in Keycloak:

- `FAIL` (also when the field is absent): 409 naming the first one; nothing is written.
- `SKIP`: the existing resource stays as it is; the result says SKIPPED.
- `OVERWRITE`: the resource is replaced by the one in the body, keeping its id (Keycloak
  removes and re-creates it): a user loses its old credentials, sessions-by-id, role
  grants and memberships, a top-level group its subgroups, exactly as a fresh one.
  Roles are updated in place so the grants that name them stay valid.

Ids: a new client (and its mappers) and a new role get fresh ids, as Keycloak gives them;
users and groups keep the body's ids, as in Keycloak, except a group id another group of
this server already holds. The clients every realm has (`account`, `realm-management`, …)
are never imported, as in Keycloak, and are listed as SKIPPED so nothing vanishes unseen.
A masked secret (`**********`) is not taken for a secret.

What the body holds that Ostium cannot import yet (`identityProviders`, a client's
authorization settings, a user's OTP credential…, services/import_coverage.py) is left out
and named, one entry per section, in a `warnings` list added to the results (only when
there is one, so an answer without warnings is Keycloak's shape exactly). Other keys of a
realm export (settings, client scopes, flows…) are not part of PartialImportRepresentation;
Keycloak does not read them from this endpoint either.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ostium.admin.clients import ensure_client_service_account
from ostium.admin.errors import BadRequest, Conflict
from ostium.domain import Realm
from ostium.keys.providers import SECRET_VALUE
from ostium.services.hashing import PasswordHashing
from ostium.services.import_coverage import (
    PARTIAL_IMPORT_SECTIONS,
    find_unsupported,
    warning_text,
)

# The realm-file parsers, so partial import and full import read a resource one way.
from ostium.services.realm_import import (
    parse_clients,
    parse_groups,
    parse_roles,
    parse_users,
)
from ostium.services.realm_setup import RealmBundle, write_users
from ostium.storage.interfaces import Repositories

__all__ = ["INTERNAL_CLIENTS", "POLICIES", "partial_import"]

POLICIES = ("FAIL", "SKIP", "OVERWRITE")
# Keycloak's Constants.defaultClients: every realm has them, an import never replaces them.
INTERNAL_CLIENTS = frozenset(
    {
        "account",
        "account-console",
        "admin-cli",
        "broker",
        "realm-management",
        "security-admin-console",
    }
)

# PartialImportResult.resourceType values, and the words the 409 uses.
USER, CLIENT, GROUP, REALM_ROLE, CLIENT_ROLE = (
    "USER",
    "CLIENT",
    "GROUP",
    "REALM_ROLE",
    "CLIENT_ROLE",
)
_LABEL = {
    USER: "User",
    CLIENT: "Client",
    GROUP: "Group",
    REALM_ROLE: "Realm role",
    CLIENT_ROLE: "Client role",
}


@dataclass
class _Match:
    """One body entry that names a resource the realm already has."""

    resource_type: str
    name: str
    existing_id: str


def _entries(body: Mapping[str, Any], key: str, where: str) -> list[Any]:
    value = body.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise BadRequest(f"{where}: expected a list")
    return value


def _name(entry: Any, key: str) -> str | None:
    if isinstance(entry, dict) and isinstance(entry.get(key), str):
        return str(entry[key])
    return None


def _policy(body: Mapping[str, Any]) -> str:
    policy = body.get("ifResourceExists", "FAIL")
    if policy not in POLICIES:
        raise BadRequest("ifResourceExists: expected FAIL, SKIP or OVERWRITE")
    return str(policy)


async def partial_import(
    repos: Repositories,
    realm: Realm,
    body: Mapping[str, Any],
    *,
    now: int,
    hashing: PasswordHashing,
) -> dict[str, Any]:
    """Apply the body to `realm`; raise before writing anything if it is refused."""
    policy = _policy(body)
    roles_section = body.get("roles")
    roles_section = {} if roles_section is None else roles_section
    if not isinstance(roles_section, dict):
        raise BadRequest("roles: expected an object")
    client_roles_section = roles_section.get("client")
    client_roles_section = {} if client_roles_section is None else client_roles_section
    if not isinstance(client_roles_section, dict):
        raise BadRequest("roles.client: expected an object")

    clients = await repos.clients.list_all(realm.id)
    client_by_id = {c.client_id: c for c in clients}
    realm_roles = await repos.roles.list_realm_roles(realm.id)
    client_roles = [r for c in clients for r in await repos.roles.list_client_roles(c.id)]
    groups = await repos.groups.list_all(realm.id)
    top_groups = {g.name: g for g in groups if g.parent_id is None}

    # The clients every realm has are not imported (Keycloak's ClientsPartialImport leaves
    # them out too); unlike Keycloak, the result lists them as SKIPPED.
    internal: list[_Match] = []
    clients_in_body = []
    for entry in _entries(body, "clients", "clients"):
        name = _name(entry, "clientId")
        if name is not None and (name in INTERNAL_CLIENTS or name.endswith("-realm")):
            builtin = client_by_id.get(name)
            internal.append(_Match(CLIENT, name, builtin.id if builtin else ""))
        else:
            clients_in_body.append(entry)

    # Which body entries name something that exists, in Keycloak's result order.
    matches: list[_Match] = []
    for entry in clients_in_body:
        name = _name(entry, "clientId")
        if name is not None and name in client_by_id:
            matches.append(_Match(CLIENT, name, client_by_id[name].id))
    for entry in _entries(roles_section, "realm", "roles.realm"):
        name = _name(entry, "name")
        found = next((r for r in realm_roles if r.name == name), None)
        if found is not None and name is not None:
            matches.append(_Match(REALM_ROLE, name, found.id))
    for client_id, entries in client_roles_section.items():
        owner = client_by_id.get(client_id)
        if owner is None or not isinstance(entries, list):
            continue  # a new client's roles are all new; a bad shape the parser refuses
        for entry in entries:
            name = _name(entry, "name")
            found = next(
                (r for r in client_roles if r.client_id == owner.id and r.name == name), None
            )
            if found is not None and name is not None:
                matches.append(_Match(CLIENT_ROLE, name, found.id))
    for entry in _entries(body, "groups", "groups"):
        name = _name(entry, "name")
        if name is not None and name in top_groups:
            matches.append(_Match(GROUP, name, top_groups[name].id))
    for entry in _entries(body, "users", "users"):
        name = _name(entry, "username")
        user = await repos.users.get_by_username(realm.id, name.lower()) if name else None
        email = _name(entry, "email")
        if user is None and email and not realm.duplicate_emails_allowed:
            # Keycloak's UsersPartialImport: the same e-mail is the same user then.
            same_email = await repos.users.get_by_email(realm.id, email.strip().lower())
            user = same_email[0] if same_email else None
        if user is not None and name is not None:
            matches.append(_Match(USER, name.lower(), user.id))

    if policy == "FAIL" and matches:
        first = matches[0]
        raise Conflict(f"{_LABEL[first.resource_type]} '{first.name}' already exists")

    existing = {(m.resource_type, m.name): m for m in matches}

    def known(resource_type: str, entry: Any, key: str) -> _Match | None:
        name = _name(entry, key)
        if name is None:
            return None
        return existing.get((resource_type, name.lower() if resource_type == USER else name))

    def prepared(resource_type: str, entries: list[Any], key: str, keep_id: bool) -> list[Any]:
        """SKIP drops the entries that exist; OVERWRITE gives them the existing id (or,
        for what is updated in place, no id, so the stored one stays). A new role gets a
        fresh id, as Keycloak creates it by name alone."""
        result = []
        for entry in entries:
            match = known(resource_type, entry, key)
            if match is None:
                if resource_type in (REALM_ROLE, CLIENT_ROLE) and isinstance(entry, dict):
                    entry = {k: v for k, v in entry.items() if k != "id"}
                result.append(entry)
            elif policy == "OVERWRITE":
                copy = {k: v for k, v in entry.items() if k != "id"}
                if keep_id:
                    copy["id"] = match.existing_id
                result.append(copy)
        return result

    def client_entry(entry: Any) -> Any:
        """A client gets a fresh id unless it replaces one (Keycloak's ClientsPartialImport
        generates ids too: a file from another realm or server must not collide), and
        its mappers fresh ids. A masked secret (`**********`, what partial-export writes)
        is no secret: a new client gets a generated one, a replaced client keeps its own."""
        if not isinstance(entry, dict):
            return entry
        copy = dict(entry)
        match = known(CLIENT, entry, "clientId")
        if match is None:
            copy.pop("id", None)
        if isinstance(copy.get("protocolMappers"), list):
            copy["protocolMappers"] = [
                {k: v for k, v in m.items() if k != "id"} if isinstance(m, dict) else m
                for m in copy["protocolMappers"]
            ]
        if copy.get("secret") == SECRET_VALUE:
            del copy["secret"]
            if match is not None:
                copy["secret"] = client_by_id[match.name].secret
        return copy

    filtered: dict[str, Any] = {
        "clients": [client_entry(e) for e in prepared(CLIENT, clients_in_body, "clientId", True)],
        "groups": prepared(GROUP, _entries(body, "groups", "groups"), "name", True),
        "users": prepared(USER, _entries(body, "users", "users"), "username", True),
        "roles": {
            "realm": prepared(
                REALM_ROLE, _entries(roles_section, "realm", "roles.realm"), "name", False
            ),
            "client": {
                client_id: prepared(CLIENT_ROLE, entries, "name", False)
                if isinstance(entries, list)
                else entries
                for client_id, entries in client_roles_section.items()
            },
        },
    }

    overwritten_clients = {m.existing_id for m in matches if m.resource_type == CLIENT}
    overwritten_groups = {m.existing_id for m in matches if m.resource_type == GROUP}
    overwritten_roles = {
        m.existing_id for m in matches if m.resource_type in (REALM_ROLE, CLIENT_ROLE)
    }
    overwritten_users = {m.existing_id for m in matches if m.resource_type == USER}
    if policy != "OVERWRITE":
        overwritten_clients = overwritten_groups = overwritten_roles = overwritten_users = set()

    # The realm as it stands, minus what the body replaces, is what references resolve
    # against: the parsers append what the body adds.
    removed_groups = _subtrees(groups, overwritten_groups)
    filtered["groups"] = [
        await _free_group_ids(repos, g, removed_groups) for g in filtered["groups"]
    ]
    bundle = RealmBundle(
        realm=realm,
        clients=[c for c in clients if c.id not in overwritten_clients],
        roles=[*realm_roles, *client_roles],
        groups=[g for g in groups if g.id not in removed_groups],
    )
    start_clients, start_roles, start_groups = (
        len(bundle.clients),
        len(bundle.roles),
        len(bundle.groups),
    )
    parse_clients(bundle, filtered)
    parse_roles(bundle, filtered)
    parse_groups(bundle, filtered)
    await hashing.run(parse_users, bundle, filtered, now)  # plain passwords hash off the loop

    for user_id in overwritten_users:
        await repos.users.delete(realm.id, user_id)
    for group_id in overwritten_groups:
        await repos.groups.delete(group_id)
    new_clients = bundle.clients[start_clients:]
    for client in new_clients:
        if client.id in overwritten_clients:
            await repos.clients.update(client)
        else:
            await repos.clients.add(client)
    for role in bundle.roles[start_roles:]:
        await repos.roles.add(role)
    for role in bundle.roles[:start_roles]:
        if role.id in overwritten_roles:
            await repos.roles.update(role)
            old = (await repos.roles.composites_of([role.id]))[role.id]
            await repos.roles.remove_composites(role.id, [c.id for c in old])
    for parent, child in bundle.composites:
        await repos.roles.add_composites(parent, [child])
    for group in bundle.groups[start_groups:]:
        await repos.groups.add(group)
    for group_id, role_id in bundle.group_roles:
        await repos.roles.grant_to_group(group_id, [role_id])
    await write_users(repos, bundle)
    for client in new_clients:
        if client.id in overwritten_clients and not client.service_accounts_enabled:
            # The replacement has no service account: the old one's user goes with it.
            stale = await repos.users.get_service_account(client.id)
            if stale is not None:
                await repos.users.delete(realm.id, stale.id)
        await ensure_client_service_account(repos, client, now)

    results = _results(policy, matches, internal, bundle, start_clients, start_roles, start_groups)
    # Judged on what is written: an entry SKIP leaves out loses nothing.
    findings = find_unsupported({**body, **filtered}, PARTIAL_IMPORT_SECTIONS)
    if findings:
        results["warnings"] = [warning_text(realm.name, "", f) for f in findings]
    return results


async def _free_group_ids(repos: Repositories, entry: Any, reusable: set[str]) -> Any:
    """Group ids in the body are kept, as Keycloak keeps them, unless another group holds
    one (a file exported from another realm of this server): that group gets a fresh id
    rather than failing the import."""
    if not isinstance(entry, dict):
        return entry
    copy = dict(entry)
    given = copy.get("id")
    if isinstance(given, str) and given not in reusable and await repos.groups.get(given):
        del copy["id"]
    if isinstance(copy.get("subGroups"), list):
        copy["subGroups"] = [
            await _free_group_ids(repos, child, reusable) for child in copy["subGroups"]
        ]
    return copy


def _subtrees(groups: list[Any], roots: set[str]) -> set[str]:
    removed = set(roots)
    changed = True
    while changed:
        changed = False
        for group in groups:
            if group.parent_id in removed and group.id not in removed:
                removed.add(group.id)
                changed = True
    return removed


def _results(
    policy: str,
    matches: list[_Match],
    internal: list[_Match],
    bundle: RealmBundle,
    start_clients: int,
    start_roles: int,
    start_groups: int,
) -> dict[str, Any]:
    """PartialImportResults: one entry per resource in the body, in Keycloak's order."""
    matched = {m.existing_id for m in matches}
    action_for_existing = "OVERWRITTEN" if policy == "OVERWRITE" else "SKIPPED"
    results: list[dict[str, Any]] = []

    def add(action: str, resource_type: str, name: str, id: str) -> None:
        results.append(
            {"action": action, "resourceType": resource_type, "resourceName": name, "id": id}
        )

    def emit(resource_type: str, added: list[tuple[str, str]]) -> None:
        for match in matches:
            if match.resource_type == resource_type:
                add(action_for_existing, resource_type, match.name, match.existing_id)
        for name, id in added:
            if id not in matched:
                add("ADDED", resource_type, name, id)

    for match in internal:
        add("SKIPPED", CLIENT, match.name, match.existing_id)
    clients = bundle.clients[start_clients:]
    emit(CLIENT, [(c.client_id, c.id) for c in clients])
    new_roles = bundle.roles[start_roles:]
    emit(REALM_ROLE, [(r.name, r.id) for r in new_roles if r.client_id is None])
    emit(CLIENT_ROLE, [(r.name, r.id) for r in new_roles if r.client_id is not None])
    top_level = [g for g in bundle.groups[start_groups:] if g.parent_id is None]
    emit(GROUP, [(g.name, g.id) for g in top_level])
    emit(USER, [(u.username, u.id) for u in bundle.users])
    counts = {a: sum(1 for r in results if r["action"] == a) for a in ("OVERWRITTEN", "ADDED")}
    return {
        "overwritten": counts["OVERWRITTEN"],
        "added": counts["ADDED"],
        "skipped": sum(1 for r in results if r["action"] == "SKIPPED"),
        "results": results,
    }

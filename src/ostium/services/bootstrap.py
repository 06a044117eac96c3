"""First start: the master realm, the bootstrap administrator, realms to import."""

from __future__ import annotations

import logging

from ostium.clock import Clock
from ostium.domain import Realm
from ostium.services.realm_setup import admin_user, new_realm, write_bundle
from ostium.storage.interfaces import Repositories, Storage

__all__ = ["MASTER", "admin_exists", "create_admin", "ensure_master_realm"]

MASTER = "master"
ADMIN_ROLE = "admin"

_log = logging.getLogger("ostium.bootstrap")


async def ensure_master_realm(
    storage: Storage,
    clock: Clock,
    *,
    admin_username: str | None,
    admin_password: str | None,
) -> Realm:
    """Create `master` if missing; create the bootstrap admin if asked and none exists.

    Idempotent, so every start can call it: the admin options only ever create the
    first administrator, as in Keycloak, never reset an existing one.
    """
    async with storage.transaction() as repos:
        realm = await repos.realms.get_by_name(MASTER)
        if realm is None:
            bundle = new_realm(MASTER, clock.now(), master=True)
            await write_bundle(repos, bundle)
            realm = bundle.realm
            _log.info("Created the master realm")
        if admin_username and admin_password and not await admin_exists(repos, realm):
            await create_admin(repos, realm, admin_username, admin_password, clock.now())
            _log.info("Created the bootstrap administrator '%s'", admin_username)
    return realm


async def admin_exists(repos: Repositories, master: Realm) -> bool:
    """Any human user in master counts: Keycloak's welcome page asks the same question."""
    return await repos.users.count(master.id) > 0


async def create_admin(
    repos: Repositories, master: Realm, username: str, password: str, now: int
) -> None:
    role = await repos.roles.get_realm_role(master.id, ADMIN_ROLE)
    if role is None:
        raise RuntimeError("The master realm has no 'admin' role")
    user, credential, (user_id, role_ids) = admin_user(master, role, username, password, now)
    await repos.users.add(user)
    await repos.credentials.add(credential)
    default_roles = await repos.roles.get_realm_role(master.id, master.default_role_name)
    await repos.roles.grant_to_user(
        user_id, [*role_ids, *([default_roles.id] if default_roles else [])]
    )

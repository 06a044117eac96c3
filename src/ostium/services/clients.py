"""Client use cases shared by the admin API and the command line: regenerating a secret,
the service-account user."""

from __future__ import annotations

from ostium.domain import Client
from ostium.domain.client_secret import configured_grace_period, rotate_secret
from ostium.services.realm_import import new_client_secret
from ostium.services.realm_setup import service_account_user
from ostium.storage.interfaces import Repositories

__all__ = ["ServiceAccountUsernameTaken", "ensure_service_account", "regenerate_secret"]


class ServiceAccountUsernameTaken(Exception):
    """Another user already has the name `service-account-<clientId>`."""


async def ensure_service_account(repos: Repositories, client: Client, *, now: int) -> None:
    """Gives a client with service accounts enabled its `service-account-<clientId>` user,
    holding the realm's default roles, unless it has one (Keycloak's
    `ClientManager.enableServiceAccount`, run when a client is created or updated with
    `serviceAccountsEnabled`). Turning service accounts off keeps the user, as Keycloak
    does; the `client_credentials` grant checks the client's flag."""
    if not client.service_accounts_enabled:
        return
    if await repos.users.get_service_account(client.id) is not None:
        return
    user = service_account_user(client, now)
    if await repos.users.get_by_username(client.realm_id, user.username) is not None:
        raise ServiceAccountUsernameTaken(user.username)
    await repos.users.add(user)
    realm = await repos.realms.get(client.realm_id)
    default = (
        await repos.roles.get_realm_role(client.realm_id, realm.default_role_name)
        if realm is not None
        else None
    )
    if default is not None:
        await repos.roles.grant_to_user(user.id, [default.id])


async def regenerate_secret(
    repos: Repositories, client: Client, *, now: int, grace_period: int | None = None
) -> str:
    """A new secret for the client, written through `repos` (the caller's transaction).

    `grace_period` None means the client's own setting (the attribute
    `client.secret.rotated.expiration.period`; none unless set, as in Keycloak without a
    rotation policy); 0 ends the old secret at once.
    """
    period = configured_grace_period(client) if grace_period is None else grace_period
    secret = new_client_secret()
    rotate_secret(client, secret, now=now, grace_period=period)
    await repos.clients.update(client)
    return secret

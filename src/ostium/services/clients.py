"""Client use cases shared by the admin API and the command line: regenerating a secret."""

from __future__ import annotations

from ostium.domain import Client
from ostium.domain.client_secret import configured_grace_period, rotate_secret
from ostium.services.realm_import import new_client_secret
from ostium.storage.interfaces import Repositories

__all__ = ["regenerate_secret"]


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

"""A user's consents (Keycloak's UserResource `consents`): list them, revoke one.

`GET /admin/realms/{realm}/users/{id}/consents` answers Keycloak's list of maps
(`clientId`, `grantedClientScopes` by name, `createdDate`, `lastUpdatedDate` in
milliseconds, `additionalGrants`: "Offline Token" when the client holds one for the user);
`DELETE …/consents/{clientId}` revokes the consent and the client's offline tokens
(services/consents.py) and is 404 when there was neither, as Keycloak.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ostium.admin.context import Admin, admin
from ostium.admin.errors import NotFound
from ostium.services.consents import revoke_consent

__all__ = ["router"]

router = APIRouter(tags=["Users"])
BASE = "/realms/{realm}/users/{id}/consents"
# Keycloak's additional grant of a client holding offline tokens (a label, not a secret).
OFFLINE_TOKEN = "Offline Token"  # noqa: S105


@router.get(BASE)
async def list_consents(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        offline: dict[str, int] = {}
        for session in await repos.sessions.list_for_user(user.id):
            if session.offline and session.realm_id == loaded.id:
                for cs in await repos.sessions.list_client_sessions(session.id):
                    offline.setdefault(cs.client_id, cs.timestamp * 1000)
        result: list[dict[str, Any]] = []
        consents = {c.client_id: c for c in await repos.consents.list_for_user(user.id)}
        for client_id in [*consents, *(c for c in offline if c not in consents)]:
            client = await repos.clients.get(loaded.id, client_id)
            if client is None:
                continue
            consent = consents.get(client_id)
            entry: dict[str, Any] = {
                "clientId": client.client_id,
                "grantedClientScopes": list(consent.granted_scopes) if consent else [],
                "createdDate": consent.created_date if consent else offline[client_id],
                "lastUpdatedDate": consent.last_updated_date if consent else offline[client_id],
                "additionalGrants": (
                    [{"client": client.client_id, "key": OFFLINE_TOKEN}]
                    if client_id in offline
                    else []
                ),
            }
            result.append(entry)
    return result


@router.delete(BASE + "/{client}", status_code=204)
async def revoke(realm: str, id: str, client: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        found = await repos.clients.get_by_client_id(loaded.id, client)
        if found is None:
            raise NotFound("Client not found")
        revocation = await revoke_consent(repos, loaded, user, found)
        if not revocation.found:
            raise NotFound("Consent nor offline token not found")
    await a.runtime.backchannel.notify(loaded, revocation.ended)
    return Response(status_code=204)

"""/realms/{realm}/users/{id}/credentials: list, remove, relabel and reorder a user's
credentials (Keycloak: UserResource's credential endpoints).

The list is Keycloak's CredentialRepresentation without `secretData`: hashes and salts
never leave the server. The order is the credentials' `priority`, lowest first, which is
the order login offers them in.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ostium.admin.context import Admin, admin
from ostium.admin.errors import NotFound
from ostium.domain import Credential
from ostium.storage.interfaces import Repositories

__all__ = ["credential_representation", "router"]

router = APIRouter(tags=["Users"])
BASE = "/realms/{realm}/users/{id}"

# Keycloak spaces priorities ten apart when it reorders (PRIORITY_DIFFERENCE).
PRIORITY_STEP = 10
MAX_LABEL = 255


def credential_representation(credential: Credential) -> dict[str, Any]:
    body: dict[str, Any] = {
        "id": credential.id,
        "type": credential.type,
        "createdDate": credential.created_date,
        "credentialData": credential.credential_data,
        "priority": credential.priority,
    }
    if credential.user_label is not None:
        body["userLabel"] = credential.user_label
    return body


async def _credential(repos: Repositories, user_id: str, credential_id: str) -> Credential:
    """The user's credential; another user's is as unknown as a missing one, so ids
    cannot be probed across users."""
    for credential in await repos.credentials.list_for_user(user_id):
        if credential.id == credential_id:
            return credential
    raise NotFound("Credential not found")


@router.get(BASE + "/credentials")
async def list_credentials(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        return [
            credential_representation(c) for c in await repos.credentials.list_for_user(user.id)
        ]


@router.get(BASE + "/configured-user-storage-credential-types")
async def storage_credential_types(realm: str, id: str, a: Admin = Depends(admin)) -> list[str]:
    """Always empty: every user is local, none comes from a federated user storage."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        await a.user(repos, loaded, id)
    return []


@router.delete(BASE + "/credentials/{credential_id}", status_code=204)
async def remove_credential(
    realm: str, id: str, credential_id: str, a: Admin = Depends(admin)
) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        await repos.credentials.delete((await _credential(repos, user.id, credential_id)).id)
    return Response(status_code=204)


@router.put(BASE + "/credentials/{credential_id}/userLabel", status_code=204)
async def set_label(
    realm: str, id: str, credential_id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """The body is the label as text/plain; a blank one is refused as Keycloak does
    (`missingCredentialLabel`)."""
    raw = await request.body()
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        credential = await _credential(repos, user.id, credential_id)
        try:
            label = raw.decode("utf-8")
        except UnicodeDecodeError:
            label = ""
        if not label.strip():
            return JSONResponse(
                {
                    "error": "missingCredentialLabel",
                    "error_description": "Credential label must not be empty",
                },
                status_code=400,
            )
        if len(label) > MAX_LABEL:
            return JSONResponse(
                {"errorMessage": f"Credential label longer than {MAX_LABEL} characters"},
                status_code=400,
            )
        credential.user_label = label
        await repos.credentials.update(credential)
    return Response(status_code=204)


async def _move(a: Admin, realm: str, id: str, credential_id: str, after: str | None) -> Response:
    """Put the credential first (`after` None) or right behind `after`, then renumber
    every priority ten apart (Keycloak: moveStoredCredentialTo)."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        moved = await _credential(repos, user.id, credential_id)
        ordered = [c for c in await repos.credentials.list_for_user(user.id) if c.id != moved.id]
        position = 0
        if after is not None:
            previous = [i for i, c in enumerate(ordered) if c.id == after]
            if not previous:
                raise NotFound("Credential not found")
            position = previous[0] + 1
        ordered.insert(position, moved)
        for index, credential in enumerate(ordered, start=1):
            if credential.priority != index * PRIORITY_STEP:
                credential.priority = index * PRIORITY_STEP
                await repos.credentials.update(credential)
    return Response(status_code=204)


@router.post(BASE + "/credentials/{credential_id}/moveToFirst", status_code=204)
async def move_to_first(
    realm: str, id: str, credential_id: str, a: Admin = Depends(admin)
) -> Response:
    return await _move(a, realm, id, credential_id, None)


@router.post(BASE + "/credentials/{credential_id}/moveAfter/{previous_id}", status_code=204)
async def move_after(
    realm: str, id: str, credential_id: str, previous_id: str, a: Admin = Depends(admin)
) -> Response:
    return await _move(a, realm, id, credential_id, previous_id)

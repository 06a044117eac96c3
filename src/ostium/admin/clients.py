"""/realms/{realm}/clients: CRUD, secrets, service account, client roles."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ostium.admin.context import Admin, Int32, admin, json_body, json_object, page_of, paging
from ostium.admin.errors import BadRequest, Conflict, NotFound
from ostium.admin.representations import (
    client_representation,
    role_representation,
    user_representation,
)
from ostium.admin.role_refs import change_composites
from ostium.admin.roles import role_list, store_role_update
from ostium.admin.search_query import InvalidSearchQueryError, parse_search_query
from ostium.admin.sessions import session_representations
from ostium.domain import Client, Role
from ostium.domain.client_secret import ROTATED_SECRET, drop_rotated_secret
from ostium.services.clients import (
    ServiceAccountUsernameTaken,
    ensure_service_account,
)
from ostium.services.clients import regenerate_secret as new_secret_for
from ostium.services.realm_import import (
    apply_client,
    check_flow_overrides,
    mapper_representation,
    parse_client,
    parse_protocol_mapper,
)
from ostium.services.realm_setup import new_id
from ostium.storage.interfaces import Repositories

__all__ = ["ensure_client_service_account", "router"]

router = APIRouter(tags=["Clients"])
_log = logging.getLogger("ostium.admin")
BASE = "/realms/{realm}/clients"


async def ensure_client_service_account(repos: Repositories, client: Client, now: int) -> None:
    """The service-account user a client with `serviceAccountsEnabled` needs; a user who
    already holds its name is a 409, as Keycloak answers."""
    try:
        await ensure_service_account(repos, client, now=now)
    except ServiceAccountUsernameTaken as exc:
        raise Conflict(f"User exists with same username: {exc}") from None


@router.get(BASE)
async def list_clients(
    realm: str,
    clientId: str | None = None,
    search: bool = False,
    q: str | None = None,
    first: Int32 = 0,
    max: Int32 = 100,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    """Keycloak's ClientsResource.getClients: `clientId` (exact, or a case-insensitive
    substring with `search=true`), `q` (attribute `key:value` pairs that must all match
    exactly, Keycloak's searchClientsByAttributes), then `first`/`max`."""
    try:
        pairs = parse_search_query(q) if q is not None else None
    except InvalidSearchQueryError as exc:
        raise BadRequest(str(exc)) from None
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        clients = await repos.clients.list_all(loaded.id)
    if pairs is not None:
        clients = [c for c in clients if all(c.attributes.get(k) == v for k, v in pairs.items())]
    if clientId is not None:
        wanted = clientId.lower()
        clients = [
            c
            for c in clients
            if (wanted in c.client_id.lower() if search else c.client_id == clientId)
        ]
    start = first if first > 0 else 0
    return [client_representation(c) for c in clients[start : start + (max if max > 0 else 0)]]


@router.post(BASE, status_code=201)
async def create_client(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = parse_client(body, loaded.id)
        check_flow_overrides(loaded, client)
        if isinstance(body.get("id"), str) and body["id"]:
            client.id = body["id"]
        if await repos.clients.get_by_client_id(loaded.id, client.client_id) is not None:
            raise Conflict(f"Client {client.client_id} already exists")
        await repos.clients.add(client)
        await ensure_client_service_account(repos, client, a.now)
    response = Response(status_code=201, headers={"Location": a.location(client.id)})
    return _warn_about_redirect_uris(response, loaded.name, client)


@router.get(BASE + "/{id}")
async def get_client(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        return client_representation(await a.client(repos, loaded, id))


@router.put(BASE + "/{id}", status_code=204)
async def update_client(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        if isinstance(body.get("clientId"), str) and body["clientId"]:
            client.client_id = body["clientId"]
        apply_client(client, body, "client")
        check_flow_overrides(loaded, client)
        await repos.clients.update(client)
        await ensure_client_service_account(repos, client, a.now)
    return _warn_about_redirect_uris(Response(status_code=204), loaded.name, client)


def _warn_about_redirect_uris(response: Response, realm: str, client: Client) -> Response:
    """Keycloak answers 201/204 without a body, so a warning travels as an RFC 7234 §5.5
    `Warning: 299` header (a client that does not look for it loses nothing), and in the
    log. The header's quoted-string holds printable ASCII only."""
    for warning in client.redirect_uri_warnings():
        _log.warning("Realm '%s': %s", realm, warning)
        text = "".join(c if " " <= c <= "~" and c not in '"\\' else "?" for c in warning)
        response.headers.append("Warning", f'299 - "{text}"')
    return response


@router.delete(BASE + "/{id}", status_code=204)
async def delete_client(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        await repos.clients.delete(loaded.id, client.id)
    return Response(status_code=204)


@router.get(BASE + "/{id}/client-secret")
async def get_secret(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
    return {"type": "secret", "value": client.secret}


@router.post(BASE + "/{id}/client-secret")
async def regenerate_secret(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    """The old secret stops working at once, as in Keycloak, unless the client sets a
    grace period (`client.secret.rotated.expiration.period`, see domain.client_secret)."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        secret = await new_secret_for(repos, client, now=a.now)
    return {"type": "secret", "value": secret}


@router.get(BASE + "/{id}/client-secret/rotated")
async def get_rotated_secret(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    """Keycloak's `CredentialRepresentation` of the previous secret, or 404."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
    rotated = client.attributes.get(ROTATED_SECRET)
    if not rotated:
        raise NotFound("Client does not have a rotated secret")
    return {"type": "secret", "value": rotated}


@router.delete(BASE + "/{id}/client-secret/rotated", status_code=204)
async def invalidate_rotated_secret(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    """The previous secret stops working now, grace period or not."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        if client.attributes.get(ROTATED_SECRET):
            drop_rotated_secret(client)
            await repos.clients.update(client)
    return Response(status_code=204)


@router.get(BASE + "/{id}/service-account-user")
async def service_account_user(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
        user = await repos.users.get_service_account(client.id)
    if user is None:
        raise NotFound("Service account not enabled for the client")
    return user_representation(user)


@router.get(BASE + "/{id}/roles")
async def list_client_roles(
    realm: str,
    id: str,
    search: str | None = None,
    first: Int32 = -1,
    max: Int32 = -1,
    briefRepresentation: bool = True,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
        roles = await repos.roles.list_client_roles(client.id)
    return role_list(roles, search, first, max, briefRepresentation)


@router.post(BASE + "/{id}/roles", status_code=201)
async def create_client_role(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    name = body.get("name")
    if not isinstance(name, str) or not name.strip():
        return JSONResponse({"errorMessage": "Role name is required"}, status_code=400)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        if await repos.roles.get_client_role(client.id, name) is not None:
            raise Conflict(f"Role with name {name} already exists")
        description = body.get("description") if isinstance(body.get("description"), str) else None
        await repos.roles.add(
            Role(new_id(), loaded.id, name, client_id=client.id, description=description)
        )
    return Response(status_code=201, headers={"Location": a.location(name)})


@router.get(BASE + "/{id}/roles/{name}")
async def get_client_role(
    realm: str, id: str, name: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
        role = await repos.roles.get_client_role(client.id, name)
    if role is None:
        raise NotFound("Could not find role")
    return role_representation(role)


@router.delete(BASE + "/{id}/roles/{name}", status_code=204)
async def delete_client_role(realm: str, id: str, name: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        role = await repos.roles.get_client_role(client.id, name)
        if role is None:
            raise NotFound("Could not find role")
        await repos.roles.delete(role.id)
    return Response(status_code=204)


# --- protocol mappers ---------------------------------------------------------------------

MODELS = BASE + "/{id}/protocol-mappers/models"


@router.get(MODELS)
async def list_mappers(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
    return [mapper_representation(m) for m in client.protocol_mappers]


@router.post(MODELS, status_code=201)
async def create_mapper(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        mapper = parse_protocol_mapper({**body, "id": new_id()}, "mapper")
        if any(m.name == mapper.name for m in client.protocol_mappers):
            raise Conflict(f"Protocol mapper exists with same name: {mapper.name}")
        client.protocol_mappers.append(mapper)
        await repos.clients.update(client)
    return Response(status_code=201, headers={"Location": a.location(mapper.id)})


@router.get(MODELS + "/{mapper_id}")
async def get_mapper(
    realm: str, id: str, mapper_id: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
    mapper = next((m for m in client.protocol_mappers if m.id == mapper_id), None)
    if mapper is None:
        raise NotFound("Model not found")
    return mapper_representation(mapper)


@router.put(MODELS + "/{mapper_id}", status_code=204)
async def update_mapper(
    realm: str, id: str, mapper_id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        index = next((i for i, m in enumerate(client.protocol_mappers) if m.id == mapper_id), None)
        if index is None:
            raise NotFound("Model not found")
        client.protocol_mappers[index] = parse_protocol_mapper({**body, "id": mapper_id}, "mapper")
        await repos.clients.update(client)
    return Response(status_code=204)


@router.delete(MODELS + "/{mapper_id}", status_code=204)
async def delete_mapper(realm: str, id: str, mapper_id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        remaining = [m for m in client.protocol_mappers if m.id != mapper_id]
        if len(remaining) == len(client.protocol_mappers):
            raise NotFound("Model not found")
        client.protocol_mappers = remaining
        await repos.clients.update(client)
    return Response(status_code=204)


# --- client role composites and updates -------------------------------------------------------


async def _client_role(repos: Repositories, client: Client, name: str) -> Role:
    role = await repos.roles.get_client_role(client.id, name)
    if role is None:
        raise NotFound("Could not find role")
    return role


@router.put(BASE + "/{id}/roles/{name}", status_code=204)
async def update_client_role(
    realm: str, id: str, name: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        role = await _client_role(repos, await a.client(repos, loaded, id), name)
        await store_role_update(repos, role, body)
    return Response(status_code=204)


@router.get(BASE + "/{id}/roles/{name}/composites")
async def client_role_composites(
    realm: str, id: str, name: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        role = await _client_role(repos, await a.client(repos, loaded, id), name)
        children = (await repos.roles.composites_of([role.id]))[role.id]
    return [role_representation(r) for r in children]


@router.post(BASE + "/{id}/roles/{name}/composites", status_code=204)
async def add_client_role_composites(
    realm: str, id: str, name: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        role = await _client_role(repos, await a.client(repos, loaded, id), name)
        await change_composites(repos, loaded, role, body, add=True)
    return Response(status_code=204)


@router.delete(BASE + "/{id}/roles/{name}/composites", status_code=204)
async def remove_client_role_composites(
    realm: str, id: str, name: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        role = await _client_role(repos, await a.client(repos, loaded, id), name)
        await change_composites(repos, loaded, role, body, add=False)
    return Response(status_code=204)


@router.get(BASE + "/{id}/roles/{name}/users")
async def client_role_members(
    realm: str,
    id: str,
    name: str,
    first: Int32 = 0,
    max: Int32 = 100,
    briefRepresentation: bool = True,
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        role = await _client_role(repos, await a.client(repos, loaded, id), name)
        users = await repos.roles.members(role.id, **paging(first, max))
    return [user_representation(u, brief=briefRepresentation) for u in users]


# --- sessions -----------------------------------------------------------------------------


@router.get(BASE + "/{id}/user-sessions")
async def client_user_sessions(
    realm: str, id: str, first: Int32 = 0, max: Int32 = 100, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    """The online user sessions in which the client holds a client session."""
    return await _sessions_of_client(a, realm, id, first, max, offline=False)


@router.get(BASE + "/{id}/offline-sessions")
async def client_offline_sessions(
    realm: str, id: str, first: Int32 = 0, max: Int32 = 100, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    return await _sessions_of_client(a, realm, id, first, max, offline=True)


async def _sessions_of_client(
    a: Admin, realm: str, id: str, first: int, max: int, *, offline: bool
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        client = await a.client(repos, loaded, id)
        sessions = [
            s for s in await repos.sessions.list_for_client(client.id) if s.offline == offline
        ]
        return await session_representations(repos, loaded, page_of(sessions, first, max))


@router.get(BASE + "/{id}/session-count")
async def client_session_count(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, int]:
    return {"count": await _count_sessions(a, realm, id, offline=False)}


@router.get(BASE + "/{id}/offline-session-count")
async def client_offline_session_count(
    realm: str, id: str, a: Admin = Depends(admin)
) -> dict[str, int]:
    return {"count": await _count_sessions(a, realm, id, offline=True)}


async def _count_sessions(a: Admin, realm: str, id: str, *, offline: bool) -> int:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
        sessions = await repos.sessions.list_for_client(client.id)
    return sum(1 for s in sessions if s.offline == offline)

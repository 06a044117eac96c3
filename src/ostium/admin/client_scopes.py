"""/admin/realms/{realm}/client-scopes, and which scopes a client takes by default or on
request."""

from __future__ import annotations

from typing import Any, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, admin, json_object
from ostium.admin.errors import Conflict, NotFound
from ostium.admin.representations import client_scope_representation
from ostium.services.realm_import import parse_client_scope
from ostium.services.realm_setup import new_id

__all__ = ["router"]

router = APIRouter(tags=["Client Scopes"])
BASE = "/realms/{realm}/client-scopes"
CLIENT = "/realms/{realm}/clients/{id}"


@router.get(BASE)
async def list_scopes(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        return [
            client_scope_representation(s) for s in await repos.client_scopes.list_all(loaded.id)
        ]


@router.post(BASE, status_code=201)
async def create_scope(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        scope = parse_client_scope({**body, "id": new_id()}, loaded.id, "clientScope")
        if await repos.client_scopes.get_by_name(loaded.id, scope.name) is not None:
            raise Conflict(f"Client Scope {scope.name} already exists")
        await repos.client_scopes.add(scope)
    return Response(status_code=201, headers={"Location": a.location(scope.id)})


@router.get(BASE + "/{scope_id}")
async def get_scope(realm: str, scope_id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        scope = await repos.client_scopes.get(loaded.id, scope_id)
    if scope is None:
        raise NotFound("Could not find client scope")
    return client_scope_representation(scope)


@router.delete(BASE + "/{scope_id}", status_code=204)
async def delete_scope(realm: str, scope_id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        if await repos.client_scopes.get(loaded.id, scope_id) is None:
            raise NotFound("Could not find client scope")
        await repos.client_scopes.delete(loaded.id, scope_id)
    return Response(status_code=204)


Kind = Literal["default", "optional"]


async def _client_scopes(a: Admin, realm: str, id: str, kind: Kind) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-clients")
        client = await a.client(repos, loaded, id)
        names = client.default_client_scopes if kind == "default" else client.optional_client_scopes
        scopes = {s.name: s for s in await repos.client_scopes.list_all(loaded.id)}
    return [{"id": scopes[n].id, "name": n} for n in names if n in scopes]


async def _link(a: Admin, realm: str, id: str, scope_id: str, kind: Kind, add: bool) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-clients")
        client = await a.client(repos, loaded, id)
        scope = await repos.client_scopes.get(loaded.id, scope_id)
        if scope is None:
            raise NotFound("Client scope not found")
        defaults = [n for n in client.default_client_scopes if n != scope.name]
        optionals = [n for n in client.optional_client_scopes if n != scope.name]
        if add:
            (defaults if kind == "default" else optionals).append(scope.name)
        client.default_client_scopes, client.optional_client_scopes = defaults, optionals
        await repos.clients.update(client)
    return Response(status_code=204)


@router.get(CLIENT + "/default-client-scopes")
async def default_scopes(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    return await _client_scopes(a, realm, id, "default")


@router.get(CLIENT + "/optional-client-scopes")
async def optional_scopes(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    return await _client_scopes(a, realm, id, "optional")


@router.put(CLIENT + "/default-client-scopes/{scope_id}", status_code=204)
async def add_default(realm: str, id: str, scope_id: str, a: Admin = Depends(admin)) -> Response:
    return await _link(a, realm, id, scope_id, "default", add=True)


@router.delete(CLIENT + "/default-client-scopes/{scope_id}", status_code=204)
async def remove_default(realm: str, id: str, scope_id: str, a: Admin = Depends(admin)) -> Response:
    return await _link(a, realm, id, scope_id, "default", add=False)


@router.put(CLIENT + "/optional-client-scopes/{scope_id}", status_code=204)
async def add_optional(realm: str, id: str, scope_id: str, a: Admin = Depends(admin)) -> Response:
    return await _link(a, realm, id, scope_id, "optional", add=True)


@router.delete(CLIENT + "/optional-client-scopes/{scope_id}", status_code=204)
async def remove_optional(
    realm: str, id: str, scope_id: str, a: Admin = Depends(admin)
) -> Response:
    return await _link(a, realm, id, scope_id, "optional", add=False)

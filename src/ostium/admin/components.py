"""/admin/realms/{realm}/components: the realm's key providers as Keycloak components.

Only `org.keycloak.keys.KeyProvider` components exist here (no user federation, no
client-registration policies), so a query for another type answers an empty list, as
Keycloak does for a type a realm has none of. Each component holds one key; creating one
generates its key (or loads the uploaded PEM of an `rsa` provider), and private key
material never leaves the server through this API: Keycloak's mask stands in for it.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, admin, json_object
from ostium.admin.errors import BadRequest, NotFound
from ostium.domain import Realm, RealmKey
from ostium.keys.providers import PROVIDER_TYPE, KeyProviderError, component_config
from ostium.services.keys import current_keys, key_from_representation, update_key_provider
from ostium.storage.interfaces import Repositories

__all__ = ["component_representation", "router"]

router = APIRouter(tags=["Component"])
BASE = "/realms/{realm}/components"


def component_representation(key: RealmKey) -> dict[str, Any]:
    """Keycloak's ComponentRepresentation, as its admin API shows it (secrets masked)."""
    return {
        "id": key.id,
        "name": key.name or key.provider,
        "providerId": key.provider,
        "providerType": PROVIDER_TYPE,
        "parentId": key.realm_id,
        "config": component_config(key, secrets=False),
    }


async def _component(repos: Repositories, realm: Realm, id: str, now: int) -> RealmKey:
    key = next((k for k in await current_keys(repos, realm, now) if k.id == id), None)
    if key is None:
        raise NotFound("Could not find component")
    return key


@router.get(BASE)
async def list_components(
    realm: str,
    a: Admin = Depends(admin),
    parent: str | None = None,
    component_type: str | None = Query(None, alias="type"),
    name: str | None = None,
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        keys = await current_keys(repos, loaded, a.now)
    if (component_type not in (None, PROVIDER_TYPE)) or parent not in (None, loaded.id):
        return []
    return [
        component_representation(k)
        for k in sorted(keys, key=lambda k: (k.name or k.provider, k.created, k.id))
        if name is None or (k.name or k.provider) == name
    ]


@router.post(BASE, status_code=201)
async def create_component(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        try:
            key = key_from_representation(body, loaded, a.now)
        except KeyProviderError as exc:
            raise BadRequest(str(exc)) from None
        await repos.keys.add(key)  # a given id that exists is a 409, as in Keycloak
    return Response(status_code=201, headers={"Location": a.location(key.id)})


@router.get(BASE + "/{id}")
async def get_component(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        return component_representation(await _component(repos, loaded, id, a.now))


@router.put(BASE + "/{id}", status_code=204)
async def update_component(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """Priority, active, enabled and name change in place; see `update_key_provider`."""
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        key = await _component(repos, loaded, id, a.now)
        try:
            updated = update_key_provider(key, body, loaded)
        except KeyProviderError as exc:
            raise BadRequest(str(exc)) from None
        await repos.keys.update(updated)
    return Response(status_code=204)


@router.delete(BASE + "/{id}", status_code=204)
async def delete_component(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        await _component(repos, loaded, id, a.now)
        await repos.keys.delete(id)
    return Response(status_code=204)

"""/realms/{realm}/identity-provider: none yet, in Keycloak's shapes.

Ostium has no identity brokering, so a realm has no identity provider instances and no
provider types: the list is empty and a lookup is a 404, which is what Terraform's
provider and python-keycloak expect of a realm that has none. Reading needs
`view-identity-providers` (or `manage-identity-providers`), as in Keycloak's
IdentityProvidersResource.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends

from ostium.admin.context import Admin, admin
from ostium.admin.errors import NotFound

__all__ = ["router"]

router = APIRouter(tags=["Identity Providers"])

BASE = "/realms/{realm}/identity-provider"


@router.get(BASE + "/instances")
async def list_instances(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        await a.realm(repos, realm, "view-identity-providers")
    return []


@router.get(BASE + "/instances/{alias}")
async def get_instance(realm: str, alias: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        await a.realm(repos, realm, "view-identity-providers")
    raise NotFound("Could not find identity provider")


@router.get(BASE + "/providers/{provider_id}")
async def get_provider_type(
    realm: str, provider_id: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    async with a.transaction() as repos:
        await a.realm(repos, realm, "view-identity-providers")
    raise NotFound("Could not find identity provider factory")

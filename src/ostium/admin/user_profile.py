"""/admin/realms/{realm}/users/profile: the realm's declarative user profile (Keycloak's
UserProfileResource).

`GET` answers the UPConfig (the built-in default for a realm that stored none), `PUT`
checks and stores one and answers it in canonical form, `GET .../metadata` answers the
UserProfileMetadata the admin console builds its user form from. Reading takes one of
`view-users`, `query-users` or `view-realm` (or their `manage-` roles), as Keycloak 26
answers; writing takes `manage-realm`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse

from ostium.admin.context import Admin, admin, json_body
from ostium.admin.errors import BadRequest, Forbidden
from ostium.domain import Realm
from ostium.domain.user_profile import ProfileConfigError, metadata
from ostium.services.user_profile import profile_config, profile_rules, store_profile_config
from ostium.storage.interfaces import Repositories

__all__ = ["router"]

router = APIRouter(tags=["Users"])
BASE = "/realms/{realm}/users/profile"
_READ_ROLES = ("view-users", "query-users", "view-realm")


async def _readable_realm(a: Admin, repos: Repositories, realm: str) -> Realm:
    for role in _READ_ROLES:
        try:
            return await a.realm(repos, realm, role)
        except Forbidden:
            continue
    raise Forbidden("HTTP 403 Forbidden")


@router.get(BASE)
async def get_profile(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        return profile_config(await _readable_realm(a, repos, realm))


@router.get(BASE + "/metadata")
async def get_profile_metadata(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        return metadata(profile_rules(await _readable_realm(a, repos, realm)))


@router.put(BASE)
async def update_profile(realm: str, request: Request, a: Admin = Depends(admin)) -> JSONResponse:
    """A profile with problems is a 400 listing them all, and nothing is stored."""
    body = await json_body(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        try:
            stored = await store_profile_config(repos, loaded, body)
        except ProfileConfigError as exc:
            raise BadRequest(str(exc)) from None
    return JSONResponse(stored)

"""/realms/{realm}/attack-detection/brute-force: read and clear users' login failures."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ostium.admin.context import Admin, admin
from ostium.domain.brute_force import is_locked

__all__ = ["router"]

router = APIRouter(tags=["Attack Detection"])
BASE = "/realms/{realm}/attack-detection/brute-force/users"


@router.get(BASE + "/{user_id}")
async def user_status(realm: str, user_id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    """Keycloak's answer: `disabled` means locked out now, by brute-force detection."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        await a.user(repos, loaded, user_id)
    failure = (
        await a.runtime.login_failures.get(loaded.id, user_id)
        if loaded.brute_force_protected
        else None
    )
    if failure is None:
        return {"numFailures": 0, "disabled": False, "lastIPFailure": "n/a", "lastFailure": 0}
    return {
        "numFailures": failure.num_failures,
        "disabled": is_locked(failure, a.now),
        "lastIPFailure": failure.last_ip_failure or "n/a",
        "lastFailure": failure.last_failure_ms,
    }


@router.delete(BASE + "/{user_id}", status_code=204)
async def clear_user(realm: str, user_id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
    await a.runtime.login_failures.clear(loaded.id, user_id)
    return Response(status_code=204)


@router.delete(BASE, status_code=204)
async def clear_all(realm: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
    await a.runtime.login_failures.clear_realm(loaded.id)
    return Response(status_code=204)

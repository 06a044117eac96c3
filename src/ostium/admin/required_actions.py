"""/admin/realms/{realm}/authentication/required-actions…: the realm's required-action
providers, as Keycloak's AuthenticationManagementResource serves them beside the flows.

Reading needs `view-realm`, changing `manage-realm`, as the flows API. Each change loads
the realm, applies one rule of services/required_actions.py and stores the realm in the
same transaction: a refused change writes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, admin, json_object
from ostium.admin.errors import BadRequest, NotFound
from ostium.domain import Realm
from ostium.domain.required_actions import DEFAULT_MAX_AUTH_AGE, MAX_AUTH_AGE, ordered
from ostium.services import required_actions as actions
from ostium.services.required_actions import RequiredActionError, RequiredActionNotFound

__all__ = ["router"]

router = APIRouter(tags=["Authentication Management"])
BASE = "/realms/{realm}/authentication"


@asynccontextmanager
async def _realm(a: Admin, name: str, role: str, *, write: bool = False) -> AsyncIterator[Realm]:
    try:
        async with a.realm_settings(name, role, write=write) as loaded:
            yield loaded
    except RequiredActionNotFound as exc:
        raise NotFound(str(exc)) from None
    except RequiredActionError as exc:
        raise BadRequest(str(exc)) from None


@router.get(BASE + "/required-actions")
async def list_required_actions(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with _realm(a, realm, "view-realm") as loaded:
        return [actions.representation(r) for r in ordered(loaded.required_actions)]


@router.get(BASE + "/unregistered-required-actions")
async def unregistered_required_actions(
    realm: str, a: Admin = Depends(admin)
) -> list[dict[str, str]]:
    async with _realm(a, realm, "view-realm") as loaded:
        return actions.unregistered(loaded)


@router.post(BASE + "/register-required-action", status_code=204)
async def register_required_action(
    realm: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """`{"providerId", "name"}`: 204, the new action enabled and last."""
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        actions.register_action(loaded, body)
    return Response(status_code=204)


@router.get(BASE + "/required-actions/{alias}")
async def get_required_action(realm: str, alias: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with _realm(a, realm, "view-realm") as loaded:
        return actions.representation(actions.find(loaded, alias))


@router.put(BASE + "/required-actions/{alias}", status_code=204)
async def update_required_action(
    realm: str, alias: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        actions.update_action(loaded, alias, body)
    return Response(status_code=204)


@router.delete(BASE + "/required-actions/{alias}", status_code=204)
async def delete_required_action(realm: str, alias: str, a: Admin = Depends(admin)) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        actions.delete_action(loaded, alias)
    return Response(status_code=204)


@router.post(BASE + "/required-actions/{alias}/raise-priority", status_code=204)
async def raise_required_action_priority(
    realm: str, alias: str, a: Admin = Depends(admin)
) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        actions.move_action(loaded, alias, up=True)
    return Response(status_code=204)


@router.post(BASE + "/required-actions/{alias}/lower-priority", status_code=204)
async def lower_required_action_priority(
    realm: str, alias: str, a: Admin = Depends(admin)
) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        actions.move_action(loaded, alias, up=False)
    return Response(status_code=204)


@router.get(BASE + "/required-actions/{alias}/config-description")
async def required_action_config_description(
    realm: str, alias: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    """RequiredActionConfigInfoRepresentation: Keycloak 26's actions that change
    credentials have one setting, the maximum age of the sign-in."""
    async with _realm(a, realm, "view-realm") as loaded:
        try:
            actions.configurable(
                loaded, alias, "Could not find configurable RequiredAction provider"
            )
        except RequiredActionError as exc:
            raise NotFound(str(exc)) from None
        return {
            "properties": [
                {
                    "name": MAX_AUTH_AGE,
                    "label": "Maximum Age of Authentication",
                    "helpText": "How long (in seconds) a sign-in stays recent enough for this"
                    " action to run without signing in again, when an application asks for it.",
                    "type": "String",
                    "defaultValue": str(DEFAULT_MAX_AUTH_AGE),
                    "options": [],
                    "readOnly": False,
                    "secret": False,
                    "required": False,
                }
            ]
        }


@router.get(BASE + "/required-actions/{alias}/config")
async def get_required_action_config(
    realm: str, alias: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    async with _realm(a, realm, "view-realm") as loaded:
        action = actions.configurable(loaded, alias, "RequiredAction is not configurable")
        return {"config": dict(action.config)}


@router.put(BASE + "/required-actions/{alias}/config", status_code=204)
async def update_required_action_config(
    realm: str, alias: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        actions.update_config(loaded, alias, body)
    return Response(status_code=204)


@router.delete(BASE + "/required-actions/{alias}/config", status_code=204)
async def delete_required_action_config(
    realm: str, alias: str, a: Admin = Depends(admin)
) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        actions.update_config(loaded, alias, None)
    return Response(status_code=204)

"""/admin/realms/{realm}/authentication: the realm's authentication flows, their
executions and authenticator configs, and the catalogue of authenticators, as Keycloak's
AuthenticationManagementResource serves them (the required actions are in
admin/required_actions.py).

Reading needs `view-realm`, changing `manage-realm` (Keycloak also asks `manage-realm`
for `GET executions/{id}`). Each change loads the realm, applies one rule of
services/authentication_flows.py and stores the realm in the same transaction: a refused
change writes nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ostium.admin.context import Admin, admin, json_object
from ostium.admin.errors import AdminError, BadRequest, Conflict, NotFound
from ostium.admin.representations import (
    authenticator_config_representation,
    execution_info_representations,
    execution_representation,
    flow_representation,
)
from ostium.domain import Realm
from ostium.domain.authentication_flows import AuthenticationFlow
from ostium.domain.authenticators import PROVIDERS, ProviderKind, provider
from ostium.services import authentication_flows as flows
from ostium.services.authentication_flows import FlowConflict, FlowError, FlowNotFound

__all__ = ["router"]

router = APIRouter(tags=["Authentication Management"])
BASE = "/realms/{realm}/authentication"


def _admin_error(error: FlowError) -> AdminError:
    if isinstance(error, FlowNotFound):
        return NotFound(str(error))
    if isinstance(error, FlowConflict):
        return Conflict(str(error))
    return BadRequest(str(error))


@asynccontextmanager
async def _realm(a: Admin, name: str, role: str, *, write: bool = False) -> AsyncIterator[Realm]:
    """The realm, checked for `role`; stored again afterwards when `write`."""
    try:
        async with a.realm_settings(name, role, write=write) as loaded:
            yield loaded
    except FlowError as exc:
        raise _admin_error(exc) from None


def _flow_by_id(realm: Realm, flow_id: str, message: str) -> AuthenticationFlow:
    flow = realm.flow_by_id(flow_id)
    if flow is None:
        raise FlowNotFound(message)
    return flow


def _flow_by_alias(
    realm: Realm, alias: str, error: type[FlowError] = FlowNotFound
) -> AuthenticationFlow:
    flow = realm.flow(alias)
    if flow is None:
        raise error("Flow not found" if error is FlowNotFound else "Parent flow doesn't exist")
    return flow


# --- the catalogue -------------------------------------------------------------------------


def _providers(kind: ProviderKind) -> list[dict[str, object]]:
    return [p.metadata() for p in sorted(PROVIDERS.values(), key=lambda p: p.id) if p.kind is kind]


@router.get(BASE + "/authenticator-providers")
async def authenticator_providers(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with _realm(a, realm, "view-realm"):
        return _providers(ProviderKind.AUTHENTICATOR)


@router.get(BASE + "/client-authenticator-providers")
async def client_authenticator_providers(
    realm: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with _realm(a, realm, "view-realm"):
        return _providers(ProviderKind.CLIENT)


@router.get(BASE + "/form-action-providers")
async def form_action_providers(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with _realm(a, realm, "view-realm"):
        return _providers(ProviderKind.FORM_ACTION)


@router.get(BASE + "/form-providers")
async def form_providers(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with _realm(a, realm, "view-realm"):
        return _providers(ProviderKind.FORM)


@router.get(BASE + "/config-description/{providerId}")
async def config_description(
    realm: str, providerId: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    """Keycloak's AuthenticatorConfigInfoRepresentation: what a config of the provider
    holds (an empty list for a provider without one)."""
    async with _realm(a, realm, "view-realm"):
        found = provider(providerId)
        if found is None:
            raise FlowNotFound("Could not find authenticator provider")
        return {
            "name": found.display_name,
            "providerId": found.id,
            "helpText": found.description,
            "properties": [p.representation() for p in found.properties],
        }


@router.get(BASE + "/per-client-config-description")
async def per_client_config_description(
    realm: str, a: Admin = Depends(admin)
) -> dict[str, list[dict[str, Any]]]:
    """Settings each client authenticator keeps on the client: none here."""
    async with _realm(a, realm, "view-realm"):
        return {p.id: [] for p in PROVIDERS.values() if p.kind is ProviderKind.CLIENT}


# --- flows ---------------------------------------------------------------------------------


@router.get(BASE + "/flows")
async def list_flows(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    """The top-level flows; sub-flows show in their parents' executions."""
    async with _realm(a, realm, "view-realm") as loaded:
        return [flow_representation(loaded, f) for f in loaded.authentication_flows if f.top_level]


@router.post(BASE + "/flows", status_code=201)
async def create_flow(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    body = await json_object(request)
    top_level = body.get("topLevel", False)
    if not isinstance(top_level, bool):
        raise BadRequest("topLevel: expected true or false")
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flow = flows.create_flow(
            loaded, body.get("alias"), body.get("description"), body.get("providerId"), top_level
        )
    return Response(status_code=201, headers={"Location": a.location(flow.id)})


@router.get(BASE + "/flows/{id}")
async def get_flow(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with _realm(a, realm, "view-realm") as loaded:
        return flow_representation(loaded, _flow_by_id(loaded, id, "Could not find flow with id"))


@router.put(BASE + "/flows/{id}", status_code=202)
async def update_flow(realm: str, id: str, request: Request, a: Admin = Depends(admin)) -> Response:
    """Keycloak's updateFlow: the alias and description; 202 with the flow."""
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flow = _flow_by_id(loaded, id, "Could not find flow with id")
        flows.rename_flow(loaded, flow, body.get("alias"), body.get("description"))
        answer = flow_representation(loaded, flow)
    return JSONResponse(answer, status_code=202)


@router.delete(BASE + "/flows/{id}", status_code=204)
async def delete_flow(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flows.delete_flow(loaded, _flow_by_id(loaded, id, "Flow not found"))
    return Response(status_code=204)


@router.post(BASE + "/flows/{flowAlias}/copy", status_code=201)
async def copy_flow(
    realm: str, flowAlias: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """Keycloak's copy: `{"newName": …}`; the copy and its sub-flows are never built in."""
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        source = _flow_by_alias(loaded, flowAlias)
        copy = flows.copy_flow(loaded, source, body.get("newName"))
    location = a.location().rsplit("/flows/", 1)[0] + f"/flows/{copy.id}"
    return Response(status_code=201, headers={"Location": location})


# --- executions ----------------------------------------------------------------------------


@router.get(BASE + "/flows/{flowAlias}/executions")
async def list_executions(
    realm: str, flowAlias: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with _realm(a, realm, "view-realm") as loaded:
        return execution_info_representations(loaded, _flow_by_alias(loaded, flowAlias))


@router.put(BASE + "/flows/{flowAlias}/executions", status_code=202)
async def update_executions(
    realm: str, flowAlias: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """Keycloak's updateExecutions: one execution's requirement (or priority, or its
    sub-flow's alias and description); 202 with the flow."""
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flow = _flow_by_alias(loaded, flowAlias)
        flows.update_execution(loaded, body)
        answer = flow_representation(loaded, flow)
    return JSONResponse(answer, status_code=202)


def _executions_location(a: Admin, execution_or_flow: str, new_id: str) -> str:
    """…/authentication/{executions|flows}/{id}, from …/flows/{alias}/executions/…"""
    base = a.location().rsplit("/flows/", 1)[0]
    return f"{base}/{execution_or_flow}/{new_id}"


@router.post(BASE + "/flows/{flowAlias}/executions/execution", status_code=201)
async def add_execution(
    realm: str, flowAlias: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        parent = _flow_by_alias(loaded, flowAlias, FlowError)
        step = flows.add_execution(loaded, parent, body.get("provider"))
    return Response(
        status_code=201, headers={"Location": _executions_location(a, "executions", step.id)}
    )


@router.post(BASE + "/flows/{flowAlias}/executions/flow", status_code=201)
async def add_sub_flow(
    realm: str, flowAlias: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        parent = _flow_by_alias(loaded, flowAlias, FlowError)
        sub = flows.add_sub_flow(loaded, parent, body)
    return Response(status_code=201, headers={"Location": _executions_location(a, "flows", sub.id)})


@router.get(BASE + "/executions/{executionId}")
async def get_execution(realm: str, executionId: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with _realm(a, realm, "manage-realm") as loaded:
        parent, step = flows.parent_of(loaded, executionId)
        return execution_representation(parent, step)


@router.delete(BASE + "/executions/{executionId}", status_code=204)
async def delete_execution(realm: str, executionId: str, a: Admin = Depends(admin)) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flows.delete_execution(loaded, executionId)
    return Response(status_code=204)


@router.post(BASE + "/executions/{executionId}/raise-priority", status_code=204)
async def raise_priority(realm: str, executionId: str, a: Admin = Depends(admin)) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flows.move_execution(loaded, executionId, up=True)
    return Response(status_code=204)


@router.post(BASE + "/executions/{executionId}/lower-priority", status_code=204)
async def lower_priority(realm: str, executionId: str, a: Admin = Depends(admin)) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flows.move_execution(loaded, executionId, up=False)
    return Response(status_code=204)


# --- authenticator configs -----------------------------------------------------------------


@router.post(BASE + "/executions/{executionId}/config", status_code=201)
async def add_config(
    realm: str, executionId: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    """Keycloak's newExecutionConfig: 201, Location …/executions/{id}/config/{configId}."""
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        config = flows.add_config(loaded, executionId, body)
    return Response(status_code=201, headers={"Location": a.location(config.id)})


def _config(realm: Realm, config_id: str) -> dict[str, Any]:
    config = realm.config_by_id(config_id)
    if config is None:
        raise FlowNotFound("Could not find authenticator config")
    return authenticator_config_representation(config)


@router.get(BASE + "/executions/{executionId}/config/{id}")
async def get_execution_config(
    realm: str, executionId: str, id: str, a: Admin = Depends(admin)
) -> dict[str, Any]:
    """Deprecated in Keycloak in favour of `GET config/{id}`, still served."""
    async with _realm(a, realm, "view-realm") as loaded:
        return _config(loaded, id)


@router.get(BASE + "/config/{id}")
async def get_config(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with _realm(a, realm, "view-realm") as loaded:
        return _config(loaded, id)


@router.put(BASE + "/config/{id}", status_code=204)
async def update_config(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flows.update_config(loaded, id, body)
    return Response(status_code=204)


@router.delete(BASE + "/config/{id}", status_code=204)
async def delete_config(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    async with _realm(a, realm, "manage-realm", write=True) as loaded:
        flows.delete_config(loaded, id)
    return Response(status_code=204)

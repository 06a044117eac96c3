"""/realms: list, create (a full import), get, partial update, delete, partial export
and partial import."""

from __future__ import annotations

from functools import partial
from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ostium.admin.context import Admin, admin, json_object
from ostium.admin.errors import BadRequest, Conflict, Forbidden
from ostium.admin.export import export_realm, user_json
from ostium.admin.partial_import import partial_import
from ostium.admin.representations import realm_representation
from ostium.admin.warning_headers import add_warnings
from ostium.domain import Realm
from ostium.domain.identifiers import realm_name_problem
from ostium.domain.smtp import masked
from ostium.keys.providers import SECRET_VALUE
from ostium.services.realm_import import apply_realm, parse_realm
from ostium.services.realm_setup import write_bundle
from ostium.storage.interfaces import Repositories

__all__ = ["router"]

router = APIRouter(tags=["Realms Admin"])


@router.get("/realms")
async def list_realms(
    briefRepresentation: bool = False, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    """Keycloak's RealmsAdminResource.getRealms: the realms the caller may view, in full
    (or brief); a realm where the caller holds only other admin roles by its name alone;
    none at all is a 403, so a user without admin roles learns no realm's settings."""
    async with a.transaction() as repos:
        realms = await repos.realms.list_all()
    listed = []
    for realm in realms:
        if a.principal.can_view_realm(realm.name):
            listed.append(_brief(realm) if briefRepresentation else realm_representation(realm))
        elif a.principal.is_admin_of(realm.name):
            listed.append({"realm": realm.name})
    if not listed:
        raise Forbidden("HTTP 403 Forbidden")
    return listed


def _brief(realm: Realm) -> dict[str, Any]:
    """ModelToRepresentation.toBriefRepresentation of a realm."""
    return {
        "id": realm.id,
        "realm": realm.name,
        "displayName": realm.display_name,
        "enabled": realm.enabled,
    }


@router.post("/realms", status_code=201)
async def create_realm(request: Request, a: Admin = Depends(admin)) -> Response:
    """Nested clients, roles, groups and users are imported as a realm file would be.
    What the body holds that Ostium cannot import yet comes back as `Warning` headers
    (admin/warning_headers.py): Keycloak's answer has no body to carry it."""
    a.principal.require_superuser()
    body = await json_object(request)
    async with a.transaction() as repos:  # a bad body is a 400 from here, not a 500
        # Plain passwords in the body are hashed in the pool, off the event loop.
        bundle = await a.runtime.hashing.run(partial(parse_realm, body, now=a.now, env=None))
        if await repos.realms.get_by_name(bundle.realm.name) is not None:
            raise Conflict(f"Realm {bundle.realm.name} already exists")
        await write_bundle(repos, bundle)
    response = Response(status_code=201, headers={"Location": a.location(bundle.realm.name)})
    add_warnings(response.headers, bundle.warnings)
    return response


@router.get("/realms/{realm}")
async def get_realm(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        return realm_representation(await a.realm(repos, realm, "view-realm"))


@router.put("/realms/{realm}", status_code=204)
async def update_realm(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    """Only the fields the body names change, as in Keycloak."""
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        if "realm" in body and body["realm"] != loaded.name:
            problem = realm_name_problem(body["realm"])
            if problem is not None:
                raise BadRequest(problem)
            loaded.name = body["realm"]
        apply_realm(loaded, body)
        await repos.realms.update(loaded)
    return Response(status_code=204)


@router.delete("/realms/{realm}", status_code=204)
async def delete_realm(realm: str, a: Admin = Depends(admin)) -> Response:
    a.principal.require_superuser()
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        if loaded.name == "master":
            return JSONResponse(
                {"errorMessage": "The master realm cannot be deleted"}, status_code=400
            )
        await repos.realms.delete(loaded.id)
    a.invalidate_keys(loaded)
    return Response(status_code=204)


def _flag(request: Request, name: str) -> bool:
    """A JAX-RS Boolean query parameter: absent is false; anything but true/false (in any
    case) is refused rather than read as false."""
    raw = request.query_params.get(name)
    if raw is None or raw.lower() == "false":
        return False
    if raw.lower() == "true":
        return True
    raise BadRequest(f"Invalid parameter: {name}")


@router.post("/realms/{realm}/partial-export")
async def partial_export(realm: str, request: Request, a: Admin = Depends(admin)) -> dict[str, Any]:
    """Keycloak's RealmResource.partialExport: the realm's settings and client scopes, plus
    clients and/or groups and roles when asked; never key material or people: the only
    users are the exported clients' service accounts (their roles only with the roles), as
    Keycloak exports them, and client secrets are masked as `stripForExport` masks them."""
    export_clients = _flag(request, "exportClients")
    export_groups_and_roles = _flag(request, "exportGroupsAndRoles")
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        if export_clients:
            a.principal.require(loaded.name, "view-clients")
        if export_groups_and_roles:
            a.principal.require(loaded.name, "query-groups")
        body = await export_realm(repos, loaded, include_users=False)
        body["smtpServer"] = masked(loaded.smtp_server)
        if export_clients:
            body["users"] = await _service_accounts(repos, loaded, export_groups_and_roles)
    if not export_clients:
        body.pop("clients", None)
    else:
        for client in body["clients"]:
            if client.get("secret"):
                client["secret"] = SECRET_VALUE
            if "client.secret.rotated" in client.get("attributes", {}):
                client["attributes"]["client.secret.rotated"] = SECRET_VALUE
    if not export_groups_and_roles:
        body.pop("roles", None)
        body.pop("groups", None)
    return body


@router.post("/realms/{realm}/partialImport")
async def partial_import_realm(
    realm: str, request: Request, response: Response, a: Admin = Depends(admin)
) -> dict[str, Any]:
    """Keycloak's RealmResource.partialImport, needing `manage-realm`; the answer is a
    PartialImportResults. See admin/partial_import.py for the rules. Its `warnings`, when
    there are any, also go out as `Warning` headers, as for POST /admin/realms."""
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        results = await partial_import(repos, loaded, body, now=a.now, hashing=a.runtime.hashing)
    add_warnings(response.headers, results.get("warnings", []))
    return results


async def _service_accounts(
    repos: Repositories, realm: Realm, with_roles: bool
) -> list[dict[str, Any]]:
    clients = await repos.clients.list_all(realm.id)
    client_ids = {c.id: c.client_id for c in clients}
    groups = {g.id: g for g in await repos.groups.list_all(realm.id)}
    accounts = [
        u for c in clients if (u := await repos.users.get_service_account(c.id)) is not None
    ]
    result = []
    for account in sorted(accounts, key=lambda u: u.username):
        body = await user_json(repos, account, client_ids, groups)
        body.pop("credentials", None)
        if not with_roles:
            for key in ("realmRoles", "clientRoles", "groups"):
                body.pop(key, None)
        result.append(body)
    return result

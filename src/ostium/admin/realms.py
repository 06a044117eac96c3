"""/realms: list, create (a full import), get, partial update, delete."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse, Response

from ostium.admin.context import Admin, admin, json_body, require_object
from ostium.admin.errors import Conflict
from ostium.admin.representations import realm_representation
from ostium.services.realm_import import apply_realm, parse_realm
from ostium.services.realm_setup import write_bundle

__all__ = ["router"]

router = APIRouter(tags=["Realms Admin"])


@router.get("/realms")
async def list_realms(a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        realms = await repos.realms.list_all()
    visible = [r for r in realms if a.principal.superuser or r.name == a.principal.realm.name]
    return [realm_representation(r) for r in visible]


@router.post("/realms", status_code=201)
async def create_realm(request: Request, a: Admin = Depends(admin)) -> Response:
    """Nested clients, roles, groups and users are imported as a realm file would be."""
    a.principal.require_superuser()
    body = require_object(await json_body(request))
    async with a.transaction() as repos:  # a bad body is a 400 from here, not a 500
        bundle = parse_realm(body, now=a.now, env=None)
        if await repos.realms.get_by_name(bundle.realm.name) is not None:
            raise Conflict(f"Realm {bundle.realm.name} already exists")
        await write_bundle(repos, bundle)
    return Response(status_code=201, headers={"Location": a.location(bundle.realm.name)})


@router.get("/realms/{realm}")
async def get_realm(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        return realm_representation(await a.realm(repos, realm, "view-realm"))


@router.put("/realms/{realm}", status_code=204)
async def update_realm(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    """Only the fields the body names change, as in Keycloak."""
    body = require_object(await json_body(request))
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        if "realm" in body and body["realm"] != loaded.name:
            if not isinstance(body["realm"], str) or not body["realm"] or "/" in body["realm"]:
                return JSONResponse({"errorMessage": "Invalid realm name"}, status_code=400)
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

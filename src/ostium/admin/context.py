"""Per-request plumbing shared by the admin resources."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, TypeVar
from urllib.parse import quote

from fastapi import Request

from ostium.admin.auth import AdminPrincipal, authenticate_admin
from ostium.admin.errors import BadRequest, Conflict, NotFound
from ostium.domain import Client, Realm, User
from ostium.services.realm_import import RealmImportError
from ostium.storage.interfaces import DuplicateError, Repositories
from ostium.web.runtime import Runtime

T = TypeVar("T")

__all__ = ["Admin", "admin", "json_body", "page_of", "paging", "require_object"]


class Admin:
    """The authenticated caller plus the server's runtime, for one admin request."""

    def __init__(self, runtime: Runtime, principal: AdminPrincipal, request: Request) -> None:
        self.runtime = runtime
        self.principal = principal
        self.request = request

    @property
    def now(self) -> int:
        return self.runtime.clock.now()

    def location(self, *parts: str) -> str:
        """The created object's URL; each part is one percent-encoded path segment, as
        Keycloak's UriBuilder writes it, so any name fits into the header."""
        base = self.runtime.base_url(self.request)
        segments = [quote(part, safe="") for part in parts]
        return "/".join([f"{base}{self.request.url.path.rstrip('/')}", *segments])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """Storage and input errors become Keycloak's 400/409 answers; the transaction
        rolls back, so nothing is half-written."""
        try:
            async with self.runtime.storage.transaction() as repos:
                yield repos
        except DuplicateError:
            raise Conflict("Conflict detected. See logs for details") from None
        except RealmImportError as exc:
            raise BadRequest(str(exc)) from None

    async def realm(self, repos: Repositories, name: str, role: str) -> Realm:
        self.principal.require(name, role)
        realm = await repos.realms.get_by_name(name)
        if realm is None:
            raise NotFound("Realm not found.")
        return realm

    async def client(self, repos: Repositories, realm: Realm, id: str) -> Client:
        client = await repos.clients.get(realm.id, id)
        if client is None:
            raise NotFound("Could not find client")
        return client

    async def user(self, repos: Repositories, realm: Realm, id: str) -> User:
        user = await repos.users.get(realm.id, id)
        if user is None:
            raise NotFound("User not found")
        return user

    def invalidate_keys(self, realm: Realm) -> None:
        self.runtime.keys.invalidate(realm.id)


async def admin(request: Request) -> Admin:
    runtime: Runtime = request.app.state.runtime
    return Admin(runtime, await authenticate_admin(runtime, request), request)


async def json_body(request: Request) -> Any:
    """The JSON body, or 400 with Keycloak's `errorMessage` (never FastAPI's 422)."""
    raw = await request.body()
    if len(raw) > 10 * 1024 * 1024:
        raise BadRequest("Request body too large")
    try:
        return json.loads(raw or b"null")
    except (ValueError, UnicodeDecodeError):
        raise BadRequest("Invalid JSON body") from None


def require_object(body: Any) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise BadRequest("Expected a JSON object")
    return body


def paging(first: int, max: int) -> dict[str, Any]:
    """Keycloak's `first`/`max` query parameters as storage keywords: a negative `first`
    starts at the beginning, a negative `max` means no limit."""
    return {"first": first if first > 0 else 0, "max": max if max >= 0 else None}


def page_of(items: list[T], first: int, max: int) -> list[T]:
    """`paging` applied to a list already in memory."""
    page = paging(first, max)
    rest = items[page["first"] :]
    return rest if page["max"] is None else rest[: page["max"]]

"""Per-request plumbing shared by the admin resources."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any, TypeVar
from urllib.parse import quote

from fastapi import Query, Request

from ostium.admin.auth import AdminPrincipal, authenticate_admin
from ostium.admin.errors import BadRequest, Conflict, NotFound, PasswordPolicyRefused
from ostium.domain import Client, Realm, User
from ostium.domain.identifiers import bad_identifier, has_control_character
from ostium.json_input import JsonInputError, loads
from ostium.services.password_policy import PasswordPolicyError
from ostium.services.realm_import import PasswordPolicyNotMetError, RealmImportError
from ostium.storage.interfaces import DuplicateError, Repositories
from ostium.web.runtime import Runtime

T = TypeVar("T")
_log = logging.getLogger("ostium.admin")

__all__ = [
    "Admin",
    "Int32",
    "admin",
    "json_body",
    "page_of",
    "paging",
    "reject_control_characters",
    "require_object",
]

# Keycloak's integer query parameters (`first`, `max`, `lifespan`, …) are Java Integers:
# a value outside that range is malformed input, a 400, not a number to hand to SQL.
Int32 = Annotated[int, Query(ge=-(2**31), le=2**31 - 1)]


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
        return "/".join([f"{base}{self.runtime.route_path(self.request).rstrip('/')}", *segments])

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Repositories]:
        """Storage and input errors become Keycloak's 400/409 answers; the transaction
        rolls back, so nothing is half-written."""
        try:
            async with self.runtime.storage.transaction() as repos:
                yield repos
        except DuplicateError:
            raise Conflict("Conflict detected. See logs for details") from None
        except PasswordPolicyError as exc:
            raise PasswordPolicyRefused(exc.violation.key, exc.violation.text) from None
        except PasswordPolicyNotMetError as exc:
            # Keycloak's realm import and partial import: the details go to the log only.
            _log.warning("Import refused: %s", exc)
            raise BadRequest("Password policy not met. See logs for details") from None
        except RealmImportError as exc:
            raise BadRequest(str(exc)) from None

    @asynccontextmanager
    async def realm_settings(
        self, name: str, role: str, *, write: bool = False
    ) -> AsyncIterator[Realm]:
        """The realm in a transaction of its own, checked for `role`, and stored again
        when `write` — for the resources kept inside the realm (flows, required actions,
        localization texts)."""
        async with self.transaction() as repos:
            loaded = await self.realm(repos, name, role)
            yield loaded
            if write:
                await repos.realms.update(loaded)

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
    """The JSON body, or 400 with Keycloak's `errorMessage` (never FastAPI's 422 or a 500):
    strict UTF-8, bounded nesting, no unpaired surrogates (see `ostium.json_input`), and
    no id or name holding a control character, whichever endpoint it goes to."""
    raw = await request.body()
    if len(raw) > 10 * 1024 * 1024:
        raise BadRequest("Request body too large")
    try:
        body = loads(raw or b"null")
    except JsonInputError as exc:
        raise BadRequest(f"Invalid JSON body ({exc})") from None
    where = bad_identifier(body)
    if where is not None:
        raise BadRequest(f"{where}: control characters are not allowed in ids and names")
    return body


def reject_control_characters(request: Request) -> None:
    """No path or query parameter holds a control character: none can name a stored id
    or name (see `json_body`), and PostgreSQL refuses a NUL even in a lookup."""
    for name, value in [*request.path_params.items(), *request.query_params.multi_items()]:
        if isinstance(value, str) and has_control_character(value):
            raise BadRequest(f"Invalid parameter: {name}")


async def json_object(request: Request) -> dict[str, Any]:
    """The body as a JSON object (`json_body`'s checks), else 400."""
    return require_object(await json_body(request))


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

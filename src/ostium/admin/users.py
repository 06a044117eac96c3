"""/realms/{realm}/users: CRUD, search, count, passwords, role mappings, groups,
sessions."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Depends, Path, Request
from fastapi.responses import Response

from ostium.admin.context import Admin, Int32, admin, json_body, json_object, paging
from ostium.admin.errors import BadRequest, Conflict, NotFound
from ostium.admin.representations import (
    group_representation,
    role_representation,
    user_representation,
)
from ostium.admin.role_refs import roles_named
from ostium.admin.search_query import InvalidSearchQueryError, parse_search_query
from ostium.admin.sessions import session_representations
from ostium.domain import PASSWORD, Realm, User
from ostium.domain.required_actions import UPDATE_PASSWORD
from ostium.services.groups import group_path
from ostium.services.logout import end_sessions
from ostium.services.password_policy import set_password
from ostium.services.realm_import import parse_credential
from ostium.services.realm_setup import new_id
from ostium.services.required_actions import add_default_actions, complete_action
from ostium.services.user_profile import apply_profile
from ostium.storage.interfaces import Repositories, UserFilter

__all__ = ["router"]

router = APIRouter(tags=["Users"])
BASE = "/realms/{realm}/users"


async def _check_email(repos: Repositories, realm: Realm, user: User) -> None:
    if user.email and not realm.duplicate_emails_allowed:
        others = [
            u for u in await repos.users.get_by_email(realm.id, user.email) if u.id != user.id
        ]
        if others:
            raise Conflict("User exists with same email")


@dataclass(frozen=True)
class UserFilters:
    """Keycloak's user search parameters (UsersResource.getUsers), shared by the search
    and its count, read in Keycloak's order:

    1. `search` (a substring of username, email, first or last name; `*` lists all) with
       `enabled`; Keycloak ignores the other filters then, and so does Ostium;
    2. otherwise any of `username`, `email`, `firstName`, `lastName`, `emailVerified`,
       `enabled`, `idpAlias`, `idpUserId`, `exact` or a `q` with at least one pair:
       all of them must hold, and service accounts are listed too, as in Keycloak;
    3. otherwise every user but the service accounts.

    `q` is `key:value` pairs of user attributes (see admin/search_query.py); a `q`
    without a single pair filters nothing, as in Keycloak. `idpAlias`/`idpUserId` filter
    on identity-provider links: Ostium has no identity brokering yet, so no user has one
    and such a filter matches nobody.
    """

    search: str | None = None
    username: str | None = None
    email: str | None = None
    firstName: str | None = None
    lastName: str | None = None
    exact: bool | None = None
    enabled: bool | None = None
    emailVerified: bool | None = None
    idpAlias: str | None = None
    idpUserId: str | None = None
    q: str | None = None

    @property
    def term(self) -> str | None:
        return None if self.search and self.search.strip() == "*" else self.search

    def attributes(self) -> dict[str, str]:
        if self.q is None:
            return {}
        try:
            return parse_search_query(self.q)
        except InvalidSearchQueryError as error:
            raise BadRequest(str(error)) from None

    def storage_filter(self) -> UserFilter | None:
        """The filter for storage, or None when no user can match."""
        if self.search is not None:
            return UserFilter(search=self.term.strip() if self.term else None, enabled=self.enabled)
        attributes = self.attributes()
        if self.idpAlias is not None or self.idpUserId is not None:
            return None  # no identity-provider links exist (no brokering yet)
        named = (self.username, self.email, self.firstName, self.lastName)
        flags = (self.exact, self.enabled, self.emailVerified)
        if not attributes and all(v is None for v in (*named, *flags)):
            return UserFilter()
        return UserFilter(
            username=self.username,
            email=self.email,
            first_name=self.firstName,
            last_name=self.lastName,
            exact=self.exact,
            enabled=self.enabled,
            email_verified=self.emailVerified,
            attributes=attributes,
            include_service_accounts=True,
        )


@router.get(BASE)
async def search_users(
    filters: UserFilters = Depends(),
    first: Int32 = 0,
    max: Int32 = 100,
    briefRepresentation: bool = False,
    realm: str = Path(),
    a: Admin = Depends(admin),
) -> list[dict[str, Any]]:
    """Keycloak's GET users; `briefRepresentation=true` gives ModelToRepresentation's
    brief form (no attributes, required actions or credentials summary)."""
    wanted = filters.storage_filter()
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "query-users")
        if wanted is None:
            return []
        users = await repos.users.search(loaded.id, wanted, **paging(first, max))
    return [user_representation(u, brief=briefRepresentation) for u in users]


@router.get(BASE + "/count")
async def count_users(
    filters: UserFilters = Depends(), realm: str = Path(), a: Admin = Depends(admin)
) -> int:
    """How many users the search with the same filters would list (unpaged)."""
    wanted = filters.storage_filter()
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "query-users")
        return 0 if wanted is None else await repos.users.count(loaded.id, wanted)


@router.post(BASE, status_code=201)
async def create_user(realm: str, request: Request, a: Admin = Depends(admin)) -> Response:
    body = await json_object(request)
    username = body.get("username")
    if not isinstance(username, str) or not username.strip():
        raise BadRequest("User name is missing")
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        if await repos.users.get_by_username(loaded.id, username.strip()) is not None:
            raise Conflict("User exists with same username")
        user = User(new_id(), loaded.id, username.strip().lower(), created_timestamp=a.now * 1000)
        apply_profile(loaded, user, body, new=True)
        user.created_timestamp = a.now * 1000
        # Keycloak's addUser: the realm's enabled default actions join the user's own.
        add_default_actions(loaded, user)
        await _check_email(repos, loaded, user)
        credentials = body.get("credentials") or []
        if not isinstance(credentials, list):
            raise BadRequest("credentials: expected a list")
        if any(isinstance(c, dict) and c.get("temporary") is True for c in credentials):
            # A temporary password must be changed at the first sign-in, as Keycloak.
            complete_action(user, UPDATE_PASSWORD)
            user.required_actions.append(UPDATE_PASSWORD)
        await repos.users.add(user)
        for index, raw in enumerate(credentials):
            if not isinstance(raw, dict):
                raise BadRequest(f"credentials[{index}]: expected an object")
            value = raw.get("value")
            if raw.get("type", PASSWORD) == PASSWORD and isinstance(value, str) and value:
                # A plain password meets the realm's policy or nothing is created
                # (Keycloak: 400 with the policy's message key).
                await set_password(repos, a.runtime.hashing, loaded, user, value, now=a.now)
                continue
            await repos.credentials.add(
                await a.runtime.hashing.run(
                    parse_credential, raw, user, f"credentials[{index}]", a.now
                )
            )
        default = await repos.roles.get_realm_role(loaded.id, loaded.default_role_name)
        if default is not None:
            await repos.roles.grant_to_user(user.id, [default.id])
    return Response(status_code=201, headers={"Location": a.location(user.id)})


@router.get(BASE + "/{id}")
async def get_user(realm: str, id: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        return user_representation(await a.user(repos, loaded, id))


@router.put(BASE + "/{id}", status_code=204)
async def update_user(realm: str, id: str, request: Request, a: Admin = Depends(admin)) -> Response:
    body = await json_object(request)
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        new_name = body.get("username")
        if isinstance(new_name, str) and new_name.strip().lower() != user.username:
            if not loaded.edit_username_allowed:
                raise BadRequest("error-username-read-only")
            user.username = new_name.strip().lower()
        apply_profile(loaded, user, body, new=False)
        await _check_email(repos, loaded, user)
        await repos.users.update(user)
    return Response(status_code=204)


@router.delete(BASE + "/{id}", status_code=204)
async def delete_user(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        await repos.users.delete(loaded.id, user.id)
    return Response(status_code=204)


@router.put(BASE + "/{id}/reset-password", status_code=204)
async def reset_password(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_object(request)
    value = body.get("value")
    if not isinstance(value, str) or not value:
        raise BadRequest("Password value is missing")
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        # The realm's policy first: a refused password is a 400 and nothing changes.
        await set_password(repos, a.runtime.hashing, loaded, user, value, now=a.now)
        # Keycloak (UserResource.resetPassword): `temporary: true` asks for a new password
        # at the next login; anything else is a password the administrator means to keep,
        # so a pending UPDATE_PASSWORD is dropped.
        temporary = body.get("temporary") is True
        if temporary != (UPDATE_PASSWORD in user.required_actions):
            if temporary:
                user.required_actions.append(UPDATE_PASSWORD)
            else:
                user.required_actions.remove(UPDATE_PASSWORD)
            await repos.users.update(user)
    return Response(status_code=204)


# --- role mappings ------------------------------------------------------------------------


@router.get(BASE + "/{id}/role-mappings/realm")
async def realm_role_mappings(
    realm: str, id: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        return [
            role_representation(r)
            for r in await repos.roles.user_roles(user.id)
            if not r.client_role
        ]


async def _change_mappings(
    a: Admin, realm: str, id: str, body: Any, client: str | None, *, add: bool
) -> Response:
    """Grant or revoke the realm roles (client None) or one client's roles in `body`."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        ids = [r.id for r in await roles_named(repos, loaded, body, client_uuid=client)]
        if add:
            await repos.roles.grant_to_user(user.id, ids)
        else:
            await repos.roles.revoke_from_user(user.id, ids)
    return Response(status_code=204)


@router.post(BASE + "/{id}/role-mappings/realm", status_code=204)
async def add_realm_roles(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, None, add=True)


@router.delete(BASE + "/{id}/role-mappings/realm", status_code=204)
async def remove_realm_roles(
    realm: str, id: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, None, add=False)


# --- groups and sessions -------------------------------------------------------------------


@router.get(BASE + "/{id}/groups")
async def user_groups(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        groups = await repos.groups.user_groups(user.id)
        return [group_representation(g, await group_path(repos, g)) for g in groups]


@router.get(BASE + "/{id}/groups/count")
async def user_groups_count(
    realm: str, id: str, search: str | None = None, a: Admin = Depends(admin)
) -> dict[str, int]:
    """How many groups the user is a direct member of; with `search`, of those whose name
    contains it, case-insensitively (Keycloak: getGroupMembershipCount)."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        groups = await repos.groups.user_groups(user.id)
    if search is not None:
        groups = [g for g in groups if search.lower() in g.name.lower()]
    return {"count": len(groups)}


@router.put(BASE + "/{id}/groups/{group_id}", status_code=204)
async def join_group(realm: str, id: str, group_id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        group = await repos.groups.get(group_id)
        if group is None or group.realm_id != loaded.id:
            raise NotFound("Could not find group by id")
        await repos.groups.add_member(group.id, user.id)
    return Response(status_code=204)


@router.delete(BASE + "/{id}/groups/{group_id}", status_code=204)
async def leave_group(realm: str, id: str, group_id: str, a: Admin = Depends(admin)) -> Response:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        await repos.groups.remove_member(group_id, user.id)
    return Response(status_code=204)


@router.get(BASE + "/{id}/sessions")
async def user_sessions(realm: str, id: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        online = [s for s in await repos.sessions.list_for_user(user.id) if not s.offline]
        return await session_representations(repos, loaded, online)


@router.post(BASE + "/{id}/logout", status_code=204)
async def logout_user(realm: str, id: str, a: Admin = Depends(admin)) -> Response:
    """Ends every session of the user, as Keycloak's "Sign out"."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        user = await a.user(repos, loaded, id)
        online = [s for s in await repos.sessions.list_for_user(user.id) if not s.offline]
        ended = await end_sessions(repos, loaded, online)
        # Keycloak's sign-out also sets the user's not-before: tokens issued until now die.
        user.not_before = a.now
        await repos.users.update(user)
    await a.runtime.backchannel.notify(loaded, ended)
    return Response(status_code=204)


@router.get(BASE + "/{id}/role-mappings/clients/{client}")
async def client_role_mappings(
    realm: str, id: str, client: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        if await repos.clients.get(loaded.id, client) is None:
            raise NotFound("Client not found")
        roles = await repos.roles.user_roles(user.id)
    return [role_representation(r) for r in roles if r.client_id == client]


@router.post(BASE + "/{id}/role-mappings/clients/{client}", status_code=204)
async def add_client_roles(
    realm: str, id: str, client: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, client, add=True)


@router.delete(BASE + "/{id}/role-mappings/clients/{client}", status_code=204)
async def remove_client_roles(
    realm: str, id: str, client: str, request: Request, a: Admin = Depends(admin)
) -> Response:
    body = await json_body(request)
    return await _change_mappings(a, realm, id, body, client, add=False)


@router.get(BASE + "/{id}/offline-sessions/{client_uuid}")
async def user_offline_sessions(
    realm: str, id: str, client_uuid: str, a: Admin = Depends(admin)
) -> list[dict[str, Any]]:
    """The user's offline sessions that hold a session of the client."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-users")
        user = await a.user(repos, loaded, id)
        client = await a.client(repos, loaded, client_uuid)
        offline = [
            s
            for s in await repos.sessions.list_for_user(user.id)
            if s.offline and await repos.sessions.get_client_session(s.id, client.id) is not None
        ]
        return await session_representations(repos, loaded, offline)

"""Realm-wide session operations: stats, logout-all, push-revocation (not-before)."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends
from fastapi.responses import Response

from ostium.admin.context import Admin, admin
from ostium.admin.errors import NotFound
from ostium.domain import Realm, UserSession
from ostium.services.logout import end_sessions
from ostium.storage.interfaces import Repositories

__all__ = ["router", "session_representations"]

router = APIRouter(tags=["Realms Admin"])


async def session_representations(
    repos: Repositories, realm: Realm, sessions: list[UserSession]
) -> list[dict[str, Any]]:
    """Keycloak's `UserSessionRepresentation`s: `clients` maps client ids (internal) to
    clientIds; times are in milliseconds."""
    result = []
    for session in sessions:
        user = await repos.users.get(realm.id, session.user_id)
        clients: dict[str, str] = {}
        for cs in await repos.sessions.list_client_sessions(session.id):
            client = await repos.clients.get(realm.id, cs.client_id)
            if client is not None:
                clients[client.id] = client.client_id
        result.append(
            {
                "id": session.id,
                "username": user.username if user else session.login_username,
                "userId": session.user_id,
                "ipAddress": session.ip_address,
                "start": session.started * 1000,
                "lastAccess": session.last_refresh * 1000,
                "rememberMe": session.remember_me,
                "clients": clients,
            }
        )
    return result


@router.get("/realms/{realm}/client-session-stats")
async def client_session_stats(realm: str, a: Admin = Depends(admin)) -> list[dict[str, Any]]:
    """Active (online) and offline sessions per client, for clients that have any."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "view-realm")
        counts: dict[str, list[int]] = {}
        for session in await repos.sessions.list_for_realm(loaded.id):
            for client_session in await repos.sessions.list_client_sessions(session.id):
                pair = counts.setdefault(client_session.client_id, [0, 0])
                pair[1 if session.offline else 0] += 1
        stats = []
        for client_id, (online, offline) in sorted(counts.items()):
            client = await repos.clients.get(loaded.id, client_id)
            if client is not None:
                stats.append(
                    {
                        "id": client.id,
                        "clientId": client.client_id,
                        "active": str(online),
                        "offline": str(offline),
                    }
                )
    return stats


@router.post("/realms/{realm}/logout-all")
async def logout_all(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    """Ends every session of the realm and sets not-before, so tokens already issued
    stop working too."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        online = [s for s in await repos.sessions.list_for_realm(loaded.id) if not s.offline]
        ended = await end_sessions(repos, loaded, online)
        loaded.not_before = a.now
        await repos.realms.update(loaded)
    await a.runtime.backchannel.notify(loaded, ended)
    return {}


@router.post("/realms/{realm}/push-revocation")
async def push_revocation(realm: str, a: Admin = Depends(admin)) -> dict[str, Any]:
    """Sets the realm's not-before to now: tokens issued earlier are refused."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-realm")
        loaded.not_before = a.now
        await repos.realms.update(loaded)
    return {}


@router.delete("/realms/{realm}/sessions/{session}", status_code=204)
async def delete_session(
    realm: str, session: str, isOffline: bool = False, a: Admin = Depends(admin)
) -> Response:
    """Ends one session: an online one, or with `isOffline=true` an offline one (Keycloak's
    RealmAdminResource.deleteSession). One the realm does not hold, of that kind, is a 404,
    so an admin script learns that nothing was ended."""
    async with a.transaction() as repos:
        loaded = await a.realm(repos, realm, "manage-users")
        found = await repos.sessions.get(session)
        if found is None or found.realm_id != loaded.id or found.offline != isOffline:
            raise NotFound("Session not found")
        ended = await end_sessions(repos, loaded, [found])
    await a.runtime.backchannel.notify(loaded, ended)
    return Response(status_code=204)

"""Ending user sessions, by whatever path: RP-initiated logout, admin sign-out, logout-all,
expiry, another user signing in on the browser. Every path goes through `end_sessions`,
so every path notifies the clients that asked to be told (back-channel logout)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from ostium.domain import Client, Realm, UserSession
from ostium.domain.session import session_limits
from ostium.storage.interfaces import Repositories, Storage

__all__ = ["EndedSession", "end_expired_sessions", "end_sessions", "expired_sessions"]


@dataclass(frozen=True)
class EndedSession:
    session: UserSession
    clients: tuple[Client, ...]  # the clients that held a client session in it


async def end_sessions(
    repos: Repositories, realm: Realm, sessions: list[UserSession]
) -> list[EndedSession]:
    """Deletes the sessions (and their client sessions); returns who was in them."""
    ended = []
    for session in sessions:
        clients = []
        for client_session in await repos.sessions.list_client_sessions(session.id):
            client = await repos.clients.get(realm.id, client_session.client_id)
            if client is not None:
                clients.append(client)
        await repos.sessions.delete(session.id)
        ended.append(EndedSession(session, tuple(clients)))
    return ended


async def expired_sessions(repos: Repositories, realm: Realm, now: int) -> list[UserSession]:
    """The realm's sessions past their idle timeout or max lifespan, of every kind."""
    found: list[UserSession] = []
    for offline in (False, True):
        for remember_me in (False, True):
            probe = UserSession(
                "", realm.id, "", "", 0, 0, offline=offline, remember_me=remember_me
            )
            idle, max_lifespan = session_limits(realm, probe)
            found += await repos.sessions.list_expired(
                realm.id,
                offline=offline,
                remember_me=remember_me,
                idle_before=now - idle,
                started_before=now - max_lifespan,
            )
    return found


async def end_expired_sessions(
    storage: Storage, now: int, notify: Callable[[Realm, list[EndedSession]], Awaitable[None]]
) -> int:
    """One sweep: every realm's expired sessions end, and their clients are told (a
    session that simply times out must reach the RPs' back-channels too)."""
    total = 0
    async with storage.transaction() as repos:
        realms = await repos.realms.list_all()
    for realm in realms:
        async with storage.transaction() as repos:
            ended = await end_sessions(repos, realm, await expired_sessions(repos, realm, now))
        total += len(ended)
        await notify(realm, ended)
    return total

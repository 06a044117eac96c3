"""Authentication sessions: one per browser login attempt, with a tab per attempt.

They live only in the `authenticationSessions` cache (Keycloak: caching guide), never in
the database: a login in progress is cheap to restart and expensive to persist.
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Protocol

__all__ = [
    "AuthenticationSession",
    "AuthenticationSessionStore",
    "AuthenticationTab",
    "LocalAuthenticationSessionStore",
]


@dataclass
class AuthenticationTab:
    """One login attempt: the authorization request waiting for the user to sign in."""

    tab_id: str
    client_id: str  # internal id
    csrf_token: str
    created: int
    params: dict[str, str] = field(default_factory=dict)
    # The login failed once: the page shows "Invalid username or password.".
    attempted_username: str | None = None


@dataclass
class AuthenticationSession:
    id: str  # the root id, the first part of the AUTH_SESSION_ID cookie
    realm_id: str
    created: int
    tabs: dict[str, AuthenticationTab] = field(default_factory=dict)


class AuthenticationSessionStore(Protocol):
    async def get(self, session_id: str) -> AuthenticationSession | None: ...
    async def put(self, session: AuthenticationSession, *, ttl: int) -> None: ...
    async def delete(self, session_id: str) -> None: ...


class LocalAuthenticationSessionStore:
    """In-process, bounded, expiring: `--cache=local`.

    Values are copied in and out so a caller mutating what it read does not change the
    store behind its back, the same semantics a remote cache has.
    """

    def __init__(self, max_count: int = 10000) -> None:
        self._max = max_count
        self._entries: OrderedDict[str, tuple[float, AuthenticationSession]] = OrderedDict()

    async def get(self, session_id: str) -> AuthenticationSession | None:
        entry = self._entries.get(session_id)
        if entry is None:
            return None
        expires, session = entry
        if expires < time.monotonic():
            del self._entries[session_id]
            return None
        self._entries.move_to_end(session_id)
        return copy.deepcopy(session)

    async def put(self, session: AuthenticationSession, *, ttl: int) -> None:
        self._entries[session.id] = (time.monotonic() + ttl, copy.deepcopy(session))
        self._entries.move_to_end(session.id)
        while len(self._entries) > self._max:
            self._entries.popitem(last=False)

    async def delete(self, session_id: str) -> None:
        self._entries.pop(session_id, None)

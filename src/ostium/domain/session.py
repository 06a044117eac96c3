"""User sessions, client sessions and authorization codes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ostium.domain.realm import Realm

__all__ = [
    "AuthorizationCode",
    "ClientSession",
    "UserSession",
    "session_expires_at",
    "session_limits",
]


@dataclass
class UserSession:
    id: str
    realm_id: str
    user_id: str
    login_username: str
    started: int
    last_refresh: int
    ip_address: str | None = None
    auth_method: str = "openid-connect"
    remember_me: bool = False
    offline: bool = False
    notes: dict[str, str] = field(default_factory=dict)

    def expired(self, now: int, idle: int, max_lifespan: int) -> bool:
        """Keycloak's rule: past the idle timeout since last use, or the max since login."""
        return now > self.last_refresh + idle or now > self.started + max_lifespan


def session_limits(realm: Realm, session: UserSession) -> tuple[int, int]:
    """(idle timeout, max lifespan) in seconds: offline and remember-me sessions have their own."""
    if session.offline:
        max_lifespan = (
            realm.offline_session_max_lifespan
            if realm.offline_session_max_lifespan_enabled
            else 10**10
        )
        return realm.offline_session_idle_timeout, max_lifespan
    if session.remember_me:
        # Keycloak's SessionExpirationUtils: each remember-me lifespan replaces its normal
        # twin when set (> 0); 0 falls back to the normal one, independently.
        return (
            realm.sso_session_idle_timeout_remember_me or realm.sso_session_idle_timeout,
            realm.sso_session_max_lifespan_remember_me or realm.sso_session_max_lifespan,
        )
    return realm.sso_session_idle_timeout, realm.sso_session_max_lifespan


def session_expires_at(realm: Realm, session: UserSession) -> int:
    """When the session ends if unused from now on: the earlier of idle and max."""
    idle, max_lifespan = session_limits(realm, session)
    return min(session.last_refresh + idle, session.started + max_lifespan)


@dataclass
class ClientSession:
    user_session_id: str
    client_id: str  # the client's internal id
    timestamp: int
    redirect_uri: str | None = None
    scope: str = "openid"
    offline: bool = False
    notes: dict[str, str] = field(default_factory=dict)


@dataclass
class AuthorizationCode:
    """Stored under the hash of the code: a database dump yields no usable codes."""

    code_hash: str
    realm_id: str
    client_id: str  # internal id
    user_session_id: str
    redirect_uri: str
    scope: str
    expires: int
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    auth_time: int = 0
    consumed: bool = False

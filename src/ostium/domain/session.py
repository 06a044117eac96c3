"""User sessions, client sessions and authorization codes."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["AuthorizationCode", "ClientSession", "UserSession"]


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

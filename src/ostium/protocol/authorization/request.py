"""The authorization request as the steps refine it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from ostium.domain import Client

__all__ = ["AuthorizationRequest", "PendingAuthorization"]


@dataclass
class AuthorizationRequest:
    params: Mapping[str, str]
    client: Client | None = None
    # The server's base URL for this request: relative redirect URIs resolve against it.
    base_url: str = ""
    # The admin console's URL (--hostname-admin), for `${authAdminUrl}`; None: base_url.
    admin_url: str | None = None
    # Set only once validated against the client: until then no error may redirect.
    redirect_uri: str | None = None
    response_mode: str = "query"
    scopes: list[str] = field(default_factory=list)
    prompt: frozenset[str] = frozenset()
    max_age: int | None = None

    def get(self, name: str) -> str | None:
        value = self.params.get(name)
        return value if value else None

    @property
    def state(self) -> str | None:
        return self.get("state")


_PENDING_FIELDS = (
    "redirect_uri",
    "response_mode",
    "scope",
    "state",
    "nonce",
    "code_challenge",
    "code_challenge_method",
    "login_hint",
    "ui_locales",
    "prompt",
)


@dataclass
class PendingAuthorization:
    """A validated authorization request, as kept in an authentication-session tab while
    the user signs in."""

    client_id: str  # internal id
    redirect_uri: str
    response_mode: str
    scope: str
    state: str | None = None
    nonce: str | None = None
    code_challenge: str | None = None
    code_challenge_method: str | None = None
    login_hint: str | None = None
    ui_locales: str | None = None
    prompt: str | None = None

    @classmethod
    def from_request(cls, request: AuthorizationRequest) -> PendingAuthorization:
        assert request.client is not None
        assert request.redirect_uri is not None
        challenge = request.get("code_challenge")
        return cls(
            client_id=request.client.id,
            redirect_uri=request.redirect_uri,
            response_mode=request.response_mode,
            scope=" ".join(request.scopes),
            state=request.state,
            nonce=request.get("nonce"),
            code_challenge=challenge,
            code_challenge_method=(request.get("code_challenge_method") or "plain")
            if challenge
            else None,
            login_hint=request.get("login_hint"),
            ui_locales=request.get("ui_locales"),
            prompt=request.get("prompt"),
        )

    def to_params(self) -> dict[str, str]:
        values = {name: getattr(self, name) for name in _PENDING_FIELDS}
        return {k: v for k, v in values.items() if v is not None}

    @classmethod
    def from_params(cls, client_id: str, params: Mapping[str, str]) -> PendingAuthorization:
        return cls(
            client_id=client_id,
            redirect_uri=params["redirect_uri"],
            response_mode=params.get("response_mode", "query"),
            scope=params.get("scope", ""),
            **{k: params.get(k) for k in _PENDING_FIELDS[3:]},
        )

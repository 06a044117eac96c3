"""One error family mirroring the OAuth 2 / OIDC error codes.

Every protocol failure is raised as a subclass of `OAuthError`; `web.error_handlers`
is the one place that renders them. `description` is public; `detail` goes to the log
and the event only, so internal reasons (which check failed, stored values) never leak.
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "AccessDenied",
    "ConsentRequired",
    "InteractionRequired",
    "InvalidClient",
    "InvalidGrant",
    "InvalidRequest",
    "InvalidRequestObject",
    "InvalidScope",
    "InvalidToken",
    "InvalidUserCredentials",
    "LoginRequired",
    "NotFound",
    "OAuthError",
    "ServerError",
    "TemporarilyUnavailable",
    "UnauthorizedClient",
    "UnsupportedGrantType",
    "UnsupportedResponseType",
    "UnsupportedTokenType",
]


class OAuthError(Exception):
    error: ClassVar[str] = "server_error"
    status_code: ClassVar[int] = 400

    def __init__(
        self,
        description: str,
        *,
        detail: str | None = None,
        redirectable: bool = True,
        event: str | None = None,
    ) -> None:
        super().__init__(description)
        self.description = description
        self.detail = detail
        # False when the redirect URI (or the client) is not verified: such errors must
        # never be sent to a redirect URI, or the endpoint becomes an open redirector.
        self.redirectable = redirectable
        # Audit events are finer than wire errors (code_expired vs code_reused).
        self.event = event or self.error

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def body(self) -> dict[str, str]:
        return {"error": self.error, "error_description": self.description}


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    """RFC 6749 §5.2: 401 with WWW-Authenticate when the client tried HTTP authentication."""

    error = "invalid_client"
    status_code = 401

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": 'Basic realm="ostium"'}


class InvalidGrant(OAuthError):
    error = "invalid_grant"


class InvalidUserCredentials(InvalidGrant):
    """Keycloak's answer to a wrong password in the password grant: `invalid_grant`
    with 401 where RFC 6749 §5.2 says 400. python-keycloak raises
    KeycloakAuthenticationError only for a 401 and applications catch that, so this
    deviation is kept (ARCHITECTURE.md, conventions)."""

    status_code = 401


class UnauthorizedClient(OAuthError):
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class UnsupportedResponseType(OAuthError):
    error = "unsupported_response_type"


class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class NotAllowed(OAuthError):
    """Keycloak's answer when offline tokens are asked for by a user or client without
    the `offline_access` role or scope."""

    error = "not_allowed"


class InvalidRequestObject(OAuthError):
    error = "invalid_request_object"


class AccessDenied(OAuthError):
    error = "access_denied"
    status_code = 403


class LoginRequired(OAuthError):
    error = "login_required"


class InteractionRequired(OAuthError):
    error = "interaction_required"


class ConsentRequired(OAuthError):
    error = "consent_required"


class InvalidToken(OAuthError):
    """RFC 6750 §3.1: bearer-token failures answer 401 with a Bearer challenge."""

    error = "invalid_token"
    status_code = 401

    @property
    def headers(self) -> dict[str, str]:
        desc = self.description.replace('"', "'")
        return {
            "WWW-Authenticate": f'Bearer realm="ostium", error="{self.error}", '
            f'error_description="{desc}"'
        }


class NotFound(OAuthError):
    """An unknown realm or resource: Keycloak answers 404 with an `error` body."""

    error = "not_found"
    status_code = 404


class ServerError(OAuthError):
    error = "server_error"
    status_code = 500


class TemporarilyUnavailable(OAuthError):
    """RFC 6749 §4.1.2.1: the server cannot handle the request now (overload); 503 with
    `Retry-After` (RFC 9110 §10.2.3) telling the client when to try again."""

    error = "temporarily_unavailable"
    status_code = 503

    def __init__(
        self,
        description: str,
        *,
        retry_after: int = 1,
        detail: str | None = None,
        redirectable: bool = True,
        event: str | None = None,
    ) -> None:
        super().__init__(description, detail=detail, redirectable=redirectable, event=event)
        self.retry_after = retry_after

    @property
    def headers(self) -> dict[str, str]:
        return {"Retry-After": str(self.retry_after)}

"""One rule per step; `STEPS` lists them in the order they run.

A step raises an `OAuthError`; whether that error may travel to the redirect URI is
decided by what has been validated when it is raised (`request.redirect_uri`).
"""

from __future__ import annotations

from collections.abc import Callable

from ostium.errors import (
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedResponseType,
)
from ostium.protocol import pkce
from ostium.protocol.authorization.request import AuthorizationRequest
from ostium.protocol.response_modes import RESPONSE_MODES
from ostium.protocol.scopes import granted_scopes

__all__ = ["STEPS", "check_redirect_uri"]

PROMPTS = frozenset({"none", "login", "consent", "select_account"})


class RequestNotSupported(OAuthError):
    error = "request_not_supported"


class RequestUriNotSupported(OAuthError):
    error = "request_uri_not_supported"


def check_redirect_uri(request: AuthorizationRequest) -> None:
    """RFC 6749 §3.1.2.3 / OIDC Core §3.1.2.1: redirect_uri is required and must match a
    registered one exactly (or Keycloak's trailing `*`), relative ones resolved against the
    client's rootUrl or the server's URL (Keycloak's RedirectUtils); never redirect before
    this."""
    client = request.client
    assert client is not None  # check_client ran first
    uri = request.get("redirect_uri")
    if uri is None:
        raise InvalidRequest(
            "Missing parameter: redirect_uri", redirectable=False, event="invalid_redirect_uri"
        )
    if not client.is_valid_redirect_uri(
        uri, base_url=request.base_url, admin_url=request.admin_url
    ):
        raise InvalidRequest(
            "Invalid parameter: redirect_uri",
            detail=f"{uri!r} is not registered for {client.client_id}",
            redirectable=False,
            event="invalid_redirect_uri",
        )
    request.redirect_uri = uri


def check_response_mode(request: AuthorizationRequest) -> None:
    """OAuth 2 Multiple Response Types §2.1; query is the default for `code`."""
    mode = request.get("response_mode") or "query"
    if mode not in RESPONSE_MODES:
        # An unknown mode cannot be used to carry the error either: fall back to query.
        raise InvalidRequest("Invalid parameter: response_mode")
    request.response_mode = mode


def reject_request_objects(request: AuthorizationRequest) -> None:
    """OIDC Core §6: request objects are not supported, and say so."""
    if request.get("request") is not None:
        raise RequestNotSupported("Request objects are not supported")
    if request.get("request_uri") is not None:
        raise RequestUriNotSupported("request_uri is not supported")


def check_response_type(request: AuthorizationRequest) -> None:
    """RFC 6749 §4.1.1: response_type=code; the client must allow the standard flow."""
    client = request.client
    assert client is not None
    response_type = request.get("response_type")
    if response_type is None:
        raise InvalidRequest("Missing parameter: response_type")
    if response_type != "code":
        raise UnsupportedResponseType(f"Unsupported response_type: {response_type}")
    if not client.standard_flow_enabled:
        raise UnauthorizedClient("Client is not allowed to initiate browser login")


def check_scope(request: AuthorizationRequest) -> None:
    client = request.client
    assert client is not None
    request.scopes = granted_scopes(client, request.get("scope"))


def check_pkce(request: AuthorizationRequest) -> None:
    """RFC 7636 §4.3/§4.4.1; a client may require it (Keycloak's
    `pkce.code.challenge.method` attribute)."""
    client = request.client
    assert client is not None
    challenge = request.get("code_challenge")
    method = request.get("code_challenge_method")
    required = client.attributes.get("pkce.code.challenge.method") or None
    if challenge is None:
        if method is not None:
            raise InvalidRequest("Missing parameter: code_challenge")
        if required:
            raise InvalidRequest("Missing parameter: code_challenge")
        return
    method = method or "plain"
    if method not in pkce.METHODS:
        raise InvalidRequest("Invalid parameter: code_challenge_method")
    if required and method != required:
        raise InvalidRequest(f"Invalid parameter: code_challenge_method must be {required}")
    if not pkce.is_valid_challenge(challenge):
        raise InvalidRequest("Invalid parameter: code_challenge")


def check_prompt(request: AuthorizationRequest) -> None:
    """OIDC Core §3.1.2.1: `none` must not be combined with another value."""
    values = frozenset((request.get("prompt") or "").split())
    unknown = values - PROMPTS
    if unknown:
        raise InvalidRequest(f"Invalid parameter: prompt ({' '.join(sorted(unknown))})")
    if "none" in values and len(values) > 1:
        raise InvalidRequest("Invalid parameter: prompt (none combined with other values)")
    request.prompt = values


def check_max_age(request: AuthorizationRequest) -> None:
    raw = request.get("max_age")
    if raw is None:
        return
    if not raw.isdigit() or len(raw) > 10:
        raise InvalidRequest("Invalid parameter: max_age")
    request.max_age = int(raw)


Step = Callable[[AuthorizationRequest], None]

# check_client is async (it reads storage) and runs before these.
STEPS: tuple[Step, ...] = (
    check_redirect_uri,
    check_response_mode,
    reject_request_objects,
    check_response_type,
    check_scope,
    check_pkce,
    check_prompt,
    check_max_age,
)

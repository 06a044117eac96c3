"""OpenID Provider metadata (OIDC Discovery 1.0 §3), with Keycloak's fields."""

from __future__ import annotations

from ostium.protocol.context import RealmContext
from ostium.protocol.grants import GRANTS
from ostium.protocol.response_modes import RESPONSE_MODES
from ostium.protocol.results import JsonResult
from ostium.protocol.scopes import BUILTIN_SCOPES

__all__ = ["discovery"]

SIGNING_ALGORITHMS = ["RS256", "ES256"]


def discovery(ctx: RealmContext) -> JsonResult:
    """Browser-facing endpoints on the frontend URL; the back-channel ones (token,
    introspection, userinfo, certs, revocation) on the request's own address when
    `--hostname-backchannel-dynamic` is on, as Keycloak's OIDCWellKnownProvider does."""
    issuer = ctx.issuer
    body: dict[str, object] = {
        "issuer": issuer,
        "authorization_endpoint": ctx.endpoint("auth"),
        "token_endpoint": ctx.backchannel_endpoint("token"),
        "introspection_endpoint": ctx.backchannel_endpoint("token/introspect"),
        "userinfo_endpoint": ctx.backchannel_endpoint("userinfo"),
        "end_session_endpoint": ctx.endpoint("logout"),
        "frontchannel_logout_session_supported": True,
        "frontchannel_logout_supported": True,
        "jwks_uri": ctx.backchannel_endpoint("certs"),
        "check_session_iframe": ctx.endpoint("login-status-iframe.html"),
        "grant_types_supported": sorted(GRANTS),
        "acr_values_supported": ["0", "1"],
        "response_types_supported": ["code"],
        "subject_types_supported": ["public"],
        "prompt_values_supported": ["none", "login"],
        "id_token_signing_alg_values_supported": SIGNING_ALGORITHMS,
        "userinfo_signing_alg_values_supported": ["none"],
        "request_object_signing_alg_values_supported": [],
        "response_modes_supported": list(RESPONSE_MODES),
        "token_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "tls_client_auth",
            "none",
        ],
        "introspection_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "tls_client_auth",
        ],
        "revocation_endpoint_auth_methods_supported": [
            "client_secret_basic",
            "client_secret_post",
            "tls_client_auth",
            "none",
        ],
        "claims_supported": [
            "aud",
            "sub",
            "iss",
            "auth_time",
            "name",
            "given_name",
            "family_name",
            "preferred_username",
            "email",
            "email_verified",
            "acr",
            "azp",
            "sid",
            "nonce",
            "at_hash",
        ],
        "claim_types_supported": ["normal"],
        "claims_parameter_supported": False,
        "scopes_supported": ["openid", *sorted(BUILTIN_SCOPES)],
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "require_request_uri_registration": False,
        "code_challenge_methods_supported": ["plain", "S256"],
        # RFC 8705 §3.3: certificate-bound access tokens, for clients that ask for them.
        "tls_client_certificate_bound_access_tokens": True,
        "revocation_endpoint": ctx.backchannel_endpoint("revoke"),
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "authorization_response_iss_parameter_supported": True,
    }
    # RFC 8705 §5: where a client presenting a certificate sends its back-channel calls.
    # The certificate reaches Ostium through the proxy on the same URLs (Keycloak, too,
    # lists the same endpoints), so the aliases are the endpoints themselves.
    body["mtls_endpoint_aliases"] = {
        name: body[name]
        for name in (
            "token_endpoint",
            "revocation_endpoint",
            "introspection_endpoint",
            "userinfo_endpoint",
        )
    }
    return JsonResult(body)

"""Thin adapters from HTTP to the protocol endpoints: parse, call, nothing else."""

from __future__ import annotations

from starlette.requests import Request

from ostium.keys import active_key
from ostium.protocol.consent_form import consent_form, show_consent
from ostium.protocol.context import RealmContext
from ostium.protocol.endpoints.authorization import authorization
from ostium.protocol.endpoints.discovery import discovery
from ostium.protocol.endpoints.end_session import (
    end_session,
    logout_confirm,
    logout_with_refresh_token,
)
from ostium.protocol.endpoints.introspection import introspection
from ostium.protocol.endpoints.jwks import jwks
from ostium.protocol.endpoints.revocation import revocation
from ostium.protocol.endpoints.session_status import (
    login_status_iframe,
    login_status_iframe_init,
    third_party_cookies,
)
from ostium.protocol.endpoints.token import token
from ostium.protocol.endpoints.userinfo import userinfo
from ostium.protocol.login import authenticate_form, show_login_form
from ostium.protocol.login_actions import (
    action_token,
    reset_credentials_page,
    reset_credentials_submit,
)
from ostium.protocol.registration import register_form, show_registration
from ostium.protocol.required_actions import required_action_form, show_required_action
from ostium.protocol.results import JsonResult, Result
from ostium.web.params import form_params, optional_form_params, query_params, request_params
from ostium.web.runtime import request_info

__all__ = [
    "action_token_route",
    "authorization_route",
    "consent_route",
    "discovery_route",
    "end_session_route",
    "introspection_route",
    "jwks_route",
    "login_action_route",
    "logout_confirm_route",
    "realm_info_route",
    "registration_route",
    "required_action_route",
    "reset_credentials_route",
    "revocation_route",
    "token_route",
    "userinfo_route",
]


async def discovery_route(ctx: RealmContext, request: Request) -> Result:
    return discovery(ctx)


async def jwks_route(ctx: RealmContext, request: Request) -> Result:
    return jwks(ctx)


async def authorization_route(ctx: RealmContext, request: Request) -> Result:
    return await authorization(ctx, await request_params(request), request_info(request))


async def login_action_route(ctx: RealmContext, request: Request) -> Result:
    if request.method == "GET":
        return await show_login_form(ctx, query_params(request), request_info(request))
    return await authenticate_form(
        ctx, query_params(request), await form_params(request), request_info(request)
    )


async def reset_credentials_route(ctx: RealmContext, request: Request) -> Result:
    if request.method == "POST":
        return await reset_credentials_submit(
            ctx, query_params(request), await form_params(request), request_info(request)
        )
    return await reset_credentials_page(ctx, query_params(request), request_info(request))


async def action_token_route(ctx: RealmContext, request: Request) -> Result:
    if request.method == "POST":
        await optional_form_params(request)  # the confirmation form carries nothing else
    return await action_token(
        ctx, query_params(request), request_info(request), confirmed=request.method == "POST"
    )


async def required_action_route(ctx: RealmContext, request: Request) -> Result:
    if request.method == "GET":
        return await show_required_action(ctx, query_params(request), request_info(request))
    return await required_action_form(
        ctx, query_params(request), await form_params(request), request_info(request)
    )


async def registration_route(ctx: RealmContext, request: Request) -> Result:
    if request.method == "GET":
        return await show_registration(ctx, query_params(request), request_info(request))
    return await register_form(
        ctx, query_params(request), await form_params(request), request_info(request)
    )


async def consent_route(ctx: RealmContext, request: Request) -> Result:
    if request.method == "GET":
        return await show_consent(ctx, query_params(request), request_info(request))
    return await consent_form(
        ctx, query_params(request), await form_params(request), request_info(request)
    )


async def token_route(ctx: RealmContext, request: Request) -> Result:
    return await token(ctx, await form_params(request), request_info(request))


async def userinfo_route(ctx: RealmContext, request: Request) -> Result:
    form = await optional_form_params(request) if request.method == "POST" else {}
    return await userinfo(ctx, form, request_info(request))


async def introspection_route(ctx: RealmContext, request: Request) -> Result:
    return await introspection(ctx, await form_params(request), request_info(request))


async def revocation_route(ctx: RealmContext, request: Request) -> Result:
    return await revocation(ctx, await form_params(request), request_info(request))


async def end_session_route(ctx: RealmContext, request: Request) -> Result:
    params = await request_params(request)
    if request.method == "POST" and "refresh_token" in params:
        return await logout_with_refresh_token(ctx, params, request_info(request))
    return await end_session(ctx, params, request_info(request))


async def logout_confirm_route(ctx: RealmContext, request: Request) -> Result:
    return await logout_confirm(ctx, await form_params(request), request_info(request))


async def realm_info_route(ctx: RealmContext, request: Request) -> Result:
    """Keycloak's public realm document at /realms/{realm}."""
    rsa = active_key(ctx.keys, "RS256")  # the signing one, by priority, as Keycloak shows
    public_key = ""
    if rsa is not None and rsa.public_key:
        public_key = "".join(
            line for line in rsa.public_key.strip().splitlines() if not line.startswith("-----")
        )
    return JsonResult(
        {
            "realm": ctx.realm.name,
            "public_key": public_key,
            "token-service": f"{ctx.issuer}/protocol/openid-connect",
            "account-service": f"{ctx.issuer}/account",
            "tokens-not-before": ctx.realm.not_before,
        }
    )


async def login_status_iframe_route(ctx: RealmContext, request: Request) -> Result:
    return await login_status_iframe(ctx, query_params(request))


async def login_status_iframe_init_route(ctx: RealmContext, request: Request) -> Result:
    return await login_status_iframe_init(ctx, query_params(request), request_info(request))


async def third_party_cookies_step1_route(ctx: RealmContext, request: Request) -> Result:
    return await third_party_cookies(ctx, "step1")


async def third_party_cookies_step2_route(ctx: RealmContext, request: Request) -> Result:
    return await third_party_cookies(ctx, "step2")

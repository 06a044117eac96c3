"""The authorization endpoint (RFC 6749 §4.1, OIDC Core §3.1.2) and the end of a login."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.errors import (
    ConsentRequired,
    InteractionRequired,
    InvalidRequest,
    LoginRequired,
    OAuthError,
    UnauthorizedClient,
)
from ostium.protocol.authorization.request import AuthorizationRequest, PendingAuthorization
from ostium.protocol.authorization.steps import STEPS
from ostium.protocol.codes import respond_with_code
from ostium.protocol.consent import consent_needed
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.login import new_tab, plan_or_page, start_login
from ostium.protocol.required_actions import KC_ACTION, after_authentication, recent_enough
from ostium.protocol.response_modes import respond
from ostium.protocol.results import Page, Result
from ostium.protocol.sso import sso_session
from ostium.services.sessions import auth_time
from ostium.storage.interfaces import Repositories

__all__ = ["authorization", "check_client"]


async def check_client(
    repos: Repositories, ctx: RealmContext, request: AuthorizationRequest
) -> None:
    """The client must exist and be enabled; until it does, errors cannot redirect."""
    client_id = request.get("client_id")
    if client_id is None:
        raise InvalidRequest("Missing parameter: client_id", redirectable=False)
    client = await repos.clients.get_by_client_id(ctx.realm.id, client_id)
    if client is None:
        raise InvalidRequest("Client not found.", redirectable=False, event="client_not_found")
    if not client.enabled:
        raise UnauthorizedClient("Client disabled.", redirectable=False, event="client_disabled")
    if client.bearer_only:
        raise UnauthorizedClient("Bearer-only clients cannot log in.", redirectable=False)
    request.client = client
    ctx.client = client


async def authorization(ctx: RealmContext, params: Mapping[str, str], info: RequestInfo) -> Result:
    request = AuthorizationRequest(params, base_url=ctx.base_url, admin_url=ctx.admin_url)
    async with ctx.storage.transaction() as repos:
        try:
            await check_client(repos, ctx, request)
            for step in STEPS:
                step(request)
            pending = PendingAuthorization.from_request(request)
            assert request.client is not None  # check_client found it
            plan = plan_or_page(ctx, request.client)
            if isinstance(plan, Page):
                return plan
            found = None
            # Single sign-on is the browser flow's cookie step (`auth-cookie`).
            if "login" not in request.prompt and plan.cookie:
                found = await sso_session(ctx, repos, info.cookies)
            if (
                found is not None
                and request.max_age is not None
                and ctx.clock.now() - auth_time(found[0]) > request.max_age
            ):
                found = None  # OIDC Core §3.1.2.1: re-authenticate past max_age
            if found is not None and not recent_enough(ctx, request, found[0]):
                found = None  # an application-initiated action that needs a fresh sign-in
            if found is not None:
                session, user = found
                await repos.sessions.touch(session.id, ctx.clock.now())
                consent = await consent_needed(ctx, repos, pending, user)
                if user.required_actions or request.get(KC_ACTION) or consent:
                    # Single sign-on authenticates; the required actions and the consent
                    # page still run, and need the user (OIDC Core §3.1.2.6:
                    # interaction_required, consent_required).
                    if "none" in request.prompt:
                        if not user.required_actions and not request.get(KC_ACTION):
                            raise ConsentRequired("Consent required", event="consent_required")
                        raise InteractionRequired(
                            "Interaction required", event="interaction_required"
                        )
                    root, tab = await new_tab(ctx, request, pending, info)
                    return await after_authentication(
                        ctx, repos, root, tab, user, session.login_username, info, sso_reused=True
                    )
                return await respond_with_code(ctx, repos, pending, session, user, info)
            if "none" in request.prompt:
                raise LoginRequired("Login required", event="login_required")
            return await start_login(ctx, repos, request, pending, info, plan)
        except OAuthError as error:
            if error.redirectable and request.redirect_uri is not None:
                record_error(ctx, request, error, info)
                return error_response(ctx, request, error)
            raise


def record_error(
    ctx: RealmContext, request: AuthorizationRequest, error: OAuthError, info: RequestInfo
) -> None:
    ctx.record(
        "LOGIN_ERROR",
        client_id=request.client.client_id if request.client else None,
        ip_address=info.ip_address,
        error=error.event,
    )


def error_response(ctx: RealmContext, request: AuthorizationRequest, error: OAuthError) -> Result:
    """RFC 6749 §4.1.2.1, with `iss` per RFC 9207."""
    assert request.redirect_uri is not None
    params = {"error": error.error, "error_description": error.description}
    if request.state is not None:
        params["state"] = request.state
    params["iss"] = ctx.issuer
    return respond(request.redirect_uri, request.response_mode, params)

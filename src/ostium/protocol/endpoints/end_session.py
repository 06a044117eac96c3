"""RP-initiated logout (OIDC RP-Initiated Logout 1.0).

With an `id_token_hint` the logout happens at once; without one the user confirms it
(§2: the OP SHOULD ask, since anyone can link to this URL). The post-logout redirect
URI must be registered for the client; an unknown one gets an error page, never a
redirect.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from urllib.parse import urlencode, urlsplit

from ostium.domain import Client
from ostium.errors import InvalidGrant
from ostium.protocol.client_auth import authenticate_client
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.login import error_page
from ostium.protocol.logout_token import frontchannel_url
from ostium.protocol.remember_me import expired_remember_me_cookie
from ostium.protocol.response_modes import respond
from ostium.protocol.results import Cookie, JsonResult, Page, Redirect, Result
from ostium.protocol.sso import (
    auth_session_cookie,
    auth_session_id,
    expired_sso_cookies,
    sso_session,
)
from ostium.protocol.tokens import ID, OFFLINE, REFRESH, TokenProblem, verify_token
from ostium.services.logout import EndedSession, end_sessions
from ostium.services.sessions import new_id, new_secret_token
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = ["end_session", "logout_confirm", "logout_with_refresh_token"]

LOGOUT_TAB = "logout"


async def end_session(ctx: RealmContext, params: Mapping[str, str], info: RequestInfo) -> Result:
    hint = params.get("id_token_hint") or None
    client_id = params.get("client_id") or None
    redirect_uri = params.get("post_logout_redirect_uri") or None
    state = params.get("state") or None
    hint_claims: dict[str, object] | None = None
    if hint is not None:
        try:
            # An expired ID token is still a fine hint of who is logging out.
            hint_claims = verify_token(ctx, hint, types=frozenset({ID}), check_expiry=False)
        except TokenProblem:
            return error_page("invalidParameterMessage", args=["id_token_hint"])
        hinted = hint_claims.get("azp")
        if client_id is not None and hinted != client_id:
            return error_page("invalidParameterMessage", args=["client_id"])
        client_id = hinted if isinstance(hinted, str) else client_id
    async with ctx.storage.transaction() as repos:
        client = (
            await repos.clients.get_by_client_id(ctx.realm.id, client_id) if client_id else None
        )
        if client_id is not None and client is None:
            return error_page("clientNotFoundMessage")
        if redirect_uri is not None:
            if client is None:
                return error_page("missingParameterMessage", args=["id_token_hint / client_id"])
            if not client.is_valid_post_logout_redirect_uri(
                redirect_uri, base_url=ctx.base_url, admin_url=ctx.admin_url
            ):
                return error_page("invalidRedirectUriMessage")
        if hint_claims is None:
            return await _confirmation(ctx, client, redirect_uri, state, info)
        sid = hint_claims.get("sid")
        return await _logout(
            ctx, repos, client, redirect_uri, state, info, sid=sid if isinstance(sid, str) else None
        )


async def _confirmation(
    ctx: RealmContext,
    client: Client | None,
    redirect_uri: str | None,
    state: str | None,
    info: RequestInfo,
) -> Page:
    now = ctx.clock.now()
    root_id = auth_session_id(info.cookies)
    root = await ctx.auth_sessions.get(root_id) if root_id else None
    if root is None or root.realm_id != ctx.realm.id:
        root = AuthenticationSession(id=new_id(), realm_id=ctx.realm.id, created=now)
    params = {"post_logout_redirect_uri": redirect_uri, "state": state}
    tab = AuthenticationTab(
        tab_id=LOGOUT_TAB,
        client_id=client.id if client else "",
        csrf_token=new_secret_token(),
        created=now,
        params={k: v for k, v in params.items() if v is not None},
    )
    root.tabs[LOGOUT_TAB] = tab
    await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_user_action)
    ctx.client = client  # the page wears the client's login_theme, as Keycloak's does
    return Page(
        "logout_confirm.html",
        {"action_url": ctx.endpoint("logout/logout-confirm"), "csrf_token": tab.csrf_token},
        cookies=[auth_session_cookie(ctx, root.id)],
    )


async def logout_confirm(ctx: RealmContext, form: Mapping[str, str], info: RequestInfo) -> Result:
    """The confirmation form's POST, CSRF-checked against the pending logout."""
    root_id = auth_session_id(info.cookies)
    root = await ctx.auth_sessions.get(root_id) if root_id else None
    tab = root.tabs.get(LOGOUT_TAB) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None:
        return error_page("expiredActionMessage")
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), tab.csrf_token.encode()):
        return error_page("expiredActionMessage")
    del root.tabs[LOGOUT_TAB]
    await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_user_action)
    async with ctx.storage.transaction() as repos:
        client = await repos.clients.get(ctx.realm.id, tab.client_id) if tab.client_id else None
        ctx.client = client
        return await _logout(
            ctx,
            repos,
            client,
            tab.params.get("post_logout_redirect_uri"),
            tab.params.get("state"),
            info,
            sid=None,
        )


async def _logout(
    ctx: RealmContext,
    repos: Repositories,
    client: Client | None,
    redirect_uri: str | None,
    state: str | None,
    info: RequestInfo,
    *,
    sid: str | None,
) -> Result:
    found = await sso_session(ctx, repos, info.cookies)
    session_id = found[0].id if found else sid
    ended: list[EndedSession] = []
    if session_id is not None:
        session = await repos.sessions.get(session_id)
        if session is not None and session.realm_id == ctx.realm.id:
            ended = await end_sessions(repos, ctx.realm, [session])
            ctx.ended(ended)
            ctx.record(
                "LOGOUT",
                client_id=client.client_id if client else None,
                user_id=session.user_id,
                session_id=session.id,
                ip_address=info.ip_address,
            )
    # Keycloak's browser logout forgets the remembered name too.
    cookies: list[Cookie] = [*expired_sso_cookies(ctx), expired_remember_me_cookie(ctx)]
    result: Redirect | Page
    if redirect_uri is not None:
        result = respond(redirect_uri, "query", {"state": state} if state else {}, cookies=cookies)
    else:
        back = client.base_url if client and client.base_url else None
        result = Page("logged_out.html", {"back_url": back}, cookies=cookies)
    frames = [
        url
        for item in ended
        for rp in item.clients
        if (url := frontchannel_url(rp, issuer=ctx.issuer, session_id=item.session.id))
    ]
    if not frames:
        return result
    # OIDC Front-Channel Logout §3: each RP's logout page in an iframe, then on to
    # where the logout was going.
    return Page(
        "frontchannel_logout.html",
        {
            "frames": frames,
            "continue_url": result.location if isinstance(result, Redirect) else None,
            "back_url": result.context.get("back_url") if isinstance(result, Page) else None,
        },
        cookies=cookies,
        frame_src=sorted({_origin(url) for url in frames}),
    )


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def logout_url(ctx: RealmContext, **params: str) -> str:
    return f"{ctx.endpoint('logout')}?{urlencode(params)}"


async def logout_with_refresh_token(
    ctx: RealmContext, form: Mapping[str, str], info: RequestInfo
) -> JsonResult:
    """Keycloak's non-browser logout: an authenticated client POSTs its refresh token
    and the whole user session ends (python-keycloak's `logout` uses this)."""
    async with ctx.storage.transaction() as repos:
        authenticated = await authenticate_client(
            repos,
            ctx.realm.id,
            form,
            info.authorization,
            now=ctx.clock.now(),
            certificate_chain=info.client_certificate_chain,
            certificate_rejected=info.client_certificate_rejected,
        )
        try:
            claims = verify_token(
                ctx,
                form.get("refresh_token", ""),
                types=frozenset({REFRESH, OFFLINE}),
                check_expiry=False,
            )
        except TokenProblem as problem:
            raise InvalidGrant("Invalid refresh token", detail=problem.description) from None
        if claims.get("azp") != authenticated.client.client_id:
            raise InvalidGrant("Invalid refresh token", detail="issued to another client")
        sid = claims.get("sid")
        session = await repos.sessions.get(sid) if isinstance(sid, str) else None
        if session is None or session.realm_id != ctx.realm.id:
            raise InvalidGrant("Session not active")
        ctx.ended(await end_sessions(repos, ctx.realm, [session]))
    ctx.record(
        "LOGOUT",
        client_id=authenticated.client.client_id,
        user_id=session.user_id,
        session_id=session.id,
        ip_address=info.ip_address,
    )
    return JsonResult({}, status_code=204)

"""The consent page's requests (Keycloak's `login-actions/consent`): a GET shows the same
page again (the language picker), a POST accepts or denies.

Accept stores the grant (protocol/consent.py `grant_consent`) and finishes the login: the
SSO session it was asked for on single sign-on, otherwise the sign-in of the user who
authenticated in this tab. Deny sends `access_denied` to the client's redirect URI
(RFC 6749 §4.1.2.1; Keycloak's LoginProtocol.Error.CONSENT_DENIED) and records a
LOGIN_ERROR `rejected_by_user`, as Keycloak. Both need the tab's CSRF token.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ostium.domain import Client, User, UserSession
from ostium.errors import ConsentRequired
from ostium.protocol.authorization.request import PendingAuthorization
from ostium.protocol.codes import respond_with_code
from ostium.protocol.consent import (
    consent_page,
    consent_step,
    grant_consent,
    scopes_to_approve,
)
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.login import picked_locale, sign_in, spend_tab
from ostium.protocol.response_modes import respond
from ostium.protocol.results import Page, Result, error_page
from ostium.protocol.sso import auth_session_id
from ostium.services.sessions import live_user_session, new_id, new_secret_token
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = ["consent_form", "show_consent", "sso_consent"]

REJECTED_BY_USER = "rejected_by_user"  # Keycloak's Errors.REJECTED_BY_USER


async def _tab(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo
) -> tuple[AuthenticationSession, AuthenticationTab] | Page:
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None or tab.consent_user_id is None:
        return error_page("expiredActionMessage")
    return root, tab


async def _parties(
    ctx: RealmContext, repos: Repositories, tab: AuthenticationTab
) -> tuple[Client, User] | Page:
    client = await repos.clients.get(ctx.realm.id, tab.client_id)
    if client is None or not client.enabled:
        return error_page("clientNotFoundMessage")
    user = await repos.users.get(ctx.realm.id, tab.consent_user_id or "")
    if user is None or not user.enabled:
        return error_page("expiredActionMessage")
    return client, user


async def show_consent(ctx: RealmContext, query: Mapping[str, str], info: RequestInfo) -> Page:
    """GET: the tab's consent page again, in the language `kc_locale` names."""
    found = await _tab(ctx, query, info)
    if isinstance(found, Page):
        return found
    root, tab = found
    picked = picked_locale(ctx, query.get("kc_locale"))
    if picked is not None and picked != tab.locale:
        tab.locale = picked
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    async with ctx.storage.transaction() as repos:
        parties = await _parties(ctx, repos, tab)
        if isinstance(parties, Page):
            return parties
        client, user = parties
        items = await scopes_to_approve(repos, client, tab.params.get("scope", ""))
        granted = await repos.consents.get(user.id, client.id)
    if granted is not None and "consent" not in tab.params.get("prompt", "").split():
        items = [i for i in items if i.scope not in granted.granted_scopes]
    return consent_page(ctx, client, root, tab, items)


async def consent_form(
    ctx: RealmContext, query: Mapping[str, str], form: Mapping[str, str], info: RequestInfo
) -> Result:
    """POST: `accept` grants and finishes the login, `cancel` denies."""
    found = await _tab(ctx, query, info)
    if isinstance(found, Page):
        return found
    root, tab = found
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), tab.csrf_token.encode()):
        return error_page("expiredActionMessage")
    pending = PendingAuthorization.from_params(tab.client_id, tab.params)
    async with ctx.storage.transaction() as repos:
        parties = await _parties(ctx, repos, tab)
        if isinstance(parties, Page):
            return await spend_tab(ctx, root, tab, parties)
        client, user = parties
        if "accept" not in form:
            ctx.record(
                "LOGIN_ERROR",
                client_id=client.client_id,
                user_id=user.id,
                ip_address=info.ip_address,
                error=REJECTED_BY_USER,
            )
            params = {"error": "access_denied"}
            if pending.state is not None:
                params["state"] = pending.state
            params["iss"] = ctx.issuer
            denied = respond(pending.redirect_uri, pending.response_mode, params)
            return await spend_tab(ctx, root, tab, denied)
        items = await scopes_to_approve(repos, client, tab.params.get("scope", ""))
        await grant_consent(
            repos, user, client, [i.scope for i in items], now_ms=ctx.clock.now_ms()
        )
        tab.consent_given = True
        if tab.consent_session_id is not None:
            # Single sign-on: the browser's session already exists and keeps its cookies.
            session = await live_user_session(
                repos, ctx.realm, tab.consent_session_id, now=ctx.clock.now()
            )
            if session is None or session.user_id != user.id:
                return await spend_tab(ctx, root, tab, error_page("expiredActionMessage"))
            await repos.sessions.touch(session.id, ctx.clock.now())
            result = await respond_with_code(ctx, repos, pending, session, user, info)
            return await spend_tab(ctx, root, tab, result)
        return await sign_in(ctx, repos, root, tab, user, user.username, info)


async def sso_consent(
    ctx: RealmContext,
    repos: Repositories,
    pending: PendingAuthorization,
    params: Mapping[str, str],
    info: RequestInfo,
    session: UserSession,
    user: User,
) -> Page | None:
    """Single sign-on to a client that needs consent: the consent page in a new tab of the
    browser's authentication session, or None when nothing is left to approve.
    `prompt=none` cannot show a page: OIDC Core §3.1.2.6 `consent_required`."""
    client = await repos.clients.get(ctx.realm.id, pending.client_id)
    if client is None or not client.consent_required:
        return None
    now = ctx.clock.now()
    root_id = auth_session_id(info.cookies)
    root = await ctx.auth_sessions.get(root_id) if root_id else None
    if root is None or root.realm_id != ctx.realm.id:
        root = AuthenticationSession(id=new_id(), realm_id=ctx.realm.id, created=now)
    tab = AuthenticationTab(
        tab_id=new_secret_token()[:16],
        client_id=pending.client_id,
        csrf_token=new_secret_token(),
        created=now,
        params=pending.to_params(),
        locale=picked_locale(ctx, params.get("kc_locale")),
    )
    page = await consent_step(ctx, repos, root, tab, user, session_id=session.id)
    if page is None:
        return None
    if "none" in tab.params.get("prompt", "").split():
        raise ConsentRequired("Consent required", event="consent_required")
    root.tabs[tab.tab_id] = tab
    await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    return page

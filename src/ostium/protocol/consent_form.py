"""The consent page's requests (Keycloak's `login-actions/consent`): a GET shows the same
page again (the language picker), a POST accepts or denies.

Accept stores the grant (protocol/consent.py `grant_consent`) and finishes the login
(protocol/required_actions.py `next_step`: nothing is pending any more, so the SSO
session and the code, with the application-initiated action's status). Deny sends
`access_denied` to the client's redirect URI (RFC 6749 §4.1.2.1; Keycloak's
LoginProtocol.Error.CONSENT_DENIED) and records a LOGIN_ERROR `rejected_by_user`, as
Keycloak; no SSO session is made. Both need the tab's CSRF token.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ostium.domain import Client, User
from ostium.protocol.authorization.request import PendingAuthorization
from ostium.protocol.consent import (
    ConsentItem,
    consent_page,
    grant_consent,
    scopes_to_approve,
)
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.required_actions import next_step
from ostium.protocol.response_modes import respond
from ostium.protocol.results import Page, Result, error_page
from ostium.protocol.sign_in import picked_locale, spend_tab
from ostium.protocol.sso import auth_session_id
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = ["consent_form", "show_consent"]

REJECTED_BY_USER = "rejected_by_user"  # Keycloak's Errors.REJECTED_BY_USER


async def _tab(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo
) -> tuple[AuthenticationSession, AuthenticationTab] | Page:
    """The tab whose consent page is showing: its user authenticated, nothing else."""
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    if (
        root is None
        or tab is None
        or tab.authenticated_user_id is None
        or not tab.consent_shown
        or tab.consent_given
    ):
        return error_page("expiredActionMessage")
    return root, tab


async def _parties(
    ctx: RealmContext, repos: Repositories, tab: AuthenticationTab
) -> tuple[Client, User] | Page:
    client = await repos.clients.get(ctx.realm.id, tab.client_id)
    if client is None or not client.enabled:
        return error_page("clientNotFoundMessage")
    user = await repos.users.get(ctx.realm.id, tab.authenticated_user_id or "")
    if user is None or not user.enabled:
        return error_page("expiredActionMessage")
    return client, user


async def _items(
    repos: Repositories, client: Client, user: User, tab: AuthenticationTab
) -> list[ConsentItem]:
    items = await scopes_to_approve(repos, client, tab.params.get("scope", ""))
    if "consent" not in tab.params.get("prompt", "").split():
        granted = await repos.consents.get(user.id, client.id)
        if granted is not None:
            items = [i for i in items if i.scope not in granted.granted_scopes]
    return items


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
        items = await _items(repos, client, user, tab)
    return consent_page(ctx, client, root, tab, items)


async def consent_form(
    ctx: RealmContext, query: Mapping[str, str], form: Mapping[str, str], info: RequestInfo
) -> Result:
    """POST: `accept` grants and finishes the login, anything else (`cancel`) denies."""
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
        items = await _items(repos, client, user, tab)
        await grant_consent(
            repos, user, client, [i.scope for i in items], now_ms=ctx.clock.now_ms()
        )
        tab.consent_given = True
        return await next_step(ctx, repos, root, tab, user, info)

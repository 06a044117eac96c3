"""The registration page of a login (Keycloak's `login-actions/registration`): a GET shows
the form of the login's tab, a POST creates the account and the login goes on as if the
new user had signed in (their required actions, then the client's code).

The realm must allow it (`registrationAllowed`); otherwise both answer Keycloak's error
page "registration not allowed" (400, REGISTER_ERROR `registration_disabled`). The form
carries the tab's CSRF token like the login form; a refused form comes back with the
values typed (never the passwords) and a message per field.
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping

from ostium.domain import Client
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.login import sign_in
from ostium.protocol.login_links import login_url, registration_url
from ostium.protocol.results import Page, Result, error_page
from ostium.protocol.sign_in import picked_locale
from ostium.protocol.sso import auth_session_cookie, auth_session_id
from ostium.services.registration import (
    PASSWORD_CONFIRM,
    RegistrationError,
    register_user,
    registration_fields,
)
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab

__all__ = ["register_form", "show_registration"]

NOT_ALLOWED = "registrationNotAllowedMessage"
REGISTRATION_DISABLED = "registration_disabled"  # Keycloak's Errors.REGISTRATION_DISABLED


def _page(
    ctx: RealmContext,
    client: Client,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    *,
    values: Mapping[str, str] | None = None,
    errors: Mapping[str, tuple[str, tuple[object, ...]]] | None = None,
    status_code: int = 200,
) -> Page:
    action = registration_url(ctx, client.client_id, tab.tab_id)
    fields = registration_fields(ctx.realm)
    order = [str(f["name"]) for f in fields] + ["password", PASSWORD_CONFIRM]
    # The keyboard starts where the first problem is (or at the first field).
    focus = next((name for name in order if name in (errors or {})), order[0])
    return Page(
        "register.html",
        {
            "action_url": action,
            "login_url": login_url(ctx, client.client_id, tab.tab_id),
            "fields": fields,
            "focus": focus,
            "values": dict(values or {}),
            "errors": {name: [key, *params] for name, (key, params) in (errors or {}).items()},
            "csrf_token": tab.csrf_token,
            "client_name": client.name,
            "password_confirm": PASSWORD_CONFIRM,
        },
        status_code=status_code,
        cookies=[auth_session_cookie(ctx, root.id)],
        locale=tab.params.get("ui_locales"),
        selected_locale=tab.locale,
        locale_url=action,
    )


async def _tab(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo
) -> tuple[AuthenticationSession, AuthenticationTab] | Page:
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None or "redirect_uri" not in tab.params:
        return error_page("expiredActionMessage")
    return root, tab


def _refused(ctx: RealmContext, info: RequestInfo) -> Page:
    ctx.record("REGISTER_ERROR", ip_address=info.ip_address, error=REGISTRATION_DISABLED)
    return error_page(NOT_ALLOWED, 400)


async def _client(ctx: RealmContext, tab: AuthenticationTab) -> Client | None:
    async with ctx.storage.transaction() as repos:
        client = await repos.clients.get(ctx.realm.id, tab.client_id)
    return client if client is not None and client.enabled else None


async def show_registration(ctx: RealmContext, query: Mapping[str, str], info: RequestInfo) -> Page:
    """GET: the empty form (or the same one in the language the picker names)."""
    if not ctx.realm.registration_allowed:
        return _refused(ctx, info)
    found = await _tab(ctx, query, info)
    if isinstance(found, Page):
        return found
    root, tab = found
    picked = picked_locale(ctx, query.get("kc_locale"))
    if picked is not None and picked != tab.locale:
        tab.locale = picked
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    client = await _client(ctx, tab)
    if client is None:
        return error_page("clientNotFoundMessage")
    return _page(ctx, client, root, tab)


async def register_form(
    ctx: RealmContext, query: Mapping[str, str], form: Mapping[str, str], info: RequestInfo
) -> Result:
    """POST: CSRF-checked against the tab; the user is created in one transaction with
    their password and default roles, or nothing is (the form comes back with the
    reasons). Event REGISTER, then the login continues with the new user."""
    if not ctx.realm.registration_allowed:
        return _refused(ctx, info)
    found = await _tab(ctx, query, info)
    if isinstance(found, Page):
        return found
    root, tab = found
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), tab.csrf_token.encode()):
        return error_page("expiredActionMessage")
    client = await _client(ctx, tab)
    if client is None:
        return error_page("clientNotFoundMessage")
    typed = {k: v for k, v in form.items() if k not in ("password", PASSWORD_CONFIRM, "csrf_token")}
    try:
        async with ctx.storage.transaction() as repos:
            user = await register_user(repos, ctx.hashing, ctx.realm, form, now=ctx.clock.now())
    except RegistrationError as refused:
        ctx.record(
            "REGISTER_ERROR",
            client_id=client.client_id,
            ip_address=info.ip_address,
            error="invalid_registration",
            details={
                "username": form.get("username", "")[:255],
                "email": form.get("email", "")[:255],
            },
        )
        return _page(ctx, client, root, tab, values=typed, errors=refused.errors)
    ctx.record(
        "REGISTER",
        client_id=client.client_id,
        user_id=user.id,
        ip_address=info.ip_address,
        details={
            "username": user.username,
            "email": user.email or "",
            "register_method": "form",
            "redirect_uri": tab.params.get("redirect_uri", ""),
        },
    )
    async with ctx.storage.transaction() as repos:
        return await sign_in(ctx, repos, root, tab, user, user.username, info)

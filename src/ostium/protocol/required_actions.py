"""Required actions in the browser login: after the user has authenticated and before the
client gets its code (Keycloak's AuthenticationManager.nextActionAfterAuthentication,
nextRequiredAction and actionRequired).

The tab of the authentication session remembers who authenticated
(`AuthenticationTab.authenticated_user_id`) and which action's page is showing
(`current_action`). No SSO session and no cookie exist until the last action is done
(protocol/sign_in.py), so leaving a page half-way, replaying an old form, posting
another action's form or coming back through the authorization endpoint never yields a
code: each request recomputes what is still pending from the stored user.

Order: the user's actions that the realm has enabled, by the realm's priority, then the
application's `kc_action` (application-initiated action). An action whose page this server
does not have yet (TOTP, WebAuthn, recovery codes) stops the login with a 501 page and a
log line: it is never skipped.

An application-initiated action that the user has not been required to do may be
cancelled; the client then gets `kc_action_status=cancelled` with its code, `success`
once done, and `error` for an action the realm does not have enabled — as Keycloak.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from urllib.parse import urlencode

from ostium.domain import User, UserSession
from ostium.domain.required_actions import (
    CONFIGURABLE,
    DEFAULT_MAX_AUTH_AGE,
    MAX_AUTH_AGE,
    RUNNABLE,
    TERMS_AND_CONDITIONS,
    UPDATE_PASSWORD,
    UPDATE_PROFILE,
    VERIFY_EMAIL,
    RequiredActionProvider,
    enabled_provider,
    pending_actions,
)
from ostium.protocol.action_pages import (
    DONE,
    REFUSED,
    ActionContext,
    challenge,
    process,
)
from ostium.protocol.authorization.request import AuthorizationRequest, PendingAuthorization
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.info import info_page
from ostium.protocol.response_modes import respond
from ostium.protocol.results import Page, Result, error_page
from ostium.protocol.sign_in import finish_login, picked_locale, spend_tab
from ostium.protocol.sso import auth_session_cookie, auth_session_id
from ostium.services.required_actions import complete_action, evaluate_triggers
from ostium.services.sessions import auth_time
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = [
    "KC_ACTION",
    "after_authentication",
    "recent_enough",
    "required_action_form",
    "show_required_action",
]

log = logging.getLogger("ostium.login")

KC_ACTION = "kc_action"
KC_ACTION_STATUS = "kc_action_status"
SUCCESS, CANCELLED, ERROR = "success", "cancelled", "error"
NOT_SUPPORTED = "requiredActionNotSupportedMessage"
EXPIRED = "expiredActionMessage"

# Keycloak's event for each action completed (the others record CUSTOM_REQUIRED_ACTION).
_EVENTS = {
    UPDATE_PASSWORD: "UPDATE_PASSWORD",
    UPDATE_PROFILE: "UPDATE_PROFILE",
    VERIFY_EMAIL: "VERIFY_EMAIL",
}


def recent_enough(ctx: RealmContext, request: AuthorizationRequest, session: UserSession) -> bool:
    """Keycloak 26: an application-initiated action that changes credentials runs on a
    single sign-on only if the sign-in is younger than the action's `max_auth_age`
    (300 s by default); otherwise the user signs in again first."""
    alias = request.get(KC_ACTION)
    provider = enabled_provider(ctx.realm.required_actions, alias) if alias else None
    if provider is None or provider.provider_id not in CONFIGURABLE:
        return True
    raw = provider.config.get(MAX_AUTH_AGE, "")
    limit = int(raw) if raw.isdigit() else DEFAULT_MAX_AUTH_AGE
    return ctx.clock.now() - auth_time(session) <= limit


def _action_url(ctx: RealmContext, alias: str, client_id: str, tab_id: str) -> str:
    query = urlencode({"execution": alias, "client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/required-action?{query}"


def _next_action(ctx: RealmContext, user: User, tab: AuthenticationTab) -> str | None:
    kc_action = tab.kc_action if tab.kc_action_status is None else None
    for alias in pending_actions(ctx.realm.required_actions, user.required_actions, kc_action):
        if alias not in tab.ignored_actions:
            return alias
    return None


async def after_authentication(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    user: User,
    username: str,
    info: RequestInfo,
    *,
    sso_reused: bool = False,
) -> Result:
    """The flow authenticated `user`: run their required actions, then sign in."""
    tab.authenticated_user_id = user.id
    tab.login_username = username
    tab.sso_reused = sso_reused
    tab.x509_user_id = tab.x509_thumbprint = None
    tab.kc_action = tab.params.get(KC_ACTION)
    await evaluate_triggers(repos, ctx.realm, user, now=ctx.clock.now())
    return await next_step(ctx, repos, root, tab, user, info)


async def next_step(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    user: User,
    info: RequestInfo,
    *,
    errors: Page | None = None,
) -> Result:
    """The page of the first pending action, or, with none left, the code."""
    while True:
        alias = _next_action(ctx, user, tab)
        if alias is None and tab.end_after_actions:
            page = info_page("accountUpdatedMessage", back_url=tab.back_url, user=user)
            return await spend_tab(ctx, root, tab, page)
        if alias is None:
            extra = {}
            if tab.kc_action is not None and tab.kc_action_status is not None:
                extra = {KC_ACTION_STATUS: tab.kc_action_status, KC_ACTION: tab.kc_action}
            return await finish_login(ctx, repos, root, tab, user, info, extra=extra)
        provider = enabled_provider(ctx.realm.required_actions, alias)
        if provider is None:
            # Only the application's kc_action gets here (the user's are filtered).
            log.warning(
                "realm=%s: kc_action %r is not an enabled required action", ctx.realm.name, alias
            )
            tab.kc_action_status = ERROR
            continue
        if provider.provider_id not in RUNNABLE:
            log.error(
                "realm=%s: user %s must complete the required action %r, which this server"
                " cannot carry out yet; the login stops here",
                ctx.realm.name,
                user.id,
                alias,
            )
            ctx.record(
                "CUSTOM_REQUIRED_ACTION_ERROR",
                client_id=await _client_id(ctx, repos, tab),
                user_id=user.id,
                ip_address=info.ip_address,
                error="required_action_not_supported",
                details={"custom_required_action": alias},
            )
            return await spend_tab(ctx, root, tab, error_page(NOT_SUPPORTED, 501))
        action_ctx = await _action_context(ctx, repos, root, tab, user, info, provider)
        outcome = await challenge(action_ctx)
        if outcome == DONE:
            await _completed(ctx, repos, tab, user, alias, info)
            continue
        if outcome is None:  # passed over for this login (Keycloak's `ignore`)
            tab.ignored_actions.append(alias)
            continue
        assert isinstance(outcome, Page)
        tab.current_action = alias
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
        outcome.cookies.append(auth_session_cookie(ctx, root.id))
        return outcome


async def _client_id(ctx: RealmContext, repos: Repositories, tab: AuthenticationTab) -> str | None:
    client = await repos.clients.get(ctx.realm.id, tab.client_id)
    return client.client_id if client else None


async def _action_context(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    user: User,
    info: RequestInfo,
    provider: RequiredActionProvider,
) -> ActionContext:
    client_id = await _client_id(ctx, repos, tab) or ""
    alias = provider.alias
    return ActionContext(
        ctx=ctx,
        repos=repos,
        root=root,
        tab=tab,
        user=user,
        info=info,
        alias=alias,
        provider_id=provider.provider_id,
        client_id=client_id,
        action_url=_action_url(ctx, alias, client_id, tab.tab_id),
        # Only an action the application asked for, not one the user must do, is optional.
        can_cancel=tab.kc_action == alias and alias not in user.required_actions,
    )


async def _completed(
    ctx: RealmContext,
    repos: Repositories,
    tab: AuthenticationTab,
    user: User,
    alias: str,
    info: RequestInfo,
    details: Mapping[str, str] | None = None,
) -> None:
    """The action is done: off the user's list, its event recorded."""
    complete_action(user, alias)
    await repos.users.update(user)
    client_id = await _client_id(ctx, repos, tab)
    event = _EVENTS.get(alias, "CUSTOM_REQUIRED_ACTION")
    ctx.record(
        event,
        client_id=client_id,
        user_id=user.id,
        ip_address=info.ip_address,
        details={"custom_required_action": alias, **(details or {})},
    )
    if alias == UPDATE_PASSWORD:
        # Keycloak 26 records the credential change under its newer name as well.
        ctx.record(
            "UPDATE_CREDENTIAL",
            client_id=client_id,
            user_id=user.id,
            ip_address=info.ip_address,
            details={"credential_type": "password"},
        )
    if alias == tab.kc_action:
        tab.kc_action_status = SUCCESS


async def required_action_form(
    ctx: RealmContext,
    query: Mapping[str, str],
    form: Mapping[str, str],
    info: RequestInfo,
) -> Result:
    """POST of a required action's page (`login-actions/required-action?execution=…`):
    the tab must be authenticated, the CSRF token right, and the form the one of the
    action whose page is showing; anything else does nothing the user could exploit."""
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None or tab.authenticated_user_id is None:
        return error_page(EXPIRED)
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), tab.csrf_token.encode()):
        return error_page(EXPIRED)
    async with ctx.storage.transaction() as repos:
        client = await repos.clients.get(ctx.realm.id, tab.client_id)
        if client is None or not client.enabled:
            return await spend_tab(ctx, root, tab, error_page("clientNotFoundMessage"))
        user = await repos.users.get(ctx.realm.id, tab.authenticated_user_id)
        if user is None or not user.enabled:
            return await spend_tab(ctx, root, tab, error_page("accountDisabledMessage", 401))
        alias = query.get("execution", "")
        if alias != tab.current_action or alias != _next_action(ctx, user, tab):
            # Another action's form, or a stale one: show what is really next.
            return await next_step(ctx, repos, root, tab, user, info)
        provider = enabled_provider(ctx.realm.required_actions, alias)
        if provider is None:  # disabled by an administrator while its page showed
            return await next_step(ctx, repos, root, tab, user, info)
        action_ctx = await _action_context(ctx, repos, root, tab, user, info, provider)
        if "cancel-aia" in form and action_ctx.can_cancel:
            tab.kc_action_status = CANCELLED
            ctx.record(
                "CUSTOM_REQUIRED_ACTION_ERROR",
                client_id=client.client_id,
                user_id=user.id,
                ip_address=info.ip_address,
                error="rejected_by_user",
                details={"custom_required_action": alias},
            )
            return await next_step(ctx, repos, root, tab, user, info)
        outcome = await process(action_ctx, form)
        if outcome == REFUSED:
            return await _denied(ctx, root, tab, user, alias, client.client_id, info)
        if isinstance(outcome, Page):
            await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
            outcome.cookies.append(auth_session_cookie(ctx, root.id))
            return outcome
        await _completed(ctx, repos, tab, user, alias, info, action_ctx.details)
        return await next_step(ctx, repos, root, tab, user, info)


async def show_required_action(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo
) -> Result:
    """GET of `login-actions/required-action`: the page of the action that is next for
    this tab, again (a reload, the back button, a language change). Nothing is read from
    the request but the tab, so it cannot move the login past any action."""
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None or tab.authenticated_user_id is None:
        return error_page(EXPIRED)
    picked = picked_locale(ctx, query.get("kc_locale"))
    if picked is not None:
        tab.locale = picked  # the rest of this login speaks it (stored with the page)
    async with ctx.storage.transaction() as repos:
        user = await repos.users.get(ctx.realm.id, tab.authenticated_user_id)
        if user is None or not user.enabled:
            return await spend_tab(ctx, root, tab, error_page("accountDisabledMessage", 401))
        return await next_step(ctx, repos, root, tab, user, info)


async def _denied(
    ctx: RealmContext,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    user: User,
    alias: str,
    client_id: str,
    info: RequestInfo,
) -> Result:
    """The user declined (the terms): the client gets `access_denied`, as Keycloak's
    RequiredActionContext.failure does; the action stays on the user."""
    ctx.record(
        "CUSTOM_REQUIRED_ACTION_ERROR",
        client_id=client_id,
        user_id=user.id,
        ip_address=info.ip_address,
        error="rejected_by_user",
        details={"custom_required_action": alias},
    )
    pending = PendingAuthorization.from_params(tab.client_id, tab.params)
    params = {"error": "access_denied"}
    if alias == TERMS_AND_CONDITIONS:
        params["error_description"] = "The user declined the terms and conditions"
    if pending.state is not None:
        params["state"] = pending.state
    params["iss"] = ctx.issuer
    return await spend_tab(
        ctx, root, tab, respond(pending.redirect_uri, pending.response_mode, params)
    )

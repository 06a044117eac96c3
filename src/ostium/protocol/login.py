"""The login page and its form: the browser half of the authorization endpoint."""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from ostium.domain import Client, User
from ostium.domain.brute_force import is_locked
from ostium.domain.flow_plans import BROWSER_OVERRIDE, BrowserPlan, UnsupportedFlow, browser_plan
from ostium.protocol.authorization.request import AuthorizationRequest, PendingAuthorization
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.login_failures import count_failure
from ostium.protocol.login_links import login_page_extras
from ostium.protocol.remember_me import remember_me_ticked, remembered_username
from ostium.protocol.required_actions import KC_ACTION, after_authentication
from ostium.protocol.results import Page, Result, error_page
from ostium.protocol.second_factor import (
    ask_for_second_factor,
    current_page,
    submitted_second_factor,
)
from ostium.protocol.sign_in import picked_locale, spend_tab
from ostium.protocol.sso import auth_session_cookie, auth_session_id
from ostium.protocol.x509_login import FAILED, REQUIRED, certificate_step, confirmed_user
from ostium.services.sessions import new_id, new_secret_token
from ostium.services.users import check_password, find_login_user
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = [
    "INVALID_USER_CREDENTIALS",
    "USER_DISABLED",
    "CredentialCheck",
    "authenticate_form",
    "check_credentials",
    "error_page",
    "new_tab",
    "picked_locale",
    "plan_or_page",
    "show_login_form",
    "sign_in",
    "start_login",
]

log = logging.getLogger("ostium.login")

INVALID_USER = "invalidUserMessage"  # "Invalid username or password."


def _action_url(ctx: RealmContext, client_id: str, tab_id: str) -> str:
    query = urlencode({"client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/authenticate?{query}"


def _reset_credentials_url(ctx: RealmContext, client_id: str, tab_id: str) -> str | None:
    """The "Forgot password?" link (protocol/login_actions.py), if the realm allows it."""
    if not ctx.realm.reset_password_allowed:
        return None
    query = urlencode({"client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/reset-credentials?{query}"


def login_page(
    ctx: RealmContext,
    client_id: str,
    tab: AuthenticationTab,
    *,
    username: str,
    error: str | None,
    root_id: str,
    client_name: str | None = None,
    remembered: str | None = None,
) -> Page:
    """`remembered`: the remember-me cookie's name (protocol/remember_me.py), shown with
    the box ticked when the application sent no name of its own."""
    remembered = None if username else remembered
    action_url = _action_url(ctx, client_id, tab.tab_id)
    return Page(
        "login.html",
        {
            "action_url": action_url,
            "username": username or remembered or "",
            "error": error,
            "csrf_token": tab.csrf_token,
            "login_with_email_allowed": ctx.realm.login_with_email_allowed,
            "client_name": client_name,
            # Registration and remember me (protocol/registration.py, remember_me.py).
            **login_page_extras(ctx, client_id, tab),
            **({"remember_me": True} if remembered else {}),
            "reset_credentials_url": _reset_credentials_url(ctx, client_id, tab.tab_id),
        },
        cookies=[auth_session_cookie(ctx, root_id)],
        locale=tab.params.get("ui_locales"),
        selected_locale=tab.locale,
        # The language picker re-renders this step of this tab (show_login_form).
        locale_url=action_url,
    )


# LOGIN_ERROR event codes (Keycloak's `Errors`) that `check_credentials` reports.
INVALID_USER_CREDENTIALS = "invalid_user_credentials"
USER_DISABLED = "user_disabled"
USER_TEMPORARILY_DISABLED = "user_temporarily_disabled"
USER_DISABLED_BY_PERMANENT_LOCKOUT = "user_disabled_by_permanent_lockout"


@dataclass(frozen=True)
class CredentialCheck:
    """The user who proved their password, or the event code of why not."""

    user: User | None
    error: str | None = None


async def check_credentials(
    ctx: RealmContext,
    repos: Repositories,
    client: Client,
    username: str,
    password: str,
    info: RequestInfo,
    *,
    second_factor: bool = False,
    **details: str,
) -> CredentialCheck:
    """The browser form and the password grant fail the same way and are audited the
    same way (a LOGIN_ERROR event naming the reason). A user locked out by brute-force
    detection, temporarily or permanently, fails like a wrong password, without the
    password being tried. A disabled account is named (`user_disabled`) only to someone
    who proved its password: Keycloak says "Account disabled" before checking it.

    `second_factor`: a second factor may follow, so the failures counted so far stay
    until the whole login succeeds (Keycloak clears them when authentication completes);
    otherwise a correct password would reset the count before every guessed code."""
    guarded = ctx.realm.brute_force_protected and ctx.login_failures is not None
    target = await find_login_user(repos, ctx.realm, username) if guarded else None
    failure = (
        await ctx.login_failures.get(ctx.realm.id, target.id)
        if target is not None and ctx.login_failures is not None
        else None
    )
    error = INVALID_USER_CREDENTIALS
    user = None
    if is_locked(failure, ctx.clock.now()):
        error = USER_TEMPORARILY_DISABLED
    elif (
        target is not None
        and not target.enabled
        and ctx.realm.permanent_lockout
        and failure is not None
    ):
        error = USER_DISABLED_BY_PERMANENT_LOCKOUT
    elif password:
        user = await check_password(repos, ctx.hashing, ctx.realm, username, password)
        if user is not None and not user.enabled:
            user, error = None, USER_DISABLED
    if user is None:
        if (
            target is not None
            and ctx.login_failures is not None
            and error == INVALID_USER_CREDENTIALS
        ):
            await count_failure(ctx, target, failure, info)
        ctx.record(
            "LOGIN_ERROR",
            client_id=client.client_id,
            ip_address=info.ip_address,
            error=error,
            details={"username": username[:255], **details},
        )
        return CredentialCheck(None, error)
    if failure is not None and ctx.login_failures is not None and not second_factor:
        await ctx.login_failures.clear(ctx.realm.id, user.id)
    return CredentialCheck(user)


def plan_or_page(ctx: RealmContext, client: Client) -> BrowserPlan | Page:
    """The browser flow as Ostium runs it — the client's override, else the realm's — or
    the error page of a flow it cannot run (the administrator finds what and why in the
    log)."""
    try:
        return browser_plan(ctx.realm, client.flow_overrides.get(BROWSER_OVERRIDE))
    except UnsupportedFlow as error:
        log.warning("realm=%s: cannot run the browser flow: %s", ctx.realm.name, error)
        return error_page("loginFlowNotSupportedMessage", 501)


async def new_tab(
    ctx: RealmContext,
    request: AuthorizationRequest,
    pending: PendingAuthorization,
    info: RequestInfo,
) -> tuple[AuthenticationSession, AuthenticationTab]:
    """A new tab in the browser's authentication session (a new session if it has none)
    holding the request; the application's `kc_action` rides along."""
    now = ctx.clock.now()
    root_id = auth_session_id(info.cookies)
    root = await ctx.auth_sessions.get(root_id) if root_id else None
    if root is None or root.realm_id != ctx.realm.id:
        root = AuthenticationSession(id=new_id(), realm_id=ctx.realm.id, created=now)
    params = pending.to_params()
    kc_action = request.get(KC_ACTION)
    if kc_action is not None:
        params[KC_ACTION] = kc_action[:64]
    tab = AuthenticationTab(
        tab_id=new_secret_token()[:16],
        client_id=pending.client_id,
        csrf_token=new_secret_token(),
        created=now,
        params=params,
        locale=picked_locale(ctx, request.get("kc_locale")),
    )
    root.tabs[tab.tab_id] = tab
    return root, tab


async def start_login(
    ctx: RealmContext,
    repos: Repositories,
    request: AuthorizationRequest,
    pending: PendingAuthorization,
    info: RequestInfo,
    plan: BrowserPlan,
) -> Result:
    """Keep the request in a new tab of the browser's authentication session, then run the
    flow's first step: the X.509 certificate, or the password form."""
    client = request.client
    assert client is not None
    root, tab = await new_tab(ctx, request, pending, info)
    if plan.x509:
        action = _action_url(ctx, client.client_id, tab.tab_id)
        step = await certificate_step(ctx, repos, client, tab, plan, info, action)
        if step.user is not None:
            return await _sign_in(ctx, repos, root, tab, step.user, step.user.username, info)
        if step.page is not None:
            await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
            step.page.cookies.append(auth_session_cookie(ctx, root.id))
            return step.page
    await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    return login_page(
        ctx,
        client.client_id,
        tab,
        username=pending.login_hint or "",
        error=None,
        root_id=root.id,
        client_name=client.name,
        remembered=remembered_username(ctx.realm, info.cookies),
    )


async def show_login_form(ctx: RealmContext, query: Mapping[str, str], info: RequestInfo) -> Page:
    """GET of the login step: the same form of the same tab again, as Keycloak's
    login-actions/authenticate answers a GET — the language picker's links land here, with
    `kc_locale` naming the language this login continues in."""
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    # A tab that holds no authorization request (a pending logout's) has no login step.
    if root is None or tab is None or "redirect_uri" not in tab.params:
        return error_page("expiredActionMessage")
    async with ctx.storage.transaction() as repos:
        client = await repos.clients.get(ctx.realm.id, tab.client_id)
    if client is None or not client.enabled:
        return error_page("clientNotFoundMessage")
    ctx.client = client
    plan = plan_or_page(ctx, client)
    if isinstance(plan, Page):
        return plan
    if not plan.password_form:
        return error_page(REQUIRED, 401)  # only a certificate signs in: no form to show
    picked = picked_locale(ctx, query.get("kc_locale"))
    if picked is not None and picked != tab.locale:
        tab.locale = picked
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    if tab.otp_user_id is not None:  # the second factor's page is this tab's step now
        async with ctx.storage.transaction() as repos:
            return await current_page(ctx, repos, root, tab, client, plan)
    return login_page(
        ctx,
        client.client_id,
        tab,
        username=tab.params.get("login_hint", ""),
        error=None,
        root_id=root.id,
        client_name=client.name,
        remembered=remembered_username(ctx.realm, info.cookies),
    )


async def authenticate_form(
    ctx: RealmContext,
    query: Mapping[str, str],
    form: Mapping[str, str],
    info: RequestInfo,
) -> Result:
    """The login pages' POST: CSRF-checked against the tab, one message for every failure.
    It answers the password form and the X.509 confirmation page ("Continue" sends
    `login=x509`, "Sign in another way" sends `cancel`)."""
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None:
        return error_page("expiredActionMessage")
    # The CSRF token lives only in the page we served to this browser's tab; a forged
    # cross-site POST carries the cookie but cannot know it.
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), tab.csrf_token.encode()):
        return error_page("expiredActionMessage")
    async with ctx.storage.transaction() as repos:
        client = await repos.clients.get(ctx.realm.id, tab.client_id)
        if client is None or not client.enabled:
            return error_page("clientNotFoundMessage")
        ctx.client = client
        plan = plan_or_page(ctx, client)
        if isinstance(plan, Page):
            return plan
        if tab.otp_user_id is not None:
            checked = await submitted_second_factor(ctx, repos, root, tab, client, form, info, plan)
            if isinstance(checked, Page):
                return checked
            username = tab.login_username or checked.username
            return await _sign_in(ctx, repos, root, tab, checked, username, info)
        if plan.x509 and tab.x509_user_id is not None and "cancel" not in form:
            user = await confirmed_user(ctx, repos, client, tab, info)
            if user is None:
                return await spend_tab(ctx, root, tab, error_page(FAILED, 401))
            return await _sign_in(ctx, repos, root, tab, user, user.username, info)
        tab.x509_user_id = tab.x509_thumbprint = None
        if not plan.password_form:
            # A flow without the password form: only a certificate can sign in.
            return await spend_tab(ctx, root, tab, error_page(REQUIRED, 401))
        if "cancel" in form:
            await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
            return login_page(
                ctx,
                client.client_id,
                tab,
                username="",
                error=None,
                root_id=root.id,
                client_name=client.name,
            )
        username = form.get("username", "")
        password = form.get("password", "")
        user = (
            await check_credentials(
                ctx,
                repos,
                client,
                username,
                password,
                info,
                second_factor=plan.second_factor is not None,
            )
        ).user
        if user is None:
            return login_page(
                ctx,
                client.client_id,
                tab,
                username=username,
                error=INVALID_USER,
                root_id=root.id,
                client_name=client.name,
            )
        tab.remember_me = remember_me_ticked(ctx.realm, form)
        code_page = await ask_for_second_factor(ctx, repos, root, tab, client, user, username, plan)
        if code_page is not None:
            return code_page
        return await _sign_in(ctx, repos, root, tab, user, username, info)


async def _sign_in(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    user: User,
    username: str,
    info: RequestInfo,
) -> Result:
    """The flow succeeded: the user's required actions, then the SSO session and code."""
    return await after_authentication(ctx, repos, root, tab, user, username, info)


# The end of a login, for the pages that authenticate a user outside this module
# (registration: protocol/registration.py).
sign_in = _sign_in

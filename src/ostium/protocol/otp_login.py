"""The one-time code step of a browser login, after the password (Keycloak's
OTPFormAuthenticator in the browser flow's "Conditional 2FA" sub-flow).

A user with OTP devices is asked for a code from one of them (a chooser when there are
several, the preferred one selected); the tab remembers whom the password was right
for, and nothing else counts as signed in until the code is. A wrong code shows the page
again, counts as a failed login for brute-force detection and records LOGIN_ERROR
`invalid_user_credentials`; a locked-out user's codes are not even checked. A flow that
asks for OTP outright gives a user without a device the CONFIGURE_TOTP required action
instead, as Keycloak's `setRequiredActions` does.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from ostium.domain import Client, Credential, User
from ostium.domain.brute_force import is_locked
from ostium.domain.flow_plans import OtpStep
from ostium.domain.required_actions import CONFIGURE_TOTP
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.login_failures import clear_failures, count_failure, login_failure
from ostium.protocol.results import Page, error_page
from ostium.protocol.sso import auth_session_cookie
from ostium.services.otp import check_otp, otp_devices
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = ["INVALID_TOTP", "ask_for_code", "code_is_right", "otp_page", "submitted_code"]

INVALID_TOTP = "invalidTotpMessage"
MISSING_TOTP = "missingTotpMessage"


def _action_url(ctx: RealmContext, client_id: str, tab_id: str) -> str:
    query = urlencode({"client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/authenticate?{query}"


def otp_page(
    ctx: RealmContext,
    client: Client,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    devices: list[Credential],
    *,
    selected: str | None = None,
    error: str | None = None,
) -> Page:
    action_url = _action_url(ctx, client.client_id, tab.tab_id)
    chosen = selected if any(d.id == selected for d in devices) else devices[0].id
    return Page(
        "login_otp.html",
        {
            "action_url": action_url,
            "csrf_token": tab.csrf_token,
            "devices": [
                {"id": d.id, "label": d.user_label, "number": i + 1} for i, d in enumerate(devices)
            ],
            "selected": chosen,
            "error": error,
            "client_name": client.name,
        },
        status_code=401 if error else 200,
        cookies=[auth_session_cookie(ctx, root.id)],
        locale=tab.params.get("ui_locales"),
        selected_locale=tab.locale,
        locale_url=action_url,
    )


async def ask_for_code(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    client: Client,
    user: User,
    username: str,
    step: OtpStep | None,
) -> Page | None:
    """After the password: the code page, or None when this user has no code to give (no
    device; with OTP asked for outright, CONFIGURE_TOTP is added for the required-action
    pages that follow)."""
    if step is None:
        return None
    devices = await otp_devices(repos, user)
    if not devices:
        if step == OtpStep.ALWAYS and CONFIGURE_TOTP not in user.required_actions:
            user.required_actions = [*user.required_actions, CONFIGURE_TOTP]
            await repos.users.update(user)
        if await login_failure(ctx, user) is not None:
            await clear_failures(ctx, user)  # the password was the whole login
        return None
    tab.otp_user_id = user.id
    tab.login_username = username
    await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    return otp_page(ctx, client, root, tab, devices)


async def submitted_code(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    client: Client,
    form: Mapping[str, str],
    info: RequestInfo,
) -> User | Page:
    """The code page's POST: the user, once the code is right; else the page again."""
    user = await repos.users.get(ctx.realm.id, tab.otp_user_id or "")
    devices = await otp_devices(repos, user) if user is not None else []
    if user is None or not user.enabled or not devices:
        tab.otp_user_id = None
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
        # The devices went away while the page showed (an administrator removed them,
        # or the account was disabled): this login cannot go on.
        return error_page("expiredActionMessage")
    selected = form.get("selectedCredentialId") or devices[0].id
    device = next((d for d in devices if d.id == selected), devices[0])
    code = form.get("otp", "").strip()[:16]
    if not code:
        return otp_page(ctx, client, root, tab, devices, selected=device.id, error=MISSING_TOTP)
    username = tab.login_username or user.username
    if not await code_is_right(ctx, repos, client, user, device, code, info, username=username):
        return otp_page(ctx, client, root, tab, devices, selected=device.id, error=INVALID_TOTP)
    tab.otp_user_id = None
    return user


async def code_is_right(
    ctx: RealmContext,
    repos: Repositories,
    client: Client,
    user: User,
    device: Credential,
    code: str,
    info: RequestInfo,
    *,
    username: str,
    **details: str,
) -> bool:
    """One code against one device, for the browser and the password grant alike: a
    locked-out user's code is not tried; a wrong one counts toward the lockout and is a
    LOGIN_ERROR; a right one ends the login's failure count (the login is complete)."""
    failure = await login_failure(ctx, user)
    now = ctx.clock.now()
    assert ctx.action_tokens is not None  # the single-use store, in every running server
    right = not is_locked(failure, now) and await check_otp(
        repos, ctx.action_tokens, ctx.realm, device, code, now=now
    )
    if not right:
        if ctx.realm.brute_force_protected and ctx.login_failures is not None:
            await count_failure(ctx, user, failure, info)
        ctx.record(
            "LOGIN_ERROR",
            client_id=client.client_id,
            user_id=user.id,
            ip_address=info.ip_address,
            error="invalid_user_credentials",
            details={"username": username[:255], "auth_type": "otp", **details},
        )
        return False
    if failure is not None:
        await clear_failures(ctx, user)
    return True

"""The second factor of a browser login, after the password (Keycloak's "Browser -
Conditional 2FA" sub-flow): a one-time code from an authenticator app
(OTPFormAuthenticator) or, where the flow accepts them, one of the user's recovery codes
(RecoveryAuthnCodesFormAuthenticator).

The tab remembers whom the password was right for, and nothing else counts as signed in
until the second factor is. A user with an app is asked for its code first (a chooser
when there are several, the preferred one selected) and can switch to a recovery code,
and back. A wrong code shows the page again, counts as a failed login for brute-force
detection and records LOGIN_ERROR `invalid_user_credentials`; a locked-out user's codes
are not even checked. Using the last recovery code asks for a new set
(CONFIGURE_RECOVERY_AUTHN_CODES), as Keycloak does. A flow that asks for the second
factor outright gives a user with neither CONFIGURE_TOTP instead, as Keycloak's
`setRequiredActions` does.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Final
from urllib.parse import urlencode, urlsplit

from ostium.domain import Client, Credential, User
from ostium.domain.brute_force import is_locked
from ostium.domain.flow_plans import BrowserPlan, RoleCondition, SecondFactorStep
from ostium.domain.recovery_codes import RecoveryCodes
from ostium.domain.required_actions import CONFIGURE_RECOVERY_AUTHN_CODES, CONFIGURE_TOTP
from ostium.domain.webauthn_credential import (
    WebAuthnCredentialData,
    WebAuthnCredentialError,
    b64decode,
    b64encode,
)
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.login_failures import clear_failures, count_failure, login_failure
from ostium.protocol.results import Page, error_page
from ostium.protocol.sso import auth_session_cookie
from ostium.services.otp import check_otp, otp_devices
from ostium.services.recovery_codes import recovery_codes_of, use_recovery_code
from ostium.services.roles import holds_role
from ostium.services.webauthn_ceremonies import (
    WebAuthnCeremonyError,
    authentication_options,
    verify_authentication,
)
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = [
    "INVALID_TOTP",
    "ask_for_second_factor",
    "code_is_right",
    "conditions_hold",
    "password_was_enough",
    "second_factor_page",
    "submitted_second_factor",
]

log = logging.getLogger("ostium.login")

INVALID_TOTP = "invalidTotpMessage"
MISSING_TOTP = "missingTotpMessage"
INVALID_RECOVERY_CODE = "recoveryCodeInvalidMessage"
OTP: Final = "otp"
RECOVERY: Final = "recovery"
WEBAUTHN: Final = "webauthn"  # also the credential type
RECOVERY_CODE_FIELD = "recoveryCodeInput"  # Keycloak's form field


@dataclass(frozen=True)
class Factors:
    """What the user can give as the second factor in this login, in the order of
    Keycloak's 2FA sub-flow: an app's code, a security key, a recovery code."""

    devices: list[Credential]
    codes: tuple[Credential, RecoveryCodes] | None
    keys: list[Credential] = field(default_factory=list)

    @property
    def kinds(self) -> list[str]:
        found = ((OTP, self.devices), (WEBAUTHN, self.keys), (RECOVERY, self.codes))
        return [k for k, has in found if has]


NO_FACTORS = Factors([], None)


async def _factors(repos: Repositories, user: User, plan: BrowserPlan) -> Factors:
    if plan.second_factor is None:
        return NO_FACTORS
    codes = await recovery_codes_of(repos, user) if plan.recovery_codes else None
    keys = (
        await repos.credentials.list_for_user(user.id, WEBAUTHN)
        if WEBAUTHN in plan.webauthn_types
        else []
    )
    return Factors(await otp_devices(repos, user), codes, keys)


def _host_and_origins(ctx: RealmContext) -> tuple[str, list[str]]:
    """The WebAuthn relying party as this request sees the server (the frontend URL)."""
    parts = urlsplit(ctx.base_url)
    return parts.hostname or "", [f"{parts.scheme}://{parts.netloc}"]


def _stored_keys(keys: list[Credential]) -> list[tuple[Credential, WebAuthnCredentialData]]:
    found = []
    for key in keys:
        try:
            found.append((key, WebAuthnCredentialData.parse(key.secret_data, key.credential_data)))
        except WebAuthnCredentialError:
            continue  # a key stored broken never signs in
    return found


def _action_url(ctx: RealmContext, client_id: str, tab_id: str) -> str:
    query = urlencode({"client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/authenticate?{query}"


async def second_factor_page(
    ctx: RealmContext,
    client: Client,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    factors: Factors,
    *,
    selected: str | None = None,
    error: str | None = None,
) -> Page:
    """The page of the tab's current kind: the app's code, the security key (a new
    challenge each time the page is shown), or the next recovery code."""
    action_url = _action_url(ctx, client.client_id, tab.tab_id)
    kind = tab.second_factor_kind if tab.second_factor_kind in factors.kinds else None
    kind = kind or factors.kinds[0]
    context: dict[str, object] = {
        "action_url": action_url,
        "csrf_token": tab.csrf_token,
        "error": error,
        "client_name": client.name,
        "other_kinds": [k for k in factors.kinds if k != kind],
    }
    if kind == OTP:
        devices = factors.devices
        context["devices"] = [
            {"id": d.id, "label": d.user_label, "number": i + 1} for i, d in enumerate(devices)
        ]
        context["selected"] = selected if any(d.id == selected for d in devices) else devices[0].id
    elif kind == WEBAUTHN:
        challenge = secrets.token_bytes(32)
        tab.webauthn_challenge = b64encode(challenge)
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
        host, _ = _host_and_origins(ctx)
        stored = [data for _, data in _stored_keys(factors.keys)]
        context["options"] = authentication_options(
            ctx.realm.webauthn_policy, host, stored, challenge
        )
    else:
        assert factors.codes is not None
        context["code_number"] = factors.codes[1].next_number
    templates = {OTP: "login_otp.html", WEBAUTHN: "login_webauthn.html"}
    return Page(
        templates.get(kind, "login_recovery_code.html"),
        context,
        status_code=401 if error else 200,
        cookies=[auth_session_cookie(ctx, root.id)],
        locale=tab.params.get("ui_locales"),
        selected_locale=tab.locale,
        locale_url=action_url,
    )


async def current_page(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    client: Client,
    plan: BrowserPlan,
) -> Page:
    """The second-factor page again (a GET of the login step: the language picker)."""
    user = await repos.users.get(ctx.realm.id, tab.otp_user_id or "")
    factors = await _factors(repos, user, plan) if user else NO_FACTORS
    if user is None or not factors.kinds:
        return error_page("expiredActionMessage")
    return await second_factor_page(ctx, client, root, tab, factors)


async def conditions_hold(
    repos: Repositories, user: User, roles: tuple[RoleCondition, ...]
) -> bool:
    """The second-factor sub-flow's "user role" conditions, all of them (Keycloak ANDs a
    CONDITIONAL flow's conditions)."""
    for condition in roles:
        if await holds_role(repos, user, condition.role) == condition.negate:
            return False
    return True


async def password_was_enough(
    ctx: RealmContext, repos: Repositories, user: User, *, set_up: bool
) -> None:
    """No second factor is asked of this user in this login, for the browser and the
    password grant alike: the login is complete, so the failure count ends; `set_up`
    (the flow asks for one outright) gives the user CONFIGURE_TOTP first, as Keycloak's
    `setRequiredActions`."""
    if set_up and CONFIGURE_TOTP not in user.required_actions:
        user.required_actions = [*user.required_actions, CONFIGURE_TOTP]
        await repos.users.update(user)
    if await login_failure(ctx, user) is not None:
        await clear_failures(ctx, user)


async def ask_for_second_factor(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    client: Client,
    user: User,
    username: str,
    plan: BrowserPlan,
) -> Page | None:
    """After the password: the second factor's page, or None when this user has none to
    give or the flow's role conditions leave them out (with the factor asked for
    outright, CONFIGURE_TOTP is added for the required-action pages that follow). A user
    whose only way through is a passkey credential in the 2FA sub-flow gets the "not
    supported" page: the password alone is not the login the realm set up."""
    step = plan.second_factor
    if step is None:
        return None
    if not await conditions_hold(repos, user, plan.second_factor_roles):
        await password_was_enough(ctx, repos, user, set_up=False)
        return None
    factors = await _factors(repos, user, plan)
    if not factors.kinds:
        for kind in plan.webauthn_types - {WEBAUTHN}:
            if await repos.credentials.list_for_user(user.id, kind):
                return error_page("loginFlowNotSupportedMessage", 501)
        await password_was_enough(ctx, repos, user, set_up=step == SecondFactorStep.ALWAYS)
        return None
    tab.otp_user_id = user.id
    tab.login_username = username
    tab.second_factor_kind = factors.kinds[0]
    await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    return await second_factor_page(ctx, client, root, tab, factors)


async def submitted_second_factor(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    client: Client,
    form: Mapping[str, str],
    info: RequestInfo,
    plan: BrowserPlan,
) -> User | Page:
    """The page's POST: the user, once the code is right; else a page (again, or the
    other kind the person switched to)."""
    user = await repos.users.get(ctx.realm.id, tab.otp_user_id or "")
    factors = await _factors(repos, user, plan) if user else NO_FACTORS
    if user is None or not user.enabled or not factors.kinds:
        tab.otp_user_id = None
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
        # The factors went away while the page showed (an administrator removed them,
        # or the account was disabled): this login cannot go on.
        return error_page("expiredActionMessage")
    if form.get("switch") in factors.kinds:
        tab.second_factor_kind = form["switch"]
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
        return await second_factor_page(ctx, client, root, tab, factors)
    kind = tab.second_factor_kind if tab.second_factor_kind in factors.kinds else factors.kinds[0]
    username = tab.login_username or user.username
    if kind == WEBAUTHN:
        if not await code_is_right(
            ctx,
            client,
            user,
            info,
            _key_check(ctx, repos, tab, user, factors.keys, form.get("credential", "")),
            username=username,
            auth_type="webauthn",
        ):
            return await second_factor_page(
                ctx, client, root, tab, factors, error="webauthnErrorMessage"
            )
    elif kind == RECOVERY:
        assert factors.codes is not None
        credential, codes = factors.codes
        typed = form.get(RECOVERY_CODE_FIELD, "")[:64]
        left: list[RecoveryCodes] = []

        async def spend() -> bool:
            used = await use_recovery_code(repos, credential, codes, typed)
            left.extend([used] if used is not None else [])
            return used is not None

        if not typed.strip() or not await code_is_right(
            ctx, client, user, info, spend, username=username, auth_type="recovery-code"
        ):
            return await second_factor_page(
                ctx, client, root, tab, factors, error=INVALID_RECOVERY_CODE
            )
        if left and left[0].next_number is None:
            user.required_actions = [*user.required_actions, CONFIGURE_RECOVERY_AUTHN_CODES]
            await repos.users.update(user)
    else:
        selected = form.get("selectedCredentialId") or factors.devices[0].id
        device = next((d for d in factors.devices if d.id == selected), factors.devices[0])
        code = form.get("otp", "").strip()[:16]
        if not code:
            return await second_factor_page(
                ctx, client, root, tab, factors, selected=device.id, error=MISSING_TOTP
            )
        if not await code_is_right(
            ctx,
            client,
            user,
            info,
            otp_check(ctx, repos, device, code),
            username=username,
            auth_type="otp",
        ):
            return await second_factor_page(
                ctx, client, root, tab, factors, selected=device.id, error=INVALID_TOTP
            )
    tab.otp_user_id = None
    return user


def _key_check(
    ctx: RealmContext,
    repos: Repositories,
    tab: AuthenticationTab,
    user: User,
    keys: list[Credential],
    response: str,
) -> Callable[[], Awaitable[bool]]:
    """Keycloak's WebAuthnAuthenticator: the assertion against the challenge this page
    was given (used once), one of the user's keys, and a counter that grew — the key's
    new counter is stored."""

    async def check() -> bool:
        challenge, tab.webauthn_challenge = tab.webauthn_challenge, None
        if not challenge or not response:
            return False
        stored = _stored_keys(keys)
        host, origins = _host_and_origins(ctx)
        try:
            verified = verify_authentication(
                ctx.realm.webauthn_policy,
                host,
                origins,
                b64decode(challenge, "challenge"),
                response[:65536],
                [data for _, data in stored],
                user_id=user.id,
            )
        except WebAuthnCeremonyError as problem:
            log.info("realm=%s user=%s: %s", ctx.realm.name, user.id, problem)
            return False
        for credential, data in stored:
            if data.credential_id_bytes == verified.credential.credential_id_bytes:
                credential.credential_data = data.with_counter(
                    verified.new_counter
                ).credential_data()
                await repos.credentials.update(credential)
        return True

    return check


def otp_check(
    ctx: RealmContext, repos: Repositories, device: Credential, code: str
) -> Callable[[], Awaitable[bool]]:
    """The check of one code against one device, spending it when right."""

    async def check() -> bool:
        assert ctx.action_tokens is not None  # the single-use store, in every running server
        now = ctx.clock.now()
        return await check_otp(repos, ctx.action_tokens, ctx.realm, device, code, now=now)

    return check


async def code_is_right(
    ctx: RealmContext,
    client: Client,
    user: User,
    info: RequestInfo,
    check: Callable[[], Awaitable[bool]],
    *,
    username: str,
    auth_type: str,
    **details: str,
) -> bool:
    """A second factor's `check`, for the browser and the password grant alike: a
    locked-out user's code is not tried; a wrong one counts toward the lockout and is a
    LOGIN_ERROR; a right one ends the login's failure count (the login is complete)."""
    failure = await login_failure(ctx, user)
    right = not is_locked(failure, ctx.clock.now()) and await check()
    if not right:
        if ctx.realm.brute_force_protected and ctx.login_failures is not None:
            await count_failure(ctx, user, failure, info)
        ctx.record(
            "LOGIN_ERROR",
            client_id=client.client_id,
            user_id=user.id,
            ip_address=info.ip_address,
            error="invalid_user_credentials",
            details={"username": username[:255], "auth_type": auth_type, **details},
        )
        return False
    if failure is not None:
        await clear_failures(ctx, user)
    return True

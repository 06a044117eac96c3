"""grant_type=password (RFC 6749 §4.3), only for clients with direct access grants, run as
the realm's direct grant flow says (`domain/flow_plans.direct_grant_plan`).

Keycloak's default flow (username, then password): a wrong password, an unknown user and
a brute-force lockout are all 401 `invalid_grant` "Invalid user credentials" (the lockout is
not revealed); a disabled account is 400 `invalid_grant` "Account disabled", here only once
its password is proven, so the answer never tells a stranger that an account exists.

A flow whose `direct-grant-auth-x509-username` step is REQUIRED authenticates the user by
the request's client certificate (`protocol/x509_user.py`), with no `username`; a password
step after it then checks that user's password. Failures answer as Keycloak's
ValidateX509CertificateUsername: 401 `invalid_request` for a missing or refused
certificate, 401 `invalid_grant` "Invalid user credentials" when no user has the identity,
400 `invalid_grant` for a locked-out ("Invalid user credentials") or disabled ("Account
disabled") user — someone who holds a valid certificate of the user learns no more.

A flow Ostium cannot run (`UnsupportedFlow`) refuses every password grant with 400
`invalid_request`; what is unsupported is logged once per realm and flow, and is the
TOKEN_ERROR event's reason.

A user with a required action pending (enabled in the realm) gets no tokens, however they
authenticated: 400 `invalid_grant` "Account is not fully set up", as Keycloak.
"""

from __future__ import annotations

import logging
from typing import ClassVar

from ostium.domain import Client, User
from ostium.domain.flow_plans import (
    DIRECT_GRANT_OVERRIDE,
    DirectGrantPlan,
    SecondFactorStep,
    UnsupportedFlow,
    direct_grant_plan,
)
from ostium.domain.required_actions import pending_actions
from ostium.errors import InvalidGrant, InvalidRequest, InvalidUserCredentials, UnauthorizedClient
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.grants.base import GrantRequest, GrantResult, required
from ostium.protocol.login import USER_DISABLED, check_credentials
from ostium.protocol.mtls import confirmation_for
from ostium.protocol.offline_access import token_session
from ostium.protocol.scopes import granted_scopes
from ostium.protocol.second_factor import (
    code_is_right,
    conditions_hold,
    otp_check,
    password_was_enough,
)
from ostium.protocol.tokens import issue_tokens
from ostium.protocol.x509_user import (
    CERTIFICATE_INVALID,
    USER_NOT_FOUND,
    CertificateLogin,
    X509AuthConfig,
    certificate_user,
    mapped_user,
    parse_x509_config,
    x509_event_details,
)
from ostium.services.otp import otp_devices
from ostium.services.required_actions import evaluate_triggers
from ostium.services.sessions import attach_client, create_user_session
from ostium.storage.interfaces import Repositories

__all__ = ["PasswordGrant"]

_log = logging.getLogger(__name__)
_reported: set[tuple[str, str]] = set()  # (realm id, message) of unsupported flows logged


class PasswordGrant:
    GRANT_TYPE: ClassVar[str] = "password"

    async def handle(self, request: GrantRequest) -> GrantResult:
        ctx, repos, client, form = request.ctx, request.repos, request.client, request.form
        if not client.direct_access_grants_enabled:
            raise UnauthorizedClient("Client not allowed for direct access grants")
        plan = _plan(ctx, client)
        now = ctx.clock.now()
        if plan.x509:
            user, username = await _certificate_login(request, plan)
        else:
            username = required(form, "username")
            password = required(form, "password")
            user = await self._password_login(request, username, password, plan)
            await _one_time_code(request, plan, user, username)
        await evaluate_triggers(repos, ctx.realm, user, now=now)
        if pending_actions(ctx.realm.required_actions, user.required_actions):
            # Keycloak's ResourceOwnerPasswordCredentialsGrantType: no tokens until the
            # user has done what the realm requires (a temporary password changed, …),
            # which only the browser login offers. The description is Keycloak's.
            ctx.record(
                "LOGIN_ERROR",
                client_id=client.client_id,
                user_id=user.id,
                ip_address=request.info.ip_address,
                error="resolve_required_actions",
                details={"grant_type": self.GRANT_TYPE, "username": username[:255]},
            )
            raise InvalidGrant("Account is not fully set up", event="resolve_required_actions")
        scopes = granted_scopes(client, form.get("scope"))
        session = await create_user_session(
            repos,
            ctx.realm,
            user,
            now=now,
            ip_address=request.info.ip_address,
            login_username=username,
            issuer=ctx.issuer,
        )
        await attach_client(
            repos, session, client.id, now=now, redirect_uri=None, scope=" ".join(scopes)
        )
        # Keycloak records a LOGIN for every direct grant, as for a browser sign-in.
        certificate = x509_event_details(request.info.client_certificate_chain) if plan.x509 else {}
        ctx.record(
            "LOGIN",
            client_id=client.client_id,
            user_id=user.id,
            session_id=session.id,
            ip_address=request.info.ip_address,
            details={"grant_type": self.GRANT_TYPE, "username": username[:255], **certificate},
        )
        session = await token_session(ctx, repos, client, user, session, scopes)
        return await issue_tokens(
            ctx,
            repos,
            client=client,
            user=user,
            session=session,
            scopes=scopes,
            auth_time=now,
            confirmation=confirmation_for(client, request.info.client_certificate_chain),
        )

    async def _password_login(
        self, request: GrantRequest, username: str, password: str, plan: DirectGrantPlan
    ) -> User:
        checked = await check_credentials(
            request.ctx,
            request.repos,
            request.client,
            username,
            password,
            request.info,
            second_factor=plan.second_factor is not None,
            grant_type=self.GRANT_TYPE,
        )
        if checked.user is None:
            if checked.error == USER_DISABLED:
                raise InvalidGrant("Account disabled", event=USER_DISABLED)
            raise InvalidUserCredentials("Invalid user credentials", event=checked.error)
        return checked.user


async def _one_time_code(
    request: GrantRequest, plan: DirectGrantPlan, user: User, username: str
) -> None:
    """Keycloak's ValidateOTP in "Direct Grant - Conditional OTP": the `otp` parameter
    (falling back to `totp`), checked against the user's preferred device; missing or
    wrong is 401 "Invalid user credentials". A flow that asks for OTP outright gives a
    user without a device CONFIGURE_TOTP, so the grant answers "Account is not fully set
    up" until the browser login has set one up."""
    ctx, repos = request.ctx, request.repos
    if plan.second_factor is None:
        return
    if not await conditions_hold(repos, user, plan.second_factor_roles):
        await password_was_enough(ctx, repos, user, set_up=False)
        return
    devices = await otp_devices(repos, user)
    if not devices:
        always = plan.second_factor == SecondFactorStep.ALWAYS
        await password_was_enough(ctx, repos, user, set_up=always)
        return
    code = request.form.get("otp") or request.form.get("totp") or ""
    right = await code_is_right(
        ctx,
        request.client,
        user,
        request.info,
        otp_check(ctx, repos, devices[0], code),
        username=username,
        auth_type="otp",
        grant_type=PasswordGrant.GRANT_TYPE,
    )
    if not right:
        raise InvalidUserCredentials("Invalid user credentials", event="invalid_user_credentials")


def _plan(ctx: RealmContext, client: Client) -> DirectGrantPlan:
    """The realm's direct grant flow as steps this grant runs, else 400 invalid_request."""
    try:
        plan = direct_grant_plan(ctx.realm, client.flow_overrides.get(DIRECT_GRANT_OVERRIDE))
        if plan.x509 and plan.username:
            raise UnsupportedFlow(
                f"the direct grant flow {ctx.realm.direct_grant_flow!r} asks for both a"
                " username and a client certificate"
            )
        if not plan.x509 and not plan.password:
            raise UnsupportedFlow(
                f"the direct grant flow {ctx.realm.direct_grant_flow!r} finds the user by"
                " username but checks no credential"
            )
    except UnsupportedFlow as unsupported:
        message = str(unsupported)
        if (ctx.realm.id, message) not in _reported:
            _reported.add((ctx.realm.id, message))
            _log.error("realm %s: password grant refused: %s", ctx.realm.name, message)
        raise InvalidRequest(
            "The realm's direct grant flow is not supported", detail=message
        ) from None
    return plan


async def _certificate_login(request: GrantRequest, plan: DirectGrantPlan) -> tuple[User, str]:
    """Keycloak's ValidateX509CertificateUsername, then the password step if there is one.
    Returns the user and the identity the certificate named (the session's login name)."""
    ctx, repos, client, info = request.ctx, request.repos, request.client, request.info
    if not info.client_certificate_chain:
        reason = (
            f"client certificate rejected: {info.client_certificate_rejected}"
            if info.client_certificate_rejected
            else "no client certificate"
        )
        _login_error(ctx, client, info, USER_NOT_FOUND, None, None, reason)
        raise _Unauthorized("X509 client certificate is missing.", detail=reason)
    try:
        if plan.x509_config is None:
            raise ValueError("the x509 step has no authenticator configuration")
        config = parse_x509_config(plan.x509_config.config)
    except ValueError as error:
        _login_error(ctx, client, info, USER_NOT_FOUND, None, None, str(error))
        raise _Unauthorized("X509 authenticator configuration is missing or invalid.") from None
    login = await certificate_user(ctx, repos, config, info)
    if login.user is None:
        user_id = await _user_id(ctx, repos, config, login)
        event = "invalid_user_credentials" if login.error == USER_NOT_FOUND else login.error
        _login_error(ctx, client, info, event or "", login.identity, user_id, login.reason or "")
        if login.error == CERTIFICATE_INVALID:
            raise _Unauthorized(
                f"X509 certificate authentication failed: {login.reason}", event=event
            )
        if login.error == USER_NOT_FOUND:
            raise InvalidUserCredentials("Invalid user credentials", event=event)
        if login.error == USER_DISABLED:
            raise InvalidGrant("Account disabled", event=USER_DISABLED)
        raise InvalidGrant("Invalid user credentials", event=event)  # locked out
    user, identity = login.user, login.identity or login.user.username
    if plan.password:
        password = required(request.form, "password")
        checked = await check_credentials(
            ctx, repos, client, user.username, password, info, grant_type=PasswordGrant.GRANT_TYPE
        )
        if checked.user is None or checked.user.id != user.id:
            raise InvalidUserCredentials("Invalid user credentials", event=checked.error)
    elif (
        ctx.login_failures is not None
        and ctx.realm.brute_force_protected
        and await ctx.login_failures.get(ctx.realm.id, user.id) is not None
    ):
        # A successful login resets the user's failure count, as Keycloak's protector does.
        await ctx.login_failures.clear(ctx.realm.id, user.id)
    return user, identity


class _Unauthorized(InvalidRequest):
    """Keycloak answers a refused certificate with 401 and `invalid_request`."""

    status_code = 401


async def _user_id(
    ctx: RealmContext, repos: Repositories, config: X509AuthConfig, login: CertificateLogin
) -> str | None:
    """The event names the user only when Keycloak's does: a locked-out or disabled one."""
    if login.identity is None or login.error in (None, CERTIFICATE_INVALID, USER_NOT_FOUND):
        return None
    user = await mapped_user(ctx, repos, config, login.identity)
    return user.id if user is not None else None


def _login_error(
    ctx: RealmContext,
    client: Client,
    info: RequestInfo,
    error: str,
    identity: str | None,
    user_id: str | None,
    reason: str,
) -> None:
    details = {"grant_type": PasswordGrant.GRANT_TYPE, "reason": reason}
    if identity is not None:
        details["username"] = identity[:255]
    details.update(x509_event_details(info.client_certificate_chain))
    ctx.record(
        "LOGIN_ERROR",
        client_id=client.client_id,
        user_id=user_id,
        ip_address=info.ip_address,
        error=error,
        details=details,
    )

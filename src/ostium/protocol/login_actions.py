"""Keycloak's login actions that e-mail links: "Forgot password?" and the links themselves.

- `GET /realms/{r}/login-actions/reset-credentials?client_id=…&tab_id=…`
  (`reset_credentials_page`): the form asking for a username or e-mail address, in the
  tab of the login that linked to it (realm `resetPasswordAllowed`).
- `POST` to the same URL (`reset_credentials_submit`): CSRF-checked against the tab, then
  always the same "an e-mail is on its way" page. The look-up of the account and the mail
  happen after the answer (`Outbox.run_later`), so neither the page nor its timing tells
  whether an account exists. At most one reset mail per user a minute (the `actionTokens`
  cache keeps the mark, cluster-wide), so the form cannot be used to flood a mailbox.
- `GET /realms/{r}/login-actions/action-token?key=…` (`action_token`): the e-mailed
  link. The token is verified (services/action_tokens.py), its user and client checked,
  then spent, then handled by its kind: `verify-email` marks the address verified,
  `execute-actions` and `reset-credentials` start the required actions
  (`start_required_actions`). A forged, other realm's, expired or reused link is a page
  with Keycloak's message key and nothing done.

Links are consumed by the GET itself, as Keycloak does when no login is in progress in the
browser; a mail scanner that follows links would spend them (see the module's
`start_required_actions` for what follows).
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Mapping
from urllib.parse import urlencode

from ostium.domain import Client, User
from ostium.domain.flow_plans import UnsupportedFlow, reset_otp_plan
from ostium.domain.required_actions import CONFIGURE_TOTP
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.info import info_page
from ostium.protocol.required_actions import NOT_SUPPORTED, after_authentication
from ostium.protocol.results import Page, Result, error_page
from ostium.protocol.sso import auth_session_cookie, auth_session_id
from ostium.services.action_mails import action_mail, action_token_url
from ostium.services.action_tokens import (
    EXECUTE_ACTIONS,
    RESET_CREDENTIALS,
    VERIFY_EMAIL,
    ActionToken,
    ActionTokenProblem,
    check_unspent,
    read_action_token,
    spend_action_token,
)
from ostium.services.otp import otp_devices
from ostium.services.sessions import new_id, new_secret_token
from ostium.services.user_locale import user_locale
from ostium.services.users import find_login_user
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = [
    "RESET_MAIL_INTERVAL",
    "action_token",
    "reset_credentials_page",
    "reset_credentials_submit",
    "start_required_actions",
]

log = logging.getLogger("ostium.login")

# One reset mail per user in this many seconds.
RESET_MAIL_INTERVAL = 60
VERIFY_EMAIL_ACTION = "VERIFY_EMAIL"
UPDATE_PASSWORD = "UPDATE_PASSWORD"  # noqa: S105 - a required action's name
# The event a refused link is recorded as, by the token's kind (Keycloak's handlers).
_ERROR_EVENTS = {
    VERIFY_EMAIL: "VERIFY_EMAIL_ERROR",
    EXECUTE_ACTIONS: "EXECUTE_ACTION_TOKEN_ERROR",
    RESET_CREDENTIALS: "RESET_PASSWORD_ERROR",
}


# ---------------------------------------------------------------- forgot password


async def _tab(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo
) -> tuple[AuthenticationSession, AuthenticationTab] | Page:
    root_id = auth_session_id(info.cookies)
    if root_id is None:
        return error_page("cookieNotFoundMessage")
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(query.get("tab_id", "")) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None:
        return error_page("expiredActionMessage")
    return root, tab


def _restart_url(ctx: RealmContext, client: Client, tab: AuthenticationTab) -> str:
    """The application's authorization request again, as the tab keeps it: "back to
    sign-in" starts the login afresh, wherever the person left it."""
    params = {"response_type": "code", "client_id": client.client_id, **tab.params}
    return f"{ctx.endpoint('auth')}?{urlencode(params)}"


def _reset_form(
    ctx: RealmContext,
    client: Client,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    *,
    error: str | None = None,
    username: str = "",
) -> Page:
    query = urlencode({"client_id": client.client_id, "tab_id": tab.tab_id})
    return Page(
        "login_reset_password.html",
        {
            "action_url": f"{ctx.issuer}/login-actions/reset-credentials?{query}",
            "csrf_token": tab.csrf_token,
            "error": error,
            "username": username,
            "login_with_email_allowed": ctx.realm.login_with_email_allowed,
            "back_url": _restart_url(ctx, client, tab),
        },
        cookies=[auth_session_cookie(ctx, root.id)],
        locale=tab.params.get("ui_locales"),
        selected_locale=tab.locale,
        status_code=400 if error else 200,
    )


async def _tab_and_client(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo
) -> tuple[AuthenticationSession, AuthenticationTab, Client] | Page:
    if not ctx.realm.reset_password_allowed:
        return error_page("resetCredentialNotAllowedMessage")
    found = await _tab(ctx, query, info)
    if isinstance(found, Page):
        return found
    root, tab = found
    async with ctx.storage.transaction() as repos:
        client = await repos.clients.get(ctx.realm.id, tab.client_id)
    if client is None or not client.enabled:
        return error_page("clientNotFoundMessage")
    return root, tab, client


async def reset_credentials_page(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo
) -> Result:
    """Keycloak's reset-credentials entry: the "forgot your password?" form."""
    found = await _tab_and_client(ctx, query, info)
    if isinstance(found, Page):
        return found
    root, tab, client = found
    return _reset_form(ctx, client, root, tab)


async def reset_credentials_submit(
    ctx: RealmContext, query: Mapping[str, str], form: Mapping[str, str], info: RequestInfo
) -> Result:
    """The same answer for every name: the look-up and the mail come after it."""
    found = await _tab_and_client(ctx, query, info)
    if isinstance(found, Page):
        return found
    root, tab, client = found
    if not hmac.compare_digest(form.get("csrf_token", "").encode(), tab.csrf_token.encode()):
        return error_page("expiredActionMessage")
    username = form.get("username", "").strip()[:255]
    if not username:
        return _reset_form(ctx, client, root, tab, error="missingUsernameMessage")
    outbox = ctx.mail
    if outbox is None:  # a context without the server's outbox (never in a running server)
        return error_page("internalServerError", 500)

    async def send() -> None:
        await _send_reset_mail(ctx, username, client, info, f"{root.id}.{tab.tab_id}")

    outbox.run_later(send)
    back = _restart_url(ctx, client, tab)
    page = info_page("resetEmailSentMessage", back_url=back, back_key="backToLogin")
    page.locale = tab.params.get("ui_locales")
    page.selected_locale = tab.locale
    return page


async def _send_reset_mail(
    ctx: RealmContext, username: str, client: Client, info: RequestInfo, auth_session: str
) -> None:
    """Keycloak's ResetCredentialChooseUser and ResetCredentialEmail, after the answer."""
    realm, now = ctx.realm, ctx.clock.now()
    async with ctx.storage.transaction() as repos:
        user = await find_login_user(repos, realm, username)
    refused = None
    if user is None:
        refused = "user_not_found"
    elif not user.enabled:
        refused = "user_disabled"
    elif not user.email:
        refused = "invalid_email"
    if refused is not None or user is None:
        ctx.record(
            "RESET_PASSWORD_ERROR",
            client_id=client.client_id,
            user_id=user.id if user else None,
            ip_address=info.ip_address,
            error=refused,
            details={"username": username},
        )
        return
    assert ctx.action_tokens is not None
    assert ctx.mail is not None
    assert user.email
    key = f"reset-mail:{realm.id}:{user.id}"
    if not await ctx.action_tokens.first_within(key, seconds=RESET_MAIL_INTERVAL, now=now):
        log.info("realm=%s user=%s: reset mail already sent this minute", realm.name, user.id)
        ctx.record(
            "RESET_PASSWORD_ERROR",
            client_id=client.client_id,
            user_id=user.id,
            ip_address=info.ip_address,
            error="too_many_requests",
            details={"username": username},
        )
        return
    lifespan = realm.action_token_generated_by_user_lifespan
    token = ActionToken(
        type=RESET_CREDENTIALS,
        user_id=user.id,
        issuer=ctx.issuer,
        issued_at=now,
        expires=now + lifespan,
        client_id=client.client_id,
        email=user.email,
        # Keycloak's `asid`: the login that asked, continued when the link is opened in
        # the same browser.
        auth_session_id=auth_session,
    )
    mail, event = action_mail(
        ctx.mail.templates, realm, user, token, ctx.keys, ip_address=info.ip_address
    )
    await ctx.mail.deliver(realm.smtp_server, mail, event)


# ---------------------------------------------------------------- the e-mailed link


# The confirmation page's message, by the token's kind.
_CONFIRM_MESSAGES = {
    VERIFY_EMAIL: "confirmEmailAddressVerification",
    EXECUTE_ACTIONS: "confirmExecutionOfActions",
    RESET_CREDENTIALS: "confirmPasswordResetMessage",
}


async def action_token(
    ctx: RealmContext, query: Mapping[str, str], info: RequestInfo, *, confirmed: bool
) -> Result:
    """Keycloak's LoginActionsService.executeActionToken: verify, check, then — once the
    person confirmed (`confirmed`: the confirmation page's POST) — spend and handle.

    The GET only shows what the link will do, with a "Continue" button that POSTs to the
    same URL: mail scanners and link previews that fetch every link in a message would
    otherwise spend it before the person opens it (Keycloak asks for the same
    confirmation when the link is opened outside the login that sent it). A refused
    link is refused on the GET already."""
    now = ctx.clock.now()
    kind: str | None = None
    try:
        token = read_action_token(query.get("key", ""), ctx.keys, issuer=ctx.issuer, now=now)
        kind = token.type
        user, client = await _checked_user(ctx, token)
        assert ctx.action_tokens is not None
        if not confirmed:
            await check_unspent(ctx.action_tokens, token)
        else:
            await spend_action_token(ctx.action_tokens, token, now=now)
    except ActionTokenProblem as problem:
        ctx.record(
            _ERROR_EVENTS.get(problem.kind or kind or "", "EXECUTE_ACTION_TOKEN_ERROR"),
            ip_address=info.ip_address,
            error=problem.error,
            details={"reason": problem.detail},
        )
        return error_page(problem.message_key)
    if not confirmed:
        return Page(
            "action_token_confirm.html",
            {
                "message_key": _CONFIRM_MESSAGES[token.type],
                "email": user.email or "",
                "actions": list(token.required_actions),
                "action_url": action_token_url(ctx.issuer, query.get("key", ""), None),
            },
            user_locale=user_locale(user),
        )
    ctx.record(
        "EXECUTE_ACTION_TOKEN",
        client_id=token.client_id,
        user_id=user.id,
        ip_address=info.ip_address,
        details={"action": token.type},
    )
    back = token.redirect_uri or _client_home(client)
    actions = list(token.required_actions)
    if token.type == RESET_CREDENTIALS:
        try:
            actions = [UPDATE_PASSWORD, *await _reset_otp(ctx, user)]
        except UnsupportedFlow as unsupported:
            log.error("realm=%s: password reset refused: %s", ctx.realm.name, unsupported)
            return error_page(NOT_SUPPORTED, 501)
    if token.type == VERIFY_EMAIL or VERIFY_EMAIL_ACTION in actions:
        # The link reached the address it was sent to, which proves it (and the
        # address is still the user's: `_checked_user` compared it).
        await _mark_email_verified(ctx, user, token, info)
        actions = [a for a in actions if a != VERIFY_EMAIL_ACTION]
        if not actions:
            # Keycloak's VerifyEmailActionTokenHandler: in the browser whose login sent
            # the mail, that login goes on; anywhere else, a page says it is done.
            return await start_required_actions(
                ctx,
                user,
                [],
                back,
                token.client_id,
                auth_session=token.auth_session_id,
                info=info,
                elsewhere=info_page("emailVerifiedMessage", back_url=back, user=user),
            )
    return await start_required_actions(
        ctx, user, actions, back, token.client_id, auth_session=token.auth_session_id, info=info
    )


async def _reset_otp(ctx: RealmContext, user: User) -> list[str]:
    """Keycloak's ResetOTP after a password reset by e-mail: the address alone proved who
    this is, so a user with an authenticator app sets up a new one (CONFIGURE_TOTP),
    the old ones kept or, when the step is configured to, removed first."""
    plan = reset_otp_plan(ctx.realm)
    if plan is None:
        return []
    async with ctx.storage.transaction() as repos:
        devices = await otp_devices(repos, user)
        if not devices and not plan.always:
            return []
        if plan.remove_all:
            for device in devices:
                await repos.credentials.delete(device.id)
    return [CONFIGURE_TOTP]


def _client_home(client: Client | None) -> str | None:
    """Where "back to application" goes without a `redirect_uri`: the client's base URL
    (relative ones under its root URL), as Keycloak's info page links it."""
    if client is None or not client.base_url:
        return None
    if client.base_url.startswith(("https://", "http://")):
        return client.base_url
    if client.root_url and client.base_url.startswith("/"):
        return client.root_url.rstrip("/") + client.base_url
    return None


async def _checked_user(ctx: RealmContext, token: ActionToken) -> tuple[User, Client | None]:
    """The token's user, enabled, still at the address the link was sent to; its
    client enabled and still allowing its redirect URI (Keycloak checks both again)."""
    async with ctx.storage.transaction() as repos:
        user = await repos.users.get(ctx.realm.id, token.user_id)
        client = (
            await repos.clients.get_by_client_id(ctx.realm.id, token.client_id)
            if token.client_id
            else None
        )
    if user is None:
        raise ActionTokenProblem("user_not_found", "invalidCodeMessage", "user not found")
    if not user.enabled:
        raise ActionTokenProblem("user_disabled", "invalidCodeMessage", "user disabled")
    if token.email is not None and token.email != user.email:
        raise ActionTokenProblem(
            "invalid_email", "staleEmailVerificationLink", "the user's e-mail has changed"
        )
    if token.client_id and (client is None or not client.enabled):
        raise ActionTokenProblem("client_not_found", "clientNotFoundMessage", "client gone")
    if token.redirect_uri and (
        client is None
        or not client.is_valid_redirect_uri(
            token.redirect_uri, base_url=ctx.base_url, admin_url=ctx.admin_url
        )
    ):
        raise ActionTokenProblem(
            "invalid_redirect_uri", "invalidRedirectUriMessage", "redirect URI not allowed"
        )
    return user, client


async def _mark_email_verified(
    ctx: RealmContext, user: User, token: ActionToken, info: RequestInfo
) -> None:
    """Keycloak's VerifyEmailActionTokenHandler: verified, VERIFY_EMAIL done, an event."""
    async with ctx.storage.transaction() as repos:
        current = await repos.users.get(ctx.realm.id, user.id)
        if current is not None:
            current.email_verified = True
            current.required_actions = [
                a for a in current.required_actions if a != VERIFY_EMAIL_ACTION
            ]
            await repos.users.update(current)
    ctx.record(
        "VERIFY_EMAIL",
        client_id=token.client_id,
        user_id=user.id,
        ip_address=info.ip_address,
        details={"email": user.email or ""},
    )


async def start_required_actions(
    ctx: RealmContext,
    user: User,
    actions: list[str],
    redirect_uri: str | None,
    client_id: str | None,
    *,
    auth_session: str | None = None,
    info: RequestInfo | None = None,
    elsewhere: Result | None = None,
) -> Result:
    """The seam between e-mailed links and the required-action pages.

    Called by `action_token` once an `execute-actions` link (`actions` = the token's
    `rqac`, without VERIFY_EMAIL, which the link itself has proven) or a
    `reset-credentials` link (`actions` = ["UPDATE_PASSWORD"]) has been verified and
    spent, for `user` (enabled, still at the address the link was mailed to).
    `redirect_uri` (the link's, already checked against `client_id`'s redirect URIs, or
    without one the client's base URL, or None) and `client_id` (the client's
    `clientId`, or None) say where the person goes once done. `auth_session` is the
    token's `asid` (`<root id>.<tab id>` of the login that asked for the link).

    The actions are added to the user's `requiredActions` first, so they are owed
    whatever happens next. Then, when the link is opened in the browser whose login asked
    for it (the `AUTH_SESSION_ID` cookie names `auth_session`'s root and its tab is still
    there), that login continues: the user counts as authenticated and the required-action
    pages run (protocol/required_actions.py `after_authentication`), then the application
    gets its code — Keycloak's reset-credentials flow in the same browser.

    Otherwise (another browser, an expired login, an administrator's execute-actions
    link) a login of its own runs the pages and ends on "account updated" with a link
    back, signing no one in (`_link_login`) — unless the caller has its own answer for a
    link opened elsewhere (`elsewhere`: a verified address needs no pages). Only when the
    realm has neither the link's client nor `account` does an info page say to sign in to
    the application to finish.
    """
    async with ctx.storage.transaction() as repos:
        current = await repos.users.get(ctx.realm.id, user.id)
        if current is None:
            return error_page("invalidCodeMessage")
        pending = list(dict.fromkeys([*current.required_actions, *actions]))
        if pending != current.required_actions:
            current.required_actions = pending
            await repos.users.update(current)
        found = await _same_browser_login(ctx, repos, auth_session, client_id, info)
        if found is None and elsewhere is not None:
            return elsewhere
        if found is None and info is not None:
            found = await _link_login(ctx, repos, client_id, redirect_uri)
        if found is not None and info is not None:
            root, tab = found
            return await after_authentication(
                ctx, repos, root, tab, current, current.username, info
            )
    return info_page("accountUpdatePendingMessage", back_url=redirect_uri, user=user)


async def _link_login(
    ctx: RealmContext, repos: Repositories, client_id: str | None, redirect_uri: str | None
) -> tuple[AuthenticationSession, AuthenticationTab] | None:
    """A login of its own for a link opened where no login asked for it (Keycloak's
    action-token handlers start an authentication session for the link's client, or the
    `account` client): the link has authenticated the user for its actions only, so the
    pages end on "account updated" with a link back, and no one is signed in."""
    client = await repos.clients.get_by_client_id(ctx.realm.id, client_id or "account")
    if client is None or not client.enabled:
        return None
    now = ctx.clock.now()
    root = AuthenticationSession(id=new_id(), realm_id=ctx.realm.id, created=now)
    tab = AuthenticationTab(
        tab_id=new_secret_token()[:16],
        client_id=client.id,
        csrf_token=new_secret_token(),
        created=now,
        end_after_actions=True,
        back_url=redirect_uri,
    )
    root.tabs[tab.tab_id] = tab
    return root, tab


async def _same_browser_login(
    ctx: RealmContext,
    repos: Repositories,
    auth_session: str | None,
    client_id: str | None,
    info: RequestInfo | None,
) -> tuple[AuthenticationSession, AuthenticationTab] | None:
    """The login `auth_session` names, if this browser holds it and it is for the link's
    client; None otherwise (the link travelled to another browser, or the login expired)."""
    if auth_session is None or info is None or client_id is None:
        return None
    root_id, _, tab_id = auth_session.partition(".")
    if auth_session_id(info.cookies) != root_id:
        return None
    root = await ctx.auth_sessions.get(root_id)
    tab = root.tabs.get(tab_id) if root and root.realm_id == ctx.realm.id else None
    if root is None or tab is None:
        return None
    client = await repos.clients.get(ctx.realm.id, tab.client_id)
    if client is None or client.client_id != client_id:
        return None
    return root, tab

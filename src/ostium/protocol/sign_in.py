"""The end of a browser login: the SSO session and the client's code, once the user has
authenticated and every required action is done (protocol/required_actions.py)."""

from __future__ import annotations

from ostium.domain import User
from ostium.domain.locale_selection import best_match
from ostium.protocol.authorization.request import PendingAuthorization
from ostium.protocol.codes import respond_with_code
from ostium.protocol.consent import consent_step
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.results import Result
from ostium.protocol.sso import sso_cookies, sso_session
from ostium.services.logout import end_sessions
from ostium.services.sessions import create_user_session
from ostium.services.user_locale import update_user_locale
from ostium.sessions.authentication import AuthenticationSession, AuthenticationTab
from ostium.storage.interfaces import Repositories

__all__ = ["finish_login", "picked_locale", "spend_tab"]


def picked_locale(ctx: RealmContext, requested: str | None) -> str | None:
    """The realm's supported locale that `kc_locale` names (None: none, or i18n is off).
    Kept in the login's tab, it becomes the user's `locale` once they are signed in."""
    if not requested or not ctx.realm.internationalization_enabled:
        return None
    return best_match(ctx.realm.supported_locales, [requested[:64]])


async def finish_login(
    ctx: RealmContext,
    repos: Repositories,
    root: AuthenticationSession,
    tab: AuthenticationTab,
    user: User,
    info: RequestInfo,
    *,
    extra: dict[str, str] | None = None,
) -> Result:
    """The browser's SSO session (this user's, or a new one) and the code for the client.
    A tab that re-used the SSO session (`tab.sso_reused`) keeps its sign-in time: only
    a fresh authentication moves `auth_time`. `extra` joins the redirect's parameters
    (Keycloak's `kc_action_status`)."""
    # Consent (protocol/consent.py): the last page before the code, after the actions.
    consent = await consent_step(ctx, repos, root, tab, user)
    if consent is not None:
        return consent
    now = ctx.clock.now()
    username = tab.login_username or user.username
    if tab.locale is not None:
        # The language picked during this login becomes the user's (Keycloak's
        # LocaleUpdater).
        await update_user_locale(repos, user, tab.locale)
    existing = await sso_session(ctx, repos, info.cookies)
    if existing is not None and existing[1].id == user.id:
        session = existing[0]
        if not tab.sso_reused:
            session.notes["auth_time"] = str(now)
        # Keycloak sets the flag on a fresh sign-in with the box ticked, never clears it.
        session.remember_me = session.remember_me or tab.remember_me
        session.last_refresh = now
        await repos.sessions.update(session)
    else:
        if existing is not None:
            # Another user signs in on this browser: the previous SSO session ends.
            ctx.ended(await end_sessions(repos, ctx.realm, [existing[0]]))
        session = await create_user_session(
            repos,
            ctx.realm,
            user,
            now=now,
            ip_address=info.ip_address,
            login_username=username,
            issuer=ctx.issuer,
            session_id=root.id if await repos.sessions.get(root.id) is None else None,
            remember_me=tab.remember_me,
        )
    pending = PendingAuthorization.from_params(tab.client_id, tab.params)
    result = await respond_with_code(
        ctx,
        repos,
        pending,
        session,
        user,
        info,
        cookies=sso_cookies(ctx, session, user),
        extra=extra,
    )
    return await spend_tab(ctx, root, tab, result)


async def spend_tab(
    ctx: RealmContext, root: AuthenticationSession, tab: AuthenticationTab, result: Result
) -> Result:
    """The tab is spent: a replayed POST of the same form finds nothing to complete."""
    root.tabs.pop(tab.tab_id, None)
    if root.tabs:
        await ctx.auth_sessions.put(root, ttl=ctx.realm.access_code_lifespan_login)
    else:
        await ctx.auth_sessions.delete(root.id)
    return result

"""Keycloak's "Remember me": a checkbox on the login form when the realm allows it
(`rememberMe`). Ticked, the user session is marked remember-me (Keycloak's
UserSessionModel.isRememberMe): it gets the realm's remember-me idle and max lifespans
(domain/session.py `session_limits`, which falls back to the normal ones when they are 0)
and the SSO cookies get a Max-Age, so they survive a browser restart (protocol/sso.py).
Not ticked, the cookies end with the browser session.

Keycloak also remembers *who*: `KEYCLOAK_REMEMBER_ME` (`username:<name>`, a year, the
realm's cookie path) is set when a remember-me login completes and removed when one
without the box completes or the browser signs out; while it is there the login form
comes back with the name filled in and the box ticked (UsernamePasswordForm), unless the
application sent a `login_hint`."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.domain import Realm, UserSession
from ostium.protocol.context import RealmContext
from ostium.protocol.results import Cookie

__all__ = [
    "REMEMBER_ME",
    "REMEMBER_ME_COOKIE",
    "expired_remember_me_cookie",
    "remember_me_cookie",
    "remember_me_ticked",
    "remembered_username",
]

REMEMBER_ME = "rememberMe"  # the form field, as Keycloak's login.ftl names it
REMEMBER_ME_COOKIE = "KEYCLOAK_REMEMBER_ME"
REMEMBER_ME_COOKIE_MAX_AGE = 365 * 24 * 3600  # Keycloak's: a year
_PREFIX = "username:"


def remember_me_ticked(realm: Realm, form: Mapping[str, str]) -> bool:
    """Keycloak's UsernamePasswordForm: `rememberMe=on` counts only in a realm that
    offers the checkbox; a forged field in another realm changes nothing."""
    return realm.remember_me and form.get(REMEMBER_ME, "").lower() in ("on", "true")


def remembered_username(realm: Realm, cookies: Mapping[str, str]) -> str | None:
    """The name the remember-me cookie holds, in a realm that still offers the box."""
    value = cookies.get(REMEMBER_ME_COOKIE, "")
    if not realm.remember_me or not value.startswith(_PREFIX):
        return None
    return value.removeprefix(_PREFIX)[:255] or None


def remember_me_cookie(ctx: RealmContext, session: UserSession) -> Cookie:
    """Set for a remember-me session (its login name), removed for any other: Keycloak
    decides it each time a login completes."""
    if not session.remember_me:
        return expired_remember_me_cookie(ctx)
    return Cookie(
        REMEMBER_ME_COOKIE,
        _PREFIX + session.login_username,
        ctx.cookie_path,
        max_age=REMEMBER_ME_COOKIE_MAX_AGE,
    )


def expired_remember_me_cookie(ctx: RealmContext) -> Cookie:
    return Cookie(REMEMBER_ME_COOKIE, "", ctx.cookie_path, max_age=0)

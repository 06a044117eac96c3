"""Keycloak's "Remember me": a checkbox on the login form when the realm allows it
(`rememberMe`). Ticked, the user session is marked remember-me (Keycloak's
UserSessionModel.isRememberMe): it gets the realm's remember-me idle and max lifespans
(domain/session.py `session_limits`, which falls back to the normal ones when they are 0)
and the SSO cookies get a Max-Age, so they survive a browser restart (protocol/sso.py).
Not ticked, the cookies end with the browser session."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.domain import Realm

__all__ = ["REMEMBER_ME", "remember_me_ticked"]

REMEMBER_ME = "rememberMe"  # the form field, as Keycloak's login.ftl names it


def remember_me_ticked(realm: Realm, form: Mapping[str, str]) -> bool:
    """Keycloak's UsernamePasswordForm: `rememberMe=on` counts only in a realm that
    offers the checkbox; a forged field in another realm changes nothing."""
    return realm.remember_me and form.get(REMEMBER_ME, "").lower() in ("on", "true")

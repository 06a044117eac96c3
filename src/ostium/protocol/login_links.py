"""What the login form offers beside the password: the "Register" link (realm
`registrationAllowed`, protocol/registration.py) and the "Remember me" checkbox (realm
`rememberMe`, protocol/remember_me.py). Kept apart from protocol/login.py so the pages
that link back to the login form share it without importing the form's handler."""

from __future__ import annotations

from urllib.parse import urlencode

from ostium.protocol.context import RealmContext
from ostium.sessions.authentication import AuthenticationTab

__all__ = ["login_page_extras", "login_url", "registration_url"]


def registration_url(ctx: RealmContext, client_id: str, tab_id: str) -> str:
    """Keycloak's `login-actions/registration?client_id&tab_id`."""
    query = urlencode({"client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/registration?{query}"


def login_url(ctx: RealmContext, client_id: str, tab_id: str) -> str:
    """The login form of the same tab (a GET shows it again)."""
    query = urlencode({"client_id": client_id, "tab_id": tab_id})
    return f"{ctx.issuer}/login-actions/authenticate?{query}"


def login_page_extras(
    ctx: RealmContext, client_id: str, tab: AuthenticationTab
) -> dict[str, object]:
    """The login template's registration link and remember-me checkbox, when the realm
    has them."""
    realm = ctx.realm
    return {
        "registration_url": (
            registration_url(ctx, client_id, tab.tab_id) if realm.registration_allowed else None
        ),
        "remember_me_allowed": realm.remember_me,
        "remember_me": tab.remember_me,
    }

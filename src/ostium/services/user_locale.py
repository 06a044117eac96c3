"""The user's `locale` attribute, kept up to date with the language they pick.

Keycloak's LocaleUpdaterProvider: a language chosen with the picker (`kc_locale`) becomes
the signed-in user's `locale` attribute — at once when they are signed in, and at the end of
the login when they picked it on the login page — so the next login, the account pages and
the `locale` claim follow it.
"""

from __future__ import annotations

from ostium.domain import User
from ostium.storage.interfaces import Repositories

__all__ = ["update_user_locale", "user_locale"]

LOCALE = "locale"


def user_locale(user: User | None) -> str | None:
    values = user.attributes.get(LOCALE) if user is not None else None
    return values[0] if values else None


async def update_user_locale(repos: Repositories, user: User, locale: str) -> None:
    """Writes only a change: a page view must not rewrite the user each time."""
    if user_locale(user) != locale:
        user.attributes[LOCALE] = [locale]
        await repos.users.update(user)

"""Keycloak's info page: one message and, when there is somewhere to go, a link back."""

from __future__ import annotations

from ostium.domain import User
from ostium.protocol.results import Page
from ostium.services.user_locale import user_locale

__all__ = ["info_page"]


def info_page(
    message_key: str,
    *,
    back_url: str | None = None,
    back_key: str = "backToApplication",
    user: User | None = None,
) -> Page:
    """Keycloak's info page: one message, and a link back when there is somewhere to go;
    in the language of `user` (the link's owner) when the request names none."""
    return Page(
        "info.html",
        {"message_key": message_key, "back_url": back_url, "back_key": back_key},
        user_locale=user_locale(user),
    )

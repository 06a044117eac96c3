"""The language of a page and its language picker, from the request and the realm.

The choice itself is `domain.locale_selection.select_locale` (Keycloak's order); this module
gathers its inputs from HTTP — the `kc_locale` query parameter, the `KEYCLOAK_LOCALE`
cookie, `Accept-Language` — and from the page (the authorization request's `ui_locales`,
the language kept in the login's authentication session, the signed-in user's `locale`).
Picking a language with `kc_locale` sets the `KEYCLOAK_LOCALE` cookie on the realm's path
(HttpOnly, a browser-session cookie, Secure over HTTPS), as Keycloak's LocaleUpdater does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from starlette.requests import Request

from ostium.domain import Realm
from ostium.domain.locale_selection import LocaleRequest, best_match, select_locale
from ostium.locales import language_name
from ostium.protocol.context import RealmContext
from ostium.protocol.results import Cookie, Page
from ostium.protocol.sso import KEYCLOAK_IDENTITY, sso_session
from ostium.services.user_locale import update_user_locale, user_locale

__all__ = [
    "LOCALE_COOKIE",
    "LanguageChoice",
    "PageLanguage",
    "page_language",
    "picked_locale",
    "signed_in_locale",
]

LOCALE_COOKIE = "KEYCLOAK_LOCALE"
KC_LOCALE = "kc_locale"


@dataclass(frozen=True)
class LanguageChoice:
    """One entry of the language picker: the tag, its name in itself, its link."""

    tag: str
    name: str
    url: str
    current: bool


@dataclass
class PageLanguage:
    locale: str
    picker: list[LanguageChoice] = field(default_factory=list)
    cookie: Cookie | None = None


def _query_value(request: Request, name: str) -> str | None:
    value = request.query_params.get(name)
    return value[:64] if value else None


def picked_locale(realm: Realm | None, request: Request) -> str | None:
    """The supported locale this request's `kc_locale` names, when the realm offers one."""
    if realm is None or not realm.internationalization_enabled:
        return None
    requested = _query_value(request, KC_LOCALE)
    return best_match(realm.supported_locales, [requested]) if requested else None


async def signed_in_locale(ctx: RealmContext, request: Request) -> str | None:
    """The `locale` attribute of the user this browser is signed in as (None when nobody
    is, or the realm shows English only); a language picked now with `kc_locale` becomes
    that attribute first, as Keycloak's LocaleUpdater does for a signed-in user."""
    if not ctx.realm.internationalization_enabled or not request.cookies.get(KEYCLOAK_IDENTITY):
        return None
    picked = picked_locale(ctx.realm, request)
    async with ctx.storage.transaction() as repos:
        signed_in = await sso_session(ctx, repos, dict(request.cookies))
        if signed_in is None:
            return None
        user = signed_in[1]
        if picked is not None:
            await update_user_locale(repos, user, picked)
    return user_locale(user)


def _picker_url(base: str, tag: str) -> str:
    """`base` with `kc_locale=tag` (any earlier `kc_locale` replaced)."""
    parts = urlsplit(base)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != KC_LOCALE]
    query.append((KC_LOCALE, tag))
    return urlunsplit(parts._replace(query=urlencode(query)))


def _picker_base(request: Request, page: Page) -> str | None:
    """Where the picker's links go: the page's own `locale_url` (a login step, which must
    keep its tab), else this very URL when it was a GET; a page answering a POST without
    one has no picker (a GET of its URL may mean something else)."""
    if page.locale_url is not None:
        return page.locale_url
    if request.method != "GET":
        return None
    # Relative to the page itself: right behind any proxy, hostname or path prefix.
    return "?" + request.url.query if request.url.query else "?"


def page_language(
    request: Request,
    realm: Realm | None,
    page: Page,
    *,
    cookie_path: str | None,
    user_locale: str | None = None,
) -> PageLanguage:
    """The locale of `page` and, when the realm offers more than one language, its picker.
    Outside a realm (or with internationalization off) the page is English, as Keycloak's."""
    if realm is None:
        return PageLanguage("en")
    picked = picked_locale(realm, request)
    locale = select_locale(
        LocaleRequest(
            kc_locale=picked or page.selected_locale,
            user_locale=user_locale or page.user_locale,
            ui_locales=page.locale,
            cookie=request.cookies.get(LOCALE_COOKIE, "")[:64] or None,
            accept_language=request.headers.get("accept-language", "")[:1024] or None,
        ),
        internationalization_enabled=realm.internationalization_enabled,
        supported_locales=realm.supported_locales,
        default_locale=realm.default_locale,
    )
    result = PageLanguage(locale)
    if picked is not None and cookie_path is not None:
        result.cookie = Cookie(LOCALE_COOKIE, picked, cookie_path)
    base = _picker_base(request, page)
    supported = list(dict.fromkeys(realm.supported_locales))
    if realm.internationalization_enabled and len(supported) > 1 and base is not None:
        result.picker = [
            LanguageChoice(tag, language_name(tag), _picker_url(base, tag), tag == locale)
            for tag in supported
        ]
    return result

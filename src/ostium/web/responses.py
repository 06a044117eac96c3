"""Turns the protocol's typed results into HTTP responses."""

from __future__ import annotations

import secrets
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from ostium.domain import Realm
from ostium.locales import resolve_text
from ostium.protocol.results import Cookie, JsonResult, Page, Redirect, Result
from ostium.themes import ResolvedTheme
from ostium.web.middleware.security_headers import options_of
from ostium.web.page_locale import page_language
from ostium.web.runtime import Runtime

__all__ = ["render_page", "render_result", "resources_path"]

# The built-in stylesheet's old, unversioned address (kept for links already out there);
# pages link the versioned one of their theme (web/theme_resources.py).
STATIC_URL = "/resources/ostium"


def resources_path(runtime: Runtime, request: Request, theme: ResolvedTheme) -> str:
    """Keycloak's `url.resourcesPath`: `/resources/<version>/<type>/<theme>` under the
    frontend URL's path (--hostname, --http-relative-path)."""
    base = urlsplit(runtime.base_url(request)).path
    return f"{base}/resources/{theme.version}/{theme.type}/{theme.name}"


def _set_cookies(response: Response, cookies: list[Cookie], secure: bool) -> None:
    """Written by hand: the standard library quotes values containing `/`, and
    KEYCLOAK_SESSION (`realm/user/session`) must reach scripts unquoted, as Keycloak's."""
    for cookie in cookies:
        parts = [f"{cookie.name}={cookie.value}", f"Path={cookie.path}"]
        if cookie.max_age is not None:
            parts.append(f"Max-Age={cookie.max_age}")
            if cookie.max_age == 0:
                parts.append("Expires=Thu, 01 Jan 1970 00:00:00 GMT")
        if cookie.http_only:
            parts.append("HttpOnly")
        if secure:
            parts.append("Secure")
        # Over HTTPS, None lets the session-status iframe and prompt=none in an iframe
        # see the cookies; browsers accept None only with Secure, so plain HTTP
        # (start-dev) gets Lax.
        parts.append("SameSite=None" if secure else "SameSite=Lax")
        response.raw_headers.append((b"set-cookie", "; ".join(parts).encode("latin-1")))


def render_page(
    runtime: Runtime,
    request: Request,
    page: Page,
    *,
    realm_display_name: str | None = None,
    secure: bool = False,
    realm: Realm | None = None,
    cookie_path: str | None = None,
    user_locale: str | None = None,
    login_theme: str | None = None,
) -> Response:
    """`realm` (with its `cookie_path`) decides the page's language and picker and lends
    its localization texts; without one the page is English (web/page_locale.py). The
    theme is the client's `login_theme` when the page belongs to a client's login, else
    the realm's `loginTheme` (Keycloak's DefaultThemeSelectorProvider), else the built-in."""
    language = page_language(request, realm, page, cookie_path=cookie_path, user_locale=user_locale)
    if language.cookie is not None:
        page.cookies.append(language.cookie)
    realm_texts = realm.localization_texts if realm is not None else None
    theme = runtime.pages.theme(login_theme or (realm.login_theme if realm else None))
    if realm_display_name:
        # Keycloak's advancedMsg: a display name written `${key}` is a localized text.
        realm_display_name = resolve_text(
            language.locale, realm_display_name, realm_texts, theme.messages
        )
    nonce = secrets.token_urlsafe(16)
    resources = resources_path(runtime, request, theme)
    html = runtime.pages.render(
        page.template,
        locale=language.locale,
        realm_texts=realm_texts,
        theme=theme,
        languages=language.picker,
        resources_path=resources,
        styles=theme.styles,
        # The name older templates use for the theme's resources.
        static_url=resources,
        realm_display_name=realm_display_name,
        csp_nonce=nonce,
        **page.context,
    )
    response = HTMLResponse(html, status_code=page.status_code)
    response.headers["Cache-Control"] = "no-store, must-revalidate, max-age=0"
    # The headers themselves are written in one place, the security-headers middleware,
    # from the realm's policy; the page says what it frames, who may frame it, and its
    # own script policy.
    options = options_of(request.scope)
    options.frame_src = list(page.frame_src)
    options.frame_ancestors = list(page.frame_ancestors) if page.frame_ancestors else None
    options.policy = {
        "default-src": "'self'",
        "script-src": f"'nonce-{nonce}'",
        "style-src": "'self'",
        "img-src": "'self' data:",
        "object-src": "'none'",
        "form-action": "*",
    }
    _set_cookies(response, page.cookies, secure)
    return response


def render_result(
    runtime: Runtime,
    request: Request,
    result: Result,
    *,
    realm_display_name: str | None = None,
    secure: bool = False,
    realm: Realm | None = None,
    cookie_path: str | None = None,
    user_locale: str | None = None,
    login_theme: str | None = None,
) -> Response:
    response: Response
    if isinstance(result, JsonResult):
        if result.status_code == 204:
            response = Response(status_code=204, headers=result.headers)
        else:
            response = JSONResponse(
                result.body, status_code=result.status_code, headers=result.headers
            )
        _set_cookies(response, result.cookies, secure)
        return response
    if isinstance(result, Redirect):
        response = RedirectResponse(result.location, status_code=302)
        response.headers["Cache-Control"] = "no-store"
        _set_cookies(response, result.cookies, secure)
        return response
    return render_page(
        runtime,
        request,
        result,
        realm_display_name=realm_display_name,
        secure=secure,
        realm=realm,
        cookie_path=cookie_path,
        user_locale=user_locale,
        login_theme=login_theme,
    )

"""The one place that renders errors: OAuth JSON for APIs, an error page for browsers.

Anything that is not an `OAuthError` is a bug: it is logged with its trace and the
client sees a generic `server_error`, never the exception text.

HTTP-level errors (no such path, a method the path does not take) answer as Keycloak's
KeycloakErrorHandler does, on the public port and in the admin API alike: an API client
gets `{"error": "HTTP 404 Not Found"}` (the JAX-RS exception message), a browser (one
that asks for HTML) the themed error page.
"""

from __future__ import annotations

import logging
import re
from http import HTTPStatus
from urllib.parse import unquote, urlsplit

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ostium.domain import Realm
from ostium.errors import OAuthError, ServerError
from ostium.protocol.context import RealmContext
from ostium.protocol.results import Page
from ostium.services.bootstrap import MASTER
from ostium.web.responses import render_page
from ostium.web.runtime import Runtime

__all__ = ["http_error", "json_error", "page_error", "unexpected", "wants_html"]

_log = logging.getLogger("ostium.web")


def unexpected(request: Request, exc: Exception) -> OAuthError:
    _log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return ServerError("An unexpected error occurred", redirectable=False)


def json_error(error: OAuthError) -> Response:
    if error.detail:
        _log.info("%s: %s (%s)", error.error, error.description, error.detail)
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)


def page_error(
    runtime: Runtime, request: Request, error: OAuthError, ctx: RealmContext | None = None
) -> Response:
    """The error page, in the language of `ctx`'s realm when the realm is known."""
    if error.detail:
        _log.info("%s: %s (%s)", error.error, error.description, error.detail)
    status = error.status_code if error.status_code >= 400 else 400
    key, args = _message_of(error)
    page = Page(
        "error.html",
        {"message_key": key, "message_args": args, "back_url": None},
        status_code=status,
    )
    response = render_page(
        runtime,
        request,
        page,
        realm=ctx.realm if ctx else None,
        cookie_path=ctx.cookie_path if ctx else None,
        realm_display_name=(ctx.realm.display_name or ctx.realm.name) if ctx else None,
        secure=ctx.secure_cookies if ctx else False,
        login_theme=ctx.login_theme if ctx else None,
    )
    # A 503's Retry-After holds for a browser as for an API; WWW-Authenticate does not
    # (a browser would answer it with a password prompt).
    if "Retry-After" in error.headers:
        response.headers["Retry-After"] = error.headers["Retry-After"]
    return response


# Descriptions that have a message of their own, so the error page speaks the page's
# language (Keycloak's errors on its error page are message keys too, with Keycloak's
# names: Messages.BEARER_ONLY, LOGIN_REQUESTER_NOT_ENABLED, STANDARD_FLOW_DISABLED, …).
_PREFIXED_MESSAGES = (
    ("Invalid parameter: ", "invalidParameterMessage"),
    ("Missing parameter: ", "missingParameterMessage"),
    ("Missing parameters: ", "missingParameterMessage"),
    ("Duplicate parameter: ", "invalidParameterMessage"),
)
_EXACT_MESSAGES = {
    "Client not found": "clientNotFoundMessage",
    "Client not found.": "clientNotFoundMessage",
    "Invalid redirect uri": "invalidRedirectUriMessage",
    "Realm not found": "realmNotFound",
    "Realm not found.": "realmNotFound",
    "Page not found": "pageNotFound",
    "Client disabled.": "loginRequesterNotEnabledMessage",
    "Bearer-only clients cannot log in.": "bearerOnlyMessage",
    "Client is not allowed to initiate browser login": "standardFlowDisabledMessage",
    "Realm not enabled": "realmNotEnabledMessage",
}
# Any other description: the generic message of its kind. The page never shows an
# untranslated description (the log line above keeps it for the administrator).
_GENERIC_MESSAGE = "invalidRequestMessage"


def _message_of(error: OAuthError) -> tuple[str, list[str]]:
    """The message key (and its arguments) an error is shown with."""
    if isinstance(error, ServerError):
        return "internalServerError", []
    if error.error == "temporarily_unavailable":
        return "serverBusyMessage", []
    if error.description in _EXACT_MESSAGES:
        return _EXACT_MESSAGES[error.description], []
    for prefix, key in _PREFIXED_MESSAGES:
        if error.description.startswith(prefix):
            return key, [error.description.removeprefix(prefix)]
    return (_GENERIC_MESSAGE if error.status_code < 500 else "internalServerError"), []


# The message each status shows on the error page; Keycloak's `pageNotFound` for 404.
_PAGE_MESSAGES = {404: "pageNotFound", 405: "methodNotAllowed"}
_HTML_TYPES = ("text/html", "application/xhtml+xml")


def wants_html(request: Request) -> bool:
    """A browser: its Accept header names HTML itself (not only `*/*`), as Keycloak's
    MediaTypeMatcher.isHtmlRequest decides between the error page and JSON."""
    for item in request.headers.get("accept", "").split(","):
        media, *params = (part.strip() for part in item.split(";"))
        if media.lower() in _HTML_TYPES and _quality(params) > 0:
            return True
    return False


def _quality(params: list[str]) -> float:
    """The `q` of a media range (RFC 9110 §12.4.2), 1 when absent, 0 when unreadable."""
    for param in params:
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return float(value.strip())
            except ValueError:
                return 0.0
    return 1.0


_REALM_PATH = re.compile(r"/realms/([^/]+)")


async def _realm_of(runtime: Runtime, request: Request) -> tuple[Realm | None, str | None]:
    """The realm whose languages an HTTP error page speaks: the one its path names, else
    master (as Keycloak's error handler falls back to the master realm); None if neither
    exists."""
    match = _REALM_PATH.search(request.url.path)
    name = unquote(match.group(1)) if match else MASTER
    try:
        async with runtime.storage.transaction() as repos:
            realm = await repos.realms.get_by_name(name[:255])
    except Exception:  # the page must render even when storage cannot answer
        _log.warning("No realm for the error page of %s", request.url.path, exc_info=True)
        return None, None
    if realm is None:
        return None, None
    return realm, f"{urlsplit(runtime.base_url(request)).path}/realms/{realm.name}/"


async def http_error(request: Request, exc: Exception) -> Response:
    """Starlette's HTTPException (unknown path 404, wrong method 405, …) in Keycloak's
    shape; the `Allow` header of a 405 is kept."""
    if not isinstance(exc, HTTPException):  # registered for HTTPException only
        raise exc
    status = exc.status_code
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    runtime: Runtime | None = getattr(request.app.state, "runtime", None)
    if wants_html(request) and runtime is not None and status >= 400:
        page = Page(
            "error.html",
            {
                "message_key": _PAGE_MESSAGES.get(
                    status, _GENERIC_MESSAGE if status < 500 else "internalServerError"
                ),
                "message_args": [],
                "back_url": None,
            },
            status_code=status,
        )
        realm, cookie_path = await _realm_of(runtime, request)
        response = render_page(runtime, request, page, realm=realm, cookie_path=cookie_path)
        response.headers.update(exc.headers or {})
        return response
    return JSONResponse(
        {"error": f"HTTP {status} {phrase}"}, status_code=status, headers=exc.headers
    )

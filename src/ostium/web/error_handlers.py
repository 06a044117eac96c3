"""The one place that renders errors: OAuth JSON for APIs, an error page for browsers.

Anything that is not an `OAuthError` is a bug: it is logged with its trace and the
client sees a generic `server_error`, never the exception text.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from ostium.errors import OAuthError, ServerError
from ostium.protocol.results import Page
from ostium.web.responses import render_page
from ostium.web.runtime import Runtime

__all__ = ["json_error", "page_error", "unexpected"]

_log = logging.getLogger("ostium.web")


def unexpected(request: Request, exc: Exception) -> OAuthError:
    _log.exception("Unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return ServerError("An unexpected error occurred", redirectable=False)


def json_error(error: OAuthError) -> Response:
    if error.detail:
        _log.info("%s: %s (%s)", error.error, error.description, error.detail)
    return JSONResponse(error.body(), status_code=error.status_code, headers=error.headers)


def page_error(runtime: Runtime, request: Request, error: OAuthError) -> Response:
    if error.detail:
        _log.info("%s: %s (%s)", error.error, error.description, error.detail)
    status = error.status_code if error.status_code >= 400 else 400
    page = Page(
        "error.html",
        {
            "message_key": None,
            "message_args": [],
            "message_text": error.description,
            "back_url": None,
        },
        status_code=status,
    )
    return render_page(runtime, request, page)

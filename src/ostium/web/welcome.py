"""The welcome page at `/`, as Keycloak's.

While no administrator exists, a request from this machine may create one here; any
other request is told to use the bootstrap options. The form is CSRF-protected with a
double-submit cookie (SameSite=Strict) since there is no session yet to bind it to.

The page lists no realms: like Keycloak's, it is public, and realm names tell a visitor
where to aim (each realm's own URLs are in the start-up banner and the admin API).
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response

from ostium import __version__
from ostium.domain import Realm
from ostium.errors import OAuthError
from ostium.protocol.results import Page
from ostium.services.bootstrap import MASTER, admin_exists, create_admin
from ostium.web.error_handlers import page_error
from ostium.web.params import form_params
from ostium.web.responses import render_page
from ostium.web.runtime import Runtime

__all__ = ["welcome"]

STATE_COOKIE = "WELCOME_STATE_CHECKER"
FORWARDED = ("forwarded", "x-forwarded-for", "x-forwarded-host", "x-real-ip")


def is_local(request: Request) -> bool:
    """Loopback peer and no sign of a proxy in between (a proxy on localhost would
    otherwise make every visitor local)."""
    if any(name in request.headers for name in FORWARDED):
        return False
    host = request.client.host if request.client else ""
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


async def welcome(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        return await _welcome(runtime, request)
    except OAuthError as error:
        return page_error(runtime, request, error)


async def _welcome(runtime: Runtime, request: Request) -> Response:
    base = runtime.base_url(request)
    async with runtime.storage.transaction() as repos:
        master = await repos.realms.get_by_name(MASTER)
        has_admin = master is None or await admin_exists(repos, master)
    if not has_admin and master is not None:
        local = is_local(request)
        error: str | None = None
        created = False
        if request.method == "POST" and local:
            form = await form_params(request)
            error = _form_problem(request, form)
            if error is None:
                async with runtime.storage.transaction() as repos:
                    # Checked again inside the transaction: two racing POSTs make one admin.
                    if await admin_exists(repos, master):
                        error = "welcomeAdminExists"
                    else:
                        await create_admin(
                            repos, master, form["username"], form["password"], runtime.clock.now()
                        )
                        created = True
        if not created:
            token = secrets.token_urlsafe(24)
            page = Page(
                "welcome.html",
                {
                    "can_create_admin": True,
                    "local_only": not local,
                    "action_url": f"{base}/",
                    "csrf_token": token,
                    "admin_created": False,
                    "error": error,
                    "admin_api_url": f"{base}/admin/realms",
                    "version": __version__,
                },
                status_code=400 if error else 200,
                locale_url=f"{base}/",
            )
            response = render_page(runtime, request, page, **_language_of(master, base))
            response.set_cookie(
                STATE_COOKIE,
                token,
                path=f"{urlsplit(base).path}/",
                httponly=True,
                samesite="strict",
                secure=base.startswith("https://"),
            )
            return response
    page = Page(
        "welcome.html",
        {
            "can_create_admin": False,
            "local_only": False,
            "action_url": f"{base}/",
            "csrf_token": "",
            "admin_created": not has_admin,
            "error": None,
            "admin_api_url": f"{base}/admin/realms",
            "version": __version__,
        },
        locale_url=f"{base}/",
    )
    return render_page(runtime, request, page, **_language_of(master, base))


def _language_of(master: Realm | None, base: str) -> dict[str, Any]:
    """The welcome page speaks the master realm's languages, as Keycloak's (its realm is
    master); a language picked here is remembered on master's path."""
    return {"realm": master, "cookie_path": f"{urlsplit(base).path}/realms/{MASTER}/"}


def _form_problem(request: Request, form: dict[str, str]) -> str | None:
    """The message key of what is wrong with the form, or None."""
    expected = request.cookies.get(STATE_COOKIE, "")
    if not expected or not hmac.compare_digest(
        expected.encode(), form.get("csrf_token", "").encode()
    ):
        return "welcomeFormExpired"
    if not form.get("username", "").strip():
        return "missingUsernameMessage"
    if not form.get("password"):
        return "missingPasswordMessage"
    if form.get("password") != form.get("passwordConfirmation"):
        return "notMatchPasswordMessage"
    return None

"""Every route of the public port, in one table."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp

from ostium.errors import OAuthError
from ostium.protocol.context import RealmContext
from ostium.protocol.cors import preflight_headers
from ostium.protocol.results import Page, Result
from ostium.web import oidc, robots, theme_resources, welcome
from ostium.web.error_handlers import json_error, page_error, unexpected
from ostium.web.hostname_debug import hostname_debug
from ostium.web.page_locale import signed_in_locale
from ostium.web.responses import STATIC_URL, render_result
from ostium.web.runtime import Runtime

__all__ = ["routes"]

RealmHandler = Callable[[RealmContext, Request], Awaitable[Result]]
Endpoint = Callable[[Request], Awaitable[Response]]

OIDC = "/realms/{realm}/protocol/openid-connect"


def _realm_endpoint(handler: RealmHandler, *, browser: bool) -> Endpoint:
    """Resolve the realm, run the handler, render; errors as JSON or as an error page."""

    async def endpoint(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        ctx: RealmContext | None = None
        try:
            ctx = await runtime.realm_context(request)
            result = await handler(ctx, request)
            user_locale = await signed_in_locale(ctx, request) if isinstance(result, Page) else None
            return render_result(
                runtime,
                request,
                result,
                realm_display_name=ctx.realm.display_name or ctx.realm.name,
                secure=ctx.secure_cookies,
                realm=ctx.realm,
                cookie_path=ctx.cookie_path,
                user_locale=user_locale,
                login_theme=ctx.login_theme,
            )
        except OAuthError as error:
            return page_error(runtime, request, error, ctx) if browser else json_error(error)
        except Exception as exc:
            failure = unexpected(request, exc)
            return page_error(runtime, request, failure, ctx) if browser else json_error(failure)
        finally:
            if ctx is not None:
                await ctx.run_deferred()

    endpoint.__name__ = handler.__name__
    return endpoint


def api(path: str, handler: RealmHandler, methods: list[str], name: str) -> Route:
    return Route(path, _realm_endpoint(handler, browser=False), methods=methods, name=name)


def browser(path: str, handler: RealmHandler, methods: list[str], name: str) -> Route:
    return Route(path, _realm_endpoint(handler, browser=True), methods=methods, name=name)


async def preflight(request: Request) -> Response:
    """CORS preflight of the endpoints browser apps call (Keycloak answers every origin
    here; the actual response carries CORS headers only for the client's web origins)."""
    return Response(status_code=200, headers=preflight_headers(request.headers.get("origin")))


CORS_ENDPOINTS = ("token", "userinfo")


def routes(admin_app: ASGIApp | None = None) -> list[BaseRoute]:
    admin = [Mount("/admin", admin_app, name="admin")] if admin_app is not None else []
    return [
        *admin,
        Route("/", welcome.welcome, methods=["GET", "POST"], name="welcome"),
        api("/realms/{realm}", oidc.realm_info_route, ["GET"], "realm"),
        api(
            "/realms/{realm}/.well-known/openid-configuration",
            oidc.discovery_route,
            ["GET"],
            "discovery",
        ),
        # RFC 8414 §3: the same metadata under its OAuth name, as Keycloak's
        # OAuth2WellKnownProviderFactory (an OIDC provider's document is a superset of it).
        api(
            "/realms/{realm}/.well-known/oauth-authorization-server",
            oidc.discovery_route,
            ["GET"],
            "authorization_server_metadata",
        ),
        # RFC 8414 §3.1: the well-known suffix inserted before the issuer's path, at the root.
        # Keycloak ≥ 26.4 answers only the OAuth name there, not openid-configuration.
        api(
            "/.well-known/oauth-authorization-server/realms/{realm}",
            oidc.discovery_route,
            ["GET"],
            "root_authorization_server_metadata",
        ),
        Route("/robots.txt", robots.robots, methods=["GET"], name="robots"),
        browser(f"{OIDC}/auth", oidc.authorization_route, ["GET", "POST"], "authorization"),
        browser(
            "/realms/{realm}/login-actions/authenticate",
            oidc.login_action_route,
            ["GET", "POST"],
            "login_action",
        ),
        browser(
            "/realms/{realm}/login-actions/reset-credentials",
            oidc.reset_credentials_route,
            ["GET", "POST"],
            "reset_credentials",
        ),
        browser(
            "/realms/{realm}/login-actions/action-token",
            oidc.action_token_route,
            ["GET", "POST"],
            "action_token",
        ),
        browser(
            "/realms/{realm}/login-actions/required-action",
            oidc.required_action_route,
            ["GET", "POST"],
            "required_action",
        ),
        # Registration and consent (protocol/registration.py, protocol/consent_form.py).
        browser(
            "/realms/{realm}/login-actions/registration",
            oidc.registration_route,
            ["GET", "POST"],
            "registration",
        ),
        browser(
            "/realms/{realm}/login-actions/consent",
            oidc.consent_route,
            ["GET", "POST"],
            "consent",
        ),
        api(f"{OIDC}/token", oidc.token_route, ["POST"], "token"),
        api(f"{OIDC}/userinfo", oidc.userinfo_route, ["GET", "POST"], "userinfo"),
        api(f"{OIDC}/token/introspect", oidc.introspection_route, ["POST"], "introspection"),
        api(f"{OIDC}/revoke", oidc.revocation_route, ["POST"], "revocation"),
        browser(f"{OIDC}/logout", oidc.end_session_route, ["GET", "POST"], "end_session"),
        browser(
            f"{OIDC}/logout/logout-confirm", oidc.logout_confirm_route, ["POST"], "logout_confirm"
        ),
        api(f"{OIDC}/certs", oidc.jwks_route, ["GET"], "jwks"),
        browser(
            f"{OIDC}/login-status-iframe.html",
            oidc.login_status_iframe_route,
            ["GET"],
            "login_status_iframe",
        ),
        api(
            f"{OIDC}/login-status-iframe.html/init",
            oidc.login_status_iframe_init_route,
            ["GET"],
            "login_status_iframe_init",
        ),
        browser(
            f"{OIDC}/3p-cookies/step1.html",
            oidc.third_party_cookies_step1_route,
            ["GET"],
            "3p_step1",
        ),
        browser(
            f"{OIDC}/3p-cookies/step2.html",
            oidc.third_party_cookies_step2_route,
            ["GET"],
            "3p_step2",
        ),
        browser("/realms/{realm}/hostname-debug", hostname_debug, ["GET"], "hostname_debug"),
        *(
            Route(f"{OIDC}/{path}", preflight, methods=["OPTIONS"], name=f"preflight_{path}")
            for path in CORS_ENDPOINTS
        ),
        Mount(STATIC_URL, StaticFiles(packages=[("ostium", "static")]), name="static"),
        Route(
            "/resources/{version}/{type}/{theme}/{path:path}",
            theme_resources.theme_resource,
            methods=["GET", "HEAD"],
            name="theme_resource",
        ),
    ]

"""Builds the ASGI applications: the public one (8080) and the management one (9000)."""

from __future__ import annotations

from datetime import UTC, datetime

from prometheus_client import CollectorRegistry
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from ostium.admin.app import create_admin_app
from ostium.web.client_certificates import CertificateLookup
from ostium.web.error_handlers import http_error
from ostium.web.forwarded import ProxyTrust
from ostium.web.middleware.body_limit import BodyLimitMiddleware
from ostium.web.middleware.client_certificate import ClientCertificateMiddleware
from ostium.web.middleware.metrics import MetricsMiddleware
from ostium.web.middleware.proxy_headers import ProxyHeadersMiddleware
from ostium.web.middleware.security_headers import SecurityHeadersMiddleware
from ostium.web.params import MAX_BODY
from ostium.web.relative_path import under_relative_path
from ostium.web.routes import routes
from ostium.web.runtime import Runtime

__all__ = ["create_app"]


def create_app(
    runtime: Runtime,
    *,
    registry: CollectorRegistry | None = None,
    proxy: ProxyTrust | None = None,
    certificates: CertificateLookup | None = None,
) -> ASGIApp:
    """`proxy`: the forwarding headers to honour (`--proxy-headers`), applied first so
    that metrics, security headers and every route see the client's request. The admin API
    is mounted inside, so it follows too. `certificates`: the client-certificate lookup
    (`--spi-x509cert-lookup-provider`), outermost, since it must see the proxy as the peer."""
    middleware = [
        Middleware(SecurityHeadersMiddleware, headers_of=runtime.browser_security_headers),
        Middleware(BodyLimitMiddleware, max_bytes=MAX_BODY),
    ]
    if registry is not None:
        middleware.insert(0, Middleware(MetricsMiddleware, registry=registry))
    if proxy is not None:
        middleware.insert(0, Middleware(ProxyHeadersMiddleware, trust=proxy))
    if certificates is not None:
        middleware.insert(
            0,
            Middleware(
                ClientCertificateMiddleware,
                lookup=certificates,
                trusted=proxy.networks if proxy is not None else (),
                now=lambda: datetime.fromtimestamp(runtime.clock.now(), UTC),
            ),
        )
    app = Starlette(
        routes=routes(create_admin_app(runtime)),
        middleware=middleware,
        # Unknown paths and wrong methods: Keycloak's JSON or its error page.
        exception_handlers={HTTPException: http_error},
    )
    app.state.runtime = runtime
    return under_relative_path(app, runtime.relative_path)

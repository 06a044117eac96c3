"""The management interface (health and metrics), on its own port only.

Keycloak serves these on 9000 so that they are never reachable through the public
listener; a load balancer or Kubernetes probes the management port directly.
"""

from __future__ import annotations

import logging

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp

from ostium.web.error_handlers import http_error
from ostium.web.relative_path import under_relative_path
from ostium.web.runtime import Runtime

__all__ = ["create_management_app"]

_log = logging.getLogger("ostium.management")

DATABASE_CHECK = "Keycloak database connections health check"


def create_management_app(
    runtime: Runtime,
    *,
    health_enabled: bool,
    metrics_enabled: bool,
    registry: CollectorRegistry | None,
    relative_path: str | None = None,
) -> ASGIApp:
    """Under `relative_path` (`--http-management-relative-path`); unset, under
    `--http-relative-path` like the main port, as Keycloak's management paths inherit it
    (`/auth/health`, `/auth/metrics`)."""

    async def up(request: Request) -> Response:
        return JSONResponse({"status": "UP", "checks": []})

    async def ready(request: Request) -> Response:
        try:
            await runtime.storage.ping()
        except Exception as exc:  # any failure of the database means not ready
            _log.warning("Readiness: database check failed: %s", type(exc).__name__)
            return JSONResponse(
                {"status": "DOWN", "checks": [{"name": DATABASE_CHECK, "status": "DOWN"}]},
                status_code=503,
            )
        return JSONResponse({"status": "UP", "checks": [{"name": DATABASE_CHECK, "status": "UP"}]})

    async def metrics(request: Request) -> Response:
        assert registry is not None
        return Response(generate_latest(registry), media_type=CONTENT_TYPE_LATEST)

    routes: list[Route] = []
    if health_enabled:
        routes += [
            Route("/health", ready, methods=["GET"]),
            Route("/health/live", up, methods=["GET"]),
            Route("/health/ready", ready, methods=["GET"]),
            Route("/health/started", up, methods=["GET"]),
        ]
    if metrics_enabled and registry is not None:
        routes.append(Route("/metrics", metrics, methods=["GET"]))
    # The management port answers unknown paths as the main port does (Keycloak's shape).
    app = Starlette(routes=routes, exception_handlers={HTTPException: http_error})
    return under_relative_path(app, relative_path or runtime.relative_path)

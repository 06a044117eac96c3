"""HTTP request metrics, named as Keycloak's (Micrometer) `http_server_requests_seconds`."""

from __future__ import annotations

import time

from prometheus_client import CollectorRegistry, Histogram
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

__all__ = ["MetricsMiddleware"]


class MetricsMiddleware:
    def __init__(self, app: ASGIApp, *, registry: CollectorRegistry) -> None:
        self.app = app
        self.histogram = Histogram(
            "http_server_requests_seconds",
            "HTTP requests served on the public port",
            ["method", "uri", "status", "outcome"],
            registry=registry,
        )

    def _template(self, scope: Scope) -> str:
        """The route's path template, never the raw path: realm names and ids would make
        the label set unbounded."""
        app = scope.get("app")
        router = getattr(app, "router", None)
        for route in getattr(router, "routes", []):
            match, _ = route.matches(scope)
            if match == Match.FULL:
                return str(getattr(route, "path", "UNKNOWN"))
        return "UNKNOWN"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = 500

        async def capture(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, capture)
        finally:
            outcome = {2: "SUCCESS", 3: "REDIRECTION", 4: "CLIENT_ERROR", 5: "SERVER_ERROR"}
            self.histogram.labels(
                scope["method"],
                self._template(scope),
                str(status),
                outcome.get(status // 100, "UNKNOWN"),
            ).observe(time.perf_counter() - start)

"""Lets every route answer with and without a trailing slash, without a redirect.

Keycloak's admin API is JAX-RS, which matches ``/admin/realms/`` and ``/admin/realms`` to the
same resource; the admin client sends the slashed form for list/create calls. Starlette would
answer the slashed form with a 307, which a POST through some clients does not follow, so the
slash is dropped from the path before routing instead — one place for every admin route.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

__all__ = ["TrailingSlashMiddleware"]


class TrailingSlashMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            path: str = scope["path"]
            root: str = scope.get("root_path", "")
            # Only strip a slash that follows a real segment: "/" (or the mount root) stays.
            if path.endswith("/") and len(path.rstrip("/")) > len(root.rstrip("/")):
                scope = dict(scope)
                scope["path"] = path.rstrip("/")
                raw = scope.get("raw_path")
                if isinstance(raw, bytes) and raw.endswith(b"/"):
                    scope["raw_path"] = raw.rstrip(b"/")
        await self.app(scope, receive, send)

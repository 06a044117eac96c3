"""`--http-relative-path`: the whole server under one path prefix, such as `/auth`.

Keycloak (Quarkus) serves every endpoint, its static resources and the management
port's `/health` and `/metrics` under `http-relative-path`, and answers 404 outside it.
The routes stay written for `/`: the prefix becomes the ASGI `root_path`, which Starlette
strips when matching, while the request's URL keeps the full path.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import Mount
from starlette.types import ASGIApp

from ostium.web.error_handlers import http_error

__all__ = ["under_relative_path"]


def under_relative_path(app: ASGIApp, relative_path: str) -> ASGIApp:
    """`app` served under `relative_path`; paths outside it get the usual 404 answer."""
    prefix = relative_path.rstrip("/")
    if not prefix:
        return app
    # `/auth` itself is redirected to `/auth/` (the welcome page), as by Keycloak.
    return Starlette(
        routes=[Mount(prefix, app=app)], exception_handlers={HTTPException: http_error}
    )

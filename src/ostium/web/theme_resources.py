"""`GET /resources/{version}/{type}/{theme}/{path}`: a theme's CSS, images and scripts.

Keycloak's ThemeResource: the path names the resources version, the theme type and name;
a version other than the current one is 404, and what is found is served with Keycloak's
default `Cache-Control` (`theme.staticMaxAge`, 30 days). Ostium's version is a hash of the
theme's resources (ostium.themes), so a changed file changes every page's link to it and
the long cache never serves it stale: the answer is also marked `immutable`. Unlike
Keycloak's development mode (`no-cache`), `start-dev` keeps the long cache too: with themes
not cached the version is recomputed when a file changes, so the link itself moves, and a
page's stylesheet comes from the browser's cache at once (no round trip delaying the
page's autofocus on every step of a login).
"""

from __future__ import annotations

import mimetypes

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ostium.web.runtime import Runtime

__all__ = ["CACHE_CONTROL", "STATIC_MAX_AGE", "theme_resource"]

STATIC_MAX_AGE = 2592000  # Keycloak's theme staticMaxAge default, in seconds
CACHE_CONTROL = f"max-age={STATIC_MAX_AGE}, immutable"


async def theme_resource(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    params = request.path_params
    themes = runtime.pages.themes
    theme = themes.find(str(params["type"]), str(params["theme"]))
    if theme is None or params["version"] != theme.version:
        return Response(status_code=404)
    found = theme.resource(str(params["path"]))
    if found is None:
        return Response(status_code=404)
    media_type = mimetypes.guess_type(found.name)[0] or "application/octet-stream"
    return FileResponse(found, media_type=media_type, headers={"Cache-Control": CACHE_CONTROL})

"""`GET /resources/{version}/{type}/{theme}/{path}`: a theme's CSS, images and scripts.

Keycloak's ThemeResource: the path names the resources version, the theme type and name;
a version other than the current one is 404, and what is found is served with Keycloak's
default `Cache-Control` (`theme.staticMaxAge`, 30 days). Ostium's version is a hash of the
theme's resources (ostium.themes), so a changed file changes every page's link to it and
the long cache never serves it stale: the answer is also marked `immutable`. With themes
not cached (`start-dev`, `--spi-theme-cache-themes=false`) the browser is told `no-cache`,
as Keycloak's development mode does.
"""

from __future__ import annotations

import mimetypes

from starlette.requests import Request
from starlette.responses import FileResponse, Response

from ostium.web.runtime import Runtime

__all__ = ["STATIC_MAX_AGE", "theme_resource"]

STATIC_MAX_AGE = 2592000  # Keycloak's theme staticMaxAge default, in seconds


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
    cache = f"max-age={STATIC_MAX_AGE}, immutable" if themes.cache_themes else "no-cache"
    return FileResponse(found, media_type=media_type, headers={"Cache-Control": cache})

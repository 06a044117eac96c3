"""`/realms/{realm}/hostname-debug`, served with `--hostname-debug=true`, as Keycloak's.

It answers what an operator setting up a proxy needs to see: the frontend, back-channel
and admin URLs this very request resolves to, the hostname options behind them, and the
request's addressing headers (Host, Forwarded, X-Forwarded-*). Credentials (Cookie,
Authorization) are never shown. Without the option the path is unknown (404).
"""

from __future__ import annotations

from starlette.requests import Request

from ostium.errors import NotFound
from ostium.protocol.context import RealmContext
from ostium.protocol.results import Page
from ostium.web.runtime import Runtime

__all__ = ["hostname_debug"]

# The headers that decide where a request came from and which address it used.
SHOWN_HEADERS = (
    "host",
    "forwarded",
    "x-forwarded-for",
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-forwarded-port",
    "x-forwarded-prefix",
)


async def hostname_debug(ctx: RealmContext, request: Request) -> Page:
    runtime: Runtime = request.app.state.runtime
    if not runtime.hostname_debug:
        raise NotFound("Page not found", redirectable=False)
    client = request.client
    # Labels are message keys (the page is translated); option and header names are not.
    urls = [
        ("hostnameDebugRequestUrl", str(request.url)),
        ("hostnameDebugFrontendUrl", runtime.base_url(request)),
        ("hostnameDebugBackchannelUrl", runtime.backchannel_url(request)),
        ("hostnameDebugAdminUrl", runtime.admin_url(request)),
        ("hostnameDebugIssuer", ctx.issuer),
        ("hostnameDebugClientAddress", client.host if client else None),
    ]
    options = [
        ("hostname", runtime.hostname or None),
        ("hostname-admin", runtime.hostname_admin or None),
        ("hostname-backchannel-dynamic", str(runtime.backchannel_dynamic).lower()),
        ("http-relative-path", runtime.relative_path),
    ]
    headers = [(name, request.headers.get(name)) for name in SHOWN_HEADERS]
    return Page("hostname_debug.html", {"urls": urls, "options": options, "headers": headers})

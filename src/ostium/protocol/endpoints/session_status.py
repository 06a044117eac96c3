"""Session status for browser apps: the session iframe of OIDC Session Management 1.0
(`login-status-iframe.html` and its `init` check) and the third-party-cookie probe at
Keycloak's paths, so keycloak-js's `check-sso` and session monitoring work unchanged."""

from __future__ import annotations

from collections.abc import Mapping

from ostium.protocol.context import RealmContext, RequestInfo
from ostium.protocol.results import JsonResult, Page, Result
from ostium.protocol.sso import (
    KEYCLOAK_IDENTITY,
    KEYCLOAK_SESSION,
    expired_sso_cookies,
    sso_session,
)

__all__ = ["login_status_iframe", "login_status_iframe_init", "third_party_cookies"]

# The third-party-cookie probe is framed by any application's page (it tells nothing
# about anyone); the session iframe by the realm's web origins, and its `init` call
# decides which client and origin it answers for.
ANYONE = ["*"]


async def login_status_iframe(ctx: RealmContext, params: Mapping[str, str]) -> Result:
    """OIDC Session Management §4.1: the OP iframe reads the browser's session cookie
    (KEYCLOAK_SESSION, `realm/user/sid`) and answers `unchanged`, `changed` or `error`.
    Only the realm's clients' web origins may frame it."""
    async with ctx.storage.transaction() as repos:
        clients = await repos.clients.list_all(ctx.realm.id)
    origins = sorted({o for c in clients if c.enabled for o in c.allowed_origins()})
    return Page(
        "login_status_iframe.html",
        {"realm": ctx.realm.name, "init_url": ctx.endpoint("login-status-iframe.html/init")},
        frame_ancestors=ANYONE if "*" in origins else ["'self'", *origins],
    )


async def login_status_iframe_init(
    ctx: RealmContext, params: Mapping[str, str], info: RequestInfo
) -> Result:
    """204 when `origin` is a web origin of `client_id`, else 403: the iframe answers only
    the origins the client registered. SSO cookies naming a session that has ended are
    expired on the way: the iframe asks again now and then, so a session ended elsewhere
    (an administrator, another device, a timeout) reaches its cookie comparison."""
    client_id, origin = params.get("client_id", ""), params.get("origin", "")
    if not client_id or not origin:
        return JsonResult({"error": "invalid_request"}, status_code=400)
    carries_sso = bool(info.cookies.get(KEYCLOAK_SESSION) or info.cookies.get(KEYCLOAK_IDENTITY))
    async with ctx.storage.transaction() as repos:
        client = await repos.clients.get_by_client_id(ctx.realm.id, client_id)
        if client is None or not client.enabled or not client.allows_origin(origin):
            return JsonResult({"error": "forbidden"}, status_code=403)
        ended = carries_sso and await sso_session(ctx, repos, info.cookies) is None
    return JsonResult({}, status_code=204, cookies=expired_sso_cookies(ctx) if ended else [])


async def third_party_cookies(ctx: RealmContext, step: str) -> Result:
    """Keycloak's probe: step1 sets a cookie the way a third-party frame would, step2
    tells the parent window whether it came back."""
    return Page(f"3p_cookies_{step}.html", {}, frame_ancestors=ANYONE)

"""Every response's browser security headers, from the realm of its path, in one place.

Keycloak's DefaultSecurityHeadersProvider: the realm's `browserSecurityHeaders` (the
realm named in `/realms/{realm}/…` or `/admin/realms/{realm}/…`, the master realm's
elsewhere), a set per kind of response (`ResponseKind`), Strict-Transport-Security on
every one. A page says what framing it needs through the `SecurityHeadersOptions` of its
request (Keycloak's SecurityHeadersOptions), never by writing the headers itself.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ostium.domain.browser_security_headers import DEFAULTS, ResponseKind, headers_for

__all__ = [
    "HeadersOfRealm",
    "SecurityHeadersMiddleware",
    "SecurityHeadersOptions",
    "options_of",
    "realm_of_path",
]

_log = logging.getLogger("ostium.web")

# The realm's headers, by realm name (None: no realm in the path).
HeadersOfRealm = Callable[[str | None], Awaitable[Mapping[str, str]]]

_SCOPE_KEY = "ostium.security_headers"
_REALM_PATH = re.compile(r"^/(?:admin/)?realms/([^/]+)(?:/|$)")
_CSP = "Content-Security-Policy"
_OWN = {"content-security-policy", "x-frame-options"}


@dataclass
class SecurityHeadersOptions:
    """What one page asks of the headers.

    `frame_src`: origins it frames beyond 'self' (front-channel logout iframes);
    `frame_ancestors`: who may frame it (the session-status iframe, the third-party
    cookie probe) — set, X-Frame-Options goes; `policy`: the page's own directives
    (its script nonce, …), added for those the realm's policy does not name."""

    frame_src: list[str] = field(default_factory=list)
    frame_ancestors: list[str] | None = None
    policy: dict[str, str] = field(default_factory=dict)


def options_of(scope: Scope) -> SecurityHeadersOptions:
    """The options of this request (a throwaway when no middleware installed them)."""
    options = scope.get(_SCOPE_KEY)
    return options if isinstance(options, SecurityHeadersOptions) else SecurityHeadersOptions()


def realm_of_path(path: str) -> str | None:
    match = _REALM_PATH.match(path)
    return match.group(1) if match else None


def response_kind(response_type: str, request_type: str) -> ResponseKind:
    """Keycloak's rule: JSON or XML (the response's type, else the request's) is REST;
    HTML, or anything answering a submitted form, is a page; the rest is other."""
    response_media = _media(response_type)
    if _is_rest(response_media or _media(request_type)):
        return ResponseKind.REST
    if response_media == "text/html" or _media(request_type) == (
        "application/x-www-form-urlencoded"
    ):
        return ResponseKind.HTML
    return ResponseKind.OTHER


def _media(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def _is_rest(media: str) -> bool:
    kind, _, subtype = media.partition("/")
    return kind == "application" and (
        subtype in ("json", "xml") or subtype.endswith(("+json", "+xml"))
    )


def content_security_policy(realm_policy: str, options: SecurityHeadersOptions) -> str:
    """The realm's policy, with the page's framing written into its `frame-src` and
    `frame-ancestors`, then the page's own directives the realm's policy leaves out.

    Keycloak rewrites the framing only while the realm keeps the default policy, so a
    customised policy breaks the session iframe; here it applies to any policy."""
    directives: dict[str, str] = {}
    for part in realm_policy.split(";"):
        name, _, value = part.strip().partition(" ")
        if name:
            directives[name.lower()] = value.strip()
    if options.frame_src:
        sources = directives.get("frame-src") or "'self'"
        directives["frame-src"] = " ".join([sources, *options.frame_src])
    if options.frame_ancestors is not None:
        directives["frame-ancestors"] = " ".join(options.frame_ancestors)
    for name, value in options.policy.items():
        directives.setdefault(name, value)
    return " ".join(
        f"{name} {value};" if value else f"{name};" for name, value in directives.items()
    )


class SecurityHeadersMiddleware:
    def __init__(self, app: ASGIApp, *, headers_of: HeadersOfRealm | None = None) -> None:
        self.app = app
        self.headers_of = headers_of

    async def _realm_headers(self, scope: Scope) -> Mapping[str, str]:
        if self.headers_of is None:
            return DEFAULTS
        path: str = scope["path"]
        root: str = scope.get("root_path", "")
        if root and path.startswith(root):
            path = path[len(root) :]
        try:
            return await self.headers_of(realm_of_path(path))
        except Exception:  # the headers must not cost the response: Keycloak's defaults
            _log.exception("Could not read the realm's browser security headers")
            return DEFAULTS

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        options = SecurityHeadersOptions()
        scope[_SCOPE_KEY] = options
        request_type = ""
        for name, value in scope.get("headers", []):
            if name == b"content-type":
                request_type = value.decode("latin-1")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                response_type = next(
                    (v.decode("latin-1") for n, v in headers if n.lower() == b"content-type"), ""
                )
                kind = response_kind(response_type, request_type)
                wanted = headers_for(kind, await self._realm_headers(scope))
                if kind is ResponseKind.HTML:
                    policy = content_security_policy(wanted.get(_CSP, ""), options)
                    if policy:
                        wanted[_CSP] = policy
                    if options.frame_ancestors is not None:
                        wanted.pop("X-Frame-Options", None)
                names = {n.lower() for n in wanted} | _OWN
                headers = [(n, v) for n, v in headers if n.decode("latin-1").lower() not in names]
                headers += [(n.lower().encode(), v.encode("latin-1")) for n, v in wanted.items()]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)

"""What a running server holds: storage, caches, clock, pages; built once at start-up."""

from __future__ import annotations

import ssl
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from starlette.requests import Request

from ostium.clock import Clock
from ostium.domain import Realm, RealmKey
from ostium.domain.browser_security_headers import DEFAULTS as BROWSER_HEADER_DEFAULTS
from ostium.errors import AccessDenied, NotFound
from ostium.events import EventLog
from ostium.keys.rotation import as_of as keys_as_of
from ostium.protocol.context import RealmContext, RequestInfo
from ostium.services.backchannel import BackchannelLogout
from ostium.services.hashing import PasswordHashing
from ostium.services.keys import current_keys
from ostium.services.mail import RETRY_DELAYS, MailTemplates, Outbox
from ostium.sessions.action_tokens import ActionTokens
from ostium.sessions.authentication import (
    AuthenticationSessionStore,
    CachedAuthenticationSessionStore,
)
from ostium.sessions.cached_storage import CachedStorage
from ostium.sessions.caches import Caches
from ostium.sessions.local_cache import LocalCache
from ostium.sessions.login_failures import LoginFailures
from ostium.storage.interfaces import Storage
from ostium.web.middleware.client_certificate import (
    client_certificate_of,
    client_certificate_rejection_of,
)
from ostium.web.pages import Pages

__all__ = ["RealmNotFound", "Runtime", "request_info"]


class RealmNotFound(NotFound):
    def body(self) -> dict[str, str]:
        # Keycloak's body for an unknown realm.
        return {"error": "Realm does not exist", "error_description": self.description}


@dataclass
class Runtime:
    """Build it with `Runtime.create`, which puts the caches in front of the storage."""

    storage: Storage
    clock: Clock
    caches: Caches
    auth_sessions: AuthenticationSessionStore
    login_failures: LoginFailures
    action_tokens: ActionTokens
    events: EventLog
    pages: Pages
    hostname: str | None = None
    # --http-relative-path: the prefix every path of this server sits under ("/" for none).
    relative_path: str = "/"
    # --hostname-admin, --hostname-backchannel-dynamic, --hostname-debug (hostname v2).
    hostname_admin: str | None = None
    backchannel_dynamic: bool = False
    hostname_debug: bool = False
    node_name: str | None = None
    version: str = ""
    # Keycloak features turned off with --features-disabled (such as `impersonation`).
    features_disabled: frozenset[str] = frozenset()
    # Password hashing, off the event loop (services/hashing.py).
    hashing: PasswordHashing = field(default_factory=PasswordHashing)
    # E-mail: the pause before each retry, and the TLS context for SMTP (None: the
    # system's trust store).
    mail_retry_delays: Sequence[float] = RETRY_DELAYS
    mail_tls_context: ssl.SSLContext | None = None
    backchannel: BackchannelLogout = field(init=False)
    mail: Outbox = field(init=False)

    def __post_init__(self) -> None:
        self.backchannel = BackchannelLogout(self.realm_keys, self.events, self.clock)
        templates = MailTemplates(self.pages.translator, self.pages.themes)
        self.mail = Outbox(
            self.events,
            self.clock,
            templates,
            retry_delays=self.mail_retry_delays,
            tls_context=self.mail_tls_context,
        )

    @classmethod
    def create(
        cls,
        storage: Storage,
        clock: Clock,
        *,
        caches: Caches | None = None,
        persistent_sessions: bool = True,
        events: EventLog | None = None,
        pages: Pages | None = None,
        hostname: str | None = None,
        relative_path: str = "/",
        hostname_admin: str | None = None,
        backchannel_dynamic: bool = False,
        hostname_debug: bool = False,
        node_name: str | None = None,
        version: str = "",
        features_disabled: frozenset[str] = frozenset(),
        hashing: PasswordHashing | None = None,
        mail_retry_delays: Sequence[float] = RETRY_DELAYS,
        mail_tls_context: ssl.SSLContext | None = None,
    ) -> Runtime:
        caches = caches or Caches.build()
        return cls(
            storage=CachedStorage(storage, caches, persistent_sessions=persistent_sessions),
            clock=clock,
            caches=caches,
            auth_sessions=CachedAuthenticationSessionStore(caches["authenticationSessions"]),
            login_failures=LoginFailures(caches["loginFailures"]),
            action_tokens=ActionTokens(caches["actionTokens"]),
            events=events or EventLog(),
            pages=pages or Pages(),
            hostname=hostname,
            relative_path=relative_path,
            hostname_admin=hostname_admin,
            backchannel_dynamic=backchannel_dynamic,
            hostname_debug=hostname_debug,
            node_name=node_name,
            version=version,
            features_disabled=features_disabled,
            hashing=hashing or PasswordHashing(),
            mail_retry_delays=mail_retry_delays,
            mail_tls_context=mail_tls_context,
        )

    @property
    def keys(self) -> LocalCache[list[RealmKey]]:
        """Keycloak's `keys` cache: 1000 entries, an hour; a restored database brings its
        own keys back, and a restart (or the `work` channel) reloads them."""
        return self.caches.local["keys"]

    @property
    def path_prefix(self) -> str:
        """`--http-relative-path` without its trailing slash: "" when serving at the root."""
        return self.relative_path.rstrip("/")

    def base_url(self, request: Request) -> str:
        """The frontend URL every link, issuer and redirect starts with (Keycloak's hostname
        v2): `--hostname` as a URL wins, path included (a proxy may map it onto another
        local path); a bare host name takes scheme and port from the request; with no
        hostname (start-dev) the request's Host decides. Without a path in `--hostname`,
        `--http-relative-path` is the path, as in Keycloak."""
        if self.hostname:
            if "://" in self.hostname:
                return self.hostname.rstrip("/")
            port = request.url.port
            default = {"http": 80, "https": 443}.get(request.url.scheme)
            suffix = f":{port}" if port and port != default else ""
            return f"{request.url.scheme}://{self.hostname}{suffix}{self.path_prefix}"
        return f"{request.url.scheme}://{request.url.netloc}{self.path_prefix}"

    def request_url(self, request: Request) -> str:
        """The server's URL as this request reached it, whatever `--hostname` says."""
        return f"{request.url.scheme}://{request.url.netloc}{self.path_prefix}"

    def backchannel_url(self, request: Request) -> str:
        """Keycloak's backend URL: the request's own with `--hostname-backchannel-dynamic`
        (services inside the network call the server directly), else the frontend URL."""
        return self.request_url(request) if self.backchannel_dynamic else self.base_url(request)

    def admin_url(self, request: Request) -> str:
        """Where the admin console is reached: `--hostname-admin`, else the frontend URL."""
        return self.hostname_admin.rstrip("/") if self.hostname_admin else self.base_url(request)

    def route_path(self, request: Request) -> str:
        """The request's path without `--http-relative-path`: what routes are written for."""
        path = request.url.path
        prefix = self.path_prefix
        return path[len(prefix) :] if prefix and path.startswith(prefix) else path

    async def realm_context(self, request: Request, name: str | None = None) -> RealmContext:
        """The context of the realm named in the path (or `name`)."""
        name = name if name is not None else request.path_params["realm"]
        async with self.storage.transaction() as repos:
            realm = await repos.realms.get_by_name(name)
            if realm is None:
                raise RealmNotFound(f"Realm '{name[:100]}' does not exist", redirectable=False)
            if not realm.enabled:
                raise AccessDenied("Realm not enabled", redirectable=False)
        base = self.base_url(request)
        return RealmContext(
            realm=realm,
            issuer=f"{base}/realms/{realm.name}",
            keys=await self.realm_keys(realm),
            storage=self.storage,
            clock=self.clock,
            auth_sessions=self.auth_sessions,
            events=self.events,
            secure_cookies=base.startswith("https://"),
            node_name=self.node_name,
            backchannel_url=self.request_url(request) if self.backchannel_dynamic else None,
            admin_url=self.hostname_admin.rstrip("/") if self.hostname_admin else None,
            login_failures=self.login_failures,
            backchannel=self.backchannel,
            hashing=self.hashing,
            mail=self.mail,
            action_tokens=self.action_tokens,
        )

    async def browser_security_headers(self, realm_name: str | None) -> Mapping[str, str]:
        """The `browserSecurityHeaders` of the realm a request's path names; the master
        realm's for other paths and unknown realms; Keycloak's defaults without either.
        Realms are read through the `realms` cache, so this costs no query per request."""
        async with self.storage.transaction() as repos:
            realm = await repos.realms.get_by_name(realm_name) if realm_name else None
            if realm is None and realm_name != "master":
                realm = await repos.realms.get_by_name("master")
        return realm.browser_security_headers if realm is not None else BROWSER_HEADER_DEFAULTS

    async def realm_keys(self, realm: Realm) -> list[RealmKey]:
        """The realm's keys as they stand now: the cached list is re-judged against the
        clock on every call, so a rotated-out key stops verifying the moment its grace
        period ends, without waiting for the cache to expire."""
        cached = self.keys.get(realm.id)
        if cached is None:
            async with self.storage.transaction() as repos:
                cached = await current_keys(repos, realm, self.clock.now())
            self.keys.put(realm.id, cached)
        return keys_as_of(cached, self.clock.now())


def request_info(request: Request) -> RequestInfo:
    client = request.client
    return RequestInfo(
        ip_address=client.host if client else None,
        cookies=dict(request.cookies),
        authorization=request.headers.get("authorization"),
        accept_language=request.headers.get("accept-language"),
        origin=request.headers.get("origin"),
        client_certificate_chain=client_certificate_of(request.scope),
        client_certificate_rejected=client_certificate_rejection_of(request.scope),
    )

"""Everything an endpoint needs about the realm a request is for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from cryptography import x509

from ostium.clock import Clock
from ostium.domain import Client, Realm, RealmKey
from ostium.events import Event, EventLog
from ostium.sessions.authentication import AuthenticationSessionStore
from ostium.sessions.login_failures import LoginFailures

if TYPE_CHECKING:
    from ostium.services.backchannel import BackchannelLogout
    from ostium.services.hashing import PasswordHashing
    from ostium.services.logout import EndedSession
    from ostium.services.mail import Outbox
    from ostium.sessions.action_tokens import ActionTokens
from ostium.storage.interfaces import Storage

__all__ = ["RealmContext", "RequestInfo"]


@dataclass(frozen=True)
class RequestInfo:
    """The parts of the HTTP request the protocol may look at, already parsed by `web/`."""

    ip_address: str | None
    cookies: dict[str, str]
    authorization: str | None = None  # the Authorization header
    accept_language: str | None = None
    origin: str | None = None  # the Origin header of a browser's cross-origin request
    # The verified client certificate and its chain up to the truststore, leaf first;
    # () without one (web/middleware/client_certificate.py).
    client_certificate_chain: tuple[x509.Certificate, ...] = ()
    # Why a certificate the request carried was refused (untrusted peer, a chain that does
    # not verify, …), for the failure's event; None when none was refused.
    client_certificate_rejected: str | None = None


@dataclass
class RealmContext:
    realm: Realm
    issuer: str  # e.g. http://localhost:8080/realms/acme
    keys: list[RealmKey]
    storage: Storage
    clock: Clock
    auth_sessions: AuthenticationSessionStore
    events: EventLog
    secure_cookies: bool  # HTTPS as the browser sees it: sets Secure and SameSite=None
    hashing: PasswordHashing  # the process's password-hashing pool, off the event loop
    node_name: str | None = None  # the AUTH_SESSION_ID route suffix, None to leave it off
    # --hostname-backchannel-dynamic: the server's URL as this request reached it (None:
    # the frontend URL), and --hostname-admin: the admin console's URL (None: frontend).
    backchannel_url: str | None = None
    admin_url: str | None = None
    login_failures: LoginFailures | None = None  # brute-force counters (loginFailures cache)
    backchannel: BackchannelLogout | None = None  # back-channel logout deliveries
    mail: Outbox | None = None  # e-mail sent after the answer (services/mail.py)
    action_tokens: ActionTokens | None = None  # single-use marks of e-mailed links
    # The client this request acts for, once the protocol knows it (Keycloak's
    # KeycloakContext#getClient): its `login_theme` attribute themes the pages it answers.
    client: Client | None = None
    # Work that must happen whether the request succeeds or fails, once its own
    # transaction is over (a failed login's may roll back).
    deferred: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    def ended(self, ended: list[EndedSession]) -> None:
        """Sessions this request ended: their clients are told once it is over."""
        backchannel = self.backchannel
        if backchannel is not None and ended:
            realm = self.realm
            self.deferred.append(lambda: backchannel.notify(realm, ended))

    async def run_deferred(self) -> None:
        while self.deferred:
            await self.deferred.pop(0)()

    @property
    def login_theme(self) -> str | None:
        """The client's `login_theme` attribute (Keycloak's client setting), if any."""
        if self.client is None:
            return None
        return self.client.attributes.get("login_theme") or None

    @property
    def cookie_path(self) -> str:
        """The realm's path as the browser sees it (Keycloak's cookies follow the frontend
        URL), so a path in `--hostname` or `--http-relative-path` is part of it."""
        return f"{urlsplit(self.issuer).path}/"

    @property
    def base_url(self) -> str:
        return self.issuer.rsplit("/realms/", 1)[0]

    def endpoint(self, name: str) -> str:
        return f"{self.issuer}/protocol/openid-connect/{name}"

    def backchannel_endpoint(self, name: str) -> str:
        """An endpoint services call directly (token, userinfo, …): Keycloak's backend URL."""
        if self.backchannel_url is None:
            return self.endpoint(name)
        realm_path = self.issuer[len(self.base_url) :]
        return f"{self.backchannel_url}{realm_path}/protocol/openid-connect/{name}"

    def record(self, type: str, **fields: Any) -> None:
        """An audit event of this realm, now."""
        self.events.record(
            Event(type, self.realm.id, self.clock.now(), realm_name=self.realm.name, **fields)
        )

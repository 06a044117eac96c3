"""Authentication sessions: one per browser login attempt, with a tab per attempt.

They live only in the `authenticationSessions` cache (Keycloak: caching guide), never in
the database: a login in progress is cheap to restart and expensive to persist.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Protocol

from ostium.sessions.distributed import DistributedCache, is_tombstone

__all__ = [
    "AuthenticationSession",
    "AuthenticationSessionStore",
    "AuthenticationTab",
    "CachedAuthenticationSessionStore",
]


@dataclass
class AuthenticationTab:
    """One login attempt: the authorization request waiting for the user to sign in."""

    tab_id: str
    client_id: str  # internal id
    csrf_token: str
    created: int
    params: dict[str, str] = field(default_factory=dict)
    # The login failed once: the page shows "Invalid username or password.".
    attempted_username: str | None = None
    # The language picked during this login (`kc_locale`; Keycloak's USER_REQUEST_LOCALE
    # auth note): it outranks `ui_locales` on the next steps and becomes the user's
    # `locale` attribute once they are signed in.
    locale: str | None = None
    # The X.509 confirmation page is showing: the user the certificate maps to, and the
    # SHA-256 of that certificate, which the confirming request must present again.
    x509_user_id: str | None = None
    x509_thumbprint: str | None = None
    # The password was right and the one-time code page is showing (protocol/otp_login.py):
    # the user it was right for; nothing else counts as signed in yet.
    otp_user_id: str | None = None
    second_factor_kind: str | None = None  # "otp", "webauthn" or "recovery": the page
    # The security-key page's WebAuthn challenge (Base64), single-use.
    webauthn_challenge: str | None = None
    # CONFIGURE_TOTP's page is showing: the key it offered (kept here, never in the page's
    # form, so the code must come from that key).
    totp_secret: str | None = None
    # CONFIGURE_RECOVERY_AUTHN_CODES's page is showing: the codes it shows (only their
    # hashes are stored, once the person confirms they saved them).
    recovery_codes: list[str] | None = None
    # The user proved who they are; the required actions run before the code is issued
    # (protocol/required_actions.py). Until every one is done, this is all that marks
    # the tab as authenticated: no SSO session or cookie exists yet.
    authenticated_user_id: str | None = None
    login_username: str | None = None
    sso_reused: bool = False  # authenticated by the SSO cookie, not by a form
    # The action whose page is showing: only its form is accepted.
    current_action: str | None = None
    # Passed over for this login (Keycloak's `ignore`: VERIFY_EMAIL with no address).
    ignored_actions: list[str] = field(default_factory=list)
    # The application-initiated action (`kc_action`) and, once settled, its
    # `kc_action_status` for the client (success, cancelled, error).
    kc_action: str | None = None
    kc_action_status: str | None = None
    # VERIFY_EMAIL: the mail was asked for once in this login (not again on each page).
    verify_email_sent: bool = False
    # Opened from an e-mailed link in a browser that had no login for it (Keycloak's
    # END_AFTER_REQUIRED_ACTIONS): the required actions end on the "account updated"
    # page with a link to `back_url`, not with a sign-in.
    end_after_actions: bool = False
    back_url: str | None = None
    # "Remember me" was ticked on the login form (protocol/remember_me.py).
    remember_me: bool = False
    # The consent page is showing (protocol/consent.py); once accepted, it is not asked
    # again in this tab.
    consent_shown: bool = False
    consent_given: bool = False


@dataclass
class AuthenticationSession:
    id: str  # the root id, the first part of the AUTH_SESSION_ID cookie
    realm_id: str
    created: int
    tabs: dict[str, AuthenticationTab] = field(default_factory=dict)


class AuthenticationSessionStore(Protocol):
    async def get(self, session_id: str) -> AuthenticationSession | None: ...
    async def put(self, session: AuthenticationSession, *, ttl: int) -> None: ...
    async def delete(self, session_id: str) -> None: ...


class CachedAuthenticationSessionStore:
    """Over the `authenticationSessions` cache, local or Redis: a login started on one node
    can be finished on any other."""

    def __init__(self, cache: DistributedCache) -> None:
        self._cache = cache

    async def get(self, session_id: str) -> AuthenticationSession | None:
        value = await self._cache.get(session_id)
        if value is None or is_tombstone(value):
            return None
        tabs = {tab_id: AuthenticationTab(**tab) for tab_id, tab in value.pop("tabs").items()}
        return AuthenticationSession(**value, tabs=tabs)

    async def put(self, session: AuthenticationSession, *, ttl: int) -> None:
        await self._cache.put(session.id, dataclasses.asdict(session), ttl=ttl)

    async def delete(self, session_id: str) -> None:
        await self._cache.delete(session_id)

"""A realm: the tenant that owns clients, users, roles, groups and keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from ostium.domain.browser_security_headers import DEFAULTS as BROWSER_HEADER_DEFAULTS

__all__ = ["Realm"]


@dataclass
class Realm:
    """Defaults are Keycloak's (RealmRepresentation defaults for a new realm)."""

    id: str
    name: str
    enabled: bool = True
    display_name: str | None = None
    # Token and session lifetimes, in seconds.
    access_token_lifespan: int = 300
    access_token_lifespan_for_implicit_flow: int = 900
    access_code_lifespan: int = 60
    access_code_lifespan_user_action: int = 300
    access_code_lifespan_login: int = 1800
    sso_session_idle_timeout: int = 1800
    sso_session_max_lifespan: int = 36000
    sso_session_idle_timeout_remember_me: int = 0
    sso_session_max_lifespan_remember_me: int = 0
    offline_session_idle_timeout: int = 2592000
    offline_session_max_lifespan_enabled: bool = False
    offline_session_max_lifespan: int = 5184000
    client_session_idle_timeout: int = 0
    client_session_max_lifespan: int = 0
    revoke_refresh_token: bool = False
    refresh_token_max_reuse: int = 0
    not_before: int = 0
    ssl_required: str = "external"
    registration_allowed: bool = False
    login_with_email_allowed: bool = True
    duplicate_emails_allowed: bool = False
    remember_me: bool = False
    verify_email: bool = False
    reset_password_allowed: bool = False
    edit_username_allowed: bool = False
    default_signature_algorithm: str = "RS256"
    internationalization_enabled: bool = False
    supported_locales: list[str] = field(default_factory=list)
    default_locale: str | None = None
    # Brute-force detection, with Keycloak's defaults.
    brute_force_protected: bool = False
    permanent_lockout: bool = False
    max_temporary_lockouts: int = 0
    failure_factor: int = 30
    wait_increment_seconds: int = 60
    max_failure_wait_seconds: int = 900
    minimum_quick_login_wait_seconds: int = 60
    quick_login_check_milli_seconds: int = 1000
    max_delta_time_seconds: int = 43200
    # The declarative user profile (Keycloak's UPConfig JSON, as its `declarative-user-profile`
    # component holds it); None: the built-in default profile.
    user_profile_config: str | None = None
    # Keycloak's browserSecurityHeaders: setting name → header value ("" sends none).
    browser_security_headers: dict[str, str] = field(
        default_factory=lambda: dict(BROWSER_HEADER_DEFAULTS)
    )
    # Everything else in a RealmRepresentation that Ostium keeps but does not act on.
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def default_role_name(self) -> str:
        return f"default-roles-{self.name}"

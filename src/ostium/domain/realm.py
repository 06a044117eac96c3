"""A realm: the tenant that owns clients, users, roles, groups and keys."""

from __future__ import annotations

from dataclasses import dataclass, field

from ostium.domain.authentication_flows import (
    AuthenticationFlow,
    AuthenticatorConfig,
    built_in_flows,
)
from ostium.domain.browser_security_headers import DEFAULTS as BROWSER_HEADER_DEFAULTS
from ostium.domain.otp import OtpPolicy
from ostium.domain.required_actions import RequiredActionProvider, default_required_actions
from ostium.domain.webauthn_policy import (
    LIST_FIELDS as WEBAUTHN_LIST_FIELDS,
)
from ostium.domain.webauthn_policy import (
    SCALAR_FIELDS as WEBAUTHN_SCALAR_FIELDS,
)
from ostium.domain.webauthn_policy import WebAuthnPolicy

__all__ = ["Realm", "webauthn_attribute_stem"]


def webauthn_attribute_stem(*, passwordless: bool) -> str:
    """The start of the Realm attributes that hold one WebAuthn policy's settings."""
    return "webauthn_policy_passwordless_" if passwordless else "webauthn_policy_"


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
    registration_email_as_username: bool = False
    login_with_email_allowed: bool = True
    duplicate_emails_allowed: bool = False
    remember_me: bool = False
    verify_email: bool = False
    reset_password_allowed: bool = False
    edit_username_allowed: bool = False
    # Keycloak's `smtpServer`: its map of strings as the representation carries it (host,
    # port, from, fromDisplayName, replyTo, replyToDisplayName, envelopeFrom, ssl,
    # starttls, auth, user, password, authType); domain/smtp.py reads it.
    smtp_server: dict[str, str] = field(default_factory=dict)
    # How long an e-mailed link (an action token) lives, in seconds: one the user asked
    # for ("forgot password?", verification) and one an administrator sent.
    action_token_generated_by_user_lifespan: int = 300
    action_token_generated_by_admin_lifespan: int = 43200
    default_signature_algorithm: str = "RS256"
    internationalization_enabled: bool = False
    supported_locales: list[str] = field(default_factory=list)
    default_locale: str | None = None
    # Keycloak's realm localization texts: locale → message key → text. They override the
    # catalogues' messages on this realm's pages (ostium.locales.translate).
    localization_texts: dict[str, dict[str, str]] = field(default_factory=dict)
    # Keycloak's theme names (None: the built-in theme). Only the login and e-mail themes
    # are applied (ostium.themes); the account and admin themes are kept for round trips
    # until those consoles exist.
    login_theme: str | None = None
    account_theme: str | None = None
    admin_theme: str | None = None
    email_theme: str | None = None
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
    # Keycloak's OTP policy (domain/otp.py), with its defaults: what CONFIGURE_TOTP sets up.
    otp_policy_type: str = "totp"
    otp_policy_algorithm: str = "HmacSHA1"
    otp_policy_digits: int = 6
    otp_policy_look_ahead_window: int = 1
    otp_policy_period: int = 30
    otp_policy_initial_counter: int = 0
    otp_policy_code_reusable: bool = False
    # Keycloak's two WebAuthn policies (domain/webauthn_policy.py), with Keycloak 26's
    # defaults: `webAuthnPolicy…` for WebAuthn as a second factor and
    # `webAuthnPolicyPasswordless…` for passkeys (a discoverable credential, user verified).
    webauthn_policy_rp_entity_name: str = "keycloak"
    webauthn_policy_signature_algorithms: list[str] = field(
        default_factory=lambda: ["ES256", "RS256"]
    )
    webauthn_policy_rp_id: str = ""
    webauthn_policy_attestation_conveyance_preference: str = "not specified"
    webauthn_policy_authenticator_attachment: str = "not specified"
    webauthn_policy_require_resident_key: str = "not specified"
    webauthn_policy_user_verification_requirement: str = "not specified"
    webauthn_policy_create_timeout: int = 0
    webauthn_policy_avoid_same_authenticator_register: bool = False
    webauthn_policy_acceptable_aaguids: list[str] = field(default_factory=list)
    webauthn_policy_extra_origins: list[str] = field(default_factory=list)
    webauthn_policy_passwordless_rp_entity_name: str = "keycloak"
    webauthn_policy_passwordless_signature_algorithms: list[str] = field(
        default_factory=lambda: ["ES256", "RS256"]
    )
    webauthn_policy_passwordless_rp_id: str = ""
    webauthn_policy_passwordless_attestation_conveyance_preference: str = "not specified"
    webauthn_policy_passwordless_authenticator_attachment: str = "not specified"
    webauthn_policy_passwordless_require_resident_key: str = "Yes"
    webauthn_policy_passwordless_user_verification_requirement: str = "required"
    webauthn_policy_passwordless_create_timeout: int = 0
    webauthn_policy_passwordless_avoid_same_authenticator_register: bool = False
    webauthn_policy_passwordless_acceptable_aaguids: list[str] = field(default_factory=list)
    webauthn_policy_passwordless_extra_origins: list[str] = field(default_factory=list)
    # Keycloak's passwordPolicy string (domain/password_policy.py), canonical form; None:
    # no policy.
    password_policy: str | None = None
    # The declarative user profile (Keycloak's UPConfig JSON, as its `declarative-user-profile`
    # component holds it); None: the built-in default profile.
    user_profile_config: str | None = None
    # Keycloak's browserSecurityHeaders: setting name → header value ("" sends none).
    browser_security_headers: dict[str, str] = field(
        default_factory=lambda: dict(BROWSER_HEADER_DEFAULTS)
    )
    # Authentication flows (domain/authentication_flows.py) and the flow each entry point
    # runs, by alias as the representation names it. Empty: Keycloak's built-in flows.
    authentication_flows: list[AuthenticationFlow] = field(default_factory=list)
    authenticator_config: list[AuthenticatorConfig] = field(default_factory=list)
    browser_flow: str = "browser"
    registration_flow: str = "registration"
    direct_grant_flow: str = "direct grant"
    reset_credentials_flow: str = "reset credentials"
    client_authentication_flow: str = "clients"
    docker_authentication_flow: str = "docker auth"
    first_broker_login_flow: str = "first broker login"
    # The registered required-action providers (domain/required_actions.py); a realm
    # stored before they existed gets Keycloak's defaults, one whose admin removed them
    # all keeps none.
    required_actions: list[RequiredActionProvider] = field(default_factory=default_required_actions)
    # Everything else in a RealmRepresentation that Ostium keeps but does not act on.
    attributes: dict[str, str] = field(default_factory=dict)

    def __post_init__(self) -> None:
        # Stored as JSON, flows come back as dicts; a realm that never had flows gets
        # Keycloak's built-in ones, with ids derived from its own.
        self.authentication_flows = [
            AuthenticationFlow(**f) if isinstance(f, dict) else f for f in self.authentication_flows
        ]
        self.authenticator_config = [
            AuthenticatorConfig(**c) if isinstance(c, dict) else c
            for c in self.authenticator_config
        ]
        self.required_actions = [
            RequiredActionProvider(**r) if isinstance(r, dict) else r for r in self.required_actions
        ]
        if not self.authentication_flows:
            self.authentication_flows, configs = built_in_flows(self.id)
            self.authenticator_config = configs + self.authenticator_config

    def flow(self, alias: str) -> AuthenticationFlow | None:
        return next((f for f in self.authentication_flows if f.alias == alias), None)

    def flow_by_id(self, flow_id: str) -> AuthenticationFlow | None:
        return next((f for f in self.authentication_flows if f.id == flow_id), None)

    def config_by_id(self, config_id: str | None) -> AuthenticatorConfig | None:
        return next((c for c in self.authenticator_config if c.id == config_id), None)

    def required_action(self, alias: str) -> RequiredActionProvider | None:
        return next((r for r in self.required_actions if r.alias == alias), None)

    @property
    def otp_policy(self) -> OtpPolicy:
        return OtpPolicy(
            type=self.otp_policy_type,
            algorithm=self.otp_policy_algorithm,
            digits=self.otp_policy_digits,
            period=self.otp_policy_period,
            look_ahead_window=self.otp_policy_look_ahead_window,
            initial_counter=self.otp_policy_initial_counter,
            code_reusable=self.otp_policy_code_reusable,
        )

    @property
    def webauthn_policy(self) -> WebAuthnPolicy:
        """`webAuthnPolicy…`: WebAuthn as a second factor (credential type `webauthn`)."""
        return self._webauthn_policy(passwordless=False)

    @property
    def webauthn_policy_passwordless(self) -> WebAuthnPolicy:
        """`webAuthnPolicyPasswordless…`: passkeys (credential type `webauthn-passwordless`)."""
        return self._webauthn_policy(passwordless=True)

    def _webauthn_policy(self, *, passwordless: bool) -> WebAuthnPolicy:
        stem = webauthn_attribute_stem(passwordless=passwordless)
        values: dict[str, object] = {
            name: getattr(self, stem + name) for name, _ in WEBAUTHN_SCALAR_FIELDS.values()
        }
        for name in WEBAUTHN_LIST_FIELDS.values():
            values[name] = tuple(getattr(self, stem + name))
        return WebAuthnPolicy(passwordless=passwordless, **values)  # type: ignore[arg-type]

    @property
    def default_role_name(self) -> str:
        return f"default-roles-{self.name}"

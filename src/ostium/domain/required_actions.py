"""Required actions: what a user must do after signing in and before the client gets a code.

A realm registers required-action providers (Keycloak's RequiredActionProviderModel:
alias, name, providerId, enabled, defaultAction, priority, config); a user carries the
aliases pending for them (`User.required_actions`); an application may ask for one more
with `kc_action` on the authorization request (Keycloak's application-initiated actions).

Keycloak's rules kept here, pure:
- a new realm has DefaultRequiredActions' providers, with their priorities;
- the providers are run and listed by priority, then by name
  (RealmModel.getRequiredActionProvidersStream);
- a user's action whose provider is missing or disabled is passed over, not run
  (AuthenticationManager.sortRequiredActionsByPriority filters on `isEnabled`);
- the user's own actions come first, the application's `kc_action` last.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

__all__ = [
    "CONFIGURABLE",
    "CONFIGURE_RECOVERY_AUTHN_CODES",
    "CONFIGURE_TOTP",
    "DEFAULT_MAX_AUTH_AGE",
    "KNOWN_PROVIDERS",
    "MAX_AUTH_AGE",
    "RUNNABLE",
    "TERMS_AND_CONDITIONS",
    "UPDATE_PASSWORD",
    "UPDATE_PROFILE",
    "VERIFY_EMAIL",
    "WEBAUTHN_REGISTER",
    "WEBAUTHN_REGISTER_PASSWORDLESS",
    "RequiredActionProvider",
    "default_required_actions",
    "enabled_provider",
    "known_provider",
    "ordered",
    "pending_actions",
]

UPDATE_PASSWORD = "UPDATE_PASSWORD"  # noqa: S105 - an action's alias, not a secret
UPDATE_PROFILE = "UPDATE_PROFILE"
VERIFY_EMAIL = "VERIFY_EMAIL"
TERMS_AND_CONDITIONS = "TERMS_AND_CONDITIONS"
CONFIGURE_TOTP = "CONFIGURE_TOTP"
WEBAUTHN_REGISTER = "webauthn-register"
WEBAUTHN_REGISTER_PASSWORDLESS = "webauthn-register-passwordless"
CONFIGURE_RECOVERY_AUTHN_CODES = "CONFIGURE_RECOVERY_AUTHN_CODES"

# Keycloak 26's `max_auth_age` setting of the actions that change credentials: how old
# the sign-in may be (seconds) before an application-initiated action asks for it again.
MAX_AUTH_AGE = "max_auth_age"
DEFAULT_MAX_AUTH_AGE = 300

# The actions the login pages of this server carry out. The others are refused with a
# clear page until their issue lands (passwordless WebAuthn), never skipped.
RUNNABLE = frozenset(
    {
        UPDATE_PASSWORD,
        UPDATE_PROFILE,
        VERIFY_EMAIL,
        TERMS_AND_CONDITIONS,
        CONFIGURE_TOTP,
        CONFIGURE_RECOVERY_AUTHN_CODES,
        WEBAUTHN_REGISTER,
    }
)

# The providers whose configuration Keycloak 26 describes (`max_auth_age`).
CONFIGURABLE = frozenset(
    {
        UPDATE_PASSWORD,
        CONFIGURE_TOTP,
        WEBAUTHN_REGISTER,
        WEBAUTHN_REGISTER_PASSWORDLESS,
        CONFIGURE_RECOVERY_AUTHN_CODES,
    }
)


@dataclass
class RequiredActionProvider:
    """One of the realm's registered required actions (RequiredActionProviderRepresentation)."""

    alias: str
    name: str
    provider_id: str
    enabled: bool = True
    default_action: bool = False
    priority: int = 0
    config: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class _Known:
    provider_id: str
    name: str  # Keycloak's display text (RequiredActionFactory.getDisplayText)
    priority: int | None  # registered in a new realm with this priority; None: not
    enabled: bool = True


# Every provider Keycloak 26 ships with its features at their defaults, in the order of
# DefaultRequiredActions; those with no priority are offered by `unregistered-required-actions`.
KNOWN_PROVIDERS: tuple[_Known, ...] = (
    _Known(CONFIGURE_TOTP, "Configure OTP", 10),
    _Known(TERMS_AND_CONDITIONS, "Terms and Conditions", 20, enabled=False),
    _Known(UPDATE_PASSWORD, "Update Password", 30),
    _Known(UPDATE_PROFILE, "Update Profile", 40),
    _Known(VERIFY_EMAIL, "Verify Email", 50),
    _Known("delete_account", "Delete Account", 60, enabled=False),
    _Known(WEBAUTHN_REGISTER, "Webauthn Register", 70),
    _Known(WEBAUTHN_REGISTER_PASSWORDLESS, "Webauthn Register Passwordless", 80),
    _Known("VERIFY_PROFILE", "Verify Profile", 90),
    _Known("delete_credential", "Delete Credential", 100),
    _Known("update_user_locale", "Update User Locale", 1000),
    _Known(CONFIGURE_RECOVERY_AUTHN_CODES, "Recovery Authentication Codes", None),
)


def known_provider(provider_id: str) -> _Known | None:
    return next((k for k in KNOWN_PROVIDERS if k.provider_id == provider_id), None)


def default_required_actions() -> list[RequiredActionProvider]:
    """The providers a new Keycloak 26 realm has registered."""
    return [
        RequiredActionProvider(
            alias=k.provider_id,
            name=k.name,
            provider_id=k.provider_id,
            enabled=k.enabled,
            priority=k.priority,
        )
        for k in KNOWN_PROVIDERS
        if k.priority is not None
    ]


def ordered(providers: Iterable[RequiredActionProvider]) -> list[RequiredActionProvider]:
    """By priority, then name: the order Keycloak lists and runs them in."""
    return sorted(providers, key=lambda p: (p.priority, p.name or ""))


def enabled_provider(
    providers: Iterable[RequiredActionProvider], alias: str
) -> RequiredActionProvider | None:
    found = next((p for p in providers if p.alias == alias), None)
    return found if found is not None and found.enabled else None


def pending_actions(
    providers: Sequence[RequiredActionProvider],
    user_actions: Iterable[str],
    kc_action: str | None = None,
) -> list[str]:
    """The aliases to run, in order: the user's enabled actions by the realm's priority,
    then the application's `kc_action` unless it is already among them. An action the
    realm does not have enabled is not run (Keycloak logs and passes over it)."""
    wanted = set(user_actions)
    result = [p.alias for p in ordered(providers) if p.enabled and p.alias in wanted]
    if kc_action is not None and kc_action not in result:
        result.append(kc_action)
    return result

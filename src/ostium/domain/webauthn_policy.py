"""Keycloak's two realm WebAuthn policies — `webAuthnPolicy…` (WebAuthn as a second factor)
and `webAuthnPolicyPasswordless…` (passkeys) — as one type, with Keycloak 26's defaults and
the values its admin console offers; pure, no I/O.

The two policies have the same settings; only the passwordless one's defaults differ: since
Keycloak 26 (`WebAuthnPolicyPasswordlessDefaults`) it asks for a discoverable credential
("Yes") and user verification ("required"), which a passkey needs. "not specified" is
Keycloak's word for "leave the WebAuthn default": the option is left out of the options the
browser gets.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "ATTACHMENTS",
    "ATTESTATION_PREFERENCES",
    "LIST_FIELDS",
    "NOT_SPECIFIED",
    "PASSWORDLESS_PREFIX",
    "RESIDENT_KEY_OPTIONS",
    "SCALAR_FIELDS",
    "SIGNATURE_ALGORITHMS",
    "TWO_FACTOR_PREFIX",
    "USER_VERIFICATION_OPTIONS",
    "WEBAUTHN",
    "WEBAUTHN_PASSWORDLESS",
    "WebAuthnPolicy",
    "WebAuthnPolicyError",
    "passwordless_defaults",
    "two_factor_defaults",
]

WEBAUTHN = "webauthn"  # the credential type a second-factor registration stores
WEBAUTHN_PASSWORDLESS = "webauthn-passwordless"  # and a passwordless (passkey) one
TWO_FACTOR_PREFIX = "webAuthnPolicy"
PASSWORDLESS_PREFIX = "webAuthnPolicyPasswordless"
NOT_SPECIFIED = "not specified"

# Keycloak's algorithm names → COSE algorithm identifiers (IANA COSE registry; WebAuthn
# §5.8.5). These are the names Keycloak's admin console offers except ES384: the
# verifier (py_webauthn) has no ES384 (-35), and a policy asking browsers for keys that
# could never be verified is refused rather than accepted and broken at sign-in.
SIGNATURE_ALGORITHMS: Mapping[str, int] = {
    "ES256": -7,
    "ES512": -36,
    "RS256": -257,
    "RS384": -258,
    "RS512": -259,
    "RS1": -65535,
    "Ed25519": -8,
}
_UNSUPPORTED_ALGORITHMS = {"ES384": "ES384 keys cannot be verified by Ostium yet"}
ATTESTATION_PREFERENCES = (NOT_SPECIFIED, "none", "indirect", "direct")
ATTACHMENTS = (NOT_SPECIFIED, "platform", "cross-platform")
RESIDENT_KEY_OPTIONS = (NOT_SPECIFIED, "Yes", "No")
USER_VERIFICATION_OPTIONS = (NOT_SPECIFIED, "required", "preferred", "discouraged")
# WebAuthn §5.1.3 bounds nothing, but a day is far past any ceremony a person completes.
MAX_CREATE_TIMEOUT = 86400
# An RP ID is a registrable domain suffix of the origin (WebAuthn §5.1.4.1 / §13.4.9):
# a host name, never a URL.
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})*$")

# The representation's field names after the prefix → the policy's attribute: the
# scalar ones with their JSON type, then the lists of strings.
SCALAR_FIELDS: Mapping[str, tuple[str, type]] = {
    "RpEntityName": ("rp_entity_name", str),
    "RpId": ("rp_id", str),
    "AttestationConveyancePreference": ("attestation_conveyance_preference", str),
    "AuthenticatorAttachment": ("authenticator_attachment", str),
    "RequireResidentKey": ("require_resident_key", str),
    "UserVerificationRequirement": ("user_verification_requirement", str),
    "CreateTimeout": ("create_timeout", int),
    "AvoidSameAuthenticatorRegister": ("avoid_same_authenticator_register", bool),
}
LIST_FIELDS: Mapping[str, str] = {
    "SignatureAlgorithms": "signature_algorithms",
    "AcceptableAaguids": "acceptable_aaguids",
    "ExtraOrigins": "extra_origins",
}


class WebAuthnPolicyError(ValueError):
    """A policy Keycloak (or Ostium's verifier) would not accept; the text names the field."""


@dataclass(frozen=True)
class WebAuthnPolicy:
    """One of Keycloak's realm WebAuthn policies. Defaults are the two-factor policy's; use
    `passwordless_defaults()` for the passwordless one."""

    passwordless: bool = False
    rp_entity_name: str = "keycloak"
    signature_algorithms: tuple[str, ...] = ("ES256", "RS256")
    rp_id: str = ""
    attestation_conveyance_preference: str = NOT_SPECIFIED
    authenticator_attachment: str = NOT_SPECIFIED
    require_resident_key: str = NOT_SPECIFIED
    user_verification_requirement: str = NOT_SPECIFIED
    create_timeout: int = 0  # seconds; 0: the browser's own
    avoid_same_authenticator_register: bool = False
    acceptable_aaguids: tuple[str, ...] = ()  # empty: any authenticator
    extra_origins: tuple[str, ...] = ()

    @property
    def prefix(self) -> str:
        """The representation's prefix of this policy's fields."""
        return PASSWORDLESS_PREFIX if self.passwordless else TWO_FACTOR_PREFIX

    @property
    def credential_type(self) -> str:
        """The credential type a registration under this policy stores (Keycloak's
        WebAuthnRegister vs WebAuthnPasswordlessRegister)."""
        return WEBAUTHN_PASSWORDLESS if self.passwordless else WEBAUTHN

    def check(self) -> None:
        """The values Keycloak's admin console offers; anything else is refused, naming the
        representation field."""
        p = self.prefix
        if not self.rp_entity_name.strip():
            raise WebAuthnPolicyError(f"{p}RpEntityName must not be empty")
        if not self.signature_algorithms:
            raise WebAuthnPolicyError(f"{p}SignatureAlgorithms must name at least one algorithm")
        for name in self.signature_algorithms:
            if name in _UNSUPPORTED_ALGORITHMS:
                raise WebAuthnPolicyError(
                    f"{p}SignatureAlgorithms: {_UNSUPPORTED_ALGORITHMS[name]}"
                )
            if name not in SIGNATURE_ALGORITHMS:
                raise WebAuthnPolicyError(
                    f"{p}SignatureAlgorithms: '{name[:40]}' is not one of "
                    f"{', '.join(SIGNATURE_ALGORITHMS)}"
                )
        if self.rp_id and not _HOST.match(self.rp_id):
            raise WebAuthnPolicyError(
                f"{p}RpId must be a domain name (like example.com), not a URL, or empty"
            )
        for suffix, value, allowed in (
            ("AttestationConveyancePreference", self.attestation_conveyance_preference,
             ATTESTATION_PREFERENCES),
            ("AuthenticatorAttachment", self.authenticator_attachment, ATTACHMENTS),
            ("RequireResidentKey", self.require_resident_key, RESIDENT_KEY_OPTIONS),
            ("UserVerificationRequirement", self.user_verification_requirement,
             USER_VERIFICATION_OPTIONS),
        ):  # fmt: skip
            if value not in allowed:
                choices = ", ".join(f"'{a}'" for a in allowed)
                raise WebAuthnPolicyError(f"{p}{suffix} must be one of {choices}")
        if not 0 <= self.create_timeout <= MAX_CREATE_TIMEOUT:
            raise WebAuthnPolicyError(
                f"{p}CreateTimeout must be between 0 and {MAX_CREATE_TIMEOUT} seconds"
            )
        for aaguid in self.acceptable_aaguids:
            try:
                uuid.UUID(aaguid)
            except ValueError:
                raise WebAuthnPolicyError(
                    f"{p}AcceptableAaguids: '{aaguid[:40]}' is not an AAGUID "
                    "(like cb69481e-8ff7-4039-93ec-0a2729a154a8)"
                ) from None
        for origin in self.extra_origins:
            if not _is_origin(origin):
                raise WebAuthnPolicyError(
                    f"{p}ExtraOrigins: '{origin[:60]}' is not an origin "
                    "(scheme://host[:port], like android:apk-key-hash:… or https://app.example)"
                )

    def accepts_aaguid(self, aaguid: str) -> bool:
        """Keycloak's `AcceptableAaguids`: empty accepts any authenticator."""
        if not self.acceptable_aaguids:
            return True
        return any(aaguid.lower() == a.lower() for a in self.acceptable_aaguids)


def _is_origin(value: str) -> bool:
    """A web origin without path, or an app's origin (`android:apk-key-hash:…`, `ios:…`),
    which is why Keycloak has `ExtraOrigins` at all."""
    if value.startswith(("android:apk-key-hash:", "ios:bundle-id:")):
        return len(value) <= 255
    parts = urlsplit(value)
    return (
        parts.scheme in ("https", "http")
        and bool(parts.hostname)
        and parts.path == ""
        and not parts.query
        and not parts.fragment
        and "@" not in parts.netloc
    )


def two_factor_defaults() -> WebAuthnPolicy:
    """Keycloak 26's `WebAuthnPolicyTwoFactorDefaults`."""
    return WebAuthnPolicy()


def passwordless_defaults() -> WebAuthnPolicy:
    """Keycloak 26's `WebAuthnPolicyPasswordlessDefaults`: a discoverable credential and
    user verification, what a passkey is."""
    return WebAuthnPolicy(
        passwordless=True, require_resident_key="Yes", user_verification_requirement="required"
    )

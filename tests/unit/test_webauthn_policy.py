"""Keycloak's two WebAuthn realm policies (domain/webauthn_policy.py): the refusals first,
then Keycloak 26's defaults and what each setting accepts."""

from __future__ import annotations

import dataclasses

import pytest

from ostium.domain.realm import Realm
from ostium.domain.webauthn_policy import (
    WEBAUTHN,
    WEBAUTHN_PASSWORDLESS,
    WebAuthnPolicy,
    WebAuthnPolicyError,
    passwordless_defaults,
    two_factor_defaults,
)

# --- refusals first ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"rp_entity_name": " "}, "webAuthnPolicyRpEntityName"),
        ({"signature_algorithms": ()}, "webAuthnPolicySignatureAlgorithms"),
        ({"signature_algorithms": ("ES256", "HS256")}, "webAuthnPolicySignatureAlgorithms"),
        ({"signature_algorithms": ("es256",)}, "webAuthnPolicySignatureAlgorithms"),
        ({"rp_id": "https://example.com"}, "webAuthnPolicyRpId"),
        ({"rp_id": "example.com/login"}, "webAuthnPolicyRpId"),
        ({"attestation_conveyance_preference": "enterprise"}, "AttestationConveyancePreference"),
        ({"authenticator_attachment": "usb"}, "webAuthnPolicyAuthenticatorAttachment"),
        ({"require_resident_key": "yes"}, "webAuthnPolicyRequireResidentKey"),
        ({"require_resident_key": "required"}, "webAuthnPolicyRequireResidentKey"),
        ({"user_verification_requirement": "always"}, "UserVerificationRequirement"),
        ({"create_timeout": -1}, "webAuthnPolicyCreateTimeout"),
        ({"create_timeout": 86401}, "webAuthnPolicyCreateTimeout"),
        ({"acceptable_aaguids": ("yubikey",)}, "webAuthnPolicyAcceptableAaguids"),
        ({"extra_origins": ("example.com",)}, "webAuthnPolicyExtraOrigins"),
        ({"extra_origins": ("https://app.example/login",)}, "webAuthnPolicyExtraOrigins"),
        ({"extra_origins": ("https://app.example/",)}, "webAuthnPolicyExtraOrigins"),
    ],
)
def test_a_value_keycloak_would_not_take_is_refused_naming_the_field(
    change: dict[str, object], field: str
) -> None:
    with pytest.raises(WebAuthnPolicyError, match=field):
        dataclasses.replace(two_factor_defaults(), **change).check()


def test_the_passwordless_policy_names_its_own_fields() -> None:
    bad = dataclasses.replace(passwordless_defaults(), authenticator_attachment="usb")
    with pytest.raises(
        WebAuthnPolicyError, match="webAuthnPolicyPasswordlessAuthenticatorAttachment"
    ):
        bad.check()


def test_es384_is_refused_because_no_sign_in_could_verify_it() -> None:
    """Keycloak offers ES384; py_webauthn has no COSE -35, so a policy asking browsers for
    such keys would register credentials no sign-in could check."""
    policy = dataclasses.replace(two_factor_defaults(), signature_algorithms=("ES256", "ES384"))
    with pytest.raises(WebAuthnPolicyError, match=r"ES384.*cannot be verified"):
        policy.check()


# --- defaults and accepted values --------------------------------------------------------


def test_the_defaults_are_keycloak_26s() -> None:
    two_factor, passwordless = two_factor_defaults(), passwordless_defaults()
    assert two_factor == WebAuthnPolicy(
        passwordless=False,
        rp_entity_name="keycloak",
        signature_algorithms=("ES256", "RS256"),
        rp_id="",
        attestation_conveyance_preference="not specified",
        authenticator_attachment="not specified",
        require_resident_key="not specified",
        user_verification_requirement="not specified",
        create_timeout=0,
        avoid_same_authenticator_register=False,
        acceptable_aaguids=(),
        extra_origins=(),
    )
    # WebAuthnPolicyPasswordlessDefaults: a discoverable credential, the user verified.
    assert dataclasses.replace(
        two_factor, passwordless=True, require_resident_key="Yes",
        user_verification_requirement="required",
    ) == passwordless  # fmt: skip
    two_factor.check()
    passwordless.check()
    assert (two_factor.credential_type, passwordless.credential_type) == (
        WEBAUTHN,
        WEBAUTHN_PASSWORDLESS,
    )
    assert (two_factor.prefix, passwordless.prefix) == (
        "webAuthnPolicy",
        "webAuthnPolicyPasswordless",
    )


def test_a_new_realm_has_both_default_policies() -> None:
    realm = Realm(id="r", name="r")
    assert realm.webauthn_policy == two_factor_defaults()
    assert realm.webauthn_policy_passwordless == passwordless_defaults()


def test_every_value_keycloaks_console_offers_is_accepted() -> None:
    policy = WebAuthnPolicy(
        rp_entity_name="Acme",
        signature_algorithms=("ES256", "ES512", "RS256", "RS384", "RS512", "RS1", "Ed25519"),
        rp_id="login.acme.test",
        attestation_conveyance_preference="direct",
        authenticator_attachment="cross-platform",
        require_resident_key="No",
        user_verification_requirement="discouraged",
        create_timeout=120,
        avoid_same_authenticator_register=True,
        acceptable_aaguids=("CB69481E-8FF7-4039-93EC-0A2729A154A8",),
        extra_origins=("https://app.acme.test:8443", "android:apk-key-hash:abc123"),
    )
    policy.check()
    assert policy.accepts_aaguid("cb69481e-8ff7-4039-93ec-0a2729a154a8")
    assert not policy.accepts_aaguid("00000000-0000-0000-0000-000000000000")
    assert two_factor_defaults().accepts_aaguid("00000000-0000-0000-0000-000000000000")

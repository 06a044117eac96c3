"""The WebAuthn ceremonies (services/webauthn_ceremonies.py) against a software
authenticator's real attestations and assertions (tests/webauthn_authenticator.py): every
refusal first — another RP ID, origin or challenge, an authenticator outside the
acceptable AAGUIDs, an unknown credential, a cloned authenticator's counter — then the
options each policy setting gives the browser."""

from __future__ import annotations

import dataclasses
import uuid

import pytest

from ostium.domain.user import User
from ostium.domain.webauthn_credential import WebAuthnCredentialData
from ostium.domain.webauthn_policy import passwordless_defaults, two_factor_defaults
from ostium.services.webauthn_ceremonies import (
    WebAuthnCeremonyError,
    assertion_user_handle,
    authentication_options,
    registration_options,
    rp_id_for,
    verify_authentication,
    verify_registration,
)
from tests.webauthn_authenticator import SoftwareAuthenticator, b64url

HOST = "login.acme.test"
ORIGIN = "https://login.acme.test"
CHALLENGE = b"registration-challenge-0123456789"
SIGN_IN = b"sign-in-challenge-0123456789abcd"
ALICE = User(id="4c1bb2f0-7a38-4f3e-9a51-0d7c6d1e2f30", realm_id="r", username="alice")
POLICY = two_factor_defaults()


def _registered(
    authenticator: SoftwareAuthenticator, policy: object = POLICY
) -> WebAuthnCredentialData:
    assert isinstance(policy, type(POLICY))
    options = registration_options(policy, HOST, ALICE, [], CHALLENGE)
    return verify_registration(
        policy, HOST, [ORIGIN], CHALLENGE, authenticator.create(options, ORIGIN)
    )


def _sign_in_options(stored: list[WebAuthnCredentialData]) -> dict[str, object]:
    return authentication_options(POLICY, HOST, stored, SIGN_IN)


# --- registration refusals ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("forge", "says"),
    [
        ({"rp_id": "evil.test"}, "RP ID"),
        ({"origin": "https://evil.test"}, "origin"),
        ({"challenge": b64url(b"another challenge")}, "challenge"),
    ],
)
def test_an_attestation_for_another_rp_origin_or_challenge_is_refused(
    forge: dict[str, str], says: str
) -> None:
    options = registration_options(POLICY, HOST, ALICE, [], CHALLENGE)
    origin = forge.pop("origin", ORIGIN)
    response = SoftwareAuthenticator().create(options, origin, **forge)
    with pytest.raises(WebAuthnCeremonyError, match=rf"(?i)registration refused: .*{says}"):
        verify_registration(POLICY, HOST, [ORIGIN], CHALLENGE, response)


def test_an_authenticator_outside_the_acceptable_aaguids_is_refused() -> None:
    yubikey = "cb69481e-8ff7-4039-93ec-0a2729a154a8"
    policy = dataclasses.replace(POLICY, acceptable_aaguids=(yubikey,))
    with pytest.raises(WebAuthnCeremonyError, match="webAuthnPolicyAcceptableAaguids"):
        _registered(SoftwareAuthenticator(), policy)
    accepted = _registered(SoftwareAuthenticator(aaguid=uuid.UUID(yubikey).bytes), policy)
    assert accepted.aaguid == yubikey


def test_user_verification_required_refuses_an_authenticator_that_did_not_verify() -> None:
    policy = passwordless_defaults()
    with pytest.raises(WebAuthnCeremonyError, match=r"(?i)user verification"):
        _registered(SoftwareAuthenticator(user_verifying=False), policy)


def test_an_algorithm_outside_the_policy_is_refused() -> None:
    rsa_only = dataclasses.replace(POLICY, signature_algorithms=("RS256",))
    with pytest.raises(WebAuthnCeremonyError, match=r"(?i)algorithm"):
        _registered(SoftwareAuthenticator(), rsa_only)


def test_a_credential_registered_already_is_refused() -> None:
    authenticator = SoftwareAuthenticator()
    first = _registered(authenticator)
    options = registration_options(POLICY, HOST, ALICE, [first], CHALLENGE)
    with pytest.raises(WebAuthnCeremonyError, match="already registered"):
        verify_registration(
            POLICY,
            HOST,
            [ORIGIN],
            CHALLENGE,
            authenticator.create(options, ORIGIN),
            registered=[first],
        )


def test_a_response_that_is_not_one_is_refused_not_an_error() -> None:
    for junk in ("{", {"id": "x"}, {"id": "AA", "rawId": "AA", "response": {}}):
        with pytest.raises(WebAuthnCeremonyError):
            verify_registration(POLICY, HOST, [ORIGIN], CHALLENGE, junk)  # type: ignore[arg-type]
        with pytest.raises(WebAuthnCeremonyError):
            verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, junk, [])  # type: ignore[arg-type]


# --- sign-in refusals --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("forge", "says"),
    [
        ({"rp_id": "evil.test"}, "RP ID"),
        ({"origin": "https://evil.test"}, "origin"),
        ({"challenge": b64url(b"an old challenge")}, "challenge"),
    ],
)
def test_an_assertion_for_another_rp_origin_or_challenge_is_refused(
    forge: dict[str, str], says: str
) -> None:
    authenticator = SoftwareAuthenticator()
    stored = _registered(authenticator)
    origin = forge.pop("origin", ORIGIN)
    response = authenticator.get(_sign_in_options([stored]), origin, **forge)
    with pytest.raises(WebAuthnCeremonyError, match=rf"(?i)sign-in refused: .*{says}"):
        verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, response, [stored])


def test_an_unknown_credential_is_refused() -> None:
    mine, other = SoftwareAuthenticator(), SoftwareAuthenticator()
    stored = _registered(mine)
    _registered(other)  # registered elsewhere, not among this user's credentials
    response = other.get(_sign_in_options([stored]), ORIGIN)
    with pytest.raises(WebAuthnCeremonyError, match="unknown credential"):
        verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, response, [stored])


def test_a_signature_by_another_key_is_refused() -> None:
    authenticator = SoftwareAuthenticator()
    stored = _registered(authenticator)
    impostor = dataclasses.replace(
        SoftwareAuthenticator(), credential_id=authenticator.credential_id
    )
    response = impostor.get(_sign_in_options([stored]), ORIGIN)
    with pytest.raises(WebAuthnCeremonyError, match=r"(?i)signature"):
        verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, response, [stored])


@pytest.mark.parametrize("counter", [5, 4])
def test_a_counter_that_did_not_grow_is_a_cloned_authenticator(counter: int) -> None:
    authenticator = SoftwareAuthenticator(counter=4)
    stored = _registered(authenticator).with_counter(5)
    response = authenticator.get(_sign_in_options([stored]), ORIGIN, counter=counter)
    with pytest.raises(WebAuthnCeremonyError, match=r"(?i)sign count"):
        verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, response, [stored])


def test_a_user_handle_of_another_user_is_refused() -> None:
    authenticator = SoftwareAuthenticator()
    stored = _registered(authenticator)
    response = authenticator.get(_sign_in_options([stored]), ORIGIN, user_handle=b"mallory-id")
    with pytest.raises(WebAuthnCeremonyError, match="another user's"):
        verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, response, [stored], user_id=ALICE.id)


# --- what works --------------------------------------------------------------------------


def test_a_security_key_registers_and_signs_in_with_its_counter_growing() -> None:
    authenticator = SoftwareAuthenticator(counter=0)
    stored = _registered(authenticator)
    assert stored.aaguid == "00000000-0000-0000-0000-000000000000"
    assert stored.credential_id_bytes == authenticator.credential_id
    assert stored.public_key_bytes == authenticator.cose_key()
    assert (stored.counter, stored.attestation_statement_format) == (0, "none")
    assert stored.transports == ("usb",)
    # What is stored is Keycloak's shape, and reads back.
    assert WebAuthnCredentialData.parse("{}", stored.credential_data()) == stored
    for expected in (1, 2):
        response = authenticator.get(_sign_in_options([stored]), ORIGIN)
        verified = verify_authentication(
            POLICY, HOST, [ORIGIN], SIGN_IN, response, [stored], user_id=ALICE.id
        )
        assert verified.new_counter == expected
        stored = verified.updated


def test_an_authenticator_without_a_counter_keeps_signing_in() -> None:
    authenticator = SoftwareAuthenticator(counter=None)
    stored = _registered(authenticator)
    for _ in range(2):
        response = authenticator.get(_sign_in_options([stored]), ORIGIN)
        verified = verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, response, [stored])
        assert verified.new_counter == 0


def test_a_passkey_signs_in_with_no_allow_list_and_names_its_user() -> None:
    policy = passwordless_defaults()
    authenticator = SoftwareAuthenticator()
    stored = _registered(authenticator, policy)
    options = authentication_options(policy, HOST, None, SIGN_IN)
    assert "allowCredentials" not in options
    assert options["userVerification"] == "required"
    response = authenticator.get(options, ORIGIN)
    assert assertion_user_handle(response) == ALICE.id
    verified = verify_authentication(policy, HOST, [ORIGIN], SIGN_IN, response, [stored])
    assert verified.user_handle == ALICE.id


def test_an_extra_origin_of_the_policy_is_accepted() -> None:
    app = "android:apk-key-hash:Fw9tdF4o2dn1HkYq"
    policy = dataclasses.replace(POLICY, extra_origins=(app,))
    authenticator = SoftwareAuthenticator()
    options = registration_options(policy, HOST, ALICE, [], CHALLENGE)
    stored = verify_registration(
        policy, HOST, [ORIGIN], CHALLENGE, authenticator.create(options, app)
    )
    response = authenticator.get(authentication_options(policy, HOST, [stored], SIGN_IN), app)
    verify_authentication(policy, HOST, [ORIGIN], SIGN_IN, response, [stored])
    with pytest.raises(WebAuthnCeremonyError, match=r"(?i)origin"):
        verify_authentication(
            POLICY,
            HOST,
            [ORIGIN],
            SIGN_IN,
            authenticator.get(_sign_in_options([stored]), app),
            [stored],
        )


def test_the_rp_id_is_the_policys_or_the_request_host() -> None:
    assert rp_id_for(POLICY, "Login.Acme.Test") == "login.acme.test"
    parent = dataclasses.replace(POLICY, rp_id="acme.test")
    assert rp_id_for(parent, HOST) == "acme.test"
    # A credential registered for the parent domain signs in there, not under the host.
    authenticator = SoftwareAuthenticator()
    options = registration_options(parent, HOST, ALICE, [], CHALLENGE)
    assert options["rp"] == {"id": "acme.test", "name": "keycloak"}
    stored = verify_registration(
        parent, HOST, [ORIGIN], CHALLENGE, authenticator.create(options, ORIGIN)
    )
    signed = authenticator.get(authentication_options(parent, HOST, [stored], SIGN_IN), ORIGIN)
    verify_authentication(parent, HOST, [ORIGIN], SIGN_IN, signed, [stored])
    with pytest.raises(WebAuthnCeremonyError, match=r"(?i)RP ID"):
        verify_authentication(POLICY, HOST, [ORIGIN], SIGN_IN, signed, [stored])


# --- the options the browser gets --------------------------------------------------------


def test_default_registration_options_leave_unspecified_settings_to_the_browser() -> None:
    options = registration_options(POLICY, HOST, ALICE, [], CHALLENGE)
    assert options == {
        "rp": {"name": "keycloak", "id": HOST},
        "user": {"id": b64url(ALICE.id.encode()), "name": "alice", "displayName": "alice"},
        "challenge": b64url(CHALLENGE),
        "pubKeyCredParams": [
            {"type": "public-key", "alg": -7},
            {"type": "public-key", "alg": -257},
        ],
        "excludeCredentials": [],
        "attestation": "none",
    }


def test_every_policy_setting_reaches_the_registration_options() -> None:
    known = _registered(SoftwareAuthenticator())
    policy = dataclasses.replace(
        POLICY,
        rp_entity_name="Acme",
        signature_algorithms=("Ed25519", "ES512", "RS1"),
        attestation_conveyance_preference="direct",
        authenticator_attachment="platform",
        require_resident_key="Yes",
        user_verification_requirement="required",
        create_timeout=90,
        avoid_same_authenticator_register=True,
    )
    options = registration_options(policy, HOST, ALICE, [known], CHALLENGE)
    assert options["rp"] == {"name": "Acme", "id": HOST}
    assert [p["alg"] for p in options["pubKeyCredParams"]] == [-8, -36, -65535]
    twice = dataclasses.replace(policy, signature_algorithms=("ES256", "ES256"))
    params = registration_options(twice, HOST, ALICE, [], CHALLENGE)["pubKeyCredParams"]
    assert params == [{"type": "public-key", "alg": -7}]
    assert options["attestation"] == "direct"
    assert options["timeout"] == 90000
    assert options["authenticatorSelection"] == {
        "authenticatorAttachment": "platform",
        "residentKey": "required",
        "requireResidentKey": True,
        "userVerification": "required",
    }
    assert options["excludeCredentials"] == [
        {"id": b64url(known.credential_id_bytes), "type": "public-key", "transports": ["usb"]}
    ]
    discouraged = dataclasses.replace(policy, require_resident_key="No")
    selection = registration_options(discouraged, HOST, ALICE, [known], CHALLENGE)
    assert selection["authenticatorSelection"]["residentKey"] == "discouraged"
    assert selection["authenticatorSelection"]["requireResidentKey"] is False
    # Without AvoidSameAuthenticatorRegister the same authenticator may register again.
    again = dataclasses.replace(policy, avoid_same_authenticator_register=False)
    assert registration_options(again, HOST, ALICE, [known], CHALLENGE)["excludeCredentials"] == []


def test_sign_in_options_list_the_users_credentials_with_their_transports() -> None:
    stored = _registered(SoftwareAuthenticator())
    options = authentication_options(POLICY, HOST, [stored], SIGN_IN)
    assert options == {
        "rpId": HOST,
        "challenge": b64url(SIGN_IN),
        "allowCredentials": [
            {"id": b64url(stored.credential_id_bytes), "type": "public-key", "transports": ["usb"]}
        ],
    }

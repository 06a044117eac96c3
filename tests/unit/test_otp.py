"""One-time passwords (domain/otp.py): RFC 6238's own vectors, the look-around window,
HOTP counters, Keycloak's stored shape, and the refusals first."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs, urlsplit

import pytest

from ostium.domain.otp import (
    OtpCredential,
    OtpError,
    OtpPolicy,
    generate_secret,
    manual_key,
    otpauth_uri,
    supported_applications,
)

# RFC 6238 Appendix B: the ASCII keys, T = 59 s, 8 digits, 30 s steps.
RFC_KEYS = {
    "HmacSHA1": "12345678901234567890",
    "HmacSHA256": "12345678901234567890123456789012",
    "HmacSHA512": "1234567890123456789012345678901234567890123456789012345678901234",
}
RFC_AT_59 = {"HmacSHA1": "94287082", "HmacSHA256": "46119246", "HmacSHA512": "90693936"}


def _totp(algorithm: str = "HmacSHA1", digits: int = 8, **extra: object) -> OtpCredential:
    data = {"subType": "totp", "digits": digits, "period": 30, "counter": 0}
    data.update(algorithm=algorithm, **extra)
    return OtpCredential.parse(json.dumps({"value": RFC_KEYS[algorithm]}), json.dumps(data))


# --- refusals first ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "data", "says"),
    [
        ("{", '{"subType": "totp"}', "not JSON"),
        ('{"value": ""}', '{"subType": "totp"}', "secretData.value"),
        ('{"value": "k"}', '{"subType": "sms"}', "subType"),
        ('{"value": "k"}', '{"subType": "totp", "algorithm": "MD5"}', "algorithm"),
        ('{"value": "k"}', '{"subType": "totp", "digits": 7}', "digits"),
        ('{"value": "k"}', '{"subType": "totp", "period": 0}', "period"),
        ('{"value": "k"}', '{"subType": "hotp", "counter": -1}', "counter"),
        ('{"value": "k"}', '{"subType": "totp", "secretEncoding": "HEX"}', "secretEncoding"),
        ('{"value": "not base32!"}', '{"subType": "totp", "secretEncoding": "BASE32"}', "Base32"),
    ],
)
def test_a_stored_credential_ostium_cannot_use_is_refused(secret: str, data: str, says: str) -> None:
    with pytest.raises(OtpError, match=says):
        OtpCredential.parse(secret, data)


@pytest.mark.parametrize(
    "policy",
    [
        OtpPolicy(type="sms"),
        OtpPolicy(algorithm="HmacMD5"),
        OtpPolicy(digits=7),
        OtpPolicy(period=0),
        OtpPolicy(look_ahead_window=-1),
        OtpPolicy(initial_counter=-1),
    ],
)
def test_a_policy_no_app_can_follow_is_refused(policy: OtpPolicy) -> None:
    with pytest.raises(OtpError):
        policy.check()


def test_codes_of_the_wrong_shape_never_match() -> None:
    credential = _totp()
    for code in ("", "9428708", "942870822", "9428708x", " 94287082x"):
        assert credential.matching_counter(code, now=59, window=1) is None


# --- codes -------------------------------------------------------------------------------


@pytest.mark.parametrize("algorithm", sorted(RFC_KEYS))
def test_rfc_6238_vectors(algorithm: str) -> None:
    credential = _totp(algorithm)
    assert credential.code_at(59 // 30) == RFC_AT_59[algorithm]
    assert credential.matching_counter(RFC_AT_59[algorithm], now=59, window=0) == 1


def test_the_window_looks_both_ways_and_no_further() -> None:
    credential = _totp(digits=6)
    now = 1_000_000
    step = now // 30
    for offset in (-1, 0, 1):
        code = credential.code_at(step + offset)
        assert credential.matching_counter(code, now=now, window=1) == step + offset
    for offset in (-2, 2):
        code = credential.code_at(step + offset)
        assert credential.matching_counter(code, now=now, window=1) != step + offset
    assert credential.matching_counter(credential.code_at(step - 1), now=now, window=0) != step - 1


def test_hotp_looks_ahead_of_the_counter_only() -> None:
    data = {"subType": "hotp", "digits": 6, "counter": 10, "algorithm": "HmacSHA1"}
    credential = OtpCredential.parse(json.dumps({"value": RFC_KEYS["HmacSHA1"]}), json.dumps(data))
    assert credential.matching_counter(credential.code_at(12), now=0, window=2) == 12
    assert credential.matching_counter(credential.code_at(13), now=0, window=2) is None
    assert credential.matching_counter(credential.code_at(9), now=0, window=2) is None


def test_a_base32_secret_gives_the_same_codes_as_its_raw_key() -> None:
    raw = _totp(digits=6)
    encoded = base64.b32encode(RFC_KEYS["HmacSHA1"].encode()).decode().lower()
    data = {"subType": "totp", "digits": 6, "period": 30, "secretEncoding": "BASE32"}
    imported = OtpCredential.parse(json.dumps({"value": encoded}), json.dumps(data))
    assert imported.code_at(123) == raw.code_at(123)


def test_the_stored_shape_round_trips() -> None:
    credential = OtpCredential.new(generate_secret(), OtpPolicy(digits=8, period=60))
    again = OtpCredential.parse(credential.secret_data(), credential.credential_data())
    assert again == credential
    assert json.loads(credential.credential_data()) == {
        "subType": "totp",
        "digits": 8,
        "counter": 0,
        "period": 60,
        "algorithm": "HmacSHA1",
    }


# --- what the app is given ---------------------------------------------------------------


def test_a_new_secret_is_twenty_letters_and_digits_and_never_the_same() -> None:
    first, second = generate_secret(), generate_secret()
    assert len(first) == 20 and first.isalnum() and first != second


def test_the_qr_link_and_the_manual_key_carry_the_same_key() -> None:
    secret = RFC_KEYS["HmacSHA1"]
    uri = otpauth_uri(OtpPolicy(), secret, issuer="Acme Corp", account="alice@example.com")
    parts = urlsplit(uri)
    assert (parts.scheme, parts.netloc) == ("otpauth", "totp")
    assert parts.path == "/Acme%20Corp:alice%40example.com"
    query = {k: v[0] for k, v in parse_qs(parts.query).items()}
    assert query == {
        "secret": "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        "digits": "6",
        "algorithm": "SHA1",
        "issuer": "Acme Corp",
        "period": "30",
    }
    assert manual_key(secret) == "GEZD GNBV GY3T QOJQ GEZD GNBV GY3T QOJQ"
    hotp = otpauth_uri(OtpPolicy(type="hotp", initial_counter=5), secret, issuer="A", account="b")
    assert hotp.startswith("otpauth://hotp/A:b?") and "counter=5" in hotp


def test_the_apps_that_can_follow_a_policy() -> None:
    everyone = ["totpAppFreeOTPName", "totpAppGoogleName", "totpAppMicrosoftAuthenticatorName"]
    assert supported_applications(OtpPolicy()) == everyone
    assert supported_applications(OtpPolicy(digits=8)) == ["totpAppFreeOTPName"]
    assert supported_applications(OtpPolicy(type="hotp")) == ["totpAppFreeOTPName"]

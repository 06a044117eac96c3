"""One-time passwords as Keycloak keeps them: the realm's OTP policy, the `otp` credential's
`secretData`/`credentialData`, and checking a code — pure, no I/O.

Codes are RFC 4226 HOTP values (RFC 6238 TOTP is HOTP of the time step), computed by
pyotp. The key is what Keycloak's OTPSecretData holds: the `value` string's UTF-8 bytes,
or, when `credentialData.secretEncoding` is "BASE32" (secrets imported from elsewhere),
the Base32 text decoded. Authenticator apps get the key Base32-encoded, in the QR code's
`otpauth://` URI and as the manual key (Keycloak's TotpBean).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import string
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlencode

import pyotp

__all__ = [
    "ALGORITHMS",
    "OTP",
    "OtpCredential",
    "OtpError",
    "OtpPolicy",
    "generate_secret",
    "manual_key",
    "otpauth_uri",
    "supported_applications",
]

OTP = "otp"  # the credential type
TOTP, HOTP = "totp", "hotp"
# Keycloak's algorithm names → the digest pyotp computes with.
ALGORITHMS: Mapping[str, Callable[..., Any]] = {
    "HmacSHA1": hashlib.sha1,
    "HmacSHA256": hashlib.sha256,
    "HmacSHA512": hashlib.sha512,
}
# The names authenticator apps read in the otpauth URI (Key Uri Format).
_URI_ALGORITHMS = {"HmacSHA1": "SHA1", "HmacSHA256": "SHA256", "HmacSHA512": "SHA512"}
_SECRET_ALPHABET = string.ascii_letters + string.digits
SECRET_LENGTH = 20  # Keycloak's HmacOTP.DEFAULT secret length
BASE32 = "BASE32"


class OtpError(ValueError):
    """A policy or a stored credential Ostium cannot use; the text names what."""


@dataclass(frozen=True)
class OtpPolicy:
    """Keycloak's realm `otpPolicy…` settings, with its defaults."""

    type: str = TOTP
    algorithm: str = "HmacSHA1"
    digits: int = 6
    period: int = 30
    look_ahead_window: int = 1
    initial_counter: int = 0
    code_reusable: bool = False

    def check(self) -> None:
        """The settings Keycloak's admin console offers; anything else is refused."""
        if self.type not in (TOTP, HOTP):
            raise OtpError("otpPolicyType must be 'totp' or 'hotp'")
        if self.algorithm not in ALGORITHMS:
            raise OtpError(f"otpPolicyAlgorithm must be one of {', '.join(ALGORITHMS)}")
        if self.digits not in (6, 8):
            raise OtpError("otpPolicyDigits must be 6 or 8")
        if not 1 <= self.period <= 3600:
            raise OtpError("otpPolicyPeriod must be between 1 and 3600 seconds")
        if not 0 <= self.look_ahead_window <= 100:
            raise OtpError("otpPolicyLookAheadWindow must be between 0 and 100")
        if self.initial_counter < 0:
            raise OtpError("otpPolicyInitialCounter must not be negative")


def supported_applications(policy: OtpPolicy) -> list[str]:
    """Keycloak's `otpSupportedApplications`: the message keys of the apps that can use
    this policy (FreeOTP reads every one; Google and Microsoft Authenticator only
    30-second, 6-digit SHA-1 TOTP)."""
    apps = ["totpAppFreeOTPName"]
    if (policy.type, policy.algorithm, policy.digits, policy.period) == (
        TOTP,
        "HmacSHA1",
        6,
        30,
    ):
        apps += ["totpAppGoogleName", "totpAppMicrosoftAuthenticatorName"]
    return apps


def generate_secret() -> str:
    """A new key, as Keycloak makes one: 20 random letters and digits."""
    return "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(SECRET_LENGTH))


def _base32(key: bytes) -> str:
    return base64.b32encode(key).decode().rstrip("=")


def manual_key(secret: str) -> str:
    """The key to type into an app, Base32 in groups of four (Keycloak's TotpBean)."""
    encoded = _base32(secret.encode())
    return " ".join(encoded[i : i + 4] for i in range(0, len(encoded), 4))


def otpauth_uri(policy: OtpPolicy, secret: str, *, issuer: str, account: str) -> str:
    """The Key Uri Format link the QR code carries (Keycloak's TotpBean#getTotpSecretQrCode
    parameters: secret, digits, algorithm, issuer, then period or counter)."""
    params = {
        "secret": _base32(secret.encode()),
        "digits": str(policy.digits),
        "algorithm": _URI_ALGORITHMS[policy.algorithm],
        "issuer": issuer,
    }
    if policy.type == TOTP:
        params["period"] = str(policy.period)
    else:
        params["counter"] = str(policy.initial_counter)
    label = f"{quote(issuer, safe='')}:{quote(account, safe='')}"
    return f"otpauth://{policy.type}/{label}?{urlencode(params, quote_via=quote)}"


@dataclass(frozen=True)
class OtpCredential:
    """An `otp` credential's two JSON halves, read: Keycloak's OTPSecretData and
    OTPCredentialData."""

    secret: str
    sub_type: str
    digits: int
    period: int
    counter: int
    algorithm: str
    secret_encoding: str | None = None

    @classmethod
    def new(cls, secret: str, policy: OtpPolicy) -> OtpCredential:
        """What CONFIGURE_TOTP stores: the realm's policy at the time of set-up."""
        return cls(
            secret=secret,
            sub_type=policy.type,
            digits=policy.digits,
            period=policy.period,
            counter=policy.initial_counter,
            algorithm=policy.algorithm,
        )

    @classmethod
    def parse(cls, secret_data: str, credential_data: str) -> OtpCredential:
        try:
            secret = json.loads(secret_data)
            data = json.loads(credential_data)
        except ValueError:
            raise OtpError("secretData/credentialData are not JSON") from None
        if not isinstance(secret, dict) or not isinstance(data, dict):
            raise OtpError("secretData/credentialData must be JSON objects")
        value, sub_type = secret.get("value"), data.get("subType")
        if not isinstance(value, str) or not value:
            raise OtpError("secretData.value must be the key")
        if sub_type not in (TOTP, HOTP):
            raise OtpError(f"credentialData.subType must be 'totp' or 'hotp', not {sub_type!r}")
        algorithm = data.get("algorithm", "HmacSHA1")
        if algorithm not in ALGORITHMS:
            raise OtpError(f"credentialData.algorithm {algorithm!r} is not an OTP algorithm")
        numbers = {}
        for name, default in (("digits", 6), ("period", 30), ("counter", 0)):
            number = data.get(name, default)
            if not isinstance(number, int) or isinstance(number, bool) or number < 0:
                raise OtpError(f"credentialData.{name} must be a whole number")
            numbers[name] = number
        if numbers["digits"] not in (6, 8) or numbers["period"] == 0:
            raise OtpError("credentialData.digits must be 6 or 8 and the period above 0")
        encoding = data.get("secretEncoding")
        if encoding not in (None, BASE32):
            raise OtpError(f"credentialData.secretEncoding {encoding!r} is not known")
        credential = cls(value, sub_type, algorithm=algorithm, secret_encoding=encoding, **numbers)
        credential.key()  # a BASE32 value that does not decode is refused here
        return credential

    def secret_data(self) -> str:
        return json.dumps({"value": self.secret})

    def credential_data(self) -> str:
        data: dict[str, object] = {
            "subType": self.sub_type,
            "digits": self.digits,
            "counter": self.counter,
            "period": self.period,
            "algorithm": self.algorithm,
        }
        if self.secret_encoding is not None:
            data["secretEncoding"] = self.secret_encoding
        return json.dumps(data)

    def key(self) -> bytes:
        if self.secret_encoding != BASE32:
            return self.secret.encode()
        text = self.secret.replace(" ", "").upper()
        try:
            return base64.b32decode(text + "=" * (-len(text) % 8))
        except ValueError:
            raise OtpError("secretData.value is not Base32") from None

    def code_at(self, counter: int) -> str:
        """The code for one HOTP counter value (for TOTP, one time step)."""
        hotp = pyotp.HOTP(
            _base32(self.key()), digits=self.digits, digest=ALGORITHMS[self.algorithm]
        )
        return hotp.at(counter)

    def matching_counter(self, code: str, *, now: int, window: int) -> int | None:
        """The counter (TOTP: time step) whose code `code` is, within `window` steps — on
        both sides of now for TOTP (Keycloak's TimeBasedOTP look-around), ahead of the
        stored counter for HOTP; None if none is. Every candidate is compared in constant
        time."""
        code = code.strip()
        if not code.isdigit() or len(code) != self.digits:
            return None
        if self.sub_type == TOTP:
            step = now // self.period
            candidates: Iterable[int] = range(step - window, step + window + 1)
        else:
            candidates = range(self.counter, self.counter + window + 1)
        found = None
        for counter in candidates:
            if hmac.compare_digest(self.code_at(counter).encode(), code.encode()):
                found = counter if found is None else found
        return found

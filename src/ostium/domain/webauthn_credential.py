"""WebAuthn credentials as Keycloak stores them (types `webauthn` and
`webauthn-passwordless`); pure, no I/O.

Keycloak 26's WebAuthnCredentialModel keeps everything in `credentialData`, the JSON of its
WebAuthnCredentialData, and nothing secret (`secretData` is "{}": the private key never
leaves the authenticator, WebAuthn §6):

    {"aaguid": "<UUID>", "credentialId": "<Base64>", "counter": <signCount>,
     "attestationStatement": "<Base64>" (absent since Keycloak stopped keeping it),
     "credentialPublicKey": "<Base64 of the COSE_Key>", "attestationStatementFormat": "none",
     "transports": ["usb", …]}

Base64 is the standard alphabet with padding (Keycloak's `Base64.encodeBytes`), not the
URL-safe one the browser uses for the same credential id. Keycloak's JSON writer leaves
out null fields and always writes `transports`.
"""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass, replace
from typing import Any

from webauthn.helpers import decode_credential_public_key
from webauthn.helpers.decoded_public_key_to_cryptography import (
    decoded_public_key_to_cryptography,
)

__all__ = [
    "MAX_COUNTER",
    "WebAuthnCredentialData",
    "WebAuthnCredentialError",
    "b64decode",
    "b64encode",
]

MAX_COUNTER = 2**32 - 1  # signCount is an unsigned 32-bit integer (WebAuthn §6.1)
# A credential id is at most 1023 bytes (WebAuthn §5.8.3 credential id).
_MAX_CREDENTIAL_ID = 1023


class WebAuthnCredentialError(ValueError):
    """Stored WebAuthn data Ostium cannot use; the text names the field."""


def b64encode(data: bytes) -> str:
    """Keycloak's `Base64.encodeBytes`: standard alphabet, padded."""
    return base64.b64encode(data).decode("ascii")


def b64decode(text: str, field: str) -> bytes:
    """Standard Base64; missing padding is forgiven, another alphabet is not (a URL-safe
    id here means the data was not written by Keycloak)."""
    try:
        return base64.b64decode(text + "=" * (-len(text) % 4), validate=True)
    except (binascii.Error, ValueError):
        raise WebAuthnCredentialError(f"credentialData.{field} is not Base64") from None


def _string(data: dict[str, Any], key: str, *, required: bool) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str) or (required and not value):
        raise WebAuthnCredentialError(f"credentialData.{key} must be a non-empty string")
    return value


@dataclass(frozen=True)
class WebAuthnCredentialData:
    """Keycloak's WebAuthnCredentialData; Base64 fields kept as the text stored."""

    aaguid: str
    credential_id: str
    counter: int
    credential_public_key: str
    attestation_statement: str | None = None
    attestation_statement_format: str | None = None
    transports: tuple[str, ...] = ()

    @classmethod
    def parse(cls, secret_data: str, credential_data: str) -> WebAuthnCredentialData:
        """A stored credential, refused with a message naming the field when broken."""
        try:
            secret = json.loads(secret_data)
            data = json.loads(credential_data)
        except ValueError:
            raise WebAuthnCredentialError("secretData/credentialData are not JSON") from None
        if not isinstance(secret, dict):
            raise WebAuthnCredentialError('secretData must be a JSON object ("{}")')
        if not isinstance(data, dict):
            raise WebAuthnCredentialError("credentialData must be a JSON object")
        aaguid = _string(data, "aaguid", required=True)
        assert aaguid is not None
        try:
            uuid.UUID(aaguid)
        except ValueError:
            raise WebAuthnCredentialError("credentialData.aaguid is not a UUID") from None
        credential_id = _string(data, "credentialId", required=True)
        assert credential_id is not None
        if len(b64decode(credential_id, "credentialId")) > _MAX_CREDENTIAL_ID:
            raise WebAuthnCredentialError("credentialData.credentialId is over 1023 bytes")
        counter = data.get("counter", 0)
        if isinstance(counter, bool) or not isinstance(counter, int):
            raise WebAuthnCredentialError("credentialData.counter must be a number")
        if not 0 <= counter <= MAX_COUNTER:
            raise WebAuthnCredentialError(
                f"credentialData.counter must be between 0 and {MAX_COUNTER}"
            )
        public_key = _string(data, "credentialPublicKey", required=True)
        assert public_key is not None
        key_bytes = b64decode(public_key, "credentialPublicKey")
        try:
            # Decoded and built: a point off its curve is as useless as bad CBOR.
            decoded_public_key_to_cryptography(decode_credential_public_key(key_bytes))
        except Exception:
            raise WebAuthnCredentialError(
                "credentialData.credentialPublicKey is not a COSE public key"
            ) from None
        statement = _string(data, "attestationStatement", required=False)
        if statement is not None:
            b64decode(statement, "attestationStatement")
        statement_format = _string(data, "attestationStatementFormat", required=False)
        transports = data.get("transports") or []
        if not isinstance(transports, list) or not all(isinstance(t, str) for t in transports):
            raise WebAuthnCredentialError("credentialData.transports must be a list of strings")
        return cls(
            aaguid=aaguid,
            credential_id=credential_id,
            counter=counter,
            credential_public_key=public_key,
            attestation_statement=statement,
            attestation_statement_format=statement_format,
            transports=tuple(transports),
        )

    @property
    def credential_id_bytes(self) -> bytes:
        return b64decode(self.credential_id, "credentialId")

    @property
    def public_key_bytes(self) -> bytes:
        """The COSE_Key (RFC 9053 / WebAuthn §6.5.1.1) the assertions are checked with."""
        return b64decode(self.credential_public_key, "credentialPublicKey")

    def with_counter(self, counter: int) -> WebAuthnCredentialData:
        """After a sign-in: the authenticator's new signCount (WebAuthn §7.2 step 21)."""
        return replace(self, counter=counter)

    def credential_data(self) -> str:
        """The `credentialData` text as Keycloak writes it: its field order, no nulls,
        `transports` always there, compact."""
        body: dict[str, Any] = {
            "aaguid": self.aaguid,
            "credentialId": self.credential_id,
            "counter": self.counter,
            "attestationStatement": self.attestation_statement,
            "credentialPublicKey": self.credential_public_key,
            "attestationStatementFormat": self.attestation_statement_format,
            "transports": list(self.transports),
        }
        return json.dumps(
            {k: v for k, v in body.items() if v is not None},
            separators=(",", ":"),
            ensure_ascii=False,
        )

    @staticmethod
    def secret_data() -> str:
        """Keycloak's WebAuthnSecretData has no fields: nothing secret is kept."""
        return "{}"

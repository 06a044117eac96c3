"""A software WebAuthn authenticator and client for the tests: real attestations and
assertions (an EC P-256 key, "none" attestation), byte for byte what a browser hands the
page, so the ceremonies are tested through py_webauthn's real checks.

The client part (clientDataJSON: type, challenge, origin) is what the browser adds; each
piece can be forged to test a refusal: another origin, another challenge, an assertion
made for another RP ID, a counter that went back.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from dataclasses import dataclass, field
from typing import Any

import cbor2
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

__all__ = ["SoftwareAuthenticator", "b64url"]

UP, UV, AT = 0x01, 0x04, 0x40  # authenticatorData flags (WebAuthn §6.1)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


@dataclass
class SoftwareAuthenticator:
    """One credential on one authenticator. `counter` is its signCount; None makes an
    authenticator without a counter (always 0, as many passkey providers)."""

    aaguid: bytes = bytes(16)
    counter: int | None = 0
    user_verifying: bool = True
    transports: tuple[str, ...] = ("usb",)
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    credential_id: bytes = field(default_factory=lambda: os.urandom(16))
    user_handle: bytes | None = None  # kept by a discoverable credential

    def cose_key(self) -> bytes:
        """The COSE_Key of the public key (RFC 9053 EC2, alg ES256)."""
        numbers = self.key.public_key().public_numbers()
        return cbor2.dumps(
            {
                1: 2,  # kty: EC2
                3: -7,  # alg: ES256
                -1: 1,  # crv: P-256
                -2: numbers.x.to_bytes(32, "big"),
                -3: numbers.y.to_bytes(32, "big"),
            }
        )

    def _authenticator_data(self, rp_id: str, *, attested: bool, counter: int) -> bytes:
        flags = UP | (UV if self.user_verifying else 0) | (AT if attested else 0)
        data = hashlib.sha256(rp_id.encode()).digest() + bytes([flags]) + counter.to_bytes(4, "big")
        if attested:
            data += (
                self.aaguid
                + len(self.credential_id).to_bytes(2, "big")
                + self.credential_id
                + self.cose_key()
            )
        return data

    @staticmethod
    def _client_data(kind: str, challenge: str, origin: str) -> bytes:
        return json.dumps(
            {"type": kind, "challenge": challenge, "origin": origin, "crossOrigin": False}
        ).encode()

    def create(
        self,
        options: dict[str, Any],
        origin: str,
        *,
        rp_id: str | None = None,
        challenge: str | None = None,
    ) -> dict[str, Any]:
        """`navigator.credentials.create()` answered: the RegistrationResponseJSON."""
        rp = rp_id if rp_id is not None else options["rp"]["id"]
        self.user_handle = _unb64url(options["user"]["id"])
        start = self.counter or 0
        attestation = cbor2.dumps(
            {
                "fmt": "none",
                "attStmt": {},
                "authData": self._authenticator_data(rp, attested=True, counter=start),
            }
        )
        client_data = self._client_data(
            "webauthn.create", challenge or options["challenge"], origin
        )
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": {
                "clientDataJSON": b64url(client_data),
                "attestationObject": b64url(attestation),
                "transports": list(self.transports),
            },
            "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }

    def get(
        self,
        options: dict[str, Any],
        origin: str,
        *,
        rp_id: str | None = None,
        challenge: str | None = None,
        counter: int | None = None,
        user_handle: bytes | None = None,
    ) -> dict[str, Any]:
        """`navigator.credentials.get()` answered: the AuthenticationResponseJSON, signed
        over authenticatorData ‖ SHA-256(clientDataJSON) (WebAuthn §6.3.3)."""
        if counter is None and self.counter is not None:
            self.counter += 1
        used = counter if counter is not None else (self.counter or 0)
        data = self._authenticator_data(
            rp_id if rp_id is not None else options["rpId"], attested=False, counter=used
        )
        client_data = self._client_data("webauthn.get", challenge or options["challenge"], origin)
        signature = self.key.sign(
            data + hashlib.sha256(client_data).digest(), ec.ECDSA(hashes.SHA256())
        )
        handle = user_handle if user_handle is not None else self.user_handle
        response: dict[str, Any] = {
            "clientDataJSON": b64url(client_data),
            "authenticatorData": b64url(data),
            "signature": b64url(signature),
        }
        if handle is not None:
            response["userHandle"] = b64url(handle)
        return {
            "id": b64url(self.credential_id),
            "rawId": b64url(self.credential_id),
            "type": "public-key",
            "response": response,
            "clientExtensionResults": {},
            "authenticatorAttachment": "cross-platform",
        }

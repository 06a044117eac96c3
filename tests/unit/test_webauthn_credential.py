"""Keycloak's stored WebAuthn credential (domain/webauthn_credential.py): broken data
refused naming the field, then Keycloak's shape read and written back unchanged."""

from __future__ import annotations

import base64
import json

import pytest

from ostium.domain.webauthn_credential import WebAuthnCredentialData, WebAuthnCredentialError
from tests.webauthn_authenticator import SoftwareAuthenticator

KEY = base64.b64encode(SoftwareAuthenticator().cose_key()).decode()
# credentialData as Keycloak 26 writes it (Jackson: creator order, no nulls, compact).
KEYCLOAK_DATA = (
    '{"aaguid":"cb69481e-8ff7-4039-93ec-0a2729a154a8","credentialId":"q1Jb0tWmCw1nY8lbb1yHkA==",'
    f'"counter":7,"credentialPublicKey":"{KEY}","attestationStatementFormat":"none",'
    '"transports":["usb","nfc"]}'
)


def _data(**change: object) -> str:
    body = json.loads(KEYCLOAK_DATA)
    body.update(change)
    return json.dumps({k: v for k, v in body.items() if v != "<absent>"})


# --- refusals first ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("secret", "data", "says"),
    [
        ("{", KEYCLOAK_DATA, "not JSON"),
        ("{}", "[]", "credentialData must be a JSON object"),
        ('"x"', KEYCLOAK_DATA, "secretData must be a JSON object"),
        ("{}", _data(aaguid="<absent>"), "credentialData.aaguid"),
        ("{}", _data(aaguid="yubikey"), "aaguid is not a UUID"),
        ("{}", _data(credentialId=""), "credentialData.credentialId"),
        ("{}", _data(credentialId="q1Jb0tWm-w1nY8lbb1yHkA"), "credentialId is not Base64"),
        ("{}", _data(credentialId=base64.b64encode(bytes(1024)).decode()), "over 1023 bytes"),
        ("{}", _data(counter=-1), "counter must be between"),
        ("{}", _data(counter=2**32), "counter must be between"),
        ("{}", _data(counter="7"), "counter must be a number"),
        ("{}", _data(counter=True), "counter must be a number"),
        ("{}", _data(credentialPublicKey="<absent>"), "credentialPublicKey"),
        ("{}", _data(credentialPublicKey="bm90IGNib3I="), "not a COSE public key"),
        # A well-formed COSE key whose point is not on P-256.
        (
            "{}",
            _data(
                credentialPublicKey="pQECAyYgASFYIPlq4rEz3vG8bsAQvpn0xz6Cm4Y0BkaVd0a0M0t4GfSaIlgg"
                "JNCA3W0I5C5uQmVvXn4vQmFj8mD1h3aK9Y7mGk0Q2sA"
            ),
            "not a COSE public key",
        ),
        ("{}", _data(attestationStatement="%%"), "attestationStatement is not Base64"),
        ("{}", _data(attestationStatementFormat=3), "attestationStatementFormat"),
        ("{}", _data(transports="usb"), "transports must be a list"),
    ],
)
def test_broken_data_is_refused_naming_the_field(secret: str, data: str, says: str) -> None:
    with pytest.raises(WebAuthnCredentialError, match=says):
        WebAuthnCredentialData.parse(secret, data)


# --- Keycloak's shape --------------------------------------------------------------------


def test_keycloaks_data_is_read_and_written_back_unchanged() -> None:
    credential = WebAuthnCredentialData.parse("{}", KEYCLOAK_DATA)
    assert credential.aaguid == "cb69481e-8ff7-4039-93ec-0a2729a154a8"
    assert credential.credential_id_bytes == base64.b64decode("q1Jb0tWmCw1nY8lbb1yHkA==")
    assert credential.counter == 7
    assert credential.transports == ("usb", "nfc")
    assert credential.attestation_statement is None
    assert credential.credential_data() == KEYCLOAK_DATA
    assert credential.secret_data() == "{}"
    # The sign-in's new counter is the only thing that changes.
    moved = json.loads(credential.with_counter(8).credential_data())
    assert moved == {**json.loads(KEYCLOAK_DATA), "counter": 8}


def test_older_keycloak_data_with_an_attestation_statement_and_no_transports_is_kept() -> None:
    older = _data(attestationStatement="oGNhbGc=", transports="<absent>")
    credential = WebAuthnCredentialData.parse("{}", older)
    assert credential.attestation_statement == "oGNhbGc="
    assert credential.transports == ()
    written = json.loads(credential.credential_data())
    # Keycloak's getTransports() is never null: an empty list is written.
    assert written == {**json.loads(older), "transports": []}
    assert list(written) == [
        "aaguid",
        "credentialId",
        "counter",
        "attestationStatement",
        "credentialPublicKey",
        "attestationStatementFormat",
        "transports",
    ]


def test_unpadded_base64_is_forgiven() -> None:
    credential = WebAuthnCredentialData.parse("{}", _data(credentialId="q1Jb0tWmCw1nY8lbb1yHkA"))
    assert len(credential.credential_id_bytes) == 16

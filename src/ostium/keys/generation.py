"""New keys for a realm, in the providers Keycloak creates for every realm
(Keycloak's `DefaultKeyProviders`)."""

from __future__ import annotations

import base64
import datetime
import hashlib
import secrets
import uuid

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes, PublicKeyTypes
from cryptography.x509.oid import NameOID

from ostium.domain import RealmKey

__all__ = [
    "certificate_for",
    "default_realm_keys",
    "generate_aes_key",
    "generate_ec_key",
    "generate_hmac_key",
    "generate_rsa_enc_key",
    "generate_rsa_key",
    "key_id",
    "pem_pair",
]

_CURVES: dict[str, ec.EllipticCurve] = {
    "ES256": ec.SECP256R1(),
    "ES384": ec.SECP384R1(),
    "ES512": ec.SECP521R1(),
}
_HMAC_BYTES = {"HS256": 32, "HS384": 48, "HS512": 64}


def key_id(public_key: PublicKeyTypes) -> str:
    """Keycloak's kid for asymmetric keys: base64url SHA-256 of the encoded public key.

    Derived from the key itself, so it is the same after any restore or re-import."""
    der = public_key.public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return base64.urlsafe_b64encode(hashlib.sha256(der).digest()).rstrip(b"=").decode()


def certificate_for(private_key: PrivateKeyTypes, realm_name: str) -> str:
    """A self-signed certificate for the JWKS's `x5c`, as Keycloak makes for its keys."""
    assert isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, realm_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=3650))
        .sign(private_key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def pem_pair(private_key: PrivateKeyTypes) -> tuple[str, str]:
    """(PKCS#8 private, SubjectPublicKeyInfo public) PEM: how keys are stored."""
    private = private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    assert isinstance(private_key, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey)
    public = (
        private_key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    return private, public


def _asymmetric_key(
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    *,
    provider: str,
    realm_id: str,
    realm_name: str,
    now: int,
    algorithm: str,
    priority: int,
    use: str = "sig",
) -> RealmKey:
    private, public = pem_pair(private_key)
    return RealmKey(
        id=str(uuid.uuid4()),
        realm_id=realm_id,
        provider=provider,
        algorithm=algorithm,
        use=use,
        kid=key_id(private_key.public_key()),
        private_key=private,
        public_key=public,
        certificate=certificate_for(private_key, realm_name),
        priority=priority,
        created=now,
        name=provider,
    )


def generate_rsa_key(
    realm_id: str, realm_name: str, now: int, *, algorithm: str = "RS256", priority: int = 100
) -> RealmKey:
    return _asymmetric_key(
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        provider="rsa-generated",
        realm_id=realm_id,
        realm_name=realm_name,
        now=now,
        algorithm=algorithm,
        priority=priority,
    )


def generate_rsa_enc_key(
    realm_id: str, realm_name: str, now: int, *, algorithm: str = "RSA-OAEP", priority: int = 100
) -> RealmKey:
    """Keycloak's rsa-enc-generated provider: the realm's public encryption key (JWKS
    `use: enc`), for clients that encrypt to the server; it never signs."""
    return _asymmetric_key(
        rsa.generate_private_key(public_exponent=65537, key_size=2048),
        provider="rsa-enc-generated",
        realm_id=realm_id,
        realm_name=realm_name,
        now=now,
        algorithm=algorithm,
        priority=priority,
        use="enc",
    )


def generate_ec_key(
    realm_id: str, realm_name: str, now: int, *, algorithm: str = "ES256", priority: int = 100
) -> RealmKey:
    return _asymmetric_key(
        ec.generate_private_key(_CURVES[algorithm]),
        provider="ecdsa-generated",
        realm_id=realm_id,
        realm_name=realm_name,
        now=now,
        algorithm=algorithm,
        priority=priority,
    )


def generate_hmac_key(
    realm_id: str, now: int, *, algorithm: str = "HS512", priority: int = 100
) -> RealmKey:
    secret = secrets.token_bytes(_HMAC_BYTES[algorithm])
    return RealmKey(
        id=str(uuid.uuid4()),
        realm_id=realm_id,
        provider="hmac-generated",
        algorithm=algorithm,
        use="sig",
        kid=str(uuid.uuid4()),
        private_key=base64.urlsafe_b64encode(secret).rstrip(b"=").decode(),
        public_key=None,
        priority=priority,
        created=now,
        name=f"hmac-generated-{algorithm.lower()}",
    )


def generate_aes_key(realm_id: str, now: int, *, priority: int = 100) -> RealmKey:
    """Keycloak's aes-generated provider: an encryption key, never used to sign."""
    return RealmKey(
        id=str(uuid.uuid4()),
        realm_id=realm_id,
        provider="aes-generated",
        algorithm="AES",
        use="enc",
        kid=str(uuid.uuid4()),
        private_key=base64.urlsafe_b64encode(secrets.token_bytes(16)).rstrip(b"=").decode(),
        public_key=None,
        priority=priority,
        created=now,
        name="aes-generated",
    )


def default_realm_keys(realm_id: str, realm_name: str, now: int) -> list[RealmKey]:
    """Keycloak's default key providers for a new realm, priority 100 each:
    `rsa-generated` (RS256, the realm's default signer), `rsa-enc-generated` (RSA-OAEP,
    encryption), `hmac-generated-hs512` (signs what only this server reads: refresh
    tokens, the identity cookie) and `aes-generated`.

    No EC key: the JWKS would list it beside the RSA one, and a client that verifies with
    the whole JWKS and RS256 alone (python-jose's `jwt.decode`) trips over it. A client or
    realm that asks for ES256 gets a key the way Keycloak does, as a fallback or an
    `ecdsa-generated` component an admin adds."""
    return [
        generate_rsa_key(realm_id, realm_name, now),
        generate_rsa_enc_key(realm_id, realm_name, now),
        generate_hmac_key(realm_id, now, algorithm="HS512"),
        generate_aes_key(realm_id, now),
    ]

"""The public JWK Set of a realm."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable
from functools import lru_cache

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, RSAKey

from ostium.domain import RealmKey

__all__ = ["public_jwks"]


def _jwk(key: RealmKey) -> dict[str, object]:
    assert key.public_key is not None
    jwk: dict[str, object] = {
        "kid": key.kid,
        "kty": key.key_type,
        "alg": key.algorithm,
        "use": key.use,
    }
    jwk.update(_public_parts(key.key_type, key.public_key, key.certificate))
    return jwk


@lru_cache(maxsize=256)
def _public_parts(
    key_type: str, public_key: str, certificate: str | None
) -> tuple[tuple[str, object], ...]:
    """Parsing a PEM key and a certificate costs more than serving the whole JWK Set:
    done once per key, not on every request for `certs`."""
    imported = (RSAKey if key_type == "RSA" else ECKey).import_key(public_key)
    parts: list[tuple[str, object]] = [
        (k, v) for k, v in imported.as_dict(private=False).items() if k not in ("kid", "kty")
    ]
    if certificate:
        der = x509.load_pem_x509_certificate(certificate.encode()).public_bytes(
            serialization.Encoding.DER
        )
        parts.append(("x5c", [base64.b64encode(der).decode()]))
        parts.append(("x5t", _thumb(hashlib.sha1(der).digest())))  # noqa: S324 - x5t is SHA-1
        parts.append(("x5t#S256", _thumb(hashlib.sha256(der).digest())))
    return tuple(parts)


def _thumb(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _order(key: RealmKey) -> tuple[int, int, int, str]:
    """Keycloak's key order (`DefaultKeyManager`): by provider priority, highest first.
    Keycloak breaks a tie by component id, which is random; here signing keys come before
    encryption keys, RSA before EC, so the realm's RS256 key leads. A client that takes
    the first key gets one that verifies, and python-jose, which tries the keys in order
    and stops at the first that verifies, never reaches an EC key of a realm made before
    Ostium stopped creating one (such a key would fail its RS256-only call)."""
    return (-key.priority, 0 if key.use == "sig" else 1, 0 if key.key_type == "RSA" else 1, key.id)


def public_jwks(keys: Iterable[RealmKey]) -> dict[str, list[dict[str, object]]]:
    """Enabled asymmetric keys, active and passive, signing (`use: sig`) and encryption
    (`use: enc`) alike, as Keycloak's `certs` endpoint; never a private part, never an HMAC
    or AES secret."""
    return {
        "keys": [
            _jwk(k)
            for k in sorted(keys, key=_order)
            if k.enabled and k.key_type in ("RSA", "EC") and k.public_key
        ]
    }

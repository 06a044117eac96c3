"""The public JWK Set of a realm."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Iterable

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from joserfc.jwk import ECKey, RSAKey

from ostium.domain import RealmKey

__all__ = ["public_jwks"]


def _jwk(key: RealmKey) -> dict[str, object]:
    assert key.public_key is not None
    imported = (RSAKey if key.key_type == "RSA" else ECKey).import_key(key.public_key)
    jwk: dict[str, object] = {
        "kid": key.kid,
        "kty": key.key_type,
        "alg": key.algorithm,
        "use": key.use,
    }
    jwk.update(
        {k: v for k, v in imported.as_dict(private=False).items() if k not in ("kid", "kty")}
    )
    if key.certificate:
        der = x509.load_pem_x509_certificate(key.certificate.encode()).public_bytes(
            serialization.Encoding.DER
        )
        jwk["x5c"] = [base64.b64encode(der).decode()]
        jwk["x5t"] = _thumb(hashlib.sha1(der).digest())  # noqa: S324 - x5t is defined as SHA-1
        jwk["x5t#S256"] = _thumb(hashlib.sha256(der).digest())
    return jwk


def _thumb(digest: bytes) -> str:
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def public_jwks(keys: Iterable[RealmKey]) -> dict[str, list[dict[str, object]]]:
    """Enabled asymmetric keys, active and passive; never a private part or an oct key."""
    return {
        "keys": [
            _jwk(k)
            for k in sorted(keys, key=lambda k: (-k.priority, k.algorithm, k.kid))
            if k.enabled and k.key_type in ("RSA", "EC") and k.public_key
        ]
    }

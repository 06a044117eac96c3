"""Signing and verifying JWS compact tokens with a realm's keys (over joserfc)."""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Collection, Iterable, Mapping

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, OctKey, RSAKey

from ostium.domain import RealmKey
from ostium.keys.selection import key_for_kid

__all__ = ["MAX_TOKEN_LENGTH", "TokenRejected", "decode", "sign"]

MAX_TOKEN_LENGTH = 16 * 1024
_SUPPORTED = frozenset(
    {
        "RS256",
        "RS384",
        "RS512",
        "PS256",
        "PS384",
        "PS512",
        "ES256",
        "ES384",
        "ES512",
        "HS256",
        "HS384",
        "HS512",
    }
)

# Parsed joserfc keys by stored key id and kid: PEM parsing is too slow for every request.
# The kid is part of it because a key provider that makes a new key keeps its component id.
_KEY_CACHE: dict[tuple[str, str, str], RSAKey | ECKey | OctKey] = {}
_KEY_CACHE_MAX = 2000


class TokenRejected(Exception):
    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def _joserfc_key(key: RealmKey, *, private: bool) -> RSAKey | ECKey | OctKey:
    cache_key = (key.id, key.kid, "private" if private else "public")
    cached = _KEY_CACHE.get(cache_key)
    if cached is not None:
        return cached
    imported: RSAKey | ECKey | OctKey
    if key.key_type == "OCT":
        secret = base64.urlsafe_b64decode(key.private_key + "=" * (-len(key.private_key) % 4))
        imported = OctKey.import_key(secret)
    else:
        material = key.private_key if private else (key.public_key or key.private_key)
        imported = (RSAKey if key.key_type == "RSA" else ECKey).import_key(material)
    if len(_KEY_CACHE) >= _KEY_CACHE_MAX:
        _KEY_CACHE.clear()
    _KEY_CACHE[cache_key] = imported
    return imported


def sign(claims: Mapping[str, object], key: RealmKey, *, typ: str = "JWT") -> str:
    header = {"alg": key.algorithm, "typ": typ, "kid": key.kid}
    payload = json.dumps(dict(claims), separators=(",", ":")).encode()
    return jws.serialize_compact(
        header, payload, _joserfc_key(key, private=True), algorithms=[key.algorithm]
    )


def _segment(value: str) -> dict[str, object]:
    decoded = json.loads(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)))
    if not isinstance(decoded, dict):
        raise ValueError("not a JSON object")
    return decoded


def decode(
    token: str,
    keys: Iterable[RealmKey],
    *,
    allowed_algorithms: Collection[str] | None = None,
) -> tuple[dict[str, object], dict[str, object]]:
    """(header, claims) once the signature is verified; claims are not validated here."""
    if not token or len(token) > MAX_TOKEN_LENGTH or token.count(".") != 2:
        raise TokenRejected("malformed", "Token is not a JWS compact serialization")
    try:
        header = _segment(token.split(".")[0])
        _segment(token.split(".")[1])
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise TokenRejected("malformed", "Token header or payload is not base64url JSON") from None
    alg = header.get("alg")
    if (
        not isinstance(alg, str)
        or alg not in _SUPPORTED
        or (allowed_algorithms is not None and alg not in allowed_algorithms)
    ):
        raise TokenRejected("algorithm_not_allowed", f"Token algorithm '{alg}' is not allowed")
    kid = header.get("kid")
    key = key_for_kid(keys, kid) if isinstance(kid, str) else None
    if key is None:
        raise TokenRejected(
            "unknown_kid",
            f"Token signed with unknown key '{str(kid)[:64]}' (rotated out, or from another realm or server)",
        )
    if key.algorithm != alg:
        raise TokenRejected("algorithm_not_allowed", f"Key '{key.kid}' does not sign with {alg}")
    try:
        verified = jws.deserialize_compact(
            token, _joserfc_key(key, private=False), algorithms=[alg]
        )
    except (JoseError, ValueError):
        raise TokenRejected("bad_signature", "Token signature is invalid") from None
    try:
        claims = json.loads(verified.payload)
    except ValueError:
        raise TokenRejected("malformed", "Token payload is not JSON") from None
    if not isinstance(claims, dict):
        raise TokenRejected("malformed", "Token payload is not a JSON object")
    return header, claims

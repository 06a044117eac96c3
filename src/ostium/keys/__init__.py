"""Realm keys: generation, selection, the public JWKS, and JWT signing over joserfc."""

from __future__ import annotations

from ostium.keys.generation import (
    default_realm_keys,
    generate_aes_key,
    generate_ec_key,
    generate_hmac_key,
    generate_rsa_enc_key,
    generate_rsa_key,
    key_id,
)
from ostium.keys.jwks import public_jwks
from ostium.keys.jwt import TokenRejected, decode, sign
from ostium.keys.selection import active_key, key_for_kid

__all__ = [
    "TokenRejected",
    "active_key",
    "decode",
    "default_realm_keys",
    "generate_aes_key",
    "generate_ec_key",
    "generate_hmac_key",
    "generate_rsa_enc_key",
    "generate_rsa_key",
    "key_for_kid",
    "key_id",
    "public_jwks",
    "sign",
]

"""Proof Key for Code Exchange (RFC 7636)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

__all__ = ["METHODS", "is_valid_challenge", "is_valid_verifier", "verify"]

METHODS = ("S256", "plain")

# RFC 7636 §4.1: code-verifier = 43*128unreserved
_UNRESERVED = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")


def is_valid_verifier(verifier: str) -> bool:
    return bool(_UNRESERVED.match(verifier))


def is_valid_challenge(challenge: str) -> bool:
    """The challenge has the verifier's alphabet and length (§4.2), for both methods."""
    return bool(_UNRESERVED.match(challenge))


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def verify(verifier: str, challenge: str, method: str) -> bool:
    """RFC 7636 §4.6, compared in constant time."""
    if not is_valid_verifier(verifier):
        return False
    computed = s256(verifier) if method == "S256" else verifier
    return hmac.compare_digest(computed.encode("ascii"), challenge.encode("ascii"))

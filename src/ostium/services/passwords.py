"""Password hashing in Keycloak's credential format.

Hashes are stored exactly as Keycloak stores them (`secretData` / `credentialData`), so
a Keycloak realm export imports with its users' passwords intact and an Ostium export
reads back into Keycloak. New hashes use the realm policy's `hashAlgorithm` and
`hashIterations` (argon2id at Keycloak's defaults when the policy names neither); a stored
hash made otherwise verifies and is re-made at the next login, as Keycloak's
PasswordCredentialProvider does (`policyCheck`).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import os
from typing import Any

from argon2.low_level import Type, hash_secret_raw

__all__ = ["PBKDF2_DEFAULT_ITERATIONS", "hash_password", "needs_rehash", "verify_password"]

# Keycloak's Argon2PasswordHashProviderFactory defaults.
ARGON2_MEMORY_KIB = 7168
ARGON2_ITERATIONS = 5
ARGON2_PARALLELISM = 1
ARGON2_HASH_LENGTH = 32
ARGON2_SALT_LENGTH = 16

_PBKDF2 = {"pbkdf2": "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512"}
# Keycloak 26's Pbkdf2*PasswordHashProviderFactory defaults (iterations, key bytes).
PBKDF2_DEFAULT_ITERATIONS = {
    "pbkdf2": 1_300_000,
    "pbkdf2-sha256": 600_000,
    "pbkdf2-sha512": 210_000,
}
_PBKDF2_KEY_BYTES = 64  # Keycloak's derived key size, 512 bits
PBKDF2_SALT_LENGTH = 16
_ARGON2_TYPES = {"id": Type.ID, "i": Type.I, "d": Type.D}
_ARGON2_VERSIONS = {"1.3": 0x13, "1.0": 0x10}


def hash_password(
    password: str, algorithm: str = "argon2", iterations: int = -1
) -> tuple[str, str]:
    """(secret_data, credential_data) JSON strings for a new hash: `algorithm` is one of
    Keycloak's hash provider ids (argon2, pbkdf2-sha512, pbkdf2-sha256, pbkdf2) and
    `iterations` -1 takes the algorithm's default, as the `hashIterations` policy does."""
    if algorithm in _PBKDF2:
        return _pbkdf2(password, algorithm, iterations)
    if algorithm != "argon2":
        raise ValueError(f"unsupported password hash algorithm {algorithm!r}")
    time_cost = iterations if iterations > 0 else ARGON2_ITERATIONS
    salt = os.urandom(ARGON2_SALT_LENGTH)
    digest = hash_secret_raw(
        password.encode("utf-8"),
        salt,
        time_cost=time_cost,
        memory_cost=ARGON2_MEMORY_KIB,
        parallelism=ARGON2_PARALLELISM,
        hash_len=ARGON2_HASH_LENGTH,
        type=Type.ID,
        version=0x13,
    )
    secret = {"value": _b64(digest), "salt": _b64(salt), "additionalParameters": {}}
    credential = {
        "hashIterations": time_cost,
        "algorithm": "argon2",
        "additionalParameters": {
            "hashLength": [str(ARGON2_HASH_LENGTH)],
            "memory": [str(ARGON2_MEMORY_KIB)],
            "type": ["id"],
            "version": ["1.3"],
            "parallelism": [str(ARGON2_PARALLELISM)],
        },
    }
    return json.dumps(secret), json.dumps(credential)


def _pbkdf2(password: str, algorithm: str, iterations: int) -> tuple[str, str]:
    count = iterations if iterations > 0 else PBKDF2_DEFAULT_ITERATIONS[algorithm]
    salt = os.urandom(PBKDF2_SALT_LENGTH)
    digest = hashlib.pbkdf2_hmac(
        _PBKDF2[algorithm], password.encode("utf-8"), salt, count, _PBKDF2_KEY_BYTES
    )
    secret = {"value": _b64(digest), "salt": _b64(salt), "additionalParameters": {}}
    credential = {"hashIterations": count, "algorithm": algorithm, "additionalParameters": {}}
    return json.dumps(secret), json.dumps(credential)


def algorithm_of(credential_data: str) -> str | None:
    try:
        data = json.loads(credential_data)
    except ValueError:
        return None
    algorithm = data.get("algorithm") if isinstance(data, dict) else None
    return algorithm if isinstance(algorithm, str) else None


def is_known_algorithm(credential_data: str) -> bool:
    return algorithm_of(credential_data) in {"argon2", *_PBKDF2}


def verify_password(password: str, secret_data: str, credential_data: str) -> bool:
    """Constant-time check; malformed stored data is simply a mismatch, never an error."""
    try:
        secret = json.loads(secret_data)
        credential = json.loads(credential_data)
        expected = base64.b64decode(secret["value"])
        salt = base64.b64decode(secret.get("salt") or "")
        algorithm = credential["algorithm"]
        iterations = int(credential.get("hashIterations") or 1)
        params: dict[str, Any] = credential.get("additionalParameters") or {}
        if algorithm in _PBKDF2:
            computed = hashlib.pbkdf2_hmac(
                _PBKDF2[algorithm], password.encode("utf-8"), salt, iterations, len(expected)
            )
        elif algorithm == "argon2":
            computed = hash_secret_raw(
                password.encode("utf-8"),
                salt,
                time_cost=iterations,
                memory_cost=int(_param(params, "memory", str(ARGON2_MEMORY_KIB))),
                parallelism=int(_param(params, "parallelism", "1")),
                hash_len=len(expected),
                type=_ARGON2_TYPES[_param(params, "type", "id")],
                version=_ARGON2_VERSIONS[_param(params, "version", "1.3")],
            )
        else:
            return False
    except (ValueError, KeyError, TypeError, binascii.Error, AttributeError):
        return False
    except Exception:  # argon2 raises its own errors for out-of-range parameters
        return False
    return hmac.compare_digest(computed, expected)


def needs_rehash(credential_data: str, algorithm: str = "argon2", iterations: int = -1) -> bool:
    """True when the stored hash is not what the realm's policy asks for now (another
    algorithm, other iterations, or argon2id below today's defaults), so logins upgrade
    old hashes (Keycloak's PasswordHashProvider.policyCheck)."""
    try:
        credential = json.loads(credential_data)
        params = credential.get("additionalParameters") or {}
        if algorithm != "argon2" or iterations > 0:
            wanted = iterations if iterations > 0 else PBKDF2_DEFAULT_ITERATIONS.get(algorithm, 0)
            if credential.get("algorithm") != algorithm:
                return True
            if int(credential.get("hashIterations", 0)) != wanted:
                return True
            return algorithm == "argon2" and _param(params, "type", "") != "id"
        return not (
            credential.get("algorithm") == "argon2"
            and int(credential.get("hashIterations", 0)) >= ARGON2_ITERATIONS
            and _param(params, "type", "") == "id"
            and int(_param(params, "memory", "0")) >= ARGON2_MEMORY_KIB
        )
    except (ValueError, TypeError, AttributeError):
        return True


def _param(params: dict[str, Any], name: str, default: str) -> str:
    """Keycloak keeps additional parameters as lists of strings."""
    value = params.get(name)
    if isinstance(value, list) and value:
        return str(value[0])
    if isinstance(value, str | int):
        return str(value)
    return default


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")

"""Password hashes in Keycloak's credential format."""

from __future__ import annotations

import base64
import hashlib
import json

import pytest
from argon2 import PasswordHasher

from ostium.services.passwords import hash_password, needs_rehash, verify_password


def keycloak_pbkdf2(
    password: str, algorithm: str, iterations: int, salt: bytes, length: int
) -> tuple[str, str]:
    """A credential as Keycloak's Pbkdf2PasswordHashProvider stores it, built here with
    hashlib directly (an independent path from the code under test)."""
    digest_name = {"pbkdf2": "sha1", "pbkdf2-sha256": "sha256", "pbkdf2-sha512": "sha512"}[
        algorithm
    ]
    digest = hashlib.pbkdf2_hmac(digest_name, password.encode(), salt, iterations, length)
    secret = {
        "value": base64.b64encode(digest).decode(),
        "salt": base64.b64encode(salt).decode(),
        "additionalParameters": {},
    }
    credential = {"hashIterations": iterations, "algorithm": algorithm, "additionalParameters": {}}
    return json.dumps(secret), json.dumps(credential)


def test_new_hashes_are_argon2id_at_keycloak_defaults() -> None:
    secret, credential = hash_password("correct horse")
    data = json.loads(credential)
    assert data["algorithm"] == "argon2"
    assert data["hashIterations"] == 5
    assert data["additionalParameters"] == {
        "hashLength": ["32"],
        "memory": ["7168"],
        "type": ["id"],
        "version": ["1.3"],
        "parallelism": ["1"],
    }
    assert len(base64.b64decode(json.loads(secret)["salt"])) == 16
    assert verify_password("correct horse", secret, credential)
    assert not verify_password("correct horse!", secret, credential)
    assert not needs_rehash(credential)


def test_argon2_hash_matches_the_reference_implementation() -> None:
    secret, _ = hash_password("s3cret")
    raw = base64.b64decode(json.loads(secret)["value"])
    salt = base64.b64decode(json.loads(secret)["salt"])
    b64 = lambda data: base64.b64encode(data).decode().rstrip("=")  # noqa: E731
    encoded = f"$argon2id$v=19$m=7168,t=5,p=1${b64(salt)}${b64(raw)}"
    assert PasswordHasher().verify(encoded, "s3cret")


@pytest.mark.parametrize(
    ("algorithm", "iterations", "length"),
    [("pbkdf2-sha256", 27500, 64), ("pbkdf2-sha512", 210000, 64), ("pbkdf2", 20000, 64)],
)
def test_keycloak_pbkdf2_hashes_verify_and_ask_for_rehash(
    algorithm: str, iterations: int, length: int
) -> None:
    secret, credential = keycloak_pbkdf2(
        "wonderland", algorithm, iterations, b"0123456789abcdef", length
    )
    assert verify_password("wonderland", secret, credential)
    assert not verify_password("Wonderland", secret, credential)
    assert needs_rehash(credential)


@pytest.mark.parametrize(
    ("secret", "credential"),
    [
        ("not json", "{}"),
        ("{}", "{}"),
        ('{"value": "!!!", "salt": "AA=="}', '{"algorithm": "pbkdf2-sha256", "hashIterations": 1}'),
        ('{"value": "AAAA", "salt": "AA=="}', '{"algorithm": "md5", "hashIterations": 1}'),
        (
            '{"value": "AAAA", "salt": "AA=="}',
            '{"algorithm": "argon2", "hashIterations": 1, "additionalParameters": {"type": ["zz"]}}',
        ),
        ('{"value": "AAAA", "salt": "AA=="}', '{"algorithm": "argon2", "hashIterations": 0}'),
        ("[]", "[]"),
    ],
)
def test_malformed_stored_data_is_a_mismatch_not_an_error(secret: str, credential: str) -> None:
    assert verify_password("anything", secret, credential) is False

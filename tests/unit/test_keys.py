"""Realm keys: signing, verification, JWKS, and why a token is refused."""

from __future__ import annotations

import base64
import dataclasses
import json

import pytest
from cryptography.hazmat.primitives.serialization import load_pem_public_key
from jose import jwt as jose_jwt
from joserfc import jwt
from joserfc.jwk import KeySet

from ostium.keys import (
    TokenRejected,
    active_key,
    decode,
    default_realm_keys,
    generate_ec_key,
    generate_hmac_key,
    generate_rsa_key,
    key_id,
    public_jwks,
    sign,
)


@pytest.fixture(scope="module")
def keys():  # type: ignore[no-untyped-def]
    return default_realm_keys("realm-id", "acme", 1000)


@pytest.mark.parametrize("algorithm", ["RS256", "ES256", "HS512", "HS256"])
def test_round_trip(keys, algorithm: str) -> None:  # type: ignore[no-untyped-def]
    # ES256 and HS256 are not among Keycloak's defaults: keys an admin adds.
    configured = [
        *keys,
        generate_ec_key("realm-id", "acme", 1000),
        generate_hmac_key("realm-id", 1000, algorithm="HS256"),
    ]
    key = active_key(configured, algorithm)
    assert key is not None
    token = sign({"sub": "x"}, key)
    header, claims = decode(token, configured)
    assert claims == {"sub": "x"}
    assert header["kid"] == key.kid and header["alg"] == algorithm


def test_tampered_payload_is_a_bad_signature(keys) -> None:  # type: ignore[no-untyped-def]
    token = sign({"sub": "x"}, keys[0])
    header, _, signature = token.split(".")
    forged = base64.urlsafe_b64encode(json.dumps({"sub": "admin"}).encode()).rstrip(b"=").decode()
    with pytest.raises(TokenRejected) as caught:
        decode(f"{header}.{forged}.{signature}", keys)
    assert caught.value.reason == "bad_signature"


def test_unknown_kid_says_so(keys) -> None:  # type: ignore[no-untyped-def]
    other = default_realm_keys("other", "other", 1000)
    with pytest.raises(TokenRejected) as caught:
        decode(sign({"a": 1}, other[0]), keys)
    assert caught.value.reason == "unknown_kid"
    assert "unknown key" in str(caught.value)


def test_alg_none_is_never_accepted(keys) -> None:  # type: ignore[no-untyped-def]
    header = base64.urlsafe_b64encode(
        json.dumps({"alg": "none", "kid": keys[0].kid}).encode()
    ).rstrip(b"=")
    payload = base64.urlsafe_b64encode(b'{"sub":"x"}').rstrip(b"=")
    with pytest.raises(TokenRejected) as caught:
        decode(f"{header.decode()}.{payload.decode()}.", keys)
    assert caught.value.reason == "algorithm_not_allowed"


@pytest.mark.parametrize(
    "token", ["", "a", "a.b", "a.b.c", "!!!.???.***", "e30.e30.e30.e30", "x" * 20000, "W10.W10.x"]
)
def test_malformed_tokens(keys, token: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(TokenRejected) as caught:
        decode(token, keys)
    assert caught.value.reason in ("malformed", "algorithm_not_allowed", "unknown_kid")


def test_jwks_has_public_asymmetric_keys_only(keys) -> None:  # type: ignore[no-untyped-def]
    ec_key = generate_ec_key("realm-id", "acme", 1000, priority=50)
    assert [(k["alg"], k["use"]) for k in public_jwks([*keys, ec_key])["keys"]] == [
        ("RS256", "sig"),
        ("RSA-OAEP", "enc"),
        ("ES256", "sig"),  # a configured EC key is published, after by its lower priority
    ]
    jwks = public_jwks(keys)["keys"]
    assert {k["kty"] for k in jwks} == {"RSA"}
    assert all(not ({"d", "k", "p", "q"} & set(k)) for k in jwks)
    assert all(k["x5c"] and k["x5t#S256"] for k in jwks)
    key_set = KeySet.import_key_set(public_jwks(keys))
    token = sign({"iss": "me"}, keys[0])
    assert jwt.decode(token, key_set).claims["iss"] == "me"


def test_kid_is_derived_from_the_stored_public_key(keys) -> None:  # type: ignore[no-untyped-def]
    for key in keys:
        if key.public_key:
            assert key_id(load_pem_public_key(key.public_key.encode())) == key.kid


def test_passive_keys_verify_but_do_not_sign(keys) -> None:  # type: ignore[no-untyped-def]
    old = keys[0]
    token = sign({"a": 1}, old)
    old.active = False
    try:
        assert active_key(keys, "RS256") is None
        assert decode(token, keys)[1] == {"a": 1}
        old.enabled = False
        with pytest.raises(TokenRejected):
            decode(token, keys)
    finally:
        old.active = old.enabled = True


def test_a_realm_made_with_an_ec_key_keeps_it_and_python_jose_still_verifies() -> None:
    """Databases from before keep their ES256 key at the same priority as the RSA one:
    the RS256 key leads the JWKS, so python-jose verifies an RS256 token before it would
    trip over the EC key (which it cannot use as RS256)."""
    rsa_key = generate_rsa_key("realm-id", "acme", 1000)
    ec_key = generate_ec_key("realm-id", "acme", 1000)
    for older in ([ec_key, rsa_key], [rsa_key, ec_key]):
        jwks = public_jwks(older)
        assert [k["alg"] for k in jwks["keys"]] == ["RS256", "ES256"]
        token = sign({"sub": "x"}, rsa_key)
        assert jose_jwt.decode(token, jwks, algorithms=["RS256"]) == {"sub": "x"}
    # An EC key ahead of it (a higher priority an admin chose) is Keycloak's order too.
    ahead = dataclasses.replace(ec_key, priority=101)
    assert [k["alg"] for k in public_jwks([rsa_key, ahead])["keys"]] == ["ES256", "RS256"]

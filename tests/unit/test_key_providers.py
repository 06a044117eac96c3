"""Key providers as Keycloak components, and rotation decided from `now` alone."""

from __future__ import annotations

import base64

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ostium.domain import RealmKey
from ostium.keys import (
    TokenRejected,
    decode,
    default_realm_keys,
    generate_rsa_key,
    public_jwks,
    sign,
)
from ostium.keys.generation import certificate_for
from ostium.keys.providers import (
    DISABLE_AT,
    SECRET_VALUE,
    KeyProviderError,
    component_config,
    key_from_component,
)
from ostium.keys.rotation import as_of, grace_over, plan_rotation


@pytest.fixture(scope="module")
def keys() -> list[RealmKey]:
    return default_realm_keys("realm-id", "acme", 1000)


def _component(provider: str, config: dict[str, list[str]], **extra: str) -> RealmKey:
    return key_from_component(
        component_id=extra.get("id", "c1"),
        name=extra.get("name", provider),
        provider_id=provider,
        config=config,
        realm_id="realm-id",
        realm_name="acme",
        now=1000,
    )


def _pem(private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> str:
    return private_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL,
        serialization.NoEncryption(),
    ).decode()


def test_defaults_are_keycloaks_providers(keys: list[RealmKey]) -> None:
    """Keycloak's DefaultKeyProviders: component names, provider ids, priority 100."""
    assert [(k.name, k.provider, k.algorithm, k.use) for k in keys] == [
        ("rsa-generated", "rsa-generated", "RS256", "sig"),
        ("rsa-enc-generated", "rsa-enc-generated", "RSA-OAEP", "enc"),
        ("hmac-generated-hs512", "hmac-generated", "HS512", "sig"),
        ("aes-generated", "aes-generated", "AES", "enc"),
    ]
    assert all(k.enabled and k.active and k.priority == 100 for k in keys)
    # The AES key encrypts, it never shows in the JWKS nor signs a token.
    assert all(j["alg"] != "AES" for j in public_jwks(keys)["keys"])


def test_an_export_config_brings_back_the_very_same_key(keys: list[RealmKey]) -> None:
    for key in keys:
        again = _component(key.provider, component_config(key, secrets=True), id=key.id)
        assert (again.kid, again.algorithm, again.use) == (key.kid, key.algorithm, key.use)
        assert again.private_key == key.private_key and again.public_key == key.public_key
        assert again.certificate == key.certificate


def test_the_admin_view_masks_or_omits_key_material(keys: list[RealmKey]) -> None:
    for key in keys:
        shown = component_config(key, secrets=False)
        text = repr(shown)
        assert key.private_key not in text
        assert not {"secret", "ecdsaPrivateKey", "kid"} & set(shown)
        assert shown["priority"] == ["100"] and shown["active"] == ["true"]
    uploaded = _component("rsa", {"privateKey": [_pem(rsa.generate_private_key(65537, 2048))]})
    assert component_config(uploaded, secrets=False)["privateKey"] == [SECRET_VALUE]


def test_generated_providers_follow_their_config() -> None:
    rsa_key = _component("rsa-generated", {"keySize": ["3072"], "algorithm": ["PS256"]})
    loaded = serialization.load_pem_private_key(rsa_key.private_key.encode(), None)
    assert isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size == 3072
    assert rsa_key.algorithm == "PS256" and rsa_key.priority == 0  # Keycloak's default
    ec_key = _component("ecdsa-generated", {"ecdsaEllipticCurveKey": ["P-384"]})
    assert ec_key.algorithm == "ES384"
    hmac_key = _component("hmac-generated", {"algorithm": ["HS384"], "secretSize": ["48"]})
    assert hmac_key.algorithm == "HS384"
    aes_key = _component("aes-generated", {"secretSize": ["32"], "priority": ["5"]})
    assert (aes_key.algorithm, aes_key.use, aes_key.priority) == ("AES", "enc", 5)
    for key in (rsa_key, ec_key, hmac_key):
        assert decode(sign({"sub": "x"}, key), [key])[1] == {"sub": "x"}


def test_rsa_enc_generated_is_an_encryption_key_that_never_signs() -> None:
    """Keycloak's rsa-enc-generated: RSA-OAEP by default, `use: enc` in the JWKS."""
    enc = _component("rsa-enc-generated", {"algorithm": ["RSA-OAEP-256"], "keySize": ["3072"]})
    assert (enc.algorithm, enc.use, enc.key_type) == ("RSA-OAEP-256", "enc", "RSA")
    assert _component("rsa-enc-generated", {}).algorithm == "RSA-OAEP"
    shown = component_config(enc, secrets=False)
    assert shown["algorithm"] == ["RSA-OAEP-256"] and shown["keySize"] == ["3072"]
    assert [(j["alg"], j["use"]) for j in public_jwks([enc])["keys"]] == [("RSA-OAEP-256", "enc")]
    signer = generate_rsa_key("realm-id", "acme", 1000)
    forged = sign({"sub": "x"}, signer).split(".")
    # A token naming the encryption key's kid never verifies, whatever its alg says.
    header = base64.urlsafe_b64encode(f'{{"alg":"RS256","kid":"{enc.kid}"}}'.encode()).rstrip(b"=")
    with pytest.raises(TokenRejected) as caught:
        decode(f"{header.decode()}.{forged[1]}.{forged[2]}", [signer, enc])
    assert caught.value.reason == "algorithm_not_allowed"
    rotation = plan_rotation(
        [enc],
        algorithm="RSA-OAEP-256",
        grace_period=60,
        now=2000,
        realm_id="realm-id",
        realm_name="acme",
        component_id="new",
    )
    assert (rotation.new.provider, rotation.new.use) == ("rsa-enc-generated", "enc")
    assert rotation.retired[0].kid == enc.kid and not rotation.retired[0].active


def test_an_uploaded_rsa_key_keeps_its_kid_and_certificate() -> None:
    private_key = rsa.generate_private_key(65537, 2048)
    certificate = certificate_for(private_key, "elsewhere")
    key = _component(
        "rsa",
        {"privateKey": [_pem(private_key)], "certificate": [certificate], "priority": ["150"]},
    )
    reference = generate_rsa_key("r", "r", 0)
    assert key.kid != reference.kid and key.priority == 150
    assert key.certificate is not None
    assert x509.load_pem_x509_certificate(key.certificate.encode()).public_key() == (
        private_key.public_key()
    )
    # Keycloak's own form, the base64 body without the PEM armour, is read as well.
    body = "".join(line for line in _pem(private_key).splitlines() if "-----" not in line)
    assert _component("rsa", {"privateKey": [body]}).kid == key.kid


@pytest.mark.parametrize(
    ("provider", "config", "message"),
    [
        ("rsa", {}, "'Private RSA Key' is required"),
        ("rsa", {"privateKey": ["not a key"]}, "Failed to decode private key"),
        ("rsa", {"privateKey": [SECRET_VALUE]}, "'Private RSA Key' is required"),
        ("rsa-generated", {"keySize": ["1024"]}, "'Key size' should be one of"),
        ("rsa-generated", {"algorithm": ["HS256"]}, "'Algorithm' should be one of"),
        ("rsa-generated", {"algorithm": ["RSA-OAEP"]}, "'Algorithm' should be one of"),
        ("rsa-enc-generated", {"algorithm": ["RS256"]}, "'Algorithm' should be one of"),
        ("rsa-enc-generated", {"keySize": ["1024"]}, "'Key size' should be one of"),
        ("rsa-generated", {"priority": ["high"]}, "'Priority' should be a number"),
        ("rsa-generated", {"active": ["maybe"]}, "'Active' should be 'true' or 'false'"),
        ("ecdsa-generated", {"ecdsaEllipticCurveKey": ["secp256k1"]}, "'Elliptic Curve'"),
        ("hmac-generated", {"algorithm": ["HS512"], "secretSize": ["32"]}, "at least 64"),
        ("aes-generated", {"secretSize": ["64"]}, "'Secret size' should be one of"),
        ("java-keystore", {}, "Invalid provider id"),
    ],
)
def test_bad_configs_are_refused_with_keycloaks_messages(
    provider: str, config: dict[str, list[str]], message: str
) -> None:
    with pytest.raises(KeyProviderError) as caught:
        _component(provider, config)
    assert message in str(caught.value)


def test_a_certificate_of_another_key_is_refused() -> None:
    private_key = rsa.generate_private_key(65537, 2048)
    other = certificate_for(rsa.generate_private_key(65537, 2048), "x")
    with pytest.raises(KeyProviderError, match="does not match"):
        _component("rsa", {"privateKey": [_pem(private_key)], "certificate": [other]})
    small = rsa.generate_private_key(65537, 1024)  # noqa: S505 - the weak key is the point
    with pytest.raises(KeyProviderError, match="2048"):
        _component("rsa", {"privateKey": [_pem(small)]})
    ec_private = base64.b64encode(
        ec.generate_private_key(ec.SECP256R1()).private_bytes(
            serialization.Encoding.DER,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    ).decode()
    with pytest.raises(KeyProviderError, match="not an RSA key"):
        _component("rsa", {"privateKey": [ec_private]})


def test_rotation_makes_a_higher_priority_key_and_a_passive_one(keys: list[RealmKey]) -> None:
    old = next(k for k in keys if k.algorithm == "RS256")
    rotation = plan_rotation(
        keys,
        algorithm="RS256",
        grace_period=60,
        now=2000,
        realm_id="realm-id",
        realm_name="acme",
        component_id="new",
    )
    assert rotation.new.provider == "rsa-generated" and rotation.new.kid != old.kid
    assert rotation.new.priority == old.priority + 1 and rotation.new.active
    assert [(k.kid, k.active, k.enabled, k.disable_at) for k in rotation.retired] == [
        (old.kid, False, True, 2060)
    ]
    after = [rotation.new, *rotation.retired, *(k for k in keys if k.id != old.id)]
    # During the grace period the old key verifies and stays in the JWKS…
    assert decode(sign({"a": 1}, old), as_of(after, 2059))[1] == {"a": 1}
    assert old.kid in {j["kid"] for j in public_jwks(as_of(after, 2059))["keys"]}
    # …and from its end on it is disabled: unknown to verification and to the JWKS.
    assert [k.kid for k in as_of(after, 2060) if not k.enabled] == [old.kid]
    assert grace_over(rotation.retired[0], 2060) and not grace_over(rotation.retired[0], 2059)
    assert old.kid not in {j["kid"] for j in public_jwks(as_of(after, 2060))["keys"]}
    assert as_of(keys, 10**10) is keys  # nothing retiring: the very list, no copies


def test_rotation_follows_the_kind_of_key_it_replaces() -> None:
    uploaded = _component("rsa", {"privateKey": [_pem(rsa.generate_private_key(65537, 3072))]})
    rotation = plan_rotation(
        [uploaded],
        algorithm="RS256",
        grace_period=0,
        now=5,
        realm_id="realm-id",
        realm_name="acme",
        component_id="n",
    )
    loaded = serialization.load_pem_private_key(rotation.new.private_key.encode(), None)
    assert isinstance(loaded, rsa.RSAPrivateKey) and loaded.key_size == 3072
    assert rotation.new.provider == "rsa-generated"
    assert rotation.retired[0].disable_at == 5  # no grace: disabled at once
    with pytest.raises(KeyProviderError):
        plan_rotation(
            [],
            algorithm="EdDSA",
            grace_period=0,
            now=5,
            realm_id="r",
            realm_name="r",
            component_id="n",
        )


def test_the_grace_period_end_travels_in_the_config(keys: list[RealmKey]) -> None:
    old = _component("ecdsa-generated", {})
    retiring = _component(
        old.provider,
        {**component_config(old, secrets=True), "active": ["false"], DISABLE_AT: ["3000"]},
    )
    assert retiring.disable_at == 3000 and not retiring.active
    assert component_config(retiring, secrets=False)[DISABLE_AT] == ["3000"]

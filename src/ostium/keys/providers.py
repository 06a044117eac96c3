"""Keycloak's key providers: `org.keycloak.keys.KeyProvider` components and their keys.

A key provider component is a name, a provider id and a config (Keycloak's
`{name: [values]}`); here each component holds exactly one key, as Keycloak's generated
providers do, so a `RealmKey` *is* its component (`id` is the component id). This module
turns a config into a key (generating it, or loading the material the config carries)
and a key back into a config, in the two forms Keycloak has: the admin API's (declared
properties only, secrets masked) and a realm export's (everything, so a re-import brings
back the very same keys and `kid`s).

Pure: no storage, no clock (the caller passes `now`).
"""

from __future__ import annotations

import base64
import binascii
import re
import secrets
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from ostium.domain import RealmKey
from ostium.keys.generation import certificate_for, key_id, pem_pair

__all__ = [
    "DISABLE_AT",
    "PROVIDERS",
    "PROVIDER_TYPE",
    "SECRET_VALUE",
    "SIGNATURE_ALGORITHMS",
    "Config",
    "KeyProviderError",
    "component_config",
    "generation_config",
    "key_from_component",
    "normalise_config",
]

PROVIDER_TYPE = "org.keycloak.keys.KeyProvider"
# What Keycloak's admin API shows instead of a secret (ComponentRepresentation.SECRET_VALUE);
# sent back unchanged in an update, it means "keep the stored value".
SECRET_VALUE = "**********"  # noqa: S105 - a mask, not a password
# Ostium's own config entry: when a rotated-out (passive) key becomes disabled.
DISABLE_AT = "ostium.disableAt"

Config = dict[str, list[str]]

_RSA_ALGORITHMS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512")
_RSA_KEY_SIZES = (2048, 3072, 4096)
# Keycloak's rsa-enc-generated algorithms; RSA-OAEP is its default.
_RSA_ENC_ALGORITHMS = ("RSA-OAEP", "RSA-OAEP-256", "RSA1_5")
_HMAC_ALGORITHMS = ("HS256", "HS384", "HS512")
_HMAC_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)  # Keycloak's list and 48 (HS384)
_AES_SIZES = (16, 24, 32)
_CURVES: dict[str, tuple[str, ec.EllipticCurve]] = {
    "P-256": ("ES256", ec.SECP256R1()),
    "P-384": ("ES384", ec.SECP384R1()),
    "P-521": ("ES512", ec.SECP521R1()),
}
_CURVE_OF = {algorithm: name for name, (algorithm, _) in _CURVES.items()}
# What the generated providers can sign with (RFC 7518 §3.1); RSA-OAEP and AES keys never sign.
SIGNATURE_ALGORITHMS = frozenset({*_RSA_ALGORITHMS, *_CURVE_OF, *_HMAC_ALGORITHMS})
_COMMON = ("priority", "enabled", "active")
# The config properties each provider declares: the admin API shows only these (Keycloak's
# non-internal ComponentRepresentation), with the secret ones masked.
_DECLARED: dict[str, tuple[str, ...]] = {
    "rsa-generated": (*_COMMON, "keySize", "algorithm"),
    "rsa-enc-generated": (*_COMMON, "keySize", "algorithm"),
    "rsa": (*_COMMON, "privateKey", "certificate", "algorithm"),
    "ecdsa-generated": (*_COMMON, "ecdsaEllipticCurveKey", "ecGenerateCertificate"),
    "hmac-generated": (*_COMMON, "secretSize", "algorithm"),
    "aes-generated": (*_COMMON, "secretSize"),
}
_SECRET = frozenset({"privateKey"})
PROVIDERS = tuple(_DECLARED)


class KeyProviderError(ValueError):
    """A component config Keycloak would refuse too; the message is for the admin."""


def normalise_config(raw: object) -> Config:
    """Keycloak writes config as name → list of strings; single values, numbers and
    booleans are accepted as well (hand-written files and scripts use them)."""
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise KeyProviderError("config: expected an object of name → list of strings")
    config: Config = {}
    for name, value in raw.items():
        values = value if isinstance(value, list) else [value]
        if not all(isinstance(v, str | int | bool) and not isinstance(v, float) for v in values):
            raise KeyProviderError(f"config.{name}: expected a list of strings")
        config[str(name)] = [str(v).lower() if isinstance(v, bool) else str(v) for v in values]
    return config


def _first(config: Mapping[str, Sequence[str]], name: str) -> str | None:
    values = config.get(name)
    if not values or values[0] in ("", SECRET_VALUE):
        return None
    return values[0]


def _integer(config: Mapping[str, Sequence[str]], name: str, label: str) -> int | None:
    value = _first(config, name)
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        raise KeyProviderError(f"'{label}' should be a number") from None


def _boolean(config: Mapping[str, Sequence[str]], name: str, label: str) -> bool:
    value = _first(config, name)
    if value is None:
        return True
    if value.lower() not in ("true", "false"):
        raise KeyProviderError(f"'{label}' should be 'true' or 'false'")
    return value.lower() == "true"


def _choice(value: str | None, allowed: Sequence[str], label: str, default: str) -> str:
    if value is None:
        return default
    if value not in allowed:
        raise KeyProviderError(f"'{label}' should be one of {', '.join(allowed)}")
    return value


def _der(text: str) -> bytes:
    """PEM with its armour, or Keycloak's form: the base64 body alone."""
    body = re.sub(r"-----[A-Z ]+-----|\s", "", text)
    return base64.b64decode(body, validate=True)


def _load_private_key(text: str) -> rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey:
    try:
        loaded = serialization.load_der_private_key(_der(text), password=None)
    except (ValueError, TypeError, binascii.Error, UnsupportedAlgorithm):
        raise KeyProviderError("Failed to decode private key") from None
    if not isinstance(loaded, rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey):
        raise KeyProviderError("Failed to decode private key: not an RSA or EC key")
    return loaded


def _load_certificate(text: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(_der(text))
    except (ValueError, binascii.Error):
        raise KeyProviderError("Failed to decode certificate") from None


def _pem_certificate(certificate: x509.Certificate) -> str:
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


@dataclass(frozen=True)
class _Material:
    algorithm: str
    use: str
    kid: str
    private_key: str
    public_key: str | None
    certificate: str | None


def _asymmetric(
    private_key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey,
    algorithm: str,
    realm_name: str,
    certificate: str | None,
    use: str = "sig",
) -> _Material:
    private, public = pem_pair(private_key)
    return _Material(
        algorithm=algorithm,
        use=use,
        kid=key_id(private_key.public_key()),
        private_key=private,
        public_key=public,
        certificate=certificate or certificate_for(private_key, realm_name),
    )


def _rsa(config: Config, realm_name: str, *, uploaded: bool, use: str = "sig") -> _Material:
    """An RSA key: `use="enc"` is Keycloak's rsa-enc-generated (RSA-OAEP by default), an
    encryption key that never signs; otherwise a signing key (RS256 by default)."""
    if use == "enc":
        algorithm = _choice(
            _first(config, "algorithm"), _RSA_ENC_ALGORITHMS, "Algorithm", "RSA-OAEP"
        )
    else:
        algorithm = _choice(_first(config, "algorithm"), _RSA_ALGORITHMS, "Algorithm", "RS256")
    text = _first(config, "privateKey")
    if uploaded and text is None:
        raise KeyProviderError("'Private RSA Key' is required")
    size = _integer(config, "keySize", "Key size")
    private_key = _load_private_key(text) if text is not None else None
    if private_key is not None and not isinstance(private_key, rsa.RSAPrivateKey):
        raise KeyProviderError("Failed to decode private key: not an RSA key")
    if private_key is not None and private_key.key_size < 2048:
        # Keycloak takes them; a 1024-bit RSA key is within reach of a determined attacker.
        raise KeyProviderError("RSA keys shorter than 2048 bits are not accepted")
    if not uploaded and (private_key is None or (size and size != private_key.key_size)):
        # Keycloak's generated provider makes a new key when it has none or the size changed.
        if size is not None and size not in _RSA_KEY_SIZES:
            raise KeyProviderError(
                f"'Key size' should be one of {', '.join(map(str, _RSA_KEY_SIZES))}"
            )
        private_key = rsa.generate_private_key(public_exponent=65537, key_size=size or 2048)
        return _asymmetric(private_key, algorithm, realm_name, None, use)
    assert isinstance(private_key, rsa.RSAPrivateKey)
    certificate = None
    if (text := _first(config, "certificate")) is not None:
        loaded = _load_certificate(text)
        if loaded.public_key() != private_key.public_key():
            raise KeyProviderError("Certificate does not match private key")
        certificate = _pem_certificate(loaded)
    return _asymmetric(private_key, algorithm, realm_name, certificate, use)


def _ecdsa(config: Config, realm_name: str) -> _Material:
    curve = _choice(_first(config, "ecdsaEllipticCurveKey"), tuple(_CURVES), "Elliptic Curve", "")
    text = _first(config, "ecdsaPrivateKey")
    private_key = _load_private_key(text) if text is not None else None
    if private_key is not None and not isinstance(private_key, ec.EllipticCurvePrivateKey):
        raise KeyProviderError("Failed to decode private key: not an EC key")
    if private_key is not None and curve and _CURVES[curve][1].name != private_key.curve.name:
        private_key = None  # the curve changed: Keycloak generates a new key
    if private_key is None:
        private_key = ec.generate_private_key(_CURVES[curve or "P-256"][1])
        return _asymmetric(private_key, _CURVES[curve or "P-256"][0], realm_name, certificate=None)
    algorithm = next((alg for alg, c in _CURVES.values() if c.name == private_key.curve.name), None)
    if algorithm is None:
        raise KeyProviderError(f"Unsupported elliptic curve {private_key.curve.name}")
    certificate = None
    if (cert_text := _first(config, "certificate")) is not None:
        loaded = _load_certificate(cert_text)
        if loaded.public_key() != private_key.public_key():
            raise KeyProviderError("Certificate does not match private key")
        certificate = _pem_certificate(loaded)
    return _asymmetric(private_key, algorithm, realm_name, certificate)


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _secret_bytes(text: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (ValueError, binascii.Error):
        raise KeyProviderError("Failed to decode secret") from None


def _secret(config: Config, *, algorithm: str, use: str, sizes: Sequence[int]) -> _Material:
    size = _integer(config, "secretSize", "Secret size")
    text = _first(config, "secret")
    current = _secret_bytes(text) if text is not None else None
    if current is None or (size is not None and size != len(current)):
        if size is None:
            size = 16 if use == "enc" else 64  # Keycloak's defaults
        if size not in sizes:
            raise KeyProviderError(f"'Secret size' should be one of {', '.join(map(str, sizes))}")
        minimum = int(algorithm[2:]) // 8 if algorithm.startswith("HS") else 0
        if size < minimum:
            # RFC 7518 §3.2: a key of the same size as the hash output or larger MUST be used.
            raise KeyProviderError(
                f"'Secret size' must be at least {minimum} bytes for {algorithm}"
            )
        current = secrets.token_bytes(size)
        kid = str(uuid.uuid4())
    else:
        kid = _first(config, "kid") or str(uuid.uuid4())
    return _Material(
        algorithm=algorithm,
        use=use,
        kid=kid,
        private_key=_b64url(current),
        public_key=None,
        certificate=None,
    )


def _material(provider_id: str, config: Config, realm_name: str) -> _Material:
    if provider_id == "rsa-generated":
        return _rsa(config, realm_name, uploaded=False)
    if provider_id == "rsa-enc-generated":
        return _rsa(config, realm_name, uploaded=False, use="enc")
    if provider_id == "rsa":
        return _rsa(config, realm_name, uploaded=True)
    if provider_id == "ecdsa-generated":
        return _ecdsa(config, realm_name)
    if provider_id == "hmac-generated":
        algorithm = _choice(_first(config, "algorithm"), _HMAC_ALGORITHMS, "Algorithm", "HS512")
        return _secret(config, algorithm=algorithm, use="sig", sizes=_HMAC_SIZES)
    if provider_id == "aes-generated":
        return _secret(config, algorithm="AES", use="enc", sizes=_AES_SIZES)
    raise KeyProviderError(
        f"Invalid provider id '{provider_id[:64]}': expected one of {', '.join(PROVIDERS)}"
    )


def key_from_component(
    *,
    component_id: str,
    name: str,
    provider_id: str,
    config: Config,
    realm_id: str,
    realm_name: str,
    now: int,
) -> RealmKey:
    """The key a component stands for: loaded from the material its config carries (a
    realm export, an uploaded PEM), or generated when there is none, as Keycloak's
    `validateConfiguration` does. Priority defaults to 0, enabled and active to true."""
    priority = _integer(config, "priority", "Priority") or 0
    enabled = _boolean(config, "enabled", "Enabled")
    active = _boolean(config, "active", "Active")
    disable_at = _integer(config, DISABLE_AT, DISABLE_AT)
    material = _material(provider_id, config, realm_name)
    return RealmKey(
        id=component_id,
        realm_id=realm_id,
        provider=provider_id,
        algorithm=material.algorithm,
        use=material.use,
        kid=material.kid,
        private_key=material.private_key,
        public_key=material.public_key,
        certificate=material.certificate,
        priority=priority,
        active=active,
        enabled=enabled,
        created=now,
        name=name,
        disable_at=disable_at,
    )


def _bare(pem_or_der: bytes) -> str:
    return base64.b64encode(pem_or_der).decode()


def component_config(key: RealmKey, *, secrets: bool) -> Config:
    """The component's config. `secrets=False`: what Keycloak's admin API shows (declared
    properties, secrets masked); `secrets=True`: a realm export's, with the key material in
    Keycloak's encoding, so Keycloak and Ostium both import it with the same `kid`."""
    config: Config = {
        "priority": [str(key.priority)],
        "enabled": [str(key.enabled).lower()],
        "active": [str(key.active).lower()],
    }
    if key.disable_at is not None:
        config[DISABLE_AT] = [str(key.disable_at)]
    material: Config = {}
    if key.provider in ("rsa-generated", "rsa-enc-generated", "rsa"):
        private_key = serialization.load_pem_private_key(key.private_key.encode(), password=None)
        assert isinstance(private_key, rsa.RSAPrivateKey)
        config["algorithm"] = [key.algorithm]
        if key.provider != "rsa":
            config["keySize"] = [str(private_key.key_size)]
        # Keycloak writes the PKCS#1 body without its PEM armour.
        material["privateKey"] = [
            _bare(
                private_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.TraditionalOpenSSL,
                    serialization.NoEncryption(),
                )
            )
        ]
        if key.certificate:
            config["certificate"] = [_bare(_der_certificate(key.certificate))]
    elif key.provider == "ecdsa-generated":
        private_key = serialization.load_pem_private_key(key.private_key.encode(), password=None)
        assert isinstance(private_key, ec.EllipticCurvePrivateKey)
        config["ecdsaEllipticCurveKey"] = [_CURVE_OF[key.algorithm]]
        material["ecdsaPrivateKey"] = [
            _bare(
                private_key.private_bytes(
                    serialization.Encoding.DER,
                    serialization.PrivateFormat.PKCS8,
                    serialization.NoEncryption(),
                )
            )
        ]
        material["ecdsaPublicKey"] = [
            _bare(
                private_key.public_key().public_bytes(
                    serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
                )
            )
        ]
        if key.certificate:
            config["ecGenerateCertificate"] = ["true"]
            material["certificate"] = [_bare(_der_certificate(key.certificate))]
    else:  # hmac-generated, aes-generated
        if key.provider == "hmac-generated":
            config["algorithm"] = [key.algorithm]
        config["secretSize"] = [str(len(_secret_bytes(key.private_key)))]
        material["kid"] = [key.kid]
        material["secret"] = [key.private_key]
    if secrets:
        return {**config, **material}
    declared = _DECLARED.get(key.provider, _COMMON)
    shown = {name: values for name, values in config.items() if name in declared}
    if DISABLE_AT in config:
        shown[DISABLE_AT] = config[DISABLE_AT]
    for name in _SECRET & set(declared):
        shown[name] = [SECRET_VALUE]
    return shown


def _der_certificate(pem: str) -> bytes:
    return x509.load_pem_x509_certificate(pem.encode()).public_bytes(serialization.Encoding.DER)


def generation_config(
    algorithm: str, priority: int, *, like: RealmKey | None = None
) -> tuple[str, Config]:
    """The generated provider and config that make a new `algorithm` key (a rotation).

    `like` is the key being replaced: the new one is of the same kind, so an uploaded
    4096-bit RSA key is followed by a generated 4096-bit one, a 32-byte secret by another."""
    config: Config = {"priority": [str(priority)]}
    if algorithm in _RSA_ALGORITHMS or algorithm in _RSA_ENC_ALGORITHMS:
        config["algorithm"] = [algorithm]
        if like is not None and like.key_type == "RSA":
            private_key = serialization.load_pem_private_key(like.private_key.encode(), None)
            assert isinstance(private_key, rsa.RSAPrivateKey)
            config["keySize"] = [str(max(private_key.key_size, 2048))]
        return (
            "rsa-enc-generated" if algorithm in _RSA_ENC_ALGORITHMS else "rsa-generated"
        ), config
    if algorithm in _CURVE_OF:
        config["ecdsaEllipticCurveKey"] = [_CURVE_OF[algorithm]]
        return "ecdsa-generated", config
    if algorithm in _HMAC_ALGORITHMS or algorithm == "AES":
        if algorithm != "AES":
            config["algorithm"] = [algorithm]
        if like is not None and like.key_type == "OCT":
            minimum = int(algorithm[2:]) // 8 if algorithm != "AES" else 0
            size = max(len(_secret_bytes(like.private_key)), minimum)
            config["secretSize"] = [str(size)]
        return ("aes-generated" if algorithm == "AES" else "hmac-generated"), config
    raise KeyProviderError(f"No key provider generates {algorithm[:32]} keys")

"""The client certificate a TLS-terminating proxy passes on in request headers.

Keycloak's `x509cert-lookup` SPI (`--spi-x509cert-lookup-provider`): the proxy verifies the
TLS client certificate and forwards it, in a format of its own, to the server behind it.

- `apache`, `haproxy`: the certificate in header `ssl-client-cert` (PEM, or its bare base64
  body, as `SSL_CLIENT_CERT` / `%[ssl_c_der,base64]` give it; `(null)` means none) and the
  intermediates in `<ssl-cert-chain-prefix>_0` … `_<certificate-chain-length - 1>`.
- `nginx`: `$ssl_client_escaped_cert` (URL-encoded PEM unless `cert-is-url-encoded=false`);
  nginx forwards no chain, so it is rebuilt from the truststore. With
  `trust-proxy-verification=true` nginx's own verification is trusted and the chain is not
  checked again (Keycloak's `NginxProxyTrustedClientCertificateLookup`).
- `envoy`: `x-forwarded-client-cert`, whose `Cert=` (the certificate) and `Chain=` (the
  certificate and its intermediates) are URL-encoded PEM.
- `traefik`: `X-Forwarded-Tls-Client-Cert` from PassTLSClientCert, a comma list of the
  certificate then its intermediates, each base64 DER (`pem: true`, URL-encoded with or
  without the PEM armour).
- `rfc9440`: `Client-Cert` and `Client-Cert-Chain`, RFC 8941 byte sequences (`:base64:`).
- `default`: no lookup in headers.

Stricter than Keycloak on purpose: a header that occurs twice (an injected copy next to the
proxy's), a value that does not parse, a chain longer than `certificate-chain-length`, a
certificate outside its validity period, or a chain that does not lead to a certificate of
the truststore each mean *no certificate* — never a partial one — and a reason the caller
logs. Revocation (CRL, OCSP) is not checked here.

Pure: no I/O and no framework; the headers come as ASGI's raw pairs, the truststore as
parsed certificates, the time as an argument.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import unquote

from cryptography import x509
from cryptography.exceptions import InvalidSignature, UnsupportedAlgorithm
from cryptography.hazmat.primitives.hashes import SHA256

__all__ = [
    "PROVIDERS",
    "CertificateLookup",
    "LookupSettings",
    "Provider",
    "RejectedCertificate",
    "verify_chain",
]

Provider = Literal["default", "haproxy", "apache", "nginx", "envoy", "traefik", "rfc9440"]
PROVIDERS: tuple[Provider, ...] = (
    "default",
    "haproxy",
    "apache",
    "nginx",
    "envoy",
    "traefik",
    "rfc9440",
)

# A certificate is a few kB; a header far beyond that is not one a proxy wrote.
MAX_HEADER_LENGTH = 64 * 1024

# Keycloak's documented values for each provider (reverse-proxy guide and the factories).
_DEFAULT_HEADER = {
    "apache": "SSL_CLIENT_CERT",
    "haproxy": "SSL_CLIENT_CERT",
    "nginx": "ssl-client-cert",
    "envoy": "x-forwarded-client-cert",
    "traefik": "X-Forwarded-Tls-Client-Cert",
    "rfc9440": "Client-Cert",
}
_DEFAULT_CHAIN = {"apache": "CERT_CHAIN", "haproxy": "CERT_CHAIN", "rfc9440": "Client-Cert-Chain"}
_DEFAULT_CHAIN_LENGTH = {"apache": 10, "haproxy": 10, "nginx": 2, "traefik": 1, "rfc9440": 1}
# The longest path from a client certificate to an anchor that is ever tried.
_MAX_PATH = 10

_SHA256 = SHA256()
_PEM = re.compile(r"-----BEGIN CERTIFICATE-----(.*?)-----END CERTIFICATE-----", re.DOTALL)


class RejectedCertificate(ValueError):
    """The proxy's headers name a certificate that is not to be used; the message says why."""


@dataclass(frozen=True)
class LookupSettings:
    """`--spi-x509cert-lookup-provider` and the chosen provider's options; None: its default."""

    provider: Provider = "default"
    ssl_client_cert: str | None = None
    ssl_cert_chain_prefix: str | None = None  # rfc9440: the chain header's name
    certificate_chain_length: int | None = None
    trust_proxy_verification: bool = False  # nginx
    cert_is_url_encoded: bool = True  # nginx

    @property
    def header(self) -> str:
        return (self.ssl_client_cert or _DEFAULT_HEADER.get(self.provider, "")).lower()

    @property
    def chain_header(self) -> str:
        return (self.ssl_cert_chain_prefix or _DEFAULT_CHAIN.get(self.provider, "")).lower()

    @property
    def chain_length(self) -> int:
        if self.certificate_chain_length is not None:
            return self.certificate_chain_length
        return _DEFAULT_CHAIN_LENGTH.get(self.provider, 1)


class CertificateLookup:
    """Finds and verifies the forwarded client certificate of one request.

    Call it only for a request from a trusted proxy (`--proxy-trusted-addresses`): the
    headers of anyone else are the client's own words."""

    def __init__(self, settings: LookupSettings, truststore: Sequence[x509.Certificate]) -> None:
        self.settings = settings
        self.truststore = tuple(truststore)

    def lookup(
        self, headers: Sequence[tuple[bytes, bytes]], now: datetime
    ) -> tuple[x509.Certificate, ...]:
        """The verified chain, client certificate first, up to and including the truststore
        certificate it ends at; () when the proxy sent none. Raises `RejectedCertificate`."""
        provider = self.settings.provider
        if provider == "default":
            return ()
        if provider == "envoy":
            sent = _envoy(headers)
        elif provider == "traefik":
            sent = _traefik(headers, self.settings)
        elif provider == "rfc9440":
            sent = _rfc9440(headers, self.settings)
        else:
            sent = _pem_headers(headers, self.settings)
        if not sent:
            return ()
        if provider == "nginx" and self.settings.trust_proxy_verification:
            _check_validity(sent[0], now)
            return sent[:1]
        # nginx: the intermediates come from the truststore, which the path search uses anyway.
        return verify_chain(sent[0], sent[1:], self.truststore, now)


def verify_chain(
    leaf: x509.Certificate,
    intermediates: Sequence[x509.Certificate],
    truststore: Sequence[x509.Certificate],
    now: datetime,
) -> tuple[x509.Certificate, ...]:
    """A path from `leaf` through `intermediates` to a certificate of `truststore`
    (RFC 5280 §6.1, without policies or revocation): each certificate signed by the next,
    each issuer a CA (basicConstraints cA), every one valid at `now`. A truststore
    certificate is an anchor whether it is a root or an intermediate, as in a Java truststore."""
    if not truststore:
        raise RejectedCertificate("the truststore is empty, so no client certificate can verify")
    _check_validity(leaf, now)
    trusted = {cert.fingerprint(_SHA256) for cert in truststore}
    path = [leaf]
    current = leaf
    for _ in range(_MAX_PATH):
        if current.fingerprint(_SHA256) in trusted:
            return tuple(path)
        for anchor in truststore:
            if _issued_by(current, anchor) and _valid_at(anchor, now):
                return (*path, anchor)
        issuer = next(
            (
                cert
                for cert in intermediates
                if cert not in path and _issued_by(current, cert) and _valid_at(cert, now)
            ),
            None,
        )
        if issuer is None:
            raise RejectedCertificate(
                f"the chain of {leaf.subject.rfc4514_string()!r} does not lead to the truststore"
            )
        path.append(issuer)
        current = issuer
    raise RejectedCertificate("the certificate chain is too long")


def _issued_by(cert: x509.Certificate, issuer: x509.Certificate) -> bool:
    if cert.issuer != issuer.subject or not _is_ca(issuer):
        return False
    try:
        cert.verify_directly_issued_by(issuer)
    except (ValueError, TypeError, InvalidSignature, UnsupportedAlgorithm):
        return False
    return True


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _valid_at(cert: x509.Certificate, now: datetime) -> bool:
    return cert.not_valid_before_utc <= now <= cert.not_valid_after_utc


def _check_validity(cert: x509.Certificate, now: datetime) -> None:
    if not _valid_at(cert, now):
        raise RejectedCertificate(
            f"{cert.subject.rfc4514_string()!r} is not valid now"
            f" ({cert.not_valid_before_utc:%Y-%m-%d} to {cert.not_valid_after_utc:%Y-%m-%d})"
        )


def _single(headers: Sequence[tuple[bytes, bytes]], name: str) -> str | None:
    """The one value of header `name`; a second occurrence means someone added one."""
    key = name.lower().encode("latin-1")
    values = [value for header, value in headers if header == key]
    if not values:
        return None
    if len(values) > 1:
        raise RejectedCertificate(f"header {name!r} occurs {len(values)} times")
    return _text(values[0], name)


def _text(value: bytes, name: str) -> str:
    if len(value) > MAX_HEADER_LENGTH:
        raise RejectedCertificate(f"header {name!r} is longer than {MAX_HEADER_LENGTH} bytes")
    try:
        return value.decode("ascii").strip()
    except UnicodeDecodeError:
        raise RejectedCertificate(f"header {name!r} is not ASCII") from None


def _der(data: bytes, name: str) -> x509.Certificate:
    try:
        return x509.load_der_x509_certificate(data)
    except ValueError:
        raise RejectedCertificate(f"header {name!r} holds no X.509 certificate") from None


def _base64(text: str, name: str) -> bytes:
    try:
        return base64.b64decode("".join(text.split()), validate=True)
    except (binascii.Error, ValueError):
        raise RejectedCertificate(f"header {name!r} is not base64") from None


def _pem_or_base64(text: str, name: str) -> x509.Certificate:
    """One certificate as PEM, with its armour or without (Apache's `SSL_CLIENT_CERT`,
    HAProxy's `ssl_c_der,base64`); line breaks may have become spaces on the way."""
    blocks = _PEM.findall(text)
    if len(blocks) > 1:
        raise RejectedCertificate(f"header {name!r} holds more than one certificate")
    if blocks:
        text = blocks[0]
    elif "-----" in text:
        raise RejectedCertificate(f"header {name!r} holds a broken PEM block")
    return _der(_base64(text, name), name)


def _pem_headers(
    headers: Sequence[tuple[bytes, bytes]], settings: LookupSettings
) -> tuple[x509.Certificate, ...]:
    """apache, haproxy, nginx: the certificate header, then the numbered chain headers."""
    name = settings.header
    value = _single(headers, name)
    # Apache's mod_ssl writes "(null)" for a connection without a client certificate.
    if value is None or value in ("", "(null)"):
        return ()
    if settings.provider == "nginx":
        if settings.cert_is_url_encoded:
            value = unquote(value)
        return (_pem_or_base64(value, name),)
    chain: list[x509.Certificate] = [_pem_or_base64(value, name)]
    prefix = settings.chain_header
    for index in range(settings.chain_length):
        link_name = f"{prefix}_{index}"
        link = _single(headers, link_name)
        if link is None or link in ("", "(null)"):
            break
        chain.append(_pem_or_base64(link, link_name))
    return tuple(chain)


def _envoy(headers: Sequence[tuple[bytes, bytes]]) -> tuple[x509.Certificate, ...]:
    """Envoy's XFCC: `key=value` pairs split by `;`, values optionally quoted. One element
    only: with `forward_client_cert_details: SANITIZE_SET` Envoy writes exactly one, and
    a list would mean an earlier hop's (or the client's) element came through."""
    name = "x-forwarded-client-cert"
    value = _single(headers, name)
    if not value:
        return ()
    pairs: dict[str, str] = {}
    for element in _split_unquoted(value, ","):
        if pairs:
            raise RejectedCertificate(f"header {name!r} holds more than one element")
        for pair in _split_unquoted(element, ";"):
            key, equals, raw = pair.strip().partition("=")
            key = key.strip().lower()
            if not equals or not key:
                raise RejectedCertificate(f"header {name!r} has a part that is not key=value")
            if key in pairs:
                raise RejectedCertificate(f"header {name!r} repeats {key!r}")
            raw = raw.strip()
            pairs[key] = raw[1:-1] if len(raw) >= 2 and raw[0] == raw[-1] == '"' else raw
    cert = _pem_list(unquote(pairs["cert"]), name) if "cert" in pairs else ()
    chain = _pem_list(unquote(pairs["chain"]), name) if "chain" in pairs else ()
    if len(cert) > 1:
        raise RejectedCertificate(f"Cert= of header {name!r} holds more than one certificate")
    if cert and chain and chain[0] != cert[0]:
        raise RejectedCertificate(f"Cert= and Chain= of header {name!r} disagree")
    return chain or cert


def _split_unquoted(value: str, separator: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    quoted = False
    for char in value:
        if char == '"':
            quoted = not quoted
        if char == separator and not quoted:
            parts.append("".join(current))
            current = []
            continue
        current.append(char)
    if quoted:
        raise RejectedCertificate("an unterminated quoted string")
    parts.append("".join(current))
    return parts


def _pem_list(text: str, name: str) -> tuple[x509.Certificate, ...]:
    blocks = _PEM.findall(text)
    if not blocks or _PEM.sub("", text).strip(' ",\r\n'):
        raise RejectedCertificate(f"header {name!r} holds no PEM certificate list")
    return tuple(_der(_base64(block, name), name) for block in blocks)


def _traefik(
    headers: Sequence[tuple[bytes, bytes]], settings: LookupSettings
) -> tuple[x509.Certificate, ...]:
    """Traefik's PassTLSClientCert (`pem: true`): the certificate, then its intermediates,
    comma-separated, each URL-encoded."""
    name = settings.header
    value = _single(headers, name)
    if not value:
        return ()
    items = [item.strip() for item in value.split(",")]
    if len(items) - 1 > settings.chain_length:
        raise RejectedCertificate(
            f"header {name!r} holds {len(items) - 1} chain certificates,"
            f" more than certificate-chain-length={settings.chain_length}"
        )
    # Traefik's URL encoding writes the armour's space as "+"; inside base64 a "+" is
    # either literal (bare DER) or "%2B", so "+" is never decoded as a space elsewhere.
    return tuple(
        _pem_or_base64(unquote(item), name)
        for item in (item.replace("+CERTIFICATE-----", " CERTIFICATE-----") for item in items)
    )


def _rfc9440(
    headers: Sequence[tuple[bytes, bytes]], settings: LookupSettings
) -> tuple[x509.Certificate, ...]:
    """RFC 9440 §2.2 `Client-Cert` (at most once) and §2.3 `Client-Cert-Chain` (an RFC 8941
    list, which may span several header lines); each item a byte sequence of DER."""
    name = settings.header
    value = _single(headers, name)
    chain_name = settings.chain_header
    key = chain_name.encode("latin-1")
    lines = [_text(raw, chain_name) for header, raw in headers if header == key]
    if value is None:
        if lines:
            # §2.3: the chain "MUST NOT" be sent without the certificate.
            raise RejectedCertificate(f"header {chain_name!r} came without {name!r}")
        return ()
    items = [item.strip() for line in lines for item in line.split(",") if line.strip()]
    if len(items) > settings.chain_length:
        raise RejectedCertificate(
            f"header {chain_name!r} holds {len(items)} certificates,"
            f" more than certificate-chain-length={settings.chain_length}"
        )
    return (
        _byte_sequence(value, name),
        *(_byte_sequence(item, chain_name) for item in items),
    )


def _byte_sequence(item: str, name: str) -> x509.Certificate:
    """RFC 8941 §3.3.5: `:` base64 `:`."""
    if len(item) < 2 or item[0] != ":" or item[-1] != ":":
        raise RejectedCertificate(f"header {name!r} is not an RFC 8941 byte sequence")
    return _der(_base64(item[1:-1], name), name)

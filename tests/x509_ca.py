"""A test PKI made with `cryptography`: a root CA, an intermediate, client certificates
(valid, expired, from another CA), for the tests of client-certificate lookup and use."""

from __future__ import annotations

import base64
import ipaddress
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

NOW = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Issued:
    cert: x509.Certificate
    key: ec.EllipticCurvePrivateKey

    @property
    def pem(self) -> str:
        return self.cert.public_bytes(serialization.Encoding.PEM).decode()

    @property
    def key_pem(self) -> str:
        return self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()

    @property
    def der_b64(self) -> str:
        return base64.b64encode(self.cert.public_bytes(serialization.Encoding.DER)).decode()


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ostium Test"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def issue(
    common_name: str,
    issuer: Issued | None = None,
    *,
    ca: bool = False,
    not_before: datetime | None = None,
    not_after: datetime | None = None,
    now: datetime = NOW,
    dns_names: tuple[str, ...] = (),
    ip_addresses: tuple[str, ...] = (),
) -> Issued:
    not_before = not_before or now - timedelta(days=1)
    not_after = not_after or now + timedelta(days=365)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common_name)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns_names or ip_addresses:
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    signer = issuer.key if issuer else key
    return Issued(builder.sign(signer, hashes.SHA256()), key)


@dataclass(frozen=True)
class Pki:
    root: Issued
    intermediate: Issued
    client: Issued  # issued by the intermediate
    expired: Issued  # issued by the intermediate, expired at NOW
    stranger: Issued  # issued by another root
    other_root: Issued


def make_pki(now: datetime = NOW) -> Pki:
    """Valid around `now` (the tests' clock), except `expired`."""
    root = issue("Test Root CA", ca=True, not_before=now - timedelta(days=30), now=now)
    intermediate = issue("Test Intermediate CA", root, ca=True, now=now)
    other_root = issue("Other Root CA", ca=True, now=now)
    return Pki(
        root=root,
        intermediate=intermediate,
        client=issue("client-app", intermediate, now=now),
        expired=issue(
            "expired-app",
            intermediate,
            not_before=now - timedelta(days=60),
            not_after=now - timedelta(days=1),
        ),
        stranger=issue("client-app", other_root, now=now),
        other_root=other_root,
    )


def url_encoded(pem: str) -> str:
    """As nginx's $ssl_client_escaped_cert and Envoy's XFCC write PEM."""
    return quote(pem, safe="")

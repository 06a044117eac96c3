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


def _name(common_name: str, email: str | None = None) -> x509.Name:
    attributes = [
        x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Ostium Test"),
        x509.NameAttribute(NameOID.COMMON_NAME, common_name),
    ]
    if email is not None:
        attributes.append(x509.NameAttribute(NameOID.EMAIL_ADDRESS, email))
    return x509.Name(attributes)


UPN = x509.ObjectIdentifier("1.3.6.1.4.1.311.20.2.3")


def _utf8_string(text: str) -> bytes:
    """DER UTF8String (short form length; the test values are short)."""
    data = text.encode()
    assert len(data) < 128
    return bytes([0x0C, len(data)]) + data


def key_usage(*bits: str) -> x509.KeyUsage:
    """A KeyUsage with the named bits (cryptography's attribute names) set."""
    names = (
        "digital_signature",
        "content_commitment",
        "key_encipherment",
        "data_encipherment",
        "key_agreement",
        "key_cert_sign",
        "crl_sign",
        "encipher_only",
        "decipher_only",
    )
    values = {name: name in bits for name in names}
    return x509.KeyUsage(**values)


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
    email: str | None = None,
    san_emails: tuple[str, ...] = (),
    upn: str | None = None,
    usage: x509.KeyUsage | None = None,
    usage_critical: bool = True,
    extended_usage: tuple[x509.ObjectIdentifier, ...] = (),
    extended_usage_critical: bool = True,
    policies: tuple[str, ...] = (),
    crl_urls: tuple[str, ...] = (),
    ocsp_url: str | None = None,
    serial: int | None = None,
) -> Issued:
    not_before = not_before or now - timedelta(days=1)
    not_after = not_after or now + timedelta(days=365)
    key = ec.generate_private_key(ec.SECP256R1())
    subject = _name(common_name, email)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer.cert.subject if issuer else subject)
        .public_key(key.public_key())
        .serial_number(serial or x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
    )
    if dns_names or ip_addresses or san_emails or upn:
        names: list[x509.GeneralName] = [x509.DNSName(name) for name in dns_names]
        names += [x509.IPAddress(ipaddress.ip_address(ip)) for ip in ip_addresses]
        names += [x509.RFC822Name(address) for address in san_emails]
        if upn is not None:
            names.append(x509.OtherName(UPN, _utf8_string(upn)))
        builder = builder.add_extension(x509.SubjectAlternativeName(names), critical=False)
    if usage is not None:
        builder = builder.add_extension(usage, critical=usage_critical)
    if extended_usage:
        builder = builder.add_extension(
            x509.ExtendedKeyUsage(list(extended_usage)), critical=extended_usage_critical
        )
    if policies:
        builder = builder.add_extension(
            x509.CertificatePolicies(
                [x509.PolicyInformation(x509.ObjectIdentifier(oid), None) for oid in policies]
            ),
            critical=False,
        )
    if crl_urls:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint([x509.UniformResourceIdentifier(url)], None, None, None)
                    for url in crl_urls
                ]
            ),
            critical=False,
        )
    if ocsp_url is not None:
        builder = builder.add_extension(
            x509.AuthorityInformationAccess(
                [
                    x509.AccessDescription(
                        x509.AuthorityInformationAccessOID.OCSP,
                        x509.UniformResourceIdentifier(ocsp_url),
                    )
                ]
            ),
            critical=False,
        )
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


def crl(
    issuer: Issued,
    revoked: tuple[x509.Certificate, ...] = (),
    *,
    now: datetime = NOW,
    next_update: datetime | None = None,
) -> x509.CertificateRevocationList:
    """A CRL `issuer` signs, listing `revoked`."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.cert.subject)
        .last_update(now - timedelta(hours=1))
        .next_update(next_update or now + timedelta(days=7))
    )
    for cert in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(cert.serial_number)
            .revocation_date(now - timedelta(minutes=30))
            .build()
        )
    return builder.sign(issuer.key, hashes.SHA256())


def crl_pem(revocations: x509.CertificateRevocationList) -> bytes:
    return revocations.public_bytes(serialization.Encoding.PEM)


def url_encoded(pem: str) -> str:
    """As nginx's $ssl_client_escaped_cert and Envoy's XFCC write PEM."""
    return quote(pem, safe="")
